/* test_log_json.c -- unit tests for log lines as JSON objects (log_json.c): fields, numbers, every escape, cuts */
#include <stdbool.h>

#include "json.h"
#include "log.h"
#include "log_json.h"
#include "testlib.h"

#define TS "2026-11-26T04:55:16.323Z"

static char out[8192];

/* The object for msg, as a C string, with the ts and level prefix cut
 * off ('{' + that + the rest): tests compare what follows. */
static const char *
conv_size(const char *msg, size_t len, size_t size)
{
	static const char head[] = "{\"ts\":\"" TS "\",\"level\":\"info\"";
	size_t n = log_json(out, size, TS, "info", msg, len);

	CHECK(n <= size);
	CHECK(n >= 2 && out[n - 1] == '\n' && out[n - 2] == '}');
	out[n] = '\0';
	if (strncmp(out, head, sizeof(head) - 1) != 0) {
		CHECK(0);
		return out;
	}
	return out + sizeof(head) - 1;
}

static const char *
conv(const char *msg)
{
	return conv_size(msg, strlen(msg), sizeof(out) - 1);
}

/* The lines wsgate writes today, as their JSON objects. */
static void
test_wsgate_lines(void)
{
	CHECK_STR(conv("close client=127.0.0.1:37944 route=echo up=17957121 "
	    "down=17957121 duration=1.280s code=1000 by=client "
	    "reason=\"client sent close\""),
	    ",\"event\":\"close\",\"client\":\"127.0.0.1:37944\","
	    "\"route\":\"echo\",\"up\":17957121,\"down\":17957121,"
	    "\"duration\":\"1.280s\",\"code\":1000,\"by\":\"client\","
	    "\"reason\":\"client sent close\"}\n");
	CHECK_STR(conv("reject client=[::1]:5 status=403 path=\"/echo\" "
	    "origin=\"https://evil.example\" route=echo "
	    "reason=\"origin not allowed for this route\""),
	    ",\"event\":\"reject\",\"client\":\"[::1]:5\",\"status\":403,"
	    "\"path\":\"/echo\",\"origin\":\"https://evil.example\","
	    "\"route\":\"echo\","
	    "\"reason\":\"origin not allowed for this route\"}\n");
	CHECK_STR(conv("reject client=127.0.0.1:58062 status=400 path=\"\" "
	    "origin=\"\" route=- reason=\"this port speaks TLS\""),
	    ",\"event\":\"reject\",\"client\":\"127.0.0.1:58062\","
	    "\"status\":400,\"path\":\"\",\"origin\":\"\",\"route\":\"-\","
	    "\"reason\":\"this port speaks TLS\"}\n");
	CHECK_STR(conv("web client=127.0.0.1:40312 status=200 "
	    "path=\"/vnc.html\" bytes=18642 duration=0.002s"),
	    ",\"event\":\"web\",\"client\":\"127.0.0.1:40312\",\"status\":200,"
	    "\"path\":\"/vnc.html\",\"bytes\":18642,"
	    "\"duration\":\"0.002s\"}\n");
	CHECK_STR(conv("open client=127.0.0.1:1 route=echo "
	    "backend=127.0.0.1:7000"),
	    ",\"event\":\"open\",\"client\":\"127.0.0.1:1\","
	    "\"route\":\"echo\",\"backend\":\"127.0.0.1:7000\"}\n");
	/* Fields, then words: the rest is msg. */
	CHECK_STR(conv("tls client=127.0.0.1:58070 handshake failed: "
	    "unsupported protocol"),
	    ",\"event\":\"tls\",\"client\":\"127.0.0.1:58070\","
	    "\"msg\":\"handshake failed: unsupported protocol\"}\n");
	CHECK_STR(conv("tls client=127.0.0.1:1 TLSv1.3 TLS_AES_256_GCM_SHA384 "
	    "sni=a.example alpn=http/1.1"),
	    ",\"event\":\"tls\",\"client\":\"127.0.0.1:1\",\"msg\":\"TLSv1.3 "
	    "TLS_AES_256_GCM_SHA384 sni=a.example alpn=http/1.1\"}\n");
	/* Not "event key=value": all of it is msg, no event. */
	CHECK_STR(conv("listening on 127.0.0.1:8080"),
	    ",\"msg\":\"listening on 127.0.0.1:8080\"}\n");
	CHECK_STR(conv("route echo: /echo -> 127.0.0.1:7000 (3 origins)"),
	    ",\"msg\":\"route echo: /echo -> 127.0.0.1:7000 (3 origins)\"}\n");
	CHECK_STR(conv("tls [gateway]: certificate CN=localhost valid"),
	    ",\"msg\":\"tls [gateway]: certificate CN=localhost valid\"}\n");
	CHECK_STR(conv("client=127.0.0.1:5: close_timeout expired"),
	    ",\"msg\":\"client=127.0.0.1:5: close_timeout expired\"}\n");
	CHECK_STR(conv("SIGTERM received"), ",\"msg\":\"SIGTERM received\"}\n");
	CHECK_STR(conv(""), ",\"msg\":\"\"}\n");
	CHECK_STR(conv("reloaded"), ",\"msg\":\"reloaded\"}\n");
}

