/* test_cidr.c -- CIDR ranges: parsing, lists, matching (IPv4-mapped as IPv4), per-client keys */
#include <arpa/inet.h>
#include <sys/un.h>

#include "cidr.h"
#include "testlib.h"

static struct sockaddr_storage
sa(const char *host)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(1234);
		if (inet_pton(AF_INET6, host, &s->sin6_addr) != 1)
			abort();
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(1234);
		if (inet_pton(AF_INET, host, &s->sin_addr) != 1)
			abort();
	}
	return ss;
}

/* Parse and format back: "" on error (with the reason on stderr). */
static const char *
norm(const char *s, char *buf)
{
	struct cidr c;
	const char *why = NULL;

	if (cidr_parse(s, strlen(s), &c, &why) != 0) {
		CHECK(why != NULL && why[0] != '\0');
		return "";
	}
	return cidr_format(&c, buf, CIDR_STRLEN);
}

static bool
in(const char *range, const char *host)
{
	struct cidr c;
	struct sockaddr_storage ss = sa(host);
	const char *why;

	if (cidr_parse(range, strlen(range), &c, &why) != 0)
		abort();
	return cidr_contains(&c, (struct sockaddr *)&ss);
}

static void
test_parse(void)
{
	char b[CIDR_STRLEN];

	CHECK_STR(norm("10.0.0.0/8", b), "10.0.0.0/8");
	CHECK_STR(norm("192.0.2.1", b), "192.0.2.1/32");
	CHECK_STR(norm("0.0.0.0/0", b), "0.0.0.0/0");
	CHECK_STR(norm("192.0.2.128/25", b), "192.0.2.128/25");
	CHECK_STR(norm("2001:db8::/32", b), "2001:db8::/32");
	CHECK_STR(norm("2001:DB8:0:0::/64", b), "2001:db8::/64");
	CHECK_STR(norm("::1", b), "::1/128");
	CHECK_STR(norm("::/0", b), "::/0");
	/* IPv4-mapped ranges are the IPv4 ranges they stand for. */
	CHECK_STR(norm("::ffff:10.0.0.0/104", b), "10.0.0.0/8");
	CHECK_STR(norm("::ffff:192.0.2.1", b), "192.0.2.1/32");
	CHECK_STR(norm("::ffff:0.0.0.0/96", b), "0.0.0.0/0");
	/* ... unless wider than the mapped block. */
	CHECK_STR(norm("::/80", b), "::/80");
	CHECK_STR(norm("::ffff:0:0/95", b), "");
	CHECK_STR(norm("::fffe:0:0/95", b), "::fffe:0:0/95");
	/* Malformed. */
	CHECK_STR(norm("", b), "");
	CHECK_STR(norm("10.0.0.0/", b), "");
	CHECK_STR(norm("10.0.0.0/33", b), "");
	CHECK_STR(norm("10.0.0.0/08", b), "");
	CHECK_STR(norm("10.0.0.0/-1", b), "");
	CHECK_STR(norm("10.0.0.0/8/8", b), "");
	CHECK_STR(norm("10.0.0.0 /8", b), "");
	CHECK_STR(norm("10/8", b), "");
	CHECK_STR(norm("010.0.0.0/8", b), "");
	CHECK_STR(norm("2001:db8::/129", b), "");
	CHECK_STR(norm("example.com/8", b), "");
	CHECK_STR(norm("/8", b), "");
	CHECK_STR(norm("[::1]/128", b), "");
}

static void
test_parse_errors_say_why(void)
{
	struct cidr c;
	const char *why = NULL;
	char b[CIDR_STRLEN];

	CHECK(cidr_parse("10.0.0.1/8", 10, &c, &why) == -1);
	CHECK(why != NULL && strstr(why, "host bits") != NULL);
	/* The network the text stands for, to suggest. */
	CHECK_STR(cidr_format(&c, b, sizeof(b)), "10.0.0.0/8");
	CHECK(cidr_parse("2001:db8::1/32", 14, &c, &why) == -1);
	CHECK(why != NULL && strstr(why, "host bits") != NULL);
	CHECK_STR(cidr_format(&c, b, sizeof(b)), "2001:db8::/32");
	CHECK(cidr_parse("10.0.0.0/40", 11, &c, &why) == -1);
	CHECK(why != NULL && strstr(why, "0-32") != NULL);
	CHECK(cidr_parse("::/200", 6, &c, &why) == -1);
	CHECK(why != NULL && strstr(why, "0-128") != NULL);
	CHECK(cidr_parse("vpn.example", 11, &c, &why) == -1);
	CHECK(why != NULL && strstr(why, "10.0.0.0/8") != NULL);
	/* Only the given length counts. */
	CHECK(cidr_parse("10.0.0.0/8,x", 10, &c, &why) == 0);
}

