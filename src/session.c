/* session.c -- one client connection: handshake, backend, relay, close */
#include "session.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "config.h"
#include "download.h"
#include "frame.h"
#include "gateway.h"
#include "log.h"
#include "relay.h"
#include "route.h"
#include "sockaddr.h"
#include "tls.h"
#include "upstream.h"
#include "webroot.h"

static void session_enter_linger(struct session *s);

/* How often a side paused for backpressure is checked for hang-ups. */
#define SESSION_PAUSED_CHECK 1.0
/* How often a download is checked for a client that stopped reading. */
#define SESSION_SEND_CHECK 1.0

static const char *const closer_names[] = {
	[CLOSER_NONE] = "-",
	[CLOSER_CLIENT] = "client",
	[CLOSER_BACKEND] = "backend",
	[CLOSER_GATEWAY] = "gateway",
};

static const struct limits *
session_limits(const struct session *s)
{
	return s->route != NULL ? &s->route->limits : &s->cfg->limits;
}

static void
session_arm(struct session *s, double seconds)
{
	struct timeval tv;

	if (seconds <= 0) {
		evtimer_del(s->timer);
		return;
	}
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	evtimer_add(s->timer, &tv);
}

/*
 * Durations -- idle_timeout, the close line's duration -- are measured on
 * the monotonic clock: a step of the wall clock (an operator, NTP) must
 * neither stretch every idle timeout nor end every idle session at once.
 * libevent's cached time (event_base_gettimeofday_cached) is wall-clock
 * time, resynchronised every few seconds.  Through the vDSO this is no
 * system call either.
 */
static void
session_now(struct timeval *tv)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
}

static double
elapsed(const struct timeval *since, const struct timeval *now)
{
	return (double)(now->tv_sec - since->tv_sec) +
	    (double)(now->tv_usec - since->tv_usec) / 1e6;
}

void
session_touch(struct session *s)
{
	session_now(&s->active_mono);
}

static void
session_log_end(struct session *s)
{
	struct timeval now;

	if (s->http_status != 101)
		return;	/* rejections were logged when answered */
	session_now(&now);
	log_info("close client=%s route=%s up=%llu down=%llu duration=%.3fs "
	    "code=%u by=%s reason=\"%s\"", s->peer, s->route->name,
	    (unsigned long long)s->bytes_up,
	    (unsigned long long)s->bytes_down, elapsed(&s->started_mono, &now),
	    s->close_code, closer_names[s->closed_by],
	    s->close_why != NULL ? s->close_why : "");
}

/* Give back the max_connections slot as soon as the client is gone: a
 * backend still being flushed does not hold a client's place. */
static void
session_release_slot(struct session *s)
{
	if (!s->counted)
		return;
	s->counted = false;
	admit_release(&s->gw->shared->slots, s->route);
}

static void
session_release_pending(struct session *s)
{
	pending_release(&s->gw->shared->pending, &s->gw->pending,
	    &s->pending);
}

static void
session_free(struct session *s)
{
	struct gateway *gw = s->gw;

	session_log_end(s);
	if (s->peek != NULL) {
		evutil_socket_t fd = event_get_fd(s->peek);

		event_free(s->peek);
		close(fd);
	}
	relay_free(s);
	download_free(s->download);
	free(s->web_path);
	upstream_free(s->upstream);
	if (s->client != NULL)
		bufferevent_free(s->client);
	if (s->backend != NULL)
		bufferevent_free(s->backend);
	if (s->timer != NULL)
		event_free(s->timer);
	session_release_slot(s);
	session_release_pending(s);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		gw->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	gw->nsessions--;
	atomic_fetch_sub(&gw->shared->nsessions, 1);
	config_unref(s->cfg);
	free(s);
	if (gw->draining && gw->nsessions == 0)
		event_base_loopexit(gw->base, NULL);
}

static void
session_maybe_free(struct session *s)
{
	if (s->client == NULL && s->backend == NULL)
		session_free(s);
}

static void
session_drop_client(struct session *s)
{
	session_release_slot(s);
	session_release_pending(s);
	relay_stop_reading(s, true);
	relay_stop_writing(s, true);
	bufferevent_free(s->client);
	s->client = NULL;
}

/*
 * Half-close after the last byte.  Under TLS the close_notify alert goes
 * first (RFC 8446 6.1), then the TCP FIN: a FIN alone would look like a
 * truncation attack to a strict peer.
 */
static void
session_shut_write(struct bufferevent *bev, bool tls)
{
	if (tls)
		tls_close_notify(bev);
	shutdown(bufferevent_getfd(bev), SHUT_WR);
}

