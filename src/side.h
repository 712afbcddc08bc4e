/* side.h -- one end of a session (the client or the backend): its connection, who is told when it can be read or written, and how it closes */
#ifndef WSGATE_SIDE_H
#define WSGATE_SIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bufferevent;
struct event;
struct evbuffer;
struct ssl_st;

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
 * its drivers may read.  While the relay runs (side_own_io) a socket is
 * read by the relay itself through side_read when the side's read event
 * says so, and written by side_flush (see relay.c for why): a plain one
 * with read(2) and writev(2), a TLS one with SSL_read and SSL_write on its
 * SSL.  Before and after (handshake, closing), and for an HTTP/2 stream's
 * end of a pair, its bufferevent reads and writes.  What is queued towards
 * the peer is in out: the bufferevent's output, except while a TLS side
 * writes itself (libevent's TLS bufferevent switches EPOLLOUT on whenever
 * its output stops being empty): then, while bytes wait, in own_out
 * (side_out); side_stop_writing puts them back, so that closing finds
 * what is left.  Drivers add to side_out(), and may read out.
 */
struct side {
	struct bufferevent *bev;	/* owned; NULL: none (yet, or any more) */
	struct evbuffer *out;		/* the queue towards the peer */
	struct evbuffer *own_out;	/* owned: out while a TLS side writing
					 * itself has bytes queued */
	struct ssl_st *ssl;		/* side_own_io on TLS: its SSL (the
					 * bufferevent's) */
	struct event *rev, *wev;	/* side_own_io: sockets only */
	side_fn fn;
	void *arg;
	unsigned char *scratch;		/* side_close: where discarded bytes go */
	size_t scratch_size;
	/* OpenSSL's rule: an SSL_write that blocked is repeated with at
	 * least this many bytes from the queue's head, before any other. */
	size_t tls_retry;
	short what;		/* the last bufferevent event's flags, for
				 * error texts (tls_error) */
	uint8_t tls_end;	/* an EOF or error (enum tls_io) SSL_read met
				 * behind bytes it returned: side_read's next */
	bool tls;
	bool writes;		/* its output is written by side_flush */
	bool read_off;		/* side_read_enable(false) */
	bool tls_rblock;	/* SSL_read wants the socket writable first
				 * (an alert it sends into a full socket) */
	bool tls_wblock;	/* SSL_write wants it readable first */
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
 * The driver reads (side_read) and writes (side_flush) the socket itself:
 * the bufferevent's own reading and writing stop, and a read event
 * reports SIDE_READABLE (a write event, made when first needed, reports
 * SIDE_WRITTEN or SIDE_ERROR).  An HTTP/2 stream's end of a pair just
 * reads and writes through its bufferevent.  0, or -1 without memory.
 */
int side_own_io(struct side *sd);

/*
 * Read up to cap bytes: first whatever the bufferevent's input already
 * holds (frames pipelined behind the request, plaintext decrypted before
 * side_own_io), then, if socket and the side reads itself, the socket:
 * read(2), or for TLS SSL_read records until cap is full, the socket is
 * drained, or SIDE_TLS_READS records were read.  Returns the count, 0 at
 * EOF, or -1 with errno (EAGAIN: nothing now).  A short count means
 * nothing more is ready, unless side_buffered says so.
 */
ssize_t side_read(struct side *sd, void *buf, size_t cap, bool socket);

/* Whether bytes are ready to read that the socket's readiness will not
 * announce: in the bufferevent's input, or buffered inside TLS. */
bool side_buffered(const struct side *sd);

/*
 * side_flush for the last bytes before the socket is closed: a plain
 * socket's are sent with MSG_MORE, so that the FIN of the close(2) that
 * follows at once leaves in the same segment, not one of its own.  The caller
 * closes the side as soon as this has written everything (side_queued
 * 0); what it could not write goes out as side_flush sends it.
 */
int side_flush_last(struct side *sd);

/* Reading on or off (backpressure). */
void side_read_enable(struct side *sd, bool on);

/*
 * Write what is queued now, if the side writes itself (side_own_io); TLS
 * in records of up to 16 KiB, at most SIDE_TLS_WRITES of them (the rest
 * when the write event comes back, after the loop has polled):
 * 1 when a write was tried, 0 when there was nothing to do (empty, or the
 * bufferevent writes),
 * -1 when the connection is broken (its write event is then made active,
 * to report SIDE_ERROR from the event loop rather than from deep inside a
 * caller).
 */
int side_flush(struct side *sd);

/* Where to queue bytes towards the peer (out, made first if need be). */
struct evbuffer *side_out(struct side *sd);

/* Bytes queued towards the peer. */
size_t side_queued(const struct side *sd);

/* Stop writing the socket itself (side_own_io): send what is queued now
 * (often all of it), and let the bufferevent write the rest (out is its
 * output from now on).  A TLS side is still read by side_read. */
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
 * bounded number of times per wakeup; TLS ones are handed back to their
 * bufferevent, which sends close_notify (side_shut_write).  fn hears SIDE_CLOSED once, at
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
