/* test_allow.c -- allowed_targets: entries, lists, names, addresses, unix directories */
#include <arpa/inet.h>

#include "allow.h"
#include "testlib.h"

static struct sockaddr_storage
addr(const char *host, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s->sin6_addr) != 1)
			abort();
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s->sin_addr) != 1)
			abort();
	}
	return ss;
}

static struct allow_rule rules[16];
static size_t nrules;

static void
list(const char *text)
{
	const char *why = NULL;
	size_t at = 0, atlen = 0;
	int rc = allow_list_parse(text, strlen(text), rules, 16, &nrules, &why,
	    &at, &atlen);

	if (rc != 0)
		fprintf(stderr, "    %s: %s\n", text, why);
	CHECK_INT(rc, 0);
	CHECK(nrules <= 16);
}

static void
bad(const char *entry, const char *why_part)
{
	struct allow_rule r;
	const char *why = NULL;

	CHECK_INT(allow_parse(entry, strlen(entry), &r, &why), -1);
	CHECK(why != NULL);
	if (why != NULL && strstr(why, why_part) == NULL) {
		fprintf(stderr, "    \"%s\": \"%s\" lacks \"%s\"\n", entry, why,
		    why_part);
		CHECK(0);
	}
}

static void
test_entries(void)
{
	struct allow_rule r;
	const char *why;

	CHECK_INT(allow_parse("10.0.0.0/8:5900-5999", 20, &r, &why), 0);
	CHECK_INT(r.kind, ALLOW_RANGE);
	CHECK_INT(r.port_lo, 5900);
	CHECK_INT(r.port_hi, 5999);
	CHECK_INT(r.range.prefix, 8);
	CHECK_INT(allow_parse("[2001:db8::]/32:5900", 20, &r, &why), 0);
	CHECK_INT(r.kind, ALLOW_RANGE);
	CHECK_INT(r.range.family, CIDR_V6);
	CHECK_INT(r.range.prefix, 32);
	CHECK_INT(allow_parse("[::1]:22", 8, &r, &why), 0);
	CHECK_INT(r.range.prefix, 128);
	CHECK_INT(allow_parse("192.0.2.7:*", 11, &r, &why), 0);
	CHECK_INT(r.port_lo, 1);
	CHECK_INT(r.port_hi, 65535);
	CHECK_INT(allow_parse("*.VM.example.com:5900", 21, &r, &why), 0);
	CHECK_INT(r.kind, ALLOW_NAME);
	CHECK_STR(r.name, "*.vm.example.com");
	CHECK_INT(allow_parse("1host.example:80", 16, &r, &why), 0);
	CHECK_INT(r.kind, ALLOW_NAME);
	CHECK_INT(allow_parse("unix:/run/vnc/", 14, &r, &why), 0);
	CHECK_INT(r.kind, ALLOW_UNIX);
	CHECK_STR(r.path, "/run/vnc");
}

static void
test_bad_entries(void)
{
	bad("10.0.0.0/8", "port is needed");
	bad("vm.example.com", "port is needed");
	bad("10.0.0.1/8:22", "");	/* host bits set: cidr's message */
	bad("10.0.0.0/8:0", "1-65535");
	bad("10.0.0.0/8:6000-5900", "low to high");
	bad("10.0.0.0/8:x", "1-65535");
	bad("2001:db8::1:22", "brackets");
	bad("[2001:db8::1:22", "[2001:db8::]/32");
	bad("[2001:db8::1]", "port is needed");
	bad("*:5900", "any host");
	bad("a.*.example:1", "first label");
	bad("unix:run/vnc", "absolute");
	bad("unix:/", "every socket");
	bad("unix:/run//vnc", "\"//\"");
	bad("unix:/run/../etc", "\"..\"");
	bad("unix:/run/./x", "\".\"");
	bad("", "port is needed");
}

