/* test_ratelimit.c -- unit tests for per-client token buckets: refill, retry times, keys, eviction under a flood, reloads */
#include <math.h>

#include "ratelimit.h"
#include "testlib.h"

#define S UINT64_C(1000000)
static const uint8_t sipkey[RATELIMIT_SIPKEY_LEN] = "0123456789abcdef";

static bool
take(struct ratelimit *rl, const char *key, uint64_t now, uint64_t *retry)
{
	return ratelimit_take(rl, key, strlen(key), now, retry);
}

static void
test_bucket(void)
{
	/* 3 attempts at once, then one per second. */
	struct ratelimit *rl = ratelimit_new(64, 1.0, 3, sipkey);
	uint64_t retry = 99, t = 1000 * S;

	CHECK(rl != NULL);
	if (rl == NULL)
		return;
	CHECK(take(rl, "10.0.0.1", t, &retry));
	CHECK_INT(retry, 0);
	CHECK(take(rl, "10.0.0.1", t, &retry));
	CHECK(take(rl, "10.0.0.1", t, &retry));
	CHECK(!take(rl, "10.0.0.1", t, &retry));
	CHECK_INT(retry, S);
	/* Refused attempts cost nothing. */
	CHECK(!take(rl, "10.0.0.1", t + S / 2, &retry));
	CHECK_INT(retry, S / 2);
	CHECK(!take(rl, "10.0.0.1", t + S - 1, &retry));
	CHECK_INT(retry, 1);
	CHECK(take(rl, "10.0.0.1", t + S, &retry));
	CHECK(!take(rl, "10.0.0.1", t + S, &retry));
	CHECK_INT(retry, S);
	/* A long pause fills the bucket to the burst, no further. */
	t += 100 * S;
	CHECK(take(rl, "10.0.0.1", t, NULL));
	CHECK(take(rl, "10.0.0.1", t, NULL));
	CHECK(take(rl, "10.0.0.1", t, NULL));
	CHECK(!take(rl, "10.0.0.1", t, NULL));
	/* Another key is another bucket. */
	CHECK(take(rl, "10.0.0.2", t, NULL));
	ratelimit_free(rl);
}

static void
test_allowed_spends_nothing(void)
{
	struct ratelimit *rl = ratelimit_new(64, 2.0, 2, sipkey);
	uint64_t retry = 7;

	CHECK(rl != NULL);
	if (rl == NULL)
		return;
	for (int i = 0; i < 10; i++)
		CHECK(ratelimit_allowed(rl, "k", 1, S, &retry));
	CHECK_INT(retry, 0);
	CHECK_INT(ratelimit_active(rl, S), 0);	/* nothing stored */
	CHECK(take(rl, "k", S, NULL));
	CHECK(take(rl, "k", S, NULL));
	CHECK(!ratelimit_allowed(rl, "k", 1, S, &retry));
	CHECK_INT(retry, S / 2);
	CHECK(ratelimit_allowed(rl, "k", 1, S + S / 2, &retry));
	CHECK_INT(ratelimit_active(rl, S), 1);
	ratelimit_free(rl);
}

static void
test_keys(void)
{
	struct ratelimit *rl = ratelimit_new(64, 1.0, 1, sipkey);
	uint8_t k32[RATELIMIT_KEY_MAX + 1];
	uint64_t retry = 5;

	CHECK(rl != NULL);
	if (rl == NULL)
		return;
	memset(k32, 0xab, sizeof(k32));
	CHECK(ratelimit_take(rl, k32, RATELIMIT_KEY_MAX, S, NULL));
	CHECK(!ratelimit_take(rl, k32, RATELIMIT_KEY_MAX, S, NULL));
	CHECK(!ratelimit_take(rl, k32, RATELIMIT_KEY_MAX + 1, S, &retry));
	CHECK_INT(retry, 0);
	CHECK(!ratelimit_take(rl, k32, 0, S, NULL));
	/* Same bytes, different length: different keys. */
	CHECK(ratelimit_take(rl, "ab", 2, S, NULL));
	CHECK(ratelimit_take(rl, "ab\0", 3, S, NULL));
	CHECK(ratelimit_take(rl, "a", 1, S, NULL));
	CHECK(!ratelimit_take(rl, "ab", 2, S, NULL));
	ratelimit_free(rl);
}

static void
test_time_backwards(void)
{
	struct ratelimit *rl = ratelimit_new(64, 1.0, 2, sipkey);
	uint64_t retry;

	CHECK(rl != NULL);
	if (rl == NULL)
		return;
	CHECK(take(rl, "k", 10 * S, NULL));
	CHECK(take(rl, "k", 10 * S, NULL));
	/* An earlier time gives no tokens back, and does not wrap. */
	CHECK(!take(rl, "k", 5 * S, &retry));
	CHECK_INT(retry, 6 * S);
	CHECK(!take(rl, "k", 0, &retry));
	CHECK(take(rl, "k", 11 * S, NULL));
	ratelimit_free(rl);
}

