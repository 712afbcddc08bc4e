/* relay.c -- the data path: client frames to backend bytes and back */
#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "config_types.h"
#include "frame.h"
#include "gateway.h"
#include "metrics.h"
#include "monotime.h"
#include "recorder.h"
#include "side.h"
#include "utf8_split.h"
#include "ws_reader.h"

/*
 * Why the relay reads the sockets itself: libevent 2.1's socket
 * bufferevents read at most 4 KiB per call (after an FIONREAD ioctl), which
 * costs a syscall pair and a loop iteration per 4 KiB.  Reading directly
 * gives one read(2) per up to RELAY_SCRATCH_SIZE bytes, and lets both
 * directions skip a copy:
 *
 *   client -> backend: read into the loop's scratch buffer, decode frames
 *   in place (unmask, squeeze out headers), and write the payload to the
 *   backend from there when nothing is queued before it (relay_to_backend;
 *   only what the socket does not take is copied into its output);
 *   backend -> client: read straight into space reserved in the client's
 *   output, behind room for the frame header, then write the header.
 *
 * Not splice(2): moving backend -> client payload through a pipe (the
 * frame header sent first with MSG_MORE, or written into the pipe ahead of
 * the payload) was tried and cost 1.5-2x more gateway CPU per byte at
 * 64 KiB on Linux 6.18 loopback than these copies (more time in the TCP
 * transmit path per spliced page than the copy it saves); HAProxy's
 * `option splice-auto` does not splice on this path either.  Nor one
 * readv(2) filling two frames, each payload behind its header's room: it
 * cut the system calls per MB at 64 KiB by a quarter, but its CPU gain was
 * within the noise and a stalled client's queue took about 10 % more
 * memory.
 *
 * Writing is attempted at once, when bytes are queued; only a socket that
 * cannot take them all gets a write event, until it has.  (A bufferevent
 * writes one loop iteration later and switches EPOLLOUT on and off for
 * every write.)  The sockets, their events, their queues and their
 * closing are side.c's; the relay drives them while it relays, and
 * reports to the session what ends it.
 *
 * TLS sides are the same: side_read is SSL_read records into the same
 * buffers until the read is full (several records per wakeup, where
 * libevent's bufferevent_openssl takes one), and side_flush gathers the
 * queue into 16 KiB records (where the bufferevent makes a record, and a
 * write(2), of every chunk, and arms EPOLLOUT around each).  Their
 * handshake and their closing stay with the bufferevent; so do an HTTP/2
 * stream's ends (a bufferevent pair, read through side_read too).
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
 * A TLS read is also bounded in records (side.c: SIDE_TLS_READS), so that
 * a peer sending tiny records gets no more decryptions per wakeup than
 * that, and in the records that are not application data it processes:
 * one per read (a KeyUpdate costs a key derivation and maybe an answer).
 *
 * Where the rest waits: a socket that still holds bytes stays readable,
 * and epoll (level-triggered) reports it again at the next poll, after
 * whatever became ready meanwhile.  Bytes already taken into user space
 * -- records inside OpenSSL (side_buffered), an HTTP/2 stream's bytes in
 * its bufferevent's input, frames pipelined behind the request -- would
 * wake nobody (libevent 2.1 calls a read callback again only when more
 * arrive): that side goes on the worker's run queue, which runs once per
 * loop iteration, after the poll.  So does
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

/* What the run queue comes back for (relay.runq). */
#define RELAY_RUN_CLIENT 1u	/* read the client again */
#define RELAY_RUN_BACKEND 2u	/* read the backend again */
#define RELAY_RUN_RESUME 4u	/* resume a side paused for backpressure */

