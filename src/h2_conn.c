/* h2_conn.c -- an HTTP/2 connection (RFC 9113, nghttp2) on a client's TLS side: its streams become WebSocket sessions (RFC 8441) through the same admission as HTTP/1.1 */
#include "h2_conn.h"

#include "h2_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config_types.h"
#include "gateway.h"
#include "log.h"
#include "side.h"

/*
 * nghttp2 does the framing, HPACK, the stream states and flow control;
 * this file feeds it the client's bytes and sends what it queues, and
 * hands each stream to h2_stream.c.  nghttp2 is never entered from its
 * own callbacks for anything that frees: a callback that finds the
 * connection must end sets fail_why and fails, and the caller, back at
 * the top, reports done.
 *
 * Work budget, as the relay's (relay.c): one wakeup feeds nghttp2 at most
 * H2_READ_BUDGET bytes (about 3,600 of the smallest frames) and queues
 * at most H2_OUT_HIGH bytes for the client; the rest waits for the next
 * loop iteration (a zero timer, after the poll) or the client's reading.
 * While that much waits for the client, the connection is not read: a
 * client that sends PINGs or SETTINGS and reads no answers fills no
 * memory (nghttp2's max_outbound_ack bounds the rest).
 */
#define H2_READ_BUDGET (32u << 10)
#define H2_OUT_HIGH (128u << 10)

/* ---- nghttp2's memory, counted against h2_max_memory ---- */

/* Each block carries its size in front, so free knows what to give back;
 * 16 bytes keep the alignment malloc promises. */
#define H2_MEM_HDR 16u

static void *
h2_mem_malloc(size_t size, void *arg)
{
	struct h2_conn *c = arg;
	unsigned char *p;

	if (size > c->cfg->h2_max_memory ||
	    c->mem + size + H2_MEM_HDR > c->cfg->h2_max_memory) {
		c->fail_why = "h2_max_memory reached";
		return NULL;
	}
	p = malloc(size + H2_MEM_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &size, sizeof(size));
	c->mem += size + H2_MEM_HDR;
	if (c->mem > c->mem_peak)
		c->mem_peak = c->mem;
	return p + H2_MEM_HDR;
}

static void
h2_mem_free(void *ptr, void *arg)
{
	struct h2_conn *c = arg;
	unsigned char *p = ptr;
	size_t size;

	if (p == NULL)
		return;
	p -= H2_MEM_HDR;
	memcpy(&size, p, sizeof(size));
	c->mem -= size + H2_MEM_HDR;
	free(p);
}

static void *
h2_mem_calloc(size_t n, size_t size, void *arg)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = h2_mem_malloc(n * size, arg);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

static void *
h2_mem_realloc(void *ptr, size_t size, void *arg)
{
	unsigned char *p = ptr, *q;
	size_t old;

	if (p == NULL)
		return h2_mem_malloc(size, arg);
	memcpy(&old, p - H2_MEM_HDR, sizeof(old));
	q = h2_mem_malloc(size, arg);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	h2_mem_free(p, arg);
	return q;
}

/* ---- floods nghttp2 leaves to the server ---- */

/*
 * SETTINGS, PING, PRIORITY and WINDOW_UPDATE frames, and DATA or HEADERS
 * that carry nothing and end nothing, cost the server work and the client
 * nothing: more than h2_max_control_frames of them in a second end the
 * connection with ENHANCE_YOUR_CALM (RFC 9113 10.5; the 2019 floods,
 * CVE-2019-9512/9515/9518).  True when over.
 */
static bool
h2_conn_flood(struct h2_conn *c, const nghttp2_frame *f)
{
	bool counts;
	time_t now;

	switch (f->hd.type) {
	case NGHTTP2_SETTINGS:
	case NGHTTP2_PING:
		counts = !(f->hd.flags & NGHTTP2_FLAG_ACK);
		break;
	case NGHTTP2_PRIORITY:
	case NGHTTP2_WINDOW_UPDATE:
		counts = true;
		break;
	case NGHTTP2_DATA:
		counts = f->hd.length == 0 &&
		    !(f->hd.flags & NGHTTP2_FLAG_END_STREAM);
		break;
	default:
		counts = false;
		break;
	}
	if (!counts)
		return false;
	now = time(NULL);
	if (now != c->flood_sec) {
		c->flood_sec = now;
		c->flood_count = 0;
	}
	return ++c->flood_count > c->cfg->h2_max_control_frames;
}

/* ---- nghttp2's callbacks ---- */

static struct h2_stream *
h2_conn_stream(struct h2_conn *c, int32_t id)
{
	return nghttp2_session_get_stream_user_data(c->ng, id);
}

