/* test_utf8_split.c -- unit tests for text-message boundaries: every split of every 1-4 byte sequence, invalid bytes, streaming */
#include "testlib.h"
#include "utf8.h"
#include "utf8_split.h"

/* Boundary code points of each length, and the surrogate edges. */
static const uint32_t cps[] = {
	0x00, 0x41, 0x7f,			/* 1 byte */
	0x80, 0xe9, 0x7ff,			/* 2 */
	0x800, 0x20ac, 0xd7ff, 0xe000, 0xfffd, 0xffff,	/* 3 */
	0x10000, 0x1f600, 0x10ffff,		/* 4 */
};
#define NCPS (sizeof(cps) / sizeof(cps[0]))

static size_t
encode(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * "ab" + the character + "cd": every prefix, as a whole buffer, gives
 * the last boundary at or before its end; the rest is pending.
 */
static void
test_every_split_whole(void)
{
	for (size_t i = 0; i < NCPS; i++) {
		uint8_t buf[8] = { 'a', 'b' };
		size_t len = encode(cps[i], buf + 2);
		size_t n = 2 + len + 2;

		buf[2 + len] = 'c';
		buf[3 + len] = 'd';
		for (size_t k = 0; k <= n; k++) {
			const char *why = "x";
			size_t want = k <= 2 ? k : k < 2 + len ? 2 : k;
			struct utf8_split s;

			CHECK_INT(utf8_split_prefix(buf, k, &why), (int)want);
			CHECK(why == NULL);
			utf8_split_init(&s);
			CHECK_INT(utf8_split_feed(&s, buf, k, &why), (int)want);
			CHECK_INT(utf8_split_pending(&s), k - want);
			CHECK(utf8_split_pending(&s) <= 3);
			/* The part said to be ready is valid on its own. */
			CHECK(utf8_valid(buf, want));
		}
	}
}

/* The same, fed one byte at a time, and in two pieces split anywhere. */
static void
test_every_split_streamed(void)
{
	for (size_t i = 0; i < NCPS; i++) {
		uint8_t buf[8] = { 'a', 'b' };
		size_t len = encode(cps[i], buf + 2);
		size_t n = 2 + len + 2;
		struct utf8_split s;
		const char *why;

		buf[2 + len] = 'c';
		buf[3 + len] = 'd';
		utf8_split_init(&s);
		for (size_t k = 1; k <= n; k++) {
			size_t want = k <= 2 ? k : k < 2 + len ? 2 : k;

			CHECK_INT(utf8_split_feed(&s, buf + k - 1, 1, &why),
			    (int)want);
			CHECK_INT(utf8_split_pending(&s), k - want);
		}
		for (size_t cut = 0; cut <= n; cut++) {
			size_t want = cut <= 2 ? cut : cut < 2 + len ? 2 : cut;

			utf8_split_init(&s);
			CHECK_INT(utf8_split_feed(&s, buf, cut, &why),
			    (int)want);
			CHECK_INT(utf8_split_feed(&s, buf + cut, n - cut, &why),
			    (int)n);
			CHECK_INT(utf8_split_pending(&s), 0);
		}
	}
}

/* Two multi-byte characters back to back, cut in three pieces anywhere. */
static void
test_adjacent_characters(void)
{
	for (size_t i = 0; i < NCPS; i++) {
		for (size_t j = 0; j < NCPS; j++) {
			uint8_t buf[8];
			size_t l1 = encode(cps[i], buf);
			size_t n = l1 + encode(cps[j], buf + l1);

			for (size_t a = 0; a <= n; a++) {
				for (size_t b = a; b <= n; b++) {
					struct utf8_split s;
					const char *why;
					size_t want = b == n ? n : b >= l1 ? l1 : 0;

					utf8_split_init(&s);
					utf8_split_feed(&s, buf, a, &why);
					utf8_split_feed(&s, buf + a, b - a, &why);
					CHECK_INT(s.fed - s.pending, want);
					CHECK_INT(utf8_split_feed(&s, buf + b,
					    n - b, &why), (int)n);
				}
			}
		}
	}
}

struct bad_case {
	const char *name;
	uint8_t bytes[6];
	size_t n;
	size_t fail_at;		/* index of the first impossible byte */
};

static const struct bad_case bad[] = {
	{ "overlong 2 (C0 80)", { 0xc0, 0x80 }, 2, 0 },
	{ "overlong 2 (C1 BF)", { 0xc1, 0xbf }, 2, 0 },
	{ "overlong 3 (E0 80 80)", { 0xe0, 0x80, 0x80 }, 3, 1 },
	{ "overlong 3 (E0 9F BF)", { 0xe0, 0x9f, 0xbf }, 3, 1 },
	{ "overlong 4 (F0 80 80 80)", { 0xf0, 0x80, 0x80, 0x80 }, 4, 1 },
	{ "overlong 4 (F0 8F BF BF)", { 0xf0, 0x8f, 0xbf, 0xbf }, 4, 1 },
	{ "surrogate D800", { 0xed, 0xa0, 0x80 }, 3, 1 },
	{ "surrogate DFFF", { 0xed, 0xbf, 0xbf }, 3, 1 },
	{ "above 10FFFF (F4 90)", { 0xf4, 0x90, 0x80, 0x80 }, 4, 1 },
	{ "F5 lead", { 0xf5, 0x80, 0x80, 0x80 }, 4, 0 },
	{ "FF", { 0xff }, 1, 0 },
	{ "FE", { 0xfe }, 1, 0 },
	{ "lone continuation 80", { 0x80 }, 1, 0 },
	{ "lone continuation BF", { 0xbf }, 1, 0 },
	{ "2-byte cut by ASCII", { 0xc3, 0x41 }, 2, 1 },
	{ "3-byte cut by ASCII", { 0xe2, 0x82, 0x41 }, 3, 2 },
	{ "4-byte cut by a lead", { 0xf0, 0x9f, 0x98, 0xc3, 0xa9 }, 5, 3 },
	{ "extra continuation", { 0xc3, 0xa9, 0xa9 }, 3, 2 },
};

static void
test_invalid(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad_case *c = &bad[i];
		uint8_t buf[16] = { 'o', 'k' };
		size_t n = 2 + c->n;
		struct utf8_split s;
		const char *why = NULL;

		memcpy(buf + 2, c->bytes, c->n);
		if (utf8_split_prefix(buf, n, &why) != CODEC_ERROR)
			tl_fail_at(__FILE__, __LINE__, c->name);
		CHECK(why != NULL && strcmp(why, "invalid UTF-8") == 0);
		/* Byte by byte: fails exactly at the first impossible byte. */
		utf8_split_init(&s);
		for (size_t k = 0; k < n; k++) {
			int r = utf8_split_feed(&s, buf + k, 1, &why);

			if (k < 2 + c->fail_at) {
				if (r < 0)
					tl_fail_at(__FILE__, __LINE__, c->name);
			} else {
				if (r != CODEC_ERROR)
					tl_fail_at(__FILE__, __LINE__, c->name);
				break;
			}
		}
	}
}

