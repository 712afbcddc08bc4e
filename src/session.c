/* session.c -- one client connection: its state, its one timer, and the decision how it ends */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admin_gather.h"
#include "admit.h"
#include "clientlimit.h"
#include "config.h"
#include "frame.h"
#include "front.h"
#include "gateway.h"
#include "h2_conn.h"
#include "h2_stream.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "recorder.h"
#include "relay.h"
#include "route_count.h"
#include "side.h"
#include "sockaddr.h"
#include "subproto.h"
#include "target.h"
#include "tls.h"
#include "upstream.h"

/*
 * The client side's life.  The backend side is simply connected or not,
 * plus closing once nothing more will be read from it for the client.
 *
 *   HANDSHAKE --request ok--> CONNECTING --backend up--> OPEN
 *    ^  |   \                    |                        |
 *    |  |    web_root file       | 502/504                | close frame
 *    |  |     v                  |                        |
 *    |  |   SENDING (stalled, client gone: freed)         |
 *    |  |     | body written, file changed                |
 *    +--+-----+ kept alive (FRONT_IDLE): the next request |
 *       | answered, bad request  |                        |  sent first
 *       v     v                  v                        v
 *     LINGER <-------------------+--- peer close --- CLOSE_SENT
 *       |
 *   output flushed, write side shut, input discarded until EOF/timeout
 *
 * Who does what: front.c reads the request and answers it (admit.c
 * judges an upgrade), upstream.c connects the target, relay.c moves the
 * data; each reports here through one callback, and the session decides
 * what happens next.  side.c holds each side's connection and closes it.
 */
enum session_state {
	SESSION_HANDSHAKE,
	SESSION_CONNECTING,
	SESSION_OPEN,
	SESSION_CLOSE_SENT,
	SESSION_LINGER,
	SESSION_SENDING,	/* a web_root file, as the client takes it */
	SESSION_H2,		/* an HTTP/2 connection: h2_conn.c's; its
				 * WebSockets are sessions of their own */
};

enum session_closer {
	CLOSER_NONE,
	CLOSER_CLIENT,
	CLOSER_BACKEND,
	CLOSER_GATEWAY,
};

struct session {
	struct gateway *gw;
	struct config *cfg;		/* reference held until free */
	const struct route *route;	/* in cfg; NULL before routing */
	/* The backend it went to, when not the route's first (another of
	 * its backends, a token's target): the close line names it. */
	char *backend_used;
	struct session *prev, *next;	/* gw->sessions */

	struct side client;		/* its connection: NULL once closed */
	struct side backend;		/* connected: set; NULL once closed */
	struct front *front;		/* the HTTP phase, until the 101 */
	struct upstream *upstream;	/* while connecting */
	struct relay *relay;		/* from the 101 */
	struct h2_conn *h2;		/* SESSION_H2 */
	/* A WebSocket on an HTTP/2 stream: the client side is the
	 * session's end of a bufferevent pair (h2_stream.c), until
	 * released; the subprotocol admission chose, for the 200. */
	struct h2_stream *stream;
	char subprotocol[SUBPROTO_NAME_MAX + 1];	/* "": none */
	bool on_h2;			/* for the logs: proto=h2 */
	struct event *timer;		/* the session's one timer */

	enum session_state state;
	bool counted;			/* holds a max_connections slot */
	bool open_counted;		/* counted in its route's open gauge */
	bool holds_client;		/* a max_connections_per_client place */
	uint32_t client_bucket;
	uint64_t id;			/* GET /sessions; seq << 8 | worker */
	/* Its route's counters in this worker (metrics.h), from the
	 * connect on; the connect's start, for its histogram. */
	struct metrics_route *mr;
	struct timeval connect_mono;
	/* Gateway shutdown (session_close_all): see relay_shutdown. */
	bool shutting_down;

	uint16_t close_code;		/* what ended it, for the log */
	enum session_closer closed_by;
	const char *close_why;		/* static text */
	/* On the monotonic clock (monotime.h), never compared with
	 * wall-clock time. */
	struct timeval started_mono;
	struct timeval opened_mono;	/* the 101: max_session_duration */
	/* Heartbeats (ping_interval): our last ping, and whether it still
	 * waits for the client to be heard from. */
	struct timeval ping_sent;
	bool ping_out;
	struct recording *rec;		/* record = DIR: owned */
	char peer[64];
};

/* How often a side paused for backpressure is checked for hang-ups. */
#define SESSION_PAUSED_CHECK 1.0

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

