/* resolve.c -- backend names to addresses per worker: /etc/hosts, then DNS, one lookup per name, cached */
#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "config_types.h"
#include "log.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define HOSTS_FILE "/etc/hosts"
#define RESOLV_CONF_MAX (64u << 10)
#define HOSTS_FILE_MAX (1u << 20)	/* bigger: only the first 1 MiB */
/*
 * Once one of the two queries has addresses, how long the other may
 * still take before the sessions go ahead with what there is (evdns's
 * getaddrinfo does the same, with 3 s).
 */
#define RESOLVE_SKEW_USEC 500000
/* evdns's own in-flight limit: every lookup we allow (two queries each)
 * and its probes of servers that went quiet always fit. */
#define RESOLVE_EVDNS_INFLIGHT (2 * RESOLVE_MAX_LOOKUPS + 16)

struct resolve_lookup;

/* One of a lookup's two queries. */
struct resolve_query {
	struct resolve_lookup *l;
	struct evdns_request *req;	/* NULL once answered */
	int err;			/* evdns's DNS_ERR_* */
	struct hosts_addr addrs[DNSCACHE_MAX_ADDRS];
	size_t naddrs;
	unsigned long ttl;
};

/*
 * A name being looked up.  It lives while either query is in flight; its
 * cache entry (and its waiters) are settled as soon as there is an
 * answer, which can be before the second query is back.
 */
struct resolve_lookup {
	struct resolver *r;
	struct dns_entry *entry;	/* NULL once settled */
	struct resolve_query q[2];	/* A, AAAA */
	struct event *skew;
	struct resolve_wait *waiters;	/* in arrival order */
	struct resolve_wait *last_waiter;
	unsigned nwaiters;
	struct resolve_lookup *prev, *next;	/* r->lookups */
};

struct resolve_wait {
	struct resolve_lookup *l;
	struct resolve_wait *prev, *next;
	resolve_fn cb;
	void *arg;
	uint16_t port;
};

struct resolver {
	struct event_base *base;
	struct evdns_base *dns;
	struct dnscache *cache;
	char *hosts;			/* /etc/hosts as read */
	size_t hosts_len;
	struct resolve_lookup *lookups;
	unsigned nlookups;
};

static double
resolve_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- files: regular, bounded ---- */

/* A regular file of at most max bytes (after following links); a
 * missing one is no news. */
