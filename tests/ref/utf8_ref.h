/* utf8_ref.h -- a reference UTF-8 validator for the unit test and the fuzz target of utf8.c, written differently from it on purpose */
#ifndef WSGATE_UTF8_REF_H
#define WSGATE_UTF8_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The reference decodes code points the textbook way (RFC 3629 3: the
 * lead byte's high bits give the length, the value must be in range for
 * that length, no surrogates, at most U+10FFFF) instead of using the
 * first-continuation-byte ranges (Unicode table 3-7) that utf8.c uses.
 * For fail-fast it asks whether any completion of a partial sequence could
 * still be valid: the bits seen so far bound the code point to [lo, hi],
 * which must meet the valid range for the sequence length.
 */
static inline bool
utf8_ref_viable(uint32_t lo, uint32_t hi, int len)
{
	switch (len) {
	case 2:
		return hi >= 0x80 && lo <= 0x7ff;
	case 3:
		/* U+0800..U+FFFF without the surrogates D800..DFFF */
		return (hi >= 0x800 && lo <= 0xd7ff) ||
		    (hi >= 0xe000 && lo <= 0xffff);
	default:
		return hi >= 0x10000 && lo <= 0x10ffff;
	}
}

/*
 * The index of the first byte of p[0..n) after which no valid
 * continuation exists, or -1: then *complete says whether the input ends
 * between code points (it is unspecified otherwise).
 */
static inline long
utf8_ref_check(const uint8_t *p, size_t n, bool *complete)
{
	size_t i = 0;

	*complete = true;
	while (i < n) {
		uint8_t c = p[i];
		uint32_t cp;
		int len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return (long)i;	/* stray continuation, F8..FF */
		}
		for (int k = 1;; k++) {
			int rest = 6 * (len - k);
			uint32_t lo = cp << rest;
			uint32_t hi = lo | ((UINT32_C(1) << rest) - 1);

			if (!utf8_ref_viable(lo, hi, len))
				return (long)(i + (size_t)k - 1);
			if (k == len)
				break;
			if (i + (size_t)k >= n) {
				*complete = false;
				return -1;
			}
			if ((p[i + (size_t)k] & 0xc0) != 0x80)
				return (long)(i + (size_t)k);
			cp = cp << 6 | (p[i + (size_t)k] & 0x3f);
		}
		i += (size_t)len;
	}
	return -1;
}

#endif
