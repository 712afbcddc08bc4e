/* test_log.c -- unit tests for log_escape (hostile bytes in log lines) and levels */
#include "config.h"
#include "log.h"
#include "testlib.h"

#include <unistd.h>

static const char *
esc(char *dst, size_t size, const char *src)
{
	return log_escape(dst, size, src, strlen(src));
}

static void
test_escape(void)
{
	char out[128];

	CHECK_STR(esc(out, sizeof(out), "/chat?x=1"), "/chat?x=1");
	CHECK_STR(esc(out, sizeof(out), ""), "");
	/* A client must not be able to start a new log line or close a
	 * quoted field. */
	CHECK_STR(esc(out, sizeof(out), "a\nb\r\tc"), "a\\x0ab\\x0d\\x09c");
	CHECK_STR(esc(out, sizeof(out), "say \"hi\""),
	    "say \\x22hi\\x22");
	CHECK_STR(esc(out, sizeof(out), "back\\slash"), "back\\x5cslash");
	CHECK_STR(esc(out, sizeof(out), "\x7f\x80\xff" "caf\xc3\xa9"),
	    "\\x7f\\x80\\xffcaf\\xc3\\xa9");
	CHECK_STR(esc(out, sizeof(out), "\x1b[31mred"), "\\x1b[31mred");
	/* Length, not NUL, ends the input. */
	CHECK_STR(log_escape(out, sizeof(out), "a\0b", 3), "a\\x00b");
	CHECK_STR(log_escape(out, sizeof(out), "abc", 1), "a");
}

/* Every output size: NUL-terminated inside the buffer, no cut escape,
 * a prefix of the full escaped text, "..." when something is left out.
 * (It may cut a text that would just fit: room for "..." is kept.) */
static void
test_truncation(void)
{
	static const char src[] = "GET /\x01\"x\" \\ caf\xc3\xa9 and more text";
	char full[256];
	size_t flen;

	log_escape(full, sizeof(full), src, sizeof(src) - 1);
	flen = strlen(full);
	CHECK(flen > 40);
	for (size_t size = 0; size < flen + 8; size++) {
		char *out = malloc(size + 1);
		size_t n;

		if (out == NULL)
			break;
		out[0] = 'Z';
		log_escape(out, size, src, sizeof(src) - 1);
		if (size == 0) {
			CHECK_INT(out[0], 'Z');	/* nothing written */
			free(out);
			continue;
		}
		n = strlen(out);
		CHECK(n < size);
		if (strcmp(out, full) != 0) {
			const char *dots = size >= 4 ? "..." : "";
			size_t kept = n - strlen(dots);
			const char *bs;

			CHECK(n >= strlen(dots));
			CHECK(strcmp(out + kept, dots) == 0);
			CHECK(memcmp(out, full, kept) == 0);
			/* never half an escape: "\x0" */
			out[kept] = '\0';
			bs = strrchr(out, '\\');
			CHECK(bs == NULL || kept - (size_t)(bs - out) >= 4);
			/* at most "..." plus one escape short of the room */
			CHECK(size < 4 || n + 1 + 3 + 4 > size);
		}
		free(out);
		if (tl_check_failures) {
			fprintf(stderr, "    size %zu\n", size);
			break;
		}
	}
}

static void
test_random_bytes(void)
{
	for (int round = 0; round < 2000; round++) {
		char src[64], out[80];
		size_t len = tl_rand() % sizeof(src);

		for (size_t i = 0; i < len; i++)
			src[i] = (char)tl_rand();
		log_escape(out, 1 + tl_rand() % sizeof(out), src, len);
		for (const char *p = out; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;

			if (c < 0x20 || c >= 0x7f || c == '"') {
				CHECK(0);
				return;
			}
			if (c == '\\' && p[1] != 'x') {
				CHECK(0);
				return;
			}
		}
	}
}

/* What one log_msg() call writes, read through a pipe put in place of
 * stderr; its length, or 0. */
