/* front.c -- the HTTP front door: the TLS peek, the request, plain answers (health, web_root files, 426, errors), admission and the 101 */
#include "front.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "auth.h"
#include "basic_auth.h"
#include "cidr.h"
#include "clientlimit.h"
#include "config_types.h"
#include "cidr.h"
#include "download.h"
#include "forwarded.h"
#include "gateway.h"
#include "handshake.h"
#include "ipaddr.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "pending.h"
#include "plain.h"
#include "proxy_proto.h"
#include "ratelimit.h"
#include "route.h"
#include "side.h"
#include "sockaddr.h"
#include "tls.h"
#include "webresp.h"
#include "webroot.h"

/* Retry-After of a 429 for max_connections_per_client: a guess, since
 * nothing says when one of the client's sessions will end. */
#define FRONT_RETRY_SESSIONS 5

struct front {
	struct gateway *gw;
	const struct config *cfg;
	struct side *client;		/* the session's */
	/* The session's text of the client's address: the peer's, or the
	 * one a trusted proxy names (front_forwarded). */
	char *peer;
	struct sockaddr_storage sa;	/* the peer's (or the PROXY header's) */
	/* Where it connected (or the header's): only a PROXY header to
	 * the backend needs it, so it is asked for then (dst_known). */
	struct sockaddr_storage dst;
	bool dst_known;
	/* The connection's own client (the peer, or its PROXY header's),
	 * which each request on a kept-alive connection starts from: a
	 * proxy may send several clients' requests over one. */
	struct sockaddr_storage peer_sa;
	char peer_text[SOCKADDR_STRLEN];
	/* A PROXY listener: waiting for the header (pp: its bytes so far,
	 * PROXY_HEADER_MAX), before the TLS peek or the request. */
	struct event *proxy_ev;
	uint8_t *pp;
	size_t pp_len;
	bool tls_listener;
	struct timeval started;		/* accepted (monotonic) */
	struct timeval req_started;	/* this request's first byte (the
					 * accept for the first request) */
	front_fn fn;
	void *arg;

	/* A max_handshakes slot, until the request is admitted or the
	 * connection goes (pending.h). */
	struct pending_link pending;
	/* A max_connections_per_client place, from the moment the client's
	 * address is known until the front ends or hands it to the session
	 * (front_client_hand): one per connection, given back once. */
	bool holds_client;
	uint32_t client_bucket;
	struct event *peek;		/* TLS listener: waiting for the first
					 * byte, before the client side has a
					 * connection */
	struct download *download;	/* SENDING: the file (owned) */
	char *web_path;			/* SENDING: escaped, for the log */
	struct timeval progress;	/* SENDING: the client last took bytes */
	const struct route *route;	/* the request's, once known */
	int status;			/* the answer's */
	/* The answer's class for the metrics: admission's, or -1 (by
	 * status, admit_reject_class). */
	int reject;
	bool got_bytes;			/* any request bytes arrived */
	bool tls_ready;			/* the client's TLS handshake is done */
	bool h2;			/* ALPN offers h2 (LISTEN_H2) */
	/* Keep-alive (plain requests): requests answered or being answered
	 * on this connection; whether the answer going out keeps it open;
	 * whether it is being written before the next request is read. */
	unsigned requests;
	bool keep;
	bool idle_wait;
	/* Admitted: for the 101, or for an answer after the request buffer
	 * is gone (backend down; the Origin truncated). */
	char subprotocol[SUBPROTO_NAME_MAX + 1];	/* "": none */
	char accept[HS_ACCEPT_LEN + 1];
	char origin[128];
	size_t origin_len;
	/* auth_basic_file: the client's address group (failed logins are
	 * limited by it), the check in flight, and whether this request's
	 * credentials were good. */
	struct cidr client_key;
	struct auth_job *auth_job;
	bool auth_ok;
	const char *auth_realm;		/* in cfg; NULL: "wsgate" */
	const char *auth_what;		/* "route=NAME", or "web_root" */
	char auth_route[80];
	char auth_path[128];		/* the request's, for the log */
	size_t auth_path_len;
};

static void
front_report(struct front *f, enum front_event ev,
    const struct admit_result *res)
{
	f->fn(f->arg, ev, res);
}

static struct bufferevent *
front_bev(const struct front *f)
{
	return f->client->bev;
}

/* ---- the max_handshakes budget (pending.h) ---- */

/* A flood would write a line per connection: one a second is enough. */
static bool
front_may_warn(struct gateway *gw)
{
	time_t now = time(NULL);

	if (now == gw->pending_warned)
		return false;
	gw->pending_warned = now;
	return true;
}

static const char *const pending_stage_names[] = {
	[PENDING_IDLE] = "was kept alive, waiting for a next request",
	[PENDING_SILENT] = "had sent nothing",
	[PENDING_PARTIAL] = "had sent part of a request",
	[PENDING_ANSWERED] = "was being answered",
};

/*
 * Take a pending slot for a new connection.  When this loop's share of
 * the budget is spent, its longest-waiting idle connection makes room
 * (its session is told FRONT_GONE), so a client that sends its request
 * at once still gets its answer while idle connections flood in; but a
 * new connection whose address already holds max_handshakes_per_client
 * is closed at once instead.
 */
static int
front_admit(struct front *f, const struct sockaddr *sa)
{
	struct gateway *gw = f->gw;
	struct pending_budget *b = &gw->shared->pending;
	struct pending_link *evict;
	struct front *old;

	if (pending_admit(b, &gw->pending, &f->pending, sa, &evict) != 0) {
		if (front_may_warn(gw))
			log_warn("client=%s: connection closed at once: "
			    "max_handshakes (%u) reached, and its address "
			    "already has max_handshakes_per_client (%u) "
			    "connections not yet upgraded", f->peer,
			    atomic_load(&b->max),
			    atomic_load(&b->max_per_client));
		else
			log_debug("client=%s: connection closed at once "
			    "(max_handshakes_per_client)", f->peer);
		return -1;
	}
	if (evict == NULL)
		return 0;
	old = (struct front *)((char *)evict - offsetof(struct front,
	    pending));
	if (front_may_warn(gw))
		log_warn("max_handshakes (%u) reached: closing client=%s, "
		    "which %s, for a new connection (worker %u's share: %u)",
		    atomic_load(&b->max), old->peer,
		    pending_stage_names[old->pending.stage], gw->id,
		    pending_share(b, gw->id));
	else
		log_debug("client=%s closed for a new connection "
		    "(max_handshakes); it %s", old->peer,
		    pending_stage_names[old->pending.stage]);
	front_report(old, FRONT_GONE, NULL);
	return 0;
}

