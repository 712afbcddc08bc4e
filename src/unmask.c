/* unmask.c -- XOR with the 4-byte WebSocket mask, with the widest vectors the CPU has */
#include "unmask.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define UNMASK_X86 1
#endif

/*
 * Every implementation takes the mask as the 32-bit word whose memory
 * bytes are the mask in the order it applies from p[0] on, and handles
 * any length and alignment (unaligned loads and stores).
 */

static void
unmask_words(uint8_t *p, size_t n, uint32_t m32)
{
	uint64_t m64 = (uint64_t)m32 << 32 | m32;
	uint8_t m[4];

	memcpy(m, &m32, 4);
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w ^= m64;
		memcpy(p, &w, 8);
	}
	/* A multiple of 8 bytes was done, so the tail starts at m[0]. */
	for (size_t i = 0; i < n; i++)
		p[i] ^= m[i & 3];
}

static int
always(void)
{
	return 1;
}

#ifdef UNMASK_X86
static void
unmask_sse2(uint8_t *p, size_t n, uint32_t m32)
{
	__m128i m = _mm_set1_epi32((int)m32);

	for (; n >= 64; p += 64, n -= 64) {
		__m128i a = _mm_loadu_si128((__m128i *)(void *)p);
		__m128i b = _mm_loadu_si128((__m128i *)(void *)(p + 16));
		__m128i c = _mm_loadu_si128((__m128i *)(void *)(p + 32));
		__m128i d = _mm_loadu_si128((__m128i *)(void *)(p + 48));

		_mm_storeu_si128((__m128i *)(void *)p, _mm_xor_si128(a, m));
		_mm_storeu_si128((__m128i *)(void *)(p + 16),
		    _mm_xor_si128(b, m));
		_mm_storeu_si128((__m128i *)(void *)(p + 32),
		    _mm_xor_si128(c, m));
		_mm_storeu_si128((__m128i *)(void *)(p + 48),
		    _mm_xor_si128(d, m));
	}
	for (; n >= 16; p += 16, n -= 16) {
		__m128i a = _mm_loadu_si128((__m128i *)(void *)p);

		_mm_storeu_si128((__m128i *)(void *)p, _mm_xor_si128(a, m));
	}
	unmask_words(p, n, m32);
}

__attribute__((target("avx2"))) static void
unmask_avx2(uint8_t *p, size_t n, uint32_t m32)
{
	__m256i m = _mm256_set1_epi32((int)m32);

	for (; n >= 128; p += 128, n -= 128) {
		__m256i a = _mm256_loadu_si256((__m256i *)(void *)p);
		__m256i b = _mm256_loadu_si256((__m256i *)(void *)(p + 32));
		__m256i c = _mm256_loadu_si256((__m256i *)(void *)(p + 64));
		__m256i d = _mm256_loadu_si256((__m256i *)(void *)(p + 96));

		_mm256_storeu_si256((__m256i *)(void *)p,
		    _mm256_xor_si256(a, m));
		_mm256_storeu_si256((__m256i *)(void *)(p + 32),
		    _mm256_xor_si256(b, m));
		_mm256_storeu_si256((__m256i *)(void *)(p + 64),
		    _mm256_xor_si256(c, m));
		_mm256_storeu_si256((__m256i *)(void *)(p + 96),
		    _mm256_xor_si256(d, m));
	}
	for (; n >= 32; p += 32, n -= 32) {
		__m256i a = _mm256_loadu_si256((__m256i *)(void *)p);

		_mm256_storeu_si256((__m256i *)(void *)p,
		    _mm256_xor_si256(a, m));
	}
	unmask_sse2(p, n, m32);
}

static int
has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}
#endif

const struct unmask_impl unmask_impls[] = {
	{ "words", unmask_words, always },
#ifdef UNMASK_X86
	{ "sse2", unmask_sse2, always },	/* in every x86-64 */
	{ "avx2", unmask_avx2, has_avx2 },
#endif
};
const size_t unmask_nimpls = sizeof(unmask_impls) / sizeof(unmask_impls[0]);

static void (*unmask_best)(uint8_t *, size_t, uint32_t);

void
unmask_init(void)
{
	/* The last supported entry is the widest. */
	for (size_t i = 0; i < unmask_nimpls; i++)
		if (unmask_impls[i].supported())
			unmask_best = unmask_impls[i].fn;
}

void
unmask(uint8_t *p, size_t n, const uint8_t mask[4], unsigned phase)
{
	uint8_t rot[4];
	uint32_t m32;

	/* Small payloads (most control frames, chat messages): no call. */
	if (n < 16) {
		for (size_t i = 0; i < n; i++)
			p[i] ^= mask[(phase + i) & 3];
		return;
	}
	if (unmask_best == NULL)
		unmask_init();
	for (unsigned i = 0; i < 4; i++)
		rot[i] = mask[(phase + i) & 3];
	memcpy(&m32, rot, 4);
	unmask_best(p, n, m32);
}
