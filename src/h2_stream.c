/* h2_stream.c -- one HTTP/2 stream as a WebSocket's client side: its request through admission, its bytes through a bufferevent pair, its window opened as the backend drains */
#include "h2_stream.h"

#include "h2_conn.h"
#include "h2_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "config_types.h"
#include "gateway.h"
#include "h2_req.h"
#include "log.h"
#include "side.h"
#include "tls.h"

/*
 * What the relay writes waits in mine's input for nghttp2 to send it as
 * the stream's window allows; past this much, the rest stays in the
 * relay's end, where its max_buffer counts it and pauses the backend.
 */
#define H2_STREAM_OUT_HIGH (64u << 10)

struct h2_stream *
h2_stream_new(struct h2_conn *c, int32_t id)
{
	struct h2_stream *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->req = malloc(sizeof(*st->req));
	if (st->req == NULL) {
		free(st);
		return NULL;
	}
	h2_req_init(st->req);
	st->c = c;
	st->id = id;
	st->file_fd = -1;
	st->route = "-";
	st->next = c->streams;
	if (c->streams != NULL)
		c->streams->prev = st;
	c->streams = st;
	c->nstreams++;
	return st;
}

void
h2_stream_free(struct h2_stream *st)
{
	struct h2_conn *c = st->c;

	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		c->streams = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	c->nstreams--;
	if (!st->closed && !c->freeing)
		nghttp2_session_set_stream_user_data(c->ng, st->id, NULL);
	if (st->mine != NULL)
		bufferevent_free(st->mine);
	if (st->body != NULL)
		evbuffer_free(st->body);
	if (st->file_fd >= 0)
		close(st->file_fd);
	free(st->req);
	free(st);
}

/* ---- the response ---- */

/* Where the stream's DATA comes from: the relay's frames, or a body. */
static struct evbuffer *
h2_stream_source(const struct h2_stream *st)
{
	if (st->body != NULL)
		return st->body;
	return st->mine != NULL ? bufferevent_get_input(st->mine) : NULL;
}

/*
 * A web_root file, read as the stream's window allows (so a client that
 * reads slowly holds no more than a frame of it in memory).  A file that
 * ends before its Content-Length (truncated while sent) resets the
 * stream: the client must not take a short body for the whole.
 */
static ssize_t
h2_stream_read_file(struct h2_stream *st, uint8_t *buf, size_t length,
    uint32_t *flags)
{
	size_t want = length < st->file_left ? length : (size_t)st->file_left;
	ssize_t n = 0;

	if (want > 0) {
		do
			n = read(st->file_fd, buf, want);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	st->file_left -= (uint64_t)n;
	if (st->file_left == 0)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return n;
}

static ssize_t
h2_stream_read_cb(nghttp2_session *ng, int32_t id, uint8_t *buf,
    size_t length, uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct h2_stream *st = src->ptr;
	struct evbuffer *in = h2_stream_source(st);
	int n = 0;

	(void)ng;
	(void)id;
	(void)arg;
	if (st->file_fd >= 0)
		return h2_stream_read_file(st, buf, length, flags);
	if (in != NULL && (n = evbuffer_remove(in, buf, length)) > 0)
		return n;
	if (st->local_done) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		return 0;
	}
	st->deferred = true;
	return NGHTTP2_ERR_DEFERRED;
}

/* More to send, or the end: wake the data source. */
static void
h2_stream_resume(struct h2_stream *st)
{
	if (st->deferred && !st->closed) {
		st->deferred = false;
		nghttp2_session_resume_data(st->c->ng, st->id);
	}
	h2_conn_kick(st->c);
}

int
h2_stream_submit_nv(struct h2_stream *st, const nghttp2_nv *nv, size_t n,
    bool has_body)
{
	nghttp2_data_provider dp = { .source.ptr = st,
	    .read_callback = h2_stream_read_cb };

	st->responded = true;
	st->local_done = true;
	h2_conn_kick(st->c);
	if (nghttp2_submit_response(st->c->ng, st->id, nv, n,
	    has_body ? &dp : NULL) == 0)
		return 0;
	nghttp2_submit_rst_stream(st->c->ng, NGHTTP2_FLAG_NONE, st->id,
	    NGHTTP2_INTERNAL_ERROR);
	return -1;
}

static int
h2_stream_submit(struct h2_stream *st, int status, const char *subprotocol)
{
	char code[8];
	nghttp2_nv nv[3];
	size_t n = 0;
	nghttp2_data_provider dp = { .source.ptr = st,
	    .read_callback = h2_stream_read_cb };

	snprintf(code, sizeof(code), "%d", status);
	nv[n++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code, 7,
	    strlen(code), NGHTTP2_NV_FLAG_NONE };
	if (subprotocol != NULL)
		nv[n++] = (nghttp2_nv){ (uint8_t *)"sec-websocket-protocol",
		    (uint8_t *)subprotocol, 22, strlen(subprotocol),
		    NGHTTP2_NV_FLAG_NONE };
	else if (st->body != NULL)
		nv[n++] = (nghttp2_nv){ (uint8_t *)"content-type",
		    (uint8_t *)"text/plain; charset=utf-8", 12, 25,
		    NGHTTP2_NV_FLAG_NONE };
	st->responded = true;
	h2_conn_kick(st->c);
	return nghttp2_submit_response(st->c->ng, st->id, nv, n,
	    st->body != NULL || st->mine != NULL ? &dp : NULL);
}