static void
test_contains(void)
{
	CHECK(in("10.0.0.0/8", "10.0.0.1"));
	CHECK(in("10.0.0.0/8", "10.255.255.255"));
	CHECK(!in("10.0.0.0/8", "11.0.0.0"));
	CHECK(!in("10.0.0.0/8", "9.255.255.255"));
	CHECK(in("192.0.2.128/25", "192.0.2.200"));
	CHECK(!in("192.0.2.128/25", "192.0.2.127"));
	CHECK(in("192.0.2.1", "192.0.2.1"));
	CHECK(!in("192.0.2.1", "192.0.2.2"));
	CHECK(in("0.0.0.0/0", "203.0.113.9"));
	CHECK(in("2001:db8::/32", "2001:db8:ffff::1"));
	CHECK(!in("2001:db8::/32", "2001:db9::1"));
	CHECK(in("2001:db8::/33", "2001:db8:7fff::1"));
	CHECK(!in("2001:db8::/33", "2001:db8:8000::1"));
	CHECK(in("::/0", "::1"));
	/* IPv4-mapped clients match IPv4 ranges (a dual-stack socket). */
	CHECK(in("10.0.0.0/8", "::ffff:10.1.2.3"));
	CHECK(!in("10.0.0.0/8", "::ffff:11.1.2.3"));
	CHECK(in("::ffff:10.0.0.0/104", "10.1.2.3"));
	CHECK(in("::ffff:10.0.0.0/104", "::ffff:10.1.2.3"));
	/* Families never cross: ::/0 is IPv6 only, 0.0.0.0/0 IPv4 only. */
	CHECK(!in("::/0", "10.0.0.1"));
	CHECK(!in("::/0", "::ffff:10.0.0.1"));
	CHECK(!in("0.0.0.0/0", "::1"));
	CHECK(!in("0.0.0.0/0", "::10.0.0.1"));	/* IPv4-compatible */
	/* Not an IP address at all. */
	{
		struct sockaddr_un un;
		struct cidr c;
		const char *why;

		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		CHECK(cidr_parse("0.0.0.0/0", 9, &c, &why) == 0);
		CHECK(!cidr_contains(&c, (struct sockaddr *)&un));
		CHECK(!cidr_match(&c, 1, (struct sockaddr *)&un));
	}
}

static void
test_every_prefix(void)
{
	/* For each length, the range holds the last address before the
	 * cut's next step and not the first one after it. */
	for (unsigned p = 1; p <= 32; p++) {
		struct cidr c;
		struct sockaddr_storage ss = sa("0.0.0.0");
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		char text[32];
		const char *why;
		uint32_t host = p == 32 ? 0 : 0xffffffffu >> p;

		snprintf(text, sizeof(text), "128.0.0.0/%u", p);
		CHECK(cidr_parse(text, strlen(text), &c, &why) == 0);
		sin->sin_addr.s_addr = htonl(0x80000000u | host);
		CHECK(cidr_contains(&c, (struct sockaddr *)&ss));
		sin->sin_addr.s_addr = htonl((0x80000000u | host) + 1);
		CHECK(!cidr_contains(&c, (struct sockaddr *)&ss));
	}
	for (unsigned p = 1; p <= 128; p++) {
		struct cidr c;
		struct sockaddr_storage ss = sa("::");
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		char text[64];
		const char *why;

		snprintf(text, sizeof(text), "8000::/%u", p);
		CHECK(cidr_parse(text, strlen(text), &c, &why) == 0);
		/* 8000:: with bit p (0-based from the top) set: outside
		 * unless p is past the end. */
		s6->sin6_addr.s6_addr[0] = 0x80;
		CHECK(cidr_contains(&c, (struct sockaddr *)&ss));
		if (p < 128) {
			s6->sin6_addr.s6_addr[p / 8] |=
			    (uint8_t)(0x80 >> (p % 8));
			CHECK(cidr_contains(&c, (struct sockaddr *)&ss));
			s6->sin6_addr.s6_addr[p / 8] = 0;
			s6->sin6_addr.s6_addr[0] = 0x80;
			s6->sin6_addr.s6_addr[(p - 1) / 8] ^=
			    (uint8_t)(0x80 >> ((p - 1) % 8));
			CHECK(!cidr_contains(&c, (struct sockaddr *)&ss));
		}
	}
}

