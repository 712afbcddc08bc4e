/* ratelimit.h -- pure: per-client token buckets in a fixed-size table (failed logins, new connections) */
#ifndef WSGATE_RATELIMIT_H
#define WSGATE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * API: a table of token buckets keyed by opaque bytes (a client key from
 * cidr_group(): an IPv4 address, an IPv6 /64, perhaps with a route id
 * appended).  Each bucket holds up to `burst` tokens and refills at
 * `per_second`; ratelimit_take() spends one.  Uses:
 *   - Basic auth failures (issue 12): before checking a password, ask
 *     ratelimit_allowed(); after a wrong one, ratelimit_take().  No token:
 *     answer 429 with Retry-After, without running crypt at all.
 *   - new_connections_per_client (issue 13): ratelimit_take() per accept.
 *
 * Time is passed in (microseconds of a monotonic clock), so the module is
 * pure and tests control it; time going backwards counts as no time.
 *
 * Representation: GCRA, the token bucket written as one "theoretical
 * arrival time" per key (tat): a take is allowed when tat - now <= (burst
 * - 1) * interval, and moves tat on by one interval.  A bucket whose tat
 * is not after now is full, which is exactly the state of a key never
 * seen: such entries are free slots, and forgetting them loses nothing.
 *
 * Memory is fixed at creation: max_entries slots (rounded up to a power of
 * two, at most RATELIMIT_ENTRIES_MAX), 48 bytes each, in sets of
 * RATELIMIT_WAYS.  A key's set is chosen by SipHash-2-4 (OpenSSL EVP_MAC)
 * under a secret key, so clients cannot aim their keys at one set.
 * Eviction, when a key is new and its set has no free slot: the entry
 * nearest to full (smallest tat) goes, i.e. the one that would be
 * forgotten soonest anyway.  So a limited client is only forgotten when
 * every other entry in its set is limited harder -- an attacker with many
 * addresses can make the table forget, but only by spending its own
 * attempts across sets it cannot choose.  Size the table for the number
 * of clients expected to be limited at once.
 *
 * Ownership: one owner thread (a worker); not locked.  ratelimit_new()
 * returns NULL on bad parameters or memory; ratelimit_free(NULL) is a
 * no-op.  Across a config reload keep the table and call
 * ratelimit_set_rate(): the buckets' state carries over.
 */
#define RATELIMIT_KEY_MAX 32
#define RATELIMIT_WAYS 4
#define RATELIMIT_ENTRIES_MAX (1u << 20)
#define RATELIMIT_SIPKEY_LEN 16

struct ratelimit;

/*
 * per_second > 0 (at most 1e6) and burst >= 1.  sipkey is
 * RATELIMIT_SIPKEY_LEN bytes, or NULL for a random one (RAND_bytes).
 */
struct ratelimit *ratelimit_new(size_t max_entries, double per_second,
    unsigned burst, const uint8_t *sipkey);
void ratelimit_free(struct ratelimit *rl);

/* New rate and burst for every bucket, state kept.  0, or -1 if invalid. */
int ratelimit_set_rate(struct ratelimit *rl, double per_second,
    unsigned burst);

/*
 * Spend one token of key[0..keylen) (1..RATELIMIT_KEY_MAX bytes) at now.
 * true: spent.  false: none left (nothing changes); *retry_us (if not
 * NULL) says how long until one is back.  A key longer than the maximum
 * is refused (false, retry 0): callers pass fixed-size keys.
 */
bool ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen,
    uint64_t now_us, uint64_t *retry_us);

/* Whether a token is there now, spending none. */
bool ratelimit_allowed(struct ratelimit *rl, const void *key, size_t keylen,
    uint64_t now_us, uint64_t *retry_us);

/* Entries not full at now (for metrics and tests). */
size_t ratelimit_active(const struct ratelimit *rl, uint64_t now_us);

/* Slots in the table (max_entries rounded up). */
size_t ratelimit_capacity(const struct ratelimit *rl);

#endif
