/* side.c -- one end of a session (the client or the backend): its connection, who is told when it can be read or written, and how it closes */
#include "side.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "tls.h"

/*
 * Reading a closing side to EOF.  Plain sockets are read with read(2)
 * into the loop's scratch buffer (a bufferevent adds an FIONREAD ioctl to
 * every read); TLS ones through their bufferevent.  A peer that keeps
 * sending gets a bounded number of reads per wakeup: two, as many bytes as
 * the relay's work budget (relay.c), so that discarding is no cheaper
 * way to hold the worker than relaying.
 */
#define SIDE_DRAIN_READS 2

/*
 * A TLS side's reads and writes (side_read, side_flush).  One side_read
 * makes at most SIDE_TLS_READS SSL_read calls: each returns one record's
 * plaintext at most, and a peer sending tiny records must not make a read
 * of RELAY_SCRATCH_SIZE bytes cost thousands of decryptions; the relay's
 * budget (two reads a wakeup) then bounds the records as it bounds the
 * bytes.  (A call also processes at most one record that is not
 * application data: tls_io_begin.)  Writes gather the queue into records
 * of SIDE_TLS_RECORD bytes, TLS's largest (RFC 8446 5.1), so many small
 * messages cost one record and one write(2); one flush writes at most
 * SIDE_TLS_WRITES of them, as many bytes as the relay's read budget.
 */
#define SIDE_TLS_READS 32
#define SIDE_TLS_RECORD 16384u
#define SIDE_TLS_WRITES 8

static void
side_report(struct side *sd, enum side_event ev)
{
	if (sd->fn != NULL)
		sd->fn(sd->arg, ev);
}

/* ---- the bufferevent's callbacks while driven ---- */

static void
side_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	side_report(arg, SIDE_READABLE);
}

static void
side_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	side_report(arg, SIDE_WRITTEN);
}

static void
side_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct side *sd = arg;

	(void)bev;
	sd->what = what;
	if (what & BEV_EVENT_CONNECTED)
		side_report(sd, SIDE_CONNECTED);
	else
		side_report(sd, (what & BEV_EVENT_EOF) ? SIDE_EOF : SIDE_ERROR);
}

void
side_attach(struct side *sd, struct bufferevent *bev, bool tls)
{
	sd->bev = bev;
	sd->out = bufferevent_get_output(bev);
	sd->tls = tls;
}

void
side_drive(struct side *sd, side_fn fn, void *arg)
{
	sd->fn = fn;
	sd->arg = arg;
	bufferevent_setcb(sd->bev, side_read_cb, side_write_cb, side_event_cb,
	    sd);
}

void
side_hold(struct side *sd)
{
	sd->fn = NULL;
	sd->arg = NULL;
	bufferevent_disable(sd->bev, EV_READ);
	bufferevent_setcb(sd->bev, NULL, NULL, NULL, sd);
}

/* ---- reading and writing a socket with our own events ---- */

static void side_drain_read(struct side *sd);
static struct event *side_wev(struct side *sd);

/* The read event is wanted while reading is on, except while SSL_read
 * waits for the socket to be writable (it would only say so again), and
 * while SSL_write waits for it to be readable. */
static void
side_rev_update(struct side *sd)
{
	if (sd->rev == NULL)
		return;
	if ((!sd->read_off && !sd->tls_rblock) || sd->tls_wblock)
		event_add(sd->rev, NULL);
	else
		event_del(sd->rev);
}

/* The write event is wanted while something waits for the socket to be
 * writable: queued bytes (unless SSL_write waits for it to be readable),
 * or SSL_read.  0, or -1 without memory. */
static int
side_wev_update(struct side *sd)
{
	struct event *wev;

	if ((sd->writes && evbuffer_get_length(sd->out) > 0 &&
	    !sd->tls_wblock) || sd->tls_rblock) {
		if ((wev = side_wev(sd)) == NULL)
			return -1;
		event_add(wev, NULL);
	} else if (sd->wev != NULL) {
		event_del(sd->wev);
	}
	return 0;
}

/* One read event serves the driver and, once closing, the draining: the
 * same event goes on, since making another would cost an epoll_ctl for a
 * change that is none. */