static void
front_release(struct front *f)
{
	pending_release(&f->gw->shared->pending, &f->gw->pending,
	    &f->pending);
}

/* ---- answers ---- */

/* Queue an HTTP error answer and log it (the caller lingers). */
static void front_respond_extra(struct front *f, int status, const char *why,
    const char *extra, const char *path, size_t pathlen, const char *origin,
    size_t olen);

static void
front_respond(struct front *f, int status, const char *why,
    const char *path, size_t pathlen, const char *origin, size_t olen)
{
	front_respond_extra(f, status, why, "", path, pathlen, origin, olen);
}

/* The same, with more header lines (extra: each ending in CRLF). */
static void
front_respond_extra(struct front *f, int status, const char *why,
    const char *extra, const char *path, size_t pathlen, const char *origin,
    size_t olen)
{
	char buf[1024];
	char epath[128], eorigin[160];
	/* Say why to the client only for its own mistakes (4xx). */
	size_t n = handshake_write_error_extra(buf, sizeof(buf), status,
	    status < 500 ? why : NULL, extra);

	f->status = status;
	if (status != 200)
		f->gw->stats.rejected++;
	if (status >= 400)
		metrics_reject(f->gw->metrics, status, f->reject >= 0 ?
		    (enum metrics_reject)f->reject :
		    admit_reject_class(status));
	if (n > 0)
		bufferevent_write(front_bev(f), buf, n);
	log_escape(epath, sizeof(epath), path, pathlen);
	log_escape(eorigin, sizeof(eorigin), origin, olen);
	log_msg(status >= 500 ? LL_WARN : LL_INFO,
	    "reject client=%s status=%d path=\"%s\" origin=\"%s\" route=%s "
	    "reason=\"%s\"", f->peer, status, epath, eorigin,
	    f->route != NULL ? f->route->name : "-", why);
}

/* Answered: the connection lingers, among the last to give way
 * (pending.h). */
static void
front_answered(struct front *f, const struct admit_result *res)
{
	pending_advance(&f->gw->pending, &f->pending, PENDING_ANSWERED);
	front_report(f, FRONT_ANSWERED, res);
}

static void
front_reject(struct front *f, int status, const char *why)
{
	front_respond(f, status, why, "", 0, "", 0);
	front_answered(f, NULL);
}

void
front_fail(struct front *f, int status, const char *why)
{
	/* The route matched the request path exactly, so it is that path. */
	front_respond(f, status, why, f->route->path, strlen(f->route->path),
	    f->origin, f->origin_len);
}

/*
 * The one line per web_root or health response, once it has been written
 * (or has ended early): at debug for complete answers, else at level.
 */
static void
front_log_web(struct front *f, enum log_level level, const char *epath,
    uint64_t bytes, const char *why)
{
	struct timeval now;

	if (!log_enabled(level))
		return;
	monotime_now(&now);
	log_msg(level, "web client=%s status=%d path=\"%s\" bytes=%llu "
	    "duration=%.3fs%s%s%s", f->peer, f->status, epath,
	    (unsigned long long)bytes, monotime_elapsed(&f->req_started, &now),
	    why != NULL ? " reason=\"" : "", why != NULL ? why : "",
	    why != NULL ? "\"" : "");
}

/* ---- web_root files: SENDING, for as long as the client takes them ---- */

/* Log the download's end and free it; bytes: those that will have been
 * handed to the connection. */
static void
front_send_end(struct front *f, enum log_level level, bool queued_too,
    const char *why)
{
	uint64_t bytes = download_sent(f->download);

	if (queued_too)
		bytes += evbuffer_get_length(bufferevent_get_output(
		    front_bev(f)));
	front_log_web(f, level, f->web_path, bytes, why);
	download_free(f->download);
	f->download = NULL;
	free(f->web_path);
	f->web_path = NULL;
}

void
front_send_cut(struct front *f, const char *why)
{
	front_send_end(f, LL_INFO, true, why);
}

static void front_client_cb(void *arg, enum side_event ev);
static void front_keepalive(struct front *f);

/* download.c's report.  A body cut short still gets what is queued, then
 * the connection closes: less than its Content-Length. */
static void
front_send_ended(void *arg, enum download_end how, const char *why)
{
	struct front *f = arg;

	switch (how) {
	case DOWNLOAD_DONE:
		if (f->keep) {
			front_send_end(f, LL_DEBUG, true, NULL);
			side_drive(f->client, front_client_cb, f);
			front_keepalive(f);
			return;
		}
		/* FALLTHROUGH */
	case DOWNLOAD_CUT:
		front_send_end(f, how == DOWNLOAD_DONE ? LL_DEBUG : LL_WARN,
		    true, why);
		front_answered(f, NULL);
		return;
	case DOWNLOAD_GONE:
		front_send_end(f, LL_INFO, false, why);
		front_report(f, FRONT_GONE, NULL);
		return;
	}
}

/*
 * A client is stalled when nothing left its queue and the kernel's send
 * queue did not move for send_timeout.  Only then, not after a fixed
 * total time: a slow link gets the whole file.
 */
double
front_send_check(struct front *f)
{
	double limit = f->cfg->send_timeout;
	struct timeval now;
	double quiet;
	char why[96];
	/* Or the kernel would go on offering the queued rest to a peer that
	 * does not read it. */
	struct linger lg = { 1, 0 };

	if (download_progressed(f->download))
		monotime_now(&f->progress);
	monotime_now(&now);
	quiet = monotime_elapsed(&f->progress, &now);
	if (quiet + 0.001 < limit)
		return limit - quiet < FRONT_SEND_CHECK ? limit - quiet :
		    FRONT_SEND_CHECK;
	snprintf(why, sizeof(why), "send_timeout: the client took nothing "
	    "for %.1fs", quiet);
	front_send_end(f, LL_INFO, false, why);
	setsockopt(bufferevent_getfd(front_bev(f)), SOL_SOCKET, SO_LINGER,
	    &lg, sizeof(lg));
	return 0;
}

