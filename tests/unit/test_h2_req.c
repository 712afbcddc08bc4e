/* test_h2_req.c -- HTTP/2 request fields become the upgrade request admission judges, within the HTTP/1.1 limits */
#include "h2_req.h"
#include "testlib.h"

static const struct hs_limits lim = { 8192, 64 };

static int
add(struct h2_req *r, const char *name, const char *value, int *status)
{
	const char *why = NULL;

	return h2_req_field(r, name, strlen(name), value, strlen(value), &lim,
	    status, &why);
}

static void
fill_connect(struct h2_req *r)
{
	int status = 0;

	h2_req_init(r);
	CHECK_INT(add(r, ":method", "CONNECT", &status), 0);
	CHECK_INT(add(r, ":protocol", "websocket", &status), 0);
	CHECK_INT(add(r, ":scheme", "https", &status), 0);
	CHECK_INT(add(r, ":path", "/vnc?token=x", &status), 0);
	CHECK_INT(add(r, ":authority", "gw.example:8443", &status), 0);
	CHECK_INT(add(r, "origin", "https://gw.example", &status), 0);
	CHECK_INT(add(r, "sec-websocket-version", "13", &status), 0);
	CHECK_INT(add(r, "sec-websocket-protocol", "chat, binary", &status),
	    0);
}

static void
test_extended_connect(void)
{
	struct h2_req r;
	struct hs_request req;
	int status;
	const char *why;

	fill_connect(&r);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_WEBSOCKET);
	CHECK_INT(req.path.n, 4);
	CHECK_MEM(req.path.p, "/vnc", 4);
	CHECK_INT(req.target.n, 12);
	CHECK(req.has_host && req.host.n == 15);
	CHECK(req.has_origin && req.origin.n == 18);
	CHECK(req.upgrade_websocket && req.connection_upgrade);
	CHECK(req.offers_binary && req.offers_protocols);
	/* The HTTP/1.1 rules pass: same admission for both protocols. */
	CHECK_INT(handshake_check_upgrade(&req, &status, &why), 0);
}

static void
test_not_websocket(void)
{
	struct h2_req r;
	struct hs_request req;
	int status = 0;
	const char *why;

	h2_req_init(&r);
	add(&r, ":method", "CONNECT", &status);
	add(&r, ":protocol", "chat", &status);
	add(&r, ":scheme", "https", &status);
	add(&r, ":path", "/", &status);
	add(&r, ":authority", "a", &status);
	add(&r, "sec-websocket-version", "13", &status);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_WEBSOCKET);
	CHECK(!req.upgrade_websocket);
	CHECK_INT(handshake_check_upgrade(&req, &status, &why), -1);
	CHECK_INT(status, 400);

	/* A plain CONNECT (a tunnel), and other methods. */
	h2_req_init(&r);
	add(&r, ":method", "CONNECT", &status);
	add(&r, ":authority", "a:1", &status);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_OTHER);
	h2_req_init(&r);
	add(&r, ":method", "POST", &status);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_OTHER);
	h2_req_init(&r);
	add(&r, ":method", "GET", &status);
	add(&r, ":path", "/index.html", &status);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_PLAIN);
	CHECK_INT(req.path.n, 11);
}

static void
test_missing_version(void)
{
	struct h2_req r;
	struct hs_request req;
	int status = 0;
	const char *why;

	h2_req_init(&r);
	add(&r, ":method", "CONNECT", &status);
	add(&r, ":protocol", "websocket", &status);
	add(&r, ":scheme", "https", &status);
	add(&r, ":path", "/", &status);
	add(&r, ":authority", "a", &status);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_WEBSOCKET);
	CHECK_INT(handshake_check_upgrade(&req, &status, &why), -1);
	CHECK_INT(status, 426);
}

static void
test_limits(void)
{
	struct h2_req r;
	static char big[H2_REQ_ROOM + 2];	/* one byte past the room */
	const char *why = NULL;
	int status = 0;
	struct hs_limits small = { 100, 3 };

	memset(big, 'a', sizeof(big) - 1);
	h2_req_init(&r);
	CHECK_INT(h2_req_field(&r, ":path", 5, big, sizeof(big) - 1,
	    &(struct hs_limits){ 1u << 20, 64 }, &status, &why), CODEC_ERROR);
	CHECK_INT(status, 431);

	/* RFC 9113 6.5.2: 32 bytes of overhead a field. */
	h2_req_init(&r);
	CHECK_INT(h2_req_field(&r, "x", 1, "y", 1, &small, &status, &why), 0);
	CHECK_INT(h2_req_field(&r, "x", 1, "y", 1, &small, &status, &why), 0);
	CHECK_INT(h2_req_field(&r, "x", 1, "y", 1, &small, &status, &why),
	    CODEC_ERROR);
	CHECK_INT(status, 431);
	h2_req_init(&r);
	small.max_bytes = 1000;
	for (int i = 0; i < 3; i++)
		CHECK_INT(h2_req_field(&r, "x", 1, "y", 1, &small, &status,
		    &why), 0);
	CHECK_INT(h2_req_field(&r, "x", 1, "y", 1, &small, &status, &why),
	    CODEC_ERROR);

	/* Repeats. */
	h2_req_init(&r);
	CHECK_INT(add(&r, "origin", "a", &status), 0);
	CHECK_INT(add(&r, "origin", "b", &status), CODEC_ERROR);
	CHECK_INT(status, 400);
	CHECK_INT(add(&r, ":path", "/a", &status), 0);
	CHECK_INT(add(&r, ":path", "/b", &status), CODEC_ERROR);
}

static void
test_cookies(void)
{
	struct h2_req r;
	struct hs_request req;
	int status = 0;

	fill_connect(&r);
	CHECK_INT(add(&r, "cookie", "a=1", &status), 0);
	CHECK_INT(h2_req_request(&r, &req), H2_REQ_WEBSOCKET);
	CHECK_INT(req.cookie.n, 3);
	/* RFC 9113 8.2.3: split fields are joined with "; ". */
	CHECK_INT(add(&r, "x-other", "z", &status), 0);
	CHECK_INT(add(&r, "cookie", "token=abc", &status), 0);
	CHECK_INT(add(&r, "cookie", "b=2", &status), 0);
	h2_req_request(&r, &req);
	CHECK_INT(req.cookie.n, 19);
	CHECK_MEM(req.cookie.p, "a=1; token=abc; b=2", 19);
	/* The query stays in the target (tokens). */
	CHECK_INT(req.target.n, 12);
	CHECK_MEM(req.target.p, "/vnc?token=x", 12);
}

int
main(void)
{
	RUN(test_extended_connect);
	RUN(test_not_websocket);
	RUN(test_missing_version);
	RUN(test_limits);
	RUN(test_cookies);
	return tl_summary("unit/h2_req");
}