static void
side_rev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *sd = arg;

	(void)fd;
	(void)what;
	if (sd->draining) {
		side_drain_read(sd);
		return;
	}
	if (sd->tls_wblock) {
		/* What SSL_write waited for: write again.  If reading is
		 * on, the socket is still readable next time round. */
		sd->tls_wblock = false;
		side_rev_update(sd);
		side_report(sd, side_flush(sd) < 0 ? SIDE_ERROR :
		    SIDE_WRITTEN);
		return;
	}
	side_report(sd, SIDE_READABLE);
}

static void
side_wev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *sd = arg;

	(void)fd;
	(void)what;
	if (sd->tls_rblock) {
		/* What SSL_read waited for: read again (the queue, if any,
		 * keeps the event for the next time round). */
		sd->tls_rblock = false;
		side_rev_update(sd);
		side_wev_update(sd);
		if (!sd->read_off)
			side_report(sd, SIDE_READABLE);
		return;
	}
	if (!sd->writes) {
		event_del(sd->wev);
		return;
	}
	side_report(sd, side_flush(sd) < 0 ? SIDE_ERROR : SIDE_WRITTEN);
}

static struct event *
side_new_event(struct side *sd, short what, event_callback_fn cb)
{
	return event_new(bufferevent_get_base(sd->bev),
	    bufferevent_getfd(sd->bev), what | EV_PERSIST, cb, sd);
}

/* Read with rev (made if need be).  0, or -1 without memory. */
static int
side_read_watch(struct side *sd)
{
	if (sd->rev == NULL)
		sd->rev = side_new_event(sd, EV_READ, side_rev_cb);
	if (sd->rev == NULL)
		return -1;
	event_add(sd->rev, NULL);
	return 0;
}

int
side_own_io(struct side *sd)
{
	if (sd->tls) {
		if ((sd->ssl = tls_io_begin(sd->bev)) == NULL) {
			/* An HTTP/2 stream's end of a pair. */
			bufferevent_enable(sd->bev, EV_READ | EV_WRITE);
			return 0;
		}
		/* The 101 is still in the bufferevent's output, to be
		 * written from there (a write libevent began and must repeat
		 * starts at its head, as ours do); side_out makes our own
		 * queue when it is empty. */
	}
	bufferevent_disable(sd->bev, EV_READ | EV_WRITE);
	sd->writes = true;
	sd->read_off = false;
	return side_read_watch(sd);
}

void
side_read_enable(struct side *sd, bool on)
{
	sd->read_off = !on;
	if (sd->rev != NULL) {
		side_rev_update(sd);
	} else if (on) {
		/* Not ours (yet): its bufferevent reads. */
		bufferevent_enable(sd->bev, EV_READ);
	} else {
		bufferevent_disable(sd->bev, EV_READ);
	}
}

/* SSL_read records until cap is full, the socket has nothing, or the
 * record budget is spent (see side_read). */
static ssize_t
side_tls_read(struct side *sd, uint8_t *buf, size_t cap)
{
	enum tls_io st = (enum tls_io)sd->tls_end;
	size_t got = 0;

	for (int i = 0; st == TLS_IO_DONE && i < SIDE_TLS_READS && got < cap;
	    i++) {
		size_t n;

		st = tls_io_read(sd->ssl, buf + got, cap - got, &n);
		got += n;
		/* All that the last read(2) took is processed: stop rather
		 * than ask the socket again (an EAGAIN, and a read buffer
		 * kept while idle).  A short count says so to the relay,
		 * and epoll says whether more came. */
		if (st == TLS_IO_DONE && !tls_io_pending(sd->ssl))
			break;
	}
	switch (st) {
	case TLS_IO_WANT_WRITE:
		/* Wait for the write event, not the read one.  (An alert
		 * to send: OpenSSL 3.0 sends a KeyUpdate's answer with the
		 * next SSL_write, and TLS 1.2 renegotiation is refused.) */
		sd->tls_rblock = true;
		side_rev_update(sd);
		if (side_wev_update(sd) != 0) {
			sd->tls_end = TLS_IO_ERROR;
			st = TLS_IO_ERROR;
			break;
		}
		break;
	case TLS_IO_EOF:
	case TLS_IO_ERROR:
		if (got > 0) {
			/* Deliver the bytes; the end is next (side_buffered
			 * tells the driver to come back). */
			sd->tls_end = (uint8_t)st;
			return (ssize_t)got;
		}
		sd->tls_end = (uint8_t)st;
		if (st == TLS_IO_EOF)
			return 0;
		errno = EPROTO;
		return -1;
	default:
		break;
	}
	if (got > 0)
		return (ssize_t)got;
	if (st == TLS_IO_ERROR) {
		errno = ENOMEM;
		return -1;
	}
	errno = EAGAIN;
	return -1;
}

