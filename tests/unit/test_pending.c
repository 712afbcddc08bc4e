/* test_pending.c -- budgets for connections not yet sessions: shares, per-address counts, who gives way */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pending.h"
#include "testlib.h"

static struct sockaddr_in
v4(const char *a)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(40000);
	inet_pton(AF_INET, a, &sa.sin_addr);
	return sa;
}

static struct sockaddr_in6
v6(const char *a)
{
	struct sockaddr_in6 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &sa.sin6_addr);
	return sa;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* Buckets: the port does not matter, an IPv6 /64 is one client, a
 * mapped IPv4 address is that IPv4 client, and the key moves buckets. */
static void
test_bucket(void)
{
	struct pending_budget b, b2;
	struct sockaddr_in a = v4("192.0.2.1"), a2 = v4("192.0.2.1");
	struct sockaddr_in6 x = v6("2001:db8:1:2::1");
	struct sockaddr_in6 y = v6("2001:db8:1:2:ffff::9");
	struct sockaddr_in6 z = v6("2001:db8:1:3::1");
	struct sockaddr_in6 m = v6("::ffff:192.0.2.1");
	unsigned moved = 0;

	CHECK_INT(pending_budget_init(&b, 42, 1), 0);
	CHECK_INT(pending_budget_init(&b2, 43, 1), 0);
	a2.sin_port = htons(1);
	CHECK_INT(pending_bucket(&b, SA(a)), pending_bucket(&b, SA(a2)));
	CHECK_INT(pending_bucket(&b, SA(x)), pending_bucket(&b, SA(y)));
	CHECK(pending_bucket(&b, SA(x)) != pending_bucket(&b, SA(z)));
	CHECK_INT(pending_bucket(&b, SA(m)), pending_bucket(&b, SA(a)));
	for (unsigned i = 0; i < 64; i++) {
		struct sockaddr_in c = v4("10.0.0.0");

		c.sin_addr.s_addr = htonl(0x0a000000u + i);
		CHECK(pending_bucket(&b, SA(c)) < PENDING_BUCKETS);
		moved += pending_bucket(&b, SA(c)) != pending_bucket(&b2, SA(c));
	}
	CHECK(moved > 56);
	pending_budget_fini(&b);
	pending_budget_fini(&b2);
}

/* Neighbouring addresses spread over the buckets. */
static void
test_spread(void)
{
	struct pending_budget b;
	static unsigned char used[PENDING_BUCKETS];
	unsigned distinct = 0;

	CHECK_INT(pending_budget_init(&b, tl_rand(), 1), 0);
	memset(used, 0, sizeof(used));
	for (unsigned i = 0; i < 4096; i++) {
		struct sockaddr_in c = v4("0.0.0.0");
		uint32_t k;

		c.sin_addr.s_addr = htonl(0xc0a80000u + i);
		k = pending_bucket(&b, SA(c));
		distinct += !used[k];
		used[k] = 1;
	}
	/* 4096 balls in 16384 bins: about 3,600 distinct expected. */
	CHECK(distinct > 3400);
	pending_budget_fini(&b);
}

static void
test_shares(void)
{
	struct pending_budget b;

	CHECK_INT(pending_budget_init(&b, 1, 3), 0);
	atomic_store(&b.max, 10);
	CHECK_INT(pending_share(&b, 0), 4);
	CHECK_INT(pending_share(&b, 1), 3);
	CHECK_INT(pending_share(&b, 2), 3);
	atomic_store(&b.max, 2);
	CHECK_INT(pending_share(&b, 2), 1);	/* at least one */
	atomic_store(&b.max, 0);
	CHECK_INT(pending_share(&b, 0), 0);	/* no limit */
	pending_budget_fini(&b);
}

/* A full share: silent connections give way before partial ones, which
 * give way before answered ones; the oldest first in each. */
