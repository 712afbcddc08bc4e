/* relay.c -- the data path: client frames to backend bytes and back */
#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "config_types.h"
#include "frame.h"
#include "gateway.h"
#include "session.h"
#include "ws_reader.h"

/*
 * Why the relay reads plain sockets itself: libevent 2.1's socket
 * bufferevents read at most 4 KiB per call (after an FIONREAD ioctl), which
 * costs a syscall pair and a loop iteration per 4 KiB.  Reading directly
 * gives one read(2) per up to RELAY_SCRATCH_SIZE bytes, and lets both
 * directions skip a copy:
 *
 *   client -> backend: read into the loop's scratch buffer, decode frames
 *   in place (unmask, squeeze out headers), append the payload to the
 *   backend's output;
 *   backend -> client: read straight into space reserved in the client's
 *   output, behind room for the frame header, then write the header.
 *
 * Writing a plain socket is attempted at once, when bytes are queued;
 * only a socket that cannot take them all gets a write event, until it
 * has.  (A bufferevent writes one loop iteration later and switches
 * EPOLLOUT on and off for every write.)  The queues stay the bufferevents'
 * output buffers, so the session's closing code finds them there.
 *
 * TLS sides are read and written through their bufferevents (the same
 * code: their input is just another source).
 */

/* Backend bytes become binary messages of at most this size, so a frame
 * header is 2 or 4 bytes and clients' default limits (1 MiB in several)
 * are never near. */
#define RELAY_FRAME_MAX 65535u
/* Let one write callback send this much (libevent's default is 16 KiB). */
#define RELAY_MAX_WRITE (1u << 20)

/*
 * The work budget.  A callback driven by a peer does a bounded amount of
 * work, then lets the loop serve every other session before it goes on:
 * a client sending as fast as it can, or a backend streaming to a client
 * that reads as fast, must not hold the worker.  One wakeup of one side
 * reads at most RELAY_BUDGET_READS times and RELAY_BUDGET_BYTES bytes and
 * decodes about RELAY_BUDGET_FRAMES client frames: about 100 us of work
 * (measured with `make bench`'s fairness scenario), so that a victim's
 * round trip, which waits behind two or three such wakeups, stays far
 * within a millisecond.  Frames are charged as well as bytes: an empty
 * frame carries nothing, yet costs a header to decode.  The budget is
 * checked between reads, so a read may go over it; a client whose wakeup
 * spent the frame budget is then read RELAY_DENSE_READ bytes at a time,
 * as many of the smallest frames (6 bytes, masked) as the budget allows,
 * and only its first such read can hold more (RELAY_SCRATCH_SIZE / 6).
 * A message may have any number of fragments (RFC 6455 5.4): what empty
 * ones cost is bounded per wakeup, and in total by the bytes they take,
 * like any data.
 *
 * Where the rest waits: a plain socket that still holds bytes stays
 * readable, and epoll (level-triggered) reports it again at the next
 * poll, after whatever became ready meanwhile.  Bytes already taken into
 * user space -- TLS plaintext in a bufferevent's input, frames pipelined
 * behind the request -- would wake nobody (libevent 2.1 calls a read
 * callback again only when more arrive): that side goes on the worker's
 * run queue, which runs once per loop iteration, after the poll.  So does
 * a side paused for backpressure once its peer's queue has drained: made
 * active at once, it would run in the same pass as the write that drained
 * it, and a fast pair of peers would never let the loop poll again.
 */
#define RELAY_BUDGET_READS 2
#define RELAY_BUDGET_BYTES (128u << 10)
#define RELAY_BUDGET_FRAMES 4096u
/* A client whose last wakeup spent the frame budget is read once per
 * wakeup, at most this much: as many of the smallest frames as the
 * budget allows. */
#define RELAY_DENSE_READ (RELAY_BUDGET_FRAMES * 6)

/* What the run queue comes back for (session.runq). */
#define RELAY_RUN_CLIENT 1u	/* read the client again */
#define RELAY_RUN_BACKEND 2u	/* read the backend again */
#define RELAY_RUN_RESUME 4u	/* resume a side paused for backpressure */

