/* test_json.c -- unit tests for JSON string escaping of untrusted bytes (json.c) and the sinks (sink.c) */
#include "json.h"
#include "sink.h"
#include "testlib.h"

/* The escape of src as a C string (out must be big enough). */
static const char *
esc(char *out, size_t size, const char *src, size_t len)
{
	size_t used, n = json_escape(out, size - 1, src, len, &used);

	out[n] = '\0';
	CHECK_INT(used, len);
	return out;
}

#define ESC(s) esc(out, sizeof(out), (s), sizeof(s) - 1)

static void
test_ascii(void)
{
	char out[256];

	CHECK_STR(ESC(""), "");
	CHECK_STR(ESC("route=echo /a?b=1"), "route=echo /a?b=1");
	CHECK_STR(ESC("say \"hi\" \\ now"), "say \\\"hi\\\" \\\\ now");
	CHECK_STR(ESC("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
	CHECK_STR(ESC("\x01\x1b[31m\x1f\x7f"), "\\u0001\\u001b[31m\\u001f"
	    "\\u007f");
	/* Length, not NUL, ends the input. */
	CHECK_STR(esc(out, sizeof(out), "a\0b", 3), "a\\u0000b");
	/* '/' needs no escape (RFC 8259 7). */
	CHECK_STR(ESC("</script>"), "</script>");
}

static void
test_utf8(void)
{
	char out[256];

	CHECK_STR(ESC("caf\xc3\xa9"), "caf\\u00e9");
	CHECK_STR(ESC("\xe2\x82\xac"), "\\u20ac");
	/* Beyond the BMP: a surrogate pair (U+1F600). */
	CHECK_STR(ESC("\xf0\x9f\x98\x80"), "\\ud83d\\ude00");
	CHECK_STR(ESC("\xf4\x8f\xbf\xbf"), "\\udbff\\udfff");	/* U+10FFFF */
	/* A bidi override is written as an escape, never as itself. */
	CHECK_STR(ESC("\xe2\x80\xae"), "\\u202e");
	CHECK_STR(ESC("\xef\xbb\xbf"), "\\ufeff");
	CHECK_STR(ESC("\xc2\x80"), "\\u0080");
}

/* One U+FFFD for each byte that does not begin a valid sequence. */
static void
test_invalid_utf8(void)
{
	char out[256];

	CHECK_STR(ESC("\xff"), "\\ufffd");
	CHECK_STR(ESC("\x80x"), "\\ufffdx");			/* stray */
	CHECK_STR(ESC("\xc3"), "\\ufffd");			/* cut */
	CHECK_STR(ESC("\xc3("), "\\ufffd(");
	CHECK_STR(ESC("\xe2\x82"), "\\ufffd\\ufffd");
	CHECK_STR(ESC("\xc0\xaf"), "\\ufffd\\ufffd");		/* overlong / */
	CHECK_STR(ESC("\xc1\xbf"), "\\ufffd\\ufffd");
	CHECK_STR(ESC("\xe0\x80\xaf"), "\\ufffd\\ufffd\\ufffd");
	CHECK_STR(ESC("\xf0\x80\x80\xaf"), "\\ufffd\\ufffd\\ufffd\\ufffd");
	CHECK_STR(ESC("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");	/* D800 */
	CHECK_STR(ESC("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
	CHECK_STR(ESC("\xf5\x80\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
	CHECK_STR(ESC("a\xe2\x82\xac\xe2\x82z"),
	    "a\\u20ac\\ufffd\\ufffdz");
}

/* Whole escapes only: every room size gives a prefix of the full
 * output that ends on an escape boundary, and says how much it used. */
static void
test_room(void)
{
	static const char src[] = "a\"\xf0\x9f\x98\x80\x01\xff\xc3\xa9z";
	char full[128], out[128];
	size_t used, flen = json_escape(full, sizeof(full), src,
	    sizeof(src) - 1, &used);

	CHECK_INT(used, sizeof(src) - 1);
	full[flen] = '\0';
	CHECK_STR(full, "a\\\"\\ud83d\\ude00\\u0001\\ufffd\\u00e9z");
	for (size_t room = 0; room <= flen; room++) {
		size_t n = json_escape(out, room, src, sizeof(src) - 1, &used);
		size_t again, m;
		char rest[128];

		CHECK(n <= room);
		CHECK(memcmp(out, full, n) == 0);
		/* The rest of the input escapes to the rest of the output. */
		m = json_escape(rest, sizeof(rest), src + used,
		    sizeof(src) - 1 - used, &again);
		CHECK_INT(n + m, flen);
		CHECK(memcmp(rest, full + n, m) == 0);
	}
}

static int
fail_write(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return -1;
}

static void
test_sinks(void)
{
	struct membuf b = { 0 };
	struct sink s = { membuf_write, &b, false };
	struct membuf small = { .max = 8 };
	struct sink t = { membuf_write, &small, false };
	struct sink u = { fail_write, NULL, false };
	static char big[3000];

	json_sink_string(&s, "x\"\xe2\x82\xac", 5);
	sink_printf(&s, " %d %s", 42, "ok");
	memset(big, 'y', sizeof(big) - 1);
	sink_printf(&s, "%s", big);	/* longer than the stack line */
	CHECK(!s.failed);
	CHECK_INT(b.n, 17 + sizeof(big) - 1);
	CHECK(b.p != NULL && memcmp(b.p, "\"x\\\"\\u20ac\" 42 ok", 17) == 0);
	CHECK(b.p != NULL && b.p[b.n] == '\0');
	/* Over the limit: failed, and nothing more is written. */
	sink_puts(&t, "12345");
	sink_puts(&t, "6789");
	sink_puts(&t, "a");
	CHECK(t.failed);
	CHECK_INT(small.n, 5);
	sink_puts(&u, "x");
	CHECK(u.failed);
	/* Nothing to write is not a failure. */
	u.failed = false;
	sink_write(&u, "", 0);
	CHECK(!u.failed);
	membuf_free(&b);
	membuf_free(&small);
	membuf_free(NULL);
}

/* Random bytes: the output is printable ASCII, never a bare '"' or a
 * '\' that starts no escape, and all input is used when room allows. */
static void
test_random(void)
{
	for (int round = 0; round < 5000; round++) {
		char src[32], out[32 * 6 + 1];
		size_t len = tl_rand() % sizeof(src), used, n;

		for (size_t i = 0; i < len; i++)
			src[i] = (char)(round & 1 ? tl_rand() :
			    0xc0 | (tl_rand() & 0x3f) | (tl_rand() & 0x80));
		n = json_escape(out, sizeof(out) - 1, src, len, &used);
		CHECK_INT(used, len);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)out[i];

			if (c < 0x20 || c >= 0x7f || c == '"') {
				CHECK(0);
				return;
			}
			if (c == '\\') {
				CHECK(i + 1 < n && strchr("\"\\nrtbfu",
				    out[i + 1]) != NULL);
				i++;
			}
		}
	}
}

int
main(void)
{
	RUN(test_ascii);
	RUN(test_utf8);
	RUN(test_invalid_utf8);
	RUN(test_room);
	RUN(test_sinks);
	RUN(test_random);
	return tl_summary("unit/json");
}
