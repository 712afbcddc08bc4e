/* session.h -- one client connection: handshake, backend, relay, close */
#ifndef WSGATE_SESSION_H
#define WSGATE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "handshake.h"
#include "pending.h"
#include "target.h"
#include "ws_reader.h"

struct gateway;
struct config;
struct route;
struct bufferevent;
struct download;
struct event;
struct upstream;

/*
 * The client side's life.  The backend side is simply present or not
 * (s->backend), plus "flushing" once nothing more will be read from it.
 *
 *   HANDSHAKE --request ok--> CONNECTING --backend up--> OPEN
 *       |   \                    |                        |
 *       |    web_root file       | 502/504                | close frame
 *       |     v                  |                        |
 *       |   SENDING (stalled, client gone: freed)         |
 *       |     | body written, file changed                |
 *       | answered, bad request  |                        |  sent first
 *       v     v                  v                        v
 *     LINGER <-------------------+--- peer close --- CLOSE_SENT
 *       |
 *   output flushed, write side shut, input discarded until EOF/timeout
 */
enum session_state {
	SESSION_HANDSHAKE,
	SESSION_CONNECTING,
	SESSION_OPEN,
	SESSION_CLOSE_SENT,
	SESSION_LINGER,
	SESSION_SENDING,	/* a web_root file, as the client takes it */
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
	struct session *prev, *next;	/* gw->sessions */

	struct bufferevent *client;	/* owned; NULL once closed */
	struct bufferevent *backend;	/* owned; NULL once closed */
	struct upstream *upstream;	/* upstream.c's, while connecting */
	struct event *timer;		/* the session's one timer */
	struct download *download;	/* SENDING: the file (owned) */
	char *web_path;			/* SENDING: escaped, for the log */
	struct event *peek;		/* TLS listener: waiting for the first
					 * byte, before s->client exists */
	/* Plain sockets are read and written by the relay itself (see
	 * relay.c); NULL outside the relay states and for TLS sides. */
	struct event *client_rev, *backend_rev;
	struct event *client_wev, *backend_wev;	/* made when first needed */
	bool client_writes, backend_writes;	/* the relay writes it */
	bool client_draining, backend_draining;	/* read to EOF, discard */
	bool client_tls, backend_tls;	/* that side speaks TLS */
	enum session_state state;
	bool backend_flushing;		/* write what is queued, then close */
	bool counted;			/* holds a max_connections slot */
	/* Holds a max_handshakes slot while not a session (pending.h). */
	struct pending_link pending;
	bool client_paused;		/* client reads stopped: backpressure */
	bool backend_paused;		/* backend reads stopped: backpressure */
	bool client_hup, backend_hup;	/* sent FIN while paused */
	bool linger_shut;		/* write side shut down */
	bool got_bytes;			/* any request bytes arrived */
	const char *subprotocol;	/* selected in the 101, or NULL */
	bool tls_ready;			/* the client's TLS handshake is done */
	/* Gateway shutdown (session_close_all): the client is no longer
	 * read; the backend gets what the client sent, then its write side
	 * is shut (backend_shut), and what it still sends is relayed. */
	bool shutting_down;
	bool backend_shut;
	/* On the worker's run queue (relay.c): RELAY_RUN_* flags, 0 when
	 * not queued. */
	uint8_t runq;
	bool runq_batch;		/* in the batch being run */
	bool client_dense;		/* its last wakeup spent the frame
					 * budget: read it in small steps */
	struct session *runq_prev, *runq_next;

	struct ws_reader rx;
	/* An incomplete frame header left at the end of the last read. */
	uint8_t carry[FRAME_MAX_HEADER];
	uint8_t carry_len;
	char accept[HS_ACCEPT_LEN + 1];
	struct target target;		/* once admitted */

	uint16_t close_code;		/* what ended it, for the log */
	enum session_closer closed_by;
	const char *close_why;		/* static text */
	int http_status;		/* answer to the handshake */
	uint64_t bytes_up;		/* client -> backend payload */
	uint64_t bytes_down;		/* backend -> client payload */
	/* On the monotonic clock (session.c: session_now), never compared
	 * with wall-clock time. */
	struct timeval started_mono;
	struct timeval active_mono;	/* last data either way */
	char peer[64];
	/* The request's Origin, for a 5xx answered after the request
	 * buffer is gone (backend down); truncated. */
	char origin[128];
	size_t origin_len;
};

/* Takes ownership of fd (closed on failure too); NULL on failure.  On a
 * TLS listener (tls), the first byte decides: a TLS handshake, or a plain
 * HTTP request answered 400 "use https/wss". */
struct session *session_new(struct gateway *gw, int fd,
    const struct sockaddr *sa, socklen_t salen, bool tls);

/*
 * Close every open WebSocket for a shutdown, losing nothing already
 * read: stop reading the client, write what it sent to the backend, shut
 * the backend's write side, relay what the backend still sends until its
 * EOF (or close_timeout), then close with 1001.
 */
void session_close_all(struct gateway *gw);

/* Free every session at once, without goodbyes (forced exit). */
void session_abort_all(struct gateway *gw);

/* For relay.c and upstream.c: the transitions of the diagram above. */
void session_backend_connected(struct session *s);
void session_backend_failed(struct session *s, int status, const char *why);
void session_send_close(struct session *s, uint16_t code,
    const char *reason, enum session_closer by);
void session_fail(struct session *s, uint16_t code, const char *why);
void session_peer_closed(struct session *s, uint16_t code);
void session_client_gone(struct session *s, const char *why);
void session_backend_gone(struct session *s, bool error, const char *why);
void session_touch(struct session *s);
/* Shutdown: everything the client sent has been written to the backend
 * (see session_close_all). */
void session_backend_delivered(struct session *s);
/* Read and discard what a closing side still sends, until its EOF. */
void session_drain_read(struct session *s, bool client);
/* A side was paused for backpressure: check it for hang-ups every second
 * (see relay_check_paused). */
void session_paused(struct session *s);
/* A paused side has sent FIN: what it sent before may still be relayed,
 * but only within close_timeout. */
void session_peer_finishing(struct session *s, bool client);

#endif
