/* test_clientlimit.c -- unit tests for clientlimit.c: per-client session counts in a fixed table */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "clientlimit.h"
#include "testlib.h"

static struct sockaddr_storage
v4(uint32_t a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(a);
	sin->sin_port = htons(port);
	return ss;
}

static struct sockaddr_storage
v6(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, text, &sin6->sin6_addr);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

/* One client's limit: counted whatever its port, given back exactly. */
static void
test_one_client(void)
{
	struct clientlimit *cl = clientlimit_new(42);
	struct sockaddr_storage a = v4(0xc0000201, 1000), b = v4(0xc0000201, 2);
	int64_t ba = clientlimit_bucket(cl, SA(a), 64);

	CHECK(ba >= 0 && ba == clientlimit_bucket(cl, SA(b), 64));
	CHECK(clientlimit_take(cl, (uint32_t)ba, 2));
	CHECK(clientlimit_take(cl, (uint32_t)ba, 2));
	CHECK(!clientlimit_take(cl, (uint32_t)ba, 2));
	CHECK_INT(clientlimit_count(cl, (uint32_t)ba), 2);
	CHECK(clientlimit_take(cl, (uint32_t)ba, 0));	/* no limit */
	clientlimit_give(cl, (uint32_t)ba);
	clientlimit_give(cl, (uint32_t)ba);
	CHECK(clientlimit_take(cl, (uint32_t)ba, 2));
	clientlimit_give(cl, (uint32_t)ba);
	clientlimit_give(cl, (uint32_t)ba);
	CHECK_INT(clientlimit_count(cl, (uint32_t)ba), 0);
	clientlimit_free(cl);
}

/* IPv6 clients are grouped by their prefix (default /64); IPv4-mapped
 * addresses are the IPv4 client. */
static void
test_ipv6_groups(void)
{
	struct clientlimit *cl = clientlimit_new(7);
	struct sockaddr_storage a = v6("2001:db8:0:1::1"),
	    b = v6("2001:db8:0:1:ffff::2"), c = v6("2001:db8:0:2::1"),
	    m = v6("::ffff:192.0.2.1"), four = v4(0xc0000201, 0);
	struct sockaddr_storage un;

	CHECK(clientlimit_bucket(cl, SA(a), 64) ==
	    clientlimit_bucket(cl, SA(b), 64));
	CHECK(clientlimit_bucket(cl, SA(a), 64) !=
	    clientlimit_bucket(cl, SA(c), 64));
	CHECK(clientlimit_bucket(cl, SA(a), 128) !=
	    clientlimit_bucket(cl, SA(b), 128));
	CHECK(clientlimit_bucket(cl, SA(a), 48) ==
	    clientlimit_bucket(cl, SA(c), 48));
	CHECK(clientlimit_bucket(cl, SA(m), 64) ==
	    clientlimit_bucket(cl, SA(four), 64));
	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	CHECK(clientlimit_bucket(cl, SA(un), 64) == -1);
	clientlimit_free(cl);
}

/*
 * 100,000 distinct clients at once (half IPv4, half IPv6 /64s) in a
 * table whose memory is fixed: each takes one place under a limit of 16
 * and none is refused (buckets are shared only by chance: the fullest
 * holds a handful), and giving them all back leaves every count at 0.
 */
static void
test_hundred_thousand_clients(void)
{
	enum { N = 100000 };
	static uint32_t bucket[N];
	static unsigned load[CLIENTLIMIT_BUCKETS];
	struct clientlimit *cl = clientlimit_new(0x0123456789abcdefull);
	unsigned refused = 0, fullest = 0;

	for (unsigned i = 0; i < N; i++) {
		struct sockaddr_storage ss;
		char text[64];
		int64_t b;

		if (i % 2 == 0) {
			ss = v4(0x0a000000u + i, 443);
		} else {
			snprintf(text, sizeof(text), "2001:db8:%x:%x::1",
			    i >> 16, i & 0xffff);
			ss = v6(text);
		}
		b = clientlimit_bucket(cl, SA(ss), 64);
		CHECK(b >= 0 && b < CLIENTLIMIT_BUCKETS);
		bucket[i] = (uint32_t)b;
		if (!clientlimit_take(cl, bucket[i], 16))
			refused++;
		if (++load[bucket[i]] > fullest)
			fullest = load[bucket[i]];
	}
	CHECK_INT(refused, 0);
	CHECK(fullest <= 12);
	for (unsigned i = 0; i < N; i++)
		clientlimit_give(cl, bucket[i]);
	for (unsigned b = 0; b < CLIENTLIMIT_BUCKETS; b++)
		if (clientlimit_count(cl, b) != 0)
			CHECK(!"a count left over");
	clientlimit_free(cl);
	clientlimit_free(NULL);
}

int
main(void)
{
	RUN(test_one_client);
	RUN(test_ipv6_groups);
	RUN(test_hundred_thousand_clients);
	return tl_summary("unit/clientlimit");
}
