/* fuzz_frame.c -- libFuzzer target: frame header codec and the streaming ws_reader, fed whole, in pieces and byte by byte */
#include <stdbool.h>
#include <string.h>

#include "frame.h"
#include "utf8.h"
#include "ws_reader.h"

#include "fuzz.h"

/*
 * Input layout:
 *	byte 0		max_message, index into max_table (low 4 bits)
 *	byte 1		bits 0-2: chunk count - 1, bits 3-5: piece count - 1
 *	chunk bytes	bytes delivered per read (c + 1, 255 = 64 KiB)
 *	piece bytes	contiguous pieces a delivery is split into, as an
 *			evbuffer's chains split it (same encoding)
 *	the rest	the client's byte stream
 *
 * The stream is fed to ws_reader three ways (as planned above, whole, and
 * one byte at a time), each exactly as relay_client_input() drives it, and
 * the three must agree: same events, same payload bytes, same close code.
 */

static const uint64_t max_table[16] = {
	0, 1, 2, 3, 5, 8, 16, 64, 125, 126, 127, 1000, 65535, 65536,
	UINT64_MAX >> 1, UINT64_MAX,
};

#define MAX_SIZES 8

struct feed_plan {
	size_t chunk[MAX_SIZES];	/* bytes delivered per read */
	size_t nchunk;
	size_t piece[MAX_SIZES];	/* payload piece sizes */
	size_t npiece;
};

/* Everything a feeding produced, in a form that can be compared. */
struct outcome {
	uint8_t *log;		/* events and their payloads, serialised */
	size_t loglen, logcap;
	uint8_t *frame;		/* payload of the current data frame */
	size_t framelen;
	uint8_t *msg;		/* payload of the current data message */
	size_t msglen;
	size_t pos;		/* stream bytes consumed */
	size_t piece_i;		/* next entry of plan->piece */
	bool failed;
	uint16_t code;		/* close code of the failure */
	const char *why;
	bool closed;
	struct ws_reader r;
};

enum {
	LOG_DATA = 'D',
	LOG_PING = 'P',
	LOG_PONG = 'O',
	LOG_CLOSE = 'C',
};

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void
log_put(struct outcome *o, const void *p, size_t n)
{
	FUZZ_CHECK(o->loglen + n <= o->logcap);
	if (n > 0)
		memcpy(o->log + o->loglen, p, n);
	o->loglen += n;
}

static void
log_u64(struct outcome *o, uint64_t v)
{
	log_put(o, &v, sizeof(v));
}

static void
outcome_init(struct outcome *o, size_t len)
{
	memset(o, 0, sizeof(*o));
	/* An event costs at most 11 bytes plus its payload, and every
	 * frame takes at least 2 stream bytes. */
	o->logcap = 16 + 8 * len;
	o->log = malloc(o->logcap);
	o->frame = malloc(len + 1);
	o->msg = malloc(len + 1);
	FUZZ_CHECK(o->log != NULL && o->frame != NULL && o->msg != NULL);
}

static void
outcome_free(struct outcome *o)
{
	free(o->log);
	free(o->frame);
	free(o->msg);
}

static void
fail(struct outcome *o, uint16_t code, const char *why)
{
	o->failed = true;
	o->code = code;
	o->why = why;
	FUZZ_CHECK(why != NULL);
	FUZZ_CHECK(code == WS_CLOSE_PROTOCOL || code == WS_CLOSE_INVALID_DATA ||
	    code == WS_CLOSE_TOO_BIG);
	/* Only a limit can give 1009, and only a text check 1007. */
	FUZZ_CHECK(code != WS_CLOSE_TOO_BIG || o->r.max_message != 0);
}

