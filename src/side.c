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

/* ---- reading and writing a plain socket with our own events ---- */

static void side_drain_read(struct side *sd);

/* One read event serves the driver and, once closing, the draining: the
 * same event goes on, since making another would cost an epoll_ctl for a
 * change that is none. */
static void
side_rev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *sd = arg;

	(void)fd;
	(void)what;
	if (sd->draining)
		side_drain_read(sd);
	else
		side_report(sd, SIDE_READABLE);
}

static void
side_wev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *sd = arg;

	(void)fd;
	(void)what;
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
		bufferevent_enable(sd->bev, EV_READ | EV_WRITE);
		return 0;
	}
	bufferevent_disable(sd->bev, EV_READ | EV_WRITE);
	sd->writes = true;
	return side_read_watch(sd);
}

void
side_read_enable(struct side *sd, bool on)
{
	if (sd->rev == NULL) {
		/* TLS: its bufferevent reads. */
		if (on)
			bufferevent_enable(sd->bev, EV_READ);
		else
			bufferevent_disable(sd->bev, EV_READ);
	} else if (on) {
		event_add(sd->rev, NULL);
	} else {
		event_del(sd->rev);
	}
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

int
side_flush(struct side *sd)
{
	struct event *wev;
	struct evbuffer *out;
	int n;

	if (!sd->writes || sd->bev == NULL)
		return 0;	/* TLS: the bufferevent writes */
	out = bufferevent_get_output(sd->bev);
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
	out = bufferevent_get_output(sd->bev);
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
	return evbuffer_get_length(bufferevent_get_output(sd->bev));
}

void
side_stop_writing(struct side *sd)
{
	if (!sd->writes)
		return;
	side_flush(sd);
	if (sd->wev != NULL) {
		event_free(sd->wev);
		sd->wev = NULL;
	}
	sd->writes = false;
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
	side_stop_reading(sd);
	side_stop_writing(sd);
	bufferevent_free(sd->bev);
	side_reset(sd);
}

void
side_free(struct side *sd)
{
	sd->writes = false;
	side_stop_reading(sd);
	if (sd->wev != NULL) {
		event_free(sd->wev);
		sd->wev = NULL;
	}
	if (sd->bev != NULL)
		bufferevent_free(sd->bev);
	side_reset(sd);
}