/*
 * Reading a closing side to EOF.  Plain sockets are read with read(2)
 * into the loop's scratch buffer (a bufferevent adds an FIONREAD ioctl to
 * every read); TLS ones through their bufferevent.  A peer that keeps
 * sending gets a bounded number of reads per wakeup: two, as many bytes as
 * the relay's work budget (relay.c), so that discarding is no cheaper
 * way to hold the worker than relaying.
 */
#define SESSION_DRAIN_READS 2

static void session_drain_done(struct session *s, bool client);

void
session_drain_read(struct session *s, bool client)
{
	struct bufferevent *bev = client ? s->client : s->backend;
	evutil_socket_t fd = bufferevent_getfd(bev);
	ssize_t n = 0;

	for (int i = 0; i < SESSION_DRAIN_READS; i++) {
		n = read(fd, s->gw->scratch, s->gw->scratch_size);
		if (n <= 0)
			break;
	}
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)))
		return;
	session_drain_done(s, client);	/* EOF or error */
}

/* Start reading one side to EOF; returns -1 if the bufferevent must. */
static int
session_drain_watch(struct session *s, bool client)
{
	struct bufferevent *bev = client ? s->client : s->backend;

	if (client ? s->client_tls : s->backend_tls)
		return -1;
	if (client)
		s->client_draining = true;
	else
		s->backend_draining = true;
	if (relay_read_watch(s, client) != 0)
		return -1;
	bufferevent_disable(bev, EV_READ);
	return 0;
}

/* ---- backend shutdown: write what is queued, shut, read to EOF ---- */

static void
session_drop_backend(struct session *s)
{
	relay_stop_reading(s, false);
	relay_stop_writing(s, false);
	upstream_free(s->upstream);
	s->upstream = NULL;
	if (s->backend != NULL)
		bufferevent_free(s->backend);
	s->backend = NULL;
	s->backend_flushing = false;
}

/* A closing TLS side: read through its bufferevent and discard. */
static void
session_discard_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
session_backend_flushed(struct session *s)
{
	/* Shut our side and read to EOF rather than close now: closing
	 * with unread input sends RST, which can destroy bytes the backend
	 * has not read yet. */
	session_shut_write(s->backend, s->backend_tls);
	if (session_drain_watch(s, false) == 0)
		return;
	bufferevent_setwatermark(s->backend, EV_READ, 0, 0);
	bufferevent_enable(s->backend, EV_READ);
}

static void
session_backend_linger_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_backend_flushed(s);
}

static void
session_backend_linger_event_cb(struct bufferevent *bev, short what,
    void *arg)
{
	struct session *s = arg;

	(void)bev;
	(void)what;
	session_drain_done(s, false);
}

/* No more will be read from the backend for the client. */
static void
session_backend_finish(struct session *s)
{
	if (s->state == SESSION_CONNECTING) {
		session_drop_backend(s);
		return;
	}
	if (s->backend == NULL || s->backend_flushing)
		return;
	s->backend_flushing = true;
	relay_stop_writing(s, false);
	/* Nothing more is read from it until its queue is written. */
	if (s->backend_rev != NULL)
		event_del(s->backend_rev);
	evbuffer_drain(bufferevent_get_input(s->backend),
	    evbuffer_get_length(bufferevent_get_input(s->backend)));
	bufferevent_setcb(s->backend, session_discard_read_cb,
	    session_backend_linger_write_cb, session_backend_linger_event_cb,
	    s);
	bufferevent_setwatermark(s->backend, EV_WRITE, 0, 0);
	bufferevent_disable(s->backend, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->backend)) == 0)
		session_backend_flushed(s);
	else
		bufferevent_enable(s->backend, EV_WRITE);
}

/* ---- client linger: flush, shut, read to EOF (RFC 9112 9.6) ---- */

static void
session_linger_shut(struct session *s)
{
	if (s->linger_shut)
		return;
	s->linger_shut = true;
	session_shut_write(s->client, s->client_tls);
}

static void
session_linger_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_linger_shut(s);
}

static void
session_linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	(void)what;
	session_drain_done(s, true);
}

static void
session_enter_linger(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->client);

	s->state = SESSION_LINGER;
	pending_advance(&s->gw->pending, &s->pending, PENDING_ANSWERED);
	relay_stop_writing(s, true);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_setcb(s->client, session_discard_read_cb,
	    session_linger_write_cb, session_linger_event_cb, s);
	bufferevent_setwatermark(s->client, EV_READ, 0, 0);
	bufferevent_setwatermark(s->client, EV_WRITE, 0, 0);
	if (session_drain_watch(s, true) != 0)
		bufferevent_enable(s->client, EV_READ);
	session_arm(s, session_limits(s)->close_timeout);
	if (evbuffer_get_length(bufferevent_get_output(s->client)) == 0)
		session_linger_shut(s);
	else
		bufferevent_enable(s->client, EV_WRITE);
}

