/* fuzz_proxy_proto.c -- libFuzzer target: PROXY v1/v2 decoder fed whole and in pieces; encoder round trips */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/un.h>

#include "proxy_proto.h"

#include "fuzz.h"

/*
 * The whole input is the bytes a peer sends (the seeds are headers, so
 * the dictionary applies).  Checked:
 *  - a result is consistent: length in bounds, addresses of a family the
 *    header can carry, TLV copies within their limits;
 *  - streaming: any prefix shorter than the header asks for more, any
 *    longer one gives the same header; an error is never preceded by a
 *    success, and an early error is the same error;
 *  - a decoded TCP header re-encodes (v1, v2, v2 with TLVs) to one that
 *    decodes to the same addresses, byte for byte the input when that was
 *    already in the encoder's form;
 *  - the same bytes read as addresses and options encode to headers that
 *    decode back to them.
 */

static int
decode_copy(const uint8_t *p, size_t n, struct proxy_header *h,
    const char **why)
{
	uint8_t *c = fuzz_dup(p, n);	/* exactly n bytes: ASan sees overreads */
	int r = proxy_proto_decode(c, n, h, why);

	free(c);
	return r;
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return true;
}

static void
check_header(const struct proxy_header *h, int r, size_t size)
{
	FUZZ_CHECK((size_t)r == h->length && h->length <= size);
	FUZZ_CHECK(h->version == 1 || h->version == 2);
	if (h->version == 1)
		FUZZ_CHECK(h->length >= 15 && h->length <= PROXY_V1_MAX);
	else
		FUZZ_CHECK(h->length >= PROXY_V2_MIN &&
		    h->length <= PROXY_HEADER_MAX);
	FUZZ_CHECK(h->src.ss_family == h->dst.ss_family);
	if (h->command == PROXY_CMD_LOCAL)
		FUZZ_CHECK(h->src.ss_family == AF_UNSPEC);
	FUZZ_CHECK(h->src.ss_family == AF_UNSPEC ||
	    h->src.ss_family == AF_INET || h->src.ss_family == AF_INET6 ||
	    (h->src.ss_family == AF_UNIX && h->version == 2));
	FUZZ_CHECK(h->authority_len <= PROXY_AUTHORITY_MAX);
	FUZZ_CHECK(h->authority[h->authority_len] == '\0');
	FUZZ_CHECK(strlen(h->authority) == h->authority_len);
	FUZZ_CHECK(h->has_authority == (h->authority_len > 0));
	FUZZ_CHECK(h->alpn_len <= PROXY_ALPN_MAX);
	FUZZ_CHECK(h->has_alpn == (h->alpn_len > 0));
	FUZZ_CHECK(h->unique_id_len <= PROXY_UNIQUE_ID_MAX);
	if (h->version == 1)
		FUZZ_CHECK(!h->has_authority && !h->has_alpn &&
		    !h->has_crc32c && !h->has_unique_id && !h->has_ssl);
}

/* Prefixes: every one up to 40 bytes, then a few chosen from the input. */
static void
check_prefixes(const uint8_t *data, size_t size, int whole,
    const char *whole_why)
{
	uint32_t seed = fuzz_hash(data, size);

	for (int k = 0; k < 48; k++) {
		struct proxy_header h;
		const char *why = NULL;
		size_t n = k < 40 ? (size_t)k :
		    size > 0 ? fuzz_rand(&seed) % size : 0;
		int r;

		if (n >= size)
			continue;
		r = decode_copy(data, n, &h, &why);
		if (whole >= 0 && (size_t)whole > n) {
			FUZZ_CHECK(r == CODEC_NEED_MORE);
		} else if (whole >= 0) {
			FUZZ_CHECK(r == whole);
		} else {
			FUZZ_CHECK(r < 0);
			if (r == CODEC_ERROR && whole == CODEC_ERROR)
				FUZZ_CHECK(why != NULL &&
				    strcmp(why, whole_why) == 0);
		}
	}
}

/* Encode h's addresses in every form; each must decode to them. */
static void
check_reencode(const uint8_t *data, const struct proxy_header *h)
{
	const struct sockaddr *s = (const void *)&h->src;
	const struct sockaddr *d = (const void *)&h->dst;
	struct proxy_v2_tlvs tlvs = { .crc32c = true };
	uint8_t out[PROXY_HEADER_MAX];
	struct proxy_header back;
	const char *why;
	size_t n;

	if (h->command != PROXY_CMD_PROXY || (h->src.ss_family != AF_INET &&
	    h->src.ss_family != AF_INET6))
		return;
	if (h->has_authority) {
		tlvs.authority = h->authority;
		tlvs.authority_len = h->authority_len;
	}
	n = proxy_proto_encode_v1(s, d, out, sizeof(out));
	FUZZ_CHECK(n > 0 && n <= PROXY_V1_MAX);
	FUZZ_CHECK(decode_copy(out, n, &back, &why) == (int)n);
	FUZZ_CHECK(back.version == 1 && back.command == PROXY_CMD_PROXY);
	FUZZ_CHECK(same_addr(&back.src, &h->src));
	FUZZ_CHECK(same_addr(&back.dst, &h->dst));
	/* A v1 TCP4 line has one canonical form: the encoder's. */
	if (h->version == 1 && h->src.ss_family == AF_INET)
		FUZZ_CHECK(n == h->length && memcmp(out, data, n) == 0);

	n = proxy_proto_encode_v2(s, d, NULL, out, sizeof(out));
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(decode_copy(out, n, &back, &why) == (int)n);
	FUZZ_CHECK(same_addr(&back.src, &h->src));
	FUZZ_CHECK(same_addr(&back.dst, &h->dst));
	if (h->version == 2 && h->transport == PROXY_TRANS_STREAM &&
	    h->length == n)
		FUZZ_CHECK(memcmp(out, data, n) == 0);

	n = proxy_proto_encode_v2(s, d, &tlvs, out, sizeof(out));
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(decode_copy(out, n, &back, &why) == (int)n);
	FUZZ_CHECK(back.has_crc32c);
	FUZZ_CHECK(same_addr(&back.src, &h->src));
	FUZZ_CHECK(strcmp(back.authority, h->authority) == 0);
}

