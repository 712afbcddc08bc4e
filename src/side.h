/* side.h -- one end of a session (the client or the backend): its connection, who is told when it can be read or written, and how it closes */
#ifndef WSGATE_SIDE_H
#define WSGATE_SIDE_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct event;

enum side_event {
	SIDE_READABLE,		/* bytes to read: the socket, or decrypted */
	SIDE_WRITTEN,		/* queued bytes went out */
	SIDE_CONNECTED,		/* a TLS client finished its handshake */
	SIDE_EOF,		/* the peer closed (reading) */
	SIDE_ERROR,		/* the connection failed */
	SIDE_CLOSED,		/* side_close: flushed, shut, read to EOF */
};

/* Whoever drives the side (side_drive, side_close) hears of it here; it
 * may free the side (and itself) in the call. */
typedef void (*side_fn)(void *arg, enum side_event ev);

/*
 * A side lives in its session; side.c alone changes its fields, which
 * its drivers may read.  A plain socket in the relay is read with read(2)
 * by the relay itself when the side's read event says so, and written by
 * side_flush (see relay.c for why); a TLS side is always read and written
 * through its bufferevent.  Its output is the bufferevent's output either
 * way, so that closing finds what is left there.
 */
struct side {
	struct bufferevent *bev;	/* owned; NULL: none (yet, or any more) */
	struct event *rev, *wev;	/* side_own_io: plain sockets only */
	side_fn fn;
	void *arg;
	unsigned char *scratch;		/* side_close: where discarded bytes go */
	size_t scratch_size;
	short what;		/* the last bufferevent event's flags, for
				 * error texts (tls_error) */
	bool tls;
	bool writes;		/* its output is written by side_flush */
	bool closing;		/* side_close was called */
	bool draining;		/* closing: read to EOF with rev, discarded */
	bool read_now;		/* closing: read while the output flushes */
	bool shut;		/* closing: the write side is shut */
};

/* bev (owned from now on; tls: a TLS one) becomes the side's connection,
 * with no callbacks yet. */
void side_attach(struct side *sd, struct bufferevent *bev, bool tls);

/* Report the bufferevent's events to fn (read, write, connected, EOF and
 * error) until side_hold or side_close. */
void side_drive(struct side *sd, side_fn fn, void *arg);

/* Read nothing and report nothing (until side_drive again). */
void side_hold(struct side *sd);

/*
 * The driver reads and writes a plain socket itself: the bufferevent's
 * own reading and writing stop, and a read event reports SIDE_READABLE
 * (side_flush writes; a write event, made when first needed, reports
 * SIDE_WRITTEN or SIDE_ERROR).  A TLS side just reads and writes through
 * its bufferevent.  0, or -1 without memory.
 */
int side_own_io(struct side *sd);

/*
 * side_flush for the last bytes before the socket is closed: they are
 * sent with MSG_MORE, so that the FIN of the close(2) that follows at
 * once leaves in the same segment, not one of its own.  The caller
 * closes the side as soon as this has written everything (side_queued
 * 0); what it could not write goes out as side_flush sends it.
 */
int side_flush_last(struct side *sd);

/* Reading on or off (backpressure). */
void side_read_enable(struct side *sd, bool on);

/*
 * Write what is queued now, if the side writes itself (side_own_io):
 * 1 when a write was tried, 0 when there was nothing to do (TLS, empty),
 * -1 when the connection is broken (its write event is then made active,
 * to report SIDE_ERROR from the event loop rather than from deep inside a
 * caller).
 */
int side_flush(struct side *sd);

/* Bytes queued towards the peer. */
size_t side_queued(const struct side *sd);

/* Stop writing the socket itself (side_own_io): send what is queued now
 * (often all of it), and let the bufferevent write the rest. */
void side_stop_writing(struct side *sd);

/* Close the write side after the last byte: TLS close_notify first
 * (RFC 8446 6.1), then the TCP FIN. */
void side_shut_write(struct side *sd);

/*
 * Close the side gracefully: discard what it sends from now on, write
 * what is queued, shut the write side, and read to its EOF (closing with
 * unread input sends RST, which can destroy bytes the peer has not read
 * yet).  read_now: read (and discard) while the output is still being
 * written, as a client that is being answered must be; otherwise start
 * reading once it is written.  Plain sockets are read into scratch, a
 * bounded number of times per wakeup.  fn hears SIDE_CLOSED once, at
 * EOF or on an error; the caller bounds the time (close_timeout).
 */
void side_close(struct side *sd, bool read_now, unsigned char *scratch,
    size_t scratch_size, side_fn fn, void *arg);

/* Close at once: write what can be written now, then free the
 * connection (bev NULL).  Nothing if it has none. */
void side_drop(struct side *sd);

/* Free the connection and the events without any I/O (the session is
 * going). */
void side_free(struct side *sd);

#endif
