/* test_frame.c -- unit tests for the RFC 6455 frame codec */
#include "frame.h"
#include "testlib.h"
#include "utf8.h"

static const uint8_t rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Parse expecting success; returns the header size. */
static int
parse_ok(const uint8_t *wire, size_t len, bool require_mask,
    struct frame_header *h)
{
	uint16_t code = 4242;
	const char *why = NULL;
	int n;

	memset(h, 0xa5, sizeof(*h));
	n = frame_parse_header(wire, len, require_mask, h, &code, &why);
	if (n > 0)
		CHECK_INT(code, 0);
	return n;
}

/* Parse expecting a protocol violation; returns the close code. */
static int
parse_err(const uint8_t *wire, size_t len, bool require_mask)
{
	struct frame_header h;
	uint16_t code = 0;
	const char *why = NULL;
	int n = frame_parse_header(wire, len, require_mask, &h, &code, &why);

	if (n != CODEC_ERROR) {
		fprintf(stderr, "    parse returned %d, want CODEC_ERROR (bytes",
		    n);
		for (size_t i = 0; i < len && i < 14; i++)
			fprintf(stderr, " %02X", wire[i]);
		fprintf(stderr, ")\n");
		CHECK_INT(n, CODEC_ERROR);
		return 0;
	}
	CHECK(why != NULL && why[0] != '\0');
	return code;
}

