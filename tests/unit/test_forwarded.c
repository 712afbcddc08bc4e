/* test_forwarded.c -- the client address from Forwarded (RFC 7239) and X-Forwarded-For, past trusted proxies */
#include <arpa/inet.h>

#include "forwarded.h"
#include "testlib.h"

/* 10.0.0.0/8 and 2001:db8:ffff::/48 are the trusted proxies here. */
static struct cidr trusted[2];
static const size_t ntrusted = 2;

static void
setup(void)
{
	struct cidr_error err;
	size_t n;
	const char *t = "10.0.0.0/8, 2001:db8:ffff::/48";

	if (cidr_list_parse(t, strlen(t), trusted, 2, &n, &err) != 0 ||
	    n != 2)
		abort();
}

typedef int (*walk_fn)(const struct forwarded_field *, size_t,
    const struct cidr *, size_t, struct forwarded_result *, const char **);

/*
 * Run fn over the header instances (NULL-terminated) and describe the
 * outcome: "client 192.0.2.1:0", "hidden 10.0.0.2:0", "hidden -",
 * "none", "error: ..." -- plus " hops=N" and " all" when set.
 */
static const char *
run(walk_fn fn, const char *const *values, char *out, size_t size)
{
	struct forwarded_field f[64];
	struct forwarded_result res;
	const char *why = NULL;
	size_t n = 0;
	char host[INET6_ADDRSTRLEN] = "-";
	unsigned port = 0;
	int r;

	for (; values[n] != NULL; n++) {
		if (n == sizeof(f) / sizeof(f[0]))
			abort();
		f[n].p = values[n];
		f[n].n = strlen(values[n]);
	}
	memset(&res, 0xa5, sizeof(res));
	r = fn(f, n, trusted, ntrusted, &res, &why);
	if (r != 0) {
		CHECK_INT(r, CODEC_ERROR);
		CHECK(why != NULL);
		snprintf(out, size, "error: %s", why != NULL ? why : "?");
		return out;
	}
	if (res.addr.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&res.addr;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
	} else if (res.addr.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&res.addr;

		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
	} else {
		CHECK_INT(res.addr.ss_family, AF_UNSPEC);
	}
	switch (res.kind) {
	case FORWARDED_NONE:
		CHECK_INT(res.addr.ss_family, AF_UNSPEC);
		snprintf(out, size, "none");
		return out;
	case FORWARDED_CLIENT:
		snprintf(out, size, "client %s:%u", host, port);
		break;
	case FORWARDED_HIDDEN:
		if (res.addr.ss_family == AF_UNSPEC)
			snprintf(out, size, "hidden -");
		else
			snprintf(out, size, "hidden %s:%u", host, port);
		break;
	default:
		snprintf(out, size, "kind %d?", (int)res.kind);
		return out;
	}
	if (res.hops > 0)
		snprintf(out + strlen(out), size - strlen(out), " hops=%u",
		    res.hops);
	if (res.all_trusted)
		snprintf(out + strlen(out), size - strlen(out), " all");
	return out;
}

static char outbuf[512];

static const char *
fwd(const char *v)
{
	const char *vals[] = { v, NULL };

	return run(forwarded_rfc7239, vals, outbuf, sizeof(outbuf));
}

static const char *
xff(const char *v)
{
	const char *vals[] = { v, NULL };

	return run(forwarded_xff, vals, outbuf, sizeof(outbuf));
}

static bool
is_error(const char *got, const char *part)
{
	if (strncmp(got, "error: ", 7) == 0 && strstr(got, part) != NULL)
		return true;
	fprintf(stderr, "    got \"%s\", want an error with \"%s\"\n", got,
	    part);
	return false;
}

/* ---- Forwarded ---------------------------------------------------------- */

static void
test_rfc7239_examples(void)
{
	/* RFC 7239 4, 6 and 7's examples. */
	CHECK_STR(fwd("for=\"_gazonk\""), "hidden -");
	CHECK_STR(fwd("For=\"[2001:db8:cafe::17]:4711\""),
	    "client 2001:db8:cafe::17:4711");
	CHECK_STR(fwd("for=192.0.2.60;proto=http;by=203.0.113.43"),
	    "client 192.0.2.60:0");
	CHECK_STR(fwd("for=192.0.2.43, for=198.51.100.17"),
	    "client 198.51.100.17:0");
	CHECK_STR(fwd("for=192.0.2.43,for=\"[2001:db8:cafe::17]\",for=unknown"),
	    "hidden -");
	CHECK_STR(fwd("for=unknown"), "hidden -");
	CHECK_STR(fwd("for=\"192.0.2.43:47011\""), "client 192.0.2.43:47011");
	CHECK_STR(fwd("for=\"_hidden:_port\""), "hidden -");
	CHECK_STR(fwd("for=\"[2001:db8:cafe::17]:_p0rt\""),
	    "client 2001:db8:cafe::17:0");
}