/* Send the web_root file fd (its head is queued) as the client drains. */
static void
front_send_file(struct front *f, int fd, const struct stat *st,
    const char *epath, size_t used)
{
	struct evbuffer *in = bufferevent_get_input(front_bev(f));
	char why[256];

	/* The request: what follows it is the next request (keep-alive),
	 * or discarded in linger. */
	evbuffer_drain(in, used);
	f->web_path = strdup(epath);
	if (f->web_path == NULL) {
		close(fd);
		snprintf(why, sizeof(why), "out of memory");
	} else {
		f->download = download_start(front_bev(f), f->client->tls, fd,
		    st, front_send_ended, f, why, sizeof(why));
	}
	if (f->download == NULL) {
		front_log_web(f, LL_WARN, epath, evbuffer_get_length(
		    bufferevent_get_output(front_bev(f))), why);
		free(f->web_path);
		f->web_path = NULL;
		front_answered(f, NULL);
		return;
	}
	/* Still a connection before any upgrade: it counts against
	 * max_handshakes, and is among the last to be closed for room. */
	pending_advance(&f->gw->pending, &f->pending, PENDING_ANSWERED);
	monotime_now(&f->progress);
	front_report(f, FRONT_SENDING, NULL);
}

/* ---- keep-alive: the next request on the same connection ---- */

static void front_read(struct front *f);
static int front_auth_with(struct front *f, const struct hs_request *req,
    const struct htpasswd *table, const char *realm, const char *what);

/* The answer is written: read the next request (one may be there
 * already, pipelined). */
static void
front_resume(struct front *f)
{
	struct evbuffer *in = bufferevent_get_input(front_bev(f));

	f->idle_wait = false;
	if (f->gw->draining) {
		/* Closing an idle connection is always allowed (RFC 9112
		 * 9.6); linger so that nothing sent is lost. */
		front_answered(f, NULL);
		return;
	}
	/* Idle: the first to give way to a newcomer (pending.h). */
	pending_idle(&f->gw->pending, &f->pending);
	bufferevent_enable(front_bev(f), EV_READ);
	if (evbuffer_get_length(in) > 0)
		front_read(f);
}

/*
 * The answer (queued, or sent) keeps the connection: once it is written,
 * read the next request.  Nothing is read meanwhile, so pipelined requests
 * are answered one at a time, each after the previous answer left: a
 * client that sends many and reads none holds one answer and
 * max_request_bytes of requests, never more.
 */
static void
front_keepalive(struct front *f)
{
	f->keep = false;
	f->got_bytes = false;
	f->route = NULL;
	/* Per request: the next one shows its own credentials (a proxy in
	 * front may carry several users' requests on one connection), and
	 * has no answer yet (front_auth_done_cb looks). */
	f->auth_ok = false;
	f->status = 0;
	f->idle_wait = true;
	pending_advance(&f->gw->pending, &f->pending, PENDING_ANSWERED);
	bufferevent_disable(front_bev(f), EV_READ);
	front_report(f, FRONT_IDLE, NULL);
	if (evbuffer_get_length(bufferevent_get_output(front_bev(f))) == 0)
		front_resume(f);
}

/* An answer to a plain request is queued: used bytes were its request. */
static void
front_done(struct front *f, bool keep, size_t used)
{
	if (!keep) {
		front_answered(f, NULL);
		return;
	}
	evbuffer_drain(bufferevent_get_input(front_bev(f)), used);
	front_keepalive(f);
}

bool
front_idle(const struct front *f)
{
	return f->requests > 0 && !f->got_bytes && !f->idle_wait &&
	    f->download == NULL;
}

/* ---- plain GET and HEAD: every answer that is not an upgrade is decided here ---- */

/* A web_root answer (webroot.c decides it, webresp.c writes it). */
static void
front_web(struct front *f, const struct hs_request *req, size_t used,
    bool keep, const char *epath)
{
	struct evbuffer *out = bufferevent_get_output(front_bev(f));
	const char *cc = f->cfg->web_cache_control.s != NULL ?
	    f->cfg->web_cache_control.s : "no-cache";
	/* A 301's Location is a path of up to PATH_MAX. */
	char head[4096 + 1024];
	struct webroot_answer a;
	size_t n;

	/* [gateway] auth_basic_file: the page asks, as its route does (the
	 * same realm and file: one login). */
	if (front_auth_with(f, req, f->cfg->auth_basic,
	    f->cfg->auth_basic_realm.s, "web_root") != 0)
		return;
	webroot_answer(f->cfg->web_root, req, &a);
	f->status = a.status;
	if (a.status >= 500)
		keep = false;
	if (a.status == 200 || a.status == 304)
		n = webresp_write_head(&a.web, a.content_type, cc,
		    (int64_t)time(NULL), keep, head, sizeof(head));
	else
		n = webresp_write_error(a.status, a.detail, a.location,
		    a.location_len, req->head, keep, head, sizeof(head));
	if (n == 0) {
		if (a.fd >= 0)
			close(a.fd);
		f->status = 500;
		keep = false;
		a.fd = -1;
		a.why = "response head too long";
		n = handshake_write_error(head, sizeof(head), 500, NULL);
	}
	metrics_web(f->gw->metrics, f->status);
	bufferevent_write(front_bev(f), head, n);
	if (a.fd >= 0) {
		f->keep = keep;
		front_send_file(f, a.fd, &a.st, epath, used);
		return;
	}
	front_log_web(f, f->status >= 500 ? LL_WARN : f->status >= 400 ?
	    LL_INFO : LL_DEBUG, epath, evbuffer_get_length(out), a.why);
	front_done(f, keep, used);
}

/*
 * A plain GET or HEAD over HTTP/1.1.  What the answer is comes from pure
 * code any transport can share (plain_decide, plain_keep_alive; for
 * web_root, webroot_answer's description and webresp_fields); only the
 * writing, the download and keep-alive are HTTP/1.1's, here.
 */
static void
front_plain_get(struct front *f, const struct hs_request *req, size_t used)
{
	struct plain_answer pa;
	char buf[512], epath[128];
	bool keep;
	size_t n;

	keep = plain_keep_alive(f->cfg, req, f->requests, f->gw->draining);
	log_escape(epath, sizeof(epath), req->path.p, req->path.n);
	plain_decide(f->cfg, f->gw->draining, req->path.p, req->path.n, &pa);
	switch (pa.kind) {
	case PLAIN_HEALTH:
		f->status = pa.status;
		n = handshake_write_response(buf, sizeof(buf), f->status,
		    "text/plain", strlen(pa.body), keep);
		bufferevent_write(front_bev(f), buf, n);
		if (!req->head)
			bufferevent_write(front_bev(f), pa.body,
			    strlen(pa.body));
		metrics_web(f->gw->metrics, f->status);
		front_log_web(f, LL_DEBUG, epath, n + (req->head ? 0 :
		    strlen(pa.body)), NULL);
		front_done(f, keep, used);
		return;
	case PLAIN_WEB_ROOT:
		front_web(f, req, used, keep, epath);
		return;
	case PLAIN_WEBSOCKET_ONLY:
	case PLAIN_NO_ROUTE:
		front_respond(f, pa.status, pa.why, req->path.p, req->path.n,
		    "", 0);
		front_answered(f, NULL);
		return;
	}
}