static void
session_log_end(struct session *s)
{
	struct timeval now;
	uint64_t up, down;

	if (s->relay == NULL)
		return;	/* never upgraded: answers were logged when sent */
	metrics_close(s->gw->metrics, s->close_code,
	    s->closed_by == CLOSER_CLIENT ? METRICS_BY_CLIENT :
	    s->closed_by == CLOSER_BACKEND ? METRICS_BY_BACKEND :
	    METRICS_BY_GATEWAY);
	monotime_now(&now);
	relay_bytes(s->relay, &up, &down);
	log_info("close client=%s route=%s up=%llu down=%llu duration=%.3fs "
	    "code=%u by=%s reason=\"%s\" backend=%s proto=%s", s->peer,
	    s->route->name, (unsigned long long)up, (unsigned long long)down,
	    monotime_elapsed(&s->started_mono, &now), s->close_code,
	    closer_names[s->closed_by],
	    s->close_why != NULL ? s->close_why : "",
	    s->backend_used != NULL ? s->backend_used :
	    s->route->backend != NULL ? s->route->backend : "-",
	    s->on_h2 ? "h2" : "h1");
}

/* Give back the max_connections slot as soon as the client is gone: a
 * backend still being flushed does not hold a client's place. */
static void
session_release_slot(struct session *s)
{
	if (s->holds_client) {
		s->holds_client = false;
		clientlimit_give(s->gw->shared->clients, s->client_bucket);
	}
	if (!s->counted)
		return;
	s->counted = false;
	admit_release(&s->gw->shared->slots, s->route);
}

/* A stream's session lets go of the pair's end it is about to free. */
static void
session_release_stream(struct session *s)
{
	struct h2_stream *st = s->stream;

	s->stream = NULL;
	if (st != NULL)
		h2_stream_released(st);
}

/* The recording's end record says how the session ended. */
static void
session_record_end(struct session *s)
{
	char how[128];
	uint64_t dropped = 0;

	if (s->rec == NULL)
		return;
	snprintf(how, sizeof(how), "code=%u by=%s", s->close_code,
	    closer_names[s->closed_by]);
	recorder_close(s->rec, how, &dropped);
	s->rec = NULL;
	if (dropped > 0)
		log_warn("client=%s route=%s: recording: %llu bytes dropped "
		    "(the writer's queue was full); the recording stops there",
		    s->peer, s->route->name, (unsigned long long)dropped);
}

/* The metrics' proto label. */
static enum metrics_proto
session_proto(const struct session *s)
{
	return s->on_h2 ? METRICS_H2 : METRICS_H1;
}

static void
session_free(struct session *s)
{
	struct gateway *gw = s->gw;

	session_log_end(s);
	if (s->open_counted)
		metrics_sub(&s->mr->open[session_proto(s)], 1);
	relay_free(s->relay);
	session_record_end(s);
	front_free(s->front);
	upstream_free(s->upstream);
	h2_conn_free(s->h2);
	session_release_stream(s);
	side_free(&s->client);
	side_free(&s->backend);
	if (s->timer != NULL)
		event_free(s->timer);
	session_release_slot(s);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		gw->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	gw->nsessions--;
	atomic_fetch_sub(&gw->shared->nsessions, 1);
	free(s->backend_used);
	config_unref(s->cfg);
	free(s);
	if (gw->draining && gw->nsessions == 0)
		event_base_loopexit(gw->base, NULL);
}

static void
session_maybe_free(struct session *s)
{
	if (s->client.bev == NULL && s->backend.bev == NULL)
		session_free(s);
}

static void
session_drop_client(struct session *s)
{
	session_release_slot(s);
	session_release_stream(s);
	side_drop(&s->client);
}

static void
session_drop_backend(struct session *s)
{
	upstream_free(s->upstream);
	s->upstream = NULL;
	side_drop(&s->backend);
}

/* ---- closing a side: write what is queued, shut, read to EOF ---- */

static void session_backend_finish(struct session *s);

/* Its EOF (or error, or the close_timeout) ends a closing side. */
static void
session_closed(struct session *s, bool client)
{
	if (client) {
		session_drop_client(s);
		session_backend_finish(s);
	} else {
		session_drop_backend(s);
	}
	session_maybe_free(s);
}

static void
session_client_closed_cb(void *arg, enum side_event ev)
{
	if (ev == SIDE_CLOSED)
		session_closed(arg, true);
}

static void
session_backend_closed_cb(void *arg, enum side_event ev)
{
	if (ev == SIDE_CLOSED)
		session_closed(arg, false);
}

/* No more will be read from the backend for the client. */
static void
session_backend_finish(struct session *s)
{
	if (s->state == SESSION_CONNECTING) {
		session_drop_backend(s);
		return;
	}
	if (s->backend.bev == NULL || s->backend.closing)
		return;
	side_close(&s->backend, false, s->gw->scratch, s->gw->scratch_size,
	    session_backend_closed_cb, s);
}

