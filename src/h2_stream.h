/* h2_stream.h -- one HTTP/2 stream as a WebSocket's client side: what its session tells it (h2_conn.h makes streams) */
#ifndef WSGATE_H2_STREAM_H
#define WSGATE_H2_STREAM_H

struct h2_stream;

/* The backend is up: answer 200 (RFC 8441 5), with the subprotocol
 * admission chose (or NULL); the WebSocket frames follow as DATA. */
void h2_stream_upgraded(struct h2_stream *st, const char *subprotocol);

/* The backend failed after all: answer status (why: logged, and said to
 * the client for a 4xx).  The session lets go of the stream next. */
void h2_stream_answer(struct h2_stream *st, int status, const char *why);

/* The session lets go of its end of the pair (called just before it frees
 * it): what it wrote is sent, then END_STREAM.  The stream is the
 * connection's from now on. */
void h2_stream_released(struct h2_stream *st);

#endif