static size_t
out_len(struct bufferevent *bev)
{
	return evbuffer_get_length(bufferevent_get_output(bev));
}

/* How many more bytes may be queued towards bev. */
static size_t
room(const struct session *s, struct bufferevent *bev)
{
	size_t max = (size_t)s->route->limits.max_buffer;
	size_t queued = out_len(bev);

	return queued < max ? max - queued : 0;
}

static void relay_client_wev_cb(evutil_socket_t fd, short what, void *arg);
static void relay_backend_wev_cb(evutil_socket_t fd, short what, void *arg);

/* A side's write event, made on first need: most sessions never fill a
 * socket, and an idle session is smaller without it. */
static struct event *
relay_wev(struct session *s, bool client)
{
	struct event **wev = client ? &s->client_wev : &s->backend_wev;
	struct bufferevent *bev = client ? s->client : s->backend;

	if (*wev == NULL)
		*wev = event_new(s->gw->base, bufferevent_getfd(bev),
		    EV_WRITE | EV_PERSIST, client ? relay_client_wev_cb
		    : relay_backend_wev_cb, s);
	return *wev;
}

/* ---- the run queue: sessions to come back to after the next poll ---- */

static void
relay_runq_unlink(struct session *s)
{
	struct gateway *gw = s->gw;
	struct session **head = s->runq_batch ? &gw->runq_batch : &gw->runq;

	if (s->runq_prev != NULL)
		s->runq_prev->runq_next = s->runq_next;
	else
		*head = s->runq_next;
	if (s->runq_next != NULL)
		s->runq_next->runq_prev = s->runq_prev;
	s->runq_prev = s->runq_next = NULL;
	s->runq_batch = false;
	s->runq = 0;
}

/* Come back to s for what (RELAY_RUN_*) in the next loop iteration. */
static void
relay_later(struct session *s, unsigned what)
{
	struct gateway *gw = s->gw;

	if (s->runq == 0) {
		/* A zero timeout: the loop polls before it runs timers. */
		static const struct timeval next = { 0, 0 };

		s->runq_prev = NULL;
		s->runq_next = gw->runq;
		if (gw->runq != NULL)
			gw->runq->runq_prev = s;
		gw->runq = s;
		if (!evtimer_pending(gw->runq_ev, NULL))
			evtimer_add(gw->runq_ev, &next);
	}
	s->runq |= (uint8_t)what;
}

/* The budget is spent and the side may have more: see the budget's
 * comment for where the rest waits. */
static void
relay_yield(struct session *s, bool client)
{
	struct bufferevent *bev = client ? s->client : s->backend;

	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		relay_later(s, client ? RELAY_RUN_CLIENT : RELAY_RUN_BACKEND);
}

static void relay_client_pull(struct session *s);
static void relay_backend_pull(struct session *s, bool all);
static void relay_resume(struct session *s);

/*
 * Do what s was queued for.  In SESSION_OPEN a pull never frees the
 * session (the backend is still there, or its flushing holds it), so the
 * client's read, which may end a closing session, comes last.
 */
static void
relay_run(struct session *s, unsigned what)
{
	if (what & RELAY_RUN_RESUME)
		relay_resume(s);
	if ((what & RELAY_RUN_BACKEND) && s->state == SESSION_OPEN &&
	    s->backend != NULL && !s->backend_paused &&
	    !s->backend_flushing && !s->backend_draining)
		relay_backend_pull(s, false);
	/* (Until its 1001, a shutdown reads the client no more.) */
	if ((what & RELAY_RUN_CLIENT) && s->client != NULL &&
	    !s->client_paused && !s->client_draining &&
	    ((s->state == SESSION_OPEN && !s->shutting_down) ||
	    s->state == SESSION_CLOSE_SENT))
		relay_client_pull(s);
}

