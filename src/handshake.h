/* handshake.h -- pure HTTP/1.1 upgrade request parser and response writer (RFC 6455 4, RFC 9112) */
#ifndef WSGATE_HANDSHAKE_H
#define WSGATE_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"

#define HS_ACCEPT_LEN 28	/* base64 of a SHA-1 digest */
/* Sec-WebSocket-Protocol instances kept (subproto.h reads them). */
#define HS_PROTOCOL_FIELDS 16

/* A view into the caller's buffer; never NUL-terminated. */
struct hs_str {
	const char *p;
	size_t n;
};

struct hs_limits {
	size_t max_bytes;	/* request line + headers, 431 beyond */
	unsigned max_headers;	/* header fields, 431 beyond */
};

#define HS_FORWARDED_MAX 8

struct hs_request {
	struct hs_str method;
	struct hs_str target;	/* as sent */
	struct hs_str path;	/* target without query, absolute-form host */
	struct hs_str host;
	struct hs_str origin;
	struct hs_str key;
	struct hs_str version;	/* Sec-WebSocket-Version */
	struct hs_str forwarded_for;	/* X-Forwarded-For, for logs */
	/* Every X-Forwarded-For and Forwarded (RFC 7239) field, in order,
	 * for trusted_proxies: the first HS_FORWARDED_MAX of each, and how
	 * many there were. */
	struct hs_str xff[HS_FORWARDED_MAX], fwd[HS_FORWARDED_MAX];
	unsigned nxff, nfwd;
	struct hs_str cookie;	/* the first Cookie header (tokens) */
	/* A secret: never logged (auth_basic_file; basic_auth.h). */
	struct hs_str authorization;
	bool has_authorization;
	int http_minor;
	unsigned nheaders;
	bool has_host, has_origin, has_key, has_version;
	bool upgrade_websocket;	/* Upgrade lists "websocket" */
	bool connection_upgrade;	/* Connection lists "upgrade" */
	bool offers_binary;	/* Sec-WebSocket-Protocol lists "binary" */
	bool offers_protocols;	/* any Sec-WebSocket-Protocol at all */
	/* Each instance's value, in order; nprotocols counts them all, even
	 * past the HS_PROTOCOL_FIELDS kept. */
	struct hs_str protocols[HS_PROTOCOL_FIELDS];
	unsigned nprotocols;
	bool upgrade_attempt;	/* any WebSocket header present */
	/* Message framing (RFC 9112 6): a request declares a body with
	 * either header; an upgrade request must not (see below). */
	bool has_content_length;
	unsigned long long content_length;
	bool has_transfer_encoding;
	/* Plain requests (web_root): HEAD, keep-alive, validators,
	 * codings.  A repeated If-None-Match, If-Modified-Since or
	 * Accept-Encoding keeps the first (the answer is then at worst a
	 * 200 in identity, never a wrong 304). */
	bool head;		/* method HEAD (never an upgrade) */
	bool connection_close;	/* Connection lists "close" */
	bool connection_keep_alive;	/* Connection lists "keep-alive" */
	bool has_if_none_match, has_if_modified_since, has_accept_encoding;
	struct hs_str if_none_match;
	struct hs_str if_modified_since;
	struct hs_str accept_encoding;
};

/*
 * Parse a GET or HEAD request from buf[0..len).  Returns the number of bytes
 * up to and including the blank line ending the headers, CODEC_NEED_MORE, or
 * CODEC_ERROR with *status (400, 405, 431, 505) and *why (static text for
 * logs).
 * Only the method, syntax and limits are judged here; see
 * handshake_check_upgrade() for the WebSocket rules.
 */
int handshake_parse(const char *buf, size_t len, const struct hs_limits *lim,
    struct hs_request *req, int *status, const char **why);

/*
 * RFC 6455 4.2.1 checks.  0, or -1 with *status 400/426 and *why.
 * A body is refused (400): after a 101 every byte is a WebSocket frame,
 * so a body would be read as frames by wsgate and as HTTP by a proxy in
 * front, which then disagree on where the frames start.  Content-Length:
 * 0 declares no body (RFC 9110 8.6) and is accepted; Transfer-Encoding
 * always declares one (RFC 9112 6.1).
 */
int handshake_check_upgrade(const struct hs_request *req, int *status,
    const char **why);

/* Sec-WebSocket-Accept for a key (RFC 6455 4.2.2); out gets 28 chars + NUL.
 * Returns 0, or -1 if the crypto library fails. */
int handshake_accept_key(const char *key, size_t keylen,
    char out[HS_ACCEPT_LEN + 1]);

/* Case-insensitive membership in a comma-separated token list. */
bool handshake_list_has(const char *p, size_t n, const char *token,
    bool icase);

/* Render responses into out; return the length, or 0 if size is short. */
size_t handshake_write_101(char *out, size_t size, const char *accept,
    const char *protocol);
size_t handshake_write_error(char *out, size_t size, int status,
    const char *detail);
/* The same with more header fields: extra is whole lines, each ending in
 * CRLF ("WWW-Authenticate: ...\r\n", "Retry-After: 5\r\n"). */
size_t handshake_write_error_extra(char *out, size_t size, int status,
    const char *detail, const char *extra);
size_t handshake_write_response(char *out, size_t size, int status,
    const char *content_type, size_t content_length, bool keep_alive);

const char *handshake_status_text(int status);

#endif
