/* test_probe_http.c -- unit tests for wsgate --probe's URL, request and status line parsers */
#include "probe_http.h"
#include "testlib.h"

static void
test_url_ok(void)
{
	static const struct {
		const char *in, *host, *port, *authority, *path;
	} ok[] = {
		{ "http://127.0.0.1:8080/healthz", "127.0.0.1", "8080",
		  "127.0.0.1:8080", "/healthz" },
		{ "HTTP://localhost:9100/readyz", "localhost", "9100",
		  "localhost:9100", "/readyz" },
		{ "http://127.0.0.1", "127.0.0.1", "80", "127.0.0.1", "/" },
		{ "http://127.0.0.1/", "127.0.0.1", "80", "127.0.0.1", "/" },
		{ "http://[::1]:9100/metrics", "::1", "9100", "[::1]:9100",
		  "/metrics" },
		{ "http://[::1]/x", "::1", "80", "[::1]", "/x" },
		{ "http://h:1?a=b", "h", "1", "h:1", "/?a=b" },
		{ "http://h:1/p?q#frag", "h", "1", "h:1", "/p?q" },
		{ "http://h:1#frag", "h", "1", "h:1", "/" },
		{ "http://gw.example:65535/a/b%20c", "gw.example", "65535",
		  "gw.example:65535", "/a/b%20c" },
	};
	struct probe_url u;
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = probe_http_url(ok[i].in, &u, &why);

		if (rc != 0)
			fprintf(stderr, "    input \"%s\": %s\n", ok[i].in, why);
		CHECK_INT(rc, 0);
		CHECK_STR(u.host, ok[i].host);
		CHECK_STR(u.port, ok[i].port);
		CHECK_STR(u.authority, ok[i].authority);
		/* (CHECK_STR's message buffer is smaller than a path) */
		if (strcmp(u.path, ok[i].path) != 0)
			fprintf(stderr, "    path \"%s\", want \"%s\"\n",
			    u.path, ok[i].path);
		CHECK(strcmp(u.path, ok[i].path) == 0);
	}
}

static void
test_url_bad(void)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "https://127.0.0.1/healthz", "https:// is not supported" },
		{ "127.0.0.1:8080/healthz", "expected http://" },
		{ "ws://127.0.0.1:8080/", "expected http://" },
		{ "http://", "missing host" },
		{ "http:///healthz", "missing host" },
		{ "http://u:p@h:1/", "user names and passwords" },
		{ "http://h:/", "port must be" },
		{ "http://h:0/", "port must be" },
		{ "http://h:70000/", "port must be" },
		{ "http://::1:80/", "brackets" },
		{ "http://[::1/", "expected host:port" },
		{ "http://*:80/", "\"*\" (any address) is for listen" },
		{ "http://h:1/a b", "blank or a control character" },
		{ "http://h:1/a\r\nX-Evil: 1", "blank or a control character" },
		{ "http://h:1/\x80", "blank or a control character" },
		{ "http://h$:1/", "invalid character" },
	};
	struct probe_url u;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (probe_http_url(bad[i].in, &u, &why) != -1 || why == NULL ||
		    strstr(why, bad[i].why) == NULL) {
			fprintf(stderr, "    input \"%s\": got \"%s\", want "
			    "\"%s\"\n", bad[i].in, why ? why : "(success)",
			    bad[i].why);
			CHECK(0);
		}
	}
}

static void
test_url_lengths(void)
{
	char url[2048];
	struct probe_url u;
	const char *why;
	size_t room = sizeof(u.path) - 1;

	/* The longest path that fits, and one byte more. */
	strcpy(url, "http://h:1");
	memset(url + 10, 'a', room);
	url[10] = '/';
	url[10 + room] = '\0';
	CHECK_INT(probe_http_url(url, &u, &why), 0);
	CHECK_INT(strlen(u.path), room);
	url[10 + room] = 'a';
	url[11 + room] = '\0';
	CHECK_INT(probe_http_url(url, &u, &why), -1);
	CHECK_STR(why, "path too long");
	/* A query alone gets a '/' in front: it must fit too. */
	url[10] = '?';
	url[10 + room] = '\0';
	CHECK_INT(probe_http_url(url, &u, &why), -1);
	url[9 + room] = '\0';
	CHECK_INT(probe_http_url(url, &u, &why), 0);
	CHECK_INT(strlen(u.path), room);
	CHECK(u.path[0] == '/' && u.path[1] == '?');

	strcpy(url, "http://");
	memset(url + 7, 'h', 300);
	strcpy(url + 307, ":1/");
	CHECK_INT(probe_http_url(url, &u, &why), -1);
	CHECK_STR(why, "host and port too long");
}

