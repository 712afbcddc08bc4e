/* targets.h -- token sources: websockify token files and socket directories, read, watched and swapped live */
#ifndef WSGATE_TARGETS_H
#define WSGATE_TARGETS_H

/*
 * A route with `targets = PATH` maps the token a client presents to the
 * backend it reaches, as websockify's token plugins do.  This module
 * owns the token index of each such PATH: it reads the files, builds a
 * tokenindex (tokenindex.h: O(1) lookups with a keyed hash), and keeps
 * it current while the gateway runs:
 *
 *   - a watcher thread looks at the files about once a second
 *     (TARGETS_CHECK_MS), never on a connection's path;
 *   - a change is used once the files have stayed the same for one
 *     check, so a file being written is not read halfway (a writer
 *     slower than that may still be caught: then the next rule holds);
 *   - the new index is built aside and swapped in whole; a file that
 *     does not parse (a half-written line, a syntax error) keeps the
 *     last good index, and the error is logged once with file:line.
 *
 * Sources are shared: every route (of every configuration generation)
 * that names the same PATH and format uses one source, so a SIGHUP does
 * not rebuild an index that has not changed.  targets_open() takes a
 * reference, targets_close() gives it back.  Lookups may come from any
 * worker thread; each copies its result out under the source's lock, so
 * a swap never frees an index a lookup is reading.
 *
 * Limits: TARGETS_MAX_FILES files per source, each a regular file of at
 * most 16 MiB (file.h), TARGETS_MAX_BYTES read per source in all, and
 * TOKENINDEX_MAX tokens.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define TARGETS_CHECK_MS 1000
#define TARGETS_MAX_FILES 1000000u
#define TARGETS_MAX_BYTES (64ull << 20)

enum targets_format {
	TARGETS_TOKENFILE,	/* websockify TokenFile: "token: host:port"
				 * lines, in a file or every file of a
				 * directory */
	TARGETS_FILENAME,	/* TokenFileName: a directory; each file's
				 * name is a token, its content the target */
	TARGETS_UNIX_SOCKET_DIR,	/* UnixDomainSocketDirectory: the token
				 * names a socket in the directory */
};

/* What a token leads to, copied out of the index. */
struct targets_hit {
	enum token_target_kind kind;
	char host[TOKEN_HOST_MAX + 1];	/* TCP host, or the UNIX path */
	uint16_t port;			/* TCP only */
};

struct targets;

/*
 * The source for path and fmt, read now if it is new (or re-read if
 * its files changed since).  NULL with err ("PATH:LINE: why") when a new
 * source cannot be read; an existing one keeps its last good index and
 * is returned even if its files are now broken (the error is logged).
 */
struct targets *targets_open(const char *path, enum targets_format fmt,
    char *err, size_t errsize);
void targets_close(struct targets *t);	/* NULL: no-op */

/* 1 with *hit, 0 for an unknown token, -1 on an internal failure (the
 * hash), which is a server error. */
int targets_lookup(struct targets *t, const char *token, size_t len,
    struct targets_hit *hit);

/* Tokens in the index now. */
size_t targets_count(struct targets *t);

/* What the watcher does once: look at the files; rebuild and swap when
 * they changed and stayed so (force: at once).  For the watcher and
 * tests. */
enum targets_refresh {
	TARGETS_UNCHANGED,
	TARGETS_PENDING,	/* changed: waiting for the files to settle */
	TARGETS_SWAPPED,
	TARGETS_FAILED,		/* kept the last good index */
};
enum targets_refresh targets_refresh(struct targets *t, bool force,
    char *err, size_t errsize);

/* The watcher thread, for the process: start once, stop before exit. */
int targets_watch_start(void);
void targets_watch_stop(void);

#endif
