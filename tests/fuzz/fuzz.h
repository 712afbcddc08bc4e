/* fuzz.h -- shared helpers for the libFuzzer targets: entry points, checks, input slicing */
#ifndef WSGATE_FUZZ_H
#define WSGATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * A property the code must keep.  abort() makes libFuzzer save the input
 * as a crash artifact; the message says which property broke.
 */
#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: property failed: %s\n",       \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* Consume the input front to back: parameters first, then the payload. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fuzz_byte(struct fuzz_in *in)
{
	uint8_t b;

	if (in->n == 0)
		return 0;
	b = *in->p++;
	in->n--;
	return b;
}

/*
 * Deterministic split points for feeding one input in pieces: xorshift,
 * seeded from the input, so a crash reproduces from its file alone.
 */
static inline uint32_t
fuzz_rand(uint32_t *s)
{
	uint32_t x = *s != 0 ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static inline uint32_t
fuzz_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* A heap copy of exactly n bytes, so ASan sees any access past the end. */
static inline uint8_t *
fuzz_dup(const void *p, size_t n)
{
	uint8_t *c = malloc(n != 0 ? n : 1);

	FUZZ_CHECK(c != NULL);
	for (size_t i = 0; i < n; i++)
		c[i] = ((const uint8_t *)p)[i];
	return c;
}

#endif
