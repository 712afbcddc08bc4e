/* duration.c -- pure: durations with units ("5m", "1h30m", "250ms", "1.5") for config values */
#include "duration.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/*
 * Work in nanoseconds so every fraction digit that matters is exact: a
 * year is 3.2e16 ns, far below 2^64.  Digits finer than a nanosecond of
 * their unit are dropped; the total is then rounded to microseconds.
 */
#define NS_PER_US UINT64_C(1000)

struct unit {
	const char *name;
	uint64_t ns;
};

/* Largest first: the order components must come in. */
static const struct unit units[] = {
	{ "d", UINT64_C(86400) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
	{ "m", UINT64_C(60) * 1000000000 },
	{ "s", UINT64_C(1000000000) },
	{ "ms", UINT64_C(1000000) },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* The unit at *p, longest match first ("ms" before "m"); -1 if none. */
static int
unit_at(const char *p, size_t *len)
{
	if (p[0] == 'm' && p[1] == 's') {
		*len = 2;
		return 4;
	}
	for (int i = 0; i < 4; i++) {
		if (p[0] == units[i].name[0]) {
			*len = 1;
			return i;
		}
	}
	return -1;
}

static int
fail(const char **why, const char *text)
{
	*why = text;
	return CODEC_ERROR;
}

int
duration_parse(const char *s, uint64_t max_us, uint64_t *out_us,
    const char **why)
{
	uint64_t total = 0, max_ns, rem;
	int last = -1;		/* index of the previous component's unit */
	bool nonzero = false;
	const char *p = s;

	*why = NULL;
	if (s == NULL || *s == '\0')
		return fail(why, "empty duration");
	if (strlen(s) > DURATION_TEXT_MAX)
		return fail(why, "duration too long");
	if (max_us > DURATION_MAX_US)
		max_us = DURATION_MAX_US;
	max_ns = max_us * NS_PER_US;

	while (*p != '\0') {
		uint64_t ipart = 0, frac_ns = 0, unit_ns, div;
		size_t digits = 0, ulen, next;
		bool dot = false, big = false;
		const char *num = p;
		int u;

		for (; isdigit((unsigned char)*p) || *p == '.'; p++) {
			if (*p == '.') {
				if (dot)
					return fail(why, "invalid number: two "
					    "'.' in one component");
				dot = true;
				continue;
			}
			digits++;
			if (*p != '0')
				nonzero = true;
			if (!dot) {
				/* Past 1e15 the value is over any maximum. */
				if (ipart > UINT64_C(100000000000000))
					big = true;
				else
					ipart = ipart * 10 + (uint64_t)(*p - '0');
			}
		}
		if (digits == 0) {
			if (*p == '-')
				return fail(why, "durations cannot be negative");
			if (*p == '+')
				return fail(why, "write the number without a "
				    "sign");
			if (isspace((unsigned char)*p))
				return fail(why, "no spaces inside a duration "
				    "(write 1h30m)");
			return fail(why, "expected a number (like 90s, 5m, "
			    "1h30m or 1.5)");
		}
		if (*p == '\0') {
			/* A bare number: seconds, and only on its own. */
			if (last >= 0)
				return fail(why, "number without a unit after "
				    "another component (write 1h30m, not 1h30)");
			u = 3;
			ulen = 0;
		} else {
			u = unit_at(p, &ulen);
			if (u < 0) {
				if (isspace((unsigned char)*p))
					return fail(why, "no spaces inside a "
					    "duration (write 1h30m)");
				if (strchr("DHMS", *p) != NULL)
					return fail(why, "units are lower case: "
					    "ms, s, m (minutes), h, d");
				return fail(why, "unknown unit: use ms, s, m, "
				    "h or d (like 250ms, 90s, 5m, 1h30m)");
			}
			/* "5min", "10sec": a unit followed by more letters. */
			if (isalpha((unsigned char)p[ulen]) &&
			    unit_at(p + ulen, &next) < 0)
				return fail(why, "unknown unit: use ms, s, m, "
				    "h or d (like 250ms, 90s, 5m, 1h30m)");
			if (u <= last)
				return fail(why, "units must go from the largest "
				    "to the smallest, each once (1h30m, not "
				    "30m1h)");
		}
		unit_ns = units[u].ns;

		/* The fraction, digit by digit, while it is exact in ns. */
		if (dot) {
			const char *f = strchr(num, '.') + 1;

			div = 10;
			for (; isdigit((unsigned char)*f); f++, div *= 10) {
				if (unit_ns % div != 0)
					break;
				frac_ns += (uint64_t)(*f - '0') * (unit_ns / div);
			}
		}
		if (big || ipart > max_ns / unit_ns)
			return fail(why, "longer than the maximum for this "
			    "key");
		rem = max_ns - total;
		if (ipart * unit_ns > rem || ipart * unit_ns + frac_ns > rem)
			return fail(why, "longer than the maximum for this "
			    "key");
		total += ipart * unit_ns + frac_ns;
		last = u;
		p += ulen;
	}
	total = (total + NS_PER_US / 2) / NS_PER_US;
	if (total > max_us)
		return fail(why, "longer than the maximum for this key");
	if (total == 0 && nonzero)
		return fail(why, "shorter than a microsecond");
	*out_us = total;
	return 0;
}