static void
session_drain_done(struct session *s, bool client)
{
	if (client) {
		session_drop_client(s);
		session_backend_finish(s);
	} else {
		session_drop_backend(s);
	}
	session_maybe_free(s);
}

/* ---- handshake ---- */

static void
session_respond(struct session *s, int status, const char *why,
    const char *path, size_t pathlen, const char *origin, size_t olen)
{
	char buf[1024];
	char epath[128], eorigin[160];
	/* Say why to the client only for its own mistakes (4xx). */
	size_t n = handshake_write_error(buf, sizeof(buf), status,
	    status < 500 ? why : NULL);

	s->http_status = status;
	if (status != 200)
		s->gw->stats.rejected++;
	if (n > 0)
		bufferevent_write(s->client, buf, n);
	log_escape(epath, sizeof(epath), path, pathlen);
	log_escape(eorigin, sizeof(eorigin), origin, olen);
	log_msg(status >= 500 ? LL_WARN : LL_INFO,
	    "reject client=%s status=%d path=\"%s\" origin=\"%s\" route=%s "
	    "reason=\"%s\"", s->peer, status, epath, eorigin,
	    s->route != NULL ? s->route->name : "-", why);
	session_enter_linger(s);
}

static void
session_reject(struct session *s, int status, const char *why)
{
	session_respond(s, status, why, "", 0, "", 0);
}

/*
 * The one line per web_root or health response, once it has been written
 * (or has ended early): at debug for complete answers, else at level.
 */
static void
session_log_web(struct session *s, enum log_level level, const char *epath,
    uint64_t bytes, const char *why)
{
	struct timeval now;

	if (!log_enabled(level))
		return;
	session_now(&now);
	log_msg(level, "web client=%s status=%d path=\"%s\" bytes=%llu "
	    "duration=%.3fs%s%s%s", s->peer, s->http_status, epath,
	    (unsigned long long)bytes, elapsed(&s->started_mono, &now),
	    why != NULL ? " reason=\"" : "", why != NULL ? why : "",
	    why != NULL ? "\"" : "");
}

/* ---- web_root files: SENDING, for as long as the client takes them ---- */

/* Log the download's end and free it; bytes: those that will have been
 * handed to the connection. */
static void
session_send_end(struct session *s, enum log_level level, bool queued_too,
    const char *why)
{
	uint64_t bytes = download_sent(s->download);

	if (queued_too)
		bytes += evbuffer_get_length(bufferevent_get_output(s->client));
	session_log_web(s, level, s->web_path, bytes, why);
	download_free(s->download);
	s->download = NULL;
	free(s->web_path);
	s->web_path = NULL;
}

/* The client cannot or will not take the rest: close now. */
static void
session_send_abort(struct session *s, const char *why, bool reset)
{
	session_send_end(s, LL_INFO, false, why);
	if (reset) {
		/* Or the kernel would go on offering the queued rest to a
		 * peer that does not read it. */
		struct linger lg = { 1, 0 };

		setsockopt(bufferevent_getfd(s->client), SOL_SOCKET,
		    SO_LINGER, &lg, sizeof(lg));
	}
	session_drop_client(s);
	session_maybe_free(s);
}

/* download.c's report.  A body cut short still gets what is queued, then
 * the connection closes: less than its Content-Length. */
static void
session_send_ended(void *arg, enum download_end how, const char *why)
{
	struct session *s = arg;

	switch (how) {
	case DOWNLOAD_DONE:
	case DOWNLOAD_CUT:
		session_send_end(s, how == DOWNLOAD_DONE ? LL_DEBUG : LL_WARN,
		    true, why);
		session_enter_linger(s);
		return;
	case DOWNLOAD_GONE:
		session_send_abort(s, why, false);
		return;
	}
}

/*
 * The timer while sending: a client is stalled when nothing left its
 * queue and the kernel's send queue did not move for send_timeout.  Only
 * then, not after a fixed total time: a slow link gets the whole file.
 */
static void
session_send_check(struct session *s)
{
	double limit = s->cfg->send_timeout;
	struct timeval now;
	double quiet;
	char why[96];

	if (download_progressed(s->download))
		session_touch(s);
	session_now(&now);
	quiet = elapsed(&s->active_mono, &now);
	if (quiet + 0.001 < limit) {
		session_arm(s, limit - quiet < SESSION_SEND_CHECK ?
		    limit - quiet : SESSION_SEND_CHECK);
		return;
	}
	snprintf(why, sizeof(why), "send_timeout: the client took nothing "
	    "for %.1fs", quiet);
	session_send_abort(s, why, true);
}

