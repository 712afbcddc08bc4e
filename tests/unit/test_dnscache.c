/* test_dnscache.c -- unit tests for the name lookup cache: TTLs, failures, eviction, bounds */
#include <stdio.h>
#include <sys/socket.h>

#include "dnscache.h"
#include "testlib.h"

static struct hosts_addr
v4(unsigned char last)
{
	struct hosts_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.bytes[0] = 10;
	a.bytes[3] = last;
	return a;
}

static void
test_answer_kept_for_ttl(void)
{
	struct dnscache *c = dnscache_new(8);
	struct hosts_addr a[2] = { v4(1), v4(2) };
	struct dns_entry *e;

	CHECK(dnscache_get(c, "a.test", 100) == NULL);
	e = dnscache_add(c, "a.test");
	CHECK(e != NULL);
	CHECK_INT(e->state, DNS_ENTRY_PENDING);
	/* Pending: found, whatever the time. */
	CHECK(dnscache_get(c, "A.TEST", 1e9) == e);
	dnscache_answer(e, a, 2, 30, 100);
	CHECK_INT(e->state, DNS_ENTRY_ANSWERED);
	CHECK_INT(e->naddrs, 2);
	CHECK_MEM(&e->addrs[1], &a[1], sizeof(a[1]));
	CHECK(dnscache_get(c, "a.test", 129.9) == e);
	/* Expired: dropped. */
	CHECK(dnscache_get(c, "a.test", 130) == NULL);
	CHECK_INT(dnscache_count(c), 0);
	dnscache_free(c);
}

static void
test_ttl_clamped(void)
{
	struct dnscache *c = dnscache_new(8);
	struct hosts_addr a = v4(1);
	struct dns_entry *e;

	e = dnscache_add(c, "zero.test");
	dnscache_answer(e, &a, 1, 0, 100);
	CHECK(e->expires == 100 + DNSCACHE_TTL_MIN);
	e = dnscache_add(c, "day.test");
	dnscache_answer(e, &a, 1, 86400, 100);
	CHECK(e->expires == 100 + DNSCACHE_TTL_MAX);
	e = dnscache_add(c, "huge.test");
	dnscache_answer(e, &a, 1, 0xffffffffUL, 100);
	CHECK(e->expires == 100 + DNSCACHE_TTL_MAX);
	dnscache_free(c);
}

static void
test_failure_kept_briefly(void)
{
	struct dnscache *c = dnscache_new(8);
	struct dns_entry *e = dnscache_add(c, "no.test");

	e->lookup = &c;		/* the caller's; cleared when settled */
	dnscache_fail(e, "no such name", 50);
	CHECK(e->lookup == NULL);
	CHECK_INT(e->state, DNS_ENTRY_FAILED);
	CHECK_STR(e->why, "no such name");
	CHECK(dnscache_get(c, "no.test", 50 + DNSCACHE_NEGATIVE_TTL - 0.1)
	    == e);
	CHECK(dnscache_get(c, "no.test", 50 + DNSCACHE_NEGATIVE_TTL) == NULL);
	dnscache_free(c);
}

static void
test_too_many_addresses(void)
{
	struct dnscache *c = dnscache_new(1);
	struct hosts_addr a[DNSCACHE_MAX_ADDRS + 4];
	struct dns_entry *e = dnscache_add(c, "many.test");

	for (size_t i = 0; i < DNSCACHE_MAX_ADDRS + 4; i++)
		a[i] = v4((unsigned char)i);
	dnscache_answer(e, a, DNSCACHE_MAX_ADDRS + 4, 10, 0);
	CHECK_INT(e->naddrs, DNSCACHE_MAX_ADDRS);
	CHECK_MEM(&e->addrs[DNSCACHE_MAX_ADDRS - 1],
	    &a[DNSCACHE_MAX_ADDRS - 1], sizeof(a[0]));
	dnscache_free(c);
}

static void
test_least_recently_used_evicted(void)
{
	struct dnscache *c = dnscache_new(3);
	struct hosts_addr a = v4(1);
	const char *names[] = { "a.test", "b.test", "c.test" };

	for (int i = 0; i < 3; i++)
		dnscache_answer(dnscache_add(c, names[i]), &a, 1, 60, 0);
	/* a is used again: b is now the least recently used. */
	CHECK(dnscache_get(c, "a.test", 1) != NULL);
	dnscache_answer(dnscache_add(c, "d.test"), &a, 1, 60, 1);
	CHECK_INT(dnscache_count(c), 3);
	CHECK(dnscache_get(c, "b.test", 2) == NULL);
	CHECK(dnscache_get(c, "a.test", 2) != NULL);
	CHECK(dnscache_get(c, "c.test", 2) != NULL);
	CHECK(dnscache_get(c, "d.test", 2) != NULL);
	dnscache_free(c);
}

static void
test_pending_never_evicted(void)
{
	struct dnscache *c = dnscache_new(2);
	struct hosts_addr a = v4(1);
	struct dns_entry *p1, *p2, *e;

	p1 = dnscache_add(c, "p1.test");
	e = dnscache_add(c, "done.test");
	dnscache_answer(e, &a, 1, 60, 0);
	/* Full: the settled entry goes, though p1 is older. */
	p2 = dnscache_add(c, "p2.test");
	CHECK(p2 != NULL);
	CHECK(dnscache_get(c, "done.test", 1) == NULL);
	CHECK(dnscache_get(c, "p1.test", 1) == p1);
	/* Full of pending entries: nothing can be added. */
	CHECK(dnscache_add(c, "p3.test") == NULL);
	CHECK_INT(dnscache_count(c), 2);
	/* Clearing keeps them too. */
	dnscache_clear(c);
	CHECK_INT(dnscache_count(c), 2);
	dnscache_answer(p1, &a, 1, 60, 1);
	dnscache_clear(c);
	CHECK_INT(dnscache_count(c), 1);
	CHECK(dnscache_get(c, "p2.test", 2) == p2);
	dnscache_free(c);
}

static void
test_long_names_and_many_entries(void)
{
	struct dnscache *c = dnscache_new(1000);
	struct hosts_addr a = v4(1);
	char name[300];
	size_t found = 0;

	memset(name, 'x', 255);
	name[255] = '\0';
	CHECK(dnscache_add(c, name) != NULL);
	name[255] = 'x';
	name[256] = '\0';
	CHECK(dnscache_add(c, name) == NULL);
	dnscache_free(c);

	/* More names than buckets and than room: every lookup still finds
	 * exactly the names kept. */
	c = dnscache_new(1000);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		dnscache_answer(dnscache_add(c, name), &a, 1, 60, 0);
	}
	CHECK_INT(dnscache_count(c), 1000);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "N%d.TEST", i);
		if (dnscache_get(c, name, 1) != NULL) {
			found++;
			CHECK(i >= 2000);
		}
	}
	CHECK_INT(found, 1000);
	dnscache_free(c);
	dnscache_free(NULL);
}

int
main(void)
{
	RUN(test_answer_kept_for_ttl);
	RUN(test_ttl_clamped);
	RUN(test_failure_kept_briefly);
	RUN(test_too_many_addresses);
	RUN(test_least_recently_used_evicted);
	RUN(test_pending_never_evicted);
	RUN(test_long_names_and_many_entries);
	return tl_summary("unit/dnscache");
}