static void
test_rfc7239_walk(void)
{
	/* Past trusted hops, to the first untrusted one. */
	CHECK_STR(fwd("for=192.0.2.43, for=10.0.0.2"),
	    "client 192.0.2.43:0 hops=1");
	CHECK_STR(fwd("for=198.51.100.1, for=192.0.2.43, for=10.0.0.2, "
	    "for=\"[2001:db8:ffff::1]\""), "client 192.0.2.43:0 hops=2");
	/* All trusted: the leftmost is the client. */
	CHECK_STR(fwd("for=10.0.0.5, for=10.0.0.6"),
	    "client 10.0.0.5:0 hops=2 all");
	/* Stopped by a hidden client: the proxy that saw it. */
	CHECK_STR(fwd("for=unknown, for=10.0.0.2"), "hidden 10.0.0.2:0 hops=1");
	CHECK_STR(fwd("for=\"_x\", for=10.0.0.2;proto=https"),
	    "hidden 10.0.0.2:0 hops=1");
	/* An element without for=: that hop named no client. */
	CHECK_STR(fwd("for=192.0.2.1, proto=https"), "hidden -");
	CHECK_STR(fwd("for=192.0.2.1, by=10.0.0.1;proto=https"), "hidden -");
	/* A mapped address is the IPv4 one for trust. */
	CHECK_STR(fwd("for=192.0.2.1, for=\"[::ffff:10.0.0.2]\""),
	    "client 192.0.2.1:0 hops=1");
	/* Nothing listed. */
	CHECK_STR(fwd(""), "none");
	CHECK_STR(fwd(" , ,"), "none");
	{
		const char *none[] = { NULL };

		CHECK_STR(run(forwarded_rfc7239, none, outbuf,
		    sizeof(outbuf)), "none");
	}
}

static void
test_rfc7239_syntax(void)
{
	/* Names in any case; empty elements and pairs; OWS around ';'. */
	CHECK_STR(fwd("FOR=192.0.2.1"), "client 192.0.2.1:0");
	CHECK_STR(fwd(",for=192.0.2.1,"), "client 192.0.2.1:0");
	CHECK_STR(fwd("proto=http;;for=192.0.2.1;"), "client 192.0.2.1:0");
	CHECK_STR(fwd("for=192.0.2.1 ; proto=http"), "client 192.0.2.1:0");
	CHECK_STR(fwd("  for=192.0.2.1\t"), "client 192.0.2.1:0");
	/* Quoted strings: escapes, and commas or ';' inside. */
	CHECK_STR(fwd("for=\"\\192.0.2.1\""), "client 192.0.2.1:0");
	CHECK_STR(fwd("host=\"a,b;c\";for=192.0.2.1"), "client 192.0.2.1:0");
	CHECK_STR(fwd("for=192.0.2.1;ext=\"x\\\"y\""), "client 192.0.2.1:0");
	/* RFC 7239 6.1: port = 1*5DIGIT. */
	CHECK_STR(fwd("for=\"192.0.2.1:00080\""), "client 192.0.2.1:80");
	CHECK_STR(fwd("for=\"unknown:80\""), "hidden -");
	/* IPv6 and ports need quoting (':' and '[' are not tchars). */
	CHECK(is_error(fwd("for=192.0.2.43:47011"), "quoted"));
	CHECK(is_error(fwd("for=[2001:db8::1]"), "quote"));
	CHECK(is_error(fwd("for=\"2001:db8::1\""), "as \"[2001:db8::1]\""));
	CHECK(is_error(fwd("for=\"[2001:db8::1\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"[2001:db8::1]x\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"[2001:db8::1]:\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"[2001:db8::1]:65536\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"[2001:db8::1]:123456\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"[192.0.2.1]\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"192.0.2.1:_\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=_"), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"_a$\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=\"\""), "RFC 7239 6"));
	CHECK(is_error(fwd("for=192.0.2.01"), "RFC 7239 6"));
	CHECK(is_error(fwd("for=example.com"), "RFC 7239 6"));
	/* Structure. */
	CHECK(is_error(fwd("for=192.0.2.1;for=192.0.2.2"), "twice"));
	CHECK(is_error(fwd("for=192.0.2.1;For=192.0.2.1"), "twice"));
	CHECK(is_error(fwd("for = 192.0.2.1"), "'='"));
	CHECK(is_error(fwd("for= 192.0.2.1"), "without a value"));
	CHECK(is_error(fwd("for=192.0.2.1;proto"), "'='"));
	CHECK(is_error(fwd("for="), "without a value"));
	CHECK(is_error(fwd("for=\"192.0.2.1"), "quoted string"));
	CHECK(is_error(fwd("for=\"192.0.2.1\\"), "quoted string"));
	CHECK(is_error(fwd("for=\"a\x01\""), "quoted string"));
	CHECK(is_error(fwd("for=192.0.2.1 by=x"), "unexpected character"));
	CHECK(is_error(fwd("for=\"192.0.2.1\"x"), "unexpected character"));
	CHECK(is_error(fwd("=x"), "unexpected character"));
	{
		char big[200];

		snprintf(big, sizeof(big), "for=\"_%0100d\"", 0);
		CHECK(is_error(fwd(big), "longer than 64"));
	}
}

