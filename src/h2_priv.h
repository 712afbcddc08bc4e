/* h2_priv.h -- what h2_conn.c and h2_stream.c share: a connection's and a stream's state (no one else includes it) */
#ifndef WSGATE_H2_PRIV_H
#define WSGATE_H2_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <nghttp2/nghttp2.h>

struct event;
struct gateway;
struct h2_conn_ops;
struct side;
struct evbuffer;
struct evbuffer_cb_entry;
struct h2_req;
struct hs_request;

/*
 * A stream.  Its WebSocket session holds the other end of a bufferevent
 * pair (mine is ours): the session's relay reads the client's frames
 * from the pair and writes frames to it, as from and to a TLS socket.
 * DATA goes into mine; the stream's window is opened as the relay takes
 * the bytes out of its end (flow control is the backpressure: RFC 9113
 * 5.2).  What the relay writes comes out of mine as DATA.
 */
struct h2_stream {
	struct h2_conn *c;
	struct h2_stream *prev, *next;	/* c->streams */
	int32_t id;
	struct h2_req *req;		/* while its header fields arrive */
	int req_status;			/* their fault (431, 400), or 0 */
	const char *req_why;
	struct bufferevent *mine;	/* the pair's end we hold, or NULL */
	/* The session's end's input, watched while the session holds it
	 * (h2_stream_drained_cb). */
	struct evbuffer *theirs_in;
	struct evbuffer_cb_entry *drain_cb;
	struct evbuffer *body;		/* a plain answer's body, or NULL */
	int file_fd;			/* a web_root file's body, or -1 */
	uint64_t file_left;		/* ... bytes still to send */
	void *session;			/* its session until released */
	bool responded;			/* the response HEADERS are queued */
	bool deferred;			/* the data source waits for bytes */
	bool local_done;		/* no more to send after what is queued */
	bool end_sent;			/* END_STREAM went out */
	bool remote_done;		/* the client's END_STREAM came */
	bool eof_given;			/* its session heard EOF */
	bool reset_by_client;		/* RST_STREAM came */
	bool closed;			/* nghttp2 closed it: free when released */
	char path[128];			/* escaped, for logs */
	char origin[160];		/* escaped, for logs */
	const char *route;		/* its route's name, or "-" */
};

struct h2_conn {
	struct gateway *gw;
	const struct config *cfg;
	struct side *client;		/* the session's */
	const char *peer;		/* the session's */
	const struct h2_conn_ops *ops;
	void *arg;
	nghttp2_session *ng;
	struct event *work;		/* a zero timer: the rest, after a poll */
	struct h2_stream *streams;
	unsigned nstreams;
	size_t mem;			/* nghttp2's allocations (h2_max_memory) */
	size_t mem_peak;		/* the most, for the log */
	time_t flood_sec;		/* h2_max_control_frames: this second's */
	unsigned flood_count;
	unsigned resets;		/* RST_STREAM frames from the client */
	time_t idle_since;		/* no stream since (0: busy) */
	const char *fail_why;		/* set inside nghttp2: done next */
	char goaway_why[200];		/* fail_why of a GOAWAY nghttp2 sent */
	bool draining;			/* GOAWAY sent: no new streams */
	bool idle;			/* ... for having had none a while */
	bool freeing;
	bool done;
};

/* Come back to c after the next poll (send what nghttp2 has queued, reap
 * closed streams, read more). */
void h2_conn_kick(struct h2_conn *c);

/* A stream's life, as h2_conn.c's nghttp2 callbacks see it. */
struct h2_stream *h2_stream_new(struct h2_conn *c, int32_t id);
void h2_stream_free(struct h2_stream *st);
void h2_stream_field(struct h2_stream *st, const uint8_t *name, size_t nlen,
    const uint8_t *value, size_t vlen);
void h2_stream_request(struct h2_stream *st);
void h2_stream_data(struct h2_stream *st, const uint8_t *data, size_t len);
void h2_stream_remote_end(struct h2_stream *st);
void h2_stream_closed(struct h2_stream *st, uint32_t error_code);
void h2_stream_sent_end(struct h2_stream *st);
/* The response HEADERS (nv[0..n), ":status" first), with the body
 * (st->body, st->file_fd) when has_body; the stream ends after it.  0, or
 * -1 (the stream is reset). */
int h2_stream_submit_nv(struct h2_stream *st, const nghttp2_nv *nv,
    size_t n, bool has_body);
/* h2_plain.c: a GET or HEAD (health_path, web_root), answered on the
 * stream. */
void h2_stream_plain(struct h2_stream *st, const struct hs_request *req);

/* The connection is going: reset the stream's session (if any). */
void h2_stream_reset(struct h2_stream *st, const char *why);

#endif
