/* relay.c -- the data path: client frames to backend bytes and back */
#include "relay.h"

#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "config.h"
#include "frame.h"
#include "session.h"
#include "ws_reader.h"

/* Backend bytes are framed in messages of at most this size: small
 * enough for clients' default message limits (1 MiB in several). */
#define RELAY_FRAME_MAX (64u << 10)
/* Bytes libevent may read ahead of what the relay has consumed. */
#define RELAY_READ_AHEAD (64u << 10)

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t
out_len(struct bufferevent *bev)
{
	return evbuffer_get_length(bufferevent_get_output(bev));
}

static void
relay_pause_client(struct session *s)
{
	s->client_paused = true;
	bufferevent_disable(s->client, EV_READ);
}

/*
 * Unmask and check n payload bytes at the front of in, then move them to
 * the backend (or drop them once the session is closing).  The payload
 * is XORed in place, chain by chain: nothing is copied but by the kernel.
 */
static int
relay_payload(struct session *s, struct evbuffer *in, size_t n,
    uint16_t *code)
{
	/* Control payloads stay here (the reader keeps a copy). */
	struct evbuffer *to = s->state == SESSION_OPEN && s->backend != NULL &&
	    !ws_reader_is_control(&s->rx) ? bufferevent_get_output(s->backend)
	    : NULL;

	while (n > 0) {
		struct evbuffer_iovec v;
		size_t m;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return 0;
		m = min_size(v.iov_len, n);
		if (ws_reader_payload(&s->rx, v.iov_base, m, code) != 0)
			return -1;
		if (to != NULL) {
			evbuffer_remove_buffer(in, to, m);
			s->bytes_up += m;
		} else {
			evbuffer_drain(in, m);
		}
		n -= m;
	}
	return 0;
}

static void
relay_send_pong(struct session *s)
{
	uint8_t hdr[FRAME_MAX_HEADER];
	size_t n = frame_write_header(hdr, true, WS_OP_PONG, s->rx.ctl_len);
	struct evbuffer *out = bufferevent_get_output(s->client);

	evbuffer_add(out, hdr, n);
	evbuffer_add(out, s->rx.ctl, s->rx.ctl_len);
}

/* Parse and act on everything the client has sent, until the input runs
 * dry, the backend is full, or the session changes state. */
static void
relay_client_input(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->client);
	size_t max = (size_t)s->route->limits.max_buffer;
	uint16_t code = 0;

	for (;;) {
		size_t avail = evbuffer_get_length(in);

		if (!ws_reader_in_frame(&s->rx)) {
			size_t want = min_size(avail, FRAME_MAX_HEADER);
			const uint8_t *h;
			int n;

			if (avail == 0)
				return;
			h = evbuffer_pullup(in, (ev_ssize_t)want);
			n = ws_reader_header(&s->rx, h, want, &code);
			if (n == 0)
				return;
			if (n < 0) {
				session_fail(s, code, s->rx.why);
				return;
			}
			evbuffer_drain(in, (size_t)n);
			avail -= (size_t)n;
		}
		if (ws_reader_remaining(&s->rx) > 0) {
			size_t n;

			if (avail == 0)
				return;
			n = ws_reader_remaining(&s->rx) < avail
			    ? (size_t)ws_reader_remaining(&s->rx) : avail;
			if (!ws_reader_is_control(&s->rx) &&
			    s->state == SESSION_OPEN) {
				size_t queued = out_len(s->backend);

				if (queued >= max) {
					relay_pause_client(s);
					return;
				}
				n = min_size(n, max - queued);
			}
			if (relay_payload(s, in, n, &code) != 0) {
				session_fail(s, code, s->rx.why);
				return;
			}
			if (ws_reader_remaining(&s->rx) > 0)
				continue;
		}
		switch (ws_reader_frame_end(&s->rx, &code)) {
		case WS_EV_ERROR:
			session_fail(s, code, s->rx.why);
			return;
		case WS_EV_PING:
			if (s->state != SESSION_OPEN)
				break;
			relay_send_pong(s);
			/* A client that pings but never reads would make
			 * pongs pile up: stop reading it instead. */
			if (out_len(s->client) >= max) {
				relay_pause_client(s);
				return;
			}
			break;
		case WS_EV_CLOSE:
			session_peer_closed(s, s->rx.peer_close_code);
			return;
		case WS_EV_PONG:
		case WS_EV_NONE:
		case WS_EV_MESSAGE_END:
			break;
		}
	}
}

