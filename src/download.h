/* download.h -- a web_root file sent to a client in bounded chunks, read as its connection drains */
#ifndef WSGATE_DOWNLOAD_H
#define WSGATE_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct stat;

/*
 * One chunk is read (pread(2), never mapped: a file truncated under a
 * mapping faults with SIGBUS) each time the client's queue is empty, so a
 * download holds at most this much of the file in memory.  A little under
 * 64 KiB, so that libevent's chain for it (with the response head the
 * first time, and the chain's header; rounded up to a power of two) is
 * 64 KiB and not 128.
 */
#define DOWNLOAD_CHUNK ((64u << 10) - 1024)

enum download_end {
	DOWNLOAD_DONE,		/* every byte written to the connection */
	/* The file shrank, grew or was modified (its size or modification
	 * time differs from when it was opened, or it ended early), or could
	 * not be read: the rest is never sent, what is queued still may be. */
	DOWNLOAD_CUT,
	DOWNLOAD_GONE,		/* the connection failed: close it */
};

/*
 * How a download ended, reported once.  why (NULL for DONE) is valid until
 * download_free.  The callback frees the download and gives the
 * bufferevent other callbacks (or frees it).
 */
typedef void (*download_end_fn)(void *arg, enum download_end how,
    const char *why);

/*
 * Send the file fd (taken; closed by download_free), opened as st says,
 * on bev, whose output holds the response head: queue the first chunk now
 * and take over bev's callbacks (reading off) until the end is reported.
 * tls: bev is a TLS bufferevent (for error texts).  NULL when not even the
 * first chunk could be queued (fd closed), with the reason in err.
 */
struct download *download_start(struct bufferevent *bev, bool tls, int fd,
    const struct stat *st, download_end_fn end, void *arg, char *err,
    size_t errsize);
void download_free(struct download *d);

/* Bytes of the response (head and body) that have left bev's output:
 * handed to the connection. */
uint64_t download_sent(const struct download *d);

/*
 * Whether the client took any bytes since the last call: bytes left the
 * output, or the kernel's send queue (unsent and unacknowledged bytes)
 * moved.  A client that stops reading stops both.
 */
bool download_progressed(struct download *d);

#endif