static void
test_parameters(void)
{
	struct ratelimit *rl;

	CHECK(ratelimit_new(0, 1.0, 1, sipkey) == NULL);
	CHECK(ratelimit_new(RATELIMIT_ENTRIES_MAX + 1, 1.0, 1, sipkey) ==
	    NULL);
	CHECK(ratelimit_new(4, 0.0, 1, sipkey) == NULL);
	CHECK(ratelimit_new(4, -1.0, 1, sipkey) == NULL);
	CHECK(ratelimit_new(4, NAN, 1, sipkey) == NULL);
	CHECK(ratelimit_new(4, 2e6, 1, sipkey) == NULL);
	CHECK(ratelimit_new(4, 1.0, 0, sipkey) == NULL);
	/* Capacity: rounded up to whole sets, a power of two of them. */
	rl = ratelimit_new(5, 1.0, 1, sipkey);
	CHECK(rl != NULL && ratelimit_capacity(rl) == 8);
	ratelimit_free(rl);
	rl = ratelimit_new(4096, 1.0, 1, NULL);	/* random key */
	CHECK(rl != NULL && ratelimit_capacity(rl) == 4096);
	ratelimit_free(rl);
	/* Slow rates: one per hour. */
	rl = ratelimit_new(4, 1.0 / 3600, 1, sipkey);
	CHECK(rl != NULL);
	if (rl != NULL) {
		uint64_t retry;

		CHECK(take(rl, "k", S, NULL));
		CHECK(!take(rl, "k", S, &retry));
		CHECK_INT(retry, 3600 * S);
	}
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

/* One set of four slots: who is forgotten when a fifth key comes. */
static void
test_eviction_order(void)
{
	struct ratelimit *rl = ratelimit_new(4, 1.0, 1, sipkey);
	uint64_t t = 100 * S;

	CHECK(rl != NULL && ratelimit_capacity(rl) == 4);
	if (rl == NULL)
		return;
	/* Keys limited for 1, 4, 3 and 2 more seconds. */
	CHECK(take(rl, "a", t, NULL));
	for (int i = 0; i < 4; i++)
		take(rl, "b", t + (uint64_t)i * S, NULL);
	for (int i = 0; i < 3; i++)
		take(rl, "c", t + (uint64_t)i * S, NULL);
	for (int i = 0; i < 2; i++)
		take(rl, "d", t + (uint64_t)i * S, NULL);
	CHECK_INT(ratelimit_active(rl, t), 4);
	/* "e" pushes out the entry nearest to full: "a". */
	CHECK(take(rl, "e", t, NULL));
	CHECK(take(rl, "a", t, NULL));		/* forgotten: fresh again */
	CHECK(!take(rl, "b", t + 3 * S, NULL));
	CHECK(!take(rl, "c", t + 2 * S, NULL));
	/* Now "a" (t+1s) and "e" (t+1s) are the nearest: one of them goes. */
	CHECK(take(rl, "f", t, NULL));
	CHECK(!take(rl, "b", t + 3 * S, NULL));
	CHECK(!take(rl, "c", t + 2 * S, NULL));
	CHECK(!take(rl, "d", t + S, NULL));
	/* Once an entry is full again it is a free slot: no one else goes. */
	CHECK(take(rl, "g", t + 10 * S, NULL));
	CHECK_INT(ratelimit_active(rl, t + 10 * S), 1);
	ratelimit_free(rl);
}

/*
 * A client limited for failed logins stays limited while an attacker
 * floods the table with fresh addresses, each of which uses one attempt.
 */
static void
test_flood_keeps_limited(void)
{
	struct ratelimit *rl = ratelimit_new(1024, 0.2, 5, sipkey);
	uint64_t t = 1000 * S;
	uint64_t retry;

	CHECK(rl != NULL);
	if (rl == NULL)
		return;
	for (int i = 0; i < 5; i++)
		CHECK(take(rl, "victim", t, NULL));
	CHECK(!take(rl, "victim", t, NULL));
	for (uint32_t i = 0; i < 100000; i++)
		CHECK(ratelimit_take(rl, &i, sizeof(i), t, NULL));
	CHECK(!take(rl, "victim", t, &retry));
	CHECK_INT(retry, 5 * S);
	CHECK(ratelimit_active(rl, t) <= ratelimit_capacity(rl));
	ratelimit_free(rl);
}

/* A reload changes the rate; the buckets keep their state. */
static void
test_set_rate(void)
{
	struct ratelimit *rl = ratelimit_new(64, 1.0, 2, sipkey);
	uint64_t retry;

	CHECK(rl != NULL);
	if (rl == NULL)
		return;
	CHECK(take(rl, "k", S, NULL));
	CHECK(take(rl, "k", S, NULL));
	CHECK(!take(rl, "k", S, NULL));
	CHECK_INT(ratelimit_set_rate(rl, 0.0, 2), -1);
	CHECK_INT(ratelimit_set_rate(rl, 1.0, 0), -1);
	CHECK_INT(ratelimit_set_rate(rl, 1.0, 4), 0);
	/* Two spent under the old rate (tat = now + 2 s); burst 4 allows 2 more. */
	CHECK(take(rl, "k", S, NULL));
	CHECK(take(rl, "k", S, NULL));
	CHECK(!take(rl, "k", S, &retry));
	CHECK_INT(retry, S);
	ratelimit_free(rl);
}

int
main(void)
{
	RUN(test_bucket);
	RUN(test_allowed_spends_nothing);
	RUN(test_keys);
	RUN(test_time_backwards);
	RUN(test_parameters);
	RUN(test_eviction_order);
	RUN(test_flood_keeps_limited);
	RUN(test_set_rate);
	return tl_summary("unit/ratelimit");
}