static void
test_give_way_order(void)
{
	struct pending_budget b;
	struct pending_queue q;
	struct pending_link l[8], n[4], *ev;
	char addr[32];

	CHECK_INT(pending_budget_init(&b, 7, 1), 0);
	memset(&q, 0, sizeof(q));
	atomic_store(&b.max, 6);
	for (int i = 0; i < 6; i++) {
		struct sockaddr_in c;

		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		c = v4(addr);
		CHECK_INT(pending_admit(&b, &q, &l[i], SA(c), &ev), 0);
		CHECK(ev == NULL);
	}
	CHECK_INT(q.n, 6);
	pending_advance(&q, &l[0], PENDING_ANSWERED);
	pending_advance(&q, &l[1], PENDING_PARTIAL);
	pending_advance(&q, &l[2], PENDING_PARTIAL);
	pending_advance(&q, &l[2], PENDING_PARTIAL);	/* stays in place */
	pending_advance(&q, &l[1], PENDING_SILENT);	/* never back */
	CHECK_INT(l[1].stage, PENDING_PARTIAL);
	/* Order now: silent 3 4 5, partial 1 2, answered 0. */
	struct pending_link *want[] = { &l[3], &l[4], &l[5], &l[1], &l[2],
		&l[0] };
	for (int i = 0; i < 6; i++) {
		struct sockaddr_in c = v4("203.0.113.9");

		CHECK_INT(pending_admit(&b, &q, i < 4 ? &n[i] : &l[6 + i - 4],
		    SA(c), &ev), 0);
		CHECK(ev == want[i]);
		if (ev != NULL)
			pending_release(&b, &q, ev);
		/* The newcomers are silent and newest: after the three
		 * old silent ones, they come before partial ones, so
		 * make them partial. */
		pending_advance(&q, i < 4 ? &n[i] : &l[6 + i - 4],
		    PENDING_ANSWERED);
		CHECK_INT(q.n, 6);
	}
	/* Released: no-ops the second time, and nothing held at the end. */
	for (int i = 0; i < 6; i++)
		pending_release(&b, &q, &l[i]);
	pending_release(&b, &q, &l[6]);
	pending_release(&b, &q, &l[7]);
	for (int i = 0; i < 4; i++)
		pending_release(&b, &q, &n[i]);
	CHECK_INT(q.n, 0);
	CHECK(pending_first(&q) == NULL);
	pending_budget_fini(&b);
}

/* A kept-alive connection between requests gives way before every
 * other, even a newer silent one, the longest idle first; and then goes
 * on like a new one. */
static void
test_idle_first(void)
{
	struct pending_budget b;
	struct pending_queue q;
	struct pending_link l[3], n, *ev;
	struct sockaddr_in c = v4("198.51.100.1");

	CHECK_INT(pending_budget_init(&b, 7, 1), 0);
	memset(&q, 0, sizeof(q));
	atomic_store(&b.max, 3);
	for (int i = 0; i < 3; i++)
		CHECK_INT(pending_admit(&b, &q, &l[i], SA(c), &ev), 0);
	pending_advance(&q, &l[0], PENDING_ANSWERED);
	pending_advance(&q, &l[1], PENDING_ANSWERED);
	/* l[1], then l[0] answered, now idle: ahead of the silent l[2]. */
	pending_idle(&q, &l[1]);
	pending_idle(&q, &l[0]);
	CHECK_INT(l[0].stage, PENDING_IDLE);
	CHECK(pending_first(&q) == &l[1]);
	CHECK_INT(q.n, 3);
	CHECK_INT(pending_admit(&b, &q, &n, SA(c), &ev), 0);
	CHECK(ev == &l[1]);
	pending_release(&b, &q, ev);
	CHECK(pending_first(&q) == &l[0]);
	/* Its next request moves it on as ever: l[2] is now first. */
	pending_advance(&q, &l[0], PENDING_PARTIAL);
	CHECK(pending_first(&q) == &l[2]);
	/* Holding nothing: nothing happens. */
	pending_idle(&q, &l[1]);
	CHECK_INT(l[1].stage, PENDING_NONE);
	CHECK_INT(q.n, 3);
	pending_release(&b, &q, &l[0]);
	pending_release(&b, &q, &l[2]);
	pending_release(&b, &q, &n);
	CHECK_INT(q.n, 0);
	CHECK(pending_first(&q) == NULL);
	pending_budget_fini(&b);
}

/* max_per_client counts an address across every queue, and applies
 * once a share is spent: an address over it is then refused, while
 * others push the oldest out; a slot given back admits it again. */
