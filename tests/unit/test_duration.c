/* test_duration.c -- unit tests for durations with units: every unit, compounds, fractions, rounding, limits, each error */
#include "duration.h"
#include "testlib.h"

#define S UINT64_C(1000000)
#define DAY (86400 * S)

static void
ok(const char *s, uint64_t want)
{
	uint64_t got = 12345;
	const char *why = "unset";
	int r = duration_parse(s, DURATION_MAX_US, &got, &why);

	if (r != 0 || got != want) {
		char b[256];

		snprintf(b, sizeof(b), "\"%s\": r=%d got=%llu want=%llu (%s)",
		    s, r, (unsigned long long)got, (unsigned long long)want,
		    why != NULL ? why : "-");
		tl_fail_at(__FILE__, __LINE__, b);
	}
	CHECK(why == NULL);
}

static void
bad(const char *s, uint64_t max, const char *want_why)
{
	uint64_t got = 777;
	const char *why = NULL;
	int r = duration_parse(s, max, &got, &why);

	if (r != CODEC_ERROR || why == NULL || strstr(why, want_why) == NULL) {
		char b[256];

		snprintf(b, sizeof(b), "\"%s\": r=%d why=\"%s\", want "
		    "\"...%s...\"", s, r, why != NULL ? why : "(null)",
		    want_why);
		tl_fail_at(__FILE__, __LINE__, b);
	}
	CHECK_INT(got, 777);	/* untouched on error */
}

/*
 * The config read durations with value_seconds() before: everything it
 * refused, apart from the units it did not know ("5m", "5h"), is still
 * refused within its one-day bound.
 */
static void
test_value_seconds_refusals(void)
{
	static const char *const refused[] = {
		"", " 5", "5 ", "5 s", "-1", "-0", "+5", "-250ms", "s", "ms",
		".", ".s", "5S", "5MS", "5min", "5sec", "5ss", "5mss", "5ms ",
		"abc", "nan", "NaN", "inf", "infinity", "-inf", "0nan", "0inf",
		"1e999", "1e400ms", "86400.001", "86401", "100000",
		"86400001ms", "1e6", "0x10", "1e3", "1E1", "5e-1", "1.2.3",
		"0x1p3",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		uint64_t v = 777;
		const char *why = NULL;

		if (duration_parse(refused[i], DAY, &v, &why) != CODEC_ERROR ||
		    why == NULL || v != 777) {
			char b[128];

			snprintf(b, sizeof(b), "\"%s\" accepted", refused[i]);
			tl_fail_at(__FILE__, __LINE__, b);
		}
	}
}

static void
test_units(void)
{
	ok("0", 0);
	ok("90s", 90 * S);
	ok("5m", 300 * S);
	ok("1h", 3600 * S);
	ok("2d", 2 * DAY);
	ok("250ms", 250000);
	ok("0ms", 0);
	ok("0s", 0);
	ok("1ms", 1000);
	ok("007s", 7 * S);
}

static void
test_bare_seconds(void)
{
	/* What value_seconds() accepted (the config before units) reads the
	 * same here. */
	ok("10", 10 * S);
	ok("1.5", 1500000);
	ok("2.5s", 2500000);
	ok(".5", 500000);
	ok("5.", 5 * S);
	ok("0.000001", 1);
	ok("0.0000015", 2);	/* rounded to the nearest µs */
	ok("0.0000014", 1);
	ok("86400", DAY);
}

static void
test_compounds(void)
{
	ok("1h30m", 5400 * S);
	ok("2m5s", 125 * S);
	ok("1s500ms", 1500000);
	ok("1d2h3m4s5ms", DAY + (2 * 3600 + 3 * 60 + 4) * S + 5000);
	ok("1h0m", 3600 * S);
	ok("1m30.5s", 90500000);
}

static void
test_fractions(void)
{
	ok("1.5h", 5400 * S);
	ok("0.5m", 30 * S);
	ok("0.25d", 6 * 3600 * S);
	ok("1.5ms", 1500);
	ok("0.0005ms", 1);	/* 0.5 µs rounds up */
	ok("0.1h", 360 * S);
	/* Digits finer than a nanosecond of the unit are dropped, exactly. */
	ok("1.0000000001s", S);
	ok("0.333333333333h", 1200000000);	/* 1199.999999988 s, rounded */
	ok("0.3333333h", 1199999880);
}

static void
test_limits(void)
{
	uint64_t v;
	const char *why;

	CHECK_INT(duration_parse("1h", 3600 * S, &v, &why), 0);
	CHECK_INT(v, 3600 * S);
	bad("1h1ms", 3600 * S, "longer than the maximum");
	bad("3601", 3600 * S, "longer than the maximum");
	bad("61m", 3600 * S, "longer than the maximum");
	bad("367d", DURATION_MAX_US, "longer than the maximum");
	bad("99999999999999999999999s", DURATION_MAX_US,
	    "longer than the maximum");
	bad("1.5", 1 * S, "longer than the maximum");
	/* A maximum above a year is cut to a year. */
	CHECK_INT(duration_parse("366d", UINT64_MAX, &v, &why), 0);
	bad("366d1s", UINT64_MAX, "longer than the maximum");
	bad("0.0000001", DURATION_MAX_US, "shorter than a microsecond");
	bad("0.0001ms", DURATION_MAX_US, "shorter than a microsecond");
	bad("00000000000000000000000000000000000000000000000000000000000000001",
	    DURATION_MAX_US, "too long");
}

static void
test_errors(void)
{
	bad("", DURATION_MAX_US, "empty");
	bad("h", DURATION_MAX_US, "expected a number");
	bad("1h30", DURATION_MAX_US, "write 1h30m");
	bad("30m1h", DURATION_MAX_US, "largest to the smallest");
	bad("1m1m", DURATION_MAX_US, "largest to the smallest");
	bad("1s1m", DURATION_MAX_US, "largest to the smallest");
	bad("1 h", DURATION_MAX_US, "no spaces");
	bad("1h 30m", DURATION_MAX_US, "no spaces");
	bad(" 1h", DURATION_MAX_US, "no spaces");
	bad("5M", DURATION_MAX_US, "lower case");
	bad("1H", DURATION_MAX_US, "lower case");
	bad("5min", DURATION_MAX_US, "unknown unit");
	bad("10sec", DURATION_MAX_US, "unknown unit");
	bad("3w", DURATION_MAX_US, "unknown unit");
	bad("1us", DURATION_MAX_US, "unknown unit");
	bad("-5m", DURATION_MAX_US, "negative");
	bad("+5m", DURATION_MAX_US, "sign");
	bad("1.2.3", DURATION_MAX_US, "two '.'");
	bad(".", DURATION_MAX_US, "expected a number");
	bad("1hm", DURATION_MAX_US, "expected a number");
	bad("0x10", DURATION_MAX_US, "unknown unit");
	bad("1e3", DURATION_MAX_US, "unknown unit");
	bad("inf", DURATION_MAX_US, "expected a number");
	bad("nan", DURATION_MAX_US, "expected a number");
}

int
main(void)
{
	RUN(test_units);
	RUN(test_value_seconds_refusals);
	RUN(test_bare_seconds);
	RUN(test_compounds);
	RUN(test_fractions);
	RUN(test_limits);
	RUN(test_errors);
	return tl_summary("unit/duration");
}
