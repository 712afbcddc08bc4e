/* admin_req.h -- pure: the requests of the metrics listener (/metrics, /healthz, /readyz, /sessions, POST /sessions/ID/close) */
#ifndef WSGATE_ADMIN_REQ_H
#define WSGATE_ADMIN_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

enum admin_endpoint {
	ADMIN_METRICS,		/* GET /metrics */
	ADMIN_HEALTHZ,		/* GET /healthz */
	ADMIN_READYZ,		/* GET /readyz */
	ADMIN_SESSIONS,		/* GET /sessions[?limit=N&route=NAME] */
	ADMIN_SESSION_CLOSE,	/* POST /sessions/ID/close[?code=&reason=] */
};

#define ADMIN_REASON_MAX 123	/* RFC 6455 5.5: 125 - the 2-byte code */
#define ADMIN_ROUTE_MAX 255
#define ADMIN_SESSIONS_DEFAULT 1000
#define ADMIN_SESSIONS_MAX 10000

struct admin_req {
	enum admin_endpoint endpoint;
	bool head;		/* HEAD: the GET answer without its body */
	/* ADMIN_SESSIONS */
	size_t limit;		/* at most this many sessions */
	char route[ADMIN_ROUTE_MAX + 1];	/* only this route; "" = all */
	/* ADMIN_SESSION_CLOSE */
	uint64_t id;
	unsigned code;		/* close code to send, default 1000 */
	char reason[ADMIN_REASON_MAX + 1];	/* UTF-8, default "" */
	size_t reason_len;
	/* On 405: the Allow header's value. */
	const char *allow;
};

/*
 * API: admin_req_parse() judges the method and request target of one
 * request (as handshake_parse() split them) and fills *out.  Returns 0,
 * or CODEC_ERROR with *status and *why (static text):
 *
 *   404  a path that is none of the above, an ID that is not 1-20
 *        digits without a leading zero, 0, or over 2^64-1
 *   405  a method the path does not take (out->endpoint and out->allow
 *        are set: answer with "Allow: <allow>")
 *   400  a target that is not a path, a query parameter the endpoint
 *        does not know or gives twice, a bad %-escape, or a value out of
 *        range (below)
 *
 * The path is matched exactly (no %-decoding, no trailing '/').  Query
 * values are %-decoded, '+' as a space (application/x-www-form-urlencoded,
 * as curl --data-urlencode and browsers write them).  /metrics, /healthz
 * and /readyz ignore their query (a scraper may add parameters).
 *
 *   limit   1 to ADMIN_SESSIONS_MAX, default ADMIN_SESSIONS_DEFAULT
 *   route   at most ADMIN_ROUTE_MAX bytes, no NUL
 *   code    1000, 1001, 1008, or 3000-4999.  RFC 6455 7.4: 3000-4999 are
 *           for libraries and applications; of the codes 7.4.1 defines,
 *           these three are the ones an endpoint sends on its own
 *           decision (done, going away, policy): the others describe
 *           conditions that did not happen (1002, 1003, 1007, 1009-1011)
 *           or never go on the wire (1004-1006, 1015).  Default 1000.
 *   reason  at most ADMIN_REASON_MAX bytes once decoded, valid UTF-8
 *           (RFC 6455 5.5.1), no control characters.  Default "".
 */
int admin_req_parse(const char *method, size_t mlen, const char *target,
    size_t tlen, struct admin_req *out, int *status, const char **why);

/* Whether code may be sent by admin_req's rules (above). */
bool admin_close_code_valid(unsigned long code);

#endif
