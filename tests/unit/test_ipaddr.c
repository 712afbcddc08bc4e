/* test_ipaddr.c -- strict IP address and port text, IPv4-mapped IPv6 */
#include <arpa/inet.h>

#include "ipaddr.h"
#include "testlib.h"

static bool
v4(const char *s)
{
	struct in_addr a;

	return ipaddr_parse4(s, strlen(s), &a) == 0;
}

static bool
v6(const char *s)
{
	struct in6_addr a;

	return ipaddr_parse6(s, strlen(s), &a) == 0;
}

static void
test_ipv4(void)
{
	struct in_addr a;

	CHECK(v4("0.0.0.0"));
	CHECK(v4("192.0.2.1"));
	CHECK(v4("255.255.255.255"));
	CHECK(ipaddr_parse4("203.0.113.7", 11, &a) == 0);
	CHECK_INT(ntohl(a.s_addr), 0xcb007107);
	/* The PROXY spec 2.1: no leading zeros (octal confusion). */
	CHECK(!v4("01.2.3.4"));
	CHECK(!v4("1.2.3.04"));
	CHECK(!v4("1.2.3.00"));
	CHECK(!v4("256.0.0.1"));
	CHECK(!v4("1.2.3.1000"));
	CHECK(!v4("1.2.3"));
	CHECK(!v4("1.2.3.4.5"));
	CHECK(!v4("1.2.3.4."));
	CHECK(!v4(".1.2.3.4"));
	CHECK(!v4("1..2.3"));
	CHECK(!v4("1.2.3.-4"));
	CHECK(!v4("1.2.3.4 "));
	CHECK(!v4("0x1.2.3.4"));
	CHECK(!v4(""));
	CHECK(!v4("1"));
	/* Only the given length counts. */
	CHECK(ipaddr_parse4("1.2.3.4 5.6.7.8", 7, &a) == 0);
	CHECK(ipaddr_parse4("1.2.3.45", 7, &a) == 0);
	CHECK_INT(ntohl(a.s_addr), 0x01020304);
}

static void
test_ipv6(void)
{
	struct in6_addr a;

	CHECK(v6("::"));
	CHECK(v6("::1"));
	CHECK(v6("2001:db8::1"));
	CHECK(v6("2001:DB8::ABCD"));
	CHECK(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(v6("0000:0000:0000:0000:0000:0000:0000:0001"));
	CHECK(v6("::ffff:192.0.2.1"));
	CHECK(v6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"));
	CHECK(!v6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1"));
	CHECK(!v6("::ffff:192.0.2.01"));	/* as for IPv4 */
	CHECK(!v6("::ffff:192.0.2"));
	CHECK(!v6("1::2::3"));
	CHECK(!v6(":::"));
	CHECK(!v6("12345::"));
	CHECK(!v6("1:2:3:4:5:6:7"));
	CHECK(!v6("1:2:3:4:5:6:7:8:9"));
	CHECK(!v6("fe80::1%eth0"));
	CHECK(!v6("[::1]"));
	CHECK(!v6("::g"));
	CHECK(!v6("192.0.2.1"));
	CHECK(!v6(""));
	CHECK(!v6(":"));
	{
		/* 46 characters: over the longest text form. */
		char s[] = "0000:0000:0000:0000:0000:0000:255.255.255.2555";

		CHECK(!v6(s));
	}
	CHECK(ipaddr_parse6("2001:db8::1]:80", 11, &a) == 0);
	CHECK_INT(a.s6_addr[0], 0x20);
	CHECK_INT(a.s6_addr[15], 1);
}

static void
test_parse_either(void)
{
	struct sockaddr_storage ss;

	CHECK(ipaddr_parse("192.0.2.1", 9, &ss) == 0);
	CHECK_INT(ss.ss_family, AF_INET);
	CHECK_INT(((struct sockaddr_in *)&ss)->sin_port, 0);
	CHECK(ipaddr_parse("2001:db8::1", 11, &ss) == 0);
	CHECK_INT(ss.ss_family, AF_INET6);
	CHECK(ipaddr_parse("example.com", 11, &ss) == -1);
	CHECK(ipaddr_parse("", 0, &ss) == -1);
}

static void
test_port(void)
{
	uint16_t p = 1;

	CHECK(ipaddr_parse_port("0", 1, &p) == 0 && p == 0);
	CHECK(ipaddr_parse_port("65535", 5, &p) == 0 && p == 65535);
	CHECK(ipaddr_parse_port("443", 3, &p) == 0 && p == 443);
	CHECK(ipaddr_parse_port("65536", 5, &p) == -1);
	CHECK(ipaddr_parse_port("99999", 5, &p) == -1);
	CHECK(ipaddr_parse_port("100000", 6, &p) == -1);
	CHECK(ipaddr_parse_port("080", 3, &p) == -1);
	CHECK(ipaddr_parse_port("00", 2, &p) == -1);
	CHECK(ipaddr_parse_port("", 0, &p) == -1);
	CHECK(ipaddr_parse_port("-1", 2, &p) == -1);
	CHECK(ipaddr_parse_port("+1", 2, &p) == -1);
	CHECK(ipaddr_parse_port("1 ", 2, &p) == -1);
}

static void
test_unmap(void)
{
	struct sockaddr_storage in, out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&in;
	struct sockaddr_in *sin = (struct sockaddr_in *)&out;

	memset(&in, 0, sizeof(in));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(8080);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6->sin6_addr);
	CHECK(ipaddr_is_mapped(&sin6->sin6_addr));
	ipaddr_unmap(&in, &out);
	CHECK_INT(out.ss_family, AF_INET);
	CHECK_INT(ntohs(sin->sin_port), 8080);
	CHECK_INT(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	/* In place. */
	ipaddr_unmap(&in, &in);
	CHECK_INT(in.ss_family, AF_INET);
	/* Other IPv6 addresses, IPv4-compatible ones included, stay. */
	memset(&in, 0, sizeof(in));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::192.0.2.1", &sin6->sin6_addr);
	CHECK(!ipaddr_is_mapped(&sin6->sin6_addr));
	ipaddr_unmap(&in, &out);
	CHECK_INT(out.ss_family, AF_INET6);
	CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	inet_pton(AF_INET6, "::fffe:192.0.2.1", &sin6->sin6_addr);
	CHECK(!ipaddr_is_mapped(&sin6->sin6_addr));
}

int
main(void)
{
	RUN(test_ipv4);
	RUN(test_ipv6);
	RUN(test_parse_either);
	RUN(test_port);
	RUN(test_unmap);
	return tl_summary("unit/ipaddr");
}
