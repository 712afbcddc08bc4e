/* h2_req.h -- pure: an HTTP/2 request's header fields (RFC 9113 8.3) become the request admission judges (an extended CONNECT, RFC 8441 4) */
#ifndef WSGATE_H2_REQ_H
#define WSGATE_H2_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "handshake.h"

/* Room for the fields kept (path, authority, Origin, ...); a request
 * whose kept fields need more is answered 431. */
#define H2_REQ_ROOM 8192

enum h2_req_kind {
	H2_REQ_WEBSOCKET,	/* CONNECT with :protocol = websocket */
	H2_REQ_PLAIN,		/* GET or HEAD: a plain answer */
	H2_REQ_OTHER,		/* anything else: 405 */
};

/* The fields of one request, copied as nghttp2 hands them over. */
struct h2_req {
	struct hs_str method, protocol, scheme, path, authority, origin,
	    version, protocols, forwarded_for, cookie, if_none_match,
	    if_modified_since, accept_encoding;
	bool has_protocol, has_origin, has_version, has_protocols;
	size_t list_size;	/* RFC 9113 6.5.2's sum, name + value + 32 */
	unsigned nfields;
	size_t used;
	char room[H2_REQ_ROOM];
};

void h2_req_init(struct h2_req *r);

/*
 * One header field (a pseudo-header such as ":path" too), judged against
 * the limits of HTTP/1.1 requests: max_bytes bounds the header list size
 * (RFC 9113 6.5.2), max_fields the number of fields.  0, or CODEC_ERROR
 * with *status (431 too big, 400 a repeated field) and *why.
 */
int h2_req_field(struct h2_req *r, const char *name, size_t nlen,
    const char *value, size_t vlen, const struct hs_limits *lim,
    int *status, const char **why);

/*
 * The request complete: what it is, and for H2_REQ_WEBSOCKET the
 * HTTP/1.1 upgrade request it stands for (views into r), so that
 * admit_request() judges both protocols alike: route by :path (query
 * left out; the query stays in the target, for tokens), :authority as
 * Host, Origin, Cookie (its fields joined with "; ", RFC 9113 8.2.3),
 * Sec-WebSocket-Version and -Protocol.  RFC 8441 has no Sec-WebSocket-Key: a fixed valid one
 * stands in, and the accept value computed from it is never sent.  For
 * H2_REQ_PLAIN, req has the method, target and path.
 */
enum h2_req_kind h2_req_request(const struct h2_req *r,
    struct hs_request *req);

#endif