/* Unmask and check n payload bytes, in pieces as relay_payload() does. */
static int
feed_payload(struct outcome *o, const uint8_t *src, size_t n,
    const struct feed_plan *plan)
{
	struct ws_reader *r = &o->r;

	while (n > 0) {
		size_t m = min_size(plan->piece[o->piece_i++ % plan->npiece], n);
		uint64_t before = r->done;
		uint8_t *p = fuzz_dup(src, m);
		uint16_t code = 0;

		if (ws_reader_payload(r, p, m, &code) != 0) {
			free(p);
			FUZZ_CHECK(!ws_reader_is_control(r));
			FUZZ_CHECK(r->msg_opcode == WS_OP_TEXT);
			fail(o, code, r->why);
			FUZZ_CHECK(code == WS_CLOSE_INVALID_DATA);
			return -1;
		}
		FUZZ_CHECK(r->done == before + m && r->done <= r->fh.len);
		/* RFC 6455 5.3: octet i is XORed with mask[i mod 4]. */
		for (size_t i = 0; i < m; i++)
			FUZZ_CHECK(p[i] ==
			    (src[i] ^ r->fh.mask[(before + i) & 3]));
		if (ws_reader_is_control(r)) {
			FUZZ_CHECK(r->ctl_len == r->done);
			FUZZ_CHECK(memcmp(r->ctl + before, p, m) == 0);
		} else {
			memcpy(o->frame + o->framelen, p, m);
			o->framelen += m;
			FUZZ_CHECK(r->max_message == 0 ||
			    r->msg_size <= r->max_message);
		}
		free(p);
		src += m;
		n -= m;
	}
	return 0;
}

/* A frame ended: log the event and check what it claims. */
static void
frame_end(struct outcome *o)
{
	struct ws_reader *r = &o->r;
	uint8_t opcode = r->fh.opcode;
	bool fin = r->fh.fin;
	uint16_t code = 0;
	enum ws_reader_event ev = ws_reader_frame_end(r, &code);
	uint8_t tag;

	switch (ev) {
	case WS_EV_ERROR:
		fail(o, code, r->why);
		/* Only a close payload or an unfinished text can fail here. */
		FUZZ_CHECK(opcode == WS_OP_CLOSE || (fin &&
		    r->msg_opcode == WS_OP_TEXT &&
		    code == WS_CLOSE_INVALID_DATA));
		return;
	case WS_EV_NONE:
	case WS_EV_MESSAGE_END:
		FUZZ_CHECK(!frame_is_control(opcode));
		FUZZ_CHECK(o->framelen == r->fh.len);
		tag = LOG_DATA;
		log_put(o, &tag, 1);
		log_put(o, &opcode, 1);
		log_put(o, &fin, 1);
		log_u64(o, o->framelen);
		log_put(o, o->frame, o->framelen);
		memcpy(o->msg + o->msglen, o->frame, o->framelen);
		o->msglen += o->framelen;
		o->framelen = 0;
		FUZZ_CHECK(r->max_message == 0 || o->msglen <= r->max_message);
		FUZZ_CHECK(o->msglen == r->msg_size);
		if (!fin) {
			FUZZ_CHECK(r->msg_open);
			break;
		}
		FUZZ_CHECK(!r->msg_open);
		/* The whole message, checked by the one-shot validator. */
		if (r->msg_opcode == WS_OP_TEXT)
			FUZZ_CHECK(utf8_valid(o->msg, o->msglen));
		o->msglen = 0;
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		FUZZ_CHECK(opcode == (ev == WS_EV_PING ? WS_OP_PING
		    : WS_OP_PONG));
		FUZZ_CHECK(r->ctl_len == r->fh.len &&
		    r->ctl_len <= FRAME_MAX_CONTROL);
		tag = opcode == WS_OP_PING ? LOG_PING : LOG_PONG;
		log_put(o, &tag, 1);
		log_u64(o, r->ctl_len);
		log_put(o, r->ctl, r->ctl_len);
		break;
	case WS_EV_CLOSE:
		FUZZ_CHECK(opcode == WS_OP_CLOSE);
		if (r->ctl_len == 0) {
			FUZZ_CHECK(r->peer_close_code == WS_CLOSE_NO_STATUS);
		} else {
			FUZZ_CHECK(r->ctl_len >= 2);
			FUZZ_CHECK(r->peer_close_code ==
			    (r->ctl[0] << 8 | r->ctl[1]));
			FUZZ_CHECK(frame_close_code_valid(r->peer_close_code));
			FUZZ_CHECK(utf8_valid(r->ctl + 2, r->ctl_len - 2));
		}
		tag = LOG_CLOSE;
		log_put(o, &tag, 1);
		log_put(o, &r->peer_close_code, 2);
		log_u64(o, r->ctl_len);
		log_put(o, r->ctl, r->ctl_len);
		o->closed = true;
		break;
	default:
		FUZZ_CHECK(!"unknown ws_reader event");
	}
}