/* The client's linger: flush, shut, read to EOF (RFC 9112 9.6). */
static void
session_enter_linger(struct session *s)
{
	uint32_t b;

	/* Answered and closing: no handshake in progress any more, so not
	 * a max_connections_per_client place either. */
	if (front_client_hand(s->front, &b))
		clientlimit_give(s->gw->shared->clients, b);
	if (s->holds_client) {	/* a 502 after admission */
		s->holds_client = false;
		clientlimit_give(s->gw->shared->clients, s->client_bucket);
	}
	s->state = SESSION_LINGER;
	side_close(&s->client, true, s->gw->scratch, s->gw->scratch_size,
	    session_client_closed_cb, s);
	session_arm(s, session_limits(s)->close_timeout);
}

/* ---- backend up or down ---- */

/*
 * The backend could not be had after all: answer the request (backend:
 * its target's display, for the reason), and linger.
 */
static void
session_backend_failed(struct session *s, int status, const char *why,
    const char *backend)
{
	char msg[TARGET_DISPLAY_MAX + 256];

	snprintf(msg, sizeof(msg), "backend %s: %s", backend, why);
	session_drop_backend(s);
	if (s->stream != NULL) {
		/* The answer ends the stream: nothing to linger for. */
		h2_stream_answer(s->stream, status, msg);
		session_drop_client(s);
		session_maybe_free(s);
		return;
	}
	front_fail(s->front, status, msg);
	session_enter_linger(s);
}

static void session_relay_cb(void *arg, enum relay_event ev, uint16_t code,
    const char *why);
static void session_client_gone(struct session *s, const char *why);
static void session_start_h2(struct session *s);
static void session_arm_open(struct session *s);

/* record = DIR: the session's recording starts with its 101. */
static void
session_record_start(struct session *s, const struct target *t)
{
	struct recorder_info ri = {
		.dir = s->route->record_dir,
		.route = s->route->name,
		.client = s->peer,
		.target = t->display,
		.subprotocol = s->stream != NULL ? (s->subprotocol[0] != '\0' ?
		    s->subprotocol : NULL) : front_subprotocol(s->front),
		.max_bytes = s->route->record_max_bytes,
		.dir_max_bytes = s->route->record_dir_max_bytes,
	};

	if (s->route->record_dir == NULL)
		return;
	s->rec = recorder_open(&ri);
	relay_set_recording(s->relay, s->rec);
}

/* The backend side is connected: send the 101 and relay.  The attempt
 * (and its target) goes once it is no longer needed. */
static void
session_backend_connected(struct session *s)
{
	const struct target *t = upstream_target(s->upstream);

	if (s->gw->draining) {
		session_backend_failed(s, 503, "gateway is shutting down",
		    t->display);
		return;
	}
	s->relay = relay_new(s->gw, &s->client, &s->backend, t->limits,
	    session_relay_cb, s);
	if (s->relay == NULL) {
		session_backend_failed(s, 502, "out of memory", t->display);
		return;
	}
	if (s->stream != NULL)
		h2_stream_upgraded(s->stream, s->subprotocol[0] != '\0' ?
		    s->subprotocol : NULL);
	else
		front_upgraded(s->front);
	metrics_add(&s->mr->sessions[session_proto(s)], 1);
	metrics_add(&s->mr->open[session_proto(s)], 1);
	s->open_counted = true;
	relay_count_into(s->relay, s->mr);
	session_record_start(s, t);
	/* The HTTP part is over. */
	front_free(s->front);
	s->front = NULL;
	s->state = SESSION_OPEN;
	monotime_now(&s->opened_mono);
	s->ping_sent = s->opened_mono;
	log_info("open client=%s route=%s backend=%s id=%llu proto=%s",
	    s->peer, s->route->name, t->display, (unsigned long long)s->id,
	    s->on_h2 ? "h2" : "h1");
	/* The target goes with the attempt: keep a copy, if needed. */
	if (s->route->backend == NULL ||
	    strcmp(t->display, s->route->backend) != 0)
		s->backend_used = strdup(t->display);
	upstream_free(s->upstream);
	s->upstream = NULL;
	session_arm_open(s);
	relay_start(s->relay);
}

static void
session_connect_time(struct session *s)
{
	struct timeval now;
	double t;

	monotime_now(&now);
	t = monotime_elapsed(&s->connect_mono, &now);
	metrics_connect_time(s->gw->metrics, t > 0 ? (uint64_t)(t * 1e6) : 0);
}

/* upstream.c's report. */
static void
session_upstream_cb(void *arg, enum upstream_event ev, int status,
    const char *why)
{
	struct session *s = arg;
	struct bufferevent *bev;
	bool tls;

	switch (ev) {
	case UPSTREAM_CONNECTED:
		session_connect_time(s);
		bev = upstream_take(s->upstream, &tls);
		side_attach(&s->backend, bev, tls);
		session_backend_connected(s);
		return;
	case UPSTREAM_RETRY:
		log_debug("client=%s route=%s: backend %s; trying its next "
		    "address", s->peer, s->route->name, why);
		return;
	case UPSTREAM_NEXT:
		log_warn("client=%s route=%s: backend %s", s->peer,
		    s->route->name, why);
		return;
	case UPSTREAM_FAILED:
		metrics_connect_failed(s->mr, (enum metrics_connect_fail)
		    upstream_fail_class(s->upstream));
		session_backend_failed(s, status, why,
		    upstream_target(s->upstream)->display);
		return;
	}
}