static void
test_list(void)
{
	const char *why = NULL;
	size_t n = 99, at = 0, atlen = 0;
	const char *text = "10.0.0.0/8:5900, vm1.example:22 ,bad";

	list("10.0.0.0/8:5900-5999, *.vm.example.com:5900\tunix:/run/vnc");
	CHECK_INT(nrules, 3);
	CHECK_INT(allow_list_parse(text, strlen(text), NULL, 0, &n, &why, &at,
	    &atlen), -1);
	CHECK_INT(at, 33);
	CHECK_INT(atlen, 3);
	n = 9;
	CHECK_INT(allow_list_parse("a:1 b:2", 7, NULL, 0, &n, &why, &at,
	    &atlen), 0);
	CHECK_INT(n, 2);
	CHECK_INT(allow_list_parse("", 0, NULL, 0, &n, &why, &at, &atlen), 0);
	CHECK_INT(n, 0);
}

static void
test_hosts(void)
{
	list("10.0.0.0/8:5900-5999 *.vm.example.com:5900 "
	    "[2001:db8::]/32:* console.example:22");
	CHECK(allow_host(rules, nrules, "10.1.2.3", 5900));
	CHECK(allow_host(rules, nrules, "10.1.2.3", 5999));
	CHECK(!allow_host(rules, nrules, "10.1.2.3", 6000));
	CHECK(!allow_host(rules, nrules, "11.1.2.3", 5900));
	CHECK(allow_host(rules, nrules, "a.vm.example.com", 5900));
	CHECK(allow_host(rules, nrules, "A.VM.Example.COM", 5900));
	CHECK(!allow_host(rules, nrules, "vm.example.com", 5900));
	CHECK(!allow_host(rules, nrules, "b.a.vm.example.com", 5900));
	CHECK(!allow_host(rules, nrules, "a.vm.example.com", 5901));
	CHECK(allow_host(rules, nrules, "2001:db8::5", 443));
	CHECK(!allow_host(rules, nrules, "2001:db9::5", 443));
	CHECK(allow_host(rules, nrules, "console.example", 22));
	/* A name is not judged by ranges before its lookup. */
	CHECK(!allow_host(rules, nrules, "localhost", 5900));
	/* Mapped IPv4 is IPv4. */
	CHECK(allow_host(rules, nrules, "::ffff:10.0.0.1", 5900));
}

static void
test_addresses(void)
{
	struct sockaddr_storage a;

	list("127.0.0.0/8:5900 [::1]:5900");
	a = addr("127.0.0.1", 5900);
	CHECK(allow_address(rules, nrules, (struct sockaddr *)&a));
	a = addr("127.0.0.1", 5901);
	CHECK(!allow_address(rules, nrules, (struct sockaddr *)&a));
	a = addr("::1", 5900);
	CHECK(allow_address(rules, nrules, (struct sockaddr *)&a));
	a = addr("::ffff:127.0.0.9", 5900);
	CHECK(allow_address(rules, nrules, (struct sockaddr *)&a));
	a = addr("::2", 5900);
	CHECK(!allow_address(rules, nrules, (struct sockaddr *)&a));
	a.ss_family = AF_UNIX;
	CHECK(!allow_address(rules, nrules, (struct sockaddr *)&a));
}

static void
test_unix(void)
{
	list("unix:/run/vnc 10.0.0.0/8:1");
	CHECK(allow_unix(rules, nrules, "/run/vnc/a.sock"));
	CHECK(allow_unix(rules, nrules, "/run/vnc/sub/a.sock"));
	CHECK(!allow_unix(rules, nrules, "/run/vnc"));
	CHECK(!allow_unix(rules, nrules, "/run/vnc/"));
	CHECK(!allow_unix(rules, nrules, "/run/vnc2/a.sock"));
	CHECK(!allow_unix(rules, nrules, "/run/a.sock"));
	list("10.0.0.0/8:1");
	CHECK(!allow_unix(rules, nrules, "/run/vnc/a.sock"));
}

int
main(void)
{
	RUN(test_entries);
	RUN(test_bad_entries);
	RUN(test_list);
	RUN(test_hosts);
	RUN(test_addresses);
	RUN(test_unix);
	return tl_summary("unit/allow");
}
