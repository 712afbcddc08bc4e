/* relay.h -- the data path: client frames to backend bytes and back */
#ifndef WSGATE_RELAY_H
#define WSGATE_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct gateway;
struct limits;
struct relay;
struct side;
struct timeval;

/* Size of the per-loop read buffer (struct gateway's scratch). */
#define RELAY_SCRATCH_SIZE (128u << 10)

/* A worker's run queue, where relays whose work budget is spent come
 * back after the loop has polled.  0, or -1 without memory. */
int relay_loop_init(struct gateway *gw);
void relay_loop_free(struct gateway *gw);

/* What ends or changes a relayed session, for the session to decide. */
enum relay_event {
	RELAY_CLIENT_CLOSED,	/* its close frame arrived: code */
	RELAY_CLIENT_GONE,	/* it left without one (EOF, error): why */
	RELAY_PROTOCOL_ERROR,	/* fail the connection (RFC 6455 7.1.7):
				 * code and why */
	RELAY_BACKEND_CLOSED,	/* EOF: why */
	RELAY_BACKEND_DONE,	/* EOF after relay_shutdown shut it: all it
				 * had to say is relayed */
	RELAY_BACKEND_ERROR,	/* why; code: the close code, 0 for 1011
				 * (1007: invalid UTF-8 under send_as =
				 * text) */
	RELAY_PAUSED,		/* a side's reads stopped for backpressure:
				 * check it (relay_check_paused) every second */
	/* A paused side sent FIN: what it sent before is still owed to the
	 * other side (within close_timeout). */
	RELAY_CLIENT_FINISHING,
	RELAY_BACKEND_FINISHING,
};

/*
 * The relay's one report, as listener.c's acceptor_fn.  why is static
 * text.  The session may free the relay in it for every event but
 * RELAY_PAUSED and the FINISHING ones; the relay does nothing more after
 * the others.
 */
typedef void (*relay_event_fn)(void *arg, enum relay_event ev,
    uint16_t code, const char *why);

/*
 * A relay between two connected sides of a session (they outlive it),
 * under a route's limits (max_buffer, max_message_size).  NULL without
 * memory.
 */
struct relay *relay_new(struct gateway *gw, struct side *client,
    struct side *backend, const struct limits *limits, relay_event_fn fn,
    void *arg);
void relay_free(struct relay *r);

/* Drive both sides and send what is queued (the 101); process any frames
 * the client sent right behind its request. */
void relay_start(struct relay *r);

/*
 * Queue a close frame (code 1005: one without a status), written at once
 * as far as the socket takes it, and stop relaying: from now on the
 * client is read only for its own close frame.
 */
void relay_send_close(struct relay *r, uint16_t code, const char *reason);

/*
 * A gateway shutdown: read the client no more, write what it sent to the
 * backend and then shut the backend's write side, and go on relaying
 * what the backend sends (until RELAY_BACKEND_DONE).
 * relay_shutdown_end: the close frame is queued; read the client again
 * for its answer.
 */
void relay_shutdown(struct relay *r);
void relay_shutdown_end(struct relay *r);

/* Look for hang-ups on sides paused for backpressure (from the session's
 * timer).  Returns true if it reported an end (the session may be gone). */
bool relay_check_paused(struct relay *r);

/* Whether a side is paused for backpressure. */
bool relay_paused(const struct relay *r);

/* Which paused sides sent FIN (RELAY_CLIENT_FINISHING and so on). */
#define RELAY_HUP_CLIENT 1u
#define RELAY_HUP_BACKEND 2u
unsigned relay_hup(const struct relay *r);

/* The last data either way, on the monotonic clock (monotime.h). */
const struct timeval *relay_active(const struct relay *r);

/* Count bytes and messages each way into a route's counters (metrics.h)
 * from now on. */
struct metrics_route;
void relay_count_into(struct relay *r, struct metrics_route *mr);

/* The last bytes from the client, pongs included (now while it is not
 * read for backpressure): what a heartbeat's deadline looks at. */
void relay_heard(const struct relay *r, struct timeval *out);

/* Record what is relayed (recorder.h); rec stays the caller's and must
 * outlive the relay's use of it (relay_free first). */
struct recording;
void relay_set_recording(struct relay *r, struct recording *rec);

/* Queue an empty ping to the client (ping_interval) and send it. */
void relay_send_ping(struct relay *r);

/* Payload relayed so far. */
void relay_bytes(const struct relay *r, uint64_t *up, uint64_t *down);

#endif