/* Admitted: connect the target (which the attempt copies). */
static void
session_connect(struct session *s, const struct admit_result *res)
{
	s->counted = res->holds_slots;	/* given back when the client goes */
	s->holds_client = res->holds_client;
	s->client_bucket = res->client_bucket;
	s->state = SESSION_CONNECTING;
	s->mr = metrics_route(s->gw->metrics, route_count_slot(s->route->count));
	monotime_now(&s->connect_mono);
	session_arm(s, s->route->limits.backend_connect_timeout);
	s->upstream = upstream_new(s->gw->base, &res->target,
	    session_upstream_cb, s);
	if (s->upstream == NULL)
		session_backend_failed(s, 502, "cannot start backend "
		    "connection", res->target.display);
	else
		upstream_start(s->upstream, s->gw->resolver);
}

/* ---- HTTP/2: the connection, and a session for each WebSocket stream ---- */

static void session_timer_cb(evutil_socket_t fd, short what, void *arg);
static void session_link(struct session *s);

/* h2_conn.c's stream_open: an admitted stream becomes a session of its
 * own, as an upgraded HTTP/1.1 connection would, with bev (the stream's
 * end of a pair) as its client side. */
static void *
session_stream_open(void *arg, struct h2_stream *st, struct bufferevent *bev,
    const struct admit_result *res)
{
	struct session *conn = arg;
	struct session *s = calloc(1, sizeof(*s));

	/* One max_connections_per_client place per connection, however
	 * many streams: the connection's session keeps the front's. */
	if (!conn->holds_client)
		conn->holds_client = front_client_hand(conn->front,
		    &conn->client_bucket);
	/* A session now: its descriptors are max_connections' to count. */
	front_free(conn->front);
	conn->front = NULL;
	if (s != NULL)
		s->timer = evtimer_new(conn->gw->base, session_timer_cb, s);
	if (s == NULL || s->timer == NULL) {
		free(s);
		bufferevent_free(bev);
		if (res->holds_slots)
			admit_release(&conn->gw->shared->slots, res->route);
		return NULL;
	}
	s->gw = conn->gw;
	s->cfg = config_ref(conn->cfg);
	memcpy(s->peer, conn->peer, sizeof(s->peer));
	monotime_now(&s->started_mono);
	s->stream = st;
	s->on_h2 = true;
	s->route = res->route;
	/* (res is the caller's: the name is copied.) */
	if (res->subprotocol != NULL)
		snprintf(s->subprotocol, sizeof(s->subprotocol), "%s",
		    res->subprotocol);
	/* A bufferevent, read and written as a TLS side is. */
	side_attach(&s->client, bev, true);
	session_link(s);
	session_connect(s, res);
	return s;
}

/* h2_conn.c's stream_reset: the client reset the stream (RST_STREAM), or
 * the connection went: an abrupt close (1006). */
static void
session_stream_reset(void *arg, const char *why)
{
	struct session *s = arg;

	s->stream = NULL;	/* h2_conn.c knows */
	if (s->state == SESSION_CONNECTING)
		log_info("client=%s route=%s: %s before the backend was "
		    "connected proto=h2", s->peer, s->route->name, why);
	session_client_gone(s, why);
}

/* h2_conn.c's done: the connection is over; close it as any other. */
static void
session_h2_done(void *arg, const char *why)
{
	struct session *s = arg;

	(void)why;	/* logged by h2_conn.c */
	h2_conn_free(s->h2);
	s->h2 = NULL;
	front_free(s->front);
	s->front = NULL;
	session_enter_linger(s);
}

static const struct h2_conn_ops session_h2_ops = {
	.stream_open = session_stream_open,
	.stream_reset = session_stream_reset,
	.done = session_h2_done,
};

/* ALPN chose h2 (front.c): the front's part is over, and the connection's
 * timer closes it when it has had no stream for handshake_timeout. */
static void
session_start_h2(struct session *s)
{
	/* The front stays, holding its max_handshakes slot (as a connection
	 * that has sent nothing: among the first to give way), until the
	 * connection's first WebSocket is admitted. */
	s->on_h2 = true;
	s->h2 = h2_conn_new(s->gw, s->cfg, &s->client, s->peer,
	    &session_h2_ops, s);
	if (s->h2 == NULL) {
		session_enter_linger(s);
		return;
	}
	s->state = SESSION_H2;
	session_arm(s, s->cfg->handshake_timeout);
	h2_conn_start(s->h2);
}

