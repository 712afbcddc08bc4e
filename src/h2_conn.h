/* h2_conn.h -- an HTTP/2 connection (RFC 9113, nghttp2) on a client's TLS side: its streams become WebSocket sessions (RFC 8441) through the same admission as HTTP/1.1 */
#ifndef WSGATE_H2_CONN_H
#define WSGATE_H2_CONN_H

#include <stdbool.h>

struct admit_result;
struct bufferevent;
struct config;
struct gateway;
struct h2_conn;
struct h2_stream;
struct side;

/*
 * What a connection asks of the session layer above it (as listener.c's
 * acceptor_fn, but three calls).
 *
 * stream_open: a stream passed admission (res, valid during the call):
 * make its session, with bev, the stream's end of a bufferevent pair, as
 * its client side (owned by the session from now on, even on failure);
 * it connects the backend and then calls h2_stream_upgraded or
 * h2_stream_answer (h2_stream.h), and h2_stream_released once it lets go
 * of bev.  Returns the session, or NULL (it gave back res's slots).
 *
 * stream_reset: the client reset the stream, or the connection is gone:
 * the session ends at once (1006), letting go of bev; why is static.
 *
 * done: the connection is over (why: static text); its client side is
 * the caller's to close.  The caller frees the connection in it.
 */
struct h2_conn_ops {
	void *(*stream_open)(void *arg, struct h2_stream *st,
	    struct bufferevent *bev, const struct admit_result *res);
	void (*stream_reset)(void *session, const char *why);
	void (*done)(void *arg, const char *why);
};

/*
 * HTTP/2 on client (a TLS side whose ALPN chose h2; the session's, which
 * outlives the connection), under cfg's h2_* limits.  Nothing is read
 * before h2_conn_start.  NULL without memory.
 */
struct h2_conn *h2_conn_new(struct gateway *gw, const struct config *cfg,
    struct side *client, const char *peer, const struct h2_conn_ops *ops,
    void *arg);

/* Send the server's SETTINGS and read what the client sent: this may
 * report before returning. */
void h2_conn_start(struct h2_conn *c);

/* Reset every stream's session (stream_reset) and free; the client side
 * is left as it is. */
void h2_conn_free(struct h2_conn *c);

/* A gateway shutdown: GOAWAY (RFC 9113 6.8), no new streams; the open
 * ones end with their sessions, then the connection is done. */
void h2_conn_drain(struct h2_conn *c);

/* The session's timer: true when the connection has had no stream for
 * a while (then it sends GOAWAY and reports done soon). */
bool h2_conn_idle(struct h2_conn *c);

#endif