/* Everything delivered so far is buf[0..end): relay_client_input(). */
static void
process(struct outcome *o, const uint8_t *buf, size_t end,
    const struct feed_plan *plan)
{
	struct ws_reader *r = &o->r;

	while (!o->failed && !o->closed) {
		size_t avail = end - o->pos;

		if (!ws_reader_in_frame(r)) {
			size_t want = min_size(avail, FRAME_MAX_HEADER);
			uint16_t code = 0;
			uint8_t *h;
			int n;

			if (avail == 0)
				return;
			h = fuzz_dup(buf + o->pos, want);
			n = ws_reader_header(r, h, want, &code);
			free(h);
			if (n == CODEC_NEED_MORE) {
				/* 14 bytes always hold a whole header. */
				FUZZ_CHECK(want < FRAME_MAX_HEADER);
				return;
			}
			if (n < 0) {
				fail(o, code, r->why);
				return;
			}
			FUZZ_CHECK(n >= 2 && (size_t)n <= want);
			FUZZ_CHECK(ws_reader_in_frame(r) && r->done == 0);
			FUZZ_CHECK(r->fh.masked && r->fh.rsv == 0);
			FUZZ_CHECK(!ws_reader_is_control(r) ||
			    (r->fh.fin && r->fh.len <= FRAME_MAX_CONTROL));
			FUZZ_CHECK(ws_reader_is_control(r) || r->msg_open);
			o->pos += (size_t)n;
			avail -= (size_t)n;
		}
		if (ws_reader_remaining(r) > 0) {
			size_t n;

			if (avail == 0)
				return;
			n = ws_reader_remaining(r) < avail
			    ? (size_t)ws_reader_remaining(r) : avail;
			if (feed_payload(o, buf + o->pos, n, plan) != 0)
				return;
			o->pos += n;
			if (ws_reader_remaining(r) > 0)
				continue;
		}
		frame_end(o);
	}
}

static void
feed(const uint8_t *stream, size_t len, uint64_t max_message,
    const struct feed_plan *plan, struct outcome *o)
{
	size_t delivered = 0, ci = 0;

	outcome_init(o, len);
	ws_reader_init(&o->r, max_message);
	while (delivered < len && !o->failed && !o->closed) {
		delivered += min_size(plan->chunk[ci++ % plan->nchunk],
		    len - delivered);
		process(o, stream, delivered, plan);
	}
}

/*
 * fine was fed in smaller pieces than coarse (byte by byte).  The events
 * must be the same.  After a UTF-8 failure the finer feeding may have
 * passed on more of the frame (it fails on the bad byte, a coarser one on
 * the whole piece holding it), but never different bytes.
 */