static void
test_numbers(void)
{
	CHECK_STR(conv("e a=0 b=-1 c=1.5 d=-0.25 e=18446744073709551615"),
	    ",\"event\":\"e\",\"a\":0,\"b\":-1,\"c\":1.5,\"d\":-0.25,"
	    "\"e\":18446744073709551615}\n");
	/* Not plain numbers: strings. */
	CHECK_STR(conv("e a=01 b=1. c=.5 d=1e3 e=+1 f=- g=0x10 h=1.2.3 i=1s"),
	    ",\"event\":\"e\",\"a\":\"01\",\"b\":\"1.\",\"c\":\".5\","
	    "\"d\":\"1e3\",\"e\":\"+1\",\"f\":\"-\",\"g\":\"0x10\","
	    "\"h\":\"1.2.3\",\"i\":\"1s\"}\n");
	/* Quoted numbers stay strings; too long is a string. */
	CHECK_STR(conv("e a=\"42\" b=1234567890123456789012345"),
	    ",\"event\":\"e\",\"a\":\"42\",\"b\":\"1234567890123456789012345\"}\n");
	CHECK_STR(conv("e a=123456789012345678901234"),
	    ",\"event\":\"e\",\"a\":123456789012345678901234}\n");
	/* Empty values. */
	CHECK_STR(conv("e a= b=\"\""), ",\"event\":\"e\",\"a\":\"\","
	    "\"b\":\"\"}\n");
	CHECK_STR(conv("e a="), ",\"event\":\"e\",\"a\":\"\"}\n");
}

/* log_escape's "\xNN" comes back as the byte; JSON escapes it again. */
static void
test_escapes(void)
{
	/* The ASCII ones, every kind. */
	CHECK_STR(conv("e a=\"\\x22q\\x22 \\x5c \\x0a\\x0d\\x09\\x08\\x0c\""),
	    ",\"event\":\"e\",\"a\":\"\\\"q\\\" \\\\ \\n\\r\\t\\b\\f\"}\n");
	CHECK_STR(conv("e a=\"\\x00\\x01\\x1b[31m\\x1f\\x7f\""),
	    ",\"event\":\"e\",\"a\":\"\\u0000\\u0001\\u001b[31m\\u001f"
	    "\\u007f\"}\n");
	/* UTF-8 written as escapes: one character again. */
	CHECK_STR(conv("e a=\"caf\\xc3\\xa9 \\xf0\\x9f\\x98\\x80\""),
	    ",\"event\":\"e\",\"a\":\"caf\\u00e9 \\ud83d\\ude00\"}\n");
	/* Invalid UTF-8: U+FFFD per byte. */
	CHECK_STR(conv("e a=\"\\xff\\xc3(\\x80\""),
	    ",\"event\":\"e\",\"a\":\"\\ufffd\\ufffd(\\ufffd\"}\n");
	/* Raw bytes (log_msg's last resort did not run yet): the same. */
	CHECK_STR(conv("e a=\"x\x01\xc3\xa9\xff\""),
	    ",\"event\":\"e\",\"a\":\"x\\u0001\\u00e9\\ufffd\"}\n");
	/* Mixed raw and escaped halves of one character. */
	CHECK_STR(conv("e a=\"\xc3\\xa9\""), ",\"event\":\"e\","
	    "\"a\":\"\\u00e9\"}\n");
	/* Not an escape: upper-case hex, short, other letters; a lone '\'. */
	CHECK_STR(conv("e a=\"\\xAB \\x4 \\y \\\" z"),
	    ",\"event\":\"e\",\"a\":\"\\\\xAB \\\\x4 \\\\y \\\\\",\"msg\":\"z\"}\n");
	CHECK_STR(conv("e a=\\x4"), ",\"event\":\"e\",\"a\":\"\\\\x4\"}\n");
	/* Unquoted values and msg are decoded too. */
	CHECK_STR(conv("e a=b\\x20c d e\\x22f"),
	    ",\"event\":\"e\",\"a\":\"b c\",\"msg\":\"d e\\\"f\"}\n");
	/* A key is a word: escapes never make one. */
	CHECK_STR(conv("e \\x61=1"), ",\"msg\":\"e a=1\"}\n");
}

