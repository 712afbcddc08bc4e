/* testlib.h -- a minimal unit test harness: checks, per-test counts, one RESULT line */
#ifndef WSGATE_TESTLIB_H
#define WSGATE_TESTLIB_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tl_check_failures;	/* in the current test */
static int tl_passed, tl_failed;

static inline void
tl_fail_at(const char *file, int line, const char *what)
{
	fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, what);
	tl_check_failures++;
}

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			tl_fail_at(__FILE__, __LINE__, #cond);                \
	} while (0)

#define CHECK_INT(got, want)                                                  \
	do {                                                                  \
		long long tl_g = (long long)(got), tl_w = (long long)(want); \
		if (tl_g != tl_w) {                                           \
			char tl_b[256];                                       \
			snprintf(tl_b, sizeof(tl_b), "%s == %lld, want %lld", \
			    #got, tl_g, tl_w);                                \
			tl_fail_at(__FILE__, __LINE__, tl_b);                 \
		}                                                             \
	} while (0)

#define CHECK_STR(got, want)                                                  \
	do {                                                                  \
		const char *tl_g = (got), *tl_w = (want);                     \
		if (tl_g == NULL || strcmp(tl_g, tl_w) != 0) {                \
			char tl_b[1024];                                      \
			snprintf(tl_b, sizeof(tl_b), "%s == \"%s\", want "    \
			    "\"%s\"", #got, tl_g ? tl_g : "(null)", tl_w);    \
			tl_fail_at(__FILE__, __LINE__, tl_b);                 \
		}                                                             \
	} while (0)

#define CHECK_MEM(got, want, n)                                               \
	CHECK(memcmp((got), (want), (n)) == 0)

#define RUN(fn)                                                               \
	do {                                                                  \
		tl_check_failures = 0;                                        \
		fn();                                                         \
		if (tl_check_failures == 0) {                                 \
			tl_passed++;                                          \
			printf("ok   %s\n", #fn);                             \
		} else {                                                      \
			tl_failed++;                                          \
			printf("FAIL %s\n", #fn);                             \
		}                                                             \
	} while (0)

/* The line tests/run.sh adds up. */
static inline int
tl_summary(const char *suite)
{
	printf("RESULT %s: %d passed, %d failed\n", suite, tl_passed,
	    tl_failed);
	return tl_failed == 0 && tl_passed > 0 ? 0 : 1;
}

/* Deterministic pseudo-random bytes (xorshift64) for repeatable tests. */
static uint64_t tl_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t
tl_rand(void)
{
	tl_rng_state ^= tl_rng_state << 13;
	tl_rng_state ^= tl_rng_state >> 7;
	tl_rng_state ^= tl_rng_state << 17;
	return tl_rng_state;
}

#endif