static void
compare(const struct outcome *coarse, const struct outcome *fine)
{
	const struct ws_reader *a = &coarse->r, *b = &fine->r;

	FUZZ_CHECK(coarse->loglen == fine->loglen);
	FUZZ_CHECK(memcmp(coarse->log, fine->log, coarse->loglen) == 0);
	FUZZ_CHECK(coarse->failed == fine->failed);
	FUZZ_CHECK(coarse->closed == fine->closed);
	if (coarse->failed) {
		FUZZ_CHECK(coarse->code == fine->code);
		FUZZ_CHECK(strcmp(coarse->why, fine->why) == 0);
		FUZZ_CHECK(coarse->framelen <= fine->framelen);
		FUZZ_CHECK(memcmp(coarse->frame, fine->frame,
		    coarse->framelen) == 0);
		return;
	}
	FUZZ_CHECK(coarse->pos == fine->pos);
	FUZZ_CHECK(coarse->framelen == fine->framelen);
	FUZZ_CHECK(memcmp(coarse->frame, fine->frame, coarse->framelen) == 0);
	FUZZ_CHECK(coarse->msglen == fine->msglen);
	FUZZ_CHECK(memcmp(coarse->msg, fine->msg, coarse->msglen) == 0);
	FUZZ_CHECK(a->in_frame == b->in_frame);
	FUZZ_CHECK(a->msg_open == b->msg_open);
	FUZZ_CHECK(a->msg_size == b->msg_size);
	FUZZ_CHECK(!a->msg_open || a->msg_opcode == b->msg_opcode);
	FUZZ_CHECK(a->utf8.need == b->utf8.need);
	if (a->in_frame) {
		FUZZ_CHECK(a->done == b->done);
		FUZZ_CHECK(a->fh.len == b->fh.len);
		FUZZ_CHECK(a->fh.opcode == b->fh.opcode);
		FUZZ_CHECK(a->fh.fin == b->fh.fin);
		FUZZ_CHECK(memcmp(a->fh.mask, b->fh.mask, 4) == 0);
		if (frame_is_control(a->fh.opcode)) {
			FUZZ_CHECK(a->ctl_len == b->ctl_len);
			FUZZ_CHECK(memcmp(a->ctl, b->ctl, a->ctl_len) == 0);
		}
	}
}

static int
parse_dup(const uint8_t *p, size_t n, bool require_mask,
    struct frame_header *h, uint16_t *code, const char **why)
{
	uint8_t *c = fuzz_dup(p, n);
	int rc;

	*code = 0xffff;
	*why = NULL;
	rc = frame_parse_header(c, n, require_mask, h, code, why);
	free(c);
	return rc;
}

/* frame_parse_header on every prefix of the first 14 bytes: the answer
 * never changes once given, and agrees with the bytes. */
static void
check_parse_header(const uint8_t *p, size_t len)
{
	struct frame_header first = { 0 };
	int result[2] = { CODEC_NEED_MORE, CODEC_NEED_MORE };

	for (int rm = 0; rm < 2; rm++) {
		int prev = CODEC_NEED_MORE;

		for (size_t l = 0; l <= min_size(len, FRAME_MAX_HEADER); l++) {
			struct frame_header h;
			const char *why;
			uint16_t code;
			int n = parse_dup(p, l, rm, &h, &code, &why);
			size_t need;

			FUZZ_CHECK(n == CODEC_NEED_MORE || n == CODEC_ERROR ||
			    n >= 2);
			if (l < 2)
				FUZZ_CHECK(n == CODEC_NEED_MORE);
			if (prev != CODEC_NEED_MORE)
				FUZZ_CHECK(n == prev);
			if (n == CODEC_ERROR)
				FUZZ_CHECK(code == WS_CLOSE_PROTOCOL &&
				    why != NULL);
			if (n < 0) {
				prev = n;
				continue;
			}
			need = 2 + ((p[1] & 0x7f) == 126 ? 2 : 0) +
			    ((p[1] & 0x7f) == 127 ? 8 : 0) +
			    ((p[1] & 0x80) ? 4 : 0);
			FUZZ_CHECK((size_t)n == need && need <= l);
			FUZZ_CHECK(code == 0);
			FUZZ_CHECK(h.fin == ((p[0] & 0x80) != 0));
			FUZZ_CHECK(h.rsv == 0 && (p[0] & 0x70) == 0);
			FUZZ_CHECK(h.opcode == (p[0] & 0x0f));
			FUZZ_CHECK(h.opcode <= 2 || (h.opcode >= 8 &&
			    h.opcode <= 10));
			FUZZ_CHECK(h.masked == ((p[1] & 0x80) != 0));
			FUZZ_CHECK(!rm || h.masked);
			FUZZ_CHECK((h.len >> 63) == 0);
			FUZZ_CHECK(!frame_is_control(h.opcode) ||
			    (h.fin && h.len <= FRAME_MAX_CONTROL));
			if ((p[1] & 0x7f) < 126)
				FUZZ_CHECK(h.len == (p[1] & 0x7fu));
			if (h.masked)
				FUZZ_CHECK(memcmp(h.mask, p + need - 4, 4) ==
				    0);
			if (prev == CODEC_NEED_MORE && rm == 0)
				first = h;
			if (rm == 1) {
				FUZZ_CHECK(h.len == first.len &&
				    h.opcode == first.opcode &&
				    h.fin == first.fin);
			}
			prev = n;
		}
		result[rm] = prev;
	}
	/* Requiring a mask only ever turns a masked-less header away. */
	if (result[0] > 0)
		FUZZ_CHECK(result[1] == (first.masked ? result[0] :
		    CODEC_ERROR));
	if (result[0] == CODEC_ERROR)
		FUZZ_CHECK(result[1] == CODEC_ERROR);
}

