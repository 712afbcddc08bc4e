/* h2_req.c -- pure: an HTTP/2 request's header fields (RFC 9113 8.3) become the request admission judges (an extended CONNECT, RFC 8441 4) */
#include "h2_req.h"

#include <string.h>

/* RFC 6455 4.1's sample nonce: valid, and never answered (RFC 8441 5). */
static const char h2_req_key[] = "dGhlIHNhbXBsZSBub25jZQ==";

void
h2_req_init(struct h2_req *r)
{
	memset(r, 0, offsetof(struct h2_req, room));
}

static bool
name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && memcmp(name, want, nlen) == 0;
}

/* Keep value in r's room as *dst; once only. */
static int
keep(struct h2_req *r, struct hs_str *dst, bool *has, const char *value,
    size_t vlen, int *status, const char **why)
{
	if (has != NULL) {
		if (*has) {
			*status = 400;
			*why = "repeated header field";
			return CODEC_ERROR;
		}
		*has = true;
	} else if (dst->p != NULL) {
		*status = 400;
		*why = "repeated pseudo-header field";
		return CODEC_ERROR;
	}
	if (vlen > sizeof(r->room) - r->used) {
		*status = 431;
		*why = "request header fields too large";
		return CODEC_ERROR;
	}
	memcpy(r->room + r->used, value, vlen);
	dst->p = r->room + r->used;
	dst->n = vlen;
	r->used += vlen;
	return 0;
}

/*
 * RFC 9113 8.2.3: a client may split Cookie into one field per cookie;
 * they are joined with "; " into one value, as HTTP/1.1 sends it: a new
 * copy at the end of the room each time (the room is bounded, and so is
 * the header list).
 */
static int
keep_cookie(struct h2_req *r, const char *value, size_t vlen, int *status,
    const char **why)
{
	size_t old = r->cookie.p != NULL ? r->cookie.n : 0;
	size_t need = old + (old > 0 ? 2 : 0) + vlen;
	char *dst = r->room + r->used;

	if (need > sizeof(r->room) - r->used) {
		*status = 431;
		*why = "request header fields too large";
		return CODEC_ERROR;
	}
	if (old > 0) {
		memmove(dst, r->cookie.p, old);
		memcpy(dst + old, "; ", 2);
	}
	memcpy(dst + need - vlen, value, vlen);
	r->cookie.p = dst;
	r->cookie.n = need;
	r->used += need;
	return 0;
}

int
h2_req_field(struct h2_req *r, const char *name, size_t nlen,
    const char *value, size_t vlen, const struct hs_limits *lim,
    int *status, const char **why)
{
	/* (nghttp2 lower-cases nothing: RFC 9113 8.2.1 makes upper case a
	 * malformed request, which it rejects before we see it.) */
	r->list_size += nlen + vlen + 32;
	if (r->list_size > lim->max_bytes || ++r->nfields > lim->max_headers) {
		*status = 431;
		*why = "request header fields too large";
		return CODEC_ERROR;
	}
	if (name_is(name, nlen, ":method"))
		return keep(r, &r->method, NULL, value, vlen, status, why);
	if (name_is(name, nlen, ":protocol"))
		return keep(r, &r->protocol, &r->has_protocol, value, vlen,
		    status, why);
	if (name_is(name, nlen, ":scheme"))
		return keep(r, &r->scheme, NULL, value, vlen, status, why);
	if (name_is(name, nlen, ":path"))
		return keep(r, &r->path, NULL, value, vlen, status, why);
	if (name_is(name, nlen, ":authority"))
		return keep(r, &r->authority, NULL, value, vlen, status, why);
	if (name_is(name, nlen, "origin"))
		return keep(r, &r->origin, &r->has_origin, value, vlen, status,
		    why);
	if (name_is(name, nlen, "sec-websocket-version"))
		return keep(r, &r->version, &r->has_version, value, vlen,
		    status, why);
	if (name_is(name, nlen, "sec-websocket-protocol"))
		return keep(r, &r->protocols, &r->has_protocols, value, vlen,
		    status, why);
	/* web_root's validators and precompressed files (webresp.h); the
	 * first of each counts, as over HTTP/1.1. */
	if (name_is(name, nlen, "if-none-match") && r->if_none_match.p == NULL)
		return keep(r, &r->if_none_match, NULL, value, vlen, status,
		    why);
	if (name_is(name, nlen, "if-modified-since") &&
	    r->if_modified_since.p == NULL)
		return keep(r, &r->if_modified_since, NULL, value, vlen, status,
		    why);
	if (name_is(name, nlen, "accept-encoding") &&
	    r->accept_encoding.p == NULL)
		return keep(r, &r->accept_encoding, NULL, value, vlen, status,
		    why);
	if (name_is(name, nlen, "cookie"))
		return keep_cookie(r, value, vlen, status, why);
	if (name_is(name, nlen, "x-forwarded-for") && r->forwarded_for.p == NULL)
		return keep(r, &r->forwarded_for, NULL, value, vlen, status,
		    why);
	return 0;
}

static bool
str_is(struct hs_str s, const char *want)
{
	return s.p != NULL && name_is(s.p, s.n, want);
}

enum h2_req_kind
h2_req_request(const struct h2_req *r, struct hs_request *req)
{
	const char *q;

	memset(req, 0, sizeof(*req));
	req->method = r->method;
	req->target = r->path;
	req->path = r->path;
	if (r->path.p != NULL &&
	    (q = memchr(r->path.p, '?', r->path.n)) != NULL)
		req->path.n = (size_t)(q - r->path.p);
	req->http_minor = 1;
	req->host = r->authority;
	req->has_host = r->authority.p != NULL && r->authority.n > 0;
	req->forwarded_for = r->forwarded_for;
	req->cookie = r->cookie;
	req->head = str_is(r->method, "HEAD");
	req->has_if_none_match = r->if_none_match.p != NULL;
	req->if_none_match = r->if_none_match;
	req->has_if_modified_since = r->if_modified_since.p != NULL;
	req->if_modified_since = r->if_modified_since;
	req->has_accept_encoding = r->accept_encoding.p != NULL;
	req->accept_encoding = r->accept_encoding;
	if (!str_is(r->method, "CONNECT"))
		return str_is(r->method, "GET") || str_is(r->method, "HEAD") ?
		    H2_REQ_PLAIN : H2_REQ_OTHER;
	/* RFC 8441 4: the extended CONNECT; a plain CONNECT (a tunnel)
	 * is not served. */
	if (!r->has_protocol || r->path.p == NULL || r->scheme.p == NULL)
		return H2_REQ_OTHER;
	req->upgrade_attempt = true;
	req->upgrade_websocket = str_is(r->protocol, "websocket");
	req->connection_upgrade = true;
	req->has_origin = r->has_origin;
	req->origin = r->origin;
	req->has_version = r->has_version;
	req->version = r->version;
	req->offers_protocols = r->has_protocols;
	if (r->has_protocols) {
		req->protocols[0] = r->protocols;
		req->nprotocols = 1;
	}
	req->offers_binary = r->has_protocols &&
	    handshake_list_has(r->protocols.p, r->protocols.n, "binary",
	    false);
	req->has_key = true;
	req->key.p = h2_req_key;
	req->key.n = sizeof(h2_req_key) - 1;
	return H2_REQ_WEBSOCKET;
}
