/* upstream.c -- connecting to a session's target: the name looked up, its addresses tried in turn, then TLS */
#include "upstream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "balance.h"
#include "config_types.h"
#include "monotime.h"
#include "allow.h"
#include "metrics.h"
#include "proxy_proto.h"
#include "resolve.h"
#include "sockaddr.h"
#include "target.h"
#include "tls.h"

struct upstream {
	struct event_base *base;
	struct target t;
	upstream_fn fn;
	void *arg;
	struct bufferevent *bev;	/* the connection; owned until taken */
	struct event *connecting;	/* a TCP connect not yet answered */
	bool tls;			/* bev is the TLS one */
	struct resolve_wait *wait;	/* the lookup, until it answers */
	struct resolve_result addrs;
	size_t next;			/* the address to try next */
	int fail;			/* why it failed: metrics.h's class */

	/* Several backends (t.nbackends > 1): */
	struct resolver *resolver;
	uint8_t order[TARGET_BACKENDS_MAX];	/* balance_order() */
	unsigned cur;			/* order[cur] is in t */
	struct event *slice;		/* its share of the time, but the
					 * last one's (the session's timer) */
	struct timeval started;		/* monotonic */
};

static void upstream_connect_done(struct upstream *up, int err);
static int upstream_next_backend(struct upstream *up, int status,
    const char *why);

/* This backend failed: with several, the next one is tried (reported as
 * UPSTREAM_NEXT); else, or when it was the last, the attempt failed. */
static void
upstream_failed(struct upstream *up, int status, const char *why)
{
	char all[512];

	if (up->t.nbackends > 1) {
		if (upstream_next_backend(up, status, why) == 0)
			return;
		snprintf(all, sizeof(all), "%s (all %u backends failed)", why,
		    up->t.nbackends);
		why = all;
	}
	up->fn(up->arg, UPSTREAM_FAILED, status, why);
}

static void upstream_mark(struct upstream *up, bool down);

static void
upstream_connected(struct upstream *up)
{
	if (up->t.nbackends > 1) {
		if (up->slice != NULL)
			evtimer_del(up->slice);
		upstream_mark(up, false);
	}
	up->fn(up->arg, UPSTREAM_CONNECTED, 0, NULL);
}

static void
upstream_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct upstream *up = arg;
	char why[256], msg[300];

	if (what & BEV_EVENT_CONNECTED) {
		upstream_connected(up);
		return;
	}
	snprintf(msg, sizeof(msg), "TLS handshake failed: %s",
	    tls_error(bev, what, why, sizeof(why)));
	up->fail = METRICS_CF_TLS;
	upstream_failed(up, 502, msg);
}

/* TCP is up: run TLS over the same socket.  Doing TCP first keeps the
 * errors apart: "connection refused" vs "certificate verify failed". */
static void
upstream_start_tls(struct upstream *up)
{
	int fd = bufferevent_getfd(up->bev);

	/* Detach the socket so that freeing the TCP bufferevent leaves it
	 * open for the TLS one. */
	bufferevent_setfd(up->bev, -1);
	bufferevent_free(up->bev);
	up->bev = tls_backend_new(up->base, &up->t, fd);
	if (up->bev == NULL) {
		up->fail = METRICS_CF_TLS;
		upstream_failed(up, 502, "cannot start TLS");
		return;
	}
	up->tls = true;
	bufferevent_setcb(up->bev, NULL, NULL, upstream_tls_event_cb, up);
}

/* The wait for a TCP connect (if any) ends. */
static void
upstream_stop_waiting(struct upstream *up)
{
	if (up->connecting != NULL)
		event_free(up->connecting);
	up->connecting = NULL;
}

/* Why a connect that was answered failed: 0 if it did not. */
static int
upstream_socket_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ? errno :
	    err;
}

static void
upstream_connecting_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *up = arg;

	(void)what;
	upstream_stop_waiting(up);
	upstream_connect_done(up, upstream_socket_error(fd));
}

/*
 * Start a TCP connect on up->bev's behalf: 0 when it was started (its
 * socket is then the bufferevent's), else -1 with errno.  *done: the
 * answer is already known (*err: 0 connected, else why not).
 *
 * On loopback, and to a host on the same machine behind a bridge, the
 * kernel runs the whole three-way handshake inside connect(2), which
 * still says EINPROGRESS: a poll(2) with no timeout then finds it done.
 * That saves arming a write event, a loop iteration and the SO_ERROR
 * query, and the 101 goes out in the same wakeup as the request was
 * read.  A remote backend costs one poll(2) more than before.
 */
