/* test_tokenfile.c -- unit tests for websockify token file parsing: lines, whole files, fed in pieces */
#include "testlib.h"

#include "tokenfile.h"

/* One entry as text, "token => host port" or "token => unix path". */
static void
describe(const struct tokenfile_entry *e, char *out, size_t size)
{
	if (e->target.kind == TOKEN_TARGET_UNIX)
		snprintf(out, size, "%.*s => unix %.*s", (int)e->token_len,
		    e->token, (int)e->target.host_len, e->target.host);
	else
		snprintf(out, size, "%.*s => %.*s %u", (int)e->token_len,
		    e->token, (int)e->target.host_len, e->target.host,
		    (unsigned)e->target.port);
}

#define MAX_SEEN 32

struct seen {
	char lines[MAX_SEEN][128];
	size_t n;
	int rc;			/* 0, or CODEC_ERROR */
	unsigned long errline;
	const char *why;
};

/* The whole buffer through tokenfile_next(). */
static void
read_all(const char *buf, size_t len, struct seen *s)
{
	struct tokenfile_reader r;
	struct tokenfile_entry e;
	int rc;

	memset(s, 0, sizeof(*s));
	tokenfile_reader_init(&r, buf, len);
	while ((rc = tokenfile_next(&r, &e, &s->why)) == 1) {
		if (s->n < MAX_SEEN)
			describe(&e, s->lines[s->n], sizeof(s->lines[0]));
		s->n++;
	}
	s->rc = rc;
	s->errline = rc == 0 ? 0 : r.line;
}

/*
 * The same buffer as a reader of a pipe would see it: chunk bytes at a
 * time, calling tokenfile_parse() on what has arrived and not yet been
 * consumed.  Each piece is a heap copy of exactly the bytes available,
 * so ASan sees any read past them.
 */
static void
read_pieces(const char *buf, size_t len, size_t chunk, struct seen *s)
{
	size_t start = 0, have = 0;
	unsigned long line = 0;

	memset(s, 0, sizeof(*s));
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		start = have = 3;
	for (;;) {
		struct tokenfile_entry e;
		bool eof = have == len;
		char *piece = malloc(have - start + 1);
		int rc;

		memcpy(piece, buf + start, have - start);
		rc = tokenfile_parse(piece, have - start, eof, &e, &s->why);
		if (rc == CODEC_NEED_MORE) {
			free(piece);
			CHECK(!eof);
			have = have + chunk < len ? have + chunk : len;
			continue;
		}
		if (rc == 0) {
			free(piece);
			CHECK(eof && have == start);
			break;
		}
		line++;
		if (rc == CODEC_ERROR) {
			free(piece);
			s->rc = CODEC_ERROR;
			s->errline = line;
			return;
		}
		if (e.token_len != 0) {
			if (s->n < MAX_SEEN)
				describe(&e, s->lines[s->n],
				    sizeof(s->lines[0]));
			s->n++;
		}
		free(piece);
		start += (size_t)rc;
	}
}

static bool
seen_equal(const struct seen *a, const struct seen *b)
{
	if (a->n != b->n || a->rc != b->rc || a->errline != b->errline)
		return false;
	if (a->rc != 0 && strcmp(a->why, b->why) != 0)
		return false;
	for (size_t i = 0; i < a->n && i < MAX_SEEN; i++)
		if (strcmp(a->lines[i], b->lines[i]) != 0)
			return false;
	return true;
}

/* Whole, and in pieces of every size up to 9 and some larger ones. */
static void
read_every_way(const char *buf, size_t len, struct seen *whole)
{
	static const size_t chunks[] = { 1, 2, 3, 4, 5, 7, 9, 64, 4096 };

	read_all(buf, len, whole);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct seen p;

		read_pieces(buf, len, chunks[i], &p);
		if (!seen_equal(whole, &p)) {
			fprintf(stderr, "    pieces of %zu differ\n", chunks[i]);
			CHECK(0);
		}
	}
}