static void
test_rfc7239_instances(void)
{
	const char *two[] = { "for=192.0.2.1", "for=10.0.0.2", NULL };
	const char *left_broken[] = { "for=\"broken", "for=192.0.2.9", NULL };
	const char *right_broken[] = { "for=192.0.2.9", "for=\"broken",
	    NULL };
	const char *through[] = { "for=\"broken", "for=10.0.0.9", NULL };

	/* Instances combine in order: the last one's entries first. */
	CHECK_STR(run(forwarded_rfc7239, two, outbuf, sizeof(outbuf)),
	    "client 192.0.2.1:0 hops=1");
	/* An instance left of where the walk stops is never read ... */
	CHECK_STR(run(forwarded_rfc7239, left_broken, outbuf,
	    sizeof(outbuf)), "client 192.0.2.9:0");
	/* ... one the walk reaches must be well formed. */
	CHECK(is_error(run(forwarded_rfc7239, right_broken, outbuf,
	    sizeof(outbuf)), "quoted string"));
	CHECK(is_error(run(forwarded_rfc7239, through, outbuf,
	    sizeof(outbuf)), "quoted string"));
}

/* "for=192.0.2.1, for=10.0.0.1, ..." with ntrust trusted entries. */
static const char *
chain(walk_fn fn, bool with_client, unsigned ntrust, char *buf, size_t size)
{
	const char *vals[2] = { buf, NULL };
	size_t o = 0;
	bool rfc = fn == forwarded_rfc7239;

	buf[0] = '\0';
	if (with_client)
		o += (size_t)snprintf(buf + o, size - o, "%s192.0.2.1",
		    rfc ? "for=" : "");
	for (unsigned i = 0; i < ntrust; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s10.0.%u.%u",
		    o > 0 ? ", " : "", rfc ? "for=" : "", i / 200, i % 200);
	return run(fn, vals, outbuf, sizeof(outbuf));
}

static void
test_budget(void)
{
	static char buf[64 * 1024];
	walk_fn fns[2] = { forwarded_rfc7239, forwarded_xff };

	for (int k = 0; k < 2; k++) {
		walk_fn fn = fns[k];

		/* 32 entries examined at most. */
		CHECK_STR(chain(fn, true, 31, buf, sizeof(buf)),
		    "client 192.0.2.1:0 hops=31");
		CHECK(is_error(chain(fn, true, 32, buf, sizeof(buf)),
		    "more than 32"));
		CHECK_STR(chain(fn, false, 32, buf, sizeof(buf)),
		    "client 10.0.0.0:0 hops=32 all");
		CHECK(is_error(chain(fn, false, 33, buf, sizeof(buf)),
		    "more than 32"));
		/* A long list whose right end is the client costs little. */
		{
			size_t o = 0;
			const char *vals[] = { buf, NULL };

			for (int i = 0; i < 3000; i++)
				o += (size_t)snprintf(buf + o,
				    sizeof(buf) - o, "%s%s192.0.2.%d",
				    i > 0 ? "," : "", k == 0 ? "for=" : "",
				    i % 200);
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "%s10.9.9.9", k == 0 ? ",for=" : ",");
			CHECK_STR(run(fn, vals, outbuf, sizeof(outbuf)),
			    "client 192.0.2.199:0 hops=1");
		}
	}
	/* Entries spread over instances count together. */
	{
		const char *vals[40];
		char each[40][32];

		for (int i = 0; i < 33; i++) {
			snprintf(each[i], sizeof(each[i]), "10.0.0.%d", i);
			vals[i] = each[i];
		}
		vals[33] = NULL;
		CHECK(is_error(run(forwarded_xff, vals, outbuf,
		    sizeof(outbuf)), "more than 32"));
		vals[32] = NULL;
		CHECK_STR(run(forwarded_xff, vals, outbuf, sizeof(outbuf)),
		    "client 10.0.0.0:0 hops=32 all");
	}
}