static void
relay_runq_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct session *s;

	(void)fd;
	(void)what;
	/* Run what was queued before this iteration; what queues itself
	 * again meanwhile waits for the next one. */
	gw->runq_batch = gw->runq;
	gw->runq = NULL;
	for (s = gw->runq_batch; s != NULL; s = s->runq_next)
		s->runq_batch = true;
	while ((s = gw->runq_batch) != NULL) {
		unsigned todo = s->runq;

		relay_runq_unlink(s);
		relay_run(s, todo);
	}
}

int
relay_loop_init(struct gateway *gw)
{
	gw->runq_ev = evtimer_new(gw->base, relay_runq_cb, gw);
	return gw->runq_ev != NULL ? 0 : -1;
}

void
relay_loop_free(struct gateway *gw)
{
	if (gw->runq_ev != NULL)
		event_free(gw->runq_ev);
	gw->runq_ev = NULL;
}

/*
 * Write what is queued for one side now.  Returns -1 on a broken
 * connection (its write event is then made active so the error is handled
 * from the event loop, not from deep inside a caller).
 */
static int
relay_flush(struct session *s, bool client)
{
	struct bufferevent *bev = client ? s->client : s->backend;
	bool own = client ? s->client_writes : s->backend_writes;
	struct event *wev;
	struct evbuffer *out;
	int n;

	if (!own || bev == NULL)
		return 0;	/* TLS: the bufferevent writes */
	out = bufferevent_get_output(bev);
	if (evbuffer_get_length(out) == 0)
		return 0;
	/* A socket bufferevent keeps its output's front frozen. */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write_atmost(out, bufferevent_getfd(bev), -1);
	evbuffer_freeze(out, 1);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		if ((wev = relay_wev(s, client)) != NULL)
			event_active(wev, EV_WRITE, 1);
		return -1;
	}
	wev = client ? s->client_wev : s->backend_wev;
	if (evbuffer_get_length(out) > 0) {
		if ((wev = relay_wev(s, client)) == NULL)
			return -1;
		event_add(wev, NULL);
	} else if (wev != NULL) {
		event_del(wev);
	}
	/* A side paused for this queue resumes once the queue is down to
	 * the low watermark: from the run queue, after the next poll. */
	if ((s->client_paused || s->backend_paused) &&
	    evbuffer_get_length(out) <= s->route->limits.max_buffer / 2)
		relay_later(s, RELAY_RUN_RESUME);
	return 0;
}

static void relay_client_rev_cb(evutil_socket_t fd, short what, void *arg);
static void relay_backend_rev_cb(evutil_socket_t fd, short what, void *arg);

static void
relay_read_enable(struct session *s, bool client, bool on)
{
	struct event *ev = client ? s->client_rev : s->backend_rev;
	struct bufferevent *bev = client ? s->client : s->backend;

	if (ev == NULL) {
		/* TLS: its bufferevent reads. */
		if (on)
			bufferevent_enable(bev, EV_READ);
		else
			bufferevent_disable(bev, EV_READ);
	} else if (on) {
		event_add(ev, NULL);
	} else {
		event_del(ev);
	}
}

static void
relay_pause(struct session *s, bool client)
{
	if (client)
		s->client_paused = true;
	else
		s->backend_paused = true;
	relay_read_enable(s, client, false);
	session_paused(s);
}

/*
 * A paused side is not read, so its hang-up would go unseen: a client
 * that vanishes while its backend is stuck would hold the session for
 * ever.  The session's timer calls this every second while a side is
 * paused.  (An EV_CLOSED event cannot do it: libevent 2.1 reports a reset
 * as plain read/write readiness, which a paused side must not ask for.)
 * Returns true if the session ended.
 */
bool
relay_check_paused(struct session *s)
{
	for (int i = 0; i < 2; i++) {
		bool client = i == 0;
		struct bufferevent *bev = client ? s->client : s->backend;
		bool paused = client ? s->client_paused : s->backend_paused;
		bool hup = client ? s->client_hup : s->backend_hup;
		struct pollfd p;

		if (!paused || bev == NULL)
			continue;
		p.fd = bufferevent_getfd(bev);
		p.events = POLLRDHUP;
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP)) {
			/* Reset: whatever it sent is gone anyway. */
			if (client)
				session_client_gone(s, "client connection "
				    "reset");
			else
				session_backend_gone(s, true, "backend "
				    "connection reset");
			return true;
		}
		/* FIN: its last bytes are still owed to the other side. */
		if ((p.revents & POLLRDHUP) && !hup)
			session_peer_finishing(s, client);
	}
	return false;
}