static void
test_websockify_file(void)
{
	/* What websockify 0.10 accepts, and what it makes of it. */
	static const char file[] =
	    "# noVNC consoles\n"
	    "\n"
	    "vm1: 10.0.0.5:5900\n"
	    "   vm2:   vm2.lab.example:5901   \n"
	    "\t# indented comment\n"
	    "vm3:\t[::1]:5902\n"
	    "vm4: ::1:5903\n"
	    "a:b: host-x:1\n"
	    "sock: unix_socket:/run/vnc/vm5.sock\n"
	    "two words: h:2\n"
	    "trail : h:3\n"
	    "crlf: h:4\r\n"
	    "   \t \r\n"
	    "last: h:5";	/* no final newline */
	static const char *const want[] = {
		"vm1 => 10.0.0.5 5900",
		"vm2 => vm2.lab.example 5901",
		"vm3 => ::1 5902",
		"vm4 => ::1 5903",
		"a:b => host-x 1",
		"sock => unix /run/vnc/vm5.sock",
		"two words => h 2",
		"trail  => h 3",	/* websockify keeps "trail " */
		"crlf => h 4",
		"last => h 5",
	};
	struct tokenfile_reader r;
	struct tokenfile_entry e;
	const char *why;
	struct seen s;

	read_every_way(file, sizeof(file) - 1, &s);
	CHECK_INT(s.rc, 0);
	CHECK_INT(s.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < s.n && i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(s.lines[i], want[i]);

	/* Line numbers and the unterminated last line. */
	tokenfile_reader_init(&r, file, sizeof(file) - 1);
	CHECK_INT(tokenfile_next(&r, &e, &why), 1);
	CHECK_INT(r.line, 3);
	while (tokenfile_next(&r, &e, &why) == 1)
		;
	CHECK_INT(r.line, 14);
	CHECK(r.unterminated);
	tokenfile_reader_init(&r, "a: h:1\n", 7);
	CHECK_INT(tokenfile_next(&r, &e, &why), 1);
	CHECK_INT(tokenfile_next(&r, &e, &why), 0);
	CHECK(!r.unterminated);
	/* The entry's views point into the buffer. */
	tokenfile_reader_init(&r, file, sizeof(file) - 1);
	CHECK_INT(tokenfile_next(&r, &e, &why), 1);
	CHECK(e.token == file + strlen("# noVNC consoles\n\n"));
	CHECK_INT(e.token_len, 3);
}

static void
test_empty_and_bom(void)
{
	static const char bom[] = "\xef\xbb\xbfvm1: h:1\n";
	static const char bom2[] = "a: h:1\n\xef\xbb\xbfvm1: h:1\n";
	struct seen s;

	read_every_way("", 0, &s);
	CHECK_INT(s.rc, 0);
	CHECK_INT(s.n, 0);
	read_every_way("\n\n# x\n", 6, &s);
	CHECK_INT(s.rc, 0);
	CHECK_INT(s.n, 0);
	read_every_way(bom, sizeof(bom) - 1, &s);
	CHECK_INT(s.rc, 0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.lines[0], "vm1 => h 1");
	/* A BOM elsewhere is part of a line, and so of the token. */
	read_every_way(bom2, sizeof(bom2) - 1, &s);
	CHECK_INT(s.rc, 0);
	CHECK_INT(s.n, 2);
}

static void
test_errors(void)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "vm1 10.0.0.5:5900", "expected 'token: host:port' or "
				       "'token: unix_socket:/path'" },
		/* re.split(':\s') finds nothing in "vm1:10.0.0.5:5900". */
		{ "vm1:10.0.0.5:5900", "expected 'token: host:port' or "
				       "'token: unix_socket:/path'" },
		{ "t: h: 1", "more than one ': ' in the line (the token is "
			     "what comes before the only ': ')" },
		{ ": h:1", "empty token" },
		{ "vm1: 10.0.0.5", "target must be host:port, [ipv6]:port or "
				   "unix_socket:/path" },
		{ "vm1: h:0", "port must be a number from 1 to 65535" },
		{ "vm1: h:5900x", "port must be a number from 1 to 65535" },
		{ "vm1: h :5900", "host has a character other than letters, "
				  "digits, '.', '-' and '_'" },
		{ "vm1: unix_socket:vnc.sock", "unix socket path must be "
					       "absolute" },
		{ "t\x01: h:1", "token contains a control character" },
		{ "vm1:", "expected 'token: host:port' or "
			  "'token: unix_socket:/path'" },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seen s;
		int n;

		/* After two good lines and a comment: the error is line 4. */
		n = snprintf(buf, sizeof(buf), "a: h:1\nb: h:2\n# c\n%s\nd: h:3\n",
		    bad[i].line);
		read_every_way(buf, (size_t)n, &s);
		if (s.rc != CODEC_ERROR || s.errline != 4 || s.n != 2 ||
		    s.why == NULL || strcmp(s.why, bad[i].why) != 0) {
			fprintf(stderr, "    line \"%s\": rc %d line %lu why %s\n",
			    bad[i].line, s.rc, s.errline,
			    s.why != NULL ? s.why : "(none)");
			CHECK(0);
		}
	}
	/* A lone CR: websockify (Python) would read two lines. */
	{
		static const char lone[] = "a: h:1\n#\rb: h:2\nc: h:3\r\n";
		static const char crlf[] = "a: h:1\r\nb: h:2\r";
		struct seen s;

		read_every_way(lone, sizeof(lone) - 1, &s);
		CHECK_INT(s.rc, CODEC_ERROR);
		CHECK_INT(s.errline, 2);
		CHECK_STR(s.why, "carriage return inside a line (end lines with "
		    "LF or CRLF)");
		read_every_way(crlf, sizeof(crlf) - 1, &s);
		CHECK_INT(s.rc, 0);
		CHECK_INT(s.n, 2);
	}
	/* A NUL byte inside a line. */
	{
		struct seen s;

		read_every_way("a: h:1\nb\0: h:2\n", 15, &s);
		CHECK_INT(s.rc, CODEC_ERROR);
		CHECK_INT(s.errline, 2);
		CHECK_STR(s.why, "NUL byte in the line");
	}
}