/* ---- X-Forwarded-For ---------------------------------------------------- */

static void
test_xff(void)
{
	CHECK_STR(xff("203.0.113.5"), "client 203.0.113.5:0");
	CHECK_STR(xff("203.0.113.5, 10.0.0.2"), "client 203.0.113.5:0 hops=1");
	CHECK_STR(xff(" 203.0.113.5 ,\t10.0.0.2 , 10.0.0.3"),
	    "client 203.0.113.5:0 hops=2");
	CHECK_STR(xff("10.0.0.7, 10.0.0.2"), "client 10.0.0.7:0 hops=2 all");
	CHECK_STR(xff("2001:db8::1"), "client 2001:db8::1:0");
	CHECK_STR(xff("2001:db8::1, 2001:db8:ffff::9"),
	    "client 2001:db8::1:0 hops=1");
	CHECK_STR(xff("[2001:db8::1]:443"), "client 2001:db8::1:443");
	CHECK_STR(xff("[2001:db8::1]"), "client 2001:db8::1:0");
	CHECK_STR(xff("203.0.113.5:8080"), "client 203.0.113.5:8080");
	CHECK_STR(xff("::ffff:203.0.113.5"), "client ::ffff:203.0.113.5:0");
	CHECK_STR(xff("203.0.113.5, ::ffff:10.0.0.2"),
	    "client 203.0.113.5:0 hops=1");
	CHECK_STR(xff("unknown"), "hidden -");
	CHECK_STR(xff("Unknown, 10.0.0.2"), "hidden 10.0.0.2:0 hops=1");
	CHECK_STR(xff(""), "none");
	CHECK_STR(xff(" ,, "), "none");
	CHECK_STR(xff("203.0.113.5,,10.0.0.2"), "client 203.0.113.5:0 hops=1");
	/* Entries left of the stop are the client's: never parsed. */
	CHECK_STR(xff("<script>, 203.0.113.5"), "client 203.0.113.5:0");
	CHECK_STR(xff("\"quoted, 203.0.113.5"), "client 203.0.113.5:0");
	/* Ones the walk reaches must be addresses. */
	CHECK(is_error(xff("garbage, 10.0.0.2"), "not an IP address"));
	CHECK(is_error(xff("example.com"), "not an IP address"));
	CHECK(is_error(xff("01.2.3.4"), "not an IP address"));
	CHECK(is_error(xff("1.2.3.4:"), "not an IP address"));
	CHECK(is_error(xff("1.2.3.4:99999"), "not an IP address"));
	CHECK(is_error(xff("1.2.3.4:080"), "not an IP address"));
	CHECK(is_error(xff("1.2.3.4 5.6.7.8"), "not an IP address"));
	CHECK(is_error(xff("[::1"), "not an IP address"));
	CHECK(is_error(xff("[::1]x"), "not an IP address"));
	CHECK(is_error(xff("[::1]:"), "not an IP address"));
	CHECK(is_error(xff("[1.2.3.4]"), "not an IP address"));
	CHECK(is_error(xff("::1]:80"), "not an IP address"));
	CHECK(is_error(xff("_hidden"), "not an IP address"));
	CHECK(is_error(xff("fe80::1%eth0"), "not an IP address"));
	/* Instances in order. */
	{
		const char *vals[] = { "198.51.100.1", "10.0.0.2, 10.0.0.3",
		    NULL };

		CHECK_STR(run(forwarded_xff, vals, outbuf, sizeof(outbuf)),
		    "client 198.51.100.1:0 hops=2");
	}
	{
		const char *vals[] = { "bad", "", "198.51.100.1", NULL };

		CHECK_STR(run(forwarded_xff, vals, outbuf, sizeof(outbuf)),
		    "client 198.51.100.1:0");
	}
}

int
main(void)
{
	setup();
	RUN(test_rfc7239_examples);
	RUN(test_rfc7239_walk);
	RUN(test_rfc7239_syntax);
	RUN(test_rfc7239_instances);
	RUN(test_budget);
	RUN(test_xff);
	return tl_summary("unit/forwarded");
}
