/* test_handshake.c -- unit tests for the HTTP/1.1 upgrade parser, accept key and responses */
#include "handshake.h"
#include "testlib.h"

static const struct hs_limits lim = { 8192, 64 };

/* What Chrome sends, plus the pipelined first frame in the same read. */
static const char chrome[] =
    "GET /chat?room=1&x=%20 HTTP/1.1\r\n"
    "Host: example.com:8080\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://example.com:8080\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; "
    "client_max_window_bits\r\n"
    "Sec-WebSocket-Protocol: chat, binary\r\n"
    "X-Forwarded-For: 192.0.2.1, 198.51.100.7\r\n"
    "\r\n";
static const char pipelined[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d"
    "\x51\x58";

static bool
hs_is(struct hs_str s, const char *lit)
{
	return s.p != NULL && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

#define CHECK_HS(s, lit)                                                      \
	do {                                                                  \
		if (!hs_is((s), (lit))) {                                     \
			fprintf(stderr, "    %s is \"%.*s\", want \"%s\"\n", \
			    #s, (int)(s).n, (s).p ? (s).p : "", (lit));       \
			CHECK(0);                                             \
		}                                                             \
	} while (0)

static int
parse(const char *buf, size_t len, const struct hs_limits *l,
    struct hs_request *req, int *status, const char **why)
{
	*status = 0;
	*why = NULL;
	return handshake_parse(buf, len, l, req, status, why);
}

/* Parse a NUL-terminated request: bytes used, CODEC_NEED_MORE, or the
 * error status. */
static int
parse_s(const char *s, const struct hs_limits *l, struct hs_request *req)
{
	const char *why;
	int status;
	int n = parse(s, strlen(s), l, req, &status, &why);

	return n == CODEC_ERROR ? status : n;
}

/* Parse a whole request and run the RFC 6455 4.2.1 checks; returns the
 * HTTP status the gateway would answer with (101 when acceptable). */
static int
verdict(const char *text)
{
	struct hs_request req;
	const char *why;
	int status;
	int n = parse(text, strlen(text), &lim, &req, &status, &why);

	if (n == CODEC_NEED_MORE)
		return -1;
	if (n == CODEC_ERROR) {
		CHECK(why != NULL && why[0] != '\0');
		return status;
	}
	CHECK_INT(n, strlen(text));
	if (handshake_check_upgrade(&req, &status, &why) != 0) {
		CHECK(why != NULL && why[0] != '\0');
		return status;
	}
	return 101;
}

/* RFC 6455 1.3 / 4.2.2 */
static void
test_accept_key(void)
{
	char out[HS_ACCEPT_LEN + 1];

	memset(out, 'x', sizeof(out));
	CHECK_INT(handshake_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out), 0);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK_INT(handshake_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", 24, out), 0);
	CHECK_STR(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
	/* keylen counts, not the NUL */
	CHECK_INT(handshake_accept_key("dGhlIHNhbXBsZSBub25jZQ==junk", 24,
	    out), 0);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

/* Every X-Forwarded-For and Forwarded field is kept in order (the first
 * HS_FORWARDED_MAX), and counted beyond. */
static void
test_forwarded_fields(void)
{
	char text[2048];
	struct hs_request req;
	const char *why;
	int status, n = 0;

	n += snprintf(text + n, sizeof(text) - (size_t)n, "GET / HTTP/1.1\r\n"
	    "Host: x\r\nX-Forwarded-For: 192.0.2.1\r\n"
	    "Forwarded: for=192.0.2.2\r\nx-forwarded-for: 10.0.0.1\r\n");
	for (int i = 0; i < HS_FORWARDED_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "FORWARDED: for=10.0.0.%d\r\n", i);
	n += snprintf(text + n, sizeof(text) - (size_t)n, "\r\n");
	CHECK(handshake_parse(text, (size_t)n, &lim, &req, &status, &why) ==
	    n);
	CHECK_INT(req.nxff, 2);
	CHECK_HS(req.xff[0], "192.0.2.1");
	CHECK_HS(req.xff[1], "10.0.0.1");
	CHECK_HS(req.forwarded_for, "10.0.0.1");
	CHECK_INT(req.nfwd, HS_FORWARDED_MAX + 1);
	CHECK_HS(req.fwd[0], "for=192.0.2.2");
	CHECK_HS(req.fwd[HS_FORWARDED_MAX - 1], "for=10.0.0.6");
}

/* Every status the gateway answers has its reason phrase. */
static void
test_status_texts(void)
{
	CHECK_STR(handshake_status_text(429), "Too Many Requests");
	CHECK_STR(handshake_status_text(426), "Upgrade Required");
}

static void
check_chrome_fields(const struct hs_request *req)
{
	CHECK_HS(req->method, "GET");
	CHECK_HS(req->target, "/chat?room=1&x=%20");
	CHECK_HS(req->path, "/chat");
	CHECK_HS(req->host, "example.com:8080");
	CHECK_HS(req->origin, "http://example.com:8080");
	CHECK_HS(req->key, "dGhlIHNhbXBsZSBub25jZQ==");
	CHECK_HS(req->version, "13");
	CHECK_HS(req->forwarded_for, "192.0.2.1, 198.51.100.7");
	CHECK_INT(req->nxff, 1);
	CHECK_HS(req->xff[0], "192.0.2.1, 198.51.100.7");
	CHECK_INT(req->nfwd, 0);
	CHECK_INT(req->http_minor, 1);
	CHECK_INT(req->nheaders, 14);
	CHECK(req->has_host && req->has_origin && req->has_key &&
	    req->has_version);
	CHECK(req->upgrade_websocket && req->connection_upgrade);
	CHECK(req->offers_binary && req->offers_protocols);
	CHECK(req->upgrade_attempt);
}

static void
test_chrome_whole_and_bytewise(void)
{
	size_t hlen = strlen(chrome);
	char *buf = malloc(hlen + sizeof(pipelined));
	struct hs_request req;
	const char *why;
	int status;

	if (buf == NULL) {
		CHECK(0);
		return;
	}
	memcpy(buf, chrome, hlen);
	memcpy(buf + hlen, pipelined, sizeof(pipelined) - 1);

	CHECK_INT(parse(buf, hlen, &lim, &req, &status, &why), hlen);
	check_chrome_fields(&req);
	CHECK_INT(handshake_check_upgrade(&req, &status, &why), 0);

	/* Pipelined frame bytes are not consumed. */
	for (size_t extra = 1; extra < sizeof(pipelined); extra++)
		CHECK_INT(parse(buf, hlen + extra, &lim, &req, &status, &why),
		    hlen);
	check_chrome_fields(&req);

	/* Every prefix wants more.  The prefix sits at the end of a heap
	 * block so ASan catches a look past len. */
	for (size_t k = 0; k < hlen; k++) {
		char *p = malloc(k + 1);
		int n;

		if (p == NULL)
			break;
		memcpy(p, chrome, k);
		n = parse(p, k, &lim, &req, &status, &why);
		free(p);
		if (n != CODEC_NEED_MORE) {
			fprintf(stderr, "    prefix %zu: %d (%d %s)\n", k, n,
			    status, why ? why : "");
			CHECK(0);
			break;
		}
	}
	free(buf);
}

static void
test_bare_lf(void)
{
	static const char lf[] =
	    "GET /chat HTTP/1.1\n"
	    "Host: h\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\n"
	    "Sec-WebSocket-Version: 13\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
	    "\n";
	size_t len = strlen(lf);
	struct hs_request req;
	const char *why;
	int status;

	CHECK_INT(parse(lf, len, &lim, &req, &status, &why), len);
	CHECK_HS(req.host, "h");
	CHECK_HS(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
	CHECK_INT(req.nheaders, 5);
	CHECK_INT(verdict(lf), 101);
	for (size_t k = 0; k < len; k++)
		CHECK_INT(parse(lf, k, &lim, &req, &status, &why),
		    CODEC_NEED_MORE);
	/* A blank line of "\n" after CRLF headers ends them too. */
	CHECK_INT(verdict("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost: h\r\n\nrest", 30, &lim, &req,
	    &status, &why), 26);
	/* RFC 9112 2.2: an empty line before the request is skipped. */
	CHECK_INT(parse("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 29, &lim,
	    &req, &status, &why), 29);
	CHECK_HS(req.path, "/");
	CHECK_INT(parse("\nGET / HTTP/1.1\r\n\r\n", 19, &lim, &req, &status,
	    &why), 19);
}

static void
test_targets(void)
{
	static const struct {
		const char *target, *path;
	} cases[] = {
		{ "/", "/" },
		{ "/chat", "/chat" },
		{ "/chat?x=1", "/chat" },
		{ "/chat?", "/chat" },
		{ "/?x", "/" },
		{ "/a/b/c?d/e", "/a/b/c" },
		{ "/chat#frag", "/chat" },
		{ "/chat?q#f", "/chat" },
		{ "//double", "//double" },
		{ "/%2e%2e/", "/%2e%2e/" },
		/* RFC 9112 3.2.2 absolute-form */
		{ "ws://example.com/chat?x", "/chat" },
		{ "http://example.com:8080/a/b", "/a/b" },
		{ "https://example.com", "/" },
		{ "http://example.com?q", "/" },
		{ "wss://[::1]:8443/x", "/x" },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hs_request req;
		const char *why;
		int status, n;

		snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n",
		    cases[i].target);
		n = parse(buf, strlen(buf), &lim, &req, &status, &why);
		CHECK_INT(n, strlen(buf));
		if (n > 0) {
			CHECK_HS(req.target, cases[i].target);
			CHECK_HS(req.path, cases[i].path);
			CHECK(!req.upgrade_attempt);
		}
	}
	/* Neither origin-form nor absolute-form. */
	CHECK_INT(verdict("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
	CHECK_INT(verdict("GET chat HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
	CHECK_INT(verdict("GET ws:/x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

static void
test_methods_and_versions(void)
{
	struct hs_request req;
	const char *why;
	int status;

	CHECK_INT(verdict("POST /chat HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
	CHECK_INT(verdict("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
	{
		/* HEAD parses (a plain request), but never upgrades. */
		const char *t = "HEAD /a.js HTTP/1.1\r\nHost: h\r\n"
		    "Connection: keep-alive, close\r\n"
		    "If-None-Match: \"x\"\r\nIf-None-Match: \"y\"\r\n"
		    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		    "Accept-Encoding: gzip, br\r\n\r\n";

		CHECK_INT(parse(t, strlen(t), &lim, &req, &status, &why),
		    strlen(t));
		CHECK(req.head);
		CHECK(req.connection_close && req.connection_keep_alive);
		CHECK(req.has_if_none_match && req.has_if_modified_since &&
		    req.has_accept_encoding);
		CHECK_HS(req.if_none_match, "\"x\"");
		CHECK_HS(req.if_modified_since,
		    "Sun, 06 Nov 1994 08:49:37 GMT");
		CHECK_HS(req.accept_encoding, "gzip, br");
		t = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
		CHECK_INT(parse(t, strlen(t), &lim, &req, &status, &why),
		    strlen(t));
		CHECK(!req.head && !req.connection_close &&
		    !req.has_if_none_match && !req.has_accept_encoding);
	}
	CHECK_INT(verdict("PUT / HTTP/1.1\r\n\r\n"), 405);
	/* RFC 9110 9.1: the method is case-sensitive. */
	CHECK_INT(verdict("get / HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
	CHECK_INT(verdict("Get / HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
	/* The method is judged once the headers are complete. */
	CHECK_INT(parse_s("POST / HTTP/1.1\r\nHost: h\r\n", &lim, &req),
	    CODEC_NEED_MORE);

	CHECK_INT(parse("GET / HTTP/1.0\r\n\r\n", 18, &lim, &req, &status,
	    &why), 18);
	CHECK_INT(req.http_minor, 0);
	CHECK_INT(verdict("GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), 400);
	CHECK_INT(verdict("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
	CHECK_INT(verdict("GET / HTTP/0.9\r\n\r\n"), 505);
	CHECK_INT(verdict("GET / HTTP/3.0\r\n\r\n"), 505);

	/* Malformed request lines */
	CHECK_INT(verdict("GET / HTTP/1.1x\r\n\r\n"), 400);
	CHECK_INT(verdict("GET / HTTP/1\r\n\r\n"), 400);
	CHECK_INT(verdict("GET / http/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict("GET / HTTP/a.1\r\n\r\n"), 400);
	CHECK_INT(verdict("GET /\r\n\r\n"), 400);
	CHECK_INT(verdict("GET  / HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict(" GET / HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict("GET / HTTP/1.1 \r\n\r\n"), 400);
	CHECK_INT(verdict("G(T / HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict("GET /a\x01 HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict("GET /a\x7f HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(verdict("\r\n"), -1);
}

/* A valid upgrade with one header line replaced (or dropped if NULL). */
static const char *const base_headers[] = {
	"Host: example.com",
	"Upgrade: websocket",
	"Connection: Upgrade",
	"Sec-WebSocket-Version: 13",
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
	"Origin: http://example.com",
};
enum { H_HOST, H_UPGRADE, H_CONNECTION, H_VERSION, H_KEY, H_ORIGIN, H_N };

static int
verdict_with(int which, const char *line)
{
	char buf[2048];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET /ws HTTP/1.1\r\n");

	for (int i = 0; i < H_N; i++) {
		const char *h = i == which ? line : base_headers[i];

		if (h != NULL)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "%s\r\n", h);
	}
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	return verdict(buf);
}

static void
test_required_headers(void)
{
	CHECK_INT(verdict_with(-1, NULL), 101);
	CHECK_INT(verdict_with(H_HOST, NULL), 400);
	CHECK_INT(verdict_with(H_UPGRADE, NULL), 400);
	CHECK_INT(verdict_with(H_CONNECTION, NULL), 400);
	CHECK_INT(verdict_with(H_ORIGIN, NULL), 101);	/* route decides */
	CHECK_INT(verdict_with(H_VERSION, NULL), 426);
	CHECK_INT(verdict_with(H_KEY, NULL), 400);

	/* Upgrade and Connection are token lists, case-insensitive. */
	CHECK_INT(verdict_with(H_UPGRADE, "Upgrade: WebSocket"), 101);
	CHECK_INT(verdict_with(H_UPGRADE, "upgrade: WEBSOCKET"), 101);
	CHECK_INT(verdict_with(H_UPGRADE, "Upgrade: h2c, websocket"), 101);
	CHECK_INT(verdict_with(H_UPGRADE, "Upgrade: h2c"), 400);
	CHECK_INT(verdict_with(H_UPGRADE, "Upgrade: websockets"), 400);
	CHECK_INT(verdict_with(H_UPGRADE, "Upgrade:"), 400);
	CHECK_INT(verdict_with(H_CONNECTION, "Connection: keep-alive, Upgrade"),
	    101);
	CHECK_INT(verdict_with(H_CONNECTION, "Connection: keep-alive,upgrade"),
	    101);
	CHECK_INT(verdict_with(H_CONNECTION, "connection: UPGRADE"), 101);
	CHECK_INT(verdict_with(H_CONNECTION, "CONNECTION:\tUpgrade\t"), 101);
	CHECK_INT(verdict_with(H_CONNECTION, "Connection: Upgrade , close"),
	    101);
	CHECK_INT(verdict_with(H_CONNECTION, "Connection: keep-alive"), 400);
	CHECK_INT(verdict_with(H_CONNECTION, "Connection: Upgraded"), 400);
	CHECK_INT(verdict_with(H_CONNECTION, "Connection: keep-alive Upgrade"),
	    400);

	/* RFC 6455 4.2.2: 426 with the version we speak. */
	CHECK_INT(verdict_with(H_VERSION, "Sec-WebSocket-Version: 8"), 426);
	CHECK_INT(verdict_with(H_VERSION, "Sec-WebSocket-Version: 7"), 426);
	CHECK_INT(verdict_with(H_VERSION, "Sec-WebSocket-Version: 013"), 426);
	CHECK_INT(verdict_with(H_VERSION, "Sec-WebSocket-Version: 13, 8"),
	    426);
	CHECK_INT(verdict_with(H_VERSION, "Sec-WebSocket-Version:"), 426);
	CHECK_INT(verdict_with(H_VERSION, "sec-websocket-version:  13 "), 101);
}

/* The 400 an extra header line gets, and why. */
static void
check_body_refused(const char *line, const char *want_why, bool in_parse)
{
	char buf[1024];
	struct hs_request req;
	const char *why = NULL;
	int status = 0;
	int n;

	snprintf(buf, sizeof(buf), "GET /ws HTTP/1.1\r\n%s\r\n%s\r\n%s\r\n"
	    "%s\r\n%s\r\n%s\r\n\r\nhello", base_headers[H_HOST],
	    base_headers[H_UPGRADE], base_headers[H_CONNECTION],
	    base_headers[H_VERSION], base_headers[H_KEY], line);
	n = parse(buf, strlen(buf), &lim, &req, &status, &why);
	if (in_parse) {
		CHECK_INT(n, CODEC_ERROR);
	} else {
		/* The headers end before the body: "hello" is not used. */
		CHECK_INT(n, strlen(buf) - 5);
		CHECK_INT(handshake_check_upgrade(&req, &status, &why), -1);
	}
	CHECK_INT(status, 400);
	if (why == NULL || strcmp(why, want_why) != 0) {
		fprintf(stderr, "    \"%s\": why \"%s\", want \"%s\"\n", line,
		    why != NULL ? why : "(null)", want_why);
		CHECK(0);
	}
}

/*
 * After a 101 every byte is a frame: a request that declares a body would
 * be framed one way by wsgate and another by a proxy in front.  RFC 9110
 * 8.6: Content-Length: 0 is no body.  RFC 9112 6.3: a Content-Length that
 * is not one number is an error for any request.
 */
static void
test_body(void)
{
	static const char nobody[] = "an upgrade request must not have a body";
	static const char invalid[] = "invalid Content-Length";
	struct hs_request req;

	CHECK_INT(verdict_with(H_ORIGIN, "Content-Length: 0"), 101);
	CHECK_INT(verdict_with(H_ORIGIN, "content-length:  000 "), 101);
	CHECK_INT(verdict("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket"
	    "\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	    "Content-Length: 0\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
	    "\r\nContent-Length: 0\r\n\r\n"), 101);

	check_body_refused("Content-Length: 5", nobody, false);
	check_body_refused("Content-Length: 1", nobody, false);
	check_body_refused("Content-Length: 999999999999999999", nobody,
	    false);
	check_body_refused("Transfer-Encoding: chunked", nobody, false);
	check_body_refused("transfer-encoding: identity", nobody, false);
	check_body_refused("Transfer-Encoding:", nobody, false);

	check_body_refused("Content-Length: 5, 5", invalid, true);
	check_body_refused("Content-Length: -1", invalid, true);
	check_body_refused("Content-Length: +5", invalid, true);
	check_body_refused("Content-Length: 0x5", invalid, true);
	check_body_refused("Content-Length: 1 2", invalid, true);
	check_body_refused("Content-Length:", invalid, true);
	check_body_refused("Content-Length: 1000000000000000000", invalid,
	    true);
	check_body_refused("Content-Length: 0\r\nContent-Length: 5",
	    "conflicting Content-Length headers", true);
	check_body_refused("Transfer-Encoding: chunked\r\nContent-Length: 0",
	    "both Transfer-Encoding and Content-Length", true);
	check_body_refused("Content-Length: 5\r\nTransfer-Encoding: chunked",
	    "both Transfer-Encoding and Content-Length", true);

	/* A plain GET may declare one: the answer closes the connection,
	 * so nothing is framed after it. */
	CHECK_INT(parse_s("GET /index.html HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nhello", &lim, &req), 56);
	CHECK(req.has_content_length && req.content_length == 5);
	CHECK(!req.has_transfer_encoding && !req.upgrade_attempt);
	CHECK_INT(parse_s("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n", &lim, &req), 55);
	CHECK(req.has_transfer_encoding && !req.has_content_length);
}

static void
test_bad_keys(void)
{
	static const char *const bad[] = {
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQAA",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ===",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2-jZQ==",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2_jZQ==",
		"Sec-WebSocket-Key: dGhlIHNhbXBs ZSBub25jZQ==",
		"Sec-WebSocket-Key: ",
		"Sec-WebSocket-Key: x",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25j"
		"ZQ==",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (verdict_with(H_KEY, bad[i]) != 400) {
			fprintf(stderr, "    %s\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_INT(verdict_with(H_KEY, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="),
	    101);
	CHECK_INT(verdict_with(H_KEY, "sec-websocket-key: +/+/+/+/+/+/+/+/+/+/+w=="),
	    101);
}

static int
verdict_extra(const char *extra)
{
	char buf[2048];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET /ws HTTP/1.1\r\n");

	for (int i = 0; i < H_N; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\r\n",
		    base_headers[i]);
	snprintf(buf + n, sizeof(buf) - n, "%s\r\n", extra);
	return verdict(buf);
}

static void
test_header_syntax(void)
{
	/* Duplicates of single-valued fields */
	CHECK_INT(verdict_extra("Host: other.example\r\n"), 400);
	CHECK_INT(verdict_extra("host: example.com\r\n"), 400);
	CHECK_INT(verdict_extra("Origin: http://evil.example\r\n"), 400);
	CHECK_INT(verdict_extra("Sec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\n"), 400);
	CHECK_INT(verdict_extra("Sec-WebSocket-Version: 13\r\n"), 400);
	/* Repeatable ones are fine. */
	CHECK_INT(verdict_extra("Connection: keep-alive\r\n"), 101);
	CHECK_INT(verdict_extra("Accept: */*\r\nAccept: text/html\r\n"), 101);

	/* RFC 9112 5.2: obs-fold is rejected. */
	CHECK_INT(verdict_extra("X-Long: a\r\n b\r\n"), 400);
	CHECK_INT(verdict_extra("X-Long: a\r\n\tb\r\n"), 400);
	CHECK_INT(verdict("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), 400);
	/* RFC 9112 5.1: no whitespace between name and colon. */
	CHECK_INT(verdict_extra("X-Bad : v\r\n"), 400);
	CHECK_INT(verdict_extra("X-Bad\t: v\r\n"), 400);
	CHECK_INT(verdict("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
	/* Names are tokens, values have no control characters. */
	CHECK_INT(verdict_extra("X(Bad): v\r\n"), 400);
	CHECK_INT(verdict_extra(": v\r\n"), 400);
	CHECK_INT(verdict_extra("NoColon\r\n"), 400);
	CHECK_INT(verdict_extra("X-Ctl: a\x01" "b\r\n"), 400);
	CHECK_INT(verdict_extra("X-Ctl: a\x7f" "b\r\n"), 400);
	CHECK_INT(verdict_extra("X-Ctl: a\x1b[31m\r\n"), 400);
	CHECK_INT(verdict_extra("X-Ctl: a\rb\r\n"), 400);
	CHECK_INT(verdict_extra("X-Tab: a\tb\r\n"), 101);
	CHECK_INT(verdict_extra("X-Utf8: caf\xc3\xa9\r\n"), 101);
	CHECK_INT(verdict_extra("X-Empty:\r\n"), 101);

	/* A NUL inside a value (strlen-based helpers would stop there). */
	{
		static const char req[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
		struct hs_request r;
		const char *why;
		int status;

		CHECK_INT(parse(req, sizeof(req) - 1, &lim, &r, &status, &why),
		    CODEC_ERROR);
		CHECK_INT(status, 400);
	}
}

static void
test_limits(void)
{
	struct hs_limits small = { 256, 64 };
	struct hs_limits few = { 8192, 3 };
	char buf[600];
	struct hs_request req;
	const char *why;
	int status;
	size_t n;

	/* A request of exactly max_bytes is fine, one byte more is not. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX: ");
	memset(buf + n, 'a', 256 - n - 4);
	memcpy(buf + 256 - 4, "\r\n\r\n", 5);
	CHECK_INT(strlen(buf), 256);
	CHECK_INT(parse(buf, 256, &small, &req, &status, &why), 256);
	CHECK_INT(parse(buf, 255, &small, &req, &status, &why), CODEC_NEED_MORE);
	/* One more byte in the value: complete in the buffer, still 431. */
	memset(buf + n, 'a', 256 - n - 3);
	memcpy(buf + 256 - 3, "\r\n\r\n", 5);
	CHECK_INT(parse(buf, 257, &small, &req, &status, &why), CODEC_ERROR);
	CHECK_INT(status, 431);
	/* Incomplete at the limit. */
	CHECK_INT(parse(buf, 256, &small, &req, &status, &why), CODEC_ERROR);
	CHECK_INT(status, 431);
	CHECK_INT(parse(buf, 255, &small, &req, &status, &why), CODEC_NEED_MORE);
	/* A request line alone longer than the limit. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	CHECK_INT(parse(buf, sizeof(buf), &small, &req, &status, &why),
	    CODEC_ERROR);
	CHECK_INT(status, 431);

	/* Header count */
	CHECK_INT(parse_s("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
	    &few, &req), 36);
	CHECK_INT(req.nheaders, 3);
	CHECK_INT(parse_s("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"
	    "\r\n", &few, &req), 431);
	/* ... known as soon as the extra line is complete. */
	CHECK_INT(parse_s("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n",
	    &few, &req), 431);
}

/* Tokens may come in a cookie: the first Cookie header is kept. */
static void
test_cookie(void)
{
	static const char one[] = "GET / HTTP/1.1\r\nHost: h\r\n"
	    "cookie: a=1; token=t1\r\nCookie: token=t2\r\n\r\n";
	static const char none[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	struct hs_request req;

	CHECK_INT(parse_s(one, &lim, &req), (int)strlen(one));
	CHECK_HS(req.cookie, "a=1; token=t1");
	CHECK_INT(parse_s(none, &lim, &req), (int)strlen(none));
	CHECK(req.cookie.p == NULL);
}

static void
test_subprotocols(void)
{
	struct hs_request req;
	const char *why;
	int status;
	static const struct {
		const char *hdrs;
		bool offers, binary;
	} cases[] = {
		{ "", false, false },
		{ "Sec-WebSocket-Protocol: binary\r\n", true, true },
		{ "Sec-WebSocket-Protocol: chat, binary\r\n", true, true },
		{ "Sec-WebSocket-Protocol: binary , base64\r\n", true, true },
		{ "Sec-WebSocket-Protocol: chat\r\n"
		  "Sec-WebSocket-Protocol: binary\r\n", true, true },
		{ "Sec-WebSocket-Protocol: Binary\r\n", true, false },
		{ "Sec-WebSocket-Protocol: BINARY, chat\r\n", true, false },
		{ "Sec-WebSocket-Protocol: binaryx\r\n", true, false },
		{ "Sec-WebSocket-Protocol: base64\r\n", true, false },
		{ "Sec-WebSocket-Protocol:\r\n", true, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[512];

		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n",
		    cases[i].hdrs);
		CHECK_INT(parse(buf, strlen(buf), &lim, &req, &status, &why),
		    strlen(buf));
		CHECK(req.offers_protocols == cases[i].offers);
		CHECK(req.offers_binary == cases[i].binary);
	}

	/* Authorization: kept as a view; two are refused. */
	{
		static const char one[] = "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Authorization: Basic YTpi\r\n\r\n";
		static const char two[] = "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Authorization: Basic YTpi\r\nauthorization: x\r\n\r\n";

		CHECK_INT(parse(one, strlen(one), &lim, &req, &status, &why),
		    strlen(one));
		CHECK(req.has_authorization && req.authorization.n == 10 &&
		    memcmp(req.authorization.p, "Basic YTpi", 10) == 0);
		CHECK_INT(parse(two, strlen(two), &lim, &req, &status, &why),
		    CODEC_ERROR);
		CHECK_INT(status, 400);
		CHECK_STR(why, "duplicate Authorization header");
	}

	/* Every instance is kept, in order, for subproto_select; more than
	 * HS_PROTOCOL_FIELDS are counted, not kept. */
	{
		char buf[2048] = "GET / HTTP/1.1\r\nHost: h\r\n";

		for (int i = 0; i < HS_PROTOCOL_FIELDS + 2; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "Sec-WebSocket-Protocol: p%d\r\n", i);
		strcat(buf, "\r\n");
		CHECK_INT(parse(buf, strlen(buf), &lim, &req, &status, &why),
		    strlen(buf));
		CHECK_INT(req.nprotocols, HS_PROTOCOL_FIELDS + 2);
		CHECK(req.protocols[0].n == 2 &&
		    memcmp(req.protocols[0].p, "p0", 2) == 0);
		CHECK(req.protocols[HS_PROTOCOL_FIELDS - 1].n == 3 &&
		    memcmp(req.protocols[HS_PROTOCOL_FIELDS - 1].p, "p15",
		    3) == 0);
	}
}

static void
test_list_has(void)
{
	CHECK(handshake_list_has("a, b, c", 7, "b", false));
	CHECK(handshake_list_has("a,b,c", 5, "c", false));
	CHECK(handshake_list_has("  a  ", 5, "a", false));
	CHECK(handshake_list_has("x,,a,", 5, "a", false));
	CHECK(!handshake_list_has("", 0, "a", false));
	CHECK(!handshake_list_has("ab", 2, "a", false));
	CHECK(!handshake_list_has("a b", 3, "a", false));
	CHECK(!handshake_list_has("A", 1, "a", false));
	CHECK(handshake_list_has("A", 1, "a", true));
	/* Only n bytes count. */
	CHECK(!handshake_list_has("b, a", 2, "a", false));
	CHECK(handshake_list_has("a, b", 1, "a", false));
}

static void
test_write_101(void)
{
	char out[512];
	size_t n;

	n = handshake_write_101(out, sizeof(out),
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NULL);
	CHECK_STR(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "\r\n");
	CHECK_INT(n, strlen(out));
	n = handshake_write_101(out, sizeof(out),
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "binary");
	CHECK_STR(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Protocol: binary\r\n"
	    "\r\n");
	CHECK_INT(n, strlen(out));
	/* Too small: 0, never a cut response. */
	CHECK_INT(handshake_write_101(out, n, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
	    "binary"), 0);
	CHECK_INT(handshake_write_101(out, n + 1,
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "binary"), n);
}

/* The response head must announce exactly the body that follows. */
static void
check_error_response(const char *out, size_t n, int status)
{
	const char *body = strstr(out, "\r\n\r\n");
	const char *cl = strstr(out, "Content-Length: ");
	char line[64];

	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
	    handshake_status_text(status));
	CHECK(strncmp(out, line, strlen(line)) == 0);
	CHECK_INT(strlen(out), n);
	CHECK(body != NULL && cl != NULL && cl < body);
	if (body != NULL && cl != NULL)
		CHECK_INT(strtoul(cl + 16, NULL, 10), n - (size_t)(body + 4 - out));
	CHECK(strstr(out, "Connection: close\r\n") != NULL);
}

static void
test_write_error(void)
{
	char out[1024];
	size_t n;

	n = handshake_write_error(out, sizeof(out), 426, "want version 13");
	out[n] = '\0';
	check_error_response(out, n, 426);
	CHECK(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
	CHECK(strstr(out, "\r\n\r\n426 Upgrade Required: want version 13\n")
	    != NULL);
	CHECK(strstr(out, "Allow:") == NULL);

	n = handshake_write_error(out, sizeof(out), 405, NULL);
	out[n] = '\0';
	check_error_response(out, n, 405);
	CHECK(strstr(out, "\r\nAllow: GET, HEAD\r\n") != NULL);
	CHECK(strstr(out, "Sec-WebSocket-Version") == NULL);
	CHECK(strstr(out, "\r\n\r\n405 Method Not Allowed\n") != NULL);

	/* Extra header lines go before the blank line (401, 429). */
	n = handshake_write_error_extra(out, sizeof(out), 401, "log in",
	    "WWW-Authenticate: Basic realm=\"r\"\r\n");
	out[n] = '\0';
	check_error_response(out, n, 401);
	CHECK(strstr(out, "HTTP/1.1 401 Unauthorized\r\n") == out);
	CHECK(strstr(out, "\r\nWWW-Authenticate: Basic realm=\"r\"\r\n\r\n"
	    "401 Unauthorized: log in\n") != NULL);
	n = handshake_write_error_extra(out, sizeof(out), 429, NULL,
	    "Retry-After: 6\r\n");
	out[n] = '\0';
	check_error_response(out, n, 429);
	CHECK(strstr(out, "\r\nRetry-After: 6\r\n\r\n429 Too Many "
	    "Requests\n") != NULL);
	/* Too small a buffer: nothing. */
	CHECK_INT(handshake_write_error_extra(out, 180, 429, NULL,
	    "Retry-After: 6\r\n"), 0);

	static const int statuses[] = { 400, 403, 404, 431, 500, 502, 503,
		504, 505, 599 };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		n = handshake_write_error(out, sizeof(out), statuses[i], "x");
		CHECK(n > 0);
		out[n] = '\0';
		check_error_response(out, n, statuses[i]);
		CHECK(strstr(out, "Allow:") == NULL);
		CHECK(strstr(out, "Sec-WebSocket-Version") == NULL);
	}
	CHECK_STR(handshake_status_text(431),
	    "Request Header Fields Too Large");
	CHECK_STR(handshake_status_text(599), "Error");

	/* Buffer too small for head or body: 0. */
	n = handshake_write_error(out, sizeof(out), 400, "detail");
	CHECK_INT(handshake_write_error(out, 20, 400, "detail"), 0);
	CHECK_INT(handshake_write_error(out, n, 400, "detail"), 0);
	CHECK_INT(handshake_write_error(out, n + 1, 400, "detail"), n);

	/* A very long detail is cut, and the length still matches. */
	{
		char detail[600];

		memset(detail, 'd', sizeof(detail) - 1);
		detail[sizeof(detail) - 1] = '\0';
		n = handshake_write_error(out, sizeof(out), 400, detail);
		CHECK(n > 0);
		out[n] = '\0';
		check_error_response(out, n, 400);
	}
}

/*
 * Mutated requests: whatever the bytes, no read past len (the request sits
 * at the end of a heap block), a success is NEED_MORE for every shorter
 * prefix and unaffected by bytes after it, and an error has a status.
 */
static void
test_mutations(void)
{
	static const char alphabet[] = " :\r\n\t/?#a=\x01\x7f\x80,";
	size_t base = strlen(chrome);
	int ok = 0, errors = 0;

	for (int round = 0; round < 3000; round++) {
		char tmp[1200];
		size_t n = base;
		char *p;
		struct hs_request req;
		const char *why;
		int status, rc;

		memcpy(tmp, chrome, base);
		for (int k = 1 + (int)(tl_rand() % 4); k > 0; k--) {
			size_t at = tl_rand() % n;
			char c = alphabet[tl_rand() % (sizeof(alphabet) - 1)];

			switch (tl_rand() % 3) {
			case 0:
				tmp[at] = c;
				break;
			case 1:
				memmove(tmp + at + 1, tmp + at, n - at);
				tmp[at] = c;
				n++;
				break;
			default:
				memmove(tmp + at, tmp + at + 1, n - at - 1);
				n--;
				break;
			}
		}
		p = malloc(n);
		if (p == NULL)
			break;
		memcpy(p, tmp, n);
		rc = parse(p, n, &lim, &req, &status, &why);
		if (rc == CODEC_ERROR) {
			errors++;
			CHECK(why != NULL);
			CHECK(status == 400 || status == 405 || status == 431 ||
			    status == 505);
		} else if (rc >= 0) {
			ok++;
			CHECK((size_t)rc <= n);
			CHECK(req.path.n > 0 && req.path.p[0] == '/');
			for (int k = 0; k < 10; k++) {
				size_t cut = tl_rand() % (size_t)rc;

				CHECK_INT(parse(p, cut, &lim, &req, &status,
				    &why), CODEC_NEED_MORE);
			}
			CHECK_INT(parse(p, n, &lim, &req, &status, &why), rc);
		}
		free(p);
		if (tl_check_failures)
			break;
	}
	CHECK(ok > 100 && errors > 100);
}

int
main(void)
{
	RUN(test_accept_key);
	RUN(test_chrome_whole_and_bytewise);
	RUN(test_bare_lf);
	RUN(test_targets);
	RUN(test_methods_and_versions);
	RUN(test_required_headers);
	RUN(test_body);
	RUN(test_bad_keys);
	RUN(test_header_syntax);
	RUN(test_limits);
	RUN(test_subprotocols);
	RUN(test_cookie);
	RUN(test_list_has);
	RUN(test_forwarded_fields);
	RUN(test_status_texts);
	RUN(test_write_101);
	RUN(test_write_error);
	RUN(test_mutations);
	return tl_summary("unit/handshake");
}
