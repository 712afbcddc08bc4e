/* proxy_proto.c -- pure: HAProxy PROXY protocol v1/v2 header decoder and encoder */
#include "proxy_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "crc32c.h"
#include "ipaddr.h"

/* 2.2: the v2 signature; its fifth byte is NUL, so never a C string. */
static const uint8_t v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define V1_PREFIX "PROXY "
#define V1_PREFIX_LEN 6

/* 2.2: the family (high nibble) and transport (low nibble) byte. */
#define PP2_FAM_UNSPEC 0x0
#define PP2_FAM_INET 0x1
#define PP2_FAM_INET6 0x2
#define PP2_FAM_UNIX 0x3
#define PP2_ADDR_LEN_INET 12	/* 2 * 4 + 2 * 2 */
#define PP2_ADDR_LEN_INET6 36	/* 2 * 16 + 2 * 2 */
#define PP2_ADDR_LEN_UNIX 216	/* 2 * 108 */
#define PP2_UNIX_PATH 108

/* 2.2: TLV types. */
#define PP2_TYPE_ALPN 0x01
#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_CRC32C 0x03
#define PP2_TYPE_NOOP 0x04
#define PP2_TYPE_UNIQUE_ID 0x05
#define PP2_TYPE_SSL 0x20
#define PP2_TLV_HEADER 3	/* type, length high, length low */
#define PP2_SSL_FIXED 5		/* client (1), verify (4) */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
fail(const char **why, const char *text)
{
	*why = text;
	return CODEC_ERROR;
}

/* Whether the n bytes at p could begin (or be) word: early rejection. */
static bool
could_be(const uint8_t *p, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return memcmp(p, word, n < wl ? n : wl) == 0;
}

/*
 * Where p[0..n) stops being the start of "TCP4 ", "TCP6 " or "UNKNOWN"
 * (followed by a space or the CRLF): n if it has not.
 */
static size_t
v1_word_mismatch(const char *p, size_t n)
{
	static const char *const words[] = { "TCP4 ", "TCP6 ", "UNKNOWN " };
	size_t at = 0;

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		size_t wl = strlen(words[k]), i = 0;

		while (i < n && i < wl && p[i] == words[k][i])
			i++;
		if (i == n || i == wl)
			return n;
		if (i > at)
			at = i;
	}
	return at;
}

/* ---- version 1 (2.1) ---------------------------------------------------- */

/* The four fields after "TCP4 "/"TCP6 ": src dst sport dport. */
static int
v1_addresses(const char *p, size_t n, bool v6, struct proxy_header *out,
    const char **why)
{
	const char *field[4];
	size_t flen[4];
	size_t i = 0;
	uint16_t sport, dport;

	for (int k = 0; k < 4; k++) {
		size_t start = i;

		while (i < n && p[i] != ' ')
			i++;
		if (i == start)
			return fail(why, "v1: fields must be separated by "
			    "exactly one space");
		field[k] = p + start;
		flen[k] = i - start;
		if (k < 3) {
			if (i == n)
				return fail(why, "v1: a TCP4/TCP6 line needs "
				    "source, destination and both ports");
			i++;
		}
	}
	if (i != n)
		return fail(why, "v1: more than four fields after the "
		    "protocol");
	if (ipaddr_parse_port(field[2], flen[2], &sport) != 0)
		return fail(why, "v1: source port is not 0-65535 without "
		    "leading zeros");
	if (ipaddr_parse_port(field[3], flen[3], &dport) != 0)
		return fail(why, "v1: destination port is not 0-65535 "
		    "without leading zeros");
	if (v6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;

		if (ipaddr_parse6(field[0], flen[0], &s->sin6_addr) != 0)
			return fail(why, "v1: source is not an IPv6 address");
		if (ipaddr_parse6(field[1], flen[1], &d->sin6_addr) != 0)
			return fail(why, "v1: destination is not an IPv6 "
			    "address");
		s->sin6_family = d->sin6_family = AF_INET6;
		s->sin6_port = htons(sport);
		d->sin6_port = htons(dport);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;

		if (ipaddr_parse4(field[0], flen[0], &s->sin_addr) != 0)
			return fail(why, "v1: source is not an IPv4 address "
			    "in canonical form (four numbers 0-255, no "
			    "leading zeros)");
		if (ipaddr_parse4(field[1], flen[1], &d->sin_addr) != 0)
			return fail(why, "v1: destination is not an IPv4 "
			    "address in canonical form (four numbers 0-255, "
			    "no leading zeros)");
		s->sin_family = d->sin_family = AF_INET;
		s->sin_port = htons(sport);
		d->sin_port = htons(dport);
	}
	return 0;
}