/* frame_write_header, then frame_parse_header: the same header back. */
static void
check_write_header(const uint8_t *p, size_t len)
{
	uint8_t b[10] = { 0 };
	struct frame_header h;
	uint8_t *out;
	const char *why;
	uint16_t code;
	uint64_t flen = 0;
	size_t n, want;
	bool fin;
	uint8_t opcode;
	bool valid;
	int rc;

	memcpy(b, p, min_size(len, sizeof(b)));
	fin = (b[0] & 0x80) != 0;
	opcode = b[0] & 0x0f;
	for (int i = 2; i < 10; i++)
		flen = flen << 8 | b[i];
	/* Make short lengths as likely as long ones. */
	flen = (flen >> (b[1] & 63)) & (UINT64_MAX >> 1);

	out = malloc(FRAME_MAX_HEADER);
	FUZZ_CHECK(out != NULL);
	n = frame_write_header(out, fin, opcode, flen);
	want = flen < 126 ? 2 : flen <= 0xffff ? 4 : 10;
	FUZZ_CHECK(n == want);	/* minimal encoding */

	valid = opcode <= 2 || (opcode >= 8 && opcode <= 10);
	if (frame_is_control(opcode) && (!fin || flen > FRAME_MAX_CONTROL))
		valid = false;
	rc = parse_dup(out, n, false, &h, &code, &why);
	if (valid) {
		FUZZ_CHECK(rc == (int)n);
		FUZZ_CHECK(h.fin == fin && h.opcode == opcode &&
		    h.len == flen && !h.masked && h.rsv == 0);
		FUZZ_CHECK(parse_dup(out, n - 1, false, &h, &code, &why) ==
		    CODEC_NEED_MORE);
		/* A server frame is never masked: a client parse refuses. */
		FUZZ_CHECK(parse_dup(out, n, true, &h, &code, &why) ==
		    CODEC_ERROR);
	} else {
		FUZZ_CHECK(rc == CODEC_ERROR && code == WS_CLOSE_PROTOCOL);
	}
	free(out);
}

/* frame_unmask in one go from any offset equals the byte-wise XOR. */
static void
check_unmask(const uint8_t *p, size_t len)
{
	uint8_t mask[4] = { 0 };
	uint64_t offset;
	uint8_t *buf;
	size_t n;

	if (len < 5)
		return;
	memcpy(mask, p, 4);
	offset = p[4];
	p += 5;
	len -= 5;
	n = min_size(len, 300);
	buf = fuzz_dup(p, n);
	frame_unmask(buf, n, mask, offset);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(buf[i] == (p[i] ^ mask[(offset + i) & 3]));
	free(buf);
}

/* frame_build_close: a well-formed close frame; a valid reason stays
 * valid when cut to fit (RFC 6455 5.5: 125 bytes). */
