/* utf8.c -- incremental UTF-8 validation (RFC 3629) for text messages split anywhere */
#include "utf8.h"

#include <string.h>

/*
 * The well-formed byte sequences of Unicode 15 table 3-7.  A lead byte fixes
 * how many continuation bytes follow and the range of the first one (which
 * is what excludes overlongs, surrogates and code points above U+10FFFF);
 * later continuation bytes are always 80..BF.
 */
static int
utf8_lead(struct utf8_state *st, uint8_t c)
{
	if (c < 0x80)
		return 0;
	if (c < 0xc2)
		return -1;
	st->lo = 0x80;
	st->hi = 0xbf;
	if (c < 0xe0) {
		st->need = 1;
	} else if (c < 0xf0) {
		st->need = 2;
		if (c == 0xe0)
			st->lo = 0xa0;
		else if (c == 0xed)
			st->hi = 0x9f;
	} else if (c < 0xf5) {
		st->need = 3;
		if (c == 0xf0)
			st->lo = 0x90;
		else if (c == 0xf4)
			st->hi = 0x8f;
	} else {
		return -1;
	}
	return 0;
}

int
utf8_feed(struct utf8_state *st, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	while (p < end) {
		if (st->need == 0) {
			/* ASCII runs dominate real text: skip 8 bytes a step. */
			while (end - p >= 8) {
				uint64_t w;

				memcpy(&w, p, sizeof(w));
				if (w & UINT64_C(0x8080808080808080))
					break;
				p += 8;
			}
			if (p == end)
				break;
			if (utf8_lead(st, *p++) != 0)
				return -1;
			continue;
		}
		if (*p < st->lo || *p > st->hi)
			return -1;
		p++;
		st->lo = 0x80;
		st->hi = 0xbf;
		st->need--;
	}
	return 0;
}

bool
utf8_complete(const struct utf8_state *st)
{
	return st->need == 0;
}

bool
utf8_valid(const uint8_t *p, size_t n)
{
	struct utf8_state st = { 0 };

	return utf8_feed(&st, p, n) == 0 && utf8_complete(&st);
}