struct relay {
	struct gateway *gw;
	struct side *client, *backend;	/* the session's */
	const struct limits *limits;
	relay_event_fn fn;
	void *arg;
	bool close_received;	/* the client's close frame came */
	bool close_sent;	/* our close is queued: the client is read
				 * only for its own */
	/* Gateway shutdown (relay_shutdown): the client is no longer read;
	 * the backend gets what the client sent, then its write side is
	 * shut (backend_shut), and what it still sends is relayed. */
	bool shutting_down;
	bool backend_shut;
	bool client_paused;	/* client reads stopped: backpressure */
	bool backend_paused;	/* backend reads stopped: backpressure */
	bool client_hup, backend_hup;	/* sent FIN while paused */
	bool client_dense;	/* its last wakeup spent the frame budget:
				 * read it in small steps */
	/* On the worker's run queue: RELAY_RUN_* flags, 0 when not
	 * queued. */
	uint8_t runq;
	bool runq_batch;	/* in the batch being run */
	struct relay *runq_prev, *runq_next;
	/* An incomplete frame header left at the end of the last read. */
	uint8_t carry_len;
	uint8_t carry[FRAME_MAX_HEADER];
	uint64_t bytes_up;	/* client -> backend payload */
	uint64_t bytes_down;	/* backend -> client payload */
	/* The route's counters in this worker (metrics.h), or NULL:
	 * bytes and messages as they pass, one plain add per read. */
	struct metrics_route *mr;
	struct timeval active;	/* last data either way (monotonic) */
	struct timeval heard;	/* last bytes from the client, pongs too */
	/* send_as = text: backend bytes go as text messages, cut on
	 * character boundaries; tpend holds the start of a character whose
	 * other bytes have not arrived (utf8_split.h). */
	bool text;
	bool text_failed;	/* invalid UTF-8 reported: nothing more */
	uint8_t tpend_len;
	uint8_t tpend[3];
	struct recording *rec;	/* the session's (record = DIR), or NULL */
	struct ws_reader rx;
};

static void
relay_report(struct relay *r, enum relay_event ev, uint16_t code,
    const char *why)
{
	r->fn(r->arg, ev, code, why);
}

/* The client still belongs to the relay: not closing, not gone. */
static bool
relay_client_ours(const struct relay *r)
{
	return r->client->bev != NULL && !r->client->closing;
}

/* Both ways are relayed (the session is OPEN): no close sent yet. */
static bool
relay_open(const struct relay *r)
{
	return !r->close_sent && relay_client_ours(r);
}

static size_t
out_len(const struct side *sd)
{
	return evbuffer_get_length(sd->out);
}

/* How many more bytes may be queued towards sd. */
static size_t
room(const struct relay *r, const struct side *sd)
{
	size_t max = (size_t)r->limits->max_buffer;
	size_t queued = out_len(sd);

	return queued < max ? max - queued : 0;
}

static void
relay_touch(struct relay *r)
{
	monotime_now(&r->active);
}

/* ---- the run queue: relays to come back to after the next poll ---- */

static void
relay_runq_unlink(struct relay *r)
{
	struct gateway *gw = r->gw;
	struct relay **head = r->runq_batch ? &gw->runq_batch : &gw->runq;

	if (r->runq_prev != NULL)
		r->runq_prev->runq_next = r->runq_next;
	else
		*head = r->runq_next;
	if (r->runq_next != NULL)
		r->runq_next->runq_prev = r->runq_prev;
	r->runq_prev = r->runq_next = NULL;
	r->runq_batch = false;
	r->runq = 0;
}

/* Come back to r for what (RELAY_RUN_*) in the next loop iteration. */
static void
relay_later(struct relay *r, unsigned what)
{
	struct gateway *gw = r->gw;

	if (r->runq == 0) {
		/* A zero timeout: the loop polls before it runs timers. */
		static const struct timeval next = { 0, 0 };

		r->runq_prev = NULL;
		r->runq_next = gw->runq;
		if (gw->runq != NULL)
			gw->runq->runq_prev = r;
		gw->runq = r;
		if (!evtimer_pending(gw->runq_ev, NULL))
			evtimer_add(gw->runq_ev, &next);
	}
	r->runq |= (uint8_t)what;
}

/* The budget is spent and the side may have more: see the budget's
 * comment for where the rest waits. */
static void
relay_yield(struct relay *r, bool client)
{
	if (side_buffered(client ? r->client : r->backend))
		relay_later(r, client ? RELAY_RUN_CLIENT : RELAY_RUN_BACKEND);
}