static int
decode_v1(const uint8_t *buf, size_t len, struct proxy_header *out,
    const char **why)
{
	const char *line = (const char *)buf + V1_PREFIX_LEN;
	size_t scan = len < PROXY_V1_MAX - 1 ? len : PROXY_V1_MAX - 1;
	size_t cr, n;

	if (!could_be(buf, len, V1_PREFIX))
		return fail(why, "not a PROXY protocol header");
	if (len <= V1_PREFIX_LEN)
		return CODEC_NEED_MORE;
	/*
	 * Find the CR, which must be at index 105 at most so that CRLF ends
	 * by 107, and report the first problem in byte order -- a wrong
	 * protocol word or a byte no line may hold -- so the answer does
	 * not depend on how the bytes arrive.
	 */
	for (cr = V1_PREFIX_LEN; cr < scan; cr++) {
		uint8_t c = buf[cr];

		if (c == '\r' || c == '\n' || c < 0x20 || c > 0x7e)
			break;
	}
	n = cr - V1_PREFIX_LEN;
	if (v1_word_mismatch(line, n) < n)
		return fail(why, "v1: protocol is not TCP4, TCP6 or UNKNOWN");
	if (cr < scan && buf[cr] == '\n')
		return fail(why, "v1: line ends with LF, not CRLF");
	if (cr < scan && buf[cr] != '\r')
		return fail(why, "v1: a byte that is not printable US-ASCII");
	if (cr == scan) {
		if (len >= PROXY_V1_MAX - 1)
			return fail(why, "v1: no CRLF in the first 107 bytes");
		return CODEC_NEED_MORE;
	}
	if (cr + 1 == len)
		return CODEC_NEED_MORE;
	if (buf[cr + 1] != '\n')
		return fail(why, "v1: CR not followed by LF");

	out->version = 1;
	out->length = cr + 2;
	/* The line starts with (part of) one of the words: which? */
	if (n >= 7 && memcmp(line, "UNKNOWN", 7) == 0) {
		/* 2.1: "the receiver must ignore anything presented before
		 * the CRLF" (after a space: v1_word_mismatch saw to it). */
		out->command = PROXY_CMD_LOCAL;
		out->transport = PROXY_TRANS_UNSPEC;
		return (int)out->length;
	}
	if (n < 5)	/* "TCP4", "UNKN": a word cut short by the CRLF */
		return fail(why, "v1: protocol is not TCP4, TCP6 or UNKNOWN");
	out->command = PROXY_CMD_PROXY;
	out->transport = PROXY_TRANS_STREAM;
	if (v1_addresses(line + 5, n - 5, line[3] == '6', out, why) != 0)
		return CODEC_ERROR;
	return (int)out->length;
}

/* ---- version 2 (2.2) ---------------------------------------------------- */

static int
v2_ssl(const uint8_t *v, size_t n, struct proxy_header *out,
    const char **why)
{
	size_t off = PP2_SSL_FIXED;

	if (n < PP2_SSL_FIXED)
		return fail(why, "v2: SSL TLV shorter than 5 bytes");
	out->ssl_client = v[0];
	out->ssl_verify = get32(v + 1);
	/* 2.2.6: sub-TLVs (version, CN, cipher, ...): bounded, skipped. */
	while (off < n) {
		size_t sub;

		if (n - off < PP2_TLV_HEADER)
			return fail(why, "v2: truncated TLV inside the SSL "
			    "TLV");
		sub = get16(v + off + 1);
		off += PP2_TLV_HEADER;
		if (sub > n - off)
			return fail(why, "v2: TLV inside the SSL TLV overruns "
			    "it");
		off += sub;
	}
	out->has_ssl = true;
	return 0;
}