/* RFC 6455 5.7: a single-frame unmasked text message "Hello". */
static void
test_rfc_unmasked_hello(void)
{
	const uint8_t wire[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	struct frame_header h;

	CHECK_INT(parse_ok(wire, sizeof(wire), false, &h), 2);
	CHECK(h.fin);
	CHECK_INT(h.rsv, 0);
	CHECK_INT(h.opcode, WS_OP_TEXT);
	CHECK(!h.masked);
	CHECK_INT(h.len, 5);
	CHECK_MEM(h.mask, "\0\0\0\0", 4);
	CHECK_MEM(wire + 2, "Hello", 5);
}

/* RFC 6455 5.7: a single-frame masked text message "Hello". */
static void
test_rfc_masked_hello(void)
{
	const uint8_t wire[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
		0x9f, 0x4d, 0x51, 0x58 };
	struct frame_header h;
	uint8_t payload[5];

	CHECK_INT(parse_ok(wire, sizeof(wire), true, &h), 6);
	CHECK(h.fin);
	CHECK_INT(h.opcode, WS_OP_TEXT);
	CHECK(h.masked);
	CHECK_INT(h.len, 5);
	CHECK_MEM(h.mask, rfc_mask, 4);
	memcpy(payload, wire + 6, 5);
	frame_unmask(payload, 5, h.mask, 0);
	CHECK_MEM(payload, "Hello", 5);
	/* The same payload unmasked in pieces. */
	memcpy(payload, wire + 6, 5);
	frame_unmask(payload, 2, h.mask, 0);
	frame_unmask(payload + 2, 1, h.mask, 2);
	frame_unmask(payload + 3, 2, h.mask, 3);
	CHECK_MEM(payload, "Hello", 5);
}

/* RFC 6455 5.7: a fragmented unmasked text message "Hel" + "lo". */
static void
test_rfc_fragmented(void)
{
	const uint8_t f1[] = { 0x01, 0x03, 0x48, 0x65, 0x6c };
	const uint8_t f2[] = { 0x80, 0x02, 0x6c, 0x6f };
	struct frame_header h;

	CHECK_INT(parse_ok(f1, sizeof(f1), false, &h), 2);
	CHECK(!h.fin);
	CHECK_INT(h.opcode, WS_OP_TEXT);
	CHECK_INT(h.len, 3);
	CHECK_INT(parse_ok(f2, sizeof(f2), false, &h), 2);
	CHECK(h.fin);
	CHECK_INT(h.opcode, WS_OP_CONT);
	CHECK_INT(h.len, 2);
}

/* RFC 6455 5.7: unmasked ping, masked pong, both "Hello". */
static void
test_rfc_ping_pong(void)
{
	const uint8_t ping[] = { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	const uint8_t pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
		0x9f, 0x4d, 0x51, 0x58 };
	struct frame_header h;
	uint8_t payload[5];
	uint8_t out[FRAME_MAX_HEADER];

	CHECK_INT(parse_ok(ping, sizeof(ping), false, &h), 2);
	CHECK(h.fin);
	CHECK_INT(h.opcode, WS_OP_PING);
	CHECK_INT(h.len, 5);
	CHECK(frame_is_control(h.opcode));
	CHECK_INT(frame_write_header(out, true, WS_OP_PING, 5), 2);
	CHECK_MEM(out, ping, 2);

	CHECK_INT(parse_ok(pong, sizeof(pong), true, &h), 6);
	CHECK_INT(h.opcode, WS_OP_PONG);
	CHECK(h.masked);
	memcpy(payload, pong + 6, 5);
	frame_unmask(payload, 5, h.mask, 0);
	CHECK_MEM(payload, "Hello", 5);
}

/* RFC 6455 5.7: 256 bytes and 64 KiB in one unmasked binary frame. */
static void
test_rfc_long_lengths(void)
{
	const uint8_t w256[] = { 0x82, 0x7e, 0x01, 0x00 };
	const uint8_t w64k[] = { 0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00 };
	struct frame_header h;
	uint8_t out[FRAME_MAX_HEADER];

	CHECK_INT(parse_ok(w256, sizeof(w256), false, &h), 4);
	CHECK_INT(h.opcode, WS_OP_BINARY);
	CHECK_INT(h.len, 256);
	CHECK_INT(frame_write_header(out, true, WS_OP_BINARY, 256), 4);
	CHECK_MEM(out, w256, 4);

	CHECK_INT(parse_ok(w64k, sizeof(w64k), false, &h), 10);
	CHECK_INT(h.len, 65536);
	CHECK_INT(frame_write_header(out, true, WS_OP_BINARY, 65536), 10);
	CHECK_MEM(out, w64k, 10);
}

/* Every length encoding boundary, unmasked and masked. */
static void
test_length_boundaries(void)
{
	static const struct {
		uint64_t len;
		size_t hlen;
	} cases[] = {
		{ 0, 2 }, { 1, 2 }, { 125, 2 },
		{ 126, 4 }, { 127, 4 }, { 65535, 4 },
		{ 65536, 10 }, { 0xffffffffull, 10 }, { 0x100000000ull, 10 },
		{ INT64_MAX, 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t wire[FRAME_MAX_HEADER];
		struct frame_header h;
		size_t n;

		n = frame_write_header(wire, true, WS_OP_BINARY, cases[i].len);
		CHECK_INT(n, cases[i].hlen);
		CHECK_INT(parse_ok(wire, n, false, &h), (int)n);
		CHECK(h.len == cases[i].len);
		CHECK(!h.masked);

		/* The client's form: mask bit and key after the length. */
		wire[1] |= 0x80;
		memcpy(wire + n, rfc_mask, 4);
		CHECK_INT(parse_ok(wire, n + 4, true, &h), (int)n + 4);
		CHECK(h.len == cases[i].len);
		CHECK(h.masked);
		CHECK_MEM(h.mask, rfc_mask, 4);
	}
}

/* RFC 6455 5.2 does not demand the minimal encoding. */
static void
test_non_minimal_lengths(void)
{
	const uint8_t w16[] = { 0x82, 0x7e, 0x00, 0x05 };
	const uint8_t w64[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05 };
	const uint8_t w64z[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct frame_header h;

	CHECK_INT(parse_ok(w16, sizeof(w16), false, &h), 4);
	CHECK_INT(h.len, 5);
	CHECK_INT(parse_ok(w64, sizeof(w64), false, &h), 10);
	CHECK_INT(h.len, 5);
	CHECK_INT(parse_ok(w64z, sizeof(w64z), false, &h), 10);
	CHECK_INT(h.len, 0);
}

static void
test_64bit_top_bit(void)
{
	uint8_t w[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	struct frame_header h;

	CHECK_INT(parse_err(w, sizeof(w), true), WS_CLOSE_PROTOCOL);
	memset(w + 2, 0xff, 8);
	CHECK_INT(parse_err(w, sizeof(w), true), WS_CLOSE_PROTOCOL);
	CHECK_INT(parse_err(w, sizeof(w), false), WS_CLOSE_PROTOCOL);
	w[2] = 0x7f;
	CHECK_INT(parse_ok(w, sizeof(w), true, &h), 14);
	CHECK(h.len == INT64_MAX);
}

static void
test_reserved_opcodes(void)
{
	static const uint8_t ops[] = { 0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd,
		0xe, 0xf };

	for (size_t i = 0; i < sizeof(ops); i++) {
		uint8_t w[] = { (uint8_t)(0x80 | ops[i]), 0x80, 1, 2, 3, 4 };

		CHECK_INT(parse_err(w, sizeof(w), true), WS_CLOSE_PROTOCOL);
		/* Known from the first two bytes already. */
		CHECK_INT(parse_err(w, 2, true), WS_CLOSE_PROTOCOL);
		w[0] &= 0x7f;
		CHECK_INT(parse_err(w, sizeof(w), true), WS_CLOSE_PROTOCOL);
	}
}

static void
test_rsv_bits(void)
{
	static const uint8_t rsv[] = { 0x40, 0x20, 0x10, 0x70, 0x60 };
	static const uint8_t ops[] = { WS_OP_TEXT, WS_OP_BINARY, WS_OP_CONT,
		WS_OP_PING, WS_OP_CLOSE };

	for (size_t i = 0; i < sizeof(rsv); i++) {
		for (size_t j = 0; j < sizeof(ops); j++) {
			uint8_t w[] = { (uint8_t)(0x80 | rsv[i] | ops[j]),
				0x80, 1, 2, 3, 4 };

			CHECK_INT(parse_err(w, sizeof(w), true),
			    WS_CLOSE_PROTOCOL);
			CHECK_INT(parse_err(w, sizeof(w), false),
			    WS_CLOSE_PROTOCOL);
		}
	}
}

/* RFC 6455 5.5: control frames at most 125 bytes and never fragmented. */
static void
test_control_rules(void)
{
	static const uint8_t ops[] = { WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG };

	for (size_t i = 0; i < sizeof(ops); i++) {
		uint8_t w125[] = { (uint8_t)(0x80 | ops[i]), 0x80 | 125, 1, 2,
			3, 4 };
		uint8_t w126[] = { (uint8_t)(0x80 | ops[i]), 0x80 | 126, 0,
			126, 1, 2, 3, 4 };
		uint8_t w16small[] = { (uint8_t)(0x80 | ops[i]), 0x80 | 126, 0,
			5, 1, 2, 3, 4 };
		uint8_t w127[] = { (uint8_t)(0x80 | ops[i]), 0x80 | 127, 0, 0,
			0, 0, 0, 0, 0, 5, 1, 2, 3, 4 };
		uint8_t nofin[] = { ops[i], 0x80, 1, 2, 3, 4 };
		struct frame_header h;

		CHECK_INT(parse_ok(w125, sizeof(w125), true, &h), 6);
		CHECK_INT(h.len, 125);
		CHECK_INT(parse_err(w126, sizeof(w126), true),
		    WS_CLOSE_PROTOCOL);
		/* The length is judged by its value, so a control frame in
		 * a long encoding needs its whole header first ... */
		CHECK_INT(parse_ok(w126, 2, true, &h), CODEC_NEED_MORE);
		/* ... and a short length in a non-minimal encoding passes,
		 * like non-minimal lengths of data frames (issue #3). */
		CHECK_INT(parse_ok(w16small, sizeof(w16small), true, &h), 8);
		CHECK_INT(h.len, 5);
		CHECK_INT(parse_ok(w127, sizeof(w127), true, &h), 14);
		CHECK_INT(h.len, 5);
		CHECK_INT(parse_err(nofin, sizeof(nofin), true),
		    WS_CLOSE_PROTOCOL);
		CHECK_INT(parse_err(nofin, 2, true), WS_CLOSE_PROTOCOL);
		CHECK(frame_is_control(ops[i]));
	}
	CHECK(!frame_is_control(WS_OP_CONT));
	CHECK(!frame_is_control(WS_OP_TEXT));
	CHECK(!frame_is_control(WS_OP_BINARY));
}

/* RFC 6455 5.1: a server MUST close on an unmasked client frame. */
static void
test_unmasked_rejected(void)
{
	const uint8_t frames[][2] = { { 0x81, 0x05 }, { 0x82, 0x00 },
		{ 0x00, 0x7e }, { 0x89, 0x00 }, { 0x88, 0x02 },
		{ 0x8a, 0x7d } };

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		CHECK_INT(parse_err(frames[i], 2, true), WS_CLOSE_PROTOCOL);
}

/* Every proper prefix of a valid header asks for more bytes. */
static void
test_need_more(void)
{
	static const uint8_t hdrs[][FRAME_MAX_HEADER] = {
		{ 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d },
		{ 0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4 },
		{ 0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4 },
		{ 0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  1, 2, 3, 4 },
		{ 0x88, 0x80, 1, 2, 3, 4 },
		{ 0x89, 0xfd, 1, 2, 3, 4 },
	};
	static const size_t lens[] = { 6, 8, 14, 14, 6, 6 };
	static const struct {
		uint8_t b[10];
		size_t n;
	} unmasked[] = {
		{ { 0x81, 0x05 }, 2 },
		{ { 0x82, 0x7e, 0x01, 0x00 }, 4 },
		{ { 0x02, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0 }, 10 },
	};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct frame_header h;

		for (size_t k = 0; k < lens[i]; k++)
			CHECK_INT(parse_ok(hdrs[i], k, true, &h),
			    CODEC_NEED_MORE);
		CHECK_INT(parse_ok(hdrs[i], lens[i], true, &h), (int)lens[i]);
	}
	for (size_t i = 0; i < sizeof(unmasked) / sizeof(unmasked[0]); i++) {
		struct frame_header h;

		for (size_t k = 0; k < unmasked[i].n; k++)
			CHECK_INT(parse_ok(unmasked[i].b, k, false, &h),
			    CODEC_NEED_MORE);
		CHECK_INT(parse_ok(unmasked[i].b, unmasked[i].n, false, &h),
		    (int)unmasked[i].n);
	}
	/* NULL-safe at zero length */
	{
		struct frame_header h;

		CHECK_INT(parse_ok(NULL, 0, true, &h), CODEC_NEED_MORE);
	}
}

/* Random headers written and parsed back, with payload bytes after. */
static void
test_write_parse_round_trip(void)
{
	static const uint8_t data_ops[] = { WS_OP_CONT, WS_OP_TEXT,
		WS_OP_BINARY };
	static const uint8_t ctl_ops[] = { WS_OP_CLOSE, WS_OP_PING,
		WS_OP_PONG };

	for (int i = 0; i < 20000; i++) {
		uint8_t wire[FRAME_MAX_HEADER + 8];
		struct frame_header h;
		bool ctl = tl_rand() % 4 == 0;
		bool fin = ctl || tl_rand() % 2;
		uint8_t op = ctl ? ctl_ops[tl_rand() % 3]
				 : data_ops[tl_rand() % 3];
		uint64_t len;
		size_t n, want;

		switch (ctl ? 0 : tl_rand() % 4) {
		case 0:
			len = tl_rand() % 126;
			break;
		case 1:
			len = 126 + tl_rand() % (65536 - 126);
			break;
		case 2:
			len = 65536 + tl_rand() % 1000000;
			break;
		default:
			len = tl_rand() >> 1;
			break;
		}
		want = len < 126 ? 2 : len < 65536 ? 4 : 10;
		memset(wire, 0xee, sizeof(wire));
		n = frame_write_header(wire, fin, op, len);
		CHECK_INT(n, want);
		CHECK_INT(parse_ok(wire, sizeof(wire), false, &h), (int)n);
		CHECK(h.fin == fin);
		CHECK_INT(h.opcode, op);
		CHECK_INT(h.rsv, 0);
		CHECK(!h.masked);
		CHECK(h.len == len);
		if (tl_check_failures > 0) {
			fprintf(stderr, "    fin %d op %u len %" PRIu64 "\n",
			    fin, op, len);
			return;
		}
	}
}

static void
ref_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(offset + i) % 4];
}

/* The word-at-a-time unmask against a byte loop, at every alignment. */
static void
test_unmask_reference(void)
{
	enum { MAXN = 300 };
	uint8_t *block = malloc(MAXN + 8);
	uint8_t want[MAXN];

	if (block == NULL) {
		CHECK(0);
		return;
	}
	for (int round = 0; round < 20000; round++) {
		size_t n = tl_rand() % (MAXN + 1);
		size_t align = tl_rand() % 8;
		uint64_t offset = tl_rand() % 8;
		uint8_t mask[4];
		uint8_t *p;
		uint64_t r = tl_rand();

		if (round % 16 == 0)
			offset = (tl_rand() >> 1) + offset;	/* far in */
		memcpy(mask, &r, 4);
		/* The data ends at the block end unless we test alignment,
		 * so ASan sees any overrun. */
		p = round % 2 ? block + MAXN + 8 - n : block + align;
		for (size_t i = 0; i < n; i++)
			p[i] = want[i] = (uint8_t)tl_rand();
		ref_unmask(want, n, mask, offset);
		frame_unmask(p, n, mask, offset);
		if (memcmp(p, want, n) != 0) {
			fprintf(stderr, "    n %zu offset %" PRIu64 " align %zu\n",
			    n, offset, align);
			CHECK(0);
			break;
		}
	}
	free(block);
}

/* A payload unmasked in random pieces equals the whole-buffer result. */
static void
test_unmask_pieces(void)
{
	uint8_t a[1000], b[1000];
	const uint8_t mask[4] = { 0x01, 0x80, 0xfe, 0x55 };

	for (int round = 0; round < 2000; round++) {
		size_t n = tl_rand() % sizeof(a), at = 0;

		for (size_t i = 0; i < n; i++)
			a[i] = b[i] = (uint8_t)tl_rand();
		frame_unmask(a, n, mask, 0);
		while (at < n) {
			size_t k = tl_rand() % 70;

			if (k > n - at)
				k = n - at;
			frame_unmask(b + at, k, mask, at);
			at += k;
		}
		if (memcmp(a, b, n) != 0) {
			CHECK(0);
			break;
		}
	}
	/* Masking twice is the identity; zero length touches nothing. */
	memset(a, 'x', 64);
	frame_unmask(a, 64, mask, 3);
	frame_unmask(a, 64, mask, 3);
	frame_unmask(a, 0, mask, 0);
	for (size_t i = 0; i < 64; i++)
		CHECK_INT(a[i], 'x');
}

/* RFC 6455 7.4.1/7.4.2 and the IANA registry. */
static void
test_close_code_table(void)
{
	static const uint16_t valid[] = { 1000, 1001, 1002, 1003, 1007, 1008,
		1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 };
	static const uint16_t invalid[] = { 0, 1, 999, 1004, 1005, 1006,
		1015, 1016, 1100, 2000, 2999, 5000, 65535 };

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		CHECK(frame_close_code_valid(valid[i]));
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (frame_close_code_valid(invalid[i])) {
			fprintf(stderr, "    code %u\n", invalid[i]);
			CHECK(0);
		}
	}
	/* And every code, against the rule written out. */
	for (uint32_t c = 0; c <= 0xffff; c++) {
		bool want = (c >= 1000 && c <= 1003) ||
		    (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);

		if (frame_close_code_valid((uint16_t)c) != want) {
			fprintf(stderr, "    code %u\n", c);
			CHECK(0);
		}
	}
}