static int
upstream_tcp_connect(struct upstream *up, const struct sockaddr *sa,
    socklen_t len, bool *done, int *err)
{
	int one = 1;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	struct pollfd p;

	*done = false;
	*err = 0;
	if (fd < 0)
		return -1;
	/* Before connect: nothing to wait for, no call after. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, sa, len) != 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	bufferevent_setfd(up->bev, fd);
	p.fd = fd;
	p.events = POLLOUT;
	p.revents = 0;
	if (poll(&p, 1, 0) == 1) {
		*done = true;
		if ((p.revents & (POLLERR | POLLHUP)) != 0 &&
		    (*err = upstream_socket_error(fd)) == 0)
			*err = ECONNREFUSED;
		return 0;
	}
	up->connecting = event_new(up->base, fd, EV_WRITE,
	    upstream_connecting_cb, up);
	if (up->connecting == NULL || event_add(up->connecting, NULL) != 0) {
		upstream_stop_waiting(up);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * Connect to the next address that takes a connect attempt.  A socket
 * whose connect failed cannot be used again: then a fresh bufferevent
 * replaces it.  Returns -1 with every address tried; errno-style text in
 * *why.  A connect answered at once is reported (up->fn) before this
 * returns 0: the caller must not touch up after that.
 */
static int
upstream_try_next(struct upstream *up, const char **why)
{
	while (up->next < up->addrs.naddrs) {
		const union resolve_sockaddr *a = &up->addrs.addrs[up->next++];
		socklen_t len = a->sa.sa_family == AF_INET ?
		    sizeof(a->sin) : sizeof(a->sin6);
		bool done;
		int err;

		upstream_stop_waiting(up);
		if (bufferevent_getfd(up->bev) >= 0) {
			struct bufferevent *bev = bufferevent_socket_new(
			    up->base, -1, BEV_OPT_CLOSE_ON_FREE);

			if (bev == NULL) {
				*why = "out of memory";
				return -1;
			}
			bufferevent_free(up->bev);
			up->bev = bev;
		}
		if (upstream_tcp_connect(up, &a->sa, len, &done, &err) == 0) {
			if (done)
				upstream_connect_done(up, err);
			return 0;
		}
		up->fail = errno == ECONNREFUSED ? METRICS_CF_REFUSED :
		    METRICS_CF_OTHER;
		*why = strerror(errno);
	}
	return -1;
}

/*
 * The route's PROXY header (proxy_protocol = v1|v2), before any other
 * byte, TLS included: written to the socket at once.  A connection just
 * made has an empty send buffer, so a header of at most a few hundred
 * bytes goes whole, or the connection is of no use.
 */
static int
upstream_send_proxy(struct upstream *up)
{
	const struct sockaddr *src = (const struct sockaddr *)&up->t.proxy_src;
	const struct sockaddr *dst = (const struct sockaddr *)&up->t.proxy_dst;
	uint8_t hdr[PROXY_V1_MAX + 256];
	size_t n;

	if (src->sa_family != AF_INET && src->sa_family != AF_INET6)
		src = dst = NULL;	/* UNKNOWN (v1), LOCAL (v2) */
	n = up->t.proxy == TARGET_PROXY_V1 ?
	    proxy_proto_encode_v1(src, dst, hdr, sizeof(hdr)) :
	    proxy_proto_encode_v2(src, dst, NULL, hdr, sizeof(hdr));
	return n > 0 && send(bufferevent_getfd(up->bev), hdr, n,
	    MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* A TCP or unix connect was answered: err 0, connected. */
static void
upstream_connect_done(struct upstream *up, int err)
{
	const char *why;

	if (err == 0) {
		if (up->t.proxy != TARGET_PROXY_NONE &&
		    upstream_send_proxy(up) != 0) {
			upstream_failed(up, 502, "cannot send the PROXY header");
			return;
		}
		if (up->t.tls)
			upstream_start_tls(up);
		else
			upstream_connected(up);
		return;
	}
	why = strerror(err);
	up->fail = err == ECONNREFUSED ? METRICS_CF_REFUSED :
	    METRICS_CF_OTHER;
	if (up->next < up->addrs.naddrs) {
		char addr[SOCKADDR_STRLEN], msg[SOCKADDR_STRLEN + 128];

		snprintf(msg, sizeof(msg), "%s: %s", sockaddr_format(
		    &up->addrs.addrs[up->next - 1].sa, addr, sizeof(addr)),
		    why);
		up->fn(up->arg, UPSTREAM_RETRY, 0, msg);
		if (upstream_try_next(up, &why) == 0)
			return;
	}
	upstream_failed(up, 502, why);
}

/* A name a token named, allowed by range entries only: every address
 * it has must be in one (allow.h), or none is connected to. */
static bool
upstream_addresses_allowed(const struct upstream *up,
    const struct resolve_result *res)
{
	if (up->t.allow == NULL)
		return true;
	for (size_t i = 0; i < res->naddrs; i++)
		if (!allow_address(up->t.allow, up->t.nallow,
		    &res->addrs[i].sa))
			return false;
	return res->naddrs > 0;
}

static void
upstream_resolved(struct upstream *up, const struct resolve_result *res)
{
	const char *why;

	if (res->status != RESOLVE_OK) {
		up->fail = res->status == RESOLVE_BUSY ? METRICS_CF_OTHER :
		    METRICS_CF_DNS;
		upstream_failed(up, res->status == RESOLVE_BUSY ? 503 : 502,
		    res->why);
		return;
	}
	if (!upstream_addresses_allowed(up, res)) {
		upstream_failed(up, 403, "an address of the name is not in "
		    "allowed_targets");
		return;
	}
	up->addrs = *res;
	up->next = 0;
	if (upstream_try_next(up, &why) != 0)
		upstream_failed(up, 502, why);
}

static void
upstream_resolved_cb(const struct resolve_result *res, void *arg)
{
	struct upstream *up = arg;

	up->wait = NULL;	/* the resolver frees it */
	upstream_resolved(up, res);
}

struct upstream *
upstream_new(struct event_base *base, const struct target *t,
    upstream_fn fn, void *arg)
{
	struct upstream *up = calloc(1, sizeof(*up));

	if (up == NULL)
		return NULL;
	/* The first connect attempt gives it its socket. */
	up->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (up->bev == NULL) {
		free(up);
		return NULL;
	}
	up->base = base;
	up->t = *t;
	up->fn = fn;
	up->arg = arg;
	up->fail = METRICS_CF_OTHER;
	return up;
}

/*
 * A unix socket: no lookup, one address, and connect(2) answers at once
 * (a listening socket takes it or refuses it), so it is done here rather
 * than by bufferevent_socket_connect, whose way of reporting a connect
 * that fails at once differs between libevent versions (an event
 * callback run inside the call, or deferred, or none).
 */
static void
upstream_connect_unix(struct upstream *up)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	if (fd < 0 || connect(fd, &up->t.addr.sa, up->t.addrlen) != 0) {
		/* EAGAIN: its listen queue is full; nothing to wait for. */
		const char *why = strerror(errno);

		if (fd >= 0)
			close(fd);
		upstream_failed(up, 502, why);
		return;
	}
	bufferevent_setfd(up->bev, fd);
	upstream_connect_done(up, 0);
}

/* Connect to the target as it is now in up->t. */
static void
upstream_connect(struct upstream *up, struct resolver *r)
{
	const struct target *t = &up->t;
	struct resolve_result res;

	if (t->kind == TARGET_UNIX) {
		upstream_connect_unix(up);
		return;
	}
	if (t->addrlen != 0 && t->addrlen <= sizeof(res.addrs[0])) {
		memset(&res, 0, sizeof(res));
		res.status = RESOLVE_OK;
		res.naddrs = 1;
		memcpy(&res.addrs[0], &t->addr, t->addrlen);
	} else {
		up->wait = resolve_start(r, t->host, t->port,
		    upstream_resolved_cb, up, &res);
		if (up->wait != NULL)
			return;
	}
	upstream_resolved(up, &res);
}

int
upstream_fail_class(const struct upstream *up)
{
	return up->fail;
}

/* ---- several backends ---- */

static int64_t
upstream_now_ms(void)
{
	struct timeval now;

	monotime_now(&now);
	return (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000;
}

/* Passive health: a failed backend is skipped by new sessions for
 * retry_after; one that answered is not. */
static void
upstream_mark(struct upstream *up, bool down)
{
	struct backend_health *h = up->t.health;
	unsigned i = up->order[up->cur];

	if (h == NULL)
		return;
	if (down && up->t.retry_after > 0)
		atomic_store(&h->down_until[i], upstream_now_ms() +
		    (int64_t)(up->t.retry_after * 1000));
	else if (!down && atomic_load(&h->down_until[i]) != 0)
		atomic_store(&h->down_until[i], 0);
}

/* Put backends[order[cur]] in up->t. */
static void
upstream_load_backend(struct upstream *up)
{
	struct target *t = &up->t;
	const struct route_backend *b = &t->backends[up->order[up->cur]];

	t->kind = b->unix_path ? TARGET_UNIX : TARGET_TCP;
	snprintf(t->host, sizeof(t->host), "%s", b->host);
	t->port = (uint16_t)atoi(b->port);
	memset(&t->addr, 0, sizeof(t->addr));
	t->addrlen = 0;
	if (b->addrlen != 0 && b->addrlen <= sizeof(t->addr)) {
		memcpy(&t->addr, &b->addr, b->addrlen);
		t->addrlen = b->addrlen;
	}
	snprintf(t->display, sizeof(t->display), "%s", b->text);
}

static void
upstream_slice_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	upstream_failed(arg, 504, "connect timed out (its share of "
	    "backend_connect_timeout)");
}

/*
 * Connect to the current backend.  Each but the last gets an even share
 * of what is left of backend_connect_timeout, so that one that never
 * answers leaves time for the others; the last has the rest (the
 * session's timer: 504).
 */
static void
upstream_attempt(struct upstream *up)
{
	unsigned left = up->t.nbackends - up->cur;

	if (up->slice != NULL && left > 1) {
		struct timeval now, tv;
		double share;

		monotime_now(&now);
		share = (up->t.limits->backend_connect_timeout -
		    monotime_elapsed(&up->started, &now)) / left;
		if (share < 0.001)
			share = 0.001;
		tv.tv_sec = (time_t)share;
		tv.tv_usec = (suseconds_t)((share - (double)tv.tv_sec) * 1e6);
		evtimer_add(up->slice, &tv);
	} else if (up->slice != NULL) {
		evtimer_del(up->slice);
	}
	upstream_connect(up, up->resolver);
}

/* Mark the current backend down (unless the lookup was refused here: 503,
 * no fault of its own) and move to the next: 0, or -1 when it was the
 * last (or the next cannot be started). */
static int
upstream_next_backend(struct upstream *up, int status, const char *why)
{
	char msg[600];

	if (status != 503)
		upstream_mark(up, true);
	if (up->cur + 1 >= up->t.nbackends)
		return -1;
	snprintf(msg, sizeof(msg), "%s: %s; trying %s", up->t.display, why,
	    up->t.backends[up->order[up->cur + 1]].text);
	/* Its lookup, its connection (plain or TLS) go. */
	resolve_cancel(up->wait);
	up->wait = NULL;
	upstream_stop_waiting(up);
	if (up->bev != NULL)
		bufferevent_free(up->bev);
	up->bev = bufferevent_socket_new(up->base, -1, BEV_OPT_CLOSE_ON_FREE);
	up->tls = false;
	up->next = 0;
	up->addrs.naddrs = 0;
	if (up->bev == NULL)
		return -1;
	up->fn(up->arg, UPSTREAM_NEXT, 0, msg);
	up->cur++;
	upstream_load_backend(up);
	upstream_attempt(up);
	return 0;
}

/* The order to try the route's backends in (balance, health). */
static void
upstream_plan(struct upstream *up)
{
	struct backend_health *h = up->t.health;
	int64_t down[TARGET_BACKENDS_MAX];
	unsigned n = up->t.nbackends, start = 0;

	for (unsigned i = 0; i < n; i++)
		down[i] = atomic_load(&h->down_until[i]);
	if (up->t.balance == BALANCE_ROUND_ROBIN)
		start = atomic_fetch_add(&h->next, 1);
	balance_order(n, start, down, upstream_now_ms(), up->order);
	up->cur = 0;
	monotime_now(&up->started);
	up->slice = evtimer_new(up->base, upstream_slice_cb, up);
	upstream_load_backend(up);
}

void
upstream_start(struct upstream *up, struct resolver *r)
{
	up->resolver = r;
	if (up->t.nbackends > 1 && up->t.health != NULL &&
	    up->t.nbackends <= TARGET_BACKENDS_MAX) {
		upstream_plan(up);
		upstream_attempt(up);
		return;
	}
	up->t.nbackends = 0;
	upstream_connect(up, r);
}

const struct target *
upstream_target(const struct upstream *up)
{
	return &up->t;
}

struct bufferevent *
upstream_take(struct upstream *up, bool *tls)
{
	struct bufferevent *bev = up->bev;

	upstream_stop_waiting(up);
	up->bev = NULL;
	*tls = up->tls;
	if (bev != NULL)
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	return bev;
}

void
upstream_free(struct upstream *up)
{
	if (up == NULL)
		return;
	resolve_cancel(up->wait);
	upstream_stop_waiting(up);
	if (up->bev != NULL)
		bufferevent_free(up->bev);
	if (up->slice != NULL)
		event_free(up->slice);
	free(up);
}
