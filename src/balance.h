/* balance.h -- pure: the order a route's backends are tried in (failover or round robin, failed ones last) */
#ifndef WSGATE_BALANCE_H
#define WSGATE_BALANCE_H

#include <stdint.h>

/*
 * The order to try n backends in, into order[0..n): from start on
 * (failover: 0; round robin: the session's turn), wrapping around; a
 * backend whose down_until[i] is after now (it failed within
 * backend_retry_after) comes after all the others, so it is skipped
 * while another might answer but still tried when none is left.
 * Returns how many are up (not down).
 */
unsigned balance_order(unsigned n, unsigned start, const int64_t *down_until,
    int64_t now, uint8_t *order);

#endif