static void relay_client_pull(struct relay *r);
static void relay_backend_pull(struct relay *r, bool all);
static void relay_resume(struct relay *r);

/*
 * Do what r was queued for.  While open a pull never ends the session
 * (the backend is still there, or its closing holds it), so the client's
 * read, which may end a closing session, comes last.
 */
static void
relay_run(struct relay *r, unsigned what)
{
	if (what & RELAY_RUN_RESUME)
		relay_resume(r);
	if ((what & RELAY_RUN_BACKEND) && relay_open(r) &&
	    r->backend->bev != NULL && !r->backend_paused &&
	    !r->backend->closing)
		relay_backend_pull(r, false);
	/* (Until its 1001, a shutdown reads the client no more.) */
	if ((what & RELAY_RUN_CLIENT) && relay_client_ours(r) &&
	    !r->client_paused && (r->close_sent || !r->shutting_down))
		relay_client_pull(r);
}

static void
relay_runq_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct relay *r;

	(void)fd;
	(void)what;
	/* Run what was queued before this iteration; what queues itself
	 * again meanwhile waits for the next one. */
	gw->runq_batch = gw->runq;
	gw->runq = NULL;
	for (r = gw->runq_batch; r != NULL; r = r->runq_next)
		r->runq_batch = true;
	while ((r = gw->runq_batch) != NULL) {
		unsigned todo = r->runq;

		relay_runq_unlink(r);
		relay_run(r, todo);
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
 * Write what is queued for one side now (side_flush).  Returns -1 on a
 * broken connection (reported from the event loop).  A side paused for
 * this queue resumes once the queue is down to the low watermark: from
 * the run queue, after the next poll.
 */
static int
relay_flush(struct relay *r, struct side *sd)
{
	int rc = side_flush(sd);

	if (rc > 0 && (r->client_paused || r->backend_paused) &&
	    out_len(sd) <= r->limits->max_buffer / 2)
		relay_later(r, RELAY_RUN_RESUME);
	return rc < 0 ? -1 : 0;
}

static void
relay_pause(struct relay *r, bool client)
{
	if (client)
		r->client_paused = true;
	else
		r->backend_paused = true;
	side_read_enable(client ? r->client : r->backend, false);
	relay_report(r, RELAY_PAUSED, 0, NULL);
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
relay_check_paused(struct relay *r)
{
	for (int i = 0; i < 2; i++) {
		bool client = i == 0;
		struct side *sd = client ? r->client : r->backend;
		bool paused = client ? r->client_paused : r->backend_paused;
		bool *hup = client ? &r->client_hup : &r->backend_hup;
		struct pollfd p;

		if (!paused || sd->bev == NULL)
			continue;
		p.fd = bufferevent_getfd(sd->bev);
		p.events = POLLRDHUP;
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP)) {
			/* Reset: whatever it sent is gone anyway. */
			if (client)
				relay_report(r, RELAY_CLIENT_GONE, 0,
				    "client connection reset");
			else
				relay_report(r, RELAY_BACKEND_ERROR, 0,
				    "backend connection reset");
			return true;
		}
		/* FIN: its last bytes are still owed to the other side. */
		if ((p.revents & POLLRDHUP) && !*hup) {
			*hup = true;
			relay_report(r, client ? RELAY_CLIENT_FINISHING :
			    RELAY_BACKEND_FINISHING, 0, NULL);
		}
	}
	return false;
}

bool
relay_paused(const struct relay *r)
{
	return r->client_paused || r->backend_paused;
}

unsigned
relay_hup(const struct relay *r)
{
	return (r->client_hup ? RELAY_HUP_CLIENT : 0) |
	    (r->backend_hup ? RELAY_HUP_BACKEND : 0);
}

const struct timeval *
relay_active(const struct relay *r)
{
	return &r->active;
}

void
relay_count_into(struct relay *r, struct metrics_route *mr)
{
	r->mr = mr;
}

void
relay_heard(const struct relay *r, struct timeval *out)
{
	/* A client not read for backpressure cannot be heard: its pong
	 * waits in the socket.  Count it as heard now. */
	if (r->client_paused)
		monotime_now(out);
	else
		*out = r->heard;
}

