/* ws_reader.h -- pure receive-side state machine for client frames and messages */
#ifndef WSGATE_WS_READER_H
#define WSGATE_WS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "utf8.h"

/*
 * The reader sees a client's byte stream as headers and payload pieces fed
 * by the caller, so payload can stream to the backend without the whole
 * frame or message ever being in memory:
 *
 *	ws_reader_header()   -> a frame begins (sequence and size checked)
 *	ws_reader_payload()  -> unmask a piece in place, validate text
 *	ws_reader_frame_end()-> when ws_reader_remaining() is 0: what happened
 *
 * It allocates nothing; control frame payloads (<= 125 bytes) are kept
 * inside the struct.
 */
enum ws_reader_event {
	WS_EV_ERROR = -1,	/* protocol violation, see close_code */
	WS_EV_NONE = 0,		/* a data frame ended, its message goes on */
	WS_EV_MESSAGE_END,	/* the last frame of a data message ended */
	WS_EV_PING,
	WS_EV_PONG,
	WS_EV_CLOSE,
};

struct ws_reader {
	uint64_t max_message;	/* 0 = unlimited */
	/* text_frames = reject: a text message fails with 1003 (RFC 6455
	 * 7.4.1: a type the endpoint cannot accept).  Set after init. */
	bool reject_text;

	bool in_frame;
	struct frame_header fh;
	uint64_t done;		/* payload bytes of this frame seen */

	bool msg_open;		/* a data message is in progress */
	uint8_t msg_opcode;	/* WS_OP_TEXT or WS_OP_BINARY */
	uint64_t msg_size;
	struct utf8_state utf8;

	uint8_t ctl[FRAME_MAX_CONTROL];
	size_t ctl_len;
	uint16_t peer_close_code;	/* after WS_EV_CLOSE */
	const char *why;		/* after an error: static text */
};

void ws_reader_init(struct ws_reader *r, uint64_t max_message);

/* Returns header bytes used, CODEC_NEED_MORE, or CODEC_ERROR with
 * *close_code (codec.h). */
int ws_reader_header(struct ws_reader *r, const uint8_t *buf, size_t len,
    uint16_t *close_code);

static inline bool
ws_reader_in_frame(const struct ws_reader *r)
{
	return r->in_frame;
}

static inline uint64_t
ws_reader_remaining(const struct ws_reader *r)
{
	return r->fh.len - r->done;
}

static inline bool
ws_reader_is_control(const struct ws_reader *r)
{
	return frame_is_control(r->fh.opcode);
}

/* Unmask n <= remaining bytes in place and check them; 0 or -1. */
int ws_reader_payload(struct ws_reader *r, uint8_t *p, size_t n,
    uint16_t *close_code);

/* Call once the frame's payload is complete (remaining == 0). */
enum ws_reader_event ws_reader_frame_end(struct ws_reader *r,
    uint16_t *close_code);

/* What ws_reader_decode() did with a buffer. */
struct ws_decode {
	size_t consumed;	/* input bytes used */
	size_t data;		/* data payload bytes now at buf[0..data) */
	size_t frames;		/* frames that ended, of any kind: what an
				 * empty frame costs, for the caller's
				 * budget */
	size_t messages;	/* data messages that ended */
	enum ws_reader_event ev;	/* why it stopped; WS_EV_NONE: input
					 * used up (up to a partial header) */
	uint16_t close_code;	/* with WS_EV_ERROR */
};

/*
 * Decode frames from buf[0..len) in place: unmask every payload and move
 * data payload bytes to the front, so that buf[0..data) is exactly what
 * the backend must receive, with headers and control payloads squeezed
 * out.  Stops after each control frame (PING, PONG, CLOSE) or error, so
 * the caller can act on it and call again with buf + consumed; otherwise
 * uses all input except a trailing incomplete header (fewer than 14
 * bytes), which the caller keeps and puts in front of the next bytes.
 * Data messages that end (WS_EV_MESSAGE_END) do not stop decoding.
 */
void ws_reader_decode(struct ws_reader *r, uint8_t *buf, size_t len,
    struct ws_decode *d);

#endif
