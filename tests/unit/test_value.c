/* test_value.c -- unit tests for config value parsers: sizes, bools, integers, host:port */
#include <limits.h>

#include "testlib.h"
#include "value.h"

/* value_size() with *v preset, to see that errors leave it alone. */
static int
size_of(const char *s, uint64_t *v)
{
	*v = 12345;	/* must stay untouched on error */
	return value_size(s, v);
}

static void
test_size_plain_and_suffixes(void)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "4096", 4096 },
		{ "007", 7 },
		{ "64k", 64u << 10 },
		{ "64K", 64u << 10 },
		{ "16M", 16u << 20 },
		{ "16m", 16u << 20 },
		{ "1G", 1u << 30 },
		{ "1g", 1u << 30 },
		{ "0k", 0 },
		/* Users write these; all binary multiples. */
		{ "16MB", 16u << 20 },
		{ "16Mb", 16u << 20 },
		{ "16MiB", 16u << 20 },
		{ "16mib", 16u << 20 },
		{ "8KiB", 8u << 10 },
		{ "8kB", 8u << 10 },
		{ "2GB", 2ull << 30 },
		{ "4GiB", 4ull << 30 },
		/* Largest values: 2^63 - 1 and the biggest multiples below. */
		{ "9223372036854775807", INT64_MAX },
		{ "8589934591G", 8589934591ull << 30 },
		{ "8796093022207M", 8796093022207ull << 20 },
		{ "9007199254740991k", 9007199254740991ull << 10 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = size_of(ok[i].in, &v);

		if (rc != 0 || v != ok[i].want) {
			fprintf(stderr, "    input \"%s\"\n", ok[i].in);
			CHECK_INT(rc, 0);
			CHECK_INT(v, ok[i].want);
		}
	}
}

static void
test_size_rejects(void)
{
	static const char *const bad[] = {
		"", " 16", "16 ", "16 M", "-1", "+1", "k", "M", "abc",
		"1.5M", "1,5M", "0x10", "16Mi", "16ki", "16T", "16P", "16B", "16iB", "16MBB",
		"16MiBs", "16Mx", "16MiX", "16kk", "1e3",
		/* Overflow: > 2^63 - 1, or a multiple that does not fit. */
		"9223372036854775808", "18446744073709551615",
		"18446744073709551616", "99999999999999999999999",
		"8589934592G", "8796093022208M", "9007199254740992k",
		"17179869184G",
	};
	uint64_t v;

	CHECK_INT(value_size(NULL, &v), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = size_of(bad[i], &v);

		if (rc != -1 || v != 12345) {
			fprintf(stderr, "    input \"%s\"\n", bad[i]);
			CHECK_INT(rc, -1);
			CHECK_INT(v, 12345);
		}
	}
}

