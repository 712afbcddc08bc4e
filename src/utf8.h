/* utf8.h -- incremental UTF-8 validation (RFC 3629) for text messages split anywhere */
#ifndef WSGATE_UTF8_H
#define WSGATE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero-initialised state is "between code points". */
struct utf8_state {
	uint8_t need;	/* continuation bytes still expected */
	uint8_t lo, hi;	/* allowed range of the next continuation byte */
};

/*
 * Feed the next n bytes.  Returns 0 while the bytes so far can still be the
 * prefix of valid UTF-8, -1 as soon as they cannot (fail fast: RFC 6455 8.1).
 * After -1 the state is unspecified.
 */
int utf8_feed(struct utf8_state *st, const uint8_t *p, size_t n);

/* True when the bytes fed so far end on a code point boundary. */
bool utf8_complete(const struct utf8_state *st);

/* Whole-buffer convenience: valid and complete. */
bool utf8_valid(const uint8_t *p, size_t n);

#endif