static void
check_build_close(const uint8_t *p, size_t len)
{
	char reason[256];
	size_t rlen = 0, n, plen;
	uint16_t ccode, peer, code;
	struct frame_header h;
	const char *why;
	uint8_t *out;
	int rc;

	if (len < 2)
		return;
	ccode = (uint16_t)(p[0] << 8 | p[1]);
	for (size_t i = 2; i < len && p[i] != 0 && rlen < sizeof(reason) - 1;
	    i++)
		reason[rlen++] = (char)p[i];
	reason[rlen] = '\0';

	out = malloc(FRAME_MAX_HEADER + FRAME_MAX_CONTROL);
	FUZZ_CHECK(out != NULL);
	n = frame_build_close(out, ccode, rlen > 0 ? reason : NULL);
	rc = parse_dup(out, n, false, &h, &code, &why);
	FUZZ_CHECK(rc == 2 && h.fin && h.opcode == WS_OP_CLOSE);
	plen = n - 2;
	FUZZ_CHECK(h.len == plen && plen >= 2 && plen <= FRAME_MAX_CONTROL);
	FUZZ_CHECK((out[2] << 8 | out[3]) == ccode);
	FUZZ_CHECK(plen - 2 <= rlen);
	FUZZ_CHECK(memcmp(out + 4, reason, plen - 2) == 0);
	if (rlen <= FRAME_MAX_CONTROL - 2)
		FUZZ_CHECK(plen - 2 == rlen);
	if (utf8_valid((const uint8_t *)reason, rlen)) {
		/* The cut backs up over at most 3 continuation bytes. */
		FUZZ_CHECK(plen - 2 + 3 >= min_size(rlen,
		    FRAME_MAX_CONTROL - 2));
		FUZZ_CHECK(utf8_valid(out + 4, plen - 2));
		rc = frame_close_parse(out + 2, plen, &peer, &code);
		FUZZ_CHECK(rc == (frame_close_code_valid(ccode) ? 0 : -1));
		if (rc == 0)
			FUZZ_CHECK(peer == ccode && code == 0);
		else
			FUZZ_CHECK(code == WS_CLOSE_PROTOCOL);
	}
	free(out);
}

/*
 * ws_reader_decode, fed as relay.c feeds it (an incomplete header carried
 * over in front of the next read), must pass on exactly the data payload
 * and the control events of the step-by-step feeding ref.
 */