/* Send the web_root file fd (its head is queued) as the client drains. */
static void
session_send_file(struct session *s, int fd, const struct stat *st,
    const char *epath)
{
	struct evbuffer *in = bufferevent_get_input(s->client);
	char why[256];

	/* The request: what follows it is discarded in linger. */
	evbuffer_drain(in, evbuffer_get_length(in));
	s->web_path = strdup(epath);
	if (s->web_path == NULL) {
		close(fd);
		snprintf(why, sizeof(why), "out of memory");
	} else {
		s->download = download_start(s->client, s->client_tls, fd, st,
		    session_send_ended, s, why, sizeof(why));
	}
	if (s->download == NULL) {
		session_log_web(s, LL_WARN, epath, evbuffer_get_length(
		    bufferevent_get_output(s->client)), why);
		free(s->web_path);
		s->web_path = NULL;
		session_enter_linger(s);
		return;
	}
	s->state = SESSION_SENDING;
	/* Still a connection before any upgrade: it counts against
	 * max_handshakes, and is among the last to be closed for room. */
	pending_advance(&s->gw->pending, &s->pending, PENDING_ANSWERED);
	session_touch(s);
	session_arm(s, s->cfg->send_timeout < SESSION_SEND_CHECK ?
	    s->cfg->send_timeout : SESSION_SEND_CHECK);
}

static void
session_plain_get(struct session *s, const struct hs_request *req)
{
	const struct config *cfg = s->cfg;
	char buf[512], epath[128];
	size_t n;

	log_escape(epath, sizeof(epath), req->path.p, req->path.n);
	if (cfg->health_path != NULL &&
	    strlen(cfg->health_path) == req->path.n &&
	    memcmp(cfg->health_path, req->path.p, req->path.n) == 0) {
		const char *body = s->gw->draining ? "draining\n" : "ok\n";

		s->http_status = s->gw->draining ? 503 : 200;
		n = handshake_write_response(buf, sizeof(buf),
		    s->http_status, "text/plain", strlen(body), false);
		bufferevent_write(s->client, buf, n);
		bufferevent_write(s->client, body, strlen(body));
		session_log_web(s, LL_DEBUG, epath, n + strlen(body), NULL);
		session_enter_linger(s);
		return;
	}
	if (route_find(cfg, req->path.p, req->path.n) != NULL) {
		session_respond(s, 426, "this is a WebSocket endpoint; "
		    "send a WebSocket upgrade request", req->path.p,
		    req->path.n, "", 0);
		return;
	}
	if (cfg->web_root != NULL) {
		struct evbuffer *out = bufferevent_get_output(s->client);
		size_t before = evbuffer_get_length(out);
		const char *why = NULL;
		struct stat st;
		int body;

		s->http_status = webroot_respond(cfg->web_root, req->path.p,
		    req->path.n, out, &body, &st, &why);
		if (body >= 0) {
			session_send_file(s, body, &st, epath);
			return;
		}
		session_log_web(s, s->http_status >= 500 ? LL_WARN :
		    s->http_status >= 400 ? LL_INFO : LL_DEBUG, epath,
		    evbuffer_get_length(out) - before, why);
		session_enter_linger(s);
		return;
	}
	session_respond(s, 404, "no route for this path", req->path.p,
	    req->path.n, "", 0);
}

/* upstream.c's report. */
static void
session_upstream_cb(void *arg, enum upstream_event ev, int status,
    const char *why)
{
	struct session *s = arg;

	switch (ev) {
	case UPSTREAM_CONNECTED:
		s->backend = upstream_take(s->upstream, &s->backend_tls);
		upstream_free(s->upstream);
		s->upstream = NULL;
		session_backend_connected(s);
		return;
	case UPSTREAM_RETRY:
		log_debug("client=%s route=%s: backend %s; trying its next "
		    "address", s->peer, s->route->name, why);
		return;
	case UPSTREAM_FAILED:
		session_backend_failed(s, status, why);
		return;
	}
}

/* admit.h's view of the client certificate. */
static int
session_client_cert(void *arg, char *const *names, size_t n, char *who,
    size_t whosize)
{
	struct session *s = arg;

	return tls_peer_name_allowed(s->client, names, n, who, whosize);
}

