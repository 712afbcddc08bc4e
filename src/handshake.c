/* handshake.c -- pure HTTP/1.1 upgrade request parser and response writer (RFC 6455 4, RFC 9112) */
#include "handshake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* RFC 9110 5.6.2 tchar */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
hs_eq(struct hs_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Find the end of the line starting at p: returns a pointer to its
 * terminator (CR of CRLF or a bare LF) or NULL if not yet complete. */
static const char *
line_end(const char *p, const char *end, size_t *termlen)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return NULL;
	if (lf > p && lf[-1] == '\r') {
		*termlen = 2;
		return lf - 1;
	}
	*termlen = 1;
	return lf;
}

bool
handshake_list_has(const char *p, size_t n, const char *token, bool icase)
{
	size_t tlen = strlen(token);
	const char *end = p + n;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma != NULL ? comma : end;
		const char *s = p;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == tlen &&
		    (icase ? strncasecmp(s, token, tlen)
			   : strncmp(s, token, tlen)) == 0)
			return true;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return false;
}

static int
parse_request_line(const char *p, const char *e, struct hs_request *req,
    int *status, const char **why)
{
	const char *sp1, *sp2, *v, *q;

	*status = 400;
	*why = "malformed request line";
	sp1 = memchr(p, ' ', (size_t)(e - p));
	if (sp1 == NULL || sp1 == p)
		return -1;
	for (const char *c = p; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return -1;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f)
			return -1;
	v = sp2 + 1;
	if (e - v != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9')
		return -1;
	req->method.p = p;
	req->method.n = (size_t)(sp1 - p);
	req->target.p = sp1 + 1;
	req->target.n = (size_t)(sp2 - sp1 - 1);
	if (v[5] != '1') {
		*status = 505;
		*why = "HTTP version not supported";
		return -1;
	}
	req->http_minor = v[7] - '0';

	/* RFC 9112 3.2: origin-form, or absolute-form (scheme://host/path). */
	q = req->target.p;
	e = q + req->target.n;
	if (*q != '/') {
		const char *scheme_end = memchr(q, ':', req->target.n);

		if (scheme_end == NULL || e - scheme_end < 3 ||
		    memcmp(scheme_end, "://", 3) != 0) {
			*why = "request target is not a path";
			return -1;
		}
		q = scheme_end + 3;
		while (q < e && *q != '/' && *q != '?')
			q++;
	}
	req->path.p = q;
	while (q < e && *q != '?' && *q != '#')
		q++;
	req->path.n = (size_t)(q - req->path.p);
	if (req->path.n == 0) {
		req->path.p = "/";
		req->path.n = 1;
	}
	return 0;
}

/*
 * RFC 9110 8.6: Content-Length = 1*DIGIT.  A list ("5, 5") or anything
 * else leaves the message length unknown, which RFC 9112 6.3 makes an
 * error for a server (400); so do two fields that disagree.
 */
static int
take_content_length(struct hs_request *req, struct hs_str value,
    const char **why)
{
	unsigned long long v = 0;

	*why = "invalid Content-Length";
	if (value.n == 0 || value.n > 18)
		return -1;
	for (size_t i = 0; i < value.n; i++) {
		if (value.p[i] < '0' || value.p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(value.p[i] - '0');
	}
	if (req->has_content_length && req->content_length != v) {
		*why = "conflicting Content-Length headers";
		return -1;
	}
	req->has_content_length = true;
	req->content_length = v;
	return 0;
}

/* Record one header field; -1 (with status and why set) if unacceptable. */
static int
take_header(struct hs_request *req, struct hs_str name, struct hs_str value,
    int *status, const char **why)
{
	*status = 400;
	if (hs_eq(name, "Host")) {
		if (req->has_host) {
			*why = "duplicate Host header";
			return -1;
		}
		req->has_host = true;
		req->host = value;
	} else if (hs_eq(name, "Origin")) {
		if (req->has_origin) {
			*why = "duplicate Origin header";
			return -1;
		}
		req->has_origin = true;
		req->origin = value;
	} else if (hs_eq(name, "Upgrade")) {
		req->upgrade_attempt = true;
		if (handshake_list_has(value.p, value.n, "websocket", true))
			req->upgrade_websocket = true;
	} else if (hs_eq(name, "Connection")) {
		if (handshake_list_has(value.p, value.n, "upgrade", true))
			req->connection_upgrade = true;
		if (handshake_list_has(value.p, value.n, "close", true))
			req->connection_close = true;
		if (handshake_list_has(value.p, value.n, "keep-alive", true))
			req->connection_keep_alive = true;
	} else if (hs_eq(name, "Sec-WebSocket-Key")) {
		req->upgrade_attempt = true;
		if (req->has_key) {
			*why = "duplicate Sec-WebSocket-Key header";
			return -1;
		}
		req->has_key = true;
		req->key = value;
	} else if (hs_eq(name, "Sec-WebSocket-Version")) {
		req->upgrade_attempt = true;
		if (req->has_version) {
			*why = "duplicate Sec-WebSocket-Version header";
			return -1;
		}
		req->has_version = true;
		req->version = value;
	} else if (hs_eq(name, "Sec-WebSocket-Protocol")) {
		req->offers_protocols = true;
		if (req->nprotocols < HS_PROTOCOL_FIELDS)
			req->protocols[req->nprotocols] = value;
		req->nprotocols++;
		if (handshake_list_has(value.p, value.n, "binary", false))
			req->offers_binary = true;
	} else if (hs_eq(name, "Authorization")) {
		/* RFC 9110 11.6.2: one credential; two would leave which one
		 * was checked to the reader. */
		if (req->has_authorization) {
			*why = "duplicate Authorization header";
			return -1;
		}
		req->has_authorization = true;
		req->authorization = value;
	} else if (hs_eq(name, "X-Forwarded-For")) {
		req->forwarded_for = value;
		if (req->nxff < HS_FORWARDED_MAX)
			req->xff[req->nxff] = value;
		req->nxff++;
	} else if (hs_eq(name, "Forwarded")) {
		if (req->nfwd < HS_FORWARDED_MAX)
			req->fwd[req->nfwd] = value;
		req->nfwd++;
	} else if (hs_eq(name, "Cookie")) {
		/* RFC 6265 5.4: one Cookie header; as websockify, the first. */
		if (req->cookie.p == NULL)
			req->cookie = value;
	} else if (hs_eq(name, "Content-Length")) {
		return take_content_length(req, value, why);
	} else if (hs_eq(name, "Transfer-Encoding")) {
		req->has_transfer_encoding = true;
	} else if (hs_eq(name, "If-None-Match")) {
		if (!req->has_if_none_match)
			req->if_none_match = value;
		req->has_if_none_match = true;
	} else if (hs_eq(name, "If-Modified-Since")) {
		if (!req->has_if_modified_since)
			req->if_modified_since = value;
		req->has_if_modified_since = true;
	} else if (hs_eq(name, "Accept-Encoding")) {
		if (!req->has_accept_encoding)
			req->accept_encoding = value;
		req->has_accept_encoding = true;
	}
	return 0;
}

int
handshake_parse(const char *buf, size_t len, const struct hs_limits *lim,
    struct hs_request *req, int *status, const char **why)
{
	const char *p = buf;
	const char *end = buf + (len < lim->max_bytes ? len : lim->max_bytes);
	const char *e;
	size_t term;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 2.2: ignore at least one empty line before the request. */
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;

	e = line_end(p, end, &term);
	if (e == NULL)
		goto incomplete;
	if (parse_request_line(p, e, req, status, why) != 0)
		return CODEC_ERROR;
	p = e + term;

	for (;;) {
		struct hs_str name, value;
		const char *colon;

		e = line_end(p, end, &term);
		if (e == NULL)
			goto incomplete;
		if (e == p) {
			p = e + term;
			break;
		}
		*status = 400;
		if (*p == ' ' || *p == '\t') {
			*why = "obsolete header line folding";
			return CODEC_ERROR;
		}
		if (++req->nheaders > lim->max_headers) {
			*status = 431;
			*why = "too many header fields";
			return CODEC_ERROR;
		}
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL || colon == p) {
			*why = "malformed header field";
			return CODEC_ERROR;
		}
		for (const char *c = p; c < colon; c++) {
			if (!is_tchar((unsigned char)*c)) {
				*why = "invalid character in header name";
				return CODEC_ERROR;
			}
		}
		name.p = p;
		name.n = (size_t)(colon - p);
		value.p = colon + 1;
		while (value.p < e && (*value.p == ' ' || *value.p == '\t'))
			value.p++;
		value.n = (size_t)(e - value.p);
		while (value.n > 0 && (value.p[value.n - 1] == ' ' ||
		    value.p[value.n - 1] == '\t'))
			value.n--;
		for (size_t i = 0; i < value.n; i++) {
			unsigned char c = (unsigned char)value.p[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				*why = "control character in header value";
				return CODEC_ERROR;
			}
		}
		if (take_header(req, name, value, status, why) != 0)
			return CODEC_ERROR;
		p = e + term;
	}

	/* RFC 9112 6.3: both is a smuggling attempt more often than not. */
	if (req->has_transfer_encoding && req->has_content_length) {
		*status = 400;
		*why = "both Transfer-Encoding and Content-Length";
		return CODEC_ERROR;
	}
	/* RFC 9110 9.1: the method token is case-sensitive. */
	req->head = req->method.n == 4 && memcmp(req->method.p, "HEAD", 4) == 0;
	if (!req->head &&
	    (req->method.n != 3 || memcmp(req->method.p, "GET", 3) != 0)) {
		*status = 405;
		*why = "method not allowed";
		return CODEC_ERROR;
	}
	return (int)(p - buf);

incomplete:
	if (len >= lim->max_bytes) {
		*status = 431;
		*why = "request header too large";
		return CODEC_ERROR;
	}
	return CODEC_NEED_MORE;
}

static bool
key_valid(struct hs_str key)
{
	unsigned char raw[18];
	char tmp[25];

	/* 16 random bytes in base64 are 24 chars ending in "==". */
	if (key.n != 24 || key.p[22] != '=' || key.p[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++) {
		unsigned char c = (unsigned char)key.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	memcpy(tmp, key.p, 24);
	tmp[24] = '\0';
	return EVP_DecodeBlock(raw, (const unsigned char *)tmp, 24) == 18;
}

int
handshake_check_upgrade(const struct hs_request *req, int *status,
    const char **why)
{
	*status = 400;
	if (req->head) {
		/* RFC 6455 4.1: the opening handshake is a GET. */
		*status = 405;
		*why = "a WebSocket upgrade must be a GET";
		return -1;
	}
	if (req->http_minor < 1) {
		*why = "WebSocket requires HTTP/1.1";
		return -1;
	}
	if (req->has_transfer_encoding ||
	    (req->has_content_length && req->content_length > 0)) {
		*why = "an upgrade request must not have a body";
		return -1;
	}
	if (!req->has_host) {
		*why = "missing Host header";
		return -1;
	}
	if (!req->upgrade_websocket) {
		*why = "missing \"Upgrade: websocket\"";
		return -1;
	}
	if (!req->connection_upgrade) {
		*why = "missing \"Connection: Upgrade\"";
		return -1;
	}
	if (!req->has_version || req->version.n != 2 ||
	    memcmp(req->version.p, "13", 2) != 0) {
		*status = 426;
		*why = "unsupported Sec-WebSocket-Version (want 13)";
		return -1;
	}
	if (!req->has_key || !key_valid(req->key)) {
		*why = "missing or invalid Sec-WebSocket-Key";
		return -1;
	}
	return 0;
}

int
handshake_accept_key(const char *key, size_t keylen,
    char out[HS_ACCEPT_LEN + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key, keylen) == 1 &&
	    EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) == 1 &&
	    EVP_DigestFinal_ex(ctx, digest, &dlen) == 1 && dlen == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, digest, 20) ==
	    HS_ACCEPT_LEN ? 0 : -1;
}

const char *
handshake_status_text(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 421: return "Misdirected Request";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static size_t
fit(int n, size_t size)
{
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t
handshake_write_101(char *out, size_t size, const char *accept,
    const char *protocol)
{
	int n = snprintf(out, size,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n"
	    "%s%s%s"
	    "\r\n",
	    accept,
	    protocol != NULL ? "Sec-WebSocket-Protocol: " : "",
	    protocol != NULL ? protocol : "",
	    protocol != NULL ? "\r\n" : "");

	return fit(n, size);
}

size_t
handshake_write_response(char *out, size_t size, int status,
    const char *content_type, size_t content_length, bool keep_alive)
{
	int n = snprintf(out, size,
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s"
	    "%s"
	    "%s"
	    "\r\n",
	    status, handshake_status_text(status), content_type,
	    content_length,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "",
	    status == 426 ? "Sec-WebSocket-Version: 13\r\n"
			    "Upgrade: websocket\r\n" : "",
	    keep_alive ? "" : "Connection: close\r\n");

	return fit(n, size);
}

size_t
handshake_write_error(char *out, size_t size, int status, const char *detail)
{
	return handshake_write_error_extra(out, size, status, detail, "");
}

size_t
handshake_write_error_extra(char *out, size_t size, int status,
    const char *detail, const char *extra)
{
	size_t elen;
	char body[256];
	int blen = snprintf(body, sizeof(body), "%d %s%s%s\n", status,
	    handshake_status_text(status), detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	size_t hlen;

	if (blen < 0 || (size_t)blen >= sizeof(body))
		blen = (int)strlen(body);
	hlen = handshake_write_response(out, size, status,
	    "text/plain; charset=utf-8", (size_t)blen, false);
	elen = strlen(extra);
	if (hlen == 0 || hlen + elen + (size_t)blen >= size)
		return 0;
	/* Before the blank line that ends the header. */
	memcpy(out + hlen - 2, extra, elen);
	memcpy(out + hlen - 2 + elen, "\r\n", 2);
	hlen += elen;
	memcpy(out + hlen, body, (size_t)blen);
	return hlen + (size_t)blen;
}