void
relay_set_recording(struct relay *r, struct recording *rec)
{
	r->rec = rec;
}

void
relay_send_ping(struct relay *r)
{
	uint8_t hdr[FRAME_MAX_HEADER];
	size_t n;

	if (!relay_open(r))
		return;
	n = frame_write_header(hdr, true, WS_OP_PING, 0);
	evbuffer_add(side_out(r->client), hdr, n);
	relay_flush(r, r->client);
}

void
relay_bytes(const struct relay *r, uint64_t *up, uint64_t *down)
{
	*up = r->bytes_up;
	*down = r->bytes_down;
}

static void
relay_send_pong(struct relay *r)
{
	uint8_t hdr[FRAME_MAX_HEADER];
	size_t n = frame_write_header(hdr, true, WS_OP_PONG, r->rx.ctl_len);
	struct evbuffer *out = side_out(r->client);

	evbuffer_add(out, hdr, n);
	evbuffer_add(out, r->rx.ctl, r->rx.ctl_len);
}

/*
 * Send client payload towards the backend.  With nothing queued before it
 * on a plain socket it is written at once, from the read buffer: copying
 * it into the queue first (evbuffer_add) would cost a pass over every byte
 * for nothing.  What the socket does not take is queued (and written by
 * relay_flush, which also reports a broken connection).
 */