/* front.c's report. */
static void
session_front_cb(void *arg, enum front_event ev,
    const struct admit_result *res)
{
	struct session *s = arg;

	if (res != NULL)
		s->route = res->route;
	switch (ev) {
	case FRONT_ANSWERED:
		session_enter_linger(s);
		return;
	case FRONT_IDLE:
		s->state = SESSION_HANDSHAKE;
		session_arm(s, s->cfg->keepalive_timeout);
		return;
	case FRONT_READING:
		session_arm(s, s->cfg->handshake_timeout);
		return;
	case FRONT_SENDING:
		s->state = SESSION_SENDING;
		session_arm(s, s->cfg->send_timeout < FRONT_SEND_CHECK ?
		    s->cfg->send_timeout : FRONT_SEND_CHECK);
		return;
	case FRONT_ADMITTED:
		session_connect(s, res);
		return;
	case FRONT_GONE:
		/* (An HTTP/2 connection without a WebSocket yet, too: made
		 * to give way under max_handshakes.) */
		h2_conn_free(s->h2);
		s->h2 = NULL;
		session_drop_client(s);
		session_maybe_free(s);
		return;
	case FRONT_H2:
		session_start_h2(s);
		return;
	}
}

/* ---- closing: the decisions ---- */

/* Our close frame (reason: its text, or NULL) is queued; what ended the
 * session is noted for the close line, and the backend finishes. */
static void
session_closing(struct session *s, uint16_t code, const char *reason,
    enum session_closer by, const char *why)
{
	relay_send_close(s->relay, code, reason);
	s->close_code = code;
	s->closed_by = by;
	s->close_why = why;
	session_backend_finish(s);
}

/* The client is gone, or done with: close it now. */
static void
session_client_done(struct session *s)
{
	s->state = SESSION_LINGER;
	session_drop_client(s);
	session_arm(s, session_limits(s)->close_timeout);
	session_backend_finish(s);
	session_maybe_free(s);
}

static void
session_send_close(struct session *s, uint16_t code, const char *reason,
    enum session_closer by)
{
	if (s->state != SESSION_OPEN || s->client.bev == NULL)
		return;
	session_closing(s, code, reason, by, reason);
	s->state = SESSION_CLOSE_SENT;
	session_arm(s, s->route->limits.close_timeout);
	/* A shutdown stopped reading the client: its close comes next. */
	if (s->shutting_down)
		relay_shutdown_end(s->relay);
}

static void
session_fail(struct session *s, uint16_t code, const char *why)
{
	if (s->state == SESSION_OPEN)
		session_closing(s, code, why, CLOSER_CLIENT, why);
	/* RFC 6455 7.1.7: fail the connection; the stream cannot be
	 * trusted, so stop parsing it. */
	session_enter_linger(s);
}

static void
session_peer_closed(struct session *s, uint16_t code)
{
	/* RFC 6455 5.5.1: answer with a close echoing the code. */
	if (s->state == SESSION_OPEN)
		session_closing(s, code, NULL, CLOSER_CLIENT,
		    "client sent close");
	/* RFC 6455 7.1.1: the server closes the TCP connection first.  Both
	 * close frames have crossed, so when ours is already written there
	 * is nothing left to wait for: close now (a plain socket; TLS still
	 * owes its close_notify). */
	if (!s->client.tls) {
		side_stop_writing(&s->client);
		if (side_queued(&s->client) == 0) {
			session_client_done(s);
			return;
		}
	}
	session_enter_linger(s);
}

static void
session_client_gone(struct session *s, const char *why)
{
	if (s->close_code == 0) {
		s->close_code = WS_CLOSE_ABNORMAL;
		s->closed_by = CLOSER_CLIENT;
		s->close_why = why;
	}
	session_client_done(s);
}

static void
session_backend_gone(struct session *s, enum relay_event ev, uint16_t code,
    const char *why)
{
	session_drop_backend(s);
	if (s->state != SESSION_OPEN)
		session_maybe_free(s);
	else if (ev == RELAY_BACKEND_DONE)
		/* Its answer to our shutdown: all it had is relayed. */
		session_send_close(s, WS_CLOSE_GOING_AWAY,
		    "server shutting down", CLOSER_GATEWAY);
	else
		session_send_close(s, ev != RELAY_BACKEND_ERROR ?
		    WS_CLOSE_NORMAL : code != 0 ? code : WS_CLOSE_INTERNAL, why,
		    CLOSER_BACKEND);
}

/*
 * The open session's one timer: the idle deadline (activity only stamps a
 * time; the timer re-arms here, lazily, instead of on every read), or a
 * second from now while a side is paused, whichever is first.
 */
/* The earlier of *next (0: none yet) and `in` seconds from now. */
static void
session_sooner(double *next, double in)
{
	if (in < 0.001)
		in = 0.001;
	if (*next == 0 || in < *next)
		*next = in;
}

