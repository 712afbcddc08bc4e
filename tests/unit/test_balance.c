/* test_balance.c -- the order a route's backends are tried in: failover, round robin, failed ones last */
#include "balance.h"
#include "testlib.h"

static char got[32];

/* order as a string of digits ("120"), for short checks. */
static const char *
order_of(unsigned n, unsigned start, const int64_t *down, int64_t now,
    unsigned *up)
{
	uint8_t order[16];

	*up = balance_order(n, start, down, now, order);
	for (unsigned i = 0; i < n; i++)
		got[i] = (char)('0' + order[i]);
	got[n] = '\0';
	return got;
}

static void
test_failover(void)
{
	int64_t none[4] = { 0, 0, 0, 0 };
	unsigned up;

	CHECK_STR(order_of(1, 0, none, 100, &up), "0");
	CHECK_INT(up, 1);
	CHECK_STR(order_of(4, 0, none, 100, &up), "0123");
	CHECK_INT(up, 4);
}

static void
test_round_robin(void)
{
	int64_t none[3] = { 0, 0, 0 };
	unsigned up;

	CHECK_STR(order_of(3, 1, none, 100, &up), "120");
	CHECK_STR(order_of(3, 2, none, 100, &up), "201");
	/* The turn counter wraps: any start is taken modulo n. */
	CHECK_STR(order_of(3, 4, none, 100, &up), "120");
	CHECK_STR(order_of(3, 0xffffffffu, none, 100, &up), "012");
}

/* A backend down until after now goes last; at now or before, it is
 * back in its place. */
static void
test_down_last(void)
{
	int64_t down[4] = { 200, 0, 150, 0 };
	unsigned up;

	CHECK_STR(order_of(4, 0, down, 100, &up), "1302");
	CHECK_INT(up, 2);
	CHECK_STR(order_of(4, 2, down, 100, &up), "3120");
	CHECK_STR(order_of(4, 0, down, 150, &up), "1230");
	CHECK_INT(up, 3);
	CHECK_STR(order_of(4, 0, down, 200, &up), "0123");
	CHECK_INT(up, 4);
	/* All down: all are still tried, in turn order. */
	down[1] = down[3] = 300;
	CHECK_STR(order_of(4, 1, down, 100, &up), "1230");
	CHECK_INT(up, 0);
	CHECK_INT(balance_order(0, 0, down, 100, NULL), 0);
}

int
main(void)
{
	RUN(test_failover);
	RUN(test_round_robin);
	RUN(test_down_last);
	return tl_summary("balance");
}