static void
test_line_limit(void)
{
	char *buf = malloc(TOKENFILE_LINE_MAX + 16);
	struct tokenfile_entry e;
	const char *why;
	struct seen s;
	size_t n;

	/* A comment of exactly TOKENFILE_LINE_MAX bytes, then an entry. */
	memset(buf, '#', TOKENFILE_LINE_MAX);
	memcpy(buf + TOKENFILE_LINE_MAX, "\nv: h:1\n", 8);
	n = TOKENFILE_LINE_MAX + 8;
	read_every_way(buf, n, &s);
	CHECK_INT(s.rc, 0);
	CHECK_INT(s.n, 1);
	/* One byte more is an error, found before the newline arrives. */
	buf[TOKENFILE_LINE_MAX] = '#';
	CHECK_INT(tokenfile_parse(buf, TOKENFILE_LINE_MAX + 1, false, &e,
	    &why), CODEC_ERROR);
	CHECK_STR(why, "line longer than 4096 bytes");
	CHECK_INT(tokenfile_parse(buf, TOKENFILE_LINE_MAX, false, &e, &why),
	    CODEC_NEED_MORE);
	/* At the end of the input, TOKENFILE_LINE_MAX bytes are a line. */
	CHECK_INT(tokenfile_parse(buf, TOKENFILE_LINE_MAX, true, &e, &why),
	    TOKENFILE_LINE_MAX);
	CHECK_INT(e.token_len, 0);
	read_every_way(buf, TOKENFILE_LINE_MAX + 1, &s);
	CHECK_INT(s.rc, CODEC_ERROR);
	CHECK_INT(s.errline, 1);
	free(buf);
}

static void
test_parse_returns(void)
{
	struct tokenfile_entry e;
	const char *why;

	CHECK_INT(tokenfile_parse("", 0, true, &e, &why), 0);
	CHECK_INT(tokenfile_parse("", 0, false, &e, &why), CODEC_NEED_MORE);
	CHECK_INT(tokenfile_parse("v: h:1", 6, false, &e, &why),
	    CODEC_NEED_MORE);
	CHECK_INT(tokenfile_parse("v: h:1", 6, true, &e, &why), 6);
	CHECK_INT(e.token_len, 1);
	CHECK_INT(tokenfile_parse("v: h:1\nw: h:2\n", 14, false, &e, &why), 7);
	CHECK_INT(tokenfile_parse("\n", 1, false, &e, &why), 1);
	CHECK_INT(e.token_len, 0);
	CHECK(e.token == NULL);
}

static void
test_content(void)
{
	struct token_target t;
	const char *why;

	CHECK_INT(tokenfile_parse_content("10.0.0.5:5900\n", 14, &t, &why), 0);
	CHECK_INT(t.kind, TOKEN_TARGET_TCP);
	CHECK_INT(t.port, 5900);
	CHECK_INT(tokenfile_parse_content("  [::1]:1 \r\n", 12, &t, &why), 0);
	CHECK_INT(t.host_len, 3);
	CHECK_INT(tokenfile_parse_content("unix_socket:/run/a.sock", 23, &t,
	    &why), 0);
	CHECK_INT(t.kind, TOKEN_TARGET_UNIX);
	CHECK_INT(tokenfile_parse_content("", 0, &t, &why), CODEC_ERROR);
	CHECK_STR(why, "empty file: expected host:port or unix_socket:/path");
	CHECK_INT(tokenfile_parse_content(" \n\n", 3, &t, &why), CODEC_ERROR);
	CHECK_INT(tokenfile_parse_content("a:1\nb:2\n", 8, &t, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "expected one line: host:port or unix_socket:/path");
	CHECK_INT(tokenfile_parse_content("a:1\0", 4, &t, &why), CODEC_ERROR);
	CHECK_INT(tokenfile_parse_content("vm1", 3, &t, &why), CODEC_ERROR);
}

int
main(void)
{
	RUN(test_websockify_file);
	RUN(test_empty_and_bom);
	RUN(test_errors);
	RUN(test_line_limit);
	RUN(test_parse_returns);
	RUN(test_content);
	return tl_summary("unit/tokenfile");
}