/* ---- the upgrade: admission, then the session connects ---- */

/* admit.h's view of the client certificate. */
static int
front_client_cert(void *arg, char *const *names, size_t n, char *who,
    size_t whosize)
{
	struct front *f = arg;

	return tls_peer_name_allowed(front_bev(f), names, n, who, whosize);
}

/*
 * new_connections_per_client (a token bucket per client, shared by the
 * workers under a lock: one uncontended lock per upgrade request, only
 * when the limit is set).  0, or -1 with the 429 answered.
 */
static int
front_client_rate(struct front *f, const struct hs_request *req)
{
	struct shared *sh = f->gw->shared;
	struct cidr key;
	struct timespec ts;
	uint64_t retry = 0;
	bool ok = true;
	char extra[48];

	if (!atomic_load_explicit(&sh->rate_on, memory_order_relaxed) ||
	    cidr_group((const struct sockaddr *)&f->sa, 32,
	    atomic_load(&sh->ipv6_prefix), &key) != 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&sh->rate_lock);
	if (sh->rate != NULL)
		ok = ratelimit_take(sh->rate, &key, sizeof(key),
		    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000,
		    &retry);
	pthread_mutex_unlock(&sh->rate_lock);
	if (ok)
		return 0;
	/* RFC 9110 10.2.3: whole seconds, rounded up. */
	snprintf(extra, sizeof(extra), "Retry-After: %llu\r\n",
	    (unsigned long long)(retry > 0 ? (retry + 999999) / 1000000 : 1));
	front_respond_extra(f, 429, "new_connections_per_client: too many new "
	    "connections from this client", extra, req->path.p, req->path.n,
	    req->origin.p, req->origin.n);
	front_answered(f, NULL);
	return -1;
}

static void front_client_unplace(struct front *f);

/* The connection's place is counted under f->sa's bucket (moved there if
 * it was under another's); none while max_connections_per_client is 0.
 * Counted whatever the count: the check is at the upgrade, so that a
 * client at its limit is told so with a 429, not a closed connection. */
static void
front_client_place(struct front *f)
{
	struct shared *sh = f->gw->shared;
	int64_t b = -1;

	if (sh->clients != NULL &&
	    atomic_load(&sh->max_per_client_sessions) > 0)
		b = clientlimit_bucket(sh->clients,
		    (const struct sockaddr *)&f->sa,
		    atomic_load(&sh->ipv6_prefix));
	if (f->holds_client && b == (int64_t)f->client_bucket)
		return;
	front_client_unplace(f);
	if (b < 0)
		return;
	(void)clientlimit_take(sh->clients, (uint32_t)b, 0);
	f->holds_client = true;
	f->client_bucket = (uint32_t)b;
}

static void
front_client_unplace(struct front *f)
{
	if (!f->holds_client)
		return;
	f->holds_client = false;
	clientlimit_give(f->gw->shared->clients, f->client_bucket);
}

/* A trusted proxy's connection: its client is told per request
 * (Forwarded, X-Forwarded-For), so its place is taken at the upgrade. */
static bool
front_peer_trusted(const struct front *f)
{
	const struct cidr_list *tp = &f->cfg->trusted_proxies;

	return tp->n > 0 && cidr_match(tp->v, tp->n,
	    (const struct sockaddr *)&f->peer_sa);
}

/* The connection's client is known (accepted, or its PROXY header read):
 * it counts from now on. */
static void
front_client_known(struct front *f)
{
	if (front_peer_trusted(f))
		front_client_unplace(f);
	else
		front_client_place(f);
}

bool
front_client_hand(struct front *f, uint32_t *bucket)
{
	if (f == NULL || !f->holds_client)
		return false;
	f->holds_client = false;
	*bucket = f->client_bucket;
	return true;
}

/* max_connections_per_client, once admitted: 0 (res holds the
 * connection's place, counted since the client was known), or -1 with
 * admission's slots given back and the 429 answered. */
static int
front_client_count(struct front *f, const struct hs_request *req,
    struct admit_result *res)
{
	struct shared *sh = f->gw->shared;
	unsigned max = atomic_load(&sh->max_per_client_sessions);
	char extra[48];

	res->holds_client = false;
	if (max == 0 || sh->clients == NULL)
		return 0;
	/* (Under this request's client: Forwarded may have named one.) */
	front_client_place(f);
	if (!f->holds_client)
		return 0;	/* not IP */
	/* Every connection counted before it checks: two racing for a
	 * client's last place cannot both win it. */
	if (clientlimit_count(sh->clients, f->client_bucket) <= max) {
		(void)front_client_hand(f, &res->client_bucket);
		res->holds_client = true;
		return 0;
	}
	if (front_peer_trusted(f))
		front_client_unplace(f);
	admit_release(&sh->slots, res->route);
	res->holds_slots = false;
	snprintf(extra, sizeof(extra), "Retry-After: %d\r\n",
	    FRONT_RETRY_SESSIONS);
	front_respond_extra(f, 429, "max_connections_per_client: this client "
	    "has as many connections open as it may", extra, req->path.p,
	    req->path.n, req->origin.p, req->origin.n);
	front_answered(f, NULL);
	return -1;
}