static int
h2_on_begin_headers_cb(nghttp2_session *ng, const nghttp2_frame *f,
    void *arg)
{
	struct h2_conn *c = arg;
	struct h2_stream *st;

	(void)ng;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	if (c->draining)
		/* RFC 9113 6.8: after GOAWAY, new streams are refused. */
		return nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE,
		    f->hd.stream_id, NGHTTP2_REFUSED_STREAM) == 0 ? 0 :
		    NGHTTP2_ERR_CALLBACK_FAILURE;
	st = h2_stream_new(c, f->hd.stream_id);
	if (st == NULL) {
		c->fail_why = "out of memory";
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	nghttp2_session_set_stream_user_data(c->ng, f->hd.stream_id, st);
	c->idle_since = 0;
	return 0;
}

static int
h2_on_header_cb(nghttp2_session *ng, const nghttp2_frame *f,
    const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen,
    uint8_t flags, void *arg)
{
	struct h2_conn *c = arg;
	struct h2_stream *st;

	(void)ng;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST ||
	    (st = h2_conn_stream(c, f->hd.stream_id)) == NULL)
		return 0;	/* trailers: ignored */
	h2_stream_field(st, name, nlen, value, vlen);
	return 0;
}

static int
h2_on_frame_recv_cb(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct h2_conn *c = arg;
	struct h2_stream *st;

	(void)ng;
	if (h2_conn_flood(c, f)) {
		c->fail_why = "too many control or empty frames "
		    "(h2_max_control_frames)";
		nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(c->ng),
		    NGHTTP2_ENHANCE_YOUR_CALM, NULL, 0);
		return 0;
	}
	if (f->hd.type == NGHTTP2_RST_STREAM)
		c->resets++;
	if (f->hd.stream_id == 0 ||
	    (st = h2_conn_stream(c, f->hd.stream_id)) == NULL)
		return 0;
	if (f->hd.type == NGHTTP2_RST_STREAM)
		st->reset_by_client = true;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST)
		h2_stream_request(st);
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		h2_stream_remote_end(st);
	return 0;
}

static int
h2_on_data_chunk_recv_cb(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct h2_conn *c = arg;
	struct h2_stream *st = h2_conn_stream(c, id);

	(void)flags;
	/* The connection's window opens at once: a stream that is not read
	 * holds its own window shut, never the others' (RFC 9113 5.2.2). */
	nghttp2_session_consume_connection(ng, len);
	if (st != NULL)
		h2_stream_data(st, data, len);
	else
		nghttp2_session_consume_stream(ng, id, len);
	return 0;
}

/* Why nghttp2 ended the connection by itself: a limit of its own (the
 * rapid reset rate, h2_max_resets) or the client's protocol error, with
 * the text it sent in the GOAWAY. */
static void
h2_conn_goaway_why(struct h2_conn *c, const nghttp2_goaway *g)
{
	char text[128];

	if (c->resets > c->cfg->h2_max_resets) {
		c->fail_why = "too many streams reset by the client "
		    "(h2_max_resets; CVE-2023-44487)";
		return;
	}
	log_escape(text, sizeof(text), (const char *)g->opaque_data,
	    g->opaque_data_len);
	snprintf(c->goaway_why, sizeof(c->goaway_why), "GOAWAY %s: %s",
	    nghttp2_http2_strerror(g->error_code), text);
	c->fail_why = c->goaway_why;
}

static int
h2_on_frame_send_cb(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct h2_conn *c = arg;
	struct h2_stream *st;

	(void)ng;
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    (st = h2_conn_stream(c, f->hd.stream_id)) != NULL)
		h2_stream_sent_end(st);
	if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code !=
	    NGHTTP2_NO_ERROR && c->fail_why == NULL)
		h2_conn_goaway_why(c, &f->goaway);
	return 0;
}

static int
h2_on_stream_close_cb(nghttp2_session *ng, int32_t id, uint32_t error_code,
    void *arg)
{
	struct h2_conn *c = arg;
	struct h2_stream *st = h2_conn_stream(c, id);

	(void)ng;
	if (st == NULL)
		return 0;
	nghttp2_session_set_stream_user_data(c->ng, id, NULL);
	h2_stream_closed(st, error_code);
	return 0;
}

/* ---- reading and writing the client ---- */

