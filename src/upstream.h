/* upstream.h -- connecting to a session's target: the name looked up, its addresses tried in turn, then TLS */
#ifndef WSGATE_UPSTREAM_H
#define WSGATE_UPSTREAM_H

#include <stdbool.h>

struct bufferevent;
struct event_base;
struct resolver;
struct target;
struct upstream;

enum upstream_event {
	UPSTREAM_CONNECTED,	/* upstream_take() hands the connection over */
	UPSTREAM_RETRY,		/* why: "address: error"; the next one is tried */
	UPSTREAM_NEXT,		/* several backends: why: "backend: error;
				 * trying other"; it is skipped for a while */
	UPSTREAM_FAILED,	/* status (502, 503) and why */
};

/*
 * The one report of an attempt, as listener.c's acceptor_fn: why is valid
 * during the call.  The callee may free the upstream in it (the attempt
 * does nothing more after CONNECTED or FAILED).
 */
typedef void (*upstream_fn)(void *arg, enum upstream_event ev, int status,
    const char *why);

/*
 * An attempt to connect to t (copied: the attempt owns its target),
 * reported to fn.  NULL without memory.  Nothing happens until
 * upstream_start.  Its whole time is bounded by the caller
 * (backend_connect_timeout).
 */
struct upstream *upstream_new(struct event_base *base,
    const struct target *t, upstream_fn fn, void *arg);

/* The attempt's target (for logs: its display). */
const struct target *upstream_target(const struct upstream *up);

/* After UPSTREAM_FAILED: why, as an enum metrics_connect_fail
 * (metrics.h). */
int upstream_fail_class(const struct upstream *up);

/* Look the target up (resolve.h; at once for a numeric address), then
 * connect; the outcome may be reported before this returns. */
void upstream_start(struct upstream *up, struct resolver *r);

/* After UPSTREAM_CONNECTED: the connection, a bufferevent without
 * callbacks (tls: a TLS one, its handshake done), now the caller's. */
struct bufferevent *upstream_take(struct upstream *up, bool *tls);

/* Drop the attempt: its lookup wait, its connection if not taken. */
void upstream_free(struct upstream *up);

#endif