static void
check_decode(const uint8_t *stream, size_t len, uint64_t max_message,
    const struct feed_plan *plan, const struct outcome *ref)
{
	struct ws_reader r;
	uint8_t *want = malloc(len + 1), *got = malloc(len + 1);
	uint8_t *ctl_want = malloc(16 + 8 * len), *ctl_got = malloc(16 + 8 * len);
	uint8_t *buf = malloc(len + FRAME_MAX_HEADER + 1);
	uint8_t carry[FRAME_MAX_HEADER];
	size_t nwant = 0, ngot = 0, ncw = 0, ncg = 0, carry_len = 0;
	size_t pos = 0, ci = 0, i = 0;
	bool failed = false, closed = false;
	uint16_t code = 0;

	FUZZ_CHECK(want && got && ctl_want && ctl_got && buf);
	/* What ref saw, from its log: data bytes, and control events. */
	while (i < ref->loglen) {
		uint8_t tag = ref->log[i++];
		uint64_t n;

		if (tag == LOG_DATA)
			i += 2;		/* opcode, fin */
		else if (tag == LOG_CLOSE)
			i += 2;		/* code */
		memcpy(&n, ref->log + i, 8);
		i += 8;
		if (tag == LOG_DATA) {
			memcpy(want + nwant, ref->log + i, n);
			nwant += n;
		} else {
			ctl_want[ncw++] = tag;
			memcpy(ctl_want + ncw, ref->log + i, n);
			ncw += n;
		}
		i += n;
	}

	ws_reader_init(&r, max_message);
	while (pos < len && !failed && !closed) {
		size_t n = min_size(plan->chunk[ci++ % plan->nchunk], len - pos);
		uint8_t *p = buf;
		size_t left;

		memcpy(buf, carry, carry_len);
		memcpy(buf + carry_len, stream + pos, n);
		pos += n;
		left = carry_len + n;
		for (;;) {
			struct ws_decode d;

			ws_reader_decode(&r, p, left, &d);
			FUZZ_CHECK(d.data <= d.consumed && d.consumed <= left);
			/* Every frame counted used a byte of this input. */
			FUZZ_CHECK(d.frames <= d.consumed);
			memcpy(got + ngot, p, d.data);
			ngot += d.data;
			p += d.consumed;
			left -= d.consumed;
			if (d.ev == WS_EV_ERROR) {
				failed = true;
				code = d.close_code;
				break;
			}
			if (d.ev == WS_EV_PING || d.ev == WS_EV_PONG ||
			    d.ev == WS_EV_CLOSE) {
				ctl_got[ncg++] = d.ev == WS_EV_PING ? LOG_PING
				    : d.ev == WS_EV_PONG ? LOG_PONG : LOG_CLOSE;
				memcpy(ctl_got + ncg, r.ctl, r.ctl_len);
				ncg += r.ctl_len;
				if (d.ev == WS_EV_CLOSE) {
					closed = true;
					break;
				}
				continue;
			}
			/* Only an incomplete header is left over. */
			FUZZ_CHECK(left < FRAME_MAX_HEADER);
			FUZZ_CHECK(!r.in_frame || r.done < r.fh.len);
			memcpy(carry, p, left);
			carry_len = left;
			break;
		}
	}
	FUZZ_CHECK(failed == ref->failed);
	FUZZ_CHECK(closed == ref->closed);
	FUZZ_CHECK(ncg == ncw && memcmp(ctl_got, ctl_want, ncw) == 0);
	if (failed) {
		FUZZ_CHECK(code == ref->code);
		/* Whole frames before the fault, perhaps part of the next. */
		FUZZ_CHECK(ngot >= nwant && memcmp(got, want, nwant) == 0);
	} else {
		/* Data of a frame still open is passed on as it comes. */
		FUZZ_CHECK(ngot == nwant + ref->framelen);
		FUZZ_CHECK(memcmp(got, want, nwant) == 0);
		FUZZ_CHECK(memcmp(got + nwant, ref->frame, ref->framelen) ==
		    0);
	}
	free(want);
	free(got);
	free(ctl_want);
	free(ctl_got);
	free(buf);
}

static size_t
size_of(uint8_t c)
{
	return c == 255 ? 65536 : (size_t)c + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct feed_plan plan, whole, bytewise;
	struct outcome o_plan, o_whole, o_byte;
	uint64_t max_message;
	uint8_t b1;

	max_message = max_table[fuzz_byte(&in) & 15];
	b1 = fuzz_byte(&in);
	plan.nchunk = (b1 & 7u) + 1;
	plan.npiece = ((b1 >> 3) & 7u) + 1;
	for (size_t i = 0; i < plan.nchunk; i++)
		plan.chunk[i] = size_of(fuzz_byte(&in));
	for (size_t i = 0; i < plan.npiece; i++)
		plan.piece[i] = size_of(fuzz_byte(&in));

	whole.nchunk = whole.npiece = 1;
	whole.chunk[0] = whole.piece[0] = in.n + 1;
	bytewise.nchunk = bytewise.npiece = 1;
	bytewise.chunk[0] = bytewise.piece[0] = 1;

	feed(in.p, in.n, max_message, &plan, &o_plan);
	feed(in.p, in.n, max_message, &whole, &o_whole);
	feed(in.p, in.n, max_message, &bytewise, &o_byte);
	compare(&o_whole, &o_byte);
	compare(&o_plan, &o_byte);
	check_decode(in.p, in.n, max_message, &plan, &o_byte);
	check_decode(in.p, in.n, max_message, &bytewise, &o_byte);
	outcome_free(&o_plan);
	outcome_free(&o_whole);
	outcome_free(&o_byte);

	check_parse_header(in.p, in.n);
	check_write_header(in.p, in.n);
	check_unmask(in.p, in.n);
	check_build_close(in.p, in.n);
	return 0;
}
