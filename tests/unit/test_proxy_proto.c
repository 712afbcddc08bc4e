/* test_proxy_proto.c -- PROXY protocol v1/v2: HAProxy's own bytes, the spec's examples, every malformed case */
#include <arpa/inet.h>
#include <sys/un.h>

#include "crc32c.h"
#include "proxy_proto.h"
#include "testlib.h"

/*
 * Golden vectors: what HAProxy 2.6.12 (Debian 12's haproxy package)
 * wrote to a backend, captured on loopback.  Frontends pinned the
 * addresses with "tcp-request connection set-src/set-src-port/set-dst/
 * set-dst-port" and used backends with "send-proxy", "send-proxy-v2" and
 * "send-proxy-v2 proxy-v2-options crc32c"; the "unix" rows came from a
 * frontend bound to a unix socket (no IP addresses to send).  A Python
 * listener recorded the bytes before the payload.
 * tests/integration/test_proxy_haproxy.py repeats the capture against
 * the installed HAProxy and compares it with the encoder.
 */
struct golden {
	const char *name;
	const char *src, *dst;	/* NULL: no IP addresses (unix socket) */
	unsigned sport, dport;
	const char *v1, *v2, *v2crc;	/* hex */
};

static const struct golden golden[] = {
	{ "ipv4", "203.0.113.7", "198.51.100.9", 40000, 443,
	  "50524f58592054435034203230332e302e3131332e37203139382e35312e3130"
	  "302e39203430303030203434330d0a",
	  "0d0a0d0a000d0a515549540a2111000ccb007107c63364099c4001bb",
	  "0d0a0d0a000d0a515549540a21110013cb007107c63364099c4001bb030004cd"
	  "824643" },
	{ "ipv6", "2001:db8::7", "2001:db8:1::9", 40000, 443,
	  "50524f5859205443503620323030313a6462383a3a3720323030313a6462383a"
	  "313a3a39203430303030203434330d0a",
	  "0d0a0d0a000d0a515549540a2121002420010db8000000000000000000000007"
	  "20010db80001000000000000000000099c4001bb",
	  "0d0a0d0a000d0a515549540a2121002b20010db8000000000000000000000007"
	  "20010db80001000000000000000000099c4001bb030004bbd3de44" },
	/* IPv4 client, IPv6 destination: both sent as IPv6. */
	{ "mixed", "203.0.113.7", "2001:db8:1::9", 65535, 0,
	  "50524f58592054435036203a3a666666663a3230332e302e3131332e37203230"
	  "30313a6462383a313a3a3920363535333520300d0a",
	  "0d0a0d0a000d0a515549540a2121002400000000000000000000ffffcb007107"
	  "20010db8000100000000000000000009ffff0000",
	  "0d0a0d0a000d0a515549540a2121002b00000000000000000000ffffcb007107"
	  "20010db8000100000000000000000009ffff0000030004f817772e" },
	{ "unix", NULL, NULL, 0, 0,
	  "50524f585920554e4b4e4f574e0d0a",
	  "0d0a0d0a000d0a515549540a20000000",
	  "0d0a0d0a000d0a515549540a20000007030004a9b87e8f" },
};

static size_t
unhex(const char *hex, uint8_t *out, size_t outsize)
{
	size_t n = strlen(hex) / 2;

	if (n > outsize)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
make_sa(const char *host, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s->sin6_addr) != 1)
			abort();
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s->sin_addr) != 1)
			abort();
	}
}

/* "host:port" / "[v6]:port" of a decoded address, for comparisons. */
static const char *
show(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(s->sin6_port));
	} else {
		snprintf(buf, size, "family %d", ss->ss_family);
	}
	return buf;
}

/*
 * Decode wire[0..len) whole, and fed one byte more at a time from the
 * start: every shorter prefix must ask for more (or fail with the same
 * text), and the last call must agree with the whole call.  Returns the
 * whole call's result; *h and *why from it.
 */
static int
decode(const uint8_t *wire, size_t len, struct proxy_header *h,
    const char **why)
{
	int whole = proxy_proto_decode(wire, len, h, why);

	for (size_t n = 0; n < len; n++) {
		struct proxy_header p;
		const char *pwhy = NULL;
		uint8_t *copy = malloc(n != 0 ? n : 1);	/* exact size for ASan */
		int r;

		memcpy(copy, wire, n);
		r = proxy_proto_decode(copy, n, &p, &pwhy);
		free(copy);
		if (whole >= 0 && (size_t)whole > n) {
			CHECK_INT(r, CODEC_NEED_MORE);
		} else if (whole >= 0) {
			CHECK_INT(r, whole);
		} else {
			CHECK(r < 0);
			if (r == CODEC_ERROR) {
				/* An early error is the same error. */
				CHECK(pwhy != NULL && strcmp(pwhy, *why) == 0);
				break;
			}
		}
		if (r == CODEC_ERROR && whole != CODEC_ERROR) {
			fprintf(stderr, "    prefix of %zu bytes: %s\n", n,
			    pwhy);
			break;
		}
	}
	return whole;
}