static void
front_upgrade(struct front *f, const struct hs_request *req, size_t used)
{
	struct admit_conn conn = {
		.draining = f->gw->draining,
		.slots = &f->gw->shared->slots,
		.client_cert = f->client->tls ? front_client_cert : NULL,
		.client_cert_arg = f,
		.sni = f->client->tls ? tls_server_name(front_bev(f)) : NULL,
		.now = (int64_t)time(NULL),
	};
	struct admit_result res;
	int rc;

	if (front_client_rate(f, req) != 0)
		return;
	rc = admit_request(req, f->cfg, &conn, &res);

	f->route = res.route;
	/* Admitted, a later answer (the backend's failure) is by status. */
	f->reject = rc != 0 ? (int)res.reject : -1;
	if (res.cert_name[0] != '\0')
		log_debug("client=%s route=%s client certificate name %s "
		    "allowed", f->peer, f->route->name, res.cert_name);
	if (rc != 0) {
		front_respond(f, res.status, res.why, req->path.p, req->path.n,
		    req->origin.p, req->origin.n);
		front_answered(f, &res);
		return;
	}
	if (front_client_count(f, req, &res) != 0)
		return;
	memcpy(f->accept, res.accept, sizeof(f->accept));
	snprintf(f->subprotocol, sizeof(f->subprotocol), "%s",
	    res.subprotocol != NULL ? res.subprotocol : "");
	/* The route's PROXY header to the backend: the real client. */
	if (res.target.proxy != TARGET_PROXY_NONE) {
		socklen_t dlen = sizeof(f->dst);

		if (!f->dst_known && getsockname(bufferevent_getfd(
		    front_bev(f)), (struct sockaddr *)&f->dst, &dlen) != 0)
			f->dst.ss_family = AF_UNSPEC;
		f->dst_known = true;
		res.target.proxy_src = f->sa;
		res.target.proxy_dst = f->dst;
	}
	if (req->has_origin) {
		f->origin_len = req->origin.n < sizeof(f->origin) ?
		    req->origin.n : sizeof(f->origin);
		memcpy(f->origin, req->origin.p, f->origin_len);
	}
	/* Keep whatever followed the request: pipelined frames. */
	evbuffer_drain(bufferevent_get_input(front_bev(f)), used);
	side_hold(f->client);
	/* A session now: its descriptors are max_connections' to count. */
	front_release(f);
	front_report(f, FRONT_ADMITTED, &res);
}

const char *
front_subprotocol(const struct front *f)
{
	return f->subprotocol[0] != '\0' ? f->subprotocol : NULL;
}

void
front_upgraded(struct front *f)
{
	char buf[512];
	size_t n = handshake_write_101(buf, sizeof(buf), f->accept,
	    f->subprotocol[0] != '\0' ? f->subprotocol : NULL);

	bufferevent_write(front_bev(f), buf, n);
	f->status = 101;
	f->gw->stats.upgraded++;
	atomic_fetch_add(&f->gw->shared->upgraded, 1);
}

/* ---- the client's address behind trusted proxies ---- */

/*
 * A peer in trusted_proxies speaks for its client: Forwarded (RFC 7239)
 * when it sent one, else X-Forwarded-For, walked from the right past
 * trusted hops (forwarded.h).  The address found replaces the peer's in
 * the session's logs and /sessions.  Any other peer's headers are its own
 * words and are ignored.  0, or -1 with a 400 answered: a trusted proxy
 * wrote something wsgate cannot read, and a guess could credit the
 * client with a proxy's address.
 */
static int
front_forwarded(struct front *f, const struct hs_request *req)
{
	const struct cidr_list *tp = &f->cfg->trusted_proxies;
	struct forwarded_field fields[HS_FORWARDED_MAX];
	struct forwarded_result res;
	const struct hs_str *src;
	unsigned n;
	const char *why;
	char addr[SOCKADDR_STRLEN], was[SOCKADDR_STRLEN];
	int rc;

	if (f->sa.ss_family != f->peer_sa.ss_family ||
	    memcmp(&f->sa, &f->peer_sa, sizeof(f->sa)) != 0) {
		/* A previous request's client: this one is told afresh. */
		f->sa = f->peer_sa;
		snprintf(f->peer, SOCKADDR_STRLEN, "%s", f->peer_text);
		(void)cidr_group((const struct sockaddr *)&f->sa, 32, 64,
		    &f->client_key);
	}
	if (tp->n == 0 || (req->nfwd == 0 && req->nxff == 0) ||
	    !cidr_match(tp->v, tp->n, (const struct sockaddr *)&f->sa))
		return 0;
	n = req->nfwd > 0 ? req->nfwd : req->nxff;
	src = req->nfwd > 0 ? req->fwd : req->xff;
	if (n > HS_FORWARDED_MAX) {
		front_respond(f, 400, "too many Forwarded or X-Forwarded-For "
		    "header fields", req->path.p, req->path.n, "", 0);
		front_answered(f, NULL);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		fields[i].p = src[i].p;
		fields[i].n = src[i].n;
	}
	rc = req->nfwd > 0 ? forwarded_rfc7239(fields, n, tp->v, tp->n, &res,
	    &why) : forwarded_xff(fields, n, tp->v, tp->n, &res, &why);
	if (rc != 0) {
		front_respond(f, 400, why, req->path.p, req->path.n, "", 0);
		front_answered(f, NULL);
		return -1;
	}
	if (res.kind == FORWARDED_NONE || res.addr.ss_family == AF_UNSPEC)
		return 0;
	ipaddr_unmap(&res.addr, &res.addr);
	sockaddr_format((const struct sockaddr *)&res.addr, addr,
	    sizeof(addr));
	/* No port given: the address alone. */
	if ((res.addr.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&res.addr)->sin_port == 0) ||
	    (res.addr.ss_family == AF_INET6 &&
	    ((struct sockaddr_in6 *)&res.addr)->sin6_port == 0))
		*strrchr(addr, ':') = '\0';
	snprintf(was, sizeof(was), "%s", f->peer);
	snprintf(f->peer, SOCKADDR_STRLEN, "%s", addr);
	f->sa = res.addr;	/* for the per-client limits */
	(void)cidr_group((const struct sockaddr *)&f->sa, 32, 64,
	    &f->client_key);
	log_debug("client=%s: by %s, trusted proxy (%s, %u trusted hop%s)",
	    f->peer, was, req->nfwd > 0 ? "Forwarded" : "X-Forwarded-For",
	    res.hops, res.hops == 1 ? "" : "s");
	return 0;
}

/* ---- Basic auth (auth_basic_file), before admission ---- */

/* 401 with a challenge, 429 or 503 with Retry-After. */
static void
front_auth_answer(struct front *f, enum auth_verdict v, const char *why,
    unsigned retry)
{
	char extra[160];
	int status = v == AUTH_CHALLENGE ? 401 : v == AUTH_LIMITED ? 429 :
	    503;

	if (status == 401)
		/* RFC 7617 2: the realm (checked at load: no quote); RFC
		 * 7617 2.1: the password is UTF-8. */
		snprintf(extra, sizeof(extra), "WWW-Authenticate: Basic "
		    "realm=\"%s\", charset=\"UTF-8\"\r\n",
		    f->auth_realm != NULL ? f->auth_realm : "wsgate");
	else
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
		    retry > 0 ? retry : 1);
	front_respond_extra(f, status, why, extra, f->auth_path,
	    f->auth_path_len, "", 0);
	front_answered(f, NULL);
}

static void front_read(struct front *f);

