/* utf8_split.c -- pure: where a run of backend bytes can end a text message (whole UTF-8 characters only) */
#include "utf8_split.h"

void
utf8_split_init(struct utf8_split *s)
{
	struct utf8_state zero = { 0 };

	s->st = zero;
	s->fed = 0;
	s->pending = 0;
}

int
utf8_split_feed(struct utf8_split *s, const uint8_t *p, size_t n,
    const char **why)
{
	*why = NULL;
	if (n > UTF8_SPLIT_MAX - s->fed) {
		*why = "more bytes than one text message can hold";
		return CODEC_ERROR;
	}
	if (utf8_feed(&s->st, p, n) != 0) {
		*why = "invalid UTF-8";
		return CODEC_ERROR;
	}
	s->fed += n;
	if (utf8_complete(&s->st)) {
		s->pending = 0;
	} else {
		/*
		 * The validator accepted everything, so the bytes are well
		 * formed up to here: the unfinished character starts at the
		 * last byte that is not a continuation byte (10xxxxxx), at
		 * most 3 back.  If this piece holds none, all of it continues
		 * the character left pending by the previous piece.
		 */
		size_t back = 0;

		while (back < n && back < 3 && (p[n - 1 - back] & 0xc0) == 0x80)
			back++;
		if (back < n && (p[n - 1 - back] & 0xc0) != 0x80)
			s->pending = back + 1;
		else
			s->pending += n;
	}
	return (int)(s->fed - s->pending);
}

size_t
utf8_split_pending(const struct utf8_split *s)
{
	return s->pending;
}

int
utf8_split_prefix(const uint8_t *p, size_t n, const char **why)
{
	struct utf8_split s;

	utf8_split_init(&s);
	return utf8_split_feed(&s, p, n, why);
}