static void
session_upgrade(struct session *s, const struct hs_request *req,
    size_t used)
{
	struct admit_conn conn = {
		.draining = s->gw->draining,
		.slots = &s->gw->shared->slots,
		.client_cert = s->client_tls ? session_client_cert : NULL,
		.client_cert_arg = s,
	};
	struct admit_result res;
	int rc = admit_request(req, s->cfg, &conn, &res);

	s->route = res.route;
	if (res.cert_name[0] != '\0')
		log_debug("client=%s route=%s client certificate name %s "
		    "allowed", s->peer, s->route->name, res.cert_name);
	if (rc != 0) {
		session_respond(s, res.status, res.why, req->path.p,
		    req->path.n, req->origin.p, req->origin.n);
		return;
	}
	s->counted = res.holds_slots;	/* given back when the client goes */
	/* A session now: its descriptors are max_connections' to count. */
	session_release_pending(s);
	memcpy(s->accept, res.accept, sizeof(s->accept));
	s->subprotocol = res.subprotocol;
	s->target = res.target;
	if (req->has_origin) {
		s->origin_len = req->origin.n < sizeof(s->origin) ?
		    req->origin.n : sizeof(s->origin);
		memcpy(s->origin, req->origin.p, s->origin_len);
	}

	/* Keep whatever followed the request: pipelined frames. */
	evbuffer_drain(bufferevent_get_input(s->client), used);
	bufferevent_disable(s->client, EV_READ);
	bufferevent_setcb(s->client, NULL, NULL, NULL, s);
	s->state = SESSION_CONNECTING;
	session_arm(s, s->route->limits.backend_connect_timeout);
	s->upstream = upstream_new(s->gw->base, &s->target,
	    session_upstream_cb, s);
	if (s->upstream == NULL)
		session_backend_failed(s, 502, "cannot start backend "
		    "connection");
	else
		upstream_start(s->upstream, s->gw->resolver);
}

static void
session_http_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	size_t max = (size_t)s->cfg->max_request_bytes;
	size_t n = len < max ? len : max;
	struct hs_limits lim = { max, s->cfg->max_headers };
	struct hs_request req;
	const char *buf, *why = "";
	int status = 400;
	int rc;

	s->got_bytes = true;
	pending_advance(&s->gw->pending, &s->pending, PENDING_PARTIAL);
	buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	rc = handshake_parse(buf, n, &lim, &req, &status, &why);
	if (rc == CODEC_NEED_MORE)
		return;
	if (rc == CODEC_ERROR) {
		session_respond(s, status, why, req.path.p, req.path.n, "", 0);
		return;
	}
	if (!req.upgrade_attempt)
		session_plain_get(s, &req);
	else
		session_upgrade(s, &req, (size_t)rc);
}

static void
session_http_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		/* The TLS handshake is done; the HTTP request comes next. */
		s->tls_ready = true;
		if (log_enabled(LL_DEBUG))
			log_debug("tls client=%s %s", s->peer,
			    tls_describe(bev, why, sizeof(why)));
		return;
	}
	if (s->client_tls && !s->tls_ready)
		log_info("tls client=%s handshake failed: %s", s->peer,
		    tls_error(bev, what, why, sizeof(why)));
	else
		log_debug("client=%s left during the handshake (%s)", s->peer,
		    (what & BEV_EVENT_EOF) ? "EOF" :
		    s->client_tls ? tls_error(bev, what, why, sizeof(why)) :
		    strerror(EVUTIL_SOCKET_ERROR()));
	session_drop_client(s);
	session_maybe_free(s);
}

static void
session_start_http(struct session *s)
{
	bufferevent_setcb(s->client, session_http_read_cb, NULL,
	    session_http_event_cb, s);
	/*
	 * Reading stops at the limit; the parser then answers 431.  Not
	 * under TLS: there libevent 2.1 stops mid-record at a watermark and
	 * leaves the rest inside OpenSSL, where no socket event will find
	 * it again.  The parser's own limit (max_request_bytes) applies.
	 */
	bufferevent_setwatermark(s->client, EV_READ, 0,
	    s->client_tls ? 0 : (size_t)s->cfg->max_request_bytes);
	bufferevent_enable(s->client, EV_READ);
}

/* A TLS listener: the first byte says whether the client speaks TLS. */
static void
session_peek_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	unsigned char first;
	ssize_t n;

	(void)what;
	n = recv(fd, &first, 1, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		event_add(s->peek, NULL);
		return;
	}
	if (n <= 0) {
		/* Gone before saying anything: close quietly (and fd). */
		session_free(s);
		return;
	}
	event_free(s->peek);
	s->peek = NULL;
	/* RFC 8446 5.1: a record starts with its type; 22 = handshake. */
	if (first == 22) {
		s->client_tls = true;
		if (s->cfg->tls == NULL)
			log_warn("client=%s: TLS listener, but the running "
			    "configuration has no certificate", s->peer);
		s->client = tls_accept(s->gw->base, s->cfg, fd);
	} else {
		s->client = bufferevent_socket_new(s->gw->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (s->client == NULL)
			close(fd);
	}
	if (s->client == NULL) {
		session_free(s);
		return;
	}
	session_start_http(s);
	if (!s->client_tls) {
		/* An http:// or ws:// URL with the TLS port: say so, in
		 * plain text, rather than let the client wait. */
		s->got_bytes = true;
		session_reject(s, 400, "this port speaks TLS: use https:// "
		    "or wss://");
	}
}

/* ---- backend up or down ---- */

