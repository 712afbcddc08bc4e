/* fuzz_utf8.c -- libFuzzer target: incremental UTF-8 validator against a simple reference, split anywhere */
#include <stdbool.h>
#include <string.h>

#include "utf8.h"

#include "../ref/utf8_ref.h"
#include "fuzz.h"

/* What the reference (tests/ref/utf8_ref.h) says of some bytes. */
struct ref {
	size_t fail_at;		/* index of the first impossible byte */
	bool failed;
	bool complete;		/* ends on a code point boundary */
};

static struct ref
ref_validate(const uint8_t *p, size_t n)
{
	struct ref res = { 0, false, true };
	long fail = utf8_ref_check(p, n, &res.complete);

	if (fail >= 0) {
		res.failed = true;
		res.fail_at = (size_t)fail;
		res.complete = false;
	}
	return res;
}

/*
 * Feed p in pieces of the given sizes (cycled): every piece before the
 * reference's first impossible byte passes, the piece holding it fails,
 * and at the end both agree on whether a code point is left open.
 */
static void
check_split(const uint8_t *p, size_t n, const struct ref *ref,
    const size_t *sizes, size_t nsizes)
{
	struct utf8_state st = { 0 };
	size_t off = 0, k = 0;

	while (off < n) {
		size_t m = sizes[k++ % nsizes];
		uint8_t *piece;
		int rc;

		if (m > n - off)
			m = n - off;
		piece = fuzz_dup(p + off, m);
		rc = utf8_feed(&st, piece, m);
		free(piece);
		if (ref->failed && ref->fail_at < off + m) {
			/* Fail fast: in the piece holding the bad byte. */
			FUZZ_CHECK(rc == -1);
			return;
		}
		FUZZ_CHECK(rc == 0);
		off += m;
	}
	FUZZ_CHECK(!ref->failed);
	FUZZ_CHECK(utf8_complete(&st) == ref->complete);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ref ref = ref_validate(data, size);
	uint8_t *copy = fuzz_dup(data, size);
	uint32_t seed = fuzz_hash(data, size);
	size_t sizes[16];

	FUZZ_CHECK(utf8_valid(copy, size) == (!ref.failed && ref.complete));
	free(copy);

	/* Whole, byte by byte, and steps around the 8-byte ASCII skip. */
	for (size_t step = 1; step <= 9; step++) {
		sizes[0] = step;
		check_split(data, size, &ref, sizes, 1);
	}
	sizes[0] = size + 1;
	check_split(data, size, &ref, sizes, 1);

	/* Random splits, from the input itself so crashes reproduce. */
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < 16; i++)
			sizes[i] = fuzz_rand(&seed) % (round < 2 ? 5 : 40) + 1;
		check_split(data, size, &ref, sizes, 16);
	}

	/* A prefix fails exactly when the bad byte is inside it. */
	if (size > 0) {
		size_t cut = fuzz_rand(&seed) % (size + 1);
		struct ref rp = ref_validate(data, cut);

		FUZZ_CHECK(rp.failed == (ref.failed && ref.fail_at < cut));
		FUZZ_CHECK(utf8_valid(data, cut) == (!rp.failed && rp.complete));
	}
	return 0;
}