ssize_t
side_read(struct side *sd, void *buf, size_t cap, bool socket)
{
	struct evbuffer *in = bufferevent_get_input(sd->bev);

	if (evbuffer_get_length(in) > 0)
		return evbuffer_remove(in, buf, cap);
	if (!socket || sd->rev == NULL) {
		errno = EAGAIN;
		return -1;
	}
	if (sd->ssl != NULL)
		return side_tls_read(sd, buf, cap);
	return read(bufferevent_getfd(sd->bev), buf, cap);
}

bool
side_buffered(const struct side *sd)
{
	if (evbuffer_get_length(bufferevent_get_input(sd->bev)) > 0)
		return true;
	return sd->ssl != NULL && (sd->tls_end != 0 ||
	    tls_io_pending(sd->ssl));
}

/* The write event, made on first need: most sessions never fill a
 * socket, and an idle session is smaller without it. */
static struct event *
side_wev(struct side *sd)
{
	if (sd->wev == NULL)
		sd->wev = side_new_event(sd, EV_WRITE, side_wev_cb);
	return sd->wev;
}

/* The connection is broken: report it from the event loop. */
static int
side_broken(struct side *sd)
{
	struct event *wev;

	if ((wev = side_wev(sd)) != NULL)
		event_active(wev, EV_WRITE, 1);
	return -1;
}

/* side_flush on TLS: whole records, gathered from the queue's small
 * chunks, at once; the write event only when the socket is full. */
static void
side_tls_unown(struct side *sd)
{
	if (sd->own_out != NULL && evbuffer_get_length(sd->own_out) == 0 &&
	    sd->tls_retry == 0) {
		/* An idle session is smaller without it (side_out). */
		evbuffer_free(sd->own_out);
		sd->own_out = NULL;
		sd->out = bufferevent_get_output(sd->bev);
	}
}

static int
side_tls_flush(struct side *sd)
{
	struct evbuffer *out = sd->out;
	size_t len;

	if (evbuffer_get_length(out) == 0) {
		side_tls_unown(sd);
		return 0;
	}
	if (sd->tls_wblock)
		return 1;	/* the read event retries it */
	for (int i = 0; i < SIDE_TLS_WRITES &&
	    (len = evbuffer_get_length(out)) > 0; i++) {
		/* Never less than a write to repeat: the queue only grew
		 * since, and its head is the same. */
		size_t n = len < SIDE_TLS_RECORD ? len : SIDE_TLS_RECORD;
		unsigned char *p = evbuffer_pullup(out, (ev_ssize_t)n);
		enum tls_io st;

		if (p == NULL)
			return side_broken(sd);
		st = tls_io_write(sd->ssl, p, n);
		if (st == TLS_IO_DONE) {
			evbuffer_drain(out, n);
			sd->tls_retry = 0;
			continue;
		}
		sd->tls_retry = n;
		if (st == TLS_IO_WANT_READ) {
			sd->tls_wblock = true;
			side_rev_update(sd);
		} else if (st != TLS_IO_WANT_WRITE) {
			return side_broken(sd);
		}
		break;
	}
	side_tls_unown(sd);
	return side_wev_update(sd) == 0 ? 1 : side_broken(sd);
}

int
side_flush(struct side *sd)
{
	struct event *wev;
	struct evbuffer *out = sd->out;
	int n;

	if (!sd->writes || sd->bev == NULL)
		return 0;	/* the bufferevent writes */
	if (sd->ssl != NULL)
		return side_tls_flush(sd);
	if (evbuffer_get_length(out) == 0)
		return 0;
	/* A socket bufferevent keeps its output's front frozen. */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write_atmost(out, bufferevent_getfd(sd->bev), -1);
	evbuffer_freeze(out, 1);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		if ((wev = side_wev(sd)) != NULL)
			event_active(wev, EV_WRITE, 1);
		return -1;
	}
	if (evbuffer_get_length(out) > 0) {
		if ((wev = side_wev(sd)) == NULL)
			return -1;
		event_add(wev, NULL);
	} else if (sd->wev != NULL) {
		event_del(sd->wev);
	}
	return 1;
}