static void
test_list(void)
{
	const char *text = " 10.0.0.0/8, 192.168.0.0/16\t::1 ,,2001:db8::/32\n";
	struct cidr list[8];
	struct cidr_error err;
	size_t n = 99;
	struct sockaddr_storage ss;
	char b[CIDR_STRLEN];

	/* Count first (no storage), then fill. */
	CHECK(cidr_list_parse(text, strlen(text), NULL, 0, &n, &err) == 0);
	CHECK_INT(n, 4);
	CHECK(cidr_list_parse(text, strlen(text), list, 2, &n, &err) == 0);
	CHECK_INT(n, 4);
	CHECK_STR(cidr_format(&list[1], b, sizeof(b)), "192.168.0.0/16");
	CHECK(cidr_list_parse(text, strlen(text), list, 8, &n, &err) == 0);
	CHECK_INT(n, 4);
	CHECK_STR(cidr_format(&list[2], b, sizeof(b)), "::1/128");
	CHECK_STR(cidr_format(&list[3], b, sizeof(b)), "2001:db8::/32");
	ss = sa("192.168.7.7");
	CHECK(cidr_match(list, n, (struct sockaddr *)&ss));
	ss = sa("::ffff:192.168.7.7");
	CHECK(cidr_match(list, n, (struct sockaddr *)&ss));
	ss = sa("::1");
	CHECK(cidr_match(list, n, (struct sockaddr *)&ss));
	ss = sa("::2");
	CHECK(!cidr_match(list, n, (struct sockaddr *)&ss));
	ss = sa("172.16.0.1");
	CHECK(!cidr_match(list, n, (struct sockaddr *)&ss));
	CHECK(!cidr_match(list, 0, (struct sockaddr *)&ss));
	/* Empty lists hold nothing. */
	CHECK(cidr_list_parse("", 0, list, 8, &n, &err) == 0);
	CHECK_INT(n, 0);
	CHECK(cidr_list_parse(" , ", 3, list, 8, &n, &err) == 0);
	CHECK_INT(n, 0);
	/* The first bad entry, where it is. */
	text = "10.0.0.0/8, 10.1.2.3/16, bogus";
	CHECK(cidr_list_parse(text, strlen(text), list, 8, &n, &err) == -1);
	CHECK_INT(err.at, 12);
	CHECK_INT(err.len, 11);
	CHECK(err.why != NULL && strstr(err.why, "host bits") != NULL);
	text = "10.0.0.0/8;192.168.0.0/16";
	CHECK(cidr_list_parse(text, strlen(text), list, 8, &n, &err) == -1);
	CHECK_INT(err.at, 0);
	CHECK_INT(err.len, strlen(text));
}

static void
test_group(void)
{
	struct cidr a, b;
	struct sockaddr_storage x, y;
	char t[CIDR_STRLEN];

	/* IPv6 by /64 by default: one customer, one key. */
	x = sa("2001:db8:1:2:aaaa::1");
	y = sa("2001:db8:1:2:bbbb::2");
	CHECK(cidr_group((struct sockaddr *)&x, 32, 64, &a) == 0);
	CHECK(cidr_group((struct sockaddr *)&y, 32, 64, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_STR(cidr_format(&a, t, sizeof(t)), "2001:db8:1:2::/64");
	y = sa("2001:db8:1:3::1");
	CHECK(cidr_group((struct sockaddr *)&y, 32, 64, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) != 0);
	/* /128: every address its own. */
	y = sa("2001:db8:1:2:aaaa::2");
	CHECK(cidr_group((struct sockaddr *)&x, 32, 128, &a) == 0);
	CHECK(cidr_group((struct sockaddr *)&y, 32, 128, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) != 0);
	/* IPv4 whole, and mapped IPv4 the same key as plain IPv4; the
	 * port does not matter. */
	x = sa("192.0.2.1");
	y = sa("::ffff:192.0.2.1");
	((struct sockaddr_in6 *)&y)->sin6_port = htons(9);
	CHECK(cidr_group((struct sockaddr *)&x, 32, 64, &a) == 0);
	CHECK(cidr_group((struct sockaddr *)&y, 32, 64, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_STR(cidr_format(&a, t, sizeof(t)), "192.0.2.1/32");
	/* An IPv4 prefix groups too. */
	y = sa("192.0.2.200");
	CHECK(cidr_group((struct sockaddr *)&y, 24, 64, &b) == 0);
	CHECK_STR(cidr_format(&b, t, sizeof(t)), "192.0.2.0/24");
	/* A key never matches across families. */
	x = sa("::");
	y = sa("0.0.0.0");
	CHECK(cidr_group((struct sockaddr *)&x, 0, 0, &a) == 0);
	CHECK(cidr_group((struct sockaddr *)&y, 0, 0, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) != 0);
	/* Out of range, or not IP. */
	CHECK(cidr_group((struct sockaddr *)&x, 33, 64, &a) == -1);
	CHECK(cidr_group((struct sockaddr *)&x, 32, 129, &a) == -1);
	{
		struct sockaddr_un un;

		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		CHECK(cidr_group((struct sockaddr *)&un, 32, 64, &a) == -1);
	}
	/* A key is a range holding the address it came from. */
	x = sa("2001:db8:1:2:aaaa::1");
	CHECK(cidr_group((struct sockaddr *)&x, 32, 56, &a) == 0);
	CHECK(cidr_contains(&a, (struct sockaddr *)&x));
}

int
main(void)
{
	RUN(test_parse);
	RUN(test_parse_errors_say_why);
	RUN(test_contains);
	RUN(test_every_prefix);
	RUN(test_list);
	RUN(test_group);
	return tl_summary("unit/cidr");
}
