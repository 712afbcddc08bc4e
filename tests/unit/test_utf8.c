/* test_utf8.c -- unit tests for the incremental UTF-8 validator: Unicode table 3-7, splits, fail-fast, differential */
#include "../ref/utf8_ref.h"
#include "testlib.h"
#include "utf8.h"

/*
 * Feed p in pieces ending at cuts[] (increasing, last == n) and check the
 * call that first returns -1 is the one holding byte fail (-1: none), and
 * that completeness matches at the end.
 */
static bool
feed_pieces(const uint8_t *p, size_t n, const size_t *cuts, size_t ncuts,
    long fail, bool complete)
{
	struct utf8_state st = { 0 };
	size_t at = 0;

	if (ncuts == 0 || cuts[ncuts - 1] != n)
		return false;
	for (size_t i = 0; i < ncuts; i++) {
		int rc = utf8_feed(&st, p + at, cuts[i] - at);
		bool here = fail >= 0 && (size_t)fail >= at &&
		    (size_t)fail < cuts[i];

		if (rc != (here ? -1 : 0))
			return false;
		if (here)
			return true;
		at = cuts[i];
	}
	return fail < 0 && utf8_complete(&st) == complete;
}

/* Whole, one byte at a time, and split in two at every position. */
static bool
check_all_splits(const uint8_t *p, size_t n, long fail, bool complete)
{
	size_t cuts[512];

	if (n > sizeof(cuts) / sizeof(cuts[0]))
		return false;
	if (utf8_valid(p, n) != (fail < 0 && complete))
		return false;
	cuts[0] = n;
	if (!feed_pieces(p, n, cuts, 1, fail, complete))
		return false;
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	if (n > 0 && !feed_pieces(p, n, cuts, n, fail, complete))
		return false;
	for (size_t k = 0; k <= n; k++) {
		cuts[0] = k;
		cuts[1] = n;
		if (!feed_pieces(p, n, cuts, 2, fail, complete))
			return false;
	}
	/* Three pieces, so a 4-byte sequence is cut twice. */
	for (size_t a = 0; a <= n && n <= 40; a++) {
		for (size_t b = a; b <= n; b++) {
			cuts[0] = a;
			cuts[1] = b;
			cuts[2] = n;
			if (!feed_pieces(p, n, cuts, 3, fail, complete))
				return false;
		}
	}
	return true;
}

struct vec {
	const char *bytes;
	long fail;	/* index of the first impossible byte, or -1 */
	bool complete;	/* when fail == -1 */
};

static void
run_vectors(const struct vec *v, size_t nv)
{
	for (size_t i = 0; i < nv; i++) {
		const uint8_t *p = (const uint8_t *)v[i].bytes;
		size_t n = strlen(v[i].bytes);
		bool rc_complete;
		long ref = utf8_ref_check(p, n, &rc_complete);

		/* The reference must agree with the table first. */
		if (ref != v[i].fail ||
		    (ref < 0 && rc_complete != v[i].complete)) {
			fprintf(stderr, "    vector %zu: reference says %ld\n",
			    i, ref);
			CHECK(0);
		}
		if (!check_all_splits(p, n, v[i].fail, v[i].complete)) {
			fprintf(stderr, "    vector %zu (", i);
			for (size_t j = 0; j < n; j++)
				fprintf(stderr, "%s%02X", j ? " " : "", p[j]);
			fprintf(stderr, ")\n");
			CHECK(0);
		}
	}
}