static bool
resolve_file_ok(const char *conf_path, off_t max)
{
	struct stat st;

	if (stat(conf_path, &st) != 0) {
		if (errno != ENOENT)
			log_warn("dns: %s: %s", conf_path, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warn("dns: %s is not a regular file: not read", conf_path);
		return false;
	}
	if (st.st_size > max) {
		log_warn("dns: %s is larger than %lld bytes: not read", conf_path,
		    (long long)max);
		return false;
	}
	return true;
}

/* /etc/hosts into r->hosts (nothing if it cannot be read). */
static void
resolve_read_hosts(struct resolver *r)
{
	char *buf = NULL;
	size_t len = 0, cap;
	struct stat st;
	int fd;

	free(r->hosts);
	r->hosts = NULL;
	r->hosts_len = 0;
	/* O_NONBLOCK: a FIFO put there must not hang the worker. */
	fd = open(HOSTS_FILE, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("dns: %s: %s", HOSTS_FILE, strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_warn("dns: %s is not a regular file: not read",
		    HOSTS_FILE);
		close(fd);
		return;
	}
	/* What it holds now, within the cap; it may change meanwhile. */
	cap = st.st_size < (off_t)HOSTS_FILE_MAX ? (size_t)st.st_size :
	    HOSTS_FILE_MAX;
	buf = malloc(cap != 0 ? cap : 1);
	while (buf != NULL && len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL)
		return;
	if (st.st_size > (off_t)HOSTS_FILE_MAX) {
		/* Whole lines only: a cut name must not match. */
		while (len > 0 && buf[len - 1] != '\n')
			len--;
		log_warn("dns: %s is larger than %u bytes: only its first "
		    "%zu bytes are used", HOSTS_FILE, HOSTS_FILE_MAX, len);
	}
	r->hosts = buf;
	r->hosts_len = len;
}

/* ---- evdns set-up ---- */

static void
resolve_set_option(struct resolver *r, const char *opt, const char *val)
{
	if (evdns_base_set_option(r->dns, opt, val) != 0)
		log_warn("dns: cannot set %s %s", opt, val);
}

/*
 * Name servers: dns_servers, or those of resolv.conf; search domains and
 * options always from resolv.conf; then dns_timeout over its options.
 */
static void
resolve_configure(struct resolver *r, const struct config *cfg)
{
	int flags = DNS_OPTION_SEARCH | DNS_OPTION_MISC;
	char val[32];

	if (cfg->ndns_servers == 0)
		flags |= DNS_OPTION_NAMESERVERS;
	if (resolve_file_ok(RESOLV_CONF, RESOLV_CONF_MAX))
		/* Not 0 also when it names no server: 127.0.0.1 then. */
		(void)evdns_base_resolv_conf_parse(r->dns, flags, RESOLV_CONF);
	else if (cfg->ndns_servers == 0)
		evdns_base_nameserver_ip_add(r->dns, "127.0.0.1");
	for (size_t i = 0; i < cfg->ndns_servers; i++)
		if (evdns_base_nameserver_ip_add(r->dns,
		    cfg->dns_servers[i]) != 0)
			log_warn("dns: cannot use name server %s",
			    cfg->dns_servers[i]);
	/* Two tries of half dns_timeout each (the second to the next
	 * server, if there are several). */
	snprintf(val, sizeof(val), "%.3f", cfg->dns_timeout / 2);
	resolve_set_option(r, "timeout:", val);
	resolve_set_option(r, "attempts:", "2");
	snprintf(val, sizeof(val), "%d", RESOLVE_EVDNS_INFLIGHT);
	resolve_set_option(r, "max-inflight:", val);
}

struct resolver *
resolver_new(struct event_base *base, const struct config *cfg, char *err,
    size_t errsize)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	r->base = base;
	r->cache = dnscache_new(RESOLVE_CACHE_SIZE);
	/* No flags: resolv.conf is read by resolve_configure, and
	 * /etc/hosts by us (evdns answers from it only through
	 * evdns_getaddrinfo, which hides TTLs). */
	r->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (r->cache == NULL || r->dns == NULL) {
		snprintf(err, errsize, "cannot create a DNS resolver");
		resolver_free(r);
		return NULL;
	}
	resolve_configure(r, cfg);
	resolve_read_hosts(r);
	return r;
}

void
resolver_reload(struct resolver *r, const struct config *cfg)
{
	/* Queries in flight wait, then go to the new servers. */
	evdns_base_clear_nameservers_and_suspend(r->dns);
	evdns_base_search_clear(r->dns);
	resolve_configure(r, cfg);
	evdns_base_resume(r->dns);
	resolve_read_hosts(r);
	dnscache_clear(r->cache);
}

static void
resolve_lookup_free(struct resolve_lookup *l)
{
	struct resolver *r = l->r;
	struct resolve_wait *w, *next;

	for (w = l->waiters; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
	if (l->skew != NULL)
		event_free(l->skew);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		r->lookups = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	r->nlookups--;
	free(l);
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	/* Frees the queries in flight and never calls their callbacks
	 * (with 1 it would, but only from an event loop that no longer
	 * runs): so the lookups go here. */
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	while (r->lookups != NULL)
		resolve_lookup_free(r->lookups);
	dnscache_free(r->cache);
	free(r->hosts);
	free(r);
}

/* ---- answers ---- */

static void
resolve_fill(struct resolve_result *res, const struct hosts_addr *addrs,
    size_t n, uint16_t port)
{
	size_t k = 0;

	memset(res, 0, sizeof(*res));
	res->status = RESOLVE_OK;
	/* IPv4 first: backends named "localhost" often listen on
	 * 127.0.0.1 only, and the others are tried in turn anyway. */
	for (int pass = 0; pass < 2; pass++) {
		int family = pass == 0 ? AF_INET : AF_INET6;

		for (size_t i = 0; i < n && k < DNSCACHE_MAX_ADDRS; i++) {
			union resolve_sockaddr *u = &res->addrs[k];

			if (addrs[i].family != family)
				continue;
			if (family == AF_INET) {
				u->sin.sin_family = AF_INET;
				u->sin.sin_port = htons(port);
				memcpy(&u->sin.sin_addr, addrs[i].bytes, 4);
			} else {
				u->sin6.sin6_family = AF_INET6;
				u->sin6.sin6_port = htons(port);
				memcpy(&u->sin6.sin6_addr, addrs[i].bytes,
				    16);
			}
			k++;
		}
	}
	res->naddrs = k;
}

static void
resolve_fail(struct resolve_result *res, enum resolve_status status,
    const char *why)
{
	memset(res, 0, sizeof(*res));
	res->status = status;
	res->why = why;
}

static void
resolve_from_entry(struct resolve_result *res, const struct dns_entry *e,
    uint16_t port)
{
	if (e->state == DNS_ENTRY_ANSWERED)
		resolve_fill(res, e->addrs, e->naddrs, port);
	else
		resolve_fail(res, RESOLVE_FAILED, e->why);
}

/* The more telling of the two queries' failures. */
static const char *
resolve_why(const struct resolve_lookup *l)
{
	static const int order[] = { DNS_ERR_NOTEXIST, DNS_ERR_NONE,
	    DNS_ERR_SERVERFAILED, DNS_ERR_REFUSED, DNS_ERR_FORMAT,
	    DNS_ERR_TRUNCATED, DNS_ERR_TIMEOUT };
	int err = DNS_ERR_UNKNOWN;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (l->q[0].err == order[i] || l->q[1].err == order[i]) {
			err = order[i];
			break;
		}
	}
	switch (err) {
	case DNS_ERR_NOTEXIST:
		return "name lookup: no such name (DNS)";
	case DNS_ERR_NONE:
		return "name lookup: the name has no address (DNS)";
	case DNS_ERR_SERVERFAILED:
		return "name lookup: DNS server failure";
	case DNS_ERR_REFUSED:
		return "name lookup: refused by the DNS server";
	case DNS_ERR_TIMEOUT:
		return "name lookup: no answer within dns_timeout";
	default:
		return "name lookup failed";
	}
}

/* Settle the entry from what the queries have, and answer the waiters. */
static void
resolve_settle(struct resolve_lookup *l)
{
	struct hosts_addr addrs[DNSCACHE_MAX_ADDRS];
	struct resolve_result res;
	struct dns_entry *e = l->entry;
	unsigned long ttl = DNSCACHE_TTL_MAX;
	size_t n = 0;

	for (int i = 0; i < 2; i++) {
		const struct resolve_query *q = &l->q[i];

		if (q->naddrs == 0)
			continue;
		if (q->ttl < ttl)
			ttl = q->ttl;
		for (size_t k = 0; k < q->naddrs && n < DNSCACHE_MAX_ADDRS;
		    k++)
			addrs[n++] = q->addrs[k];
	}
	if (n > 0)
		dnscache_answer(e, addrs, n, ttl, resolve_now());
	else
		dnscache_fail(e, resolve_why(l), resolve_now());
	l->entry = NULL;
	evtimer_del(l->skew);
	if (e->state == DNS_ENTRY_FAILED)
		log_debug("dns: %s: %s", e->name, e->why);
	/* One result for all: a callback may start a lookup that evicts e. */
	resolve_from_entry(&res, e, 0);
	while (l->waiters != NULL) {
		struct resolve_wait *w = l->waiters;

		l->waiters = w->next;
		if (l->waiters != NULL)
			l->waiters->prev = NULL;
		else
			l->last_waiter = NULL;
		l->nwaiters--;
		for (size_t i = 0; i < res.naddrs; i++)
			/* Same place in sockaddr_in and sockaddr_in6. */
			res.addrs[i].sin.sin_port = htons(w->port);
		w->cb(&res, w->arg);
		free(w);
	}
}

static void
resolve_skew_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_lookup *l = arg;

	(void)fd;
	(void)what;
	if (l->entry != NULL)
		resolve_settle(l);
}