/* A check that ran off the loop (auth.h) is back. */
static void
front_auth_done_cb(void *arg, bool ok, const char *user)
{
	struct front *f = arg;
	char euser[BASIC_USER_MAX * 4 + 1];

	f->auth_job = NULL;
	if (f->status != 0)
		return;		/* answered meanwhile (408) */
	if (!ok) {
		front_auth_answer(f, AUTH_CHALLENGE, "wrong user name or "
		    "password", 0);
		return;
	}
	/* The name only now: a failed "user" is often a password typed
	 * into the wrong field. */
	log_escape(euser, sizeof(euser), user, strlen(user));
	log_info("auth client=%s %s user=\"%s\": password checked",
	    f->peer, f->auth_what, euser);
	f->auth_ok = true;
	side_read_enable(f->client, true);
	front_read(f);		/* the same request, again */
}

/*
 * auth_basic_file: Basic auth against table (NULL: none), before a
 * route's admission or a web_root file.  Returns 0 to go on (no auth, or
 * good credentials), or -1 when the request was answered or waits for
 * its check (front_auth_done_cb reads it again).  what: "route=NAME" or
 * "web_root", for the log.  The Authorization header is never logged.
 */
static int
front_auth_with(struct front *f, const struct hs_request *req,
    const struct htpasswd *table, const char *realm, const char *what)
{
	struct auth_request rq;
	char user[BASIC_USER_MAX + 1];
	char euser[BASIC_USER_MAX * 4 + 1];
	unsigned retry = 0;
	const char *why = "";
	enum auth_verdict v;

	if (table == NULL || f->auth_ok)
		return 0;
	f->auth_realm = realm;
	f->auth_what = what;
	f->auth_path_len = req->path.n < sizeof(f->auth_path) ? req->path.n :
	    sizeof(f->auth_path);
	memcpy(f->auth_path, req->path.p, f->auth_path_len);
	rq.table = table;
	rq.cfg = (struct config *)(uintptr_t)f->cfg;
	rq.header = req->has_authorization ? req->authorization.p : NULL;
	rq.header_len = req->authorization.n;
	rq.client_key = &f->client_key;
	rq.client_keylen = sizeof(f->client_key);
	v = auth_check(f->gw, &rq, user, sizeof(user), front_auth_done_cb, f,
	    &f->auth_job, &retry, &why);
	switch (v) {
	case AUTH_OK:
		log_escape(euser, sizeof(euser), user, strlen(user));
		log_debug("auth client=%s %s user=\"%s\": cached",
		    f->peer, f->auth_what, euser);
		return 0;
	case AUTH_PENDING:
		/* The client is still read (front_read waits for the
		 * answer), so that its leaving cancels the check. */
		return -1;
	default:
		front_auth_answer(f, v, why, retry);
		return -1;
	}
}

/* A route's auth_basic_file. */
static int
front_auth(struct front *f, const struct hs_request *req)
{
	const struct route *r = route_find(f->cfg, req->path.p, req->path.n);

	if (r == NULL || r->auth_basic == NULL)
		return 0;
	f->route = r;
	snprintf(f->auth_route, sizeof(f->auth_route), "route=%s", r->name);
	return front_auth_with(f, req, r->auth_basic, r->auth_basic_realm.s,
	    f->auth_route);
}

/* ---- reading the request ---- */

static void
front_read(struct front *f)
{
	struct evbuffer *in = bufferevent_get_input(front_bev(f));
	size_t len = evbuffer_get_length(in);
	size_t max = (size_t)f->cfg->max_request_bytes;
	size_t n = len < max ? len : max;
	struct hs_limits lim = { max, f->cfg->max_headers };
	struct hs_request req;
	const char *buf, *why = "";
	int status = 400;
	int rc;

	if (len == 0 || f->idle_wait)
		return;		/* the answer first (front_keepalive) */
	/* Its credentials are being checked (auth.h): what else comes
	 * waits for the answer, which reads the request again; past
	 * max_request_bytes (a TLS side has no read watermark) reading
	 * stops until then. */
	if (f->auth_job != NULL) {
		if (len > max)
			side_read_enable(f->client, false);
		return;
	}
	if (!f->got_bytes) {
		/* A request begins (read again after an auth check, it is
		 * still the same one). */
		if (f->requests > 0) {
			/* The next request on a kept-alive connection: it
			 * has handshake_timeout from now. */
			monotime_now(&f->req_started);
			front_report(f, FRONT_READING, NULL);
		}
		f->requests++;
	}
	f->got_bytes = true;
	pending_advance(&f->gw->pending, &f->pending, PENDING_PARTIAL);
	buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	rc = handshake_parse(buf, n, &lim, &req, &status, &why);
	if (rc == CODEC_NEED_MORE)
		return;
	if (rc == CODEC_ERROR) {
		front_respond(f, status, why, req.path.p, req.path.n, "", 0);
		front_answered(f, NULL);
		return;
	}
	if (front_forwarded(f, &req) != 0)
		return;
	if (!req.upgrade_attempt)
		front_plain_get(f, &req, (size_t)rc);
	else if (front_auth(f, &req) == 0)
		front_upgrade(f, &req, (size_t)rc);
}

/* The client side's events while the request is read. */
static void
front_client_cb(void *arg, enum side_event ev)
{
	struct front *f = arg;
	struct bufferevent *bev = front_bev(f);
	short what = f->client->what;
	char why[256];

	switch (ev) {
	case SIDE_READABLE:
		front_read(f);
		return;
	case SIDE_CONNECTED:
		/* The TLS handshake is done; the HTTP request comes next. */
		f->tls_ready = true;
		metrics_add(&f->gw->metrics->c.tls_handshakes, 1);
		if (log_enabled(LL_DEBUG))
			log_debug("tls client=%s %s", f->peer,
			    tls_describe(bev, why, sizeof(why)));
		/* RFC 9113 3.2: HTTP/2 from the first byte after TLS. */
		if (f->h2 && tls_alpn_h2(bev))
			front_report(f, FRONT_H2, NULL);
		return;
	case SIDE_EOF:
	case SIDE_ERROR:
		if (f->client->tls && !f->tls_ready) {
			int cls;

			log_info("tls client=%s handshake failed: %s",
			    f->peer, tls_error_class(bev, what, why,
			    sizeof(why), &cls));
			metrics_tls_failed(f->gw->metrics,
			    (enum metrics_tls_fail)cls);
		} else
			log_debug("client=%s left during the handshake (%s)",
			    f->peer, (what & BEV_EVENT_EOF) ? "EOF" :
			    f->client->tls ? tls_error(bev, what, why,
			    sizeof(why)) : strerror(EVUTIL_SOCKET_ERROR()));
		front_report(f, FRONT_GONE, NULL);
		return;
	case SIDE_WRITTEN:
		if (f->idle_wait)
			front_resume(f);
		return;
	case SIDE_CLOSED:
		return;
	}
}