/* Queue what nghttp2 has to send, up to H2_OUT_HIGH.  -1 on its error. */
static int
h2_conn_flush(struct h2_conn *c)
{
	struct bufferevent *bev = c->client->bev;
	struct evbuffer *out = bufferevent_get_output(bev);

	while (evbuffer_get_length(out) < H2_OUT_HIGH) {
		const uint8_t *p;
		ssize_t n = nghttp2_session_mem_send(c->ng, &p);

		if (n < 0) {
			if (c->fail_why == NULL)
				c->fail_why = nghttp2_strerror((int)n);
			return -1;
		}
		if (n == 0)
			break;
		if (evbuffer_add(out, p, (size_t)n) != 0) {
			c->fail_why = "out of memory";
			return -1;
		}
	}
	return 0;
}

/* Feed nghttp2 what the client sent, within the budget.  -1 to end. */
static int
h2_conn_read(struct h2_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->client->bev);
	size_t done = 0;

	while (done < H2_READ_BUDGET && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t n;
		ssize_t rc;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		n = v.iov_len < H2_READ_BUDGET - done ? v.iov_len :
		    H2_READ_BUDGET - done;
		rc = nghttp2_session_mem_recv(c->ng, v.iov_base, n);
		if (rc < 0) {
			if (c->fail_why == NULL)
				c->fail_why = nghttp2_strerror((int)rc);
			/* Say why to the client, if nghttp2 has not. */
			nghttp2_session_terminate_session(c->ng,
			    rc == NGHTTP2_ERR_NOMEM ?
			    NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
			return -1;
		}
		evbuffer_drain(in, (size_t)rc);
		done += (size_t)rc;
		if (c->fail_why != NULL)
			return -1;
	}
	if (evbuffer_get_length(in) > 0)
		h2_conn_kick(c);
	return 0;
}

/* Free streams that are closed and released. */
static void
h2_conn_reap(struct h2_conn *c)
{
	struct h2_stream *st, *next;

	for (st = c->streams; st != NULL; st = next) {
		next = st->next;
		if (st->closed && st->session == NULL)
			h2_stream_free(st);
	}
	if (c->nstreams == 0 && c->idle_since == 0)
		c->idle_since = time(NULL);
}

/* The end: what nghttp2 still has (a GOAWAY) is queued; report. */
static void
h2_conn_finish(struct h2_conn *c, const char *why)
{
	if (c->done)
		return;
	c->done = true;
	h2_conn_flush(c);
	/* A limit or a protocol error is worth a line; an ordinary end is
	 * not. */
	log_msg(why == c->fail_why ? LL_INFO : LL_DEBUG, "client=%s HTTP/2 "
	    "connection ends: %s (nghttp2 held at most %zu bytes) proto=h2",
	    c->peer, why, c->mem_peak);
	c->ops->done(c->arg, why);	/* frees c */
}

/* Why a connection ends after a GOAWAY. */
static const char *
h2_conn_goaway_end(const struct h2_conn *c)
{
	if (c->idle)
		return "no stream for handshake_timeout";
	return c->draining ? "gateway is shutting down" :
	    "GOAWAY: no more streams";
}

/*
 * Everything there is to do, from the top of a libevent callback: read
 * (unless the client is not taking our output), send, reap, and end the
 * connection when nghttp2 is done with it.
 */
static void
h2_conn_run(struct h2_conn *c)
{
	struct bufferevent *bev = c->client->bev;
	size_t queued = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->done)
		return;
	if (queued < H2_OUT_HIGH) {
		bufferevent_enable(bev, EV_READ);
		if (h2_conn_read(c) != 0) {
			h2_conn_finish(c, c->fail_why);
			return;
		}
	} else {
		bufferevent_disable(bev, EV_READ);
	}
	if (h2_conn_flush(c) != 0 || c->fail_why != NULL) {
		h2_conn_finish(c, c->fail_why);
		return;
	}
	h2_conn_reap(c);
	if (!nghttp2_session_want_read(c->ng) &&
	    !nghttp2_session_want_write(c->ng)) {
		h2_conn_finish(c, h2_conn_goaway_end(c));
		return;
	}
	if (c->draining && c->nstreams == 0) {
		h2_conn_finish(c, h2_conn_goaway_end(c));
		return;
	}
}

static void
h2_conn_work_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	h2_conn_run(arg);
}

void
h2_conn_kick(struct h2_conn *c)
{
	static const struct timeval now = { 0, 0 };

	if (!c->freeing && !evtimer_pending(c->work, NULL))
		evtimer_add(c->work, &now);
}

static void
h2_conn_client_cb(void *arg, enum side_event ev)
{
	struct h2_conn *c = arg;

	switch (ev) {
	case SIDE_READABLE:
	case SIDE_WRITTEN:
		h2_conn_run(c);
		return;
	case SIDE_EOF:
		h2_conn_finish(c, "client closed the connection");
		return;
	case SIDE_ERROR:
		h2_conn_finish(c, "client connection error");
		return;
	case SIDE_CONNECTED:
	case SIDE_CLOSED:
		return;
	}
}