/* Unicode 15 table 3-7: the edges of every row. */
static void
test_table_3_7_valid(void)
{
	static const struct vec v[] = {
		{ "", -1, true },
		{ "\x01", -1, true },
		{ "\x7f", -1, true },
		{ "hello, world", -1, true },
		{ "\xc2\x80", -1, true },		/* U+0080 */
		{ "\xc2\xbf", -1, true },
		{ "\xdf\xbf", -1, true },		/* U+07FF */
		{ "\xe0\xa0\x80", -1, true },		/* U+0800 */
		{ "\xe0\xbf\xbf", -1, true },		/* U+0FFF */
		{ "\xe1\x80\x80", -1, true },		/* U+1000 */
		{ "\xec\xbf\xbf", -1, true },		/* U+CFFF */
		{ "\xed\x80\x80", -1, true },		/* U+D000 */
		{ "\xed\x9f\xbf", -1, true },		/* U+D7FF */
		{ "\xee\x80\x80", -1, true },		/* U+E000 */
		{ "\xef\xbb\xbf", -1, true },		/* U+FEFF */
		{ "\xef\xbf\xbe", -1, true },		/* U+FFFE */
		{ "\xef\xbf\xbf", -1, true },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", -1, true },	/* U+10000 */
		{ "\xf0\xbf\xbf\xbf", -1, true },	/* U+3FFFF */
		{ "\xf1\x80\x80\x80", -1, true },	/* U+40000 */
		{ "\xf3\xbf\xbf\xbf", -1, true },	/* U+FFFFF */
		{ "\xf4\x80\x80\x80", -1, true },	/* U+100000 */
		{ "\xf4\x8f\xbf\xbf", -1, true },	/* U+10FFFF */
		/* "κόσμε", "Hello-µ@ßöäüàá-UTF-8!!" (Autobahn 6.2) */
		{ "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", -1, true },
		{ "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0"
		  "\xc3\xa1-UTF-8!!", -1, true },
		{ "\xf0\x9f\x98\x80 smile \xe2\x82\xac \xc3\xa9", -1, true },
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

static void
test_table_3_7_invalid(void)
{
	static const struct vec v[] = {
		{ "\x80", 0, false },
		{ "\xbf", 0, false },
		{ "a\x80", 1, false },
		{ "\xc2\x80\x80", 2, false },
		/* Overlong 2-byte leads */
		{ "\xc0\x80", 0, false },
		{ "\xc0\xaf", 0, false },
		{ "\xc1\xbf", 0, false },
		/* Bad continuation of a 2-byte sequence */
		{ "\xc2\x7f", 1, false },
		{ "\xc2\xc0", 1, false },
		{ "\xc2\xc2\x80", 1, false },
		/* Overlong 3-byte: E0 needs A0..BF */
		{ "\xe0\x80\x80", 1, false },
		{ "\xe0\x80\xaf", 1, false },
		{ "\xe0\x9f\xbf", 1, false },
		/* Surrogates: ED needs 80..9F */
		{ "\xed\xa0\x80", 1, false },
		{ "\xed\xbf\xbf", 1, false },
		{ "\xed\xa0\xbd\xed\xb2\xa9", 1, false },	/* CESU-8 */
		{ "\xe1\x80\x41", 2, false },
		{ "\xe1\x41", 1, false },
		{ "\xef\xbf\xc0", 2, false },
		/* Overlong 4-byte: F0 needs 90..BF */
		{ "\xf0\x80\x80\x80", 1, false },
		{ "\xf0\x8f\xbf\xbf", 1, false },
		/* Above U+10FFFF: F4 needs 80..8F, F5..F7 never */
		{ "\xf4\x90\x80\x80", 1, false },
		{ "\xf4\xbf\xbf\xbf", 1, false },
		{ "\xf5\x80\x80\x80", 0, false },
		{ "\xf7\xbf\xbf\xbf", 0, false },
		{ "\xf1\x80\x80\x41", 3, false },
		{ "\xf1\x80\x80\xc0", 3, false },
		/* Never in UTF-8 */
		{ "\xf8\x88\x80\x80\x80", 0, false },
		{ "\xfc\x84\x80\x80\x80\x80", 0, false },
		{ "\xfe", 0, false },
		{ "\xff", 0, false },
		{ "abc\xc0", 3, false },
		{ "0123456789abcdef\xff", 16, false },
		{ "0123456\xe2\x82\xac""0123456789\x80", 20, false },
	};

	run_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* Inputs that are fine so far but end inside a sequence. */
static void
test_truncated(void)
{
	static const struct vec v[] = {
		{ "\xc2", -1, false },
		{ "\xdf", -1, false },
		{ "\xe0", -1, false },
		{ "\xe0\xa0", -1, false },
		{ "\xed\x9f", -1, false },
		{ "\xef\xbf", -1, false },
		{ "\xf0", -1, false },
		{ "\xf0\x90", -1, false },
		{ "\xf0\x90\x80", -1, false },
		{ "\xf4\x8f\xbf", -1, false },
		{ "abc\xe2\x82", -1, false },
		{ "0123456789abcdef\xf0\x9f\x98", -1, false },
	};
	struct utf8_state st = { 0 };

	run_vectors(v, sizeof(v) / sizeof(v[0]));
	CHECK(utf8_complete(&st));
	CHECK_INT(utf8_feed(&st, (const uint8_t *)"", 0), 0);
	CHECK(utf8_complete(&st));
	CHECK_INT(utf8_feed(&st, (const uint8_t *)"\xe2", 1), 0);
	CHECK(!utf8_complete(&st));
	CHECK_INT(utf8_feed(&st, (const uint8_t *)"", 0), 0);
	CHECK(!utf8_complete(&st));
	CHECK_INT(utf8_feed(&st, (const uint8_t *)"\x82", 1), 0);
	CHECK(!utf8_complete(&st));
	CHECK_INT(utf8_feed(&st, (const uint8_t *)"\xac", 1), 0);
	CHECK(utf8_complete(&st));
	CHECK(!utf8_valid((const uint8_t *)"\xe2\x82", 2));
}

/* The 8-byte ASCII fast path: a non-ASCII byte at every offset. */
static void
test_ascii_runs(void)
{
	uint8_t buf[64];

	for (size_t k = 0; k + 2 < sizeof(buf); k++) {
		bool complete;

		memset(buf, 'a', sizeof(buf));
		buf[k] = 0x80;
		CHECK_INT(utf8_ref_check(buf, sizeof(buf), &complete), (long)k);
		CHECK(check_all_splits(buf, sizeof(buf), (long)k, false));
		buf[k] = 0xc3;
		buf[k + 1] = 0xa9;
		CHECK(check_all_splits(buf, sizeof(buf), -1, true));
		buf[k + 1] = 'a';
		CHECK(check_all_splits(buf, sizeof(buf), (long)k + 1, false));
		/* Trailing lead byte: valid so far, incomplete. */
		CHECK(check_all_splits(buf, k + 1, -1, false));
	}
}

/* Random inputs biased toward multi-byte sequences and edge bytes. */
static size_t
put_cp(uint8_t *out, uint32_t cp)
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

static uint32_t
rand_cp(void)
{
	static const uint32_t edges[] = { 0x80, 0x7ff, 0x800, 0xfff, 0x1000,
		0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x3ffff, 0x40000,
		0xfffff, 0x100000, 0x10ffff };
	uint32_t cp;

	switch (tl_rand() % 5) {
	case 0:
		return edges[tl_rand() % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return 0x80 + (uint32_t)(tl_rand() % (0x800 - 0x80));
	case 2:
		cp = 0x800 + (uint32_t)(tl_rand() % (0x10000 - 0x800));
		return cp >= 0xd800 && cp <= 0xdfff ? cp - 0x800 : cp;
	default:
		return 0x10000 + (uint32_t)(tl_rand() % (0x110000 - 0x10000));
	}
}

static size_t
gen(uint8_t *buf, size_t cap)
{
	static const uint8_t edge[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
		0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed,
		0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe,
		0xff };
	size_t want = tl_rand() % 40, n = 0;
	bool dirty = tl_rand() % 2;

	while (n < want && n + 16 < cap) {
		unsigned r = (unsigned)(tl_rand() % 100);
		uint8_t tmp[4];
		size_t k;

		if (r < 20) {
			/* ASCII run, sometimes long enough for 8-byte steps */
			k = 1 + tl_rand() % 12;
			for (size_t i = 0; i < k; i++)
				buf[n++] = (uint8_t)(0x20 + tl_rand() % 0x5f);
		} else if (r < 80 || !dirty) {
			n += put_cp(buf + n, rand_cp());
		} else if (r < 88) {
			/* a valid sequence cut short */
			k = put_cp(tmp, rand_cp());
			k = 1 + tl_rand() % (k - 1);
			memcpy(buf + n, tmp, k);
			n += k;
		} else if (r < 94) {
			buf[n++] = edge[tl_rand() % sizeof(edge)];
		} else if (r < 97) {
			/* a lead byte then an edge byte: overlongs etc. */
			(void)put_cp(tmp, rand_cp());
			buf[n++] = tmp[0];
			buf[n++] = edge[tl_rand() % sizeof(edge)];
		} else {
			buf[n++] = (uint8_t)tl_rand();
		}
	}
	if (tl_rand() % 8 == 0) {
		/* end inside a sequence */
		uint8_t tmp[4];
		size_t k = put_cp(tmp, rand_cp());

		k = 1 + tl_rand() % (k - 1);
		memcpy(buf + n, tmp, k);
		n += k;
	}
	return n;
}

static void
test_differential_random(void)
{
	enum { CAP = 80, ROUNDS = 300000 };
	/* The input sits at the end of a heap block, so an overread of the
	 * 8-byte fast path runs into ASan's redzone. */
	uint8_t *block = malloc(CAP);
	uint8_t buf[CAP];
	unsigned long valid = 0, incomplete = 0, bad = 0, mismatches = 0;

	if (block == NULL) {
		CHECK(0);
		return;
	}
	for (long round = 0; round < ROUNDS; round++) {
		size_t n = gen(buf, sizeof(buf)), cuts[CAP + 1], ncuts = 0;
		uint8_t *p = block + CAP - n;
		bool complete, ok = true;
		long fail;

		memcpy(p, buf, n);
		fail = utf8_ref_check(p, n, &complete);
		if (fail >= 0)
			bad++;
		else if (complete)
			valid++;
		else
			incomplete++;

		if (utf8_valid(p, n) != (fail < 0 && complete))
			ok = false;
		if (fail >= 0) {
			/* Fail fast: everything before is fine, that byte
			 * is not. */
			struct utf8_state st = { 0 };

			if (utf8_feed(&st, p, (size_t)fail) != 0 ||
			    utf8_feed(&st, p + fail, 1) != -1)
				ok = false;
		}
		/* Random pieces, zero-length ones included. */
		for (size_t at = 0; at < n;) {
			at += tl_rand() % 6;
			if (at > n)
				at = n;
			cuts[ncuts++] = at;
		}
		cuts[ncuts++] = n;
		if (!feed_pieces(p, n, cuts, ncuts, fail, complete))
			ok = false;
		if (!ok && mismatches++ < 5) {
			fprintf(stderr, "    mismatch, input:");
			for (size_t j = 0; j < n; j++)
				fprintf(stderr, " %02X", p[j]);
			fprintf(stderr, " (ref %ld)\n", fail);
		}
	}
	free(block);
	CHECK_INT(mismatches, 0);
	/* The generator must exercise every outcome. */
	CHECK(valid > ROUNDS / 5);
	CHECK(incomplete > ROUNDS / 50);
	CHECK(bad > ROUNDS / 5);
	printf("     (%lu valid, %lu incomplete, %lu invalid)\n", valid,
	    incomplete, bad);
}

int
main(void)
{
	RUN(test_table_3_7_valid);
	RUN(test_table_3_7_invalid);
	RUN(test_truncated);
	RUN(test_ascii_runs);
	RUN(test_differential_random);
	return tl_summary("unit/utf8");
}