/*
 * Read up to cap bytes from one side: first whatever its bufferevent
 * already holds (the request's pipelined frames, or TLS plaintext), then,
 * for plain sockets, the socket.  Returns the count, 0 at EOF, or -1 with
 * errno (EAGAIN: nothing now).
 */
static ssize_t
relay_source(struct bufferevent *bev, struct event *rev, void *buf,
    size_t cap)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	if (evbuffer_get_length(in) > 0)
		return evbuffer_remove(in, buf, cap);
	if (rev == NULL) {
		errno = EAGAIN;
		return -1;
	}
	return read(bufferevent_getfd(bev), buf, cap);
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

/*
 * Act on len bytes from the client (already behind any carried header
 * bytes), adding the frames that ended to *frames.  Returns false if the
 * session left the relay.
 */
static bool
relay_client_bytes(struct session *s, uint8_t *buf, size_t len,
    size_t *frames)
{
	struct ws_decode d;

	for (;;) {
		ws_reader_decode(&s->rx, buf, len, &d);
		*frames += d.frames;
		if (d.data > 0 && s->state == SESSION_OPEN &&
		    s->backend != NULL) {
			evbuffer_add(bufferevent_get_output(s->backend), buf,
			    d.data);
			s->bytes_up += d.data;
		}
		buf += d.consumed;
		len -= d.consumed;
		switch (d.ev) {
		case WS_EV_NONE:
		case WS_EV_MESSAGE_END:
			/* Only an incomplete header can be left over. */
			memcpy(s->carry, buf, len);
			s->carry_len = (uint8_t)len;
			return true;
		case WS_EV_ERROR:
			session_fail(s, d.close_code, s->rx.why);
			return false;
		case WS_EV_PING:
			if (s->state == SESSION_OPEN)
				relay_send_pong(s);
			break;
		case WS_EV_PONG:
			break;
		case WS_EV_CLOSE:
			session_peer_closed(s, s->rx.peer_close_code);
			return false;
		}
	}
}

/* Read and act on what the client sent, as far as the backend can take
 * it. */
static void
relay_client_pull(struct session *s)
{
	struct gateway *gw = s->gw;
	uint8_t *scratch = gw->scratch;
	size_t bytes = 0, frames = 0;
	unsigned reads = 0;
	bool dense = s->client_dense;

	for (;;) {
		size_t cap = gw->scratch_size - s->carry_len;
		ssize_t n, nread;

		if (dense && cap > RELAY_DENSE_READ)
			cap = RELAY_DENSE_READ;

		if (s->state == SESSION_OPEN && s->backend != NULL) {
			size_t r = room(s, s->backend);

			if (r == 0) {
				relay_pause(s, true);
				return;
			}
			/* Payload never exceeds what was read. */
			if (r < cap)
				cap = r;
		}
		memcpy(scratch, s->carry, s->carry_len);
		nread = relay_source(s->client, s->client_rev,
		    scratch + s->carry_len, cap);
		n = nread;
		if (n == 0) {
			session_client_gone(s, "client closed TCP without a "
			    "close frame");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			session_client_gone(s, "client connection error");
			return;
		}
		n += s->carry_len;
		s->carry_len = 0;
		if (!relay_client_bytes(s, scratch, (size_t)n, &frames))
			return;
		relay_flush(s, false);
		/* Read less than asked: drained.  Or the pongs of a client
		 * that pings but does not read have filled its queue: read
		 * no more now (it is paused below). */
		if ((size_t)nread < cap || room(s, s->client) == 0)
			break;
		bytes += (size_t)nread;
		if (++reads >= RELAY_BUDGET_READS ||
		    bytes >= RELAY_BUDGET_BYTES ||
		    frames >= RELAY_BUDGET_FRAMES || dense) {
			relay_yield(s, true);
			break;
		}
	}
	/* Dense stays dense while a capped read is still half the budget's
	 * frames, so that a flood does not get a full read every other
	 * wakeup. */
	s->client_dense = frames >= (dense ? RELAY_BUDGET_FRAMES / 2 :
	    RELAY_BUDGET_FRAMES);
	session_touch(s);
	relay_flush(s, true);	/* pongs */
	/* A client that pings but never reads would make pongs pile up:
	 * stop reading it until it reads. */
	if (room(s, s->client) == 0)
		relay_pause(s, true);
}

