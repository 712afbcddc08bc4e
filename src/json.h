/* json.h -- pure: JSON strings (RFC 8259) from untrusted bytes, written in printable ASCII */
#ifndef WSGATE_JSON_H
#define WSGATE_JSON_H

#include <stddef.h>
#include <stdint.h>

struct sink;

/*
 * API: json_escape() writes src[0..len) as the inside of a JSON string
 * (without the quotes), in printable ASCII only:
 *
 *   '"' and '\'             \" and \\
 *   control characters      \b \f \n \r \t; the others and DEL as \u00XX
 *   UTF-8 (RFC 3629)        each code point as \uXXXX (lower-case hex);
 *                           beyond U+FFFF as a surrogate pair
 *   invalid UTF-8           \ufffd (U+FFFD) for each byte that does not
 *                           begin a valid sequence: a stray continuation
 *                           byte, a cut sequence, an overlong form, a
 *                           surrogate, a code point over U+10FFFF
 *   other printable ASCII   itself
 *
 * Why ASCII only: these strings go to logs and operators' screens, and
 * most come from clients (server names, paths, addresses as they were
 * given): none can carry a terminal escape or a bidi override there, and
 * the bytes read the same whatever the reader's encoding.  A JSON parser
 * gives back the original text exactly when it was valid UTF-8; invalid
 * bytes are lost (one U+FFFD each), which is what Go's encoding/json and
 * most JSON loggers do.
 *
 * It writes whole escapes only, into dst (room bytes, no NUL); returns
 * the bytes written and sets *used to the bytes of src consumed (len when
 * everything fit).  At most 6 output bytes per input byte.
 */
size_t json_escape(char *dst, size_t room, const char *src, size_t len,
    size_t *used);

/* One character of it: the escape of the character at p[0..n), n >= 1,
 * into out (at most 12 bytes); returns its length and sets *step to the
 * bytes of p it stands for (1-4). */
size_t json_escape_char(const unsigned char *p, size_t n, char out[12],
    size_t *step);

/* The same, with the quotes, into a sink (sink.h). */
void json_sink_string(struct sink *s, const char *src, size_t len);

/* The length (1-4) of the valid UTF-8 sequence at p[0..n), n >= 1, with
 * its code point in *cp; 0 when p[0] does not begin one. */
size_t json_utf8_next(const unsigned char *p, size_t n, uint32_t *cp);

#endif
