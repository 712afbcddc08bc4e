/* subproto.h -- pure: Sec-WebSocket-Protocol negotiation (RFC 6455 4.2.2) against a route's list */
#ifndef WSGATE_SUBPROTO_H
#define WSGATE_SUBPROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"

/*
 * API: subproto_select() reads every Sec-WebSocket-Protocol instance of a
 * request (views into the request buffer, in order) and picks the
 * subprotocol to answer with from a route's configured names.  Nothing is
 * allocated; the choice points into the caller's header bytes.
 *
 * The client's list (RFC 6455 4.1: 1#token, in order of preference) is
 * read tolerantly: elements are split on ',' across all instances, blanks
 * (SP, HTAB) around them are dropped, empty elements ("a,,b", a trailing
 * ',', an empty instance) are skipped (RFC 9110 5.6.1), and an element
 * that is not a token (a space or separator inside) is skipped: it can
 * never equal a configured name.  Names compare case-insensitively, but
 * the answer echoes the client's own spelling, since browsers require the
 * answer to be one of the strings they sent, byte for byte.
 *
 * Which one: the first name in the route's list that the client offered
 * (the server's order).  RFC 6455 4.2.2 lets the server pick any offered
 * value; the gateway does not speak the protocol, the route's author says
 * what the backend speaks, and this is what websockify does ("binary" when
 * offered, wherever it is in the list).  Unlike websockify 0.10, which
 * splits on ',' without trimming and so refuses "chat, binary" with 400,
 * "chat, binary" here selects "binary".
 *
 * When nothing matches (the client offered nothing, or nothing the route
 * lists): without `require` the upgrade goes ahead with no
 * Sec-WebSocket-Protocol in the answer (RFC 6455 4.2.2; a browser that
 * offered some then fails the connection itself); with `require` it is an
 * error, answered 400.
 *
 * Limits: at most SUBPROTO_OFFERS_MAX elements (empty ones included) over
 * all instances are read and at most SUBPROTO_FIELDS_MAX instances; more
 * is an error (400), so the work per request is bounded.  Configured
 * names are at most SUBPROTO_NAME_MAX bytes, SUBPROTO_NAMES_MAX per route.
 */
#define SUBPROTO_NAMES_MAX 16
#define SUBPROTO_NAME_MAX 64
#define SUBPROTO_OFFERS_MAX 64
#define SUBPROTO_FIELDS_MAX 16

/* One header instance's value as received. */
struct subproto_field {
	const char *p;
	size_t n;
};

struct subproto_choice {
	const char *p;		/* the client's spelling; NULL when none */
	size_t n;
	int index;		/* into the route's names; -1 when none */
	unsigned offered;	/* well-formed elements the client offered */
};

/*
 * Choose.  names[0..nnames) are the route's names (valid tokens, see
 * subproto_name_valid; nnames may be 0: nothing is ever selected).
 * Returns 0 with *out (out->p == NULL: answer without the header), or
 * CODEC_ERROR with *why (static text; answer 400): too many elements or
 * instances, or `require` and no match.
 */
int subproto_select(const struct subproto_field *fields, size_t nfields,
    const char *const *names, size_t nnames, bool require,
    struct subproto_choice *out, const char **why);

/*
 * Whether s[0..n) can be a configured name: 1..SUBPROTO_NAME_MAX token
 * characters (RFC 9110 5.6.2 tchar, which RFC 6455 4.1 requires).
 */
bool subproto_name_valid(const char *s, size_t n);

#endif