/* When the heartbeat needs the timer next: the ping's due time, or its
 * pong's deadline (see session_heartbeat). */
static double
session_heartbeat_due(struct session *s, const struct timeval *now)
{
	const struct limits *l = &s->route->limits;
	struct timeval heard;

	if (l->ping_interval <= 0)
		return 0;
	if (s->ping_out) {
		double sent = monotime_elapsed(&s->ping_sent, now);
		double due = l->pong_timeout - sent;

		/* Look for the answer at the interval too, so that the next
		 * ping follows it by ping_interval, not by pong_timeout. */
		if (l->ping_interval - sent > 0.001 &&
		    l->ping_interval - sent < due)
			due = l->ping_interval - sent;
		return due;
	}
	relay_heard(s->relay, &heard);
	if (monotime_elapsed(&s->ping_sent, &heard) < 0)
		heard = s->ping_sent;
	return l->ping_interval - monotime_elapsed(&heard, now);
}

/*
 * The open session's one timer: the idle deadline (activity only stamps a
 * time; the timer re-arms here, lazily, instead of on every read), the
 * heartbeat's next ping or pong deadline, max_session_duration, or a
 * second from now while a side is paused, whichever is first.
 */
static void
session_arm_open(struct session *s)
{
	const struct limits *l = &s->route->limits;
	double next = 0;
	struct timeval now;

	monotime_now(&now);
	if (l->idle_timeout > 0)
		session_sooner(&next, l->idle_timeout -
		    monotime_elapsed(relay_active(s->relay), &now));
	if (l->ping_interval > 0)
		session_sooner(&next, session_heartbeat_due(s, &now));
	if (l->max_session_duration > 0)
		session_sooner(&next, l->max_session_duration -
		    monotime_elapsed(&s->opened_mono, &now));
	if (relay_paused(s->relay))
		session_sooner(&next, SESSION_PAUSED_CHECK);
	session_arm(s, next);
}

/*
 * Heartbeats: a client heard nothing from (no data, no pong) for
 * ping_interval gets a ping; one not heard from within pong_timeout of it
 * is closed with 1011.  Pings are per session, driven by its one timer:
 * nothing is scheduled per ping.  Returns true if the session closed.
 */
static bool
session_heartbeat(struct session *s, const struct timeval *now)
{
	const struct limits *l = &s->route->limits;
	struct timeval heard;

	if (l->ping_interval <= 0)
		return false;
	relay_heard(s->relay, &heard);
	if (s->ping_out && monotime_elapsed(&s->ping_sent, &heard) >= 0)
		s->ping_out = false;	/* answered (or busy talking) */
	if (s->ping_out) {
		if (monotime_elapsed(&s->ping_sent, now) + 0.001 <
		    l->pong_timeout)
			return false;
		log_info("client=%s route=%s: no pong within pong_timeout "
		    "(%gs) of a ping: closing", s->peer, s->route->name,
		    l->pong_timeout);
		session_send_close(s, WS_CLOSE_INTERNAL, "pong timeout",
		    CLOSER_GATEWAY);
		return true;
	}
	if (session_heartbeat_due(s, now) > 0.001)
		return false;
	relay_send_ping(s->relay);
	s->ping_sent = *now;
	s->ping_out = true;
	return false;
}

/* relay.c's report. */
static void
session_relay_cb(void *arg, enum relay_event ev, uint16_t code,
    const char *why)
{
	struct session *s = arg;

	switch (ev) {
	case RELAY_CLIENT_CLOSED:
		session_peer_closed(s, code);
		return;
	case RELAY_CLIENT_GONE:
		session_client_gone(s, why);
		return;
	case RELAY_PROTOCOL_ERROR:
		session_fail(s, code, why);
		return;
	case RELAY_BACKEND_CLOSED:
	case RELAY_BACKEND_DONE:
	case RELAY_BACKEND_ERROR:
		session_backend_gone(s, ev, code, why);
		return;
	case RELAY_PAUSED:
		/* Check it every second; a shutdown keeps its own
		 * deadline. */
		if (s->state == SESSION_OPEN && relay_hup(s->relay) == 0 &&
		    !s->shutting_down)
			session_arm_open(s);
		return;
	case RELAY_CLIENT_FINISHING:
	case RELAY_BACKEND_FINISHING:
		/* What it sent before may still be relayed, but only
		 * within close_timeout. */
		if (!s->shutting_down)
			session_arm(s, s->route->limits.close_timeout);
		return;
	}
}

/* The timer of an open session: idle, paused or finishing sides, or a
 * shutdown that takes too long. */