static void
resolve_dns_cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
	struct resolve_query *q = arg;
	struct resolve_lookup *l = q->l;
	struct resolve_query *other = q == &l->q[0] ? &l->q[1] : &l->q[0];
	size_t len = type == DNS_IPv4_A ? 4 : 16;

	q->req = NULL;		/* evdns frees it after this call */
	q->err = result;
	if (result == DNS_ERR_NONE &&
	    (type == DNS_IPv4_A || type == DNS_IPv6_AAAA)) {
		for (int i = 0; i < count && q->naddrs < DNSCACHE_MAX_ADDRS;
		    i++) {
			struct hosts_addr *a = &q->addrs[q->naddrs++];

			a->family = type == DNS_IPv4_A ? AF_INET : AF_INET6;
			memcpy(a->bytes, (const char *)addresses +
			    (size_t)i * len, len);
		}
		q->ttl = ttl > 0 ? (unsigned long)ttl : 0;
	}
	if (l->entry != NULL) {
		if (other->req == NULL) {
			resolve_settle(l);
		} else if (q->naddrs > 0) {
			struct timeval tv = { 0, RESOLVE_SKEW_USEC };

			evtimer_add(l->skew, &tv);
		}
	}
	if (l->entry == NULL && other->req == NULL)
		resolve_lookup_free(l);
}

