/* test_webresp.c -- web_root answers: codings, ETags, If-None-Match, HTTP dates, 304, HEAD, heads written */
#include <string.h>
#include <strings.h>

#include "webresp.h"
#include "testlib.h"

#define BIT(e) (1u << (e))
#define ID BIT(WEBRESP_IDENTITY)
#define BR BIT(WEBRESP_BR)
#define GZ BIT(WEBRESP_GZIP)

static unsigned
acc(const char *s)
{
	return webresp_accepts(s, s != NULL ? strlen(s) : 0);
}

static void
test_accepts(void)
{
	CHECK_INT(acc(NULL), ID);
	CHECK_INT(acc(""), ID);
	CHECK_INT(acc("gzip"), ID | GZ);
	CHECK_INT(acc("gzip, deflate, br, zstd"), ID | GZ | BR);
	CHECK_INT(acc("GZIP;Q=1, BR ; q=0.5"), ID | GZ | BR);
	CHECK_INT(acc("x-gzip"), ID | GZ);
	/* q=0 refuses, in every spelling. */
	CHECK_INT(acc("gzip;q=0, br"), ID | BR);
	CHECK_INT(acc("gzip;q=0.0, br;q=0.000"), ID);
	CHECK_INT(acc("gzip;q=0.001"), ID | GZ);
	CHECK_INT(acc("br;q=0 ,gzip; q=0.8"), ID | GZ);
	/* "*" covers what is not named; identity only by name or "*". */
	CHECK_INT(acc("*"), ID | GZ | BR);
	CHECK_INT(acc("*;q=0"), 0);
	CHECK_INT(acc("*;q=0, gzip"), GZ);
	CHECK_INT(acc("identity;q=0, br"), BR);
	CHECK_INT(acc("br, *;q=0, identity"), ID | BR);
	/* A coding that is a prefix of another is not it. */
	CHECK_INT(acc("gzipx, b, brr"), ID);
	/* Junk: nothing found, nothing crashes. */
	CHECK_INT(acc(",,, ;;; q= , ;q=0"), ID);
	CHECK_INT(acc("gzip;q=2"), ID | GZ);
	CHECK_INT(acc("gzip;q=abc"), ID | GZ);
}

static void
test_etag_and_match(void)
{
	struct webresp_file f = { true, 5, 0x1234, 1, 1700000000, 5 };
	struct webresp_file g = f;
	char a[WEBRESP_ETAG_MAX], b[WEBRESP_ETAG_MAX], tiny[8];

	CHECK(webresp_etag(&f, a, sizeof(a)) > 0);
	CHECK_STR(a, "\"1234-5-17979cfe362a0005\"");
	CHECK_INT(webresp_etag(&f, tiny, sizeof(tiny)), 0);
	/* Any of inode, size, mtime (to the nanosecond) changes it. */
	g.mtime_nsec = 6;
	webresp_etag(&g, b, sizeof(b));
	CHECK(strcmp(a, b) != 0);
	g = f;
	g.size = 6;
	webresp_etag(&g, b, sizeof(b));
	CHECK(strcmp(a, b) != 0);
	g = f;
	g.ino = 1;
	webresp_etag(&g, b, sizeof(b));
	CHECK(strcmp(a, b) != 0);

#define M(list) webresp_none_match(list, strlen(list), "\"abc\"")
	CHECK(M("\"abc\""));
	CHECK(M("*"));
	CHECK(M(" * "));
	CHECK(M("W/\"abc\""));
	CHECK(M("\"x\", W/\"y\",\"abc\""));
	CHECK(M("\"x\",,  \"abc\"  "));
	CHECK(!M("\"ab\""));
	CHECK(!M("\"abcd\""));
	CHECK(!M("abc"));
	CHECK(!M("\"abc"));
	CHECK(!M(""));
	CHECK(!M("*, \"x\""));
	CHECK(!M("\"x\", abc, \"abc\""));
	CHECK(webresp_none_match("\"abc\"", 5, "W/\"abc\""));
#undef M
}

static int64_t
date(const char *s)
{
	int64_t t = -1;

	if (webresp_parse_date(s, strlen(s), &t) != 0)
		return -1;
	return t;
}