/* A backend stream ending inside a character: pending says so. */
static void
test_end_of_stream(void)
{
	static const uint8_t tail[] = { 'x', 0xf0, 0x9f, 0x98 };
	struct utf8_split s;
	const char *why;

	utf8_split_init(&s);
	CHECK_INT(utf8_split_feed(&s, tail, sizeof(tail), &why), 1);
	CHECK_INT(utf8_split_pending(&s), 3);
	utf8_split_init(&s);
	CHECK_INT(utf8_split_feed(&s, tail, 0, &why), 0);
	CHECK_INT(utf8_split_pending(&s), 0);
}

/*
 * The relay's loop: take at most `cap` bytes of what is waiting, send
 * what is ready as one message, keep the rest.  Messages are valid UTF-8
 * and put back together give the stream; no message is empty while at
 * least 4 bytes wait.
 */
static void
test_relay_loop(void)
{
	uint8_t stream[4096];
	size_t n = 0;
	static const size_t caps[] = { 4, 5, 6, 7, 8, 13, 64, 65535 };

	while (n + 4 <= sizeof(stream)) {
		uint32_t cp = (uint32_t)(tl_rand() % 0x110000);

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (tl_rand() % 3 == 0)
			cp &= 0x7f;
		n += encode(cp, stream + n);
	}
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint8_t out[sizeof(stream)];
		size_t off = 0, nout = 0, msgs = 0;

		while (off < n && msgs < n) {
			size_t take = n - off < caps[c] ? n - off : caps[c];
			struct utf8_split s;
			const char *why;
			int r;

			utf8_split_init(&s);
			/* In two pieces, like an evbuffer's iovecs. */
			utf8_split_feed(&s, stream + off, take / 2, &why);
			r = utf8_split_feed(&s, stream + off + take / 2,
			    take - take / 2, &why);
			CHECK(r > 0);
			if (r <= 0)
				break;
			CHECK(utf8_valid(stream + off, (size_t)r));
			memcpy(out + nout, stream + off, (size_t)r);
			nout += (size_t)r;
			off += (size_t)r;
			msgs++;
		}
		CHECK_INT(nout, n);
		CHECK(memcmp(out, stream, n) == 0);
	}
}

static void
test_total_bound(void)
{
	struct utf8_split s;
	const char *why = NULL;

	utf8_split_init(&s);
	s.fed = UTF8_SPLIT_MAX - 1;
	CHECK_INT(utf8_split_feed(&s, (const uint8_t *)"ab", 2, &why),
	    CODEC_ERROR);
	CHECK(why != NULL);
}

int
main(void)
{
	RUN(test_every_split_whole);
	RUN(test_every_split_streamed);
	RUN(test_adjacent_characters);
	RUN(test_invalid);
	RUN(test_end_of_stream);
	RUN(test_relay_loop);
	RUN(test_total_bound);
	return tl_summary("unit/utf8_split");
}
