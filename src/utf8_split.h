/* utf8_split.h -- pure: where a run of backend bytes can end a text message (whole UTF-8 characters only) */
#ifndef WSGATE_UTF8_SPLIT_H
#define WSGATE_UTF8_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "utf8.h"

/*
 * For send_as = text: backend bytes become text messages, which must be
 * valid UTF-8 (RFC 6455 5.6, 8.1), and a message must never end inside a
 * character.  The relay looks at the bytes waiting in the backend's
 * buffer (at most one message's worth), feeds them here in as many
 * pieces as the buffer has (evbuffer_peek's iovecs), and learns:
 *
 *   ready    bytes from the start that end on a character boundary:
 *            send them as one text message now;
 *   pending  the 1-3 bytes after them, the start of a character whose
 *            remaining bytes have not arrived (or lie past the message
 *            size the caller chose): leave them in the buffer;
 *
 * or an error as soon as the bytes cannot be UTF-8 (overlongs, surrogates,
 * code points above U+10FFFF, stray continuation bytes, C0, C1, F5-FF):
 * the validator is utf8.c's, so what is refused matches what wsgate
 * refuses from clients.  After sending `ready` bytes the caller starts a
 * new split for the next message at the pending bytes (utf8_split_init):
 * every message starts on a character boundary.  When the backend's
 * stream ends with pending bytes they can never complete: that is an
 * error too (utf8_split_pending() != 0 at end of stream).
 *
 * Progress needs room for a whole character: when 4 or more bytes are
 * waiting, feed at least 4 (a message limit below 4 bytes could leave a
 * 4-byte character pending forever).
 *
 * Ownership: the state is the caller's (on the stack or in the session);
 * nothing is allocated, input is only read.  Limits: the total fed since
 * utf8_split_init() must stay below UTF8_SPLIT_MAX (a message is at most
 * 65535 bytes here); pending is never more than 3.
 */
#define UTF8_SPLIT_MAX (1u << 30)

struct utf8_split {
	struct utf8_state st;
	size_t fed;		/* bytes fed since init */
	size_t pending;		/* trailing bytes of an unfinished character */
};

void utf8_split_init(struct utf8_split *s);

/*
 * Feed the next n bytes.  Returns the number of bytes fed so far (all
 * calls since init) that end on a character boundary, ready to send, or
 * CODEC_ERROR with *why (static text; the state is then unspecified).
 * Never CODEC_NEED_MORE: a return smaller than the bytes fed means the
 * rest is pending.
 */
int utf8_split_feed(struct utf8_split *s, const uint8_t *p, size_t n,
    const char **why);

/* The bytes after the last boundary (0-3): wait for more before them. */
size_t utf8_split_pending(const struct utf8_split *s);

/* Whole-buffer form: utf8_split_init + one utf8_split_feed. */
int utf8_split_prefix(const uint8_t *p, size_t n, const char **why);

#endif