static void
session_open_timer(struct session *s)
{
	unsigned hup = relay_hup(s->relay);
	double idle, quiet, max;
	struct timeval now;

	if (s->shutting_down) {
		log_debug("client=%s: close_timeout expired before the "
		    "backend finished after the shutdown", s->peer);
		session_send_close(s, WS_CLOSE_GOING_AWAY,
		    "server shutting down", CLOSER_GATEWAY);
		return;
	}
	if (hup != 0) {
		log_debug("client=%s: close_timeout expired while relaying "
		    "what a departed %s sent", s->peer,
		    (hup & RELAY_HUP_CLIENT) ? "client" : "backend");
		if (s->close_code == 0) {
			s->close_code = WS_CLOSE_ABNORMAL;
			s->closed_by = (hup & RELAY_HUP_CLIENT) ?
			    CLOSER_CLIENT : CLOSER_BACKEND;
			s->close_why = "peer left; its last bytes could not be "
			    "delivered within close_timeout";
		}
		session_free(s);
		return;
	}
	if (relay_paused(s->relay) && relay_check_paused(s->relay))
		return;		/* a paused side hung up */
	if (relay_hup(s->relay) != 0)
		return;		/* now on close_timeout */
	idle = s->route->limits.idle_timeout;
	monotime_now(&now);
	quiet = monotime_elapsed(relay_active(s->relay), &now);
	if (idle > 0 && quiet + 0.001 >= idle) {
		session_send_close(s, WS_CLOSE_GOING_AWAY, "idle timeout",
		    CLOSER_GATEWAY);
		return;
	}
	max = s->route->limits.max_session_duration;
	if (max > 0 && monotime_elapsed(&s->opened_mono, &now) + 0.001 >=
	    max) {
		log_info("client=%s route=%s: max_session_duration (%gs) "
		    "reached: closing", s->peer, s->route->name, max);
		session_send_close(s, WS_CLOSE_GOING_AWAY,
		    "max_session_duration reached", CLOSER_GATEWAY);
		return;
	}
	if (session_heartbeat(s, &now))
		return;
	session_arm_open(s);
}

static void
session_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	double next;

	(void)fd;
	(void)what;
	switch (s->state) {
	case SESSION_HANDSHAKE:
		if (front_timeout(s->front)) {
			session_enter_linger(s);	/* 408 */
			return;
		}
		session_drop_client(s);
		session_maybe_free(s);
		return;
	case SESSION_CONNECTING:
		metrics_connect_failed(s->mr, METRICS_CF_TIMEOUT);
		session_backend_failed(s, 504, "connect timed out "
		    "(backend_connect_timeout)",
		    upstream_target(s->upstream)->display);
		return;
	case SESSION_OPEN:
		session_open_timer(s);
		return;
	case SESSION_SENDING:
		next = front_send_check(s->front);
		if (next > 0) {
			session_arm(s, next);
			return;
		}
		session_drop_client(s);
		session_maybe_free(s);
		return;
	case SESSION_H2:
		h2_conn_idle(s->h2);
		session_arm(s, s->cfg->handshake_timeout);
		return;
	case SESSION_CLOSE_SENT:
	case SESSION_LINGER:
		log_debug("client=%s close_timeout expired: dropping",
		    s->peer);
		session_free(s);
		return;
	}
}

int
session_new(struct gateway *gw, int fd, const struct sockaddr *sa,
    socklen_t salen, unsigned tls)
{
	struct session *s = calloc(1, sizeof(*s));

	(void)salen;
	if (s == NULL) {
		close(fd);
		return -1;
	}
	s->gw = gw;
	s->id = (++gw->session_seq << 8) | (gw->id & 0xff);
	sockaddr_format(sa, s->peer, sizeof(s->peer));
	s->cfg = config_ref(gw->cfg);
	monotime_now(&s->started_mono);
	s->front = front_new(gw, s->cfg, &s->client, s->peer,
	    &s->started_mono, fd, sa, tls, session_front_cb, s);
	if (s->front != NULL)
		s->timer = evtimer_new(gw->base, session_timer_cb, s);
	if (s->timer == NULL) {
		/* (fd is closed by now, or with the front or the client.) */
		front_free(s->front);
		side_free(&s->client);
		config_unref(s->cfg);
		free(s);
		return -1;
	}
	s->state = SESSION_HANDSHAKE;
	session_link(s);

	session_arm(s, s->cfg->handshake_timeout);
	front_start(s->front);
	return 0;
}

/* Into the worker's list of sessions. */
static void
session_link(struct session *s)
{
	struct gateway *gw = s->gw;

	s->next = gw->sessions;
	if (gw->sessions != NULL)
		gw->sessions->prev = s;
	gw->sessions = s;
	gw->nsessions++;
	atomic_fetch_add(&gw->shared->nsessions, 1);
}

void
session_drain_all(struct gateway *gw)
{
	for (struct session *s = gw->sessions; s != NULL; s = s->next)
		if (s->state == SESSION_H2)
			h2_conn_drain(s->h2);
}