static void
test_request(void)
{
	struct probe_url u;
	const char *why;
	char buf[256];
	static const char want[] = "GET /healthz?x=1 HTTP/1.1\r\n"
	    "Host: [::1]:9100\r\nUser-Agent: wsgate-probe\r\nAccept: */*\r\n"
	    "Connection: close\r\n\r\n";

	CHECK_INT(probe_http_url("http://[::1]:9100/healthz?x=1", &u, &why),
	    0);
	CHECK_INT(probe_http_request(&u, buf, sizeof(buf)), strlen(want));
	CHECK_STR(buf, want);
	CHECK_INT(probe_http_request(&u, buf, strlen(want) + 1),
	    strlen(want));
	CHECK_INT(probe_http_request(&u, buf, strlen(want)), -1);
}

/* Whole, and one byte at a time: NEED_MORE until the line end. */
static void
status_case(const char *in, int want_rc, int want_status,
    const char *want_reason)
{
	size_t len = strlen(in), off = 0, rlen = 0;
	int status = -1, rc;
	const char *why = NULL;

	rc = probe_http_status(in, len, &status, &off, &rlen, &why);
	if (rc != want_rc)
		fprintf(stderr, "    input \"%s\": rc %d (%s)\n", in, rc,
		    why ? why : "");
	CHECK_INT(rc, want_rc);
	if (rc >= 0) {
		CHECK_INT(status, want_status);
		CHECK_INT(rlen, strlen(want_reason));
		CHECK(memcmp(in + off, want_reason, rlen) == 0);
	} else {
		CHECK(rc == CODEC_NEED_MORE || why != NULL);
	}
	/* Prefixes up to the line end (what follows it does not count). */
	for (size_t n = 0; n < (want_rc >= 0 ? (size_t)want_rc : len); n++) {
		int r = probe_http_status(in, n, &status, &off, &rlen, &why);

		/* A prefix is never a success; an error stays an error. */
		CHECK(r == CODEC_NEED_MORE || r == CODEC_ERROR);
		if (r == CODEC_ERROR)
			CHECK_INT(want_rc, CODEC_ERROR);
	}
}

static void
test_status(void)
{
	status_case("HTTP/1.1 200 OK\r\n", 17, 200, "OK");
	status_case("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", 17,
	    200, "OK");
	status_case("HTTP/1.0 204 No Content\n", 24, 204, "No Content");
	status_case("HTTP/1.1 503 Service Unavailable\r\n", 34, 503,
	    "Service Unavailable");
	status_case("HTTP/1.1 200\r\n", 14, 200, "");
	status_case("HTTP/1.1 200 \r\n", 15, 200, "");
	status_case("HTTP/1.1 200 OK", CODEC_NEED_MORE, 0, "");
	status_case("", CODEC_NEED_MORE, 0, "");
	status_case("HTTP/2 200\r\n", CODEC_ERROR, 0, "");
	status_case("SSH-2.0-OpenSSH\r\n", CODEC_ERROR, 0, "");
	status_case("RFB 003.008\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.1 20 OK\r\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.1 2000 OK\r\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.1 2x0 OK\r\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.1 099 OK\r\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.1  200 OK\r\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.x 200 OK\r\n", CODEC_ERROR, 0, "");
	status_case("HTTP/1.1\r\n", CODEC_ERROR, 0, "");
}

static void
test_status_bounded(void)
{
	char buf[PROBE_STATUS_MAX + 10];
	size_t off, rlen;
	int status;
	const char *why;

	memcpy(buf, "HTTP/1.1 200 ", 13);
	memset(buf + 13, 'x', sizeof(buf) - 13);
	/* No line end in PROBE_STATUS_MAX bytes: an error, not NEED_MORE. */
	CHECK_INT(probe_http_status(buf, PROBE_STATUS_MAX - 1, &status, &off,
	    &rlen, &why), CODEC_NEED_MORE);
	CHECK_INT(probe_http_status(buf, PROBE_STATUS_MAX, &status, &off,
	    &rlen, &why), CODEC_ERROR);
	CHECK_STR(why, "status line too long");
	/* A line end past the limit is not looked at. */
	buf[PROBE_STATUS_MAX + 2] = '\n';
	CHECK_INT(probe_http_status(buf, sizeof(buf), &status, &off, &rlen,
	    &why), CODEC_ERROR);
	/* The longest line accepted ends at the last byte of the limit. */
	buf[PROBE_STATUS_MAX - 1] = '\n';
	CHECK_INT(probe_http_status(buf, sizeof(buf), &status, &off, &rlen,
	    &why), PROBE_STATUS_MAX);
	CHECK_INT(status, 200);
	CHECK_INT(rlen, PROBE_STATUS_MAX - 1 - 13);
}

int
main(void)
{
	RUN(test_url_ok);
	RUN(test_url_bad);
	RUN(test_url_lengths);
	RUN(test_request);
	RUN(test_status);
	RUN(test_status_bounded);
	return tl_summary("unit/probe_http");
}
