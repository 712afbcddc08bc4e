/* tokenfile.h -- pure: websockify token files (token: host:port lines) */
#ifndef WSGATE_TOKENFILE_H
#define WSGATE_TOKENFILE_H

/*
 * The format is websockify's TokenFile / ReadOnlyTokenFile (websockify
 * 0.10 as in Debian 12, token_plugins.py _load_targets):
 *
 *   - each line is stripped of surrounding whitespace;
 *   - empty lines and lines starting with '#' are skipped;
 *   - the rest must split, like Python's re.split(':\s', line), at
 *     exactly one ':' followed by a whitespace character into
 *        TOKEN ':' WS TARGET
 *     (so "a:b: host:1" has the token "a:b", and "t: h: 1" is an error);
 *   - TARGET, stripped, is "host:port" split at its last ':'
 *     ("vm1:5900", "10.0.0.5:5900", "::1:5900", and "[::1]:5900",
 *     which websockify cannot connect to), or "unix_socket:/path".
 *
 * wsgate is stricter than websockify, and says so with the line number:
 * a line that websockify would log and skip is an error (the caller
 * keeps its last good index rather than losing the line's token); the
 * target must be a valid host and port now (websockify fails only when
 * a client connects); tokens follow token_valid() (token.h); a CR inside
 * a line is refused (Python reads a lone CR as a line end, CRLF is
 * fine).  A token listed twice is the caller's decision (websockify:
 * the last wins).
 *
 * The TokenFileName layout (a directory where each file's name is the
 * token and its content the target) reads one file's content with
 * tokenfile_parse_content().
 *
 * Limits: a line holds at most TOKENFILE_LINE_MAX bytes before its
 * newline.  The size of a whole file is bounded by the caller, which
 * reads it (a regular file of bounded size).  Nothing here allocates;
 * entries are views into the caller's buffer.
 */

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"
#include "token.h"

#define TOKENFILE_LINE_MAX 4096

struct tokenfile_entry {
	const char *token;	/* into the caller's buffer */
	size_t token_len;	/* 0: the line holds no entry */
	struct token_target target;	/* host points into the buffer */
};

/*
 * Parse one line from buf[0..len).  eof says that no more bytes follow,
 * so a last line without a newline is complete.  Returns the bytes
 * consumed (the line and its newline), with *e filled (e->token_len is 0
 * for a blank or comment line); 0 when eof and len is 0 (nothing left);
 * CODEC_NEED_MORE when the line is not complete yet; CODEC_ERROR with
 * *why (static text).
 */
int tokenfile_parse(const char *buf, size_t len, bool eof,
    struct tokenfile_entry *e, const char **why);

/* Walks a whole file held in memory, counting lines. */
struct tokenfile_reader {
	const char *buf;
	size_t len, off;
	unsigned long line;	/* of the entry or error just returned */
	bool unterminated;	/* the last line had no newline */
};

void tokenfile_reader_init(struct tokenfile_reader *r, const char *buf,
    size_t len);

/*
 * The next entry: 1 with *e, 0 at the end of the buffer, or CODEC_ERROR
 * with *why and r->line the line at fault.  A UTF-8 byte order mark at
 * the start is skipped.  An unterminated last line is parsed, and
 * r->unterminated tells the caller that the file may have been caught
 * half-written.
 */
int tokenfile_next(struct tokenfile_reader *r, struct tokenfile_entry *e,
    const char **why);

/*
 * TokenFileName: a file's whole content, stripped of surrounding
 * whitespace, is one target (token_target_parse).  0, or CODEC_ERROR.
 */
int tokenfile_parse_content(const char *buf, size_t len,
    struct token_target *t, const char **why);

#endif