/* A plain answer: status, and why as its body (4xx only, as HTTP/1.1). */
static void
h2_stream_respond(struct h2_stream *st, int status, const char *why)
{
	st->local_done = true;
	if (status < 500 && why != NULL && (st->body = evbuffer_new()) != NULL)
		evbuffer_add_printf(st->body, "%d %s: %s\n", status,
		    status == 404 ? "Not Found" : status == 403 ? "Forbidden" :
		    "Error", why);
	if (h2_stream_submit(st, status, NULL) != 0)
		nghttp2_submit_rst_stream(st->c->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_INTERNAL_ERROR);
}

static void
h2_stream_log_reject(struct h2_stream *st, int status, const char *why)
{
	struct h2_conn *c = st->c;

	if (status != 200)
		c->gw->stats.rejected++;
	log_msg(status >= 500 ? LL_WARN : LL_INFO,
	    "reject client=%s status=%d path=\"%s\" origin=\"%s\" route=%s "
	    "reason=\"%s\" proto=h2 stream=%d", c->peer, status, st->path,
	    st->origin, st->route, why, (int)st->id);
}

void
h2_stream_upgraded(struct h2_stream *st, const char *subprotocol)
{
	st->c->gw->stats.upgraded++;
	if (h2_stream_submit(st, 200, subprotocol) != 0)
		nghttp2_submit_rst_stream(st->c->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_INTERNAL_ERROR);
}

void
h2_stream_answer(struct h2_stream *st, int status, const char *why)
{
	h2_stream_log_reject(st, status, why);
	/* Only the session's end held the bytes: there are none. */
	h2_stream_respond(st, status, why);
}

/* RFC 9113 8.1: a complete response, and the client still sending: ask it
 * to stop, without error. */
static void
h2_stream_stop_client(struct h2_stream *st)
{
	if (st->end_sent && !st->remote_done && !st->closed &&
	    st->session == NULL)
		nghttp2_submit_rst_stream(st->c->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_NO_ERROR);
}

void
h2_stream_sent_end(struct h2_stream *st)
{
	st->end_sent = true;
	h2_stream_stop_client(st);
}

/* The session's end is about to go: stop watching it. */
static void
h2_stream_unwatch(struct h2_stream *st)
{
	if (st->drain_cb != NULL)
		evbuffer_remove_cb_entry(st->theirs_in, st->drain_cb);
	st->drain_cb = NULL;
	st->theirs_in = NULL;
}

void
h2_stream_released(struct h2_stream *st)
{
	h2_stream_unwatch(st);
	if (st->session == NULL)
		return;		/* the connection reset it */
	st->session = NULL;
	st->local_done = true;
	if (st->c->freeing)
		return;
	if (!st->responded)
		/* Never answered (the session failed early): 502. */
		h2_stream_respond(st, 502, NULL);
	h2_stream_stop_client(st);
	h2_stream_resume(st);
}

/* ---- the pair: bytes between the stream and its session ---- */

/* The relay wrote frames (or shut its write side: EOF below). */
static void
h2_stream_mine_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	h2_stream_resume(arg);
}

/* Give the session EOF (the client's END_STREAM) once it has every byte
 * before it. */
static void
h2_stream_give_eof(struct h2_stream *st)
{
	if (st->eof_given || !st->remote_done || st->mine == NULL ||
	    st->session == NULL ||
	    evbuffer_get_length(bufferevent_get_output(st->mine)) > 0)
		return;
	st->eof_given = true;
	bufferevent_flush(st->mine, EV_WRITE, BEV_FINISHED);
}

static void
h2_stream_mine_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	h2_stream_give_eof(arg);
}

static void
h2_stream_mine_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct h2_stream *st = arg;

	(void)bev;
	/* The session shut its write side (side_shut_write), or went. */
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		st->local_done = true;
		h2_stream_resume(st);
	}
}

/* The relay took n bytes out of its end: open the stream's window by as
 * much (RFC 9113 6.9), so the client sends as fast as the backend takes
 * them, and no faster. */
static void
h2_stream_drained_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct h2_stream *st = arg;

	(void)buf;
	if (info->n_deleted == 0 || st->closed || st->c->freeing)
		return;
	nghttp2_session_consume_stream(st->c->ng, st->id, info->n_deleted);
	h2_conn_kick(st->c);
}

