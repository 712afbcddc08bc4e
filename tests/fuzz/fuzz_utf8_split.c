/* fuzz_utf8_split.c -- libFuzzer target: text-message boundaries for backend bytes, fed in pieces, against utf8_valid */
#include <string.h>

#include "utf8.h"
#include "utf8_split.h"

#include "fuzz.h"

/*
 * The input is backend bytes.  Fed in pieces (one byte, fixed steps,
 * random sizes from the input), every call must agree with a definition
 * made only of utf8.c's whole-buffer answers:
 *  - error exactly when some prefix fed so far can no longer become UTF-8;
 *  - otherwise ready is the largest r <= fed with utf8_valid(p, r), the
 *    pending bytes (fed - ready) are at most 3, and they are a valid
 *    beginning of one character;
 *  - the relay's loop (take at most `cap` >= 4 bytes, send what is ready,
 *    keep the rest) sends the whole input when it is valid UTF-8, in
 *    messages that are each valid.
 */

/* First index at which p stops being a prefix of valid UTF-8, or n. */
static size_t
first_bad(const uint8_t *p, size_t n)
{
	struct utf8_state st = { 0 };

	for (size_t i = 0; i < n; i++)
		if (utf8_feed(&st, p + i, 1) != 0)
			return i;
	return n;
}

static size_t
last_boundary(const uint8_t *p, size_t fed)
{
	size_t r = fed;

	while (r > 0 && !utf8_valid(p, r))
		r--;
	return r;
}

static void
feed_in_pieces(const uint8_t *p, size_t n, size_t bad, const size_t *sizes,
    size_t nsizes)
{
	struct utf8_split s;
	size_t fed = 0, k = 0;

	utf8_split_init(&s);
	while (fed < n) {
		size_t m = sizes[k++ % nsizes];
		const char *why = NULL;
		uint8_t *piece;
		int r;

		if (m > n - fed)
			m = n - fed;
		piece = fuzz_dup(p + fed, m);
		r = utf8_split_feed(&s, piece, m, &why);
		free(piece);
		fed += m;
		if (bad < fed) {
			FUZZ_CHECK(r == CODEC_ERROR && why != NULL);
			return;
		}
		FUZZ_CHECK(r >= 0 && why == NULL);
		FUZZ_CHECK((size_t)r == last_boundary(p, fed));
		FUZZ_CHECK(utf8_split_pending(&s) == fed - (size_t)r);
		FUZZ_CHECK(utf8_split_pending(&s) <= 3);
		{
			struct utf8_state st = { 0 };

			FUZZ_CHECK(utf8_feed(&st, p + r, fed - (size_t)r) == 0);
			FUZZ_CHECK(utf8_complete(&st) == (fed == (size_t)r));
		}
	}
}

static void
relay_loop(const uint8_t *p, size_t n, size_t cap)
{
	size_t off = 0, rounds = 0;

	while (off < n && rounds++ <= n) {
		size_t take = n - off < cap ? n - off : cap;
		struct utf8_split s;
		const char *why;
		int r;

		utf8_split_init(&s);
		r = utf8_split_feed(&s, p + off, take, &why);
		FUZZ_CHECK(r > 0);
		FUZZ_CHECK(utf8_valid(p + off, (size_t)r));
		off += (size_t)r;
	}
	FUZZ_CHECK(off == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t bad = first_bad(data, size);
	uint32_t seed = fuzz_hash(data, size);
	size_t sizes[16];

	if (size > 1024)	/* last_boundary is quadratic at worst */
		return 0;
	for (size_t step = 1; step <= 5; step++) {
		sizes[0] = step;
		feed_in_pieces(data, size, bad, sizes, 1);
	}
	sizes[0] = size + 1;
	feed_in_pieces(data, size, bad, sizes, 1);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < 16; i++)
			sizes[i] = fuzz_rand(&seed) % 9 + 1;
		feed_in_pieces(data, size, bad, sizes, 16);
	}
	if (bad == size && utf8_valid(data, size)) {
		relay_loop(data, size, 4);
		relay_loop(data, size, 4 + fuzz_rand(&seed) % 60);
	}
	return 0;
}
