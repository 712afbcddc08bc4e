/* fuzz_duration.c -- libFuzzer target: durations with units, against an integer reference and a round trip */
#include <stdbool.h>
#include <string.h>

#include "duration.h"

#include "fuzz.h"

/*
 * Input: one selector byte (the maximum), then the text.  Checked:
 *  - a result is within the maximum; an error has a reason;
 *  - for text without '.', the value equals a plain integer reference:
 *    the sum of number * unit over components written largest unit
 *    first (each unit once, a bare number alone), nothing else accepted;
 *  - a result printed back as "S.UUUUUU" (seconds) parses to itself.
 */

static const uint64_t maxes[] = {
	DURATION_MAX_US, 3600 * UINT64_C(1000000), 86400 * UINT64_C(1000000),
	UINT64_C(1000000), 0, UINT64_MAX,
};

/* -1: not in the accepted language (or over max); else the value. */
static int
reference(const char *s, uint64_t max, uint64_t *out)
{
	static const char *const names[] = { "d", "h", "m", "s", "ms" };
	static const uint64_t us[] = { UINT64_C(86400000000),
	    UINT64_C(3600000000), UINT64_C(60000000), UINT64_C(1000000),
	    UINT64_C(1000) };
	uint64_t total = 0;
	int last = -1;
	const char *p = s;
	bool nonzero = false;

	if (*s == '\0' || strlen(s) > DURATION_TEXT_MAX)
		return -1;
	while (*p != '\0') {
		uint64_t v = 0;
		size_t digits = 0;
		int u = -1;

		while (*p >= '0' && *p <= '9') {
			if (v > UINT64_C(100000000000000))
				return -1;	/* over any maximum */
			v = v * 10 + (uint64_t)(*p++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
		if (v != 0)
			nonzero = true;
		if (*p == '\0') {
			if (last >= 0)
				return -1;
			u = 3;
		} else {
			for (int i = 4; i >= 0; i--) {
				size_t l = strlen(names[i]);

				/* "ms" before "m"; a unit ends at a digit or the end */
				if (strncmp(p, names[i], l) == 0 &&
				    (p[l] == '\0' || (p[l] >= '0' && p[l] <= '9'))) {
					u = i;
					p += l;
					break;
				}
			}
			if (u < 0 || u <= last)
				return -1;
		}
		if (v > max / us[u] || total + v * us[u] > max)
			return -1;
		total += v * us[u];
		last = u;
	}
	(void)nonzero;
	*out = total;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t max = maxes[fuzz_byte(&in) % (sizeof(maxes) / sizeof(maxes[0]))];
	uint64_t eff = max > DURATION_MAX_US ? DURATION_MAX_US : max;
	char text[128];
	size_t n = in.n < sizeof(text) - 1 ? in.n : sizeof(text) - 1;
	uint64_t v = 0, ref = 0;
	const char *why = NULL;
	int r;

	memcpy(text, in.p, n);
	text[n] = '\0';
	r = duration_parse(text, max, &v, &why);
	if (r != 0) {
		FUZZ_CHECK(r == CODEC_ERROR && why != NULL && why[0] != '\0');
	} else {
		FUZZ_CHECK(why == NULL && v <= eff);
	}
	if (strlen(text) == n && strchr(text, '.') == NULL) {
		int rr = reference(text, eff, &ref);

		FUZZ_CHECK((r == 0) == (rr == 0));
		if (r == 0)
			FUZZ_CHECK(v == ref);
	}
	if (r == 0) {
		char back[64];
		uint64_t again = 1;

		snprintf(back, sizeof(back), "%llu.%06llu",
		    (unsigned long long)(v / 1000000),
		    (unsigned long long)(v % 1000000));
		FUZZ_CHECK(duration_parse(back, eff, &again, &why) == 0);
		FUZZ_CHECK(again == v);
	}
	return 0;
}