static int
close_parse(const char *p, size_t n, uint16_t *code, uint16_t *cc)
{
	*code = 7;
	*cc = 7;
	return frame_close_parse((const uint8_t *)p, n, code, cc);
}

static void
test_close_parse(void)
{
	char big[125];
	uint16_t code, cc;

	CHECK_INT(close_parse("", 0, &code, &cc), 0);
	CHECK_INT(code, WS_CLOSE_NO_STATUS);
	CHECK_INT(close_parse("\x03", 1, &code, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);

	CHECK_INT(close_parse("\x03\xe8", 2, &code, &cc), 0);
	CHECK_INT(code, 1000);
	CHECK_INT(cc, 0);
	CHECK_INT(close_parse("\x0f\xa0" "bye", 5, &code, &cc), 0);
	CHECK_INT(code, 4000);
	CHECK_INT(close_parse("\x03\xe9" "caf\xc3\xa9 \xf0\x9f\x98\x80", 12,
	    &code, &cc), 0);
	CHECK_INT(code, 1001);

	/* Codes nobody may send. */
	CHECK_INT(close_parse("\x00\x00", 2, &code, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);
	CHECK_INT(close_parse("\x03\xe7", 2, &code, &cc), -1);	/* 999 */
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);
	CHECK_INT(close_parse("\x03\xed", 2, &code, &cc), -1);	/* 1005 */
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);
	CHECK_INT(close_parse("\x03\xee", 2, &code, &cc), -1);	/* 1006 */
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);
	CHECK_INT(close_parse("\x03\xf7" "x", 3, &code, &cc), -1); /* 1015 */
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);
	CHECK_INT(close_parse("\x13\x88", 2, &code, &cc), -1);	/* 5000 */
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);
	/* A bad code wins over a bad reason. */
	CHECK_INT(close_parse("\x03\xec\xff", 3, &code, &cc), -1); /* 1004 */
	CHECK_INT(cc, WS_CLOSE_PROTOCOL);

	/* RFC 6455 5.5.1 / 8.1: the reason is UTF-8. */
	CHECK_INT(close_parse("\x03\xe8\xff", 3, &code, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_INVALID_DATA);
	CHECK_INT(close_parse("\x03\xe8" "ok\xe2\x82", 6, &code, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_INVALID_DATA);
	CHECK_INT(close_parse("\x03\xe8\xed\xa0\x80", 5, &code, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_INVALID_DATA);
	CHECK_INT(close_parse("\x03\xe8\xc0\xaf", 4, &code, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_INVALID_DATA);

	/* The longest payload a control frame can carry. */
	memset(big, 'r', sizeof(big));
	big[0] = 0x03;
	big[1] = (char)0xe8;
	CHECK_INT(close_parse(big, sizeof(big), &code, &cc), 0);
	CHECK_INT(code, 1000);
}

/* Check a built close frame: header, code, reason a prefix of want. */
static size_t
check_close_frame(const uint8_t *out, size_t n, uint16_t code,
    const char *reason)
{
	struct frame_header h;
	uint16_t got, cc;
	size_t rlen = reason != NULL ? strlen(reason) : 0;

	CHECK(n >= 4 && n <= 2 + FRAME_MAX_CONTROL);
	CHECK_INT(parse_ok(out, n, false, &h), 2);
	CHECK(h.fin);
	CHECK_INT(h.opcode, WS_OP_CLOSE);
	CHECK_INT(h.len, n - 2);
	CHECK_INT(frame_close_parse(out + 2, n - 2, &got, &cc), 0);
	CHECK_INT(got, code);
	CHECK(n - 4 <= rlen);
	if (rlen > 0)
		CHECK_MEM(out + 4, reason, n - 4);
	return n - 4;
}

static void
test_build_close(void)
{
	uint8_t *out = malloc(FRAME_MAX_HEADER + FRAME_MAX_CONTROL);
	char reason[400];
	size_t n;

	if (out == NULL) {
		CHECK(0);
		return;
	}
	n = frame_build_close(out, 1000, NULL);
	CHECK_INT(n, 4);
	CHECK_MEM(out, "\x88\x02\x03\xe8", 4);
	CHECK_INT(frame_build_close(out, 1001, ""), 4);
	CHECK_MEM(out, "\x88\x02\x03\xe9", 4);
	n = frame_build_close(out, WS_CLOSE_TOO_BIG, "message too big");
	CHECK_INT(check_close_frame(out, n, 1009, "message too big"), 15);
	CHECK_MEM(out, "\x88\x11\x03\xf1", 4);

	/* Exactly 123 bytes of reason fit; one more is cut. */
	memset(reason, 'a', 123);
	reason[123] = '\0';
	n = frame_build_close(out, 1000, reason);
	CHECK_INT(n, 2 + 125);
	CHECK_INT(check_close_frame(out, n, 1000, reason), 123);
	reason[123] = 'b';
	reason[124] = '\0';
	n = frame_build_close(out, 1000, reason);
	CHECK_INT(check_close_frame(out, n, 1000, reason), 123);

	/* Multi-byte characters at every phase of the cut. */
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80" };

	for (size_t c = 0; c < 3; c++) {
		size_t clen = strlen(chars[c]);

		for (size_t lead = 0; lead < 4; lead++) {
			size_t r = 0, got;

			memset(reason, 'x', lead);
			r = lead;
			while (r + clen < sizeof(reason) - 1) {
				memcpy(reason + r, chars[c], clen);
				r += clen;
			}
			reason[r] = '\0';
			n = frame_build_close(out, 1011, reason);
			got = check_close_frame(out, n, 1011, reason);
			CHECK(got <= 123 && got > 123 - clen);
			CHECK((got - lead) % clen == 0);
			CHECK(utf8_valid(out + 4, got));
		}
	}
	free(out);
}

int
main(void)
{
	RUN(test_rfc_unmasked_hello);
	RUN(test_rfc_masked_hello);
	RUN(test_rfc_fragmented);
	RUN(test_rfc_ping_pong);
	RUN(test_rfc_long_lengths);
	RUN(test_length_boundaries);
	RUN(test_non_minimal_lengths);
	RUN(test_64bit_top_bit);
	RUN(test_reserved_opcodes);
	RUN(test_rsv_bits);
	RUN(test_control_rules);
	RUN(test_unmasked_rejected);
	RUN(test_need_more);
	RUN(test_write_parse_round_trip);
	RUN(test_unmask_reference);
	RUN(test_unmask_pieces);
	RUN(test_close_code_table);
	RUN(test_close_parse);
	RUN(test_build_close);
	return tl_summary("unit/frame");
}