/* Decode expecting an error; returns *why ("" if it did not fail). */
static const char *
bad(const void *wire, size_t len)
{
	struct proxy_header h;
	const char *why = NULL;
	int r = decode(wire, len, &h, &why);

	if (r != CODEC_ERROR) {
		fprintf(stderr, "    decode returned %d, want an error: "
		    "\"%.*s\"\n", r, (int)(len < 60 ? len : 60),
		    (const char *)wire);
		CHECK_INT(r, CODEC_ERROR);
		return "";
	}
	CHECK(why != NULL && why[0] != '\0');
	return why != NULL ? why : "";
}

static const char *
bad_str(const char *s)
{
	return bad(s, strlen(s));
}

static bool
has(const char *why, const char *part)
{
	if (strstr(why, part) != NULL)
		return true;
	fprintf(stderr, "    \"%s\" lacks \"%s\"\n", why, part);
	return false;
}

/* ---- HAProxy's bytes ---------------------------------------------------- */

static void
test_golden_decode(void)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		const struct golden *g = &golden[i];
		const char *hexes[3] = { g->v1, g->v2, g->v2crc };

		for (int k = 0; k < 3; k++) {
			uint8_t wire[256];
			size_t n = unhex(hexes[k], wire, sizeof(wire));
			struct proxy_header h;
			const char *why = NULL;
			char a[80], b[80], want[80];

			/* Application bytes follow: not part of the header. */
			memcpy(wire + n, "hello", 5);
			CHECK_INT(decode(wire, n + 5, &h, &why), n);
			CHECK_INT(h.length, n);
			CHECK_INT(h.version, k == 0 ? 1 : 2);
			CHECK_INT(h.has_crc32c, k == 2);
			if (g->src == NULL) {
				CHECK_INT(h.command, PROXY_CMD_LOCAL);
				CHECK_INT(h.src.ss_family, AF_UNSPEC);
				CHECK_INT(h.dst.ss_family, AF_UNSPEC);
				continue;
			}
			CHECK_INT(h.command, PROXY_CMD_PROXY);
			CHECK_INT(h.transport, PROXY_TRANS_STREAM);
			snprintf(want, sizeof(want), "%s%s%s:%u",
			    strchr(g->src, ':') ? "[" : "", g->src,
			    strchr(g->src, ':') ? "]" : "", g->sport);
			if (strcmp(g->name, "mixed") == 0)
				snprintf(want, sizeof(want), "[::ffff:%s]:%u",
				    g->src, g->sport);
			CHECK_STR(show(&h.src, a, sizeof(a)), want);
			snprintf(want, sizeof(want), "%s%s%s:%u",
			    strchr(g->dst, ':') ? "[" : "", g->dst,
			    strchr(g->dst, ':') ? "]" : "", g->dport);
			CHECK_STR(show(&h.dst, b, sizeof(b)), want);
		}
	}
}

static void
test_golden_encode(void)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		const struct golden *g = &golden[i];
		struct sockaddr_storage s, d;
		const struct sockaddr *sp = NULL, *dp = NULL;
		struct sockaddr_un un;
		struct proxy_v2_tlvs crc = { .crc32c = true };
		uint8_t want[256], got[256];
		size_t n;

		if (g->src != NULL) {
			make_sa(g->src, g->sport, &s);
			make_sa(g->dst, g->dport, &d);
			sp = (const struct sockaddr *)&s;
			dp = (const struct sockaddr *)&d;
		} else {
			/* HAProxy's unix-socket client: not an IP address. */
			memset(&un, 0, sizeof(un));
			un.sun_family = AF_UNIX;
			sp = dp = (const struct sockaddr *)&un;
		}
		n = unhex(g->v1, want, sizeof(want));
		CHECK_INT(proxy_proto_encode_v1(sp, dp, got, sizeof(got)), n);
		CHECK_MEM(got, want, n);
		n = unhex(g->v2, want, sizeof(want));
		CHECK_INT(proxy_proto_encode_v2(sp, dp, NULL, got,
		    sizeof(got)), n);
		CHECK_MEM(got, want, n);
		n = unhex(g->v2crc, want, sizeof(want));
		CHECK_INT(proxy_proto_encode_v2(sp, dp, &crc, got,
		    sizeof(got)), n);
		CHECK_MEM(got, want, n);
	}
	/* No addresses at all: as a unix client. */
	{
		uint8_t got[64];

		CHECK_INT(proxy_proto_encode_v1(NULL, NULL, got, sizeof(got)),
		    15);
		CHECK_MEM(got, "PROXY UNKNOWN\r\n", 15);
		CHECK_INT(proxy_proto_encode_v2(NULL, NULL, NULL, got,
		    sizeof(got)), 16);
		CHECK_MEM(got, "\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);
	}
}

/* ---- version 1 ---------------------------------------------------------- */

static int
v1_ok(const char *line, struct proxy_header *h)
{
	const char *why = NULL;
	int r = decode((const uint8_t *)line, strlen(line), h, &why);

	if (r < 0)
		fprintf(stderr, "    \"%s\": %d %s\n", line, r, why);
	return r;
}

