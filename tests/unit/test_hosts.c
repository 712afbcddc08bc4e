/* test_hosts.c -- unit tests for /etc/hosts lookups */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hosts.h"
#include "testlib.h"

static const char debian[] =
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1\tbox.example.org\tbox\n"
    "\n"
    "# The following lines are desirable for IPv6 capable hosts\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "ff02::1 ip6-allnodes\n"
    "ff02::2 ip6-allrouters\n";

static int
is_addr(const struct hosts_addr *a, const char *text)
{
	struct hosts_addr want;

	memset(&want, 0, sizeof(want));
	if (inet_pton(AF_INET, text, want.bytes) == 1)
		want.family = AF_INET;
	else if (inet_pton(AF_INET6, text, want.bytes) == 1)
		want.family = AF_INET6;
	return a->family == want.family &&
	    memcmp(a->bytes, want.bytes, sizeof(want.bytes)) == 0;
}

static size_t
lookup(const char *text, const char *name, struct hosts_addr *out,
    size_t max)
{
	return hosts_lookup(text, strlen(text), name, out, max);
}

static void
test_debian_file(void)
{
	struct hosts_addr a[4];

	CHECK_INT(lookup(debian, "localhost", a, 4), 2);
	CHECK(is_addr(&a[0], "127.0.0.1"));
	CHECK(is_addr(&a[1], "::1"));
	/* Canonical name and alias alike; case does not matter. */
	CHECK_INT(lookup(debian, "box", a, 4), 1);
	CHECK(is_addr(&a[0], "127.0.1.1"));
	CHECK_INT(lookup(debian, "BOX.Example.ORG", a, 4), 1);
	CHECK_INT(lookup(debian, "ip6-loopback", a, 4), 1);
	CHECK(is_addr(&a[0], "::1"));
	/* Not a prefix, not a suffix, not an address, not a comment. */
	CHECK_INT(lookup(debian, "local", a, 4), 0);
	CHECK_INT(lookup(debian, "localhost.", a, 4), 0);
	CHECK_INT(lookup(debian, "box.example", a, 4), 0);
	CHECK_INT(lookup(debian, "127.0.0.1", a, 4), 0);
	CHECK_INT(lookup(debian, "following", a, 4), 0);
	CHECK_INT(lookup(debian, "", a, 4), 0);
	/* max bounds what is written. */
	CHECK_INT(lookup(debian, "localhost", a, 1), 1);
	CHECK(is_addr(&a[0], "127.0.0.1"));
	CHECK_INT(lookup(debian, "localhost", a, 0), 0);
}

static void
test_odd_lines(void)
{
	struct hosts_addr a[4];

	/* Comments after names, CRLF, blanks first, no final newline. */
	CHECK_INT(lookup("  10.0.0.1 a # b\r\n10.0.0.2 b#a\n\t10.0.0.3 c",
	    "a", a, 4), 1);
	CHECK(is_addr(&a[0], "10.0.0.1"));
	CHECK_INT(lookup("10.0.0.1 a # b\r\n10.0.0.2 b#a\n\t10.0.0.3 c",
	    "b", a, 4), 1);
	CHECK(is_addr(&a[0], "10.0.0.2"));
	CHECK_INT(lookup("10.0.0.1 a\n\t10.0.0.3 c", "c", a, 4), 1);
	CHECK(is_addr(&a[0], "10.0.0.3"));
	/* Addresses that do not parse are skipped, the rest found. */
	CHECK_INT(lookup("fe80::1%eth0 x\n300.1.1.1 x\nx x\n10.0.0.9 x\n",
	    "x", a, 4), 1);
	CHECK(is_addr(&a[0], "10.0.0.9"));
	/* A name alone on a line, or an address alone. */
	CHECK_INT(lookup("x\n10.0.0.1\n", "x", a, 4), 0);
	/* A word longer than any address. */
	{
		char line[600];

		memset(line, '1', 500);
		strcpy(line + 500, " long\n10.0.0.4 long\n");
		CHECK_INT(lookup(line, "long", a, 4), 1);
		CHECK(is_addr(&a[0], "10.0.0.4"));
	}
}

static void
test_not_nul_terminated(void)
{
	struct hosts_addr a[2];
	/* Only the first len bytes count: "10.0.0.1 ab" is cut to "a". */
	static const char text[] = "10.0.0.1 ab";
	static const char nul[] = "1.2.3.4 a\0b\n5.6.7.8 c\n";

	CHECK_INT(hosts_lookup(text, 10, "a", a, 2), 1);
	CHECK_INT(hosts_lookup(text, 10, "ab", a, 2), 0);
	CHECK_INT(hosts_lookup(text, 0, "ab", a, 2), 0);
	/* A NUL inside a name does not end the text. */
	CHECK_INT(hosts_lookup(nul, sizeof(nul) - 1, "c", a, 2), 1);
	CHECK(is_addr(&a[0], "5.6.7.8"));
}

int
main(void)
{
	RUN(test_debian_file);
	RUN(test_odd_lines);
	RUN(test_not_nul_terminated);
	return tl_summary("unit/hosts");
}