/* What a client controls (escaped values) cannot add or replace fields;
 * neither can anything else. */
static void
test_no_forgery(void)
{
	/* log_escape turns a client's '"' into \x22: no early end. */
	CHECK_STR(conv("reject path=\"/a\\x22 level=\\x22error\" route=x"),
	    ",\"event\":\"reject\",\"path\":\"/a\\\" level=\\\"error\","
	    "\"route\":\"x\"}\n");
	/* Reserved names and repeated keys end the fields. */
	CHECK_STR(conv("e a=1 level=error ts=0"),
	    ",\"event\":\"e\",\"a\":1,\"msg\":\"level=error ts=0\"}\n");
	CHECK_STR(conv("e a=1 event=x"),
	    ",\"event\":\"e\",\"a\":1,\"msg\":\"event=x\"}\n");
	CHECK_STR(conv("e a=1 msg=x truncated=1"),
	    ",\"event\":\"e\",\"a\":1,\"msg\":\"msg=x truncated=1\"}\n");
	CHECK_STR(conv("e a=1 b=2 a=3"),
	    ",\"event\":\"e\",\"a\":1,\"b\":2,\"msg\":\"a=3\"}\n");
	/* A quote in the middle of a value: not a field. */
	CHECK_STR(conv("e a=\"x\"y b=1"), ",\"msg\":\"e a=\\\"x\\\"y b=1\"}\n");
	CHECK_STR(conv("e a=1 b=x\"y"),
	    ",\"event\":\"e\",\"a\":1,\"msg\":\"b=x\\\"y\"}\n");
	CHECK_STR(conv("e a=\"unterminated"),
	    ",\"msg\":\"e a=\\\"unterminated\"}\n");
	/* Separators: exactly one space. */
	CHECK_STR(conv("e a=1  b=2"),
	    ",\"event\":\"e\",\"a\":1,\"msg\":\" b=2\"}\n");
	CHECK_STR(conv("e a=1 "), ",\"event\":\"e\",\"a\":1,\"msg\":\"\"}\n");
	CHECK_STR(conv("e  a=1"), ",\"msg\":\"e  a=1\"}\n");
	/* Words: lower case, digits, '_', at most 32. */
	CHECK_STR(conv("Close a=1"), ",\"msg\":\"Close a=1\"}\n");
	CHECK_STR(conv("e A=1"), ",\"msg\":\"e A=1\"}\n");
	CHECK_STR(conv("e_2 k_9=1"), ",\"event\":\"e_2\",\"k_9\":1}\n");
	CHECK_STR(conv("e abcdefghijklmnopqrstuvwxyz012345=1"),
	    ",\"event\":\"e\",\"abcdefghijklmnopqrstuvwxyz012345\":1}\n");
	CHECK_STR(conv("e abcdefghijklmnopqrstuvwxyz0123456=1"),
	    ",\"msg\":\"e abcdefghijklmnopqrstuvwxyz0123456=1\"}\n");
}

static void
test_field_limit(void)
{
	char msg[2048];
	size_t n = 0;
	const char *o;

	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "e");
	for (int i = 0; i < LOG_JSON_FIELDS_MAX + 2; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, " k%d=%d", i,
		    i);
	o = conv(msg);
	CHECK(strstr(o, "\"k63\":63,\"msg\":\"k64=64 k65=65\"}") != NULL);
}

/*
 * A strict check of the objects log_json writes: one object of string,
 * number or true values, unique keys, printable ASCII, then "\n".
 */
static bool
valid_string(const char **pp)
{
	const char *p = *pp;

	if (*p++ != '"')
		return false;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdef", p[i]) ||
					    p[i] == '\0')
						return false;
				p += 5;
				continue;
			}
			if (*p == '\0' || !strchr("\"\\nrtbf", *p))
				return false;
		}
		p++;
	}
	*pp = p + 1;
	return true;
}

