/* frame.h -- pure RFC 6455 frame codec: headers, masking, close payloads */
#ifndef WSGATE_FRAME_H
#define WSGATE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* RFC 6455 7.4.1 status codes wsgate sends. */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,	/* never on the wire */
	WS_CLOSE_ABNORMAL = 1006,	/* never on the wire */
	WS_CLOSE_INVALID_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
	WS_CLOSE_TRY_AGAIN = 1013,
};

#define FRAME_MAX_HEADER 14	/* 2 + 8 (length) + 4 (mask) */
#define FRAME_MAX_CONTROL 125	/* RFC 6455 5.5 */

struct frame_header {
	bool fin;
	uint8_t rsv;		/* RSV1-3 as bits 2..0 */
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	uint64_t len;
};

static inline bool
frame_is_control(uint8_t opcode)
{
	return (opcode & 0x8) != 0;
}

/*
 * Parse one frame header from buf.  Returns the header size (2-14) when
 * complete, CODEC_NEED_MORE, or CODEC_ERROR on a protocol violation with
 * *close_code set (codec.h).  Checks what a single header can break: reserved
 * opcodes, RSV bits, control frames over 125 bytes or fragmented, a 64-bit
 * length with the top bit set and, when require_mask, an unmasked frame.
 * Non-minimal length encodings are accepted (RFC 6455 5.2 allows them).
 * *why is a static description of the violation, for logs and the close
 * frame's reason.
 */
int frame_parse_header(const uint8_t *buf, size_t len, bool require_mask,
    struct frame_header *h, uint16_t *close_code, const char **why);

/* Write an unmasked (server) header; returns its size, at most 10. */
size_t frame_write_header(uint8_t *out, bool fin, uint8_t opcode,
    uint64_t len);

/*
 * XOR n bytes in place with the mask, starting offset bytes into the
 * frame's payload (so a payload can be unmasked in any number of pieces).
 */
void frame_unmask(uint8_t *p, size_t n, const uint8_t mask[4],
    uint64_t offset);

/* Close codes a peer may send (RFC 6455 7.4, IANA registry). */
bool frame_close_code_valid(uint16_t code);

/*
 * Validate a received close payload: empty, or a valid code followed by a
 * UTF-8 reason.  *code is WS_CLOSE_NO_STATUS for an empty payload.  Returns
 * 0, or -1 with *close_code 1002 (bad length or code) or 1007 (bad UTF-8).
 */
int frame_close_parse(const uint8_t *p, size_t n, uint16_t *code,
    uint16_t *close_code);

/*
 * Build a whole close frame (header and payload) into out, which must hold
 * FRAME_MAX_HEADER + FRAME_MAX_CONTROL bytes.  The reason is cut to fit
 * without splitting a UTF-8 sequence.  Returns the frame size.
 */
size_t frame_build_close(uint8_t *out, uint16_t code, const char *reason);

#endif
