/* test_unmask.c -- every unmask implementation agrees with a byte loop */
#include "testlib.h"
#include "unmask.h"

static void
reference(uint8_t *p, size_t n, const uint8_t mask[4], unsigned phase)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(phase + i) & 3];
}

static uint8_t a[4096 + 64], b[4096 + 64];

/* Random lengths (0..4096), alignments (0..63) and masks, for each
 * implementation the CPU supports, called directly. */
static void
test_impls_match_reference(void)
{
	for (size_t k = 0; k < unmask_nimpls; k++) {
		const struct unmask_impl *im = &unmask_impls[k];

		if (!im->supported()) {
			printf("     (%s not supported by this CPU)\n",
			    im->name);
			continue;
		}
		for (int round = 0; round < 3000; round++) {
			size_t n = round < 300 ? (size_t)round
			    : tl_rand() % 4097;
			size_t off = tl_rand() % 64;
			uint32_t m32 = (uint32_t)tl_rand();
			uint8_t mask[4];

			memcpy(mask, &m32, 4);
			for (size_t i = 0; i < sizeof(a); i++)
				a[i] = b[i] = (uint8_t)tl_rand();
			im->fn(a + off, n, m32);
			reference(b + off, n, mask, 0);
			if (memcmp(a, b, sizeof(a)) != 0) {
				printf("     %s differs: n=%zu off=%zu\n",
				    im->name, n, off);
				CHECK(0);
				break;
			}
		}
	}
}

/* The dispatching entry point, with every mask phase. */
static void
test_dispatch_with_phase(void)
{
	for (int round = 0; round < 3000; round++) {
		size_t n = tl_rand() % 4097;
		size_t off = tl_rand() % 64;
		unsigned phase = (unsigned)(tl_rand() % 4);
		uint8_t mask[4];

		for (int i = 0; i < 4; i++)
			mask[i] = (uint8_t)tl_rand();
		for (size_t i = 0; i < sizeof(a); i++)
			a[i] = b[i] = (uint8_t)tl_rand();
		unmask(a + off, n, mask, phase);
		reference(b + off, n, mask, phase);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
	}
}

/* Unmasking twice restores the data (XOR is its own inverse), split at
 * every point: what streaming a payload in pieces relies on. */
static void
test_split_anywhere(void)
{
	const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

	for (size_t cut = 0; cut <= 300; cut++) {
		for (size_t i = 0; i < 300; i++)
			a[i] = b[i] = (uint8_t)tl_rand();
		unmask(a, cut, mask, 0);
		unmask(a + cut, 300 - cut, mask, (unsigned)(cut & 3));
		reference(b, 300, mask, 0);
		CHECK(memcmp(a, b, 300) == 0);
	}
}

int
main(void)
{
	RUN(test_impls_match_reference);
	RUN(test_dispatch_with_phase);
	RUN(test_split_anywhere);
	return tl_summary("unit/unmask");
}
