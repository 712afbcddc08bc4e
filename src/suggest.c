/* suggest.c -- pure: "did you mean ...?" for unknown config keys and options (edit distance) */
#include "suggest.h"

#include <ctype.h>
#include <string.h>

static int
same(char a, char b)
{
	if (a == '-')
		a = '_';
	if (b == '-')
		b = '_';
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

static unsigned
min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;

	return m < c ? m : c;
}

unsigned
suggest_distance(const char *a, const char *b)
{
	/* Three rows of the dynamic programme: two back for the swap. */
	unsigned rows[3][SUGGEST_LEN_MAX + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	size_t la = strlen(a), lb = strlen(b);

	if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
		return SUGGEST_LEN_MAX + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *t;

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = same(a[i - 1], b[j - 1]) ? 0 : 1;

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
			    prev[j - 1] + cost);
			if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
			    same(a[i - 2], b[j - 1]) && prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
suggest_closest(const char *word, const char *const *names, size_t n)
{
	size_t len = strlen(word);
	unsigned limit = len < 5 ? 1 : SUGGEST_MAX_DISTANCE;
	unsigned best = limit + 1;
	const char *pick = NULL;

	if (len == 0 || len > SUGGEST_LEN_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (names[i] == NULL)
			continue;
		d = suggest_distance(word, names[i]);
		/* Not when every character had to change ("x" -> "y"). */
		if (d < best && d < len) {
			best = d;
			pick = names[i];
		}
	}
	return pick;
}