static void relay_backend_frame(struct session *s, bool all);
static void relay_resume(struct session *s);
static void relay_shutdown_continue(struct session *s);

/* Frame what the backend sent as binary messages, as far as the client
 * can take them (all of it when the backend is gone), and send them. */
static void
relay_backend_pull(struct session *s, bool all)
{
	relay_backend_frame(s, all);
	if (s->client != NULL && s->state == SESSION_OPEN)
		relay_flush(s, true);
}

static void
relay_backend_frame(struct session *s, bool all)
{
	struct evbuffer *out = bufferevent_get_output(s->client);
	size_t bytes = 0;
	unsigned reads = 0;

	for (;;) {
		struct evbuffer_iovec v;
		size_t cap = RELAY_FRAME_MAX;
		ssize_t n;
		uint8_t *p;

		if (!all) {
			size_t r = room(s, s->client);

			if (r == 0) {
				relay_pause(s, false);
				return;
			}
			if (r < cap)
				cap = r;
		}
		/* One contiguous extent: header room, then the payload. */
		if (evbuffer_reserve_space(out, (ev_ssize_t)cap + 4, &v, 1) !=
		    1) {
			session_backend_gone(s, true, "out of memory");
			return;
		}
		p = v.iov_base;
		n = relay_source(s->backend, all ? NULL : s->backend_rev,
		    p + 4, cap);
		if (n <= 0) {
			int err = errno;

			evbuffer_commit_space(out, NULL, 0);
			if (all)
				return;
			if (n == 0) {
				session_backend_gone(s, false, "backend closed "
				    "the connection");
			} else if (err != EAGAIN && err != EWOULDBLOCK &&
			    err != EINTR) {
				session_backend_gone(s, true, "backend "
				    "connection error");
			}
			return;
		}
		/* Short payload, 2-byte header: close the gap. */
		if (n < 126)
			memmove(p + 2, p + 4, (size_t)n);
		v.iov_len = frame_write_header(p, true, WS_OP_BINARY,
		    (uint64_t)n) + (size_t)n;
		evbuffer_commit_space(out, &v, 1);
		s->bytes_down += (uint64_t)n;
		/* Backend data is activity too (idle_timeout): stamp it even
		 * when this short read ends the loop. */
		session_touch(s);
		if ((size_t)n < cap)
			return;
		/* The budget (all: the backend is gone, and only what it
		 * sent before, already in its input, is left). */
		bytes += (size_t)n;
		if (!all && (++reads >= RELAY_BUDGET_READS ||
		    bytes >= RELAY_BUDGET_BYTES)) {
			relay_yield(s, false);
			return;
		}
	}
}

static void
relay_client_rev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->client_draining)
		session_drain_read(s, true);
	else if (!s->shutting_down || s->state != SESSION_OPEN)
		/* (Until its 1001, a shutdown reads the client no more.) */
		relay_client_pull(s);
}

static void
relay_backend_rev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->backend_draining)
		session_drain_read(s, false);
	else if (s->state == SESSION_OPEN)
		relay_backend_pull(s, false);
}

static void
relay_client_wev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (relay_flush(s, true) != 0) {
		session_client_gone(s, "client connection error");
		return;
	}
	relay_resume(s);
}

static void
relay_backend_wev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (relay_flush(s, false) != 0) {
		session_backend_gone(s, true, "backend connection error");
		return;
	}
	relay_resume(s);
}