static void
front_start_http(struct front *f)
{
	side_drive(f->client, front_client_cb, f);
	/*
	 * Reading stops at the limit; the parser then answers 431.  Not
	 * under TLS: there libevent 2.1 stops mid-record at a watermark and
	 * leaves the rest inside OpenSSL, where no socket event will find
	 * it again.  The parser's own limit (max_request_bytes) applies.
	 */
	bufferevent_setwatermark(front_bev(f), EV_READ, 0,
	    f->client->tls ? 0 : (size_t)f->cfg->max_request_bytes);
	bufferevent_enable(front_bev(f), EV_READ);
}

/*
 * The request often arrives right behind the connection: try to read it
 * now instead of one loop iteration later.  Nothing read (or EOF, or an
 * error) is left for the bufferevent to find.
 */
static void
front_read_now(struct front *f)
{
	struct evbuffer *in = bufferevent_get_input(front_bev(f));
	struct evbuffer_iovec v;
	ssize_t n;

	/* read(2) into the input: evbuffer_read() adds an FIONREAD ioctl. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, (ev_ssize_t)f->cfg->max_request_bytes,
	    &v, 1) != 1) {
		evbuffer_freeze(in, 0);
		return;
	}
	n = read(bufferevent_getfd(front_bev(f)), v.iov_base, v.iov_len);
	v.iov_len = n > 0 ? (size_t)n : 0;
	evbuffer_commit_space(in, &v, n > 0 ? 1 : 0);
	evbuffer_freeze(in, 0);
	if (n > 0)
		front_read(f);
}

/* A TLS listener: the first byte says whether the client speaks TLS. */
static void
front_peek_cb(evutil_socket_t fd, short what, void *arg)
{
	struct front *f = arg;
	struct bufferevent *bev;
	unsigned char first;
	ssize_t n;

	(void)what;
	n = recv(fd, &first, 1, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		event_add(f->peek, NULL);
		return;
	}
	if (n <= 0) {
		/* Gone before saying anything: close quietly (and fd). */
		front_report(f, FRONT_GONE, NULL);
		return;
	}
	event_free(f->peek);
	f->peek = NULL;
	/* RFC 8446 5.1: a record starts with its type; 22 = handshake. */
	if (first == 22) {
		if (f->cfg->tls == NULL)
			log_warn("client=%s: TLS listener, but the running "
			    "configuration has no certificate", f->peer);
		bev = tls_accept(f->gw->base, f->cfg, fd, f->h2);
	} else {
		bev = bufferevent_socket_new(f->gw->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			close(fd);
	}
	if (bev == NULL) {
		front_report(f, FRONT_GONE, NULL);
		return;
	}
	side_attach(f->client, bev, first == 22);
	front_start_http(f);
	if (!f->client->tls) {
		/* An http:// or ws:// URL with the TLS port: say so, in
		 * plain text, rather than let the client wait. */
		f->got_bytes = true;
		metrics_tls_failed(f->gw->metrics, METRICS_TLS_NOT_TLS);
		front_reject(f, 400, "this port speaks TLS: use https:// or "
		    "wss://");
	}
}

bool
front_timeout(struct front *f)
{
	if (f->proxy_ev != NULL) {
		metrics_reject(f->gw->metrics, 0, METRICS_REJ_TIMEOUT);
		log_info("client=%s: no complete PROXY header within "
		    "handshake_timeout; closing", f->peer);
		return false;
	}
	if (front_bev(f) == NULL)
		return false;	/* TLS listener, not a byte received */
	if (!f->got_bytes) {
		if (f->requests > 0)
			log_debug("client=%s: kept-alive connection closed "
			    "after %u requests (keepalive_timeout)", f->peer,
			    f->requests);
		/* A browser's speculative connection (also one that only
		 * did its TLS handshake): just close. */
		if (f->client->tls && !f->tls_ready) {
			log_debug("tls client=%s handshake not done within "
			    "handshake_timeout", f->peer);
			metrics_tls_failed(f->gw->metrics,
			    METRICS_TLS_TIMEOUT);
		}
		return false;
	}
	front_respond(f, 408, "handshake_timeout: request not complete in "
	    "time", "", 0, "", 0);
	pending_advance(&f->gw->pending, &f->pending, PENDING_ANSWERED);
	return true;
}

/*
 * Basic auth (auth_basic_file) is checked here, on HTTP/1.1 requests
 * only: while any is configured, TLS listeners do not offer h2, so that
 * no request reaches a protected route or web_root over HTTP/2 without
 * it.
 */
static bool
front_has_auth(const struct config *cfg)
{
	if (cfg->auth_basic != NULL)
		return true;
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (cfg->routes[i].auth_basic != NULL)
			return true;
	return false;
}

static void front_proxy_cb(evutil_socket_t fd, short what, void *arg);
static void front_client_known(struct front *f);

struct front *
front_new(struct gateway *gw, const struct config *cfg, struct side *client,
    char *peer, const struct timeval *started, int fd,
    const struct sockaddr *sa, unsigned tls, front_fn fn, void *arg)
{
	struct front *f = calloc(1, sizeof(*f));
	struct bufferevent *bev = NULL;

	if (f == NULL) {
		close(fd);
		return NULL;
	}
	f->gw = gw;
	f->cfg = cfg;
	f->client = client;
	f->peer = peer;
	if (sa->sa_family == AF_INET6)
		memcpy(&f->sa, sa, sizeof(struct sockaddr_in6));
	else if (sa->sa_family == AF_INET)
		memcpy(&f->sa, sa, sizeof(struct sockaddr_in));
	f->peer_sa = f->sa;
	snprintf(f->peer_text, sizeof(f->peer_text), "%s", peer);
	f->started = *started;
	f->req_started = *started;
	f->fn = fn;
	f->arg = arg;
	f->reject = -1;
	f->tls_listener = (tls & LISTEN_TLS) != 0;
	f->h2 = (tls & LISTEN_H2) != 0 && !front_has_auth(cfg);
	if (front_admit(f, sa) != 0) {
		close(fd);
		free(f);
		return NULL;
	}
	/* Failed logins are limited per address (IPv4, or IPv6 /64). */
	(void)cidr_group(sa, 32, 64, &f->client_key);
	if (tls & LISTEN_PROXY) {
		f->pp = malloc(PROXY_HEADER_MAX);
		if (f->pp != NULL)
			f->proxy_ev = event_new(gw->base, fd, EV_READ,
			    front_proxy_cb, f);
		if (f->proxy_ev == NULL) {
			free(f->pp);
			front_release(f);
			close(fd);
			free(f);
			return NULL;
		}
	} else if (tls & LISTEN_TLS)
		f->peek = event_new(gw->base, fd, EV_READ, front_peek_cb, f);
	else
		bev = bufferevent_socket_new(gw->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (f->proxy_ev == NULL && f->peek == NULL && bev == NULL) {
		front_release(f);
		close(fd);
		free(f);
		return NULL;
	}
	/* TCP_NODELAY: inherited from the listening socket. */
	if (bev != NULL)
		side_attach(client, bev, false);
	metrics_add(&gw->metrics->c.in_handshake, 1);
	if (!(tls & LISTEN_PROXY))
		front_client_known(f);
	return f;
}

/* ---- "listen = ADDR proxy_protocol": the PROXY header first ---- */

/* The header is in: go on as a connection of the listener's kind. */
static void
front_after_proxy(struct front *f, int fd)
{
	struct bufferevent *bev;

	if (f->tls_listener) {
		f->peek = event_new(f->gw->base, fd, EV_READ, front_peek_cb, f);
		if (f->peek == NULL) {
			close(fd);
			front_report(f, FRONT_GONE, NULL);
			return;
		}
		event_add(f->peek, NULL);
		return;
	}
	bev = bufferevent_socket_new(f->gw->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		front_report(f, FRONT_GONE, NULL);
		return;
	}
	side_attach(f->client, bev, false);
	front_start_http(f);
	front_read_now(f);
}

/* A header that says who the client is: it is the client from now on,
 * for the logs, max_handshakes_per_client and trusted_proxies. */
static int
front_proxy_client(struct front *f, const struct proxy_header *ph)
{
	char was[SOCKADDR_STRLEN];

	if (ph->src.ss_family != AF_INET && ph->src.ss_family != AF_INET6)
		return 0;	/* LOCAL, UNKNOWN, unix: the connection's own */
	ipaddr_unmap(&ph->src, &f->sa);
	f->peer_sa = f->sa;
	f->dst = ph->dst;
	f->dst_known = true;
	(void)cidr_group((const struct sockaddr *)&f->sa, 32, 64,
	    &f->client_key);
	snprintf(was, sizeof(was), "%s", f->peer);
	sockaddr_format((const struct sockaddr *)&f->sa, f->peer,
	    SOCKADDR_STRLEN);
	snprintf(f->peer_text, sizeof(f->peer_text), "%s", f->peer);
	log_debug("client=%s: PROXY v%d header from %s", f->peer,
	    ph->version, was);
	/* Its max_handshakes slot is the client's, not the proxy's. */
	front_release(f);
	return front_admit(f, (const struct sockaddr *)&f->sa);
}

/*
 * Read the header without reading past it: peek at what has arrived,
 * and take from the socket only bytes that are surely the header's
 * (proxy_proto_decode() asks for more only while no v1 CRLF and not the
 * whole v2 length is in), so the request or TLS handshake behind it stays
 * in the socket for the next step.  Bounded by PROXY_HEADER_MAX bytes in
 * all, and by handshake_timeout (front_timeout).
 */
static void
front_proxy_cb(evutil_socket_t fd, short what, void *arg)
{
	struct front *f = arg;
	struct proxy_header ph;
	const char *why = "connection closed before a complete header";
	ssize_t n;
	int rc;

	(void)what;
	n = recv(fd, f->pp + f->pp_len, PROXY_HEADER_MAX - f->pp_len,
	    MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		event_add(f->proxy_ev, NULL);
		return;
	}
	rc = n > 0 ? proxy_proto_decode(f->pp, f->pp_len + (size_t)n, &ph,
	    &why) : CODEC_ERROR;
	if (rc == CODEC_NEED_MORE || rc > 0) {
		/* Take exactly the header's bytes (all of them, when more
		 * are needed): they are in pp already. */
		size_t take = rc > 0 ? (size_t)rc - f->pp_len : (size_t)n;

		if (recv(fd, f->pp + f->pp_len, take, 0) != (ssize_t)take) {
			rc = CODEC_ERROR;
			why = "cannot read the header";
		} else {
			f->pp_len += take;
		}
	}
	if (rc == CODEC_NEED_MORE) {
		if (f->pp_len < PROXY_HEADER_MAX) {
			event_add(f->proxy_ev, NULL);
			return;
		}
		rc = CODEC_ERROR;
		why = "header longer than its limit";
	}
	if (rc == CODEC_ERROR) {
		if (n != 0 || f->pp_len != 0) {
			metrics_reject(f->gw->metrics, 0,
			    METRICS_REJ_BAD_REQUEST);
			if (front_may_warn(f->gw))
				log_warn("client=%s: bad PROXY header (%s); "
				    "closing", f->peer, why);
			else
				log_debug("client=%s: bad PROXY header (%s); "
				    "closing", f->peer, why);
		}
		front_report(f, FRONT_GONE, NULL);
		return;
	}
	event_free(f->proxy_ev);
	f->proxy_ev = NULL;
	free(f->pp);
	f->pp = NULL;
	if (front_proxy_client(f, &ph) != 0) {
		close(fd);
		front_report(f, FRONT_GONE, NULL);
		return;
	}
	front_client_known(f);
	front_after_proxy(f, fd);
}

void
front_start(struct front *f)
{
	if (f->proxy_ev != NULL) {
		event_add(f->proxy_ev, NULL);
		return;
	}
	if (f->peek != NULL) {
		event_add(f->peek, NULL);
		return;
	}
	front_start_http(f);
	front_read_now(f);
}

void
front_free(struct front *f)
{
	if (f == NULL)
		return;
	if (f->peek != NULL) {
		evutil_socket_t fd = event_get_fd(f->peek);

		event_free(f->peek);
		close(fd);
	}
	if (f->proxy_ev != NULL) {
		evutil_socket_t fd = event_get_fd(f->proxy_ev);

		event_free(f->proxy_ev);
		close(fd);
	}
	free(f->pp);
	download_free(f->download);
	free(f->web_path);
	auth_cancel(f->auth_job);
	front_release(f);
	front_client_unplace(f);
	metrics_sub(&f->gw->metrics->c.in_handshake, 1);
	free(f);
}