void
h2_stream_data(struct h2_stream *st, const uint8_t *data, size_t len)
{
	if (st->mine == NULL || st->session == NULL || st->eof_given) {
		/* Nobody to read it: open the window, drop the bytes. */
		nghttp2_session_consume_stream(st->c->ng, st->id, len);
		return;
	}
	if (bufferevent_write(st->mine, data, len) != 0)
		nghttp2_submit_rst_stream(st->c->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_INTERNAL_ERROR);
}

void
h2_stream_remote_end(struct h2_stream *st)
{
	st->remote_done = true;
	h2_stream_give_eof(st);
}

void
h2_stream_reset(struct h2_stream *st, const char *why)
{
	void *s = st->session;

	if (s == NULL)
		return;
	st->session = NULL;	/* h2_stream_released finds it done */
	st->local_done = true;
	st->c->ops->stream_reset(s, why);
}

void
h2_stream_closed(struct h2_stream *st, uint32_t error_code)
{
	st->closed = true;
	if (st->session != NULL && (error_code != NGHTTP2_NO_ERROR ||
	    st->reset_by_client || !st->eof_given))
		h2_stream_reset(st, st->reset_by_client ?
		    "client reset the stream (RST_STREAM)" :
		    "stream reset (HTTP/2 error)");
	h2_conn_kick(st->c);
}

/* ---- the request ---- */

void
h2_stream_field(struct h2_stream *st, const uint8_t *name, size_t nlen,
    const uint8_t *value, size_t vlen)
{
	const struct config *cfg = st->c->cfg;
	struct hs_limits lim = { (size_t)cfg->max_request_bytes,
	    cfg->max_headers };

	if (st->req == NULL || st->req_status != 0)
		return;
	if (h2_req_field(st->req, (const char *)name, nlen,
	    (const char *)value, vlen, &lim, &st->req_status,
	    &st->req_why) != 0 && st->req_status == 0)
		st->req_status = 400;
}

static int
h2_stream_client_cert(void *arg, char *const *names, size_t n, char *who,
    size_t whosize)
{
	struct h2_stream *st = arg;

	return tls_peer_name_allowed(st->c->client->bev, names, n, who,
	    whosize);
}

/* An admitted request: the pair, and the session that connects the
 * backend. */
static void
h2_stream_open(struct h2_stream *st, const struct admit_result *res)
{
	struct bufferevent *pair[2];

	if (bufferevent_pair_new(st->c->gw->base, BEV_OPT_DEFER_CALLBACKS,
	    pair) != 0) {
		admit_release(&st->c->gw->shared->slots, res->route);
		h2_stream_answer(st, 502, "out of memory");
		return;
	}
	st->mine = pair[0];
	bufferevent_setcb(st->mine, h2_stream_mine_read_cb,
	    h2_stream_mine_write_cb, h2_stream_mine_event_cb, st);
	bufferevent_setwatermark(st->mine, EV_READ, 0, H2_STREAM_OUT_HIGH);
	bufferevent_enable(st->mine, EV_READ | EV_WRITE);
	st->theirs_in = bufferevent_get_input(pair[1]);
	st->drain_cb = evbuffer_add_cb(st->theirs_in, h2_stream_drained_cb, st);
	if (st->drain_cb == NULL) {
		bufferevent_free(pair[1]);
		admit_release(&st->c->gw->shared->slots, res->route);
		h2_stream_answer(st, 502, "out of memory");
		return;
	}
	st->session = st->c->ops->stream_open(st->c->arg, st, pair[1], res);
	if (st->session == NULL)
		h2_stream_answer(st, 502, "out of memory");
}

void
h2_stream_request(struct h2_stream *st)
{
	struct h2_conn *c = st->c;
	struct hs_request req;
	struct admit_result res;
	struct admit_conn conn = {
		.draining = c->gw->draining,
		.slots = &c->gw->shared->slots,
		.client_cert = h2_stream_client_cert,
		.client_cert_arg = st,
		/* RFC 9113 8.3.1: :authority names the host, as Host does. */
		.sni = tls_server_name(c->client->bev),
		.now = (int64_t)time(NULL),
	};
	enum h2_req_kind kind;

	if (st->req == NULL)
		return;
	kind = h2_req_request(st->req, &req);
	log_escape(st->path, sizeof(st->path), req.path.p, req.path.n);
	log_escape(st->origin, sizeof(st->origin), st->req->origin.p,
	    st->req->origin.n);
	if (st->req_status != 0) {
		h2_stream_answer(st, st->req_status, st->req_why);
	} else if (kind == H2_REQ_OTHER) {
		h2_stream_answer(st, 405, "only WebSocket (extended CONNECT, "
		    "RFC 8441) is served over HTTP/2");
	} else if (kind == H2_REQ_PLAIN) {
		h2_stream_plain(st, &req);
	} else if (admit_request(&req, c->cfg, &conn, &res) != 0) {
		if (res.route != NULL)
			st->route = res.route->name;
		h2_stream_answer(st, res.status, res.why);
	} else {
		st->route = res.route->name;
		free(st->req);
		st->req = NULL;
		h2_stream_open(st, &res);
		return;
	}
	free(st->req);
	st->req = NULL;
}