/* ---- the connection ---- */

static nghttp2_session_callbacks *
h2_conn_callbacks(void)
{
	nghttp2_session_callbacks *cbs;

	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
	    h2_on_begin_headers_cb);
	nghttp2_session_callbacks_set_on_header_callback(cbs,
	    h2_on_header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
	    h2_on_frame_recv_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
	    h2_on_data_chunk_recv_cb);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs,
	    h2_on_frame_send_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    h2_on_stream_close_cb);
	return cbs;
}

static int
h2_conn_session(struct h2_conn *c)
{
	nghttp2_mem mem = {
		.mem_user_data = c,
		.malloc = h2_mem_malloc,
		.free = h2_mem_free,
		.calloc = h2_mem_calloc,
		.realloc = h2_mem_realloc,
	};
	nghttp2_session_callbacks *cbs = h2_conn_callbacks();
	nghttp2_option *opt = NULL;
	unsigned resets = c->cfg->h2_max_resets;
	int rc = -1;

	if (cbs == NULL || nghttp2_option_new(&opt) != 0)
		goto out;
	/* Windows open as the relay takes the bytes (h2_stream.c). */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	/* CVE-2023-44487: a burst of h2_max_resets, then a tenth of it a
	 * second; past it nghttp2 sends GOAWAY. */
	nghttp2_option_set_stream_reset_rate_limit(opt, resets,
	    resets >= 10 ? resets / 10 : 1);
	/* CVE-2024-27316/28182: CONTINUATION frames of one header block. */
	nghttp2_option_set_max_continuations(opt, c->cfg->h2_max_continuations);
	if (nghttp2_session_server_new3(&c->ng, cbs, c, opt, &mem) == 0)
		rc = 0;
out:
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	return rc;
}

struct h2_conn *
h2_conn_new(struct gateway *gw, const struct config *cfg,
    struct side *client, const char *peer, const struct h2_conn_ops *ops,
    void *arg)
{
	struct h2_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->gw = gw;
	c->cfg = cfg;
	c->client = client;
	c->peer = peer;
	c->ops = ops;
	c->arg = arg;
	c->idle_since = time(NULL);
	c->work = evtimer_new(gw->base, h2_conn_work_cb, c);
	if (c->work == NULL || h2_conn_session(c) != 0) {
		if (c->work != NULL)
			event_free(c->work);
		free(c);
		return NULL;
	}
	return c;
}

void
h2_conn_start(struct h2_conn *c)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
		  c->cfg->h2_max_concurrent_streams },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
		  (uint32_t)c->cfg->h2_stream_window },
		/* RFC 9113 6.5.2: the same bound as an HTTP/1.1 request. */
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
		  (uint32_t)c->cfg->max_request_bytes },
		/* RFC 8441 3. */
		{ NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1 },
	};

	if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0])) != 0) {
		h2_conn_finish(c, "out of memory");
		return;
	}
	side_drive(c->client, h2_conn_client_cb, c);
	bufferevent_setwatermark(c->client->bev, EV_READ, 0, 0);
	bufferevent_setwatermark(c->client->bev, EV_WRITE, H2_OUT_HIGH / 2, 0);
	bufferevent_enable(c->client->bev, EV_READ | EV_WRITE);
	/* The preface may have come with the TLS handshake's last record. */
	h2_conn_run(c);
}

void
h2_conn_drain(struct h2_conn *c)
{
	if (c->draining || c->done)
		return;
	c->draining = true;
	nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE,
	    nghttp2_session_get_last_proc_stream_id(c->ng), NGHTTP2_NO_ERROR,
	    NULL, 0);
	h2_conn_kick(c);
}

bool
h2_conn_idle(struct h2_conn *c)
{
	if (c->nstreams > 0 || c->idle_since == 0 ||
	    time(NULL) - c->idle_since < (time_t)c->cfg->handshake_timeout)
		return false;
	c->idle = !c->draining;
	h2_conn_drain(c);
	return true;
}

void
h2_conn_free(struct h2_conn *c)
{
	struct h2_stream *st;

	if (c == NULL)
		return;
	c->freeing = true;
	for (st = c->streams; st != NULL; st = st->next)
		h2_stream_reset(st, "HTTP/2 connection closed");
	while (c->streams != NULL)
		h2_stream_free(c->streams);
	nghttp2_session_del(c->ng);
	event_free(c->work);
	free(c);
}