struct evbuffer *
side_out(struct side *sd)
{
	/* Behind what is queued in the bufferevent's output, if anything
	 * (the 101 not yet written, or no memory for our own). */
	if (sd->ssl != NULL && sd->writes && sd->own_out == NULL &&
	    evbuffer_get_length(sd->out) == 0 &&
	    (sd->own_out = evbuffer_new()) != NULL)
		sd->out = sd->own_out;
	return sd->out;
}

int
side_flush_last(struct side *sd)
{
	struct evbuffer_iovec v[8];
	struct msghdr mh;
	struct evbuffer *out;
	ssize_t n;
	int nv;

	if (!sd->writes || sd->bev == NULL)
		return 0;
	if (sd->ssl != NULL)
		return side_flush(sd);	/* TLS: close_notify comes next */
	out = sd->out;
	nv = evbuffer_peek(out, -1, NULL, v, 8);
	if (nv <= 0 || nv > 8)
		return side_flush(sd);
	memset(&mh, 0, sizeof(mh));
	/* libevent: an evbuffer_iovec is laid out as a struct iovec. */
	mh.msg_iov = (struct iovec *)v;
	mh.msg_iovlen = (size_t)nv;
	n = sendmsg(bufferevent_getfd(sd->bev), &mh, MSG_MORE | MSG_NOSIGNAL);
	if (n > 0) {
		evbuffer_unfreeze(out, 1);
		evbuffer_drain(out, (size_t)n);
		evbuffer_freeze(out, 1);
	}
	/* What is left (or the error) goes the usual way, which pushes
	 * whatever MSG_MORE held back. */
	return evbuffer_get_length(out) > 0 ? side_flush(sd) : 1;
}

size_t
side_queued(const struct side *sd)
{
	return evbuffer_get_length(sd->out);
}

/* A TLS side's queue goes back to its bufferevent's output. */
static void
side_tls_unqueue(struct side *sd)
{
	struct evbuffer *bout = bufferevent_get_output(sd->bev);

	/* libevent repeats a blocked write with the output's first chunk,
	 * which must hold the bytes of ours. */
	if (sd->tls_retry > 0)
		evbuffer_pullup(sd->own_out, (ev_ssize_t)sd->tls_retry);
	evbuffer_add_buffer(bout, sd->own_out);
	evbuffer_free(sd->own_out);
	sd->own_out = NULL;
	sd->out = bout;
}

void
side_stop_writing(struct side *sd)
{
	if (!sd->writes)
		return;
	side_flush(sd);
	sd->writes = false;
	if (sd->wev != NULL && !sd->tls_rblock) {
		/* (SSL_read may still want it.) */
		event_free(sd->wev);
		sd->wev = NULL;
	}
	if (sd->own_out != NULL)
		side_tls_unqueue(sd);
	/* A write to repeat is libevent's now (its first chunk holds the
	 * bytes: evbuffer_pullup made it so); its SSL_write will learn
	 * for itself if it must wait for the socket to be readable. */
	sd->tls_retry = 0;
	if (sd->tls_wblock) {
		sd->tls_wblock = false;
		side_rev_update(sd);
	}
	/* An empty queue needs no write event: enabling it would only
	 * switch EPOLLOUT on to learn there is nothing to write. */
	if (side_queued(sd) > 0)
		bufferevent_enable(sd->bev, EV_WRITE);
}

static void
side_stop_reading(struct side *sd)
{
	if (sd->rev != NULL) {
		event_free(sd->rev);
		sd->rev = NULL;
	}
	if (sd->ssl != NULL) {
		/* (After side_stop_writing: no write event is needed.) */
		if (sd->wev != NULL) {
			event_free(sd->wev);
			sd->wev = NULL;
		}
		tls_io_end(sd->ssl);
		sd->ssl = NULL;
		sd->tls_rblock = false;
		sd->tls_end = 0;
	}
}