void
session_close_idle(struct gateway *gw)
{
	struct session *s, *next;

	for (s = gw->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->state != SESSION_HANDSHAKE || s->front == NULL ||
		    !front_idle(s->front))
			continue;
		log_debug("client=%s: kept-alive connection closed for the "
		    "shutdown", s->peer);
		session_drop_client(s);
		session_maybe_free(s);
	}
}

void
session_close_all(struct gateway *gw)
{
	struct session *s, *next;

	for (s = gw->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->state == SESSION_H2) {
			/* GOAWAY; its streams are sessions of this list. */
			h2_conn_drain(s->h2);
			continue;
		}
		if (s->state == SESSION_SENDING) {
			/* Cut short, as for a changed file. */
			front_send_cut(s->front, "server shutting down");
			session_enter_linger(s);
			continue;
		}
		if (s->state != SESSION_OPEN || s->shutting_down)
			continue;
		s->shutting_down = true;
		/* Both steps (the backend's answer, then the close
		 * handshake) get close_timeout each. */
		session_arm(s, s->route->limits.close_timeout);
		relay_shutdown(s->relay);
	}
}

void
session_abort_all(struct gateway *gw)
{
	while (gw->sessions != NULL)
		session_free(gw->sessions);
}

/* ---- the metrics listener (admin_gather.h) ---- */

static void
session_info(const struct session *s, struct session_info *si)
{
	struct timeval now;
	double age;

	memset(si, 0, sizeof(*si));
	si->id = s->id;
	si->worker = s->gw->id;
	si->state = s->state == SESSION_CONNECTING ? SESSION_INFO_CONNECTING :
	    s->state == SESSION_OPEN && !s->shutting_down ? SESSION_INFO_OPEN :
	    SESSION_INFO_CLOSING;
	si->protocol = SESSION_INFO_H1;
	monotime_now(&now);
	age = monotime_elapsed(&s->started_mono, &now);
	si->age_ms = age > 0 ? (uint64_t)(age * 1000) : 0;
	if (s->relay != NULL)
		relay_bytes(s->relay, &si->bytes_up, &si->bytes_down);
	snprintf(si->route, sizeof(si->route), "%s", s->route->name);
	snprintf(si->client, sizeof(si->client), "%s", s->peer);
	snprintf(si->target, sizeof(si->target), "%s",
	    s->backend_used != NULL ? s->backend_used :
	    s->route->backend != NULL ? s->route->backend : "");
	if (s->client.bev != NULL && s->client.tls)
		tls_facts(s->client.bev, si->tls_version,
		    sizeof(si->tls_version), si->sni, sizeof(si->sni));
}

/* POST /sessions/ID/close: as a gateway close, with the code and reason
 * asked for. */
static void
session_admin_close(struct session *s, struct admin_part *p,
    const struct admin_req *req)
{
	char ereason[4 * ADMIN_REASON_MAX + 1];

	p->found = true;
	if (s->state != SESSION_OPEN || s->client.bev == NULL ||
	    s->shutting_down)
		return;
	log_escape(ereason, sizeof(ereason), req->reason, req->reason_len);
	log_info("client=%s route=%s: closing with %u reason=\"%s\" "
	    "(POST /sessions/%llu/close)", s->peer, s->route->name, req->code,
	    ereason, (unsigned long long)s->id);
	session_closing(s, (uint16_t)req->code, req->reason, CLOSER_GATEWAY,
	    "closed through the metrics listener");
	s->state = SESSION_CLOSE_SENT;
	session_arm(s, s->route->limits.close_timeout);
	p->closed = true;
}

void
session_admin(struct gateway *gw, struct admin_gather *g)
{
	struct admin_part *p = &g->parts[gw->id];
	const struct admin_req *req = &g->req;
	size_t cap = 0;

	for (struct session *s = gw->sessions; s != NULL; s = s->next) {
		/* Sessions: past admission (connecting) or upgraded. */
		if (s->state != SESSION_CONNECTING && s->relay == NULL)
			continue;
		if (req->endpoint == ADMIN_SESSION_CLOSE) {
			if (s->id == req->id) {
				session_admin_close(s, p, req);
				return;
			}
			continue;
		}
		if (req->route[0] != '\0' &&
		    strcmp(req->route, s->route->name) != 0)
			continue;
		if (p->n == req->limit) {
			p->more = true;
			return;
		}
		if (p->n == cap) {
			size_t ncap = cap != 0 ? cap * 2 : 16;
			void *v;

			if (ncap > req->limit)
				ncap = req->limit;
			v = realloc(p->v, ncap * sizeof(*p->v));
			if (v == NULL) {
				p->more = true;
				return;
			}
			p->v = v;
			cap = ncap;
		}
		session_info(s, &p->v[p->n++]);
	}
}
