/* frame.c -- pure RFC 6455 frame codec: headers, masking, close payloads */
#include "frame.h"

#include <string.h>

#include "unmask.h"
#include "utf8.h"

int
frame_parse_header(const uint8_t *buf, size_t len, bool require_mask,
    struct frame_header *h, uint16_t *close_code, const char **why)
{
	size_t need = 2;
	uint8_t len7;

	if (len < 2)
		return CODEC_NEED_MORE;
	h->fin = (buf[0] & 0x80) != 0;
	h->rsv = (buf[0] >> 4) & 0x7;
	h->opcode = buf[0] & 0x0f;
	h->masked = (buf[1] & 0x80) != 0;
	len7 = buf[1] & 0x7f;

	*close_code = WS_CLOSE_PROTOCOL;
	/* RFC 6455 5.2: RSV bits only with a negotiated extension (none). */
	if (h->rsv != 0) {
		*why = "reserved bits set without an extension";
		return CODEC_ERROR;
	}
	switch (h->opcode) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		/* RFC 6455 5.5: control frames <= 125 bytes, never fragmented */
		if (!h->fin) {
			*why = "fragmented control frame";
			return CODEC_ERROR;
		}
		break;
	default:
		*why = "reserved opcode";	/* RFC 6455 5.2 */
		return CODEC_ERROR;
	}
	/* RFC 6455 5.1: a server MUST close on an unmasked client frame. */
	if (require_mask && !h->masked) {
		*why = "unmasked client frame";
		return CODEC_ERROR;
	}

	if (len7 == 126)
		need += 2;
	else if (len7 == 127)
		need += 8;
	if (h->masked)
		need += 4;
	if (len < need)
		return CODEC_NEED_MORE;

	if (len7 == 126) {
		h->len = (uint64_t)buf[2] << 8 | buf[3];
	} else if (len7 == 127) {
		/* RFC 6455 5.2: the most significant bit MUST be 0. */
		if (buf[2] & 0x80) {
			*why = "64-bit length with the top bit set";
			return CODEC_ERROR;
		}
		h->len = 0;
		for (int i = 0; i < 8; i++)
			h->len = h->len << 8 | buf[2 + i];
	} else {
		h->len = len7;
	}
	/* Judged on the value, so a non-minimal encoding of a short
	 * length passes like any other. */
	if (frame_is_control(h->opcode) && h->len > FRAME_MAX_CONTROL) {
		*why = "control frame longer than 125 bytes";
		return CODEC_ERROR;
	}
	if (h->masked)
		memcpy(h->mask, buf + need - 4, 4);
	else
		memset(h->mask, 0, 4);
	*close_code = 0;
	return (int)need;
}

size_t
frame_write_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len)
{
	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

void
frame_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
	unmask(p, n, mask, (unsigned)(offset & 3));
}

bool
frame_close_code_valid(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return true;	/* registered (3xxx) and private (4xxx) use */
	switch (code) {
	case 1000: case 1001: case 1002: case 1003:
	case 1007: case 1008: case 1009: case 1010: case 1011:
	case 1012: case 1013: case 1014:
		return true;
	default:
		return false;
	}
}

int
frame_close_parse(const uint8_t *p, size_t n, uint16_t *code,
    uint16_t *close_code)
{
	*close_code = WS_CLOSE_PROTOCOL;
	if (n == 0) {
		*code = WS_CLOSE_NO_STATUS;
		return 0;
	}
	if (n == 1)
		return -1;	/* RFC 6455 5.5.1: a code is two bytes */
	*code = (uint16_t)(p[0] << 8 | p[1]);
	if (!frame_close_code_valid(*code))
		return -1;
	if (!utf8_valid(p + 2, n - 2)) {
		*close_code = WS_CLOSE_INVALID_DATA;
		return -1;
	}
	*close_code = 0;
	return 0;
}

size_t
frame_build_close(uint8_t *out, uint16_t code, const char *reason)
{
	size_t rlen = reason != NULL ? strlen(reason) : 0;
	size_t hlen;

	if (rlen > FRAME_MAX_CONTROL - 2) {
		rlen = FRAME_MAX_CONTROL - 2;
		/* Back up over continuation bytes to a code point start. */
		while (rlen > 0 && ((uint8_t)reason[rlen] & 0xc0) == 0x80)
			rlen--;
	}
	hlen = frame_write_header(out, true, WS_OP_CLOSE, 2 + rlen);
	out[hlen] = (uint8_t)(code >> 8);
	out[hlen + 1] = (uint8_t)code;
	if (rlen > 0)
		memcpy(out + hlen + 2, reason, rlen);
	return hlen + 2 + rlen;
}