static int
v2_tlvs(const uint8_t *buf, size_t off, size_t total,
    struct proxy_header *out, const char **why)
{
	while (off < total) {
		uint8_t type = buf[off];
		const uint8_t *v;
		size_t n;

		if (total - off < PP2_TLV_HEADER)
			return fail(why, "v2: truncated TLV");
		n = get16(buf + off + 1);
		off += PP2_TLV_HEADER;
		if (n > total - off)
			return fail(why, "v2: TLV overruns the header");
		v = buf + off;
		switch (type) {
		case PP2_TYPE_ALPN:
			if (out->has_alpn)
				return fail(why, "v2: ALPN TLV twice");
			if (n == 0 || n > PROXY_ALPN_MAX)
				return fail(why, "v2: ALPN TLV empty or longer "
				    "than 255 bytes");
			memcpy(out->alpn, v, n);
			out->alpn_len = n;
			out->has_alpn = true;
			break;
		case PP2_TYPE_AUTHORITY:
			if (out->has_authority)
				return fail(why, "v2: AUTHORITY TLV twice");
			if (n == 0 || n > PROXY_AUTHORITY_MAX)
				return fail(why, "v2: AUTHORITY TLV empty or "
				    "longer than 255 bytes");
			if (memchr(v, '\0', n) != NULL)
				return fail(why, "v2: AUTHORITY TLV contains a "
				    "NUL byte");
			memcpy(out->authority, v, n);
			out->authority[n] = '\0';
			out->authority_len = n;
			out->has_authority = true;
			break;
		case PP2_TYPE_CRC32C: {
			static const uint8_t zero[4];
			uint32_t crc;

			if (out->has_crc32c)
				return fail(why, "v2: CRC32C TLV twice");
			if (n != 4)
				return fail(why, "v2: CRC32C TLV is not 4 "
				    "bytes");
			/* 2.2.3: the checksum of the header with this
			 * field taken as zeros. */
			crc = crc32c(0, buf, off);
			crc = crc32c(crc, zero, 4);
			crc = crc32c(crc, buf + off + 4, total - off - 4);
			if (crc != get32(v))
				return fail(why, "v2: CRC32C checksum does not "
				    "match");
			out->has_crc32c = true;
			break;
		}
		case PP2_TYPE_UNIQUE_ID:
			if (out->has_unique_id)
				return fail(why, "v2: UNIQUE_ID TLV twice");
			if (n > PROXY_UNIQUE_ID_MAX)
				return fail(why, "v2: UNIQUE_ID TLV longer than "
				    "128 bytes");
			memcpy(out->unique_id, v, n);
			out->unique_id_len = n;
			out->has_unique_id = true;
			break;
		case PP2_TYPE_SSL:
			if (out->has_ssl)
				return fail(why, "v2: SSL TLV twice");
			if (v2_ssl(v, n, out, why) != 0)
				return CODEC_ERROR;
			break;
		default:
			/* NOOP, NETNS, custom and future types: 2.2 lets a
			 * receiver skip what it does not use. */
			break;
		}
		off += n;
	}
	return 0;
}

static void
v2_addresses(const uint8_t *a, unsigned fam, struct proxy_header *out)
{
	if (fam == PP2_FAM_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		memcpy(&d->sin_addr, a + 4, 4);
		memcpy(&s->sin_port, a + 8, 2);
		memcpy(&d->sin_port, a + 10, 2);
	} else if (fam == PP2_FAM_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		memcpy(&d->sin6_addr, a + 16, 16);
		memcpy(&s->sin6_port, a + 32, 2);
		memcpy(&d->sin6_port, a + 34, 2);
	} else if (fam == PP2_FAM_UNIX) {
		struct sockaddr_un *s = (struct sockaddr_un *)&out->src;
		struct sockaddr_un *d = (struct sockaddr_un *)&out->dst;

		/* sun_path is 108 bytes on Linux, like the field here. */
		_Static_assert(sizeof(s->sun_path) == PP2_UNIX_PATH,
		    "sun_path is not 108 bytes");
		s->sun_family = d->sun_family = AF_UNIX;
		memcpy(s->sun_path, a, PP2_UNIX_PATH);
		memcpy(d->sun_path, a + PP2_UNIX_PATH, PP2_UNIX_PATH);
	}
}