static void
test_per_client(void)
{
	struct pending_budget b;
	struct pending_queue q1, q2;
	struct pending_link l[6], x, y, *ev;
	struct sockaddr_in a = v4("192.0.2.7"), o = v4("192.0.2.8");
	struct sockaddr_in o2 = v4("192.0.2.9");

	CHECK_INT(pending_budget_init(&b, 9, 2), 0);
	memset(&q1, 0, sizeof(q1));
	memset(&q2, 0, sizeof(q2));
	q2.index = 1;
	atomic_store(&b.max, 6);		/* 3 per queue */
	atomic_store(&b.max_per_client, 2);
	/* Room: an address may take more than 2. */
	CHECK_INT(pending_admit(&b, &q1, &l[0], SA(a), &ev), 0);
	CHECK_INT(pending_admit(&b, &q2, &l[1], SA(a), &ev), 0);
	CHECK_INT(pending_admit(&b, &q1, &l[2], SA(a), &ev), 0);
	CHECK_INT(pending_admit(&b, &q1, &l[3], SA(a), &ev), 0);
	CHECK(ev == NULL);
	/* q1 is spent: a (4 held) is refused there, o pushes a's oldest
	 * out; q2 still has room for a. */
	CHECK_INT(pending_admit(&b, &q1, &l[4], SA(a), &ev), -1);
	CHECK_INT(l[4].stage, PENDING_NONE);
	pending_release(&b, &q1, &l[4]);	/* holds none: no-op */
	CHECK_INT(pending_admit(&b, &q1, &x, SA(o), &ev), 0);
	CHECK(ev == &l[0]);
	pending_release(&b, &q1, ev);
	CHECK_INT(pending_admit(&b, &q2, &l[4], SA(a), &ev), 0);
	CHECK(ev == NULL);
	/* a gives back all but one (q1: l[3], x, y): under its limit,
	 * it pushes the oldest out. */
	pending_release(&b, &q2, &l[1]);
	pending_release(&b, &q2, &l[4]);
	pending_release(&b, &q1, &l[2]);
	CHECK_INT(pending_admit(&b, &q1, &y, SA(o2), &ev), 0);
	CHECK(ev == NULL);
	CHECK_INT(pending_admit(&b, &q1, &l[5], SA(a), &ev), 0);
	CHECK(ev == &l[3]);
	pending_release(&b, &q1, ev);
	pending_release(&b, &q1, &l[5]);
	pending_release(&b, &q1, &x);
	pending_release(&b, &q1, &y);
	CHECK_INT(q1.n + q2.n, 0);
	for (unsigned i = 0; i < PENDING_BUCKETS; i++)
		CHECK_INT(atomic_load(&b.per_client[i]), 0);
	pending_budget_fini(&b);
}

/* A share lowered (reload) below what a queue holds: one gives way per
 * newcomer, so the queue does not grow. */
static void
test_lowered_share(void)
{
	struct pending_budget b;
	struct pending_queue q;
	struct pending_link l[6], *ev;

	CHECK_INT(pending_budget_init(&b, 3, 1), 0);
	memset(&q, 0, sizeof(q));
	for (int i = 0; i < 4; i++) {
		struct sockaddr_in c = v4("192.0.2.1");

		c.sin_addr.s_addr = htonl(0xc0000201u + (uint32_t)i);
		CHECK_INT(pending_admit(&b, &q, &l[i], SA(c), &ev), 0);
	}
	atomic_store(&b.max, 2);
	for (int i = 4; i < 6; i++) {
		struct sockaddr_in c = v4("192.0.2.99");

		CHECK_INT(pending_admit(&b, &q, &l[i], SA(c), &ev), 0);
		CHECK(ev == &l[i - 4]);
		pending_release(&b, &q, ev);
		CHECK_INT(q.n, 4);
	}
	for (int i = 0; i < 6; i++)
		pending_release(&b, &q, &l[i]);
	CHECK_INT(q.n, 0);
	pending_budget_fini(&b);
}

int
main(void)
{
	RUN(test_bucket);
	RUN(test_spread);
	RUN(test_shares);
	RUN(test_give_way_order);
	RUN(test_idle_first);
	RUN(test_per_client);
	RUN(test_lowered_share);
	return tl_summary("unit/pending");
}