static void
test_dates(void)
{
	char out[WEBRESP_DATE_LEN + 1];

	/* RFC 9110 5.6.7's example, in its three forms. */
	CHECK_INT(date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	CHECK_INT(date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	CHECK_INT(date("Sun Nov  6 08:49:37 1994"), 784111777);
	CHECK_INT(date("Sun Nov 16 08:49:37 1994"), 784111777 + 10 * 86400);
	CHECK_INT(date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	CHECK_INT(date("Wed, 29 Feb 2024 23:59:59 GMT"), 1709251199);
	CHECK_INT(date("Friday, 01-Jan-21 00:00:00 GMT"), 1609459200);
	CHECK_INT(date("  Sun, 06 Nov 1994 08:49:37 GMT "), 784111777);
	CHECK_INT(date("Sun, 06 Nov 1994 08:49:37 UTC"), -1);
	CHECK_INT(date("Sun, 06 Foo 1994 08:49:37 GMT"), -1);
	CHECK_INT(date("Sun, 06 Nov 1994 24:49:37 GMT"), -1);
	CHECK_INT(date("Sun, 00 Nov 1994 08:49:37 GMT"), -1);
	CHECK_INT(date("Sun, 06 Nov 1994 08:49 GMT"), -1);
	CHECK_INT(date("784111777"), -1);
	CHECK_INT(date(""), -1);
	CHECK_INT(date(","), -1);

	webresp_format_date(784111777, out);
	CHECK_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	webresp_format_date(0, out);
	CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	webresp_format_date(1709251199, out);
	CHECK_STR(out, "Thu, 29 Feb 2024 23:59:59 GMT");
	webresp_format_date(-86400, out);
	CHECK_STR(out, "Wed, 31 Dec 1969 00:00:00 GMT");
	webresp_format_date(INT64_MAX / 2, out);
	CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	/* Round trip over many days, including leap years. */
	for (int64_t t = -5000000000LL; t < 5000000000LL; t += 86399 * 37) {
		webresp_format_date(t, out);
		if (t >= -62135596800LL)
			CHECK_INT(date(out), t);
	}
}

static const struct webresp_file plain = { true, 1000, 7, 1, 1700000000, 0 };

static void
decide(const char *inm, const char *ims, const char *ae, bool head,
    const struct webresp_file files[WEBRESP_NENC], struct webresp *a)
{
	struct webresp_req r = {
		.head = head,
		.if_none_match = inm, .if_none_match_len = inm ? strlen(inm) : 0,
		.if_modified_since = ims,
		.if_modified_since_len = ims ? strlen(ims) : 0,
		.accept_encoding = ae,
		.accept_encoding_len = ae ? strlen(ae) : 0,
	};

	webresp_decide(&r, files, a);
}

static void
test_decide(void)
{
	struct webresp_file files[WEBRESP_NENC] = { plain };
	struct webresp a, b;
	char tag[WEBRESP_ETAG_MAX + 8];

	decide(NULL, NULL, "gzip, br", false, files, &a);
	CHECK_INT(a.status, 200);
	CHECK_INT(a.enc, WEBRESP_IDENTITY);
	CHECK(a.content_encoding == NULL);
	CHECK(!a.vary);		/* no sibling: nothing varies */
	CHECK(a.body);
	CHECK_INT(a.length, 1000);
	CHECK_STR(a.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT");

	/* 304 on the ETag, weak or strong, in a list; not on another. */
	decide(a.etag, NULL, NULL, false, files, &b);
	CHECK_INT(b.status, 304);
	CHECK(!b.body);
	snprintf(tag, sizeof(tag), "\"x\", W/%s", a.etag);
	decide(tag, NULL, NULL, false, files, &b);
	CHECK_INT(b.status, 304);
	decide("\"x\"", NULL, NULL, false, files, &b);
	CHECK_INT(b.status, 200);
	/* If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3). */
	decide("\"x\"", "Sun, 06 Nov 2050 08:49:37 GMT", NULL, false, files,
	    &b);
	CHECK_INT(b.status, 200);
	/* If-Modified-Since: not modified since then, or later. */
	decide(NULL, "Tue, 14 Nov 2023 22:13:20 GMT", NULL, false, files, &b);
	CHECK_INT(b.status, 304);
	decide(NULL, "Tue, 14 Nov 2023 22:13:19 GMT", NULL, false, files, &b);
	CHECK_INT(b.status, 200);
	decide(NULL, "yesterday", NULL, false, files, &b);
	CHECK_INT(b.status, 200);
	/* HEAD: the same head, no body. */
	decide(NULL, NULL, NULL, true, files, &b);
	CHECK_INT(b.status, 200);
	CHECK(!b.body);
	CHECK_INT(b.length, 1000);
	CHECK_STR(b.etag, a.etag);
	/* An empty file has no body to send. */
	files[0].size = 0;
	decide(NULL, NULL, NULL, false, files, &b);
	CHECK(!b.body);
	files[0].size = 1000;

	/* Siblings: br preferred, q=0 honoured, Vary always. */
	files[WEBRESP_GZIP] = (struct webresp_file){ true, 300, 8, 1,
	    1700000000, 0 };
	files[WEBRESP_BR] = (struct webresp_file){ true, 250, 9, 1,
	    1700000001, 0 };
	decide(NULL, NULL, "gzip, deflate, br", false, files, &b);
	CHECK_INT(b.enc, WEBRESP_BR);
	CHECK_STR(b.content_encoding, "br");
	CHECK_INT(b.length, 250);
	CHECK(b.vary);
	CHECK(strcmp(b.etag, a.etag) != 0);
	decide(NULL, NULL, "gzip, br;q=0", false, files, &b);
	CHECK_INT(b.enc, WEBRESP_GZIP);
	CHECK_STR(b.content_encoding, "gzip");
	CHECK_INT(b.length, 300);
	decide(NULL, NULL, NULL, false, files, &b);
	CHECK_INT(b.enc, WEBRESP_IDENTITY);
	CHECK(b.vary);
	CHECK_STR(b.etag, a.etag);
	/* The identity ETag does not validate the gzip answer. */
	decide(a.etag, NULL, "gzip", false, files, &b);
	CHECK_INT(b.status, 200);
	CHECK_INT(b.enc, WEBRESP_GZIP);
	/* A sibling older than the file is a stale build: never sent. */
	files[WEBRESP_GZIP].mtime_sec = 1699999999;
	files[WEBRESP_BR].exists = false;
	decide(NULL, NULL, "gzip, br", false, files, &b);
	CHECK_INT(b.enc, WEBRESP_IDENTITY);
	CHECK(!b.vary);
	files[WEBRESP_GZIP].mtime_sec = 1700000000;
	files[WEBRESP_GZIP].mtime_nsec = 0;
	files[0].mtime_nsec = 1;
	decide(NULL, NULL, "gzip, br", false, files, &b);
	CHECK_INT(b.enc, WEBRESP_IDENTITY);
}

static void
test_write(void)
{
	struct webresp_file files[WEBRESP_NENC] = { plain };
	char out[1024], tiny[64];
	struct webresp a;
	size_t n;

	files[WEBRESP_GZIP] = plain;
	files[WEBRESP_GZIP].size = 10;
	decide(NULL, NULL, "gzip", false, files, &a);
	n = webresp_write_head(&a, "text/javascript; charset=utf-8",
	    "no-cache", 784111777, true, out, sizeof(out));
	CHECK(n > 0 && n == strlen(out));
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(out, "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	CHECK(strstr(out, "\r\nContent-Type: text/javascript; "
	    "charset=utf-8\r\n"));
	CHECK(strstr(out, "\r\nContent-Length: 10\r\n"));
	CHECK(strstr(out, "\r\nContent-Encoding: gzip\r\n"));
	CHECK(strstr(out, "\r\nVary: Accept-Encoding\r\n"));
	CHECK(strstr(out, "\r\nCache-Control: no-cache\r\n"));
	CHECK(strstr(out, "\r\nETag: \""));
	CHECK(strstr(out, "\r\nLast-Modified: Tue, 14 Nov 2023 "));
	CHECK(strstr(out, "Connection") == NULL);
	CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);

	decide(a.etag, NULL, "gzip", false, files, &a);
	n = webresp_write_head(&a, "text/javascript", NULL, 0, false, out,
	    sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 304 Not Modified\r\n", 27) == 0);
	CHECK(strstr(out, "Content-Length") == NULL);
	CHECK(strstr(out, "\r\nContent-Type") == NULL);
	CHECK(strstr(out, "Content-Encoding") == NULL);
	CHECK(strstr(out, "Cache-Control") == NULL);
	CHECK(strstr(out, "\r\nVary: Accept-Encoding\r\n"));
	CHECK(strstr(out, "\r\nConnection: close\r\n"));
	CHECK_INT(webresp_write_head(&a, "x", NULL, 0, true, tiny,
	    sizeof(tiny)), 0);

	n = webresp_write_error(404, "not found", NULL, 0, false, true, out,
	    sizeof(out));
	CHECK(n == strlen(out));
	CHECK(strstr(out, "\r\nContent-Length: 25\r\n"));
	CHECK(strstr(out, "\r\n\r\n404 Not Found: not found\n"));
	CHECK(strstr(out, "Connection") == NULL);
	/* HEAD: the same length, no body. */
	n = webresp_write_error(404, "not found", NULL, 0, true, false, out,
	    sizeof(out));
	CHECK(strstr(out, "\r\nContent-Length: 25\r\n"));
	CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
	CHECK(strstr(out, "\r\nConnection: close\r\n"));
	n = webresp_write_error(301, NULL, "/app", 4, false, true, out,
	    sizeof(out));
	CHECK(strstr(out, "HTTP/1.1 301 Moved Permanently\r\n"));
	CHECK(strstr(out, "\r\nLocation: /app/\r\n"));
	CHECK(strstr(out, "\r\nContent-Length: 0\r\n"));
	CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
	CHECK_INT(webresp_write_error(404, "x", NULL, 0, false, true, tiny,
	    sizeof(tiny)), 0);
}

/* The transport-neutral fields (for HTTP/2): lower-case names, the
 * same set as the HTTP/1.1 head. */
static void
test_fields(void)
{
	struct webresp_file files[WEBRESP_NENC] = { plain };
	struct webresp_fields f;
	struct webresp a;
	char body[64];
	bool seen_len = false;

	files[WEBRESP_BR] = plain;
	decide(NULL, NULL, "br", false, files, &a);
	webresp_fields(&a, "text/css", "no-cache", 0, &f);
	CHECK(f.n >= 8 && f.n <= WEBRESP_FIELDS_MAX);
	for (size_t i = 0; i < f.n; i++) {
		CHECK(strcasecmp(f.v[i].name, f.v[i].lname) == 0);
		for (const char *c = f.v[i].lname; *c != '\0'; c++)
			CHECK(!(*c >= 'A' && *c <= 'Z'));
		if (strcmp(f.v[i].lname, "content-length") == 0) {
			CHECK_STR(f.v[i].value, "1000");
			seen_len = true;
		}
		if (strcmp(f.v[i].lname, "content-encoding") == 0)
			CHECK_STR(f.v[i].value, "br");
		if (strcmp(f.v[i].lname, "date") == 0)
			CHECK_STR(f.v[i].value,
			    "Thu, 01 Jan 1970 00:00:00 GMT");
	}
	CHECK(seen_len);
	decide(a.etag, NULL, "br", false, files, &a);
	webresp_fields(&a, "text/css", NULL, 0, &f);
	for (size_t i = 0; i < f.n; i++) {
		CHECK(strncmp(f.v[i].lname, "content-", 8) != 0);
		CHECK(strcmp(f.v[i].lname, "cache-control") != 0);
	}
	CHECK_INT(webresp_error_body(404, "not found", body, sizeof(body)),
	    25);
	CHECK_STR(body, "404 Not Found: not found\n");
	CHECK_INT(webresp_error_body(403, NULL, body, 8), 7);
	CHECK_STR(body, "403 For");
}

int
main(void)
{
	RUN(test_accepts);
	RUN(test_etag_and_match);
	RUN(test_dates);
	RUN(test_decide);
	RUN(test_write);
	RUN(test_fields);
	return tl_summary("unit/webresp");
}
