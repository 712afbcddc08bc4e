/* duration.h -- pure: durations with units ("5m", "1h30m", "250ms", "1.5") for config values */
#ifndef WSGATE_DURATION_H
#define WSGATE_DURATION_H

#include <stdint.h>

#include "codec.h"

/*
 * API: duration_parse() reads one whole config value; nothing is
 * allocated, the result is an integer count of microseconds.
 *
 * Grammar: one or more components, each a decimal number (digits, an
 * optional '.', more digits; at least one digit) followed by a unit:
 *
 *   d (86400 s)  h (3600 s)  m (60 s)  s  ms
 *
 * Units are lower case ("M" would read as the size suffix), each at most
 * once and from the largest to the smallest ("1h30m", "2m5s",
 * "1s500ms"), with no spaces in between.  A bare number is seconds, and
 * only alone ("1.5" is 1.5 s, "1h30" is an error that says to write
 * "1h30m").  Fractions are allowed in any component ("1.5h" is 90 m); the
 * total is rounded to the nearest microsecond, and a non-zero value that
 * rounds to zero is an error.  "0" is zero (the caller decides whether
 * zero means "off").  This is a superset of what the config took before
 * units ("10", "2.5", "250ms", "2.5s"): every time key reads it.
 *
 * Limits: at most DURATION_TEXT_MAX characters; the total must not exceed
 * max_us (the caller's bound for the key, at most DURATION_MAX_US).
 *
 * Returns 0 with *out_us, or CODEC_ERROR with *why: static text naming
 * the problem (the caller prints it after "file:line: [section] key:",
 * with the value).
 */
#define DURATION_TEXT_MAX 64
#define DURATION_MAX_US (UINT64_C(366) * 86400 * 1000000)	/* a year */

int duration_parse(const char *s, uint64_t max_us, uint64_t *out_us,
    const char **why);

#endif