void
side_shut_write(struct side *sd)
{
	if (bufferevent_getfd(sd->bev) < 0) {
		/* No socket: an HTTP/2 stream's end of a pair (h2_stream.c),
		 * where this is EOF, which the stream sends as END_STREAM. */
		bufferevent_flush(sd->bev, EV_WRITE, BEV_FINISHED);
		return;
	}
	if (sd->tls)
		tls_close_notify(sd->bev);
	shutdown(bufferevent_getfd(sd->bev), SHUT_WR);
}

/* ---- closing: flush, shut, read to EOF ---- */

static void
side_closed(struct side *sd)
{
	side_report(sd, SIDE_CLOSED);
}

static void
side_drain_read(struct side *sd)
{
	evutil_socket_t fd = bufferevent_getfd(sd->bev);
	ssize_t n = 0;

	for (int i = 0; i < SIDE_DRAIN_READS; i++) {
		n = read(fd, sd->scratch, sd->scratch_size);
		if (n <= 0)
			break;
	}
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)))
		return;
	side_closed(sd);	/* EOF or error */
}

/* Start reading to EOF; -1 if the bufferevent must (TLS). */
static int
side_drain_watch(struct side *sd)
{
	if (sd->tls)
		return -1;
	sd->draining = true;
	if (side_read_watch(sd) != 0)
		return -1;
	bufferevent_disable(sd->bev, EV_READ);
	return 0;
}

/* The output is written: shut, and read to EOF if not yet. */
static void
side_flushed(struct side *sd)
{
	if (sd->shut)
		return;
	sd->shut = true;
	side_shut_write(sd);
	if (sd->read_now || side_drain_watch(sd) == 0)
		return;
	bufferevent_setwatermark(sd->bev, EV_READ, 0, 0);
	bufferevent_enable(sd->bev, EV_READ);
}

/* A closing TLS side: read through its bufferevent and discard. */
static void
side_discard_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
side_close_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		side_flushed(arg);
}

static void
side_close_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct side *sd = arg;

	(void)bev;
	sd->what = what;
	side_closed(sd);
}

void
side_close(struct side *sd, bool read_now, unsigned char *scratch,
    size_t scratch_size, side_fn fn, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(sd->bev);

	sd->closing = true;
	sd->read_now = read_now;
	sd->scratch = scratch;
	sd->scratch_size = scratch_size;
	sd->fn = fn;
	sd->arg = arg;
	side_stop_writing(sd);
	if (sd->ssl != NULL)
		side_stop_reading(sd);	/* its bufferevent reads from now */
	/* Otherwise nothing more is read until the output is written.  (With
	 * nothing queued, draining starts at once with the same event, and a
	 * delete then add would cost an epoll_ctl for no change.) */
	if (!read_now && sd->rev != NULL && side_queued(sd) > 0)
		event_del(sd->rev);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_setcb(sd->bev, side_discard_cb, side_close_write_cb,
	    side_close_event_cb, sd);
	if (read_now)
		bufferevent_setwatermark(sd->bev, EV_READ, 0, 0);
	bufferevent_setwatermark(sd->bev, EV_WRITE, 0, 0);
	if (!read_now)
		bufferevent_disable(sd->bev, EV_READ);
	else if (side_drain_watch(sd) != 0)
		bufferevent_enable(sd->bev, EV_READ);
	if (side_queued(sd) == 0)
		side_flushed(sd);
	else
		bufferevent_enable(sd->bev, EV_WRITE);
}

static void
side_reset(struct side *sd)
{
	sd->bev = NULL;
	sd->out = NULL;
	sd->read_off = false;
	sd->fn = NULL;
	sd->arg = NULL;
	sd->writes = false;
	sd->closing = false;
	sd->draining = false;
	sd->read_now = false;
	sd->shut = false;
}

void
side_drop(struct side *sd)
{
	if (sd->bev == NULL)
		return;
	/* (Writing first: a TLS side stops being read with its SSL.) */
	side_stop_writing(sd);
	side_stop_reading(sd);
	bufferevent_free(sd->bev);
	side_reset(sd);
}

void
side_free(struct side *sd)
{
	sd->writes = false;
	side_stop_reading(sd);
	if (sd->own_out != NULL) {
		evbuffer_free(sd->own_out);
		sd->own_out = NULL;
	}
	if (sd->wev != NULL) {
		event_free(sd->wev);
		sd->wev = NULL;
	}
	if (sd->bev != NULL)
		bufferevent_free(sd->bev);
	side_reset(sd);
}