static int
decode_v2(const uint8_t *buf, size_t len, struct proxy_header *out,
    const char **why)
{
	unsigned cmd, fam, trans;
	size_t addrlen, total;

	if (memcmp(buf, v2_sig, len < 12 ? len : 12) != 0)
		return fail(why, "not a PROXY protocol header");
	if (len < 13)
		return CODEC_NEED_MORE;
	if (buf[12] >> 4 != 2)
		return fail(why, "v2: version is not 2");
	cmd = buf[12] & 0x0f;
	if (cmd > 1)
		return fail(why, "v2: command is neither LOCAL nor PROXY");
	if (len < 14)
		return CODEC_NEED_MORE;
	fam = buf[13] >> 4;
	trans = buf[13] & 0x0f;
	/* 2.2: only these seven bytes are defined; reject the rest. */
	if ((fam == PP2_FAM_UNSPEC) != (trans == 0) || fam > PP2_FAM_UNIX ||
	    trans > 2)
		return fail(why, "v2: address family and transport are not "
		    "a defined pair (0x00, 0x11, 0x12, 0x21, 0x22, 0x31, "
		    "0x32)");
	if (len < PROXY_V2_MIN)
		return CODEC_NEED_MORE;
	total = PROXY_V2_MIN + (size_t)get16(buf + 14);
	if (total > PROXY_HEADER_MAX)
		return fail(why, "v2: header longer than 4096 bytes");
	addrlen = fam == PP2_FAM_INET ? PP2_ADDR_LEN_INET :
	    fam == PP2_FAM_INET6 ? PP2_ADDR_LEN_INET6 :
	    fam == PP2_FAM_UNIX ? PP2_ADDR_LEN_UNIX : 0;
	if (total - PROXY_V2_MIN < addrlen)
		return fail(why, "v2: length too short for the address "
		    "family");
	if (len < total)
		return CODEC_NEED_MORE;

	out->version = 2;
	out->length = total;
	out->command = cmd == 1 ? PROXY_CMD_PROXY : PROXY_CMD_LOCAL;
	/* 2.2: LOCAL discards the address block, family included. */
	if (out->command == PROXY_CMD_PROXY) {
		out->transport = trans == 1 ? PROXY_TRANS_STREAM :
		    trans == 2 ? PROXY_TRANS_DGRAM : PROXY_TRANS_UNSPEC;
		v2_addresses(buf + PROXY_V2_MIN, fam, out);
	}
	if (v2_tlvs(buf, PROXY_V2_MIN + addrlen, total, out, why) != 0)
		return CODEC_ERROR;
	return (int)total;
}

int
proxy_proto_decode(const uint8_t *buf, size_t len, struct proxy_header *out,
    const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len == 0)
		return CODEC_NEED_MORE;
	/* 2.2: "P" starts v1, CR starts v2; nothing else is a header. */
	if (buf[0] == 'P')
		return decode_v1(buf, len, out, why);
	if (buf[0] == v2_sig[0])
		return decode_v2(buf, len, out, why);
	return fail(why, "not a PROXY protocol header");
}

/* ---- encoders ----------------------------------------------------------- */

static bool
is_ip(const struct sockaddr *sa)
{
	return sa != NULL &&
	    (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

/* The address as IPv6 (IPv4 mapped, as HAProxy's v4tov6), and its port. */
static void
as_v6(const struct sockaddr *sa, struct in6_addr *a, uint16_t *port_n)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(a->s6_addr + 12, &sin->sin_addr, 4);
		*port_n = sin->sin_port;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		*a = sin6->sin6_addr;
		*port_n = sin6->sin6_port;
	}
}