void
session_backend_connected(struct session *s)
{
	char buf[512];
	size_t n;

	if (s->gw->draining) {
		session_backend_failed(s, 503, "gateway is shutting down");
		return;
	}
	n = handshake_write_101(buf, sizeof(buf), s->accept, s->subprotocol);
	bufferevent_write(s->client, buf, n);
	s->http_status = 101;
	s->gw->stats.upgraded++;
	s->state = SESSION_OPEN;
	ws_reader_init(&s->rx, s->route->limits.max_message_size);
	session_touch(s);
	session_arm(s, s->route->limits.idle_timeout);
	log_debug("open client=%s route=%s backend=%s", s->peer,
	    s->route->name, s->target.display);
	relay_start(s);
}

void
session_backend_failed(struct session *s, int status, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "backend %s: %s", s->target.display, why);
	if (s->backend != NULL || s->upstream != NULL)
		session_drop_backend(s);
	/* session_respond logs a pointer into msg before returning.  The
	 * route matched the request path exactly, so it is that path. */
	session_respond(s, status, msg, s->route->path,
	    strlen(s->route->path), s->origin, s->origin_len);
}

/* ---- closing ---- */

static void
session_queue_close(struct session *s, uint16_t code, const char *reason)
{
	uint8_t frame[FRAME_MAX_HEADER + FRAME_MAX_CONTROL];
	size_t n;

	if (code == WS_CLOSE_NO_STATUS) {
		/* RFC 6455 7.1.5: no code received, none to echo. */
		n = frame_write_header(frame, true, WS_OP_CLOSE, 0);
	} else {
		n = frame_build_close(frame, code, reason);
	}
	bufferevent_write(s->client, frame, n);
	relay_stop_writing(s, true);
}

void
session_send_close(struct session *s, uint16_t code, const char *reason,
    enum session_closer by)
{
	if (s->state != SESSION_OPEN || s->client == NULL)
		return;
	session_queue_close(s, code, reason);
	s->close_code = code;
	s->closed_by = by;
	s->close_why = reason;
	s->state = SESSION_CLOSE_SENT;
	session_backend_finish(s);
	session_arm(s, s->route->limits.close_timeout);
	/* A shutdown stopped reading the client: its close comes next. */
	if (s->shutting_down)
		relay_shutdown_end(s);
}

void
session_fail(struct session *s, uint16_t code, const char *why)
{
	if (s->state == SESSION_OPEN) {
		session_queue_close(s, code, why);
		s->close_code = code;
		s->closed_by = CLOSER_CLIENT;
		s->close_why = why;
		session_backend_finish(s);
	}
	/* RFC 6455 7.1.7: fail the connection; the stream cannot be
	 * trusted, so stop parsing it. */
	session_enter_linger(s);
}

void
session_peer_closed(struct session *s, uint16_t code)
{
	if (s->state == SESSION_OPEN) {
		/* RFC 6455 5.5.1: answer with a close echoing the code. */
		session_queue_close(s, code, NULL);
		s->close_code = code;
		s->closed_by = CLOSER_CLIENT;
		s->close_why = "client sent close";
		session_backend_finish(s);
	}
	/* RFC 6455 7.1.1: the server closes the TCP connection first.  Both
	 * close frames have crossed, so when ours is already written there
	 * is nothing left to wait for: close now (a plain socket; TLS still
	 * owes its close_notify). */
	if (!s->client_tls) {
		relay_stop_writing(s, true);
		if (evbuffer_get_length(bufferevent_get_output(s->client)) ==
		    0) {
			s->state = SESSION_LINGER;
			session_drop_client(s);
			session_arm(s, session_limits(s)->close_timeout);
			session_maybe_free(s);
			return;
		}
	}
	session_enter_linger(s);
}

void
session_client_gone(struct session *s, const char *why)
{
	if (s->close_code == 0) {
		s->close_code = WS_CLOSE_ABNORMAL;
		s->closed_by = CLOSER_CLIENT;
		s->close_why = why;
	}
	s->state = SESSION_LINGER;
	session_drop_client(s);
	session_arm(s, session_limits(s)->close_timeout);
	session_backend_finish(s);
	session_maybe_free(s);
}

void
session_backend_gone(struct session *s, bool error, const char *why)
{
	session_drop_backend(s);
	if (s->state != SESSION_OPEN)
		session_maybe_free(s);
	else if (s->backend_shut && !error)
		/* Its answer to our shutdown: all it had is relayed. */
		session_send_close(s, WS_CLOSE_GOING_AWAY,
		    "server shutting down", CLOSER_GATEWAY);
	else
		session_send_close(s, error ? WS_CLOSE_INTERNAL :
		    WS_CLOSE_NORMAL, why, CLOSER_BACKEND);
}

/*
 * The open session's one timer: the idle deadline (activity only stamps a
 * time; the timer re-arms here, lazily, instead of on every read), or a
 * second from now while a side is paused, whichever is first.
 */