static size_t
capture(char *out, size_t size, const char *arg)
{
	int p[2], saved;
	ssize_t n;

	fflush(stderr);
	if (pipe(p) != 0)
		return 0;
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	log_msg(LL_ERROR, "x=\"%s\" end", arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, size - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/* Whatever a format argument holds, one call writes one line of
 * printable ASCII (the last resort behind log_escape at call sites). */
static void
test_one_line_per_call(void)
{
	static char big[5000];
	char out[4096];
	const char *end;
	size_t n;

	n = capture(out, sizeof(out), "a\nFORGED\x1b[31m\xff\"q\"\\");
	end = strstr(out, " error ");
	CHECK(end != NULL);
	if (end != NULL)
		CHECK_STR(end, " error x=\"a\\x0aFORGED\\x1b[31m\\xff\"q\"\\\" "
		    "end\n");
	CHECK(n > 0 && out[n - 1] == '\n');
	memset(big, '\n', sizeof(big) - 1);
	n = capture(out, sizeof(out), big);
	CHECK(n > 100 && n <= 2048);
	CHECK(n > 0 && out[n - 1] == '\n');
	for (size_t i = 0; i + 1 < n; i++)
		if (out[i] < 0x20 || out[i] >= 0x7f) {
			CHECK(0);
			break;
		}
	/* Never half an escape before the newline. */
	CHECK(n >= 5 && memcmp(out + n - 5, "\\x0a\n", 5) == 0);
}

static void
test_levels(void)
{
	enum log_level old = log_get_level();

	log_set_level(LL_WARN);
	CHECK_INT(log_get_level(), LL_WARN);
	CHECK(log_enabled(LL_ERROR));
	CHECK(log_enabled(LL_WARN));
	CHECK(!log_enabled(LL_INFO));
	CHECK(!log_enabled(LL_DEBUG));
	log_set_level(LL_DEBUG);
	CHECK(log_enabled(LL_DEBUG));
	log_set_level(old);
}

/* What one log_msg(level, "%s", text) writes, through a pipe put in
 * place of stderr; its length, or 0. */
static size_t
capture_text(char *out, size_t size, enum log_level level, const char *text)
{
	int p[2], saved;
	ssize_t n;

	fflush(stderr);
	if (pipe(p) != 0)
		return 0;
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	log_msg(level, "%s", text);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, size - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/* log_format = json: one object per line, with the same timestamp form
 * and level words; the message's fields as fields. */
static void
test_json_format(void)
{
	char out[4096];
	const char *p;
	size_t n;

	log_set_format(LOG_FORMAT_JSON);
	n = capture_text(out, sizeof(out), LL_WARN, "reject client=1.2.3.4:5 "
	    "status=503 path=\"/a\\x22b\" reason=\"x\"");
	log_set_format(LOG_FORMAT_TEXT);
	CHECK(n > 0 && out[n - 1] == '\n');
	CHECK(strncmp(out, "{\"ts\":\"20", 9) == 0);
	/* "ts":"YYYY-MM-DDTHH:MM:SS.mmmZ" */
	CHECK(n > 33 && out[17] == 'T' && out[30] == 'Z' && out[31] == '"');
	p = strchr(out, ',');
	CHECK_STR(p, ",\"level\":\"warn\",\"event\":\"reject\","
	    "\"client\":\"1.2.3.4:5\",\"status\":503,\"path\":\"/a\\\"b\","
	    "\"reason\":\"x\"}\n");
	/* Bytes no call site escaped: JSON escapes, never raw. */
	log_set_format(LOG_FORMAT_JSON);
	n = capture_text(out, sizeof(out), LL_ERROR, "odd \x1b[2J\n\xff");
	log_set_format(LOG_FORMAT_TEXT);
	p = strchr(out, ',');
	CHECK_STR(p, ",\"level\":\"error\",\"msg\":\"odd \\u001b[2J\\n"
	    "\\ufffd\"}\n");
	/* Text again afterwards. */
	n = capture_text(out, sizeof(out), LL_ERROR, "plain");
	CHECK(n > 0 && strstr(out, "Z error plain\n") != NULL);
}

/* log_configure: the configuration's level and format; a level given
 * on the command line (log_set_level) wins, now and on reloads. */
static void
test_configure(void)
{
	struct config_errors errs = { 0 };
	struct config *dbg = config_load_string("l.ini", "[gateway]\n"
	    "listen = 127.0.0.1:0\nlog_level = debug\nlog_format = json\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);
	struct config *def = config_load_string("l.ini", "[gateway]\n"
	    "listen = 127.0.0.1:0\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);

	CHECK(dbg != NULL && def != NULL);
	if (dbg == NULL || def == NULL)
		goto out;
	log_clear_level();
	log_configure(dbg);
	CHECK_INT(log_get_level(), LL_DEBUG);
	CHECK_INT(log_get_format(), LOG_FORMAT_JSON);
	log_configure(def);	/* a reload back to the defaults */
	CHECK_INT(log_get_level(), LL_INFO);
	CHECK_INT(log_get_format(), LOG_FORMAT_TEXT);
	/* -q, then a configuration that says debug: warn stays. */
	log_set_level(LL_WARN);
	log_configure(dbg);
	CHECK_INT(log_get_level(), LL_WARN);
	CHECK_INT(log_get_format(), LOG_FORMAT_JSON);
	log_configure(def);
	CHECK_INT(log_get_level(), LL_WARN);
	/* -v over log_level = info (the default). */
	log_set_level(LL_DEBUG);
	log_configure(def);
	CHECK_INT(log_get_level(), LL_DEBUG);
	CHECK_INT(log_get_format(), LOG_FORMAT_TEXT);
out:
	log_clear_level();
	log_set_format(LOG_FORMAT_TEXT);
	config_unref(dbg);
	config_unref(def);
	config_errors_free(&errs);
}

int
main(void)
{
	RUN(test_escape);
	RUN(test_truncation);
	RUN(test_random_bytes);
	RUN(test_one_line_per_call);
	RUN(test_levels);
	RUN(test_json_format);
	RUN(test_configure);
	return tl_summary("unit/log");
}