static void
relay_client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	relay_client_pull(arg);
}

static void
relay_backend_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->state == SESSION_OPEN)
		relay_backend_pull(s, false);
}

/* Resume whichever side was paused for a peer that has drained to the low
 * watermark (half of max_buffer), so reading restarts in big steps. */
static void
relay_resume(struct session *s)
{
	size_t low = (size_t)s->route->limits.max_buffer / 2;

	if (s->state != SESSION_OPEN)
		return;
	if (s->shutting_down) {
		relay_shutdown_continue(s);
		if (s->state != SESSION_OPEN)
			return;
	} else if (s->client_paused && room(s, s->client) > 0 &&
	    (s->backend == NULL || out_len(s->backend) <= low)) {
		s->client_paused = false;
		relay_read_enable(s, true, true);
		relay_client_pull(s);
		if (s->state != SESSION_OPEN)
			return;
	}
	if (s->backend_paused && s->backend != NULL &&
	    out_len(s->client) <= low) {
		s->backend_paused = false;
		relay_read_enable(s, false, true);
		relay_backend_pull(s, false);
	}
}

static void
relay_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	relay_resume(arg);
}

static void
relay_client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	session_client_gone(arg, (what & BEV_EVENT_EOF)
	    ? "client closed TCP without a close frame"
	    : "client connection error");
}

static void
relay_backend_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		/* Deliver what the backend said before it hung up. */
		if (s->state == SESSION_OPEN)
			relay_backend_pull(s, true);
		session_backend_gone(s, false, "backend closed the "
		    "connection");
	} else {
		session_backend_gone(s, true, "backend connection error");
	}
}

static struct event *
relay_new_event(struct session *s, struct bufferevent *bev, short what,
    event_callback_fn cb)
{
	struct event *ev = event_new(s->gw->base, bufferevent_getfd(bev),
	    what | EV_PERSIST, cb, s);

	if (ev != NULL)
		event_add(ev, NULL);
	return ev;
}

void
relay_start(struct session *s)
{
	size_t low = (size_t)s->route->limits.max_buffer / 2;

	bufferevent_setcb(s->client, relay_client_read_cb, relay_write_cb,
	    relay_client_event_cb, s);
	bufferevent_setcb(s->backend, relay_backend_read_cb, relay_write_cb,
	    relay_backend_event_cb, s);
	/*
	 * No read watermark on a TLS side: libevent 2.1 stops mid-record at
	 * one and strands the rest inside OpenSSL until the socket is
	 * readable again, which may be never.  TLS reads come a record at a
	 * time anyway, and room() pauses them explicitly.
	 */
	bufferevent_setwatermark(s->client, EV_READ, 0,
	    s->client_tls ? 0 : RELAY_SCRATCH_SIZE);
	bufferevent_setwatermark(s->backend, EV_READ, 0,
	    s->backend_tls ? 0 : RELAY_SCRATCH_SIZE);
	bufferevent_setwatermark(s->client, EV_WRITE, low, 0);
	bufferevent_setwatermark(s->backend, EV_WRITE, low, 0);
	bufferevent_set_max_single_write(s->client, RELAY_MAX_WRITE);
	bufferevent_set_max_single_write(s->backend, RELAY_MAX_WRITE);
	if (!s->client_tls) {
		bufferevent_disable(s->client, EV_READ | EV_WRITE);
		s->client_rev = relay_new_event(s, s->client, EV_READ,
		    relay_client_rev_cb);
		s->client_writes = true;
	} else {
		bufferevent_enable(s->client, EV_READ | EV_WRITE);
	}
	if (!s->backend_tls) {
		bufferevent_disable(s->backend, EV_READ | EV_WRITE);
		s->backend_rev = relay_new_event(s, s->backend, EV_READ,
		    relay_backend_rev_cb);
		s->backend_writes = true;
	} else {
		bufferevent_enable(s->backend, EV_READ | EV_WRITE);
	}
	if ((!s->client_tls && s->client_rev == NULL) ||
	    (!s->backend_tls && s->backend_rev == NULL)) {
		session_fail(s, WS_CLOSE_INTERNAL, "out of memory");
		return;
	}
	relay_flush(s, true);	/* the 101 */
	/* Frames pipelined behind the request are already buffered; with
	 * none, a read now would only answer EAGAIN. */
	if (s->client_tls ||
	    evbuffer_get_length(bufferevent_get_input(s->client)) > 0)
		relay_client_pull(s);
}