static bool
valid_object(const char *s)
{
	const char *keys[80];
	size_t klen[80], nk = 0;
	const char *p = s;

	if (*p++ != '{')
		return false;
	for (;;) {
		const char *k = p;

		if (!valid_string(&p))
			return false;
		for (size_t i = 0; i < nk; i++)
			if (klen[i] == (size_t)(p - k) &&
			    memcmp(keys[i], k, klen[i]) == 0)
				return false;
		if (nk == 80)
			return false;
		keys[nk] = k;
		klen[nk++] = (size_t)(p - k);
		if (*p++ != ':')
			return false;
		if (*p == '"') {
			if (!valid_string(&p))
				return false;
		} else if (strncmp(p, "true", 4) == 0) {
			p += 4;
		} else {
			if (*p == '-')
				p++;
			if (*p < '0' || *p > '9')
				return false;
			while ((*p >= '0' && *p <= '9') || *p == '.')
				p++;
		}
		if (*p == '}')
			break;
		if (*p++ != ',')
			return false;
	}
	return strcmp(p, "}\n") == 0;
}

/* Every output size from the minimum up: a valid object, cut ones
 * marked, the whole one unmarked; never past size. */
static void
test_cut_everywhere(void)
{
	static const char msg[] = "close client=127.0.0.1:1 route=echo "
	    "up=123456 reason=\"caf\\xc3\\xa9 \\xf0\\x9f\\x98\\x80 \\x22x\\x22"
	    " \x01\x02\x03\" and then some words \xff\xfe";
	size_t full = log_json(out, sizeof(out), TS, "info", msg,
	    sizeof(msg) - 1);

	for (size_t size = LOG_JSON_MIN; size <= full + 2; size++) {
		char buf[1024];
		size_t n;

		memset(buf, 'Z', sizeof(buf));
		n = log_json(buf, size, TS, "info", msg, sizeof(msg) - 1);
		CHECK(n <= size);
		CHECK(buf[size] == 'Z');
		buf[n] = '\0';
		if (!valid_object(buf)) {
			fprintf(stderr, "    size %zu: %s", size, buf);
			CHECK(0);
			return;
		}
		if ((strstr(buf, "\"truncated\":true}") != NULL) !=
		    (size < full)) {
			fprintf(stderr, "    size %zu of %zu: %s", size, full,
			    buf);
			CHECK(0);
		}
	}
}

/* Exactness: whatever bytes a client sends, log_escape() in the text
 * line and log_json() give back exactly json_escape() of those bytes. */
static void
test_round_trip(void)
{
	for (int round = 0; round < 3000; round++) {
		char src[40], e[200], msg[300], want[300], got[600];
		size_t len = tl_rand() % sizeof(src), used, wn;
		const char *o;

		for (size_t i = 0; i < len; i++)
			src[i] = round % 3 == 0 ? (char)tl_rand() :
			    round % 3 == 1 ? (char)(0x80 | (tl_rand() & 0x7f)) :
			    "\"\\ x=\xc3\xa9\xe2\x82\xac\n"[tl_rand() % 11];
		log_escape(e, sizeof(e), src, len);
		snprintf(msg, sizeof(msg), "reject path=\"%s\" route=x", e);
		wn = json_escape(want, sizeof(want), src, len, &used);
		want[wn] = '\0';
		o = conv(msg);
		snprintf(got, sizeof(got), ",\"event\":\"reject\",\"path\":\"%s\","
		    "\"route\":\"x\"}\n", want);
		if (strcmp(o, got) != 0) {
			CHECK_STR(o, got);
			return;
		}
	}
}

/* A message of control bytes: 6 output bytes each, cut but valid. */
static void
test_worst_case(void)
{
	char msg[2047], buf[8192];
	size_t n;

	memset(msg, 1, sizeof(msg));
	n = log_json(buf, sizeof(buf), TS, "debug", msg, sizeof(msg));
	CHECK(n <= sizeof(buf) - 1);
	buf[n] = '\0';
	CHECK(valid_object(buf));
	CHECK(strstr(buf, "\"truncated\":true}\n") != NULL);
	/* The same at the smallest size. */
	n = log_json(buf, LOG_JSON_MIN, TS, "debug", msg, sizeof(msg));
	CHECK(n <= LOG_JSON_MIN);
	buf[n] = '\0';
	CHECK(valid_object(buf));
}

int
main(void)
{
	RUN(test_wsgate_lines);
	RUN(test_numbers);
	RUN(test_escapes);
	RUN(test_no_forgery);
	RUN(test_field_limit);
	RUN(test_cut_everywhere);
	RUN(test_round_trip);
	RUN(test_worst_case);
	return tl_summary("unit/log_json");
}
