/* balance.c -- pure: the order a route's backends are tried in (failover or round robin, failed ones last) */
#include "balance.h"

unsigned
balance_order(unsigned n, unsigned start, const int64_t *down_until,
    int64_t now, uint8_t *order)
{
	unsigned up = 0, k = 0;

	if (n == 0)
		return 0;
	start %= n;
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned j = 0; j < n; j++) {
			unsigned i = (start + j) % n;
			int down = down_until[i] > now;

			if (down != (int)pass)
				continue;
			order[k++] = (uint8_t)i;
			if (!down)
				up++;
		}
	}
	return up;
}