size_t
proxy_proto_encode_v1(const struct sockaddr *src, const struct sockaddr *dst,
    uint8_t *out, size_t outsize)
{
	char line[PROXY_V1_MAX + 1];
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int n;

	if (is_ip(src) && is_ip(dst) && src->sa_family == AF_INET &&
	    dst->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)src;
		const struct sockaddr_in *d = (const void *)dst;

		inet_ntop(AF_INET, &s->sin_addr, sa, sizeof(sa));
		inet_ntop(AF_INET, &d->sin_addr, da, sizeof(da));
		n = snprintf(line, sizeof(line), "PROXY TCP4 %s %s %u %u\r\n",
		    sa, da, ntohs(s->sin_port), ntohs(d->sin_port));
	} else if (is_ip(src) && is_ip(dst)) {
		struct in6_addr s6, d6;
		uint16_t sp, dp;

		as_v6(src, &s6, &sp);
		as_v6(dst, &d6, &dp);
		inet_ntop(AF_INET6, &s6, sa, sizeof(sa));
		inet_ntop(AF_INET6, &d6, da, sizeof(da));
		n = snprintf(line, sizeof(line), "PROXY TCP6 %s %s %u %u\r\n",
		    sa, da, ntohs(sp), ntohs(dp));
	} else {
		n = snprintf(line, sizeof(line), "PROXY UNKNOWN\r\n");
	}
	if (n < 0 || (size_t)n >= sizeof(line) || (size_t)n > outsize)
		return 0;
	memcpy(out, line, (size_t)n);
	return (size_t)n;
}

size_t
proxy_proto_encode_v2(const struct sockaddr *src, const struct sockaddr *dst,
    const struct proxy_v2_tlvs *tlvs, uint8_t *out, size_t outsize)
{
	size_t addrlen, total, off, crc_at = 0;
	bool v4 = false, v6 = false, crc = tlvs != NULL && tlvs->crc32c;
	size_t alen = tlvs != NULL && tlvs->authority != NULL ?
	    tlvs->authority_len : 0;

	if (tlvs != NULL && tlvs->authority != NULL &&
	    (alen == 0 || alen > PROXY_AUTHORITY_MAX ||
	    memchr(tlvs->authority, '\0', alen) != NULL))
		return 0;
	if (is_ip(src) && is_ip(dst)) {
		v4 = src->sa_family == AF_INET && dst->sa_family == AF_INET;
		v6 = !v4;
	}
	addrlen = v4 ? PP2_ADDR_LEN_INET : v6 ? PP2_ADDR_LEN_INET6 : 0;
	total = PROXY_V2_MIN + addrlen + (crc ? PP2_TLV_HEADER + 4 : 0) +
	    (alen > 0 ? PP2_TLV_HEADER + alen : 0);
	if (total > outsize)
		return 0;

	memcpy(out, v2_sig, sizeof(v2_sig));
	out[12] = v4 || v6 ? 0x21 : 0x20;	/* version 2, PROXY or LOCAL */
	out[13] = v4 ? 0x11 : v6 ? 0x21 : 0x00;	/* TCP over IPv4/IPv6, UNSPEC */
	put16(out + 14, (uint16_t)(total - PROXY_V2_MIN));
	off = PROXY_V2_MIN;
	if (v4) {
		const struct sockaddr_in *s = (const void *)src;
		const struct sockaddr_in *d = (const void *)dst;

		memcpy(out + off, &s->sin_addr, 4);
		memcpy(out + off + 4, &d->sin_addr, 4);
		memcpy(out + off + 8, &s->sin_port, 2);
		memcpy(out + off + 10, &d->sin_port, 2);
	} else if (v6) {
		struct in6_addr s6, d6;
		uint16_t sp, dp;

		as_v6(src, &s6, &sp);
		as_v6(dst, &d6, &dp);
		memcpy(out + off, &s6, 16);
		memcpy(out + off + 16, &d6, 16);
		memcpy(out + off + 32, &sp, 2);
		memcpy(out + off + 34, &dp, 2);
	}
	off += addrlen;
	if (crc) {
		out[off] = PP2_TYPE_CRC32C;
		put16(out + off + 1, 4);
		crc_at = off + PP2_TLV_HEADER;
		memset(out + crc_at, 0, 4);
		off = crc_at + 4;
	}
	if (alen > 0) {
		out[off] = PP2_TYPE_AUTHORITY;
		put16(out + off + 1, (uint16_t)alen);
		memcpy(out + off + PP2_TLV_HEADER, tlvs->authority, alen);
		off += PP2_TLV_HEADER + alen;
	}
	/* 2.2.3: computed over the whole header, the field still zero. */
	if (crc)
		put32(out + crc_at, crc32c(0, out, total));
	return total;
}
