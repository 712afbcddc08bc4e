/* ws_reader.c -- pure receive-side state machine for client frames and messages */
#include "ws_reader.h"

#include <string.h>

void
ws_reader_init(struct ws_reader *r, uint64_t max_message)
{
	memset(r, 0, sizeof(*r));
	r->max_message = max_message;
}

int
ws_reader_header(struct ws_reader *r, const uint8_t *buf, size_t len,
    uint16_t *close_code)
{
	struct frame_header fh;
	int n;

	n = frame_parse_header(buf, len, true, &fh, close_code, &r->why);
	if (n < 0)
		return n;

	*close_code = WS_CLOSE_PROTOCOL;
	if (!frame_is_control(fh.opcode)) {
		/* RFC 6455 5.4: continuation only inside a message, and no
		 * new message until the current one has ended. */
		if (fh.opcode == WS_OP_CONT && !r->msg_open) {
			r->why = "continuation frame without a message";
			return CODEC_ERROR;
		}
		if (fh.opcode != WS_OP_CONT && r->msg_open) {
			r->why = "new message inside a fragmented message";
			return CODEC_ERROR;
		}
		if (fh.opcode == WS_OP_TEXT && r->reject_text) {
			r->why = "text message on a route with text_frames = "
			    "reject";
			*close_code = WS_CLOSE_UNSUPPORTED;
			return CODEC_ERROR;
		}
		if (fh.opcode != WS_OP_CONT) {
			r->msg_open = true;
			r->msg_opcode = fh.opcode;
			r->msg_size = 0;
			memset(&r->utf8, 0, sizeof(r->utf8));
		}
		/* Judge the declared length now: a header claiming 2^63
		 * bytes costs nothing and allocates nothing. */
		if (r->max_message != 0 &&
		    fh.len > r->max_message - r->msg_size) {
			r->why = "message larger than max_message_size";
			*close_code = WS_CLOSE_TOO_BIG;
			return CODEC_ERROR;
		}
	} else {
		r->ctl_len = 0;
	}
	r->fh = fh;
	r->done = 0;
	r->in_frame = true;
	*close_code = 0;
	return n;
}

int
ws_reader_payload(struct ws_reader *r, uint8_t *p, size_t n,
    uint16_t *close_code)
{
	frame_unmask(p, n, r->fh.mask, r->done);
	r->done += n;
	if (frame_is_control(r->fh.opcode)) {
		memcpy(r->ctl + r->ctl_len, p, n);
		r->ctl_len += n;
		return 0;
	}
	r->msg_size += n;
	/* RFC 6455 8.1: fail as soon as the text cannot be valid UTF-8. */
	if (r->msg_opcode == WS_OP_TEXT && utf8_feed(&r->utf8, p, n) != 0) {
		r->why = "invalid UTF-8 in text message";
		*close_code = WS_CLOSE_INVALID_DATA;
		return -1;
	}
	return 0;
}

enum ws_reader_event
ws_reader_frame_end(struct ws_reader *r, uint16_t *close_code)
{
	r->in_frame = false;
	switch (r->fh.opcode) {
	case WS_OP_PING:
		return WS_EV_PING;
	case WS_OP_PONG:
		return WS_EV_PONG;
	case WS_OP_CLOSE:
		if (frame_close_parse(r->ctl, r->ctl_len, &r->peer_close_code,
		    close_code) != 0) {
			r->why = *close_code == WS_CLOSE_INVALID_DATA
			    ? "invalid UTF-8 in close reason"
			    : "invalid close code or payload";
			return WS_EV_ERROR;
		}
		return WS_EV_CLOSE;
	default:
		break;
	}
	if (!r->fh.fin)
		return WS_EV_NONE;
	r->msg_open = false;
	if (r->msg_opcode == WS_OP_TEXT && !utf8_complete(&r->utf8)) {
		r->why = "text message ends inside a UTF-8 sequence";
		*close_code = WS_CLOSE_INVALID_DATA;
		return WS_EV_ERROR;
	}
	return WS_EV_MESSAGE_END;
}

void
ws_reader_decode(struct ws_reader *r, uint8_t *buf, size_t len,
    struct ws_decode *d)
{
	size_t in = 0, out = 0;

	d->ev = WS_EV_NONE;
	d->close_code = 0;
	d->frames = 0;
	d->messages = 0;
	while (in < len) {
		enum ws_reader_event ev;

		if (!r->in_frame) {
			int n = ws_reader_header(r, buf + in, len - in,
			    &d->close_code);

			if (n == CODEC_NEED_MORE)
				break;		/* incomplete header */
			if (n < 0) {
				d->ev = WS_EV_ERROR;
				break;
			}
			in += (size_t)n;
		}
		if (ws_reader_remaining(r) > 0) {
			uint64_t rem = ws_reader_remaining(r);
			size_t n = rem < len - in ? (size_t)rem : len - in;

			if (ws_reader_payload(r, buf + in, n,
			    &d->close_code) != 0) {
				d->ev = WS_EV_ERROR;
				break;
			}
			if (!frame_is_control(r->fh.opcode)) {
				/* Squeeze out the headers before it. */
				if (out != in)
					memmove(buf + out, buf + in, n);
				out += n;
			}
			in += n;
			if (ws_reader_remaining(r) > 0)
				break;		/* input used up mid-frame */
		}
		ev = ws_reader_frame_end(r, &d->close_code);
		d->frames++;
		if (ev == WS_EV_MESSAGE_END)
			d->messages++;
		if (ev != WS_EV_NONE && ev != WS_EV_MESSAGE_END) {
			d->ev = ev;
			break;
		}
	}
	d->consumed = in;
	d->data = out;
}