static void
relay_to_backend(struct relay *r, const uint8_t *buf, size_t len)
{
	struct side *sd = r->backend;
	struct evbuffer *out = side_out(sd);

	if (sd->writes && !sd->tls && evbuffer_get_length(out) == 0) {
		ssize_t n = write(bufferevent_getfd(sd->bev), buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	if (len > 0)
		evbuffer_add(out, buf, len);
}

/*
 * Act on len bytes from the client (already behind any carried header
 * bytes), adding the frames that ended to *frames.  Returns false if the
 * session left the relay.
 */
static bool
relay_client_bytes(struct relay *r, uint8_t *buf, size_t len,
    size_t *frames, size_t *pongs)
{
	struct ws_decode d;

	for (;;) {
		ws_reader_decode(&r->rx, buf, len, &d);
		*frames += d.frames;
		if (d.data > 0 && relay_open(r) && r->backend->bev != NULL) {
			relay_to_backend(r, buf, d.data);
			r->bytes_up += d.data;
			if (r->mr != NULL)
				metrics_add(&r->mr->bytes[METRICS_UP], d.data);
			if (r->rec != NULL)
				recorder_data(r->rec, RECORD_C2B, buf,
				    d.data);
		}
		if (d.messages > 0 && r->mr != NULL)
			metrics_add(&r->mr->messages[METRICS_UP], d.messages);
		buf += d.consumed;
		len -= d.consumed;
		switch (d.ev) {
		case WS_EV_NONE:
		case WS_EV_MESSAGE_END:
			/* Only an incomplete header can be left over. */
			memcpy(r->carry, buf, len);
			r->carry_len = (uint8_t)len;
			return true;
		case WS_EV_ERROR:
			relay_report(r, RELAY_PROTOCOL_ERROR, d.close_code,
			    r->rx.why);
			return false;
		case WS_EV_PING:
			if (relay_open(r))
				relay_send_pong(r);
			break;
		case WS_EV_PONG:
			(*pongs)++;
			break;
		case WS_EV_CLOSE:
			r->close_received = true;
			relay_report(r, RELAY_CLIENT_CLOSED,
			    r->rx.peer_close_code, NULL);
			return false;
		}
	}
}

/* Read and act on what the client sent, as far as the backend can take
 * it. */
static void
relay_client_pull(struct relay *r)
{
	struct gateway *gw = r->gw;
	uint8_t *scratch = gw->scratch;
	size_t bytes = 0, frames = 0, pongs = 0;
	uint64_t up0 = r->bytes_up;
	unsigned reads = 0;
	bool dense = r->client_dense;

	for (;;) {
		size_t cap = gw->scratch_size - r->carry_len;
		ssize_t n, nread;

		if (dense && cap > RELAY_DENSE_READ)
			cap = RELAY_DENSE_READ;

		if (relay_open(r) && r->backend->bev != NULL) {
			size_t rm = room(r, r->backend);

			if (rm == 0) {
				relay_pause(r, true);
				return;
			}
			/* Payload never exceeds what was read. */
			if (rm < cap)
				cap = rm;
		}
		memcpy(scratch, r->carry, r->carry_len);
		/* (Until its 1001, a shutdown reads only what was taken
		 * from the socket before.) */
		nread = side_read(r->client, scratch + r->carry_len, cap,
		    !r->shutting_down || r->close_sent);
		n = nread;
		if (n == 0) {
			relay_report(r, RELAY_CLIENT_GONE, 0, "client closed "
			    "TCP without a close frame");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			relay_report(r, RELAY_CLIENT_GONE, 0, "client "
			    "connection error");
			return;
		}
		n += r->carry_len;
		r->carry_len = 0;
		if (!relay_client_bytes(r, scratch, (size_t)n, &frames,
		    &pongs))
			return;
		relay_flush(r, r->backend);
		/* Read less than asked: drained (TLS: unless records are
		 * left inside OpenSSL).  Or the pongs of a client that pings
		 * but does not read have filled its queue: read no more now
		 * (it is paused below). */
		if ((size_t)nread < cap) {
			if (r->client->ssl != NULL)
				relay_yield(r, true);
			break;
		}
		if (room(r, r->client) == 0)
			break;
		bytes += (size_t)nread;
		if (++reads >= RELAY_BUDGET_READS ||
		    bytes >= RELAY_BUDGET_BYTES ||
		    frames >= RELAY_BUDGET_FRAMES || dense) {
			relay_yield(r, true);
			break;
		}
	}
	/* Dense stays dense while a capped read is still half the budget's
	 * frames, so that a flood does not get a full read every other
	 * wakeup. */
	r->client_dense = frames >= (dense ? RELAY_BUDGET_FRAMES / 2 :
	    RELAY_BUDGET_FRAMES);
	/* Answers to our pings prove the client is there (heard), but are
	 * not activity: idle_timeout still ends a session nobody uses. */
	monotime_now(&r->heard);
	if (pongs == 0 || frames != pongs || r->bytes_up != up0)
		r->active = r->heard;
	relay_flush(r, r->client);	/* pongs */
	/* A client that pings but never reads would make pongs pile up:
	 * stop reading it until it reads. */
	if (room(r, r->client) == 0)
		relay_pause(r, true);
}

static void relay_backend_frame(struct relay *r, bool all);
static void relay_shutdown_continue(struct relay *r);

/* Frame what the backend sent as binary messages, as far as the client
 * can take them (all of it when the backend is gone), and send them. */
static void
relay_backend_pull(struct relay *r, bool all)
{
	relay_backend_frame(r, all);
	if (r->client->bev != NULL && relay_open(r))
		relay_flush(r, r->client);
}

/* The backend closed: all it said is relayed (or queued). */
static void
relay_backend_eof(struct relay *r)
{
	if (r->text_failed)
		return;		/* reported already */
	if (r->tpend_len > 0) {
		r->text_failed = true;
		relay_report(r, RELAY_BACKEND_ERROR, WS_CLOSE_INVALID_DATA,
		    "backend's stream ended inside a UTF-8 character "
		    "(send_as = text)");
		return;
	}
	if (r->backend_shut)
		/* Its answer to our shutdown. */
		relay_report(r, RELAY_BACKEND_DONE, 0, "backend closed the "
		    "connection");
	else
		relay_report(r, RELAY_BACKEND_CLOSED, 0, "backend closed the "
		    "connection");
}

/*
 * send_as = text: of the n bytes at p (pending bytes of the last read
 * first), *payload gets those that end on a character boundary; the rest
 * (0-3) wait in tpend.  false when they cannot be UTF-8: *payload is then
 * the valid prefix, to deliver before the close.
 */
static bool
relay_text_cut(struct relay *r, const uint8_t *p, size_t n,
    size_t *payload)
{
	struct utf8_split sp;
	const char *why;
	int ready = utf8_split_prefix(p, n, &why);
	size_t ok = 0;

	if (ready >= 0) {
		*payload = (size_t)ready;
		r->tpend_len = (uint8_t)(n - (size_t)ready);
		memcpy(r->tpend, p + ready, r->tpend_len);
		return true;
	}
	/* Rare: find how far the bytes were good, one at a time. */
	utf8_split_init(&sp);
	for (size_t i = 0; i < n; i++) {
		int rc = utf8_split_feed(&sp, p + i, 1, &why);

		if (rc < 0)
			break;
		ok = (size_t)rc;
	}
	*payload = ok;
	r->tpend_len = 0;
	return false;
}

/* Put the frame header in front of payload bytes at v's base + 4, and
 * commit them (nothing when there are none). */
static void
relay_commit_frame(struct evbuffer *out, struct evbuffer_iovec *v,
    size_t payload, uint8_t opcode)
{
	uint8_t *p = v->iov_base;

	if (payload == 0) {
		evbuffer_commit_space(out, NULL, 0);
		return;
	}
	/* Short payload, 2-byte header: close the gap. */
	if (payload < 126)
		memmove(p + 2, p + 4, payload);
	v->iov_len = frame_write_header(p, true, opcode, payload) + payload;
	evbuffer_commit_space(out, v, 1);
}

static void
relay_backend_frame(struct relay *r, bool all)
{
	struct evbuffer *out = side_out(r->client);
	size_t bytes = 0;
	unsigned reads = 0;

	for (;;) {
		struct evbuffer_iovec v;
		size_t cap = RELAY_FRAME_MAX;
		size_t pend = r->tpend_len;	/* 0 unless text */
		size_t payload;
		ssize_t n;
		uint8_t *p;

		if (r->text_failed)
			return;
		if (!all) {
			size_t rm = room(r, r->client);

			/* Text: room for a whole character after the
			 * pending bytes (utf8_split.h). */
			if (rm == 0 || (r->text && rm < 8)) {
				relay_pause(r, false);
				return;
			}
			if (rm < cap)
				cap = rm;
		}
		/* One contiguous extent: header room, then the payload. */
		if (evbuffer_reserve_space(out, (ev_ssize_t)cap + 4, &v, 1) !=
		    1) {
			relay_report(r, RELAY_BACKEND_ERROR, 0, "out of "
			    "memory");
			return;
		}
		p = v.iov_base;
		memcpy(p + 4, r->tpend, pend);
		n = side_read(r->backend, p + 4 + pend, cap - pend, !all);
		if (n <= 0) {
			int err = errno;

			evbuffer_commit_space(out, NULL, 0);
			if (all)
				return;
			if (n == 0) {
				relay_backend_eof(r);
			} else if (err != EAGAIN && err != EWOULDBLOCK &&
			    err != EINTR) {
				relay_report(r, RELAY_BACKEND_ERROR, 0,
				    "backend connection error");
			}
			return;
		}
		payload = (size_t)n;
		if (r->text && !relay_text_cut(r, p + 4, pend + (size_t)n,
		    &payload)) {
			if (r->rec != NULL)
				recorder_data(r->rec, RECORD_B2C, p + 4,
				    payload);
			relay_commit_frame(out, &v, payload, WS_OP_TEXT);
			r->text_failed = true;
			relay_report(r, RELAY_BACKEND_ERROR,
			    WS_CLOSE_INVALID_DATA, "backend sent bytes that "
			    "are not UTF-8 (send_as = text)");
			return;
		}
		if (r->rec != NULL)
			recorder_data(r->rec, RECORD_B2C, p + 4, payload);
		relay_commit_frame(out, &v, payload, r->text ? WS_OP_TEXT :
		    WS_OP_BINARY);
		r->bytes_down += (uint64_t)n;
		if (r->mr != NULL) {
			metrics_add(&r->mr->bytes[METRICS_DOWN], (uint64_t)n);
			metrics_add(&r->mr->messages[METRICS_DOWN], 1);
		}
		/* Backend data is activity too (idle_timeout): stamp it even
		 * when this short read ends the loop. */
		relay_touch(r);
		if ((size_t)n < cap - pend) {
			if (r->backend->ssl != NULL)
				relay_yield(r, false);
			return;
		}
		/* The budget (all: the backend is gone, and only what it
		 * sent before, already in its input, is left). */
		bytes += (size_t)n;
		if (!all && (++reads >= RELAY_BUDGET_READS ||
		    bytes >= RELAY_BUDGET_BYTES)) {
			relay_yield(r, false);
			return;
		}
	}
}

/* What the client side reports while the relay drives it. */
static void
relay_client_cb(void *arg, enum side_event ev)
{
	struct relay *r = arg;

	switch (ev) {
	case SIDE_READABLE:
		/* (Until its 1001, a shutdown reads the client no more.) */
		if (!r->shutting_down || !relay_open(r))
			relay_client_pull(r);
		return;
	case SIDE_WRITTEN:
		relay_resume(r);
		return;
	case SIDE_EOF:
		relay_report(r, RELAY_CLIENT_GONE, 0, "client closed TCP "
		    "without a close frame");
		return;
	case SIDE_ERROR:
		relay_report(r, RELAY_CLIENT_GONE, 0, "client connection "
		    "error");
		return;
	case SIDE_CONNECTED:
	case SIDE_CLOSED:
		return;
	}
}

static void
relay_backend_cb(void *arg, enum side_event ev)
{
	struct relay *r = arg;

	switch (ev) {
	case SIDE_READABLE:
		if (relay_open(r))
			relay_backend_pull(r, false);
		return;
	case SIDE_WRITTEN:
		relay_resume(r);
		return;
	case SIDE_EOF:
		/* Deliver what the backend said before it hung up. */
		if (relay_open(r))
			relay_backend_pull(r, true);
		relay_backend_eof(r);	/* (not after invalid text) */
		return;
	case SIDE_ERROR:
		relay_report(r, RELAY_BACKEND_ERROR, 0, "backend connection "
		    "error");
		return;
	case SIDE_CONNECTED:
	case SIDE_CLOSED:
		return;
	}
}

/* Resume whichever side was paused for a peer that has drained to the low
 * watermark (half of max_buffer), so reading restarts in big steps. */
static void
relay_resume(struct relay *r)
{
	size_t low = (size_t)r->limits->max_buffer / 2;

	if (!relay_open(r))
		return;
	if (r->shutting_down) {
		relay_shutdown_continue(r);
		if (!relay_open(r))
			return;
	} else if (r->client_paused && room(r, r->client) > 0 &&
	    (r->backend->bev == NULL || out_len(r->backend) <= low)) {
		r->client_paused = false;
		side_read_enable(r->client, true);
		relay_client_pull(r);
		if (!relay_open(r))
			return;
	}
	if (r->backend_paused && r->backend->bev != NULL &&
	    out_len(r->client) <= low) {
		r->backend_paused = false;
		side_read_enable(r->backend, true);
		relay_backend_pull(r, false);
	}
}

struct relay *
relay_new(struct gateway *gw, struct side *client, struct side *backend,
    const struct limits *limits, relay_event_fn fn, void *arg)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->gw = gw;
	r->client = client;
	r->backend = backend;
	r->limits = limits;
	r->fn = fn;
	r->arg = arg;
	ws_reader_init(&r->rx, limits->max_message_size);
	r->rx.reject_text = limits->text_frames == TEXT_FRAMES_REJECT;
	r->text = limits->send_as == SEND_AS_TEXT;
	relay_touch(r);
	r->heard = r->active;
	return r;
}

void
relay_start(struct relay *r)
{
	size_t low = (size_t)r->limits->max_buffer / 2;
	struct side *sides[2] = { r->client, r->backend };
	int failed = 0;

	side_drive(r->client, relay_client_cb, r);
	side_drive(r->backend, relay_backend_cb, r);
	for (int i = 0; i < 2; i++) {
		struct bufferevent *bev = sides[i]->bev;

		/*
		 * No read watermark where a bufferevent reads TLS (a closing
		 * side, side.c): libevent 2.1 stops mid-record at one and
		 * strands the rest inside OpenSSL until the socket is
		 * readable again, which may be never.  room() pauses reads
		 * explicitly.
		 */
		bufferevent_setwatermark(bev, EV_READ, 0,
		    sides[i]->tls ? 0 : RELAY_SCRATCH_SIZE);
		bufferevent_setwatermark(bev, EV_WRITE, low, 0);
		bufferevent_set_max_single_write(bev, RELAY_MAX_WRITE);
	}
	for (int i = 0; i < 2; i++)
		failed |= side_own_io(sides[i]);
	if (failed != 0) {
		relay_report(r, RELAY_PROTOCOL_ERROR, WS_CLOSE_INTERNAL,
		    "out of memory");
		return;
	}
	relay_flush(r, r->client);	/* the 101 */
	/* Frames pipelined behind the request are already buffered (or
	 * decrypted, or inside OpenSSL); with none, a read now would only
	 * answer EAGAIN. */
	if (side_buffered(r->client))
		relay_client_pull(r);
}

void
relay_send_close(struct relay *r, uint16_t code, const char *reason)
{
	uint8_t frame[FRAME_MAX_HEADER + FRAME_MAX_CONTROL];
	size_t n;

	if (code == WS_CLOSE_NO_STATUS) {
		/* RFC 6455 7.1.5: no code received, none to echo. */
		n = frame_write_header(frame, true, WS_OP_CLOSE, 0);
	} else {
		n = frame_build_close(frame, code, reason);
	}
	evbuffer_add(side_out(r->client), frame, n);
	/* Answering the client's close, ours is the last frame: the
	 * session closes the socket next (RFC 6455 7.1.1), and the FIN can
	 * leave with the frame. */
	if (r->close_received)
		side_flush_last(r->client);
	side_stop_writing(r->client);
	r->close_sent = true;
}

/* ---- shutdown: deliver what the client sent, then the backend's rest ---- */

void
relay_shutdown(struct relay *r)
{
	r->shutting_down = true;
	/* Nothing more is read from the client; what was taken from its
	 * socket before (an HTTP/2 stream's bytes, plaintext decrypted
	 * before the relay started) is still delivered (see below). */
	side_read_enable(r->client, false);
	if (r->backend->tls)
		/* Called back when its queue is empty, not at half. */
		bufferevent_setwatermark(r->backend->bev, EV_WRITE, 0, 0);
	relay_shutdown_continue(r);
}

/*
 * Deliver what the client sent and, once the backend has it all, shut the
 * backend's write side: EOF tells the backend the client is done; its
 * answer to what it has read still comes back, and then its own EOF.
 * Called again as the backend's queue drains (from relay_resume), until
 * then.
 */
static void
relay_shutdown_continue(struct relay *r)
{
	struct evbuffer *in;

	if (!relay_open(r) || r->backend->bev == NULL || r->backend_shut)
		return;
	in = bufferevent_get_input(r->client->bev);
	/* side_read reads only that now, as far as the backend's queue has
	 * room. */
	if (evbuffer_get_length(in) > 0) {
		relay_client_pull(r);
		if (!relay_open(r) || evbuffer_get_length(in) > 0)
			return;
	}
	relay_flush(r, r->backend);
	if (out_len(r->backend) == 0) {
		r->backend_shut = true;
		side_shut_write(r->backend);
	}
	/* Otherwise the backend's write event brings us back through
	 * relay_resume. */
}

void
relay_shutdown_end(struct relay *r)
{
	if (r->client->bev == NULL)
		return;
	/* The close frame is queued: read the client again, for its own
	 * close (what comes before it is discarded, as in CLOSE_SENT).
	 * What is buffered already wakes nobody. */
	r->client_paused = false;
	side_read_enable(r->client, true);
	if (!side_buffered(r->client))
		return;
	if (r->client->rev != NULL)
		relay_later(r, RELAY_RUN_CLIENT);
	else
		bufferevent_trigger(r->client->bev, EV_READ, 0);
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	if (r->runq != 0)
		relay_runq_unlink(r);
	free(r);
}
