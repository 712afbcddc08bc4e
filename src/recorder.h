/* recorder.h -- session recordings (record = DIR): the relay's bytes queued on the event loop, written to files by one thread */
#ifndef WSGATE_RECORDER_H
#define WSGATE_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/*
 * Why a thread: a disk can stall for a long time (a full journal, a
 * network mount), and an event loop that waits on it stalls every
 * session of its worker.  The loop only copies the bytes into a queue
 * (with the record's 13-byte head, record.h) and goes on; one writer
 * thread opens the files, writes and closes them.
 *
 * Bounds, so that a disk never fills and memory never grows:
 *   - a session's file stops at max_bytes (record_max_bytes): a stop
 *     record says so, the session goes on unrecorded;
 *   - the directory stops at dir_max_bytes (record_dir_max_bytes): the
 *     size of its files, summed when the writer first uses it, plus what
 *     it wrote since; a file that would pass it gets a stop record, and
 *     a new session is not recorded at all (logged);
 *   - the queue holds at most RECORDER_QUEUE_MAX bytes for every session
 *     together: bytes that do not fit are dropped, that session's
 *     recording stops (a stop record: "writer queue full"), and the
 *     dropped bytes are counted in its close log line.
 * Files are created with mode 0600, never over an existing file
 * (O_EXCL, O_NOFOLLOW), named START-ROUTE-N.wsrec (START: UTC, to the
 * microsecond; N: a process-wide count).
 */
#define RECORDER_QUEUE_MAX (16u << 20)
#define RECORDER_DIR_SCAN_MAX 100000	/* files counted in a directory */

/* One session's recording, owned by the session, used on its loop. */
struct recording;

/* What the header says (record.h): strings copied at once. */
struct recorder_info {
	const char *dir;
	const char *route;
	const char *client;
	const char *target;
	const char *subprotocol;	/* may be NULL */
	uint64_t max_bytes;		/* 0: no cap */
	uint64_t dir_max_bytes;		/* 0: no cap */
};

/* Start one (the header is queued); NULL without memory or queue room
 * (logged). */
struct recording *recorder_open(const struct recorder_info *info);

/* Bytes that crossed (RECORD_C2B or RECORD_B2C). */
void recorder_data(struct recording *rec, enum record_type type,
    const void *data, size_t len);

/* The session ended: how (the end record's text); rec is gone after.
 * *dropped (if not NULL) gets the bytes the queue could not take. */
void recorder_close(struct recording *rec, const char *how,
    uint64_t *dropped);

/* Write what is queued and stop the writer (at exit, after the
 * workers). */
void recorder_stop(void);

#endif