/* An address of the family picked by sel, from the input's bytes. */
static const struct sockaddr *
make_addr(struct fuzz_in *in, unsigned sel, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	switch (sel % 4) {
	case 0: {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		for (int i = 0; i < 4; i++)
			((uint8_t *)&s->sin_addr)[i] = fuzz_byte(in);
		s->sin_port = (uint16_t)(fuzz_byte(in) << 8 | fuzz_byte(in));
		return (const struct sockaddr *)ss;
	}
	case 1: {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		for (int i = 0; i < 16; i++)
			s->sin6_addr.s6_addr[i] = fuzz_byte(in);
		s->sin6_port = (uint16_t)(fuzz_byte(in) << 8 | fuzz_byte(in));
		return (const struct sockaddr *)ss;
	}
	case 2:
		((struct sockaddr_un *)ss)->sun_family = AF_UNIX;
		return (const struct sockaddr *)ss;
	default:
		return NULL;
	}
}

static void
check_encode_from_bytes(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t sel = fuzz_byte(&in), alen = fuzz_byte(&in);
	struct sockaddr_storage s, d;
	const struct sockaddr *sp = make_addr(&in, sel, &s);
	const struct sockaddr *dp = make_addr(&in, sel >> 2, &d);
	bool ip = sp != NULL && dp != NULL && (s.ss_family == AF_INET ||
	    s.ss_family == AF_INET6) && (d.ss_family == AF_INET ||
	    d.ss_family == AF_INET6);
	char auth[256];
	struct proxy_v2_tlvs tlvs = { .crc32c = (sel & 0x10) != 0 };
	uint8_t out[PROXY_HEADER_MAX];
	struct proxy_header h;
	const char *why;
	size_t n, outsize = (sel & 0x20) ? sizeof(out) : fuzz_byte(&in);
	bool auth_ok;

	for (size_t i = 0; i < alen; i++)
		auth[i] = (char)fuzz_byte(&in);
	auth[alen] = '\0';
	if (sel & 0x40) {
		tlvs.authority = auth;
		tlvs.authority_len = alen;
	}
	auth_ok = !(sel & 0x40) ||
	    (alen > 0 && memchr(auth, '\0', alen) == NULL);

	n = proxy_proto_encode_v1(sp, dp, out, outsize);
	FUZZ_CHECK(n <= outsize && n <= PROXY_V1_MAX);
	if (n > 0) {
		FUZZ_CHECK(decode_copy(out, n, &h, &why) == (int)n);
		FUZZ_CHECK(h.command == (ip ? PROXY_CMD_PROXY :
		    PROXY_CMD_LOCAL));
		if (ip && s.ss_family == d.ss_family) {
			FUZZ_CHECK(same_addr(&h.src, &s));
			FUZZ_CHECK(same_addr(&h.dst, &d));
		}
	} else {
		FUZZ_CHECK(outsize < 104);
	}
	n = proxy_proto_encode_v2(sp, dp, &tlvs, out, outsize);
	FUZZ_CHECK(n <= outsize);
	if (n > 0) {
		FUZZ_CHECK(auth_ok);
		FUZZ_CHECK(decode_copy(out, n, &h, &why) == (int)n);
		FUZZ_CHECK(h.command == (ip ? PROXY_CMD_PROXY :
		    PROXY_CMD_LOCAL));
		FUZZ_CHECK(h.has_crc32c == tlvs.crc32c);
		if (tlvs.authority != NULL)
			FUZZ_CHECK(h.authority_len == alen &&
			    memcmp(h.authority, auth, alen) == 0);
		if (ip && s.ss_family == d.ss_family) {
			FUZZ_CHECK(same_addr(&h.src, &s));
			FUZZ_CHECK(same_addr(&h.dst, &d));
		}
	} else {
		FUZZ_CHECK(!auth_ok || outsize < 16 + 36 + 7 + 3 + 255);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h;
	const char *why = NULL;
	int r = decode_copy(data, size, &h, &why);

	if (r >= 0) {
		check_header(&h, r, size);
		check_reencode(data, &h);
	} else if (r == CODEC_NEED_MORE) {
		FUZZ_CHECK(size < PROXY_HEADER_MAX);
	} else {
		FUZZ_CHECK(r == CODEC_ERROR && why != NULL && why[0] != '\0');
	}
	check_prefixes(data, size, r, why);
	check_encode_from_bytes(data, size);
	return 0;
}