static void
test_bool(void)
{
	static const char *const yes[] = { "yes", "YES", "Yes", "true",
		"TRUE", "True", "on", "ON", "On", "1" };
	static const char *const no[] = { "no", "NO", "No", "false", "FALSE",
		"False", "off", "OFF", "Off", "0" };
	static const char *const bad[] = { "", "y", "n", "t", "f", "2",
		"-1", "01", "yes ", " yes", "yess", "enable", "disabled",
		"nope", "o" };
	bool v;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = false;
		CHECK_INT(value_bool(yes[i], &v), 0);
		CHECK(v == true);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		v = true;
		CHECK_INT(value_bool(no[i], &v), 0);
		CHECK(v == false);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = true;
		if (value_bool(bad[i], &v) != -1 || v != true) {
			fprintf(stderr, "    input \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_INT(value_bool(NULL, &v), -1);
}

static void
test_uint(void)
{
	unsigned long v;

	CHECK_INT(value_uint("0", 0, 10, &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(value_uint("10", 0, 10, &v), 0);
	CHECK_INT(v, 10);
	CHECK_INT(value_uint("007", 0, 10, &v), 0);
	CHECK_INT(v, 7);
	CHECK_INT(value_uint("5", 5, 5, &v), 0);
	CHECK_INT(v, 5);
	CHECK_INT(value_uint("4294967295", 0, 4294967295ul, &v), 0);
	CHECK_INT(v, 4294967295ul);
	CHECK_INT(value_uint("18446744073709551615", 0, ULONG_MAX, &v), 0);
	CHECK(v == ULONG_MAX);

	v = 99;
	CHECK_INT(value_uint("11", 0, 10, &v), -1);
	CHECK_INT(value_uint("4", 5, 10, &v), -1);
	CHECK_INT(value_uint("0", 1, 10, &v), -1);
	CHECK_INT(value_uint("", 0, 10, &v), -1);
	CHECK_INT(value_uint(NULL, 0, 10, &v), -1);
	CHECK_INT(value_uint("-1", 0, ULONG_MAX, &v), -1);
	CHECK_INT(value_uint("+1", 0, 10, &v), -1);
	CHECK_INT(value_uint(" 1", 0, 10, &v), -1);
	CHECK_INT(value_uint("1 ", 0, 10, &v), -1);
	CHECK_INT(value_uint("1x", 0, 10, &v), -1);
	CHECK_INT(value_uint("1.0", 0, 10, &v), -1);
	CHECK_INT(value_uint("0x1", 0, 10, &v), -1);
	CHECK_INT(value_uint("18446744073709551616", 0, ULONG_MAX, &v), -1);
	CHECK_INT(value_uint("99999999999999999999999", 0, ULONG_MAX, &v),
	    -1);
	CHECK_INT(v, 99);
}

struct hp_case {
	const char *in;
	enum hostport_use use;
	const char *host;	/* NULL: must fail */
	const char *port;	/* or, on failure, a substring of *why */
};

#define BE HOSTPORT_BACKEND
#define LI HOSTPORT_LISTEN

static void
check_hostport(const struct hp_case *c)
{
	char host[300], port[8];
	const char *why = "unset";
	int rc;

	strcpy(host, "untouched");
	rc = value_hostport(c->in, c->use, host, sizeof(host), port,
	    sizeof(port), &why);
	if (c->host != NULL) {
		if (rc != 0 || strcmp(host, c->host) != 0 ||
		    strcmp(port, c->port) != 0 || why != NULL) {
			fprintf(stderr, "    \"%s\" (%s): rc %d host \"%s\" "
			    "why %s\n", c->in, c->use == LI ? "listen" :
			    "backend", rc, host, why ? why : "(null)");
			CHECK(0);
		}
		return;
	}
	if (rc != -1 || why == NULL || strstr(why, c->port) == NULL) {
		fprintf(stderr, "    \"%s\" (%s): rc %d why \"%s\", want "
		    "\"%s\"\n", c->in, c->use == LI ? "listen" : "backend",
		    rc, why ? why : "(null)", c->port);
		CHECK(0);
	}
}

/* A DNS label of the longest kind: 63 characters. */
#define A63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_hostport(void)
{
	static const struct hp_case cases[] = {
		{ "127.0.0.1:8080", BE, "127.0.0.1", "8080" },
		{ "localhost:1", BE, "localhost", "1" },
		{ "example.com:65535", BE, "example.com", "65535" },
		{ "example.com.:80", BE, "example.com.", "80" },
		{ "my-host_1.example:80", BE, "my-host_1.example", "80" },
		{ "0.0.0.0:8080", BE, "0.0.0.0", "8080" },
		{ "[::1]:443", BE, "::1", "443" },
		{ "[::]:8080", BE, "::", "8080" },
		{ "[2001:db8::1]:5900", BE, "2001:db8::1", "5900" },
		{ "[fe80::1%eth0]:80", BE, "fe80::1%eth0", "80" },
		{ "[fe80::1%2]:80", BE, "fe80::1%2", "80" },
		{ "[::ffff:127.0.0.1]:80", BE, "::ffff:127.0.0.1", "80" },
		{ "1a.example:80", BE, "1a.example", "80" },
		{ "127.0.0.1:0", LI, "127.0.0.1", "0" },
		{ "[::1]:0", LI, "::1", "0" },
		/* Forms only a listener understands. */
		{ "*:80", LI, "*", "80" },
		{ "[fe80::1%eth0]:80", LI, "fe80::1%eth0", "80" },
		{ "*:80", BE, NULL, "is for listen" },
		{ "%:80", BE, NULL, "in brackets" },
		{ "127.0.0.1%lo:80", BE, NULL, "in brackets" },
		{ "a*b:80", BE, NULL, "is for listen" },
		{ "[*]:80", BE, NULL, "not an IPv6 address" },
		{ "[example.com]:80", BE, NULL, "not an IPv6 address" },
		{ "[127.0.0.1]:80", BE, NULL, "not an IPv6 address" },
		{ "[fe80::1%]:80", BE, NULL, "interface name" },
		{ "[fe80::1%eth0%1]:80", BE, NULL, "interface name" },
		{ "[fe80::1%abcdefghijklmnop]:80", BE, NULL, "interface name" },
		{ "[%eth0]:80", BE, NULL, "not an IPv6 address" },
		/* All digits and dots: an address, never a name. */
		{ "127.1:80", BE, NULL, "not an IPv4 address" },
		{ "256.0.0.1:80", BE, NULL, "not an IPv4 address" },
		{ "1.2.3.4.:80", BE, NULL, "not an IPv4 address" },
		{ "5900:80", BE, NULL, "not an IPv4 address" },
		{ ".:80", BE, NULL, "not an IPv4 address" },
		{ "a..b:80", BE, NULL, "empty label" },
		{ ".a:80", BE, NULL, "empty label" },
		{ "a.:80", BE, "a.", "80" },
		{ "a..:80", BE, NULL, "empty label" },
		{ A63 ".example:80", BE, A63 ".example", "80" },
		{ A63 "a.example:80", BE, NULL, "at most 63" },

		{ "127.0.0.1:0", BE, NULL, "from 1 to 65535" },
		{ "[::1]:0", BE, NULL, "from 1 to 65535" },
		{ "127.0.0.1:65536", BE, NULL, "from 1 to 65535" },
		{ "127.0.0.1:65536", LI, NULL, "from 0 to 65535" },
		{ "127.0.0.1:99999999999999999999", BE, NULL, "65535" },
		{ "127.0.0.1:", BE, NULL, "65535" },
		{ "127.0.0.1:-1", BE, NULL, "65535" },
		{ "127.0.0.1:+80", BE, NULL, "65535" },
		{ "127.0.0.1:80x", BE, NULL, "65535" },
		{ "127.0.0.1: 80", BE, NULL, "65535" },
		{ "127.0.0.1:http", BE, NULL, "65535" },
		{ "[::1]:", BE, NULL, "65535" },
		{ "[::1]:80]", BE, NULL, "65535" },
		{ "", BE, NULL, "host:port" },
		{ "localhost", BE, NULL, "host:port" },
		{ "127.0.0.1", BE, NULL, "host:port" },
		{ "[::1]", BE, NULL, "host:port" },
		{ "[::1", BE, NULL, "host:port" },
		{ "[::1:80", BE, NULL, "host:port" },
		{ "[::1]80", BE, NULL, "host:port" },
		{ "[::1]x:80", BE, NULL, "host:port" },
		{ "::1:80", BE, NULL, "brackets" },
		{ ":::80", BE, NULL, "brackets" },
		{ "2001:db8::1:443", BE, NULL, "brackets" },
		{ ":80", BE, NULL, "missing host" },
		{ "[]:80", BE, NULL, "missing host" },
		{ "host name:80", BE, NULL, "invalid character" },
		{ "a/b:80", BE, NULL, "invalid character" },
		{ "a@b:80", BE, NULL, "invalid character" },
		{ "h\tx:80", BE, NULL, "invalid character" },
		{ "caf\xc3\xa9:80", BE, NULL, "invalid character" },
		{ "[::1 ]:80", BE, NULL, "invalid character" },
		{ "[a]b]:80", BE, NULL, "host:port" },
	};
	char longname[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_hostport(&cases[i]);

	/* 253 characters of name (a final dot aside), no more. */
	for (int len = 252; len <= 255; len++) {
		struct hp_case c = { longname, BE, NULL, "longer than 253" };
		char want[300];

		for (int i = 0; i < len; i++)
			longname[i] = i % 50 == 49 ? '.' : 'a';
		memcpy(want, longname, (size_t)len);
		want[len] = '\0';
		strcpy(longname + len, ":80");
		if (len <= 253) {
			c.host = want;
			c.port = "80";
		}
		check_hostport(&c);
		/* A final dot does not count. */
		longname[len] = '.';
		strcpy(longname + len + 1, ":80");
		want[len] = '.';
		want[len + 1] = '\0';
		check_hostport(&c);
	}
}

static void
test_hostport_sizes(void)
{
	char host[5], port[8];
	const char *why;

	/* host[5] holds 4 characters and the NUL. */
	CHECK_INT(value_hostport("abcd:80", BE, host, sizeof(host), port,
	    sizeof(port), &why), 0);
	CHECK_STR(host, "abcd");
	CHECK_INT(value_hostport("abcde:80", BE, host, sizeof(host), port,
	    sizeof(port), &why), -1);
	CHECK(why != NULL && strstr(why, "host") != NULL);
	CHECK_INT(value_hostport("[::1:2]:80", BE, host, sizeof(host), port,
	    sizeof(port), &why), -1);
	CHECK(why != NULL && strstr(why, "host name too long") != NULL);
	/* Leading zeros are still a port in range, kept as written. */
	CHECK_INT(value_hostport("h:0080", BE, host, sizeof(host), port,
	    sizeof(port), &why), 0);
	CHECK_STR(port, "0080");
	/* A port that does not fit the buffer is the port's problem. */
	CHECK_INT(value_hostport("h:00000080", BE, host, sizeof(host), port,
	    sizeof(port), &why), -1);
	CHECK(why != NULL && strstr(why, "port") != NULL);
}

int
main(void)
{
	RUN(test_size_plain_and_suffixes);
	RUN(test_size_rejects);
	RUN(test_bool);
	RUN(test_uint);
	RUN(test_hostport);
	RUN(test_hostport_sizes);
	return tl_summary("unit/value");
}