/* ---- shutdown: deliver what the client sent, then the backend's rest ---- */

void
relay_shutdown(struct session *s)
{
	/* What a TLS client sent is read through its bufferevent; what
	 * it already decrypted is still delivered (see below), nothing
	 * more is read. */
	relay_read_enable(s, true, false);
	if (s->backend_tls)
		/* Called back when its queue is empty, not at half. */
		bufferevent_setwatermark(s->backend, EV_WRITE, 0, 0);
	relay_shutdown_continue(s);
}

/*
 * Deliver what the client sent and, once the backend has it all, shut the
 * backend's write side.  Called again as the backend's queue drains (from
 * relay_resume), until then.
 */
static void
relay_shutdown_continue(struct session *s)
{
	struct evbuffer *in;

	if (s->state != SESSION_OPEN || s->backend == NULL || s->backend_shut)
		return;
	in = bufferevent_get_input(s->client);
	/* Plaintext a TLS client's bufferevent decrypted before the
	 * shutdown: relay_source reads only that (a TLS side has no read
	 * event), as far as the backend's queue has room. */
	if (s->client_tls && evbuffer_get_length(in) > 0) {
		relay_client_pull(s);
		if (s->state != SESSION_OPEN || evbuffer_get_length(in) > 0)
			return;
	}
	relay_flush(s, false);
	if (out_len(s->backend) == 0)
		session_backend_delivered(s);
	/* Otherwise the backend's write event (or, under TLS, its write
	 * callback) brings us back through relay_resume. */
}

void
relay_shutdown_end(struct session *s)
{
	struct evbuffer *in;

	if (s->client == NULL)
		return;
	/* The close frame is queued: read the client again, for its own
	 * close (what comes before it is discarded, as in CLOSE_SENT). */
	s->client_paused = false;
	relay_read_enable(s, true, true);
	in = bufferevent_get_input(s->client);
	if (s->client_tls && evbuffer_get_length(in) > 0)
		bufferevent_trigger(s->client, EV_READ, 0);
}

void
relay_stop_writing(struct session *s, bool client)
{
	struct event **ev = client ? &s->client_wev : &s->backend_wev;
	bool *own = client ? &s->client_writes : &s->backend_writes;
	struct bufferevent *bev = client ? s->client : s->backend;

	if (!*own)
		return;
	/* Send what is queued now (often all of it, a close frame say);
	 * hand the rest back for the bufferevent to write. */
	relay_flush(s, client);
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	*own = false;
	/* An empty queue needs no write event: enabling it would only
	 * switch EPOLLOUT on to learn there is nothing to write. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		bufferevent_enable(bev, EV_WRITE);
}

int
relay_read_watch(struct session *s, bool client)
{
	struct event **ev = client ? &s->client_rev : &s->backend_rev;

	/* The same event goes on: freeing it and making another would cost
	 * an epoll_ctl for a change that is none. */
	if (*ev == NULL)
		*ev = relay_new_event(s, client ? s->client : s->backend,
		    EV_READ, client ? relay_client_rev_cb
		    : relay_backend_rev_cb);
	else
		event_add(*ev, NULL);
	return *ev != NULL ? 0 : -1;
}

void
relay_stop_reading(struct session *s, bool client)
{
	struct event **ev = client ? &s->client_rev : &s->backend_rev;

	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
}

void
relay_free(struct session *s)
{
	s->client_writes = false;
	s->backend_writes = false;
	if (s->runq != 0)
		relay_runq_unlink(s);
	struct event **evs[] = { &s->client_rev, &s->client_wev,
		&s->backend_rev, &s->backend_wev };

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i] != NULL) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	}
}