static void
test_v1_spec_examples(void)
{
	struct proxy_header h;
	char a[80];
	/* 2.1's example, before an HTTP request. */
	const char *ex = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
	    "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n";

	CHECK_INT(v1_ok(ex, &h), 47);
	CHECK_STR(show(&h.src, a, sizeof(a)), "192.168.0.1:56324");
	CHECK_STR(show(&h.dst, a, sizeof(a)), "192.168.0.11:443");
	/* 2.1's longest lines a receiver must take. */
	CHECK_INT(v1_ok("PROXY TCP4 255.255.255.255 255.255.255.255 65535 "
	    "65535\r\n", &h), 56);
	CHECK_INT(v1_ok("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", &h),
	    104);
	CHECK_STR(show(&h.src, a, sizeof(a)),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	CHECK_INT(v1_ok("PROXY UNKNOWN\r\n", &h), 15);
	CHECK_INT(h.command, PROXY_CMD_LOCAL);
	CHECK_INT(h.src.ss_family, AF_UNSPEC);
	CHECK_INT(h.transport, PROXY_TRANS_UNSPEC);
	CHECK_INT(v1_ok("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", &h),
	    107);
	CHECK_INT(h.command, PROXY_CMD_LOCAL);
	CHECK_INT(h.src.ss_family, AF_UNSPEC);
}

static void
test_v1_accepts(void)
{
	struct proxy_header h;
	char a[80];

	CHECK_INT(v1_ok("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", &h), 32);
	CHECK_STR(show(&h.src, a, sizeof(a)), "0.0.0.0:0");
	CHECK_INT(v1_ok("PROXY TCP6 ::1 ::1 1 2\r\n", &h), 24);
	CHECK_STR(show(&h.dst, a, sizeof(a)), "[::1]:2");
	/* Either case, full or compressed, a dotted tail (HAProxy sends it). */
	CHECK(v1_ok("PROXY TCP6 2001:DB8::A 2001:db8:0:0:0:0:0:b 1 2\r\n",
	    &h) > 0);
	CHECK_STR(show(&h.src, a, sizeof(a)), "[2001:db8::a]:1");
	CHECK(v1_ok("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n", &h) > 0);
	CHECK_INT(h.src.ss_family, AF_INET6);
	/* UNKNOWN: the rest of the line is ignored (2.1). */
	CHECK(v1_ok("PROXY UNKNOWN whatever it says 1 2 3\r\n", &h) > 0);
	CHECK_INT(h.command, PROXY_CMD_LOCAL);
}

static void
test_v1_malformed(void)
{
	char longline[200];

	/* Not PROXY at all: rejected at the first byte that differs. */
	CHECK(has(bad_str("GET / HTTP/1.1\r\n"), "not a PROXY"));
	CHECK(has(bad_str("G"), "not a PROXY"));
	CHECK(has(bad_str("PROXX"), "not a PROXY"));
	CHECK(has(bad_str("proxy TCP4"), "not a PROXY"));
	CHECK(has(bad_str("PROXYTCP4 1.2.3.4 1.2.3.4 1 2\r\n"),
	    "not a PROXY"));
	/* The protocol word, judged as soon as it differs. */
	CHECK(has(bad_str("PROXY TCP5"), "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY tcp4 1.2.3.4 1.2.3.4 1 2\r\n"),
	    "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY  TCP4 1.2.3.4 1.2.3.4 1 2\r\n"),
	    "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY TCP4\r\n"), "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY \r\n"), "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY UNKNOWNX\r\n"), "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n"),
	    "TCP4, TCP6 or UNKNOWN"));
	/*
	 * The first problem in byte order is the one reported, however the
	 * bytes arrive (found by fuzz_proxy_proto: the bad protocol word
	 * came first, but the whole line reported the control byte).
	 */
	CHECK(has(bad_str("PROXY TCP4-1.2.3.4 5.6.7.8 1 \x02" "m2\n"),
	    "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY UNKNOWNX\x02\r\n"), "TCP4, TCP6 or UNKNOWN"));
	CHECK(has(bad_str("PROXY TC\nP4"), "LF"));
	CHECK(has(bad_str("PROXY TCP\x7f" "4"), "printable"));
	/* Exactly one space between fields, none at the end. */
	CHECK(has(bad_str("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n"),
	    "exactly one space"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n"),
	    "exactly one space"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n"),
	    "more than four"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n"),
	    "more than four"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n"), "both ports"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4\r\n"), "both ports"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4\t1.2.3.4 1 2\r\n"),
	    "printable"));
	/* Addresses in canonical form, of the announced family. */
	CHECK(has(bad_str("PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n"),
	    "source is not an IPv4"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.004 1 2\r\n"),
	    "destination is not an IPv4"));
	CHECK(has(bad_str("PROXY TCP4 256.2.3.4 1.2.3.4 1 2\r\n"),
	    "source is not an IPv4"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n"),
	    "source is not an IPv4"));
	CHECK(has(bad_str("PROXY TCP4 ::1 1.2.3.4 1 2\r\n"),
	    "source is not an IPv4"));
	CHECK(has(bad_str("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"),
	    "source is not an IPv6"));
	CHECK(has(bad_str("PROXY TCP6 ::1 1::2::3 1 2\r\n"),
	    "destination is not an IPv6"));
	CHECK(has(bad_str("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"),
	    "source is not an IPv6"));
	CHECK(has(bad_str("PROXY TCP6 12345::1 ::1 1 2\r\n"),
	    "source is not an IPv6"));
	CHECK(has(bad_str("PROXY TCP6 [::1] ::1 1 2\r\n"),
	    "source is not an IPv6"));
	/* Ports 0-65535, no leading zeros. */
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n"),
	    "source port"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 080 2\r\n"),
	    "source port"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 -2\r\n"),
	    "destination port"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 0x2\r\n"),
	    "destination port"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 99999\r\n"),
	    "destination port"));
	/* CRLF and nothing else ends the line (2.1). */
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n"), "LF"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX"),
	    "CR not followed"));
	CHECK(has(bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n"),
	    "CR not followed"));
	CHECK(has(bad_str("PROXY UNKNOWN\n"), "LF"));
	CHECK(has(bad("PROXY UNKNOWN \0\r\n", 18), "printable"));
	CHECK(has(bad_str("PROXY UNKNOWN \x80\r\n"), "printable"));
	CHECK(has(bad_str("PROXY UNKNOWN \x7f\r\n"), "printable"));
	/* The 107-byte limit: CRLF must end by byte 107. */
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	memcpy(longline + 105, "\r\n", 2);
	{
		struct proxy_header h;
		const char *why;

		CHECK_INT(decode((uint8_t *)longline, 107, &h, &why), 107);
	}
	longline[105] = 'a';
	memcpy(longline + 106, "\r\n", 2);
	CHECK(has(bad(longline, 108), "107"));
	/* Rejected as soon as 106 bytes hold no CR. */
	CHECK(has(bad(longline, 106), "107"));
	{
		struct proxy_header h;
		const char *why;

		CHECK_INT(proxy_proto_decode((uint8_t *)longline, 105, &h,
		    &why), CODEC_NEED_MORE);
	}
}