/* Frame whatever the backend has sent as binary messages. */
static void
relay_backend_input(struct session *s, bool all)
{
	struct evbuffer *in = bufferevent_get_input(s->backend);
	struct evbuffer *out = bufferevent_get_output(s->client);
	size_t max = (size_t)s->route->limits.max_buffer;

	for (;;) {
		size_t avail = evbuffer_get_length(in);
		size_t queued = evbuffer_get_length(out);
		uint8_t hdr[FRAME_MAX_HEADER];
		size_t n, hlen;

		if (avail == 0)
			return;
		if (queued >= max && !all) {
			s->backend_paused = true;
			bufferevent_disable(s->backend, EV_READ);
			return;
		}
		n = min_size(avail, RELAY_FRAME_MAX);
		if (!all)
			n = min_size(n, max - queued);
		hlen = frame_write_header(hdr, true, WS_OP_BINARY, n);
		evbuffer_add(out, hdr, hlen);
		evbuffer_remove_buffer(in, out, n);
		s->bytes_down += n;
	}
}

static void
relay_client_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	session_touch(s);
	relay_client_input(s);
}

static void
relay_client_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	/* Output fell to the low watermark: the client is reading again. */
	if (s->client_paused && s->state == SESSION_OPEN &&
	    out_len(s->client) < s->route->limits.max_buffer &&
	    (s->backend == NULL ||
	    out_len(s->backend) < s->route->limits.max_buffer)) {
		s->client_paused = false;
		bufferevent_enable(s->client, EV_READ);
		relay_client_input(s);
		if (s->state != SESSION_OPEN)
			return;
	}
	if (s->backend_paused && s->backend != NULL &&
	    s->state == SESSION_OPEN) {
		s->backend_paused = false;
		bufferevent_enable(s->backend, EV_READ);
		relay_backend_input(s, false);
	}
}

static void
relay_client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF)
		session_client_gone(s, "client closed TCP without a close "
		    "frame");
	else
		session_client_gone(s, "client connection error");
}

static void
relay_backend_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->state != SESSION_OPEN)
		return;
	session_touch(s);
	relay_backend_input(s, false);
}

static void
relay_backend_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->client_paused && s->state == SESSION_OPEN &&
	    out_len(s->client) < s->route->limits.max_buffer) {
		s->client_paused = false;
		bufferevent_enable(s->client, EV_READ);
		relay_client_input(s);
	}
}

static void
relay_backend_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		/* Deliver what the backend said before it hung up. */
		if (s->state == SESSION_OPEN)
			relay_backend_input(s, true);
		session_backend_gone(s, false, "backend closed the "
		    "connection");
	} else {
		session_backend_gone(s, true, "backend connection error");
	}
}

void
relay_start(struct session *s)
{
	const struct limits *l = &s->route->limits;
	size_t low = (size_t)l->max_buffer / 2;

	bufferevent_setcb(s->client, relay_client_read_cb,
	    relay_client_write_cb, relay_client_event_cb, s);
	bufferevent_setcb(s->backend, relay_backend_read_cb,
	    relay_backend_write_cb, relay_backend_event_cb, s);
	/*
	 * No read watermark on a TLS side: libevent 2.1 stops mid-record at
	 * one and strands the rest inside OpenSSL until the socket is
	 * readable again, which may be never.  Reads there are a record at
	 * a time anyway, and the explicit length checks above pause them.
	 */
	bufferevent_setwatermark(s->client, EV_READ, 0,
	    s->tls ? 0 : RELAY_READ_AHEAD);
	bufferevent_setwatermark(s->backend, EV_READ, 0,
	    s->backend_tls ? 0 : RELAY_READ_AHEAD);
	bufferevent_setwatermark(s->client, EV_WRITE, low, 0);
	bufferevent_setwatermark(s->backend, EV_WRITE, low, 0);
	bufferevent_enable(s->client, EV_READ | EV_WRITE);
	bufferevent_enable(s->backend, EV_READ | EV_WRITE);
	/* Frames pipelined behind the request are already buffered. */
	relay_client_input(s);
}