static void
session_arm_open(struct session *s)
{
	double idle = s->route->limits.idle_timeout;
	double next = 0;
	struct timeval now;

	if (idle > 0) {
		session_now(&now);
		next = idle - elapsed(&s->active_mono, &now);
		if (next < 0.001)
			next = 0.001;
	}
	if ((s->client_paused || s->backend_paused) &&
	    (next == 0 || next > SESSION_PAUSED_CHECK))
		next = SESSION_PAUSED_CHECK;
	session_arm(s, next);
}

void
session_paused(struct session *s)
{
	/* A shutdown keeps its own deadline. */
	if (s->state == SESSION_OPEN && !s->client_hup && !s->backend_hup &&
	    !s->shutting_down)
		session_arm_open(s);
}

void
session_peer_finishing(struct session *s, bool client)
{
	if (client)
		s->client_hup = true;
	else
		s->backend_hup = true;
	if (!s->shutting_down)
		session_arm(s, s->route->limits.close_timeout);
}

static void
session_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct timeval now;
	double idle, quiet;

	(void)fd;
	(void)what;
	switch (s->state) {
	case SESSION_HANDSHAKE:
		if (s->client == NULL) {
			/* TLS listener, not a byte received. */
			session_free(s);
			return;
		}
		if (!s->got_bytes) {
			/* A browser's speculative connection (also one that
			 * only did its TLS handshake): just close. */
			if (s->client_tls && !s->tls_ready)
				log_debug("tls client=%s handshake not done "
				    "within handshake_timeout", s->peer);
			session_drop_client(s);
			session_maybe_free(s);
			return;
		}
		session_reject(s, 408, "handshake_timeout: request not "
		    "complete in time");
		return;
	case SESSION_CONNECTING:
		session_backend_failed(s, 504, "connect timed out "
		    "(backend_connect_timeout)");
		return;
	case SESSION_OPEN:
		if (s->shutting_down) {
			log_debug("client=%s: close_timeout expired before the "
			    "backend finished after the shutdown", s->peer);
			session_send_close(s, WS_CLOSE_GOING_AWAY,
			    "server shutting down", CLOSER_GATEWAY);
			return;
		}
		if (s->client_hup || s->backend_hup) {
			log_debug("client=%s: close_timeout expired while "
			    "relaying what a departed %s sent", s->peer,
			    s->client_hup ? "client" : "backend");
			if (s->close_code == 0) {
				s->close_code = WS_CLOSE_ABNORMAL;
				s->closed_by = s->client_hup ? CLOSER_CLIENT
				    : CLOSER_BACKEND;
				s->close_why = "peer left; its last bytes could "
				    "not be delivered within close_timeout";
			}
			session_free(s);
			return;
		}
		if ((s->client_paused || s->backend_paused) &&
		    relay_check_paused(s))
			return;		/* a paused side hung up */
		if (s->client_hup || s->backend_hup)
			return;		/* now on close_timeout */
		idle = s->route->limits.idle_timeout;
		session_now(&now);
		quiet = elapsed(&s->active_mono, &now);
		if (idle > 0 && quiet + 0.001 >= idle) {
			session_send_close(s, WS_CLOSE_GOING_AWAY,
			    "idle timeout", CLOSER_GATEWAY);
			return;
		}
		session_arm_open(s);
		return;
	case SESSION_SENDING:
		session_send_check(s);
		return;
	case SESSION_CLOSE_SENT:
	case SESSION_LINGER:
		log_debug("client=%s close_timeout expired: dropping",
		    s->peer);
		session_free(s);
		return;
	}
}

/*
 * The request often arrives right behind the connection: try to read it
 * now instead of one loop iteration later.  Nothing read (or EOF, or an
 * error) is left for the bufferevent to find.
 */