/* ---- version 2 ---------------------------------------------------------- */

static const uint8_t sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Build a v2 header: ver_cmd, fam, then body bytes (length set here). */
static size_t
v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const void *body,
    size_t n)
{
	memcpy(out, sig, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
	if (n > 0)
		memcpy(out + 16, body, n);
	return 16 + n;
}

/* 12 address bytes for TCP/IPv4: 192.0.2.1:1234 -> 198.51.100.2:443. */
static const uint8_t inet_block[12] = {
	192, 0, 2, 1, 198, 51, 100, 2, 0x04, 0xd2, 0x01, 0xbb
};

static int
v2_ok(const uint8_t *wire, size_t n, struct proxy_header *h)
{
	const char *why = NULL;
	int r = decode(wire, n, h, &why);

	if (r < 0)
		fprintf(stderr, "    v2 decode: %d %s\n", r, why);
	return r;
}

static void
test_v2_families(void)
{
	uint8_t w[600], body[300];
	struct proxy_header h;
	char a[80];
	size_t n;

	/* TCP over IPv4. */
	n = v2(w, 0x21, 0x11, inet_block, 12);
	CHECK_INT(v2_ok(w, n, &h), 28);
	CHECK_INT(h.version, 2);
	CHECK_INT(h.command, PROXY_CMD_PROXY);
	CHECK_INT(h.transport, PROXY_TRANS_STREAM);
	CHECK_STR(show(&h.src, a, sizeof(a)), "192.0.2.1:1234");
	CHECK_STR(show(&h.dst, a, sizeof(a)), "198.51.100.2:443");
	/* UDP over IPv4. */
	n = v2(w, 0x21, 0x12, inet_block, 12);
	CHECK_INT(v2_ok(w, n, &h), 28);
	CHECK_INT(h.transport, PROXY_TRANS_DGRAM);
	/* TCP and UDP over IPv6. */
	memset(body, 0, 36);
	body[0] = 0x20, body[1] = 0x01, body[15] = 1;
	body[16] = 0x20, body[17] = 0x01, body[31] = 2;
	body[32] = 0xff, body[33] = 0xff, body[35] = 1;
	n = v2(w, 0x21, 0x21, body, 36);
	CHECK_INT(v2_ok(w, n, &h), 52);
	CHECK_STR(show(&h.src, a, sizeof(a)), "[2001::1]:65535");
	CHECK_STR(show(&h.dst, a, sizeof(a)), "[2001::2]:1");
	n = v2(w, 0x21, 0x22, body, 36);
	CHECK_INT(v2_ok(w, n, &h), 52);
	CHECK_INT(h.transport, PROXY_TRANS_DGRAM);
	/* Unix stream and datagram: 108-byte paths, not NUL-terminated. */
	memset(body, 0, 216);
	memcpy(body, "/run/client.sock", 16);
	memset(body + 108, 'x', 108);
	n = v2(w, 0x21, 0x31, body, 216);
	CHECK_INT(v2_ok(w, n, &h), 232);
	CHECK_INT(h.src.ss_family, AF_UNIX);
	CHECK_STR(((struct sockaddr_un *)&h.src)->sun_path,
	    "/run/client.sock");
	CHECK_MEM(((struct sockaddr_un *)&h.dst)->sun_path, body + 108, 108);
	CHECK_INT(h.transport, PROXY_TRANS_STREAM);
	n = v2(w, 0x21, 0x32, body, 216);
	CHECK_INT(v2_ok(w, n, &h), 232);
	CHECK_INT(h.transport, PROXY_TRANS_DGRAM);
	/* PROXY with UNSPEC: no address, so the connection's own. */
	n = v2(w, 0x21, 0x00, NULL, 0);
	CHECK_INT(v2_ok(w, n, &h), 16);
	CHECK_INT(h.command, PROXY_CMD_PROXY);
	CHECK_INT(h.src.ss_family, AF_UNSPEC);
	/* LOCAL: the address block is skipped, whatever it says (2.2:
	 * "must not assume zero is presented for LOCAL"). */
	n = v2(w, 0x20, 0x11, inet_block, 12);
	CHECK_INT(v2_ok(w, n, &h), 28);
	CHECK_INT(h.command, PROXY_CMD_LOCAL);
	CHECK_INT(h.src.ss_family, AF_UNSPEC);
	CHECK_INT(h.dst.ss_family, AF_UNSPEC);
	/* Extra bytes after the addresses but no TLV needed: a NOOP. */
	memcpy(body, inet_block, 12);
	memcpy(body + 12, "\x04\x00\x02zz", 5);
	n = v2(w, 0x21, 0x11, body, 17);
	CHECK_INT(v2_ok(w, n, &h), 33);
	CHECK_STR(show(&h.src, a, sizeof(a)), "192.0.2.1:1234");
}

/* The IPv4 block followed by tlvs[0..tn): a PROXY TCP4 header in w. */
static size_t
with_tlvs(uint8_t *w, const void *tlvs, size_t tn)
{
	uint8_t body[PROXY_HEADER_MAX];

	memcpy(body, inet_block, 12);
	memcpy(body + 12, tlvs, tn);
	return v2(w, 0x21, 0x11, body, 12 + tn);
}

static void
test_v2_tlvs(void)
{
	uint8_t w[PROXY_HEADER_MAX + 64], t[1024];
	struct proxy_header h;
	size_t n, tn;

	/* ALPN, AUTHORITY, UNIQUE_ID, NOOP, NETNS, a custom type. */
	tn = 0;
	memcpy(t + tn, "\x01\x00\x02h2", 5), tn += 5;
	memcpy(t + tn, "\x02\x00\x0b" "example.com", 14), tn += 14;
	memcpy(t + tn, "\x05\x00\x04\x01\x02\x03\x04", 7), tn += 7;
	memcpy(t + tn, "\x04\x00\x00", 3), tn += 3;
	memcpy(t + tn, "\x30\x00\x03ns1", 6), tn += 6;
	memcpy(t + tn, "\xe0\x00\x01\xff", 4), tn += 4;
	n = with_tlvs(w, t, tn);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK(h.has_alpn && h.alpn_len == 2 && memcmp(h.alpn, "h2", 2) == 0);
	CHECK(h.has_authority);
	CHECK_STR(h.authority, "example.com");
	CHECK_INT(h.authority_len, 11);
	CHECK(h.has_unique_id && h.unique_id_len == 4);
	CHECK_MEM(h.unique_id, "\x01\x02\x03\x04", 4);
	CHECK(!h.has_crc32c && !h.has_ssl);

	/* SSL with sub-TLVs (version, CN, cipher), which are skipped. */
	tn = 0;
	memcpy(t, "\x20\x00\x00\x07\x00\x00\x00\x00", 8), tn = 8;
	memcpy(t + tn, "\x21\x00\x07TLSv1.3", 10), tn += 10;
	memcpy(t + tn, "\x22\x00\x04user", 7), tn += 7;
	memcpy(t + tn, "\x23\x00\x00", 3), tn += 3;
	t[1] = 0, t[2] = (uint8_t)(tn - 3);
	n = with_tlvs(w, t, tn);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK(h.has_ssl);
	CHECK_INT(h.ssl_client, 7);
	CHECK_INT(h.ssl_verify, 0);
	/* Bare SSL TLV: client and verify only. */
	n = with_tlvs(w, "\x20\x00\x05\x01\x00\x00\x00\x02", 8);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK_INT(h.ssl_client, PROXY_SSL_CLIENT_SSL);
	CHECK_INT(h.ssl_verify, 2);

	/* Limits: exactly at them is fine. */
	memset(t, 'a', sizeof(t));
	t[0] = 0x02, t[1] = 0, t[2] = 255;
	n = with_tlvs(w, t, 258);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK_INT(h.authority_len, 255);
	CHECK_INT(strlen(h.authority), 255);
	t[0] = 0x01;
	n = with_tlvs(w, t, 258);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK_INT(h.alpn_len, 255);
	t[0] = 0x05, t[2] = 128;
	n = with_tlvs(w, t, 131);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK_INT(h.unique_id_len, 128);
	/* An empty UNIQUE_ID is allowed ("up to 128 bytes"). */
	n = with_tlvs(w, "\x05\x00\x00", 3);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK(h.has_unique_id && h.unique_id_len == 0);
	/* The largest header taken: PROXY_HEADER_MAX bytes, one NOOP. */
	memset(t, 0, sizeof(t));
	{
		uint8_t big[PROXY_HEADER_MAX];
		size_t body = PROXY_HEADER_MAX - 16 - 12 - 3;

		memset(big, 0, sizeof(big));
		big[0] = 0x04;
		big[1] = (uint8_t)(body >> 8);
		big[2] = (uint8_t)body;
		n = with_tlvs(w, big, 3 + body);
		CHECK_INT(n, PROXY_HEADER_MAX);
		CHECK_INT(v2_ok(w, n, &h), PROXY_HEADER_MAX);
	}
}

/* A v2 TCP4 header whose TLVs are t[0..tn), CRC32C filled in at crc_at. */
static size_t
with_crc(uint8_t *w, const uint8_t *t, size_t tn, size_t crc_at)
{
	size_t n = with_tlvs(w, t, tn);
	uint32_t c;

	memset(w + 28 + crc_at, 0, 4);
	c = crc32c(0, w, n);
	w[28 + crc_at] = (uint8_t)(c >> 24);
	w[28 + crc_at + 1] = (uint8_t)(c >> 16);
	w[28 + crc_at + 2] = (uint8_t)(c >> 8);
	w[28 + crc_at + 3] = (uint8_t)c;
	return n;
}

static void
test_v2_crc32c(void)
{
	uint8_t w[256];
	struct proxy_header h;
	size_t n;
	/* The checksum TLV last, after an AUTHORITY: position is free. */
	const uint8_t t[] = { 0x02, 0x00, 0x01, 'a', 0x03, 0x00, 0x04,
	    0, 0, 0, 0 };

	n = with_crc(w, t, sizeof(t), 7);
	CHECK_INT(v2_ok(w, n, &h), n);
	CHECK(h.has_crc32c && h.has_authority);
	/*
	 * Every flipped bit after the signature is caught (some break the
	 * TLV layout first; a longer length waits for more bytes) -- except in the checksum TLV's type byte: a
	 * header whose CRC32C TLV became another type has no checksum to
	 * verify, which no checksum can detect.
	 */
	for (size_t i = 12; i < n; i++) {
		if (i == 28 + 4)
			continue;
		for (int bit = 0; bit < 8; bit++) {
			const char *why = NULL;
			int r;

			w[i] ^= (uint8_t)(1 << bit);
			r = proxy_proto_decode(w, n, &h, &why);
			if (r >= 0)
				fprintf(stderr, "    byte %zu bit %d: %d\n", i,
				    bit, r);
			CHECK(r < 0);
			w[i] ^= (uint8_t)(1 << bit);
		}
	}
	w[n - 1] ^= 1;
	CHECK(has(bad(w, n), "CRC32C checksum does not match"));
	w[n - 1] ^= 1;
	/* The checksum covers the fixed part: PROXY turned LOCAL. */
	{
		uint8_t hdr[64];
		const uint8_t only[] = { 0x03, 0x00, 0x04, 0, 0, 0, 0 };

		n = with_crc(hdr, only, sizeof(only), 3);
		CHECK_INT(v2_ok(hdr, n, &h), n);
		hdr[12] = 0x20;
		CHECK(has(bad(hdr, n), "does not match"));
	}
}

static void
test_v2_malformed(void)
{
	uint8_t w[PROXY_HEADER_MAX + 64], t[512];
	size_t n;

	/* The signature, byte by byte. */
	for (size_t i = 0; i < 12; i++) {
		n = v2(w, 0x21, 0x11, inet_block, 12);
		w[i] ^= 0x40;
		CHECK(has(bad(w, n), "not a PROXY"));
	}
	/* Version: only 2 (v1 is text, never binary). */
	for (unsigned v = 0; v < 16; v++) {
		if (v == 2)
			continue;
		n = v2(w, (uint8_t)(v << 4 | 1), 0x11, inet_block, 12);
		CHECK(has(bad(w, n), "version is not 2"));
	}
	/* Command: LOCAL or PROXY. */
	for (unsigned c = 2; c < 16; c++) {
		n = v2(w, (uint8_t)(0x20 | c), 0x11, inet_block, 12);
		CHECK(has(bad(w, n), "neither LOCAL nor PROXY"));
	}
	/* Family and transport: only the seven defined bytes. */
	for (unsigned f = 0; f < 256; f++) {
		if (f == 0x00 || f == 0x11 || f == 0x12 || f == 0x21 ||
		    f == 0x22 || f == 0x31 || f == 0x32)
			continue;
		n = v2(w, 0x21, (uint8_t)f, t, 216);
		CHECK(has(bad(w, n), "defined pair"));
	}
	/* The length must hold the family's addresses. */
	n = v2(w, 0x21, 0x11, inet_block, 11);
	CHECK(has(bad(w, n), "too short for the address family"));
	n = v2(w, 0x21, 0x21, t, 35);
	CHECK(has(bad(w, n), "too short"));
	n = v2(w, 0x21, 0x31, t, 215);
	CHECK(has(bad(w, n), "too short"));
	n = v2(w, 0x20, 0x11, t, 0);	/* LOCAL too: the field is skipped */
	CHECK(has(bad(w, n), "too short"));
	/* Our bound: judged from the fixed 16 bytes alone. */
	n = v2(w, 0x21, 0x11, inet_block, 12);
	w[14] = (uint8_t)((PROXY_HEADER_MAX - 15) >> 8);
	w[15] = (uint8_t)(PROXY_HEADER_MAX - 15);
	CHECK(has(bad(w, 16), "longer than 4096"));
	w[14] = w[15] = 0xff;
	CHECK(has(bad(w, 16), "longer than 4096"));

	/* TLVs that do not fit. */
	n = with_tlvs(w, "\x04", 1);
	CHECK(has(bad(w, n), "truncated TLV"));
	n = with_tlvs(w, "\x04\x00", 2);
	CHECK(has(bad(w, n), "truncated TLV"));
	n = with_tlvs(w, "\x04\x00\x01", 3);
	CHECK(has(bad(w, n), "overruns"));
	n = with_tlvs(w, "\x02\x00\x05" "abcd", 7);
	CHECK(has(bad(w, n), "overruns"));
	n = with_tlvs(w, "\x04\x00\x00\x04\xff\xff", 6);
	CHECK(has(bad(w, n), "overruns"));
	/* Known TLVs out of bounds or repeated. */
	n = with_tlvs(w, "\x01\x00\x00", 3);
	CHECK(has(bad(w, n), "ALPN TLV empty"));
	n = with_tlvs(w, "\x01\x00\x01" "a\x01\x00\x01" "b", 8);
	CHECK(has(bad(w, n), "ALPN TLV twice"));
	n = with_tlvs(w, "\x02\x00\x00", 3);
	CHECK(has(bad(w, n), "AUTHORITY TLV empty"));
	n = with_tlvs(w, "\x02\x00\x03" "a\0b", 6);
	CHECK(has(bad(w, n), "NUL"));
	n = with_tlvs(w, "\x02\x00\x01" "a\x02\x00\x01" "b", 8);
	CHECK(has(bad(w, n), "AUTHORITY TLV twice"));
	memset(t, 'a', sizeof(t));
	t[0] = 0x02, t[1] = 0x01, t[2] = 0x00;	/* 256 bytes */
	n = with_tlvs(w, t, 259);
	CHECK(has(bad(w, n), "longer than 255"));
	t[0] = 0x01;
	n = with_tlvs(w, t, 259);
	CHECK(has(bad(w, n), "longer than 255"));
	t[0] = 0x05, t[1] = 0, t[2] = 129;
	n = with_tlvs(w, t, 132);
	CHECK(has(bad(w, n), "UNIQUE_ID TLV longer than 128"));
	n = with_tlvs(w, "\x05\x00\x00\x05\x00\x00", 6);
	CHECK(has(bad(w, n), "UNIQUE_ID TLV twice"));
	n = with_tlvs(w, "\x03\x00\x03\x00\x00\x00", 6);
	CHECK(has(bad(w, n), "CRC32C TLV is not 4"));
	n = with_tlvs(w, "\x03\x00\x05\x00\x00\x00\x00\x00", 8);
	CHECK(has(bad(w, n), "CRC32C TLV is not 4"));
	{
		const uint8_t two[] = { 0x03, 0, 4, 0, 0, 0, 0,
		    0x03, 0, 4, 0, 0, 0, 0 };

		n = with_crc(w, two, sizeof(two), 3);
		CHECK(has(bad(w, n), "CRC32C TLV twice"));
	}
	n = with_tlvs(w, "\x20\x00\x04\x01\x00\x00\x00", 7);
	CHECK(has(bad(w, n), "SSL TLV shorter than 5"));
	n = with_tlvs(w, "\x20\x00\x07\x01\x00\x00\x00\x00\x21\x00", 10);
	CHECK(has(bad(w, n), "truncated TLV inside the SSL"));
	n = with_tlvs(w, "\x20\x00\x08\x01\x00\x00\x00\x00\x21\x00\x01", 11);
	CHECK(has(bad(w, n), "overruns it"));
	/* A sub-TLV that would fit the header but not its SSL TLV. */
	n = with_tlvs(w, "\x20\x00\x08\x01\x00\x00\x00\x00\x21\x00\x01x",
	    12);
	CHECK(has(bad(w, n), "overruns it"));
	n = with_tlvs(w, "\x20\x00\x05\x01\x00\x00\x00\x00"
	    "\x20\x00\x05\x01\x00\x00\x00\x00", 16);
	CHECK(has(bad(w, n), "SSL TLV twice"));
}

/* Early answers: an error as soon as the bytes show it. */
static void
test_v2_early(void)
{
	uint8_t w[64];
	struct proxy_header h;
	const char *why;

	v2(w, 0x21, 0x11, inet_block, 12);
	for (size_t n = 0; n < 28; n++)
		CHECK_INT(proxy_proto_decode(w, n, &h, &why),
		    CODEC_NEED_MORE);
	w[12] = 0x11;
	CHECK_INT(proxy_proto_decode(w, 13, &h, &why), CODEC_ERROR);
	w[12] = 0x22;
	CHECK_INT(proxy_proto_decode(w, 13, &h, &why), CODEC_ERROR);
	w[12] = 0x21, w[13] = 0x13;
	CHECK_INT(proxy_proto_decode(w, 14, &h, &why), CODEC_ERROR);
	w[13] = 0x11, w[15] = 11;
	CHECK_INT(proxy_proto_decode(w, 16, &h, &why), CODEC_ERROR);
	/* A v1 sender's first bytes are not mistaken for v2, and back. */
	CHECK_INT(proxy_proto_decode((const uint8_t *)"\r\n\r\n", 4, &h, &why),
	    CODEC_NEED_MORE);
	CHECK_INT(proxy_proto_decode((const uint8_t *)"\r\nGET", 5, &h, &why),
	    CODEC_ERROR);
	/* TLS ClientHello and an HTTP request: rejected at once. */
	CHECK_INT(proxy_proto_decode((const uint8_t *)"\x16\x03\x01", 3, &h,
	    &why), CODEC_ERROR);
	CHECK_INT(proxy_proto_decode((const uint8_t *)"GET", 3, &h, &why),
	    CODEC_ERROR);
	CHECK_INT(proxy_proto_decode((const uint8_t *)"", 0, &h, &why),
	    CODEC_NEED_MORE);
}

/* ---- encoders ----------------------------------------------------------- */

static void
test_encode_round_trip(void)
{
	const char *hosts[] = { "0.0.0.0", "192.0.2.1", "255.255.255.255",
	    "::", "::1", "2001:db8::7", "::ffff:192.0.2.1",
	    "fe80::1:2:3:4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	const unsigned ports[] = { 0, 1, 443, 65535 };
	size_t nh = sizeof(hosts) / sizeof(hosts[0]);

	for (size_t i = 0; i < nh; i++) {
		for (size_t j = 0; j < nh; j++) {
			struct sockaddr_storage s, d;
			const struct sockaddr *sp = (void *)&s, *dp = (void *)&d;
			struct proxy_v2_tlvs tlv = { .crc32c = true,
			    .authority = "ws.example", .authority_len = 10 };
			uint8_t w[PROXY_HEADER_MAX];
			struct proxy_header h;
			const char *why;
			char a[80], b[80];
			size_t n;
			int v;

			make_sa(hosts[i], ports[(i + j) % 4], &s);
			make_sa(hosts[j], ports[(i * j) % 4], &d);
			for (v = 1; v <= 3; v++) {
				n = v == 1 ? proxy_proto_encode_v1(sp, dp, w,
				    sizeof(w)) : proxy_proto_encode_v2(sp, dp,
				    v == 3 ? &tlv : NULL, w, sizeof(w));
				CHECK(n > 0 && n <= (v == 1 ? PROXY_V1_MAX :
				    PROXY_HEADER_MAX));
				CHECK_INT(decode(w, n, &h, &why), n);
				CHECK_INT(h.command, PROXY_CMD_PROXY);
				if (s.ss_family == d.ss_family) {
					CHECK_STR(show(&h.src, a, sizeof(a)),
					    show(&s, b, sizeof(b)));
					CHECK_STR(show(&h.dst, a, sizeof(a)),
					    show(&d, b, sizeof(b)));
				} else {
					CHECK_INT(h.src.ss_family, AF_INET6);
					CHECK_INT(h.dst.ss_family, AF_INET6);
				}
				CHECK_INT(h.has_crc32c, v == 3);
				if (v == 3)
					CHECK_STR(h.authority, "ws.example");
			}
		}
	}
}

static void
test_encode_sizes(void)
{
	struct sockaddr_storage s, d;
	const struct sockaddr *sp = (void *)&s, *dp = (void *)&d;
	uint8_t w[256];
	struct proxy_v2_tlvs tlv = { 0 };
	char auth[300];

	make_sa("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, &s);
	make_sa("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, &d);
	/* Exactly enough room, and one byte less. */
	CHECK_INT(proxy_proto_encode_v1(sp, dp, w, 104), 104);
	CHECK_INT(proxy_proto_encode_v1(sp, dp, w, 103), 0);
	CHECK_INT(proxy_proto_encode_v2(sp, dp, NULL, w, 52), 52);
	CHECK_INT(proxy_proto_encode_v2(sp, dp, NULL, w, 51), 0);
	CHECK_INT(proxy_proto_encode_v1(NULL, NULL, w, 14), 0);
	CHECK_INT(proxy_proto_encode_v2(NULL, NULL, NULL, w, 15), 0);
	/* Bad authority values are refused, not sent. */
	memset(auth, 'a', sizeof(auth));
	tlv.authority = auth;
	tlv.authority_len = 0;
	CHECK_INT(proxy_proto_encode_v2(sp, dp, &tlv, w, sizeof(w)), 0);
	tlv.authority_len = 256;
	CHECK_INT(proxy_proto_encode_v2(sp, dp, &tlv, w, sizeof(w)), 0);
	tlv.authority_len = 255;
	CHECK_INT(proxy_proto_encode_v2(sp, dp, &tlv, w, sizeof(w)),
	    52 + 3 + 255 > sizeof(w) ? 0 : 52 + 3 + 255);
	auth[3] = '\0';
	tlv.authority_len = 10;
	CHECK_INT(proxy_proto_encode_v2(sp, dp, &tlv, w, sizeof(w)), 0);
	/* LOCAL with TLVs: HAProxy's health-check shape. */
	{
		struct proxy_v2_tlvs both = { .crc32c = true,
		    .authority = "h", .authority_len = 1 };
		struct proxy_header h;
		const char *why;
		size_t n = proxy_proto_encode_v2(NULL, NULL, &both, w,
		    sizeof(w));

		CHECK_INT(n, 16 + 7 + 4);
		CHECK_INT(w[12], 0x20);
		CHECK_INT(w[16], 0x03);	/* CRC32C first, as HAProxy */
		CHECK_INT(w[23], 0x02);
		CHECK_INT(decode(w, n, &h, &why), n);
		CHECK_INT(h.command, PROXY_CMD_LOCAL);
		CHECK(h.has_crc32c);
		CHECK_STR(h.authority, "h");
	}
}

int
main(void)
{
	RUN(test_golden_decode);
	RUN(test_golden_encode);
	RUN(test_v1_spec_examples);
	RUN(test_v1_accepts);
	RUN(test_v1_malformed);
	RUN(test_v2_families);
	RUN(test_v2_tlvs);
	RUN(test_v2_crc32c);
	RUN(test_v2_malformed);
	RUN(test_v2_early);
	RUN(test_encode_round_trip);
	RUN(test_encode_sizes);
	return tl_summary("unit/proxy_proto");
}