/* Send the queries for e's name; NULL (e untouched) if none went out. */
static struct resolve_lookup *
resolve_lookup_new(struct resolver *r, struct dns_entry *e)
{
	struct resolve_lookup *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->r = r;
	l->skew = evtimer_new(r->base, resolve_skew_cb, l);
	if (l->skew == NULL) {
		free(l);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		l->q[i].l = l;
		l->q[i].err = DNS_ERR_UNKNOWN;
	}
	/* Same flags as evdns_getaddrinfo: resolv.conf's search list
	 * applies. */
	l->q[0].req = evdns_base_resolve_ipv4(r->dns, e->name, 0,
	    resolve_dns_cb, &l->q[0]);
	l->q[1].req = evdns_base_resolve_ipv6(r->dns, e->name, 0,
	    resolve_dns_cb, &l->q[1]);
	if (l->q[0].req == NULL && l->q[1].req == NULL) {
		event_free(l->skew);
		free(l);
		return NULL;
	}
	/* One query alone is settled by its own answer. */
	l->entry = e;
	e->lookup = l;
	l->next = r->lookups;
	if (r->lookups != NULL)
		r->lookups->prev = l;
	r->lookups = l;
	r->nlookups++;
	return l;
}

struct resolve_wait *
resolve_start(struct resolver *r, const char *host, uint16_t port,
    resolve_fn cb, void *arg, struct resolve_result *res)
{
	struct hosts_addr addrs[DNSCACHE_MAX_ADDRS];
	double now = resolve_now();
	struct resolve_lookup *l;
	struct resolve_wait *w;
	struct dns_entry *e;
	size_t n;

	memset(&addrs[0], 0, sizeof(addrs[0]));
	if (inet_pton(AF_INET, host, addrs[0].bytes) == 1) {
		addrs[0].family = AF_INET;
		resolve_fill(res, addrs, 1, port);
		return NULL;
	}
	if (inet_pton(AF_INET6, host, addrs[0].bytes) == 1) {
		addrs[0].family = AF_INET6;
		resolve_fill(res, addrs, 1, port);
		return NULL;
	}
	e = dnscache_get(r->cache, host, now);
	if (e == NULL) {
		/* /etc/hosts first, as the C library does. */
		n = hosts_lookup(r->hosts, r->hosts_len, host, addrs,
		    DNSCACHE_MAX_ADDRS);
		if (n > 0) {
			e = dnscache_add(r->cache, host);
			if (e != NULL)
				dnscache_answer(e, addrs, n, DNSCACHE_TTL_MAX,
				    now);
			resolve_fill(res, addrs, n, port);
			return NULL;
		}
	}
	if (e != NULL && e->state != DNS_ENTRY_PENDING) {
		resolve_from_entry(res, e, port);
		return NULL;
	}
	if (e == NULL) {
		if (r->nlookups >= RESOLVE_MAX_LOOKUPS) {
			resolve_fail(res, RESOLVE_BUSY, "name lookup: too "
			    "many other names being looked up on this "
			    "worker");
			return NULL;
		}
		e = dnscache_add(r->cache, host);
		if (e == NULL) {
			resolve_fail(res, RESOLVE_FAILED, "name lookup: "
			    "name too long, or out of memory");
			return NULL;
		}
		if (resolve_lookup_new(r, e) == NULL) {
			dnscache_fail(e, "name lookup: cannot send a DNS "
			    "query", now);
			resolve_from_entry(res, e, port);
			return NULL;
		}
	}
	l = e->lookup;
	if (l->nwaiters >= RESOLVE_MAX_WAITERS) {
		resolve_fail(res, RESOLVE_BUSY, "name lookup: too many "
		    "sessions waiting for this name");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		resolve_fail(res, RESOLVE_BUSY, "out of memory");
		return NULL;
	}
	w->l = l;
	w->cb = cb;
	w->arg = arg;
	w->port = port;
	w->prev = l->last_waiter;
	if (l->last_waiter != NULL)
		l->last_waiter->next = w;
	else
		l->waiters = w;
	l->last_waiter = w;
	l->nwaiters++;
	return w;
}

void
resolve_cancel(struct resolve_wait *w)
{
	struct resolve_lookup *l;

	if (w == NULL)
		return;
	l = w->l;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		l->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		l->last_waiter = w->prev;
	l->nwaiters--;
	free(w);
}