static void
session_read_now(struct session *s, int fd)
{
	struct evbuffer *in = bufferevent_get_input(s->client);
	struct evbuffer_iovec v;
	ssize_t n;

	/* read(2) into the input: evbuffer_read() adds an FIONREAD ioctl. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, (ev_ssize_t)s->cfg->max_request_bytes,
	    &v, 1) != 1) {
		evbuffer_freeze(in, 0);
		return;
	}
	n = read(fd, v.iov_base, v.iov_len);
	v.iov_len = n > 0 ? (size_t)n : 0;
	evbuffer_commit_space(in, &v, n > 0 ? 1 : 0);
	evbuffer_freeze(in, 0);
	if (n > 0)
		session_http_read_cb(s->client, s);
}

/* A flood would write a line per connection: one a second is enough. */
static bool
session_pending_may_warn(struct gateway *gw)
{
	time_t now = time(NULL);

	if (now == gw->pending_warned)
		return false;
	gw->pending_warned = now;
	return true;
}

static const char *const pending_stage_names[] = {
	[PENDING_SILENT] = "had sent nothing",
	[PENDING_PARTIAL] = "had sent part of a request",
	[PENDING_ANSWERED] = "was being answered",
};

/*
 * Take a pending slot (pending.h) for a new connection.  When this
 * loop's share of the budget is spent, its longest-waiting idle
 * connection makes room, so a client that sends its request at once
 * still gets its answer while idle connections flood in; but a new
 * connection whose address already holds max_handshakes_per_client is
 * closed at once instead.
 */
static int
session_admit(struct session *s, const struct sockaddr *sa)
{
	struct gateway *gw = s->gw;
	struct pending_budget *b = &gw->shared->pending;
	struct pending_link *evict;
	struct session *old;

	if (pending_admit(b, &gw->pending, &s->pending, sa, &evict) != 0) {
		if (session_pending_may_warn(gw))
			log_warn("client=%s: connection closed at once: "
			    "max_handshakes (%u) reached, and its address "
			    "already has max_handshakes_per_client (%u) "
			    "connections not yet upgraded", s->peer,
			    atomic_load(&b->max),
			    atomic_load(&b->max_per_client));
		else
			log_debug("client=%s: connection closed at once "
			    "(max_handshakes_per_client)", s->peer);
		return -1;
	}
	if (evict == NULL)
		return 0;
	old = (struct session *)((char *)evict -
	    offsetof(struct session, pending));
	if (session_pending_may_warn(gw))
		log_warn("max_handshakes (%u) reached: closing client=%s, "
		    "which %s, for a new connection (worker %u's share: %u)",
		    atomic_load(&b->max), old->peer,
		    pending_stage_names[old->pending.stage], gw->id,
		    pending_share(b, gw->id));
	else
		log_debug("client=%s closed for a new connection "
		    "(max_handshakes); it %s", old->peer,
		    pending_stage_names[old->pending.stage]);
	session_free(old);
	return 0;
}

struct session *
session_new(struct gateway *gw, int fd, const struct sockaddr *sa,
    socklen_t salen, bool tls)
{
	struct session *s = calloc(1, sizeof(*s));

	(void)salen;
	if (s == NULL) {
		close(fd);
		return NULL;
	}
	s->gw = gw;
	sockaddr_format(sa, s->peer, sizeof(s->peer));
	if (session_admit(s, sa) != 0) {
		close(fd);
		free(s);
		return NULL;
	}
	s->cfg = config_ref(gw->cfg);
	if (tls)
		s->peek = event_new(gw->base, fd, EV_READ, session_peek_cb,
		    s);
	else
		s->client = bufferevent_socket_new(gw->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(gw->base, session_timer_cb, s);
	if ((s->client == NULL && s->peek == NULL) || s->timer == NULL) {
		if (s->client != NULL)
			bufferevent_free(s->client);
		else
			close(fd);
		if (s->peek != NULL)
			event_free(s->peek);
		if (s->timer != NULL)
			event_free(s->timer);
		session_release_pending(s);
		config_unref(s->cfg);
		free(s);
		return NULL;
	}
	/* TCP_NODELAY: inherited from the listening socket. */
	s->state = SESSION_HANDSHAKE;
	session_now(&s->started_mono);
	s->active_mono = s->started_mono;
	s->next = gw->sessions;
	if (gw->sessions != NULL)
		gw->sessions->prev = s;
	gw->sessions = s;
	gw->nsessions++;
	atomic_fetch_add(&gw->shared->nsessions, 1);

	session_arm(s, s->cfg->handshake_timeout);
	if (s->peek != NULL) {
		event_add(s->peek, NULL);
		return s;
	}
	session_start_http(s);
	session_read_now(s, fd);
	return s;
}

void
session_backend_delivered(struct session *s)
{
	if (s->backend_shut || s->backend == NULL)
		return;
	s->backend_shut = true;
	/* EOF tells the backend the client is done; its answer to what it
	 * has read still comes back, and then its own EOF. */
	session_shut_write(s->backend, s->backend_tls);
}

void
session_close_all(struct gateway *gw)
{
	struct session *s, *next;

	for (s = gw->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->state == SESSION_SENDING) {
			/* Cut short, as for a changed file. */
			session_send_end(s, LL_INFO, true,
			    "server shutting down");
			session_enter_linger(s);
			continue;
		}
		if (s->state != SESSION_OPEN || s->shutting_down)
			continue;
		s->shutting_down = true;
		/* Both steps (the backend's answer, then the close
		 * handshake) get close_timeout each. */
		session_arm(s, s->route->limits.close_timeout);
		relay_shutdown(s);
	}
}

void
session_abort_all(struct gateway *gw)
{
	while (gw->sessions != NULL)
		session_free(gw->sessions);
}
