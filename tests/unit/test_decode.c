/* test_decode.c -- ws_reader_decode: in-place decoding agrees with the frames sent */
#include "testlib.h"
#include "ws_reader.h"

#define STREAM_MAX (1u << 20)

struct stream {
	uint8_t wire[STREAM_MAX];	/* masked frames as a client sends */
	size_t wire_len;
	uint8_t data[STREAM_MAX];	/* the data payload the backend wants */
	size_t data_len;
	unsigned pings;
	unsigned frames;
};

static void
put_frame(struct stream *st, bool fin, uint8_t op, const uint8_t *p,
    size_t n)
{
	uint8_t *w = st->wire + st->wire_len;
	uint8_t mask[4];
	size_t h = 2;

	for (int i = 0; i < 4; i++)
		mask[i] = (uint8_t)tl_rand();
	w[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	/* Non-minimal lengths are legal from a client: use them at times. */
	if (n < 126 && tl_rand() % 4 != 0) {
		w[1] = (uint8_t)(0x80 | n);
	} else if (n <= 0xffff && tl_rand() % 4 != 0) {
		w[1] = 0x80 | 126;
		w[2] = (uint8_t)(n >> 8);
		w[3] = (uint8_t)n;
		h = 4;
	} else {
		w[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			w[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(w + h, mask, 4);
	h += 4;
	for (size_t i = 0; i < n; i++)
		w[h + i] = p[i] ^ mask[i & 3];
	st->wire_len += h + n;
	st->frames++;
}

/* A random mix of binary messages, fragmented or not, with pings and
 * pongs between fragments. */
static void
make_stream(struct stream *st)
{
	memset(st, 0, sizeof(*st));
	while (st->wire_len < STREAM_MAX - 100000) {
		size_t frags = 1 + tl_rand() % 3;

		for (size_t f = 0; f < frags; f++) {
			size_t n = tl_rand() % 4 == 0 ? tl_rand() % 70000
			    : tl_rand() % 200;
			uint8_t *d = st->data + st->data_len;

			for (size_t i = 0; i < n; i++)
				d[i] = (uint8_t)tl_rand();
			put_frame(st, f + 1 == frags,
			    f == 0 ? WS_OP_BINARY : WS_OP_CONT, d, n);
			st->data_len += n;
			if (tl_rand() % 3 == 0) {
				uint8_t ping[125];
				size_t pn = tl_rand() % 126;

				memset(ping, 'p', pn);
				put_frame(st, true, tl_rand() % 2 ? WS_OP_PING
				    : WS_OP_PONG, ping, pn);
				st->pings++;
			}
		}
	}
}

static struct stream st;
static uint8_t buf[STREAM_MAX + FRAME_MAX_HEADER];
static uint8_t out[STREAM_MAX];

/* Feed the wire in chunks exactly as relay.c does: carried header bytes
 * first, then the new bytes; compare what comes out. */
static void
decode_in_chunks(size_t (*chunk)(void))
{
	struct ws_reader r;
	uint8_t carry[FRAME_MAX_HEADER];
	size_t carry_len = 0, pos = 0, out_len = 0, frames = 0;
	unsigned controls = 0;
	bool failed = false;

	ws_reader_init(&r, 0);
	while (pos < st.wire_len && !failed) {
		size_t n = chunk();
		size_t len;
		uint8_t *p = buf;

		if (n > st.wire_len - pos)
			n = st.wire_len - pos;
		memcpy(buf, carry, carry_len);
		memcpy(buf + carry_len, st.wire + pos, n);
		pos += n;
		len = carry_len + n;
		for (;;) {
			struct ws_decode d;

			ws_reader_decode(&r, p, len, &d);
			CHECK(d.data <= d.consumed);
			frames += d.frames;
			memcpy(out + out_len, p, d.data);
			out_len += d.data;
			p += d.consumed;
			len -= d.consumed;
			if (d.ev == WS_EV_PING || d.ev == WS_EV_PONG) {
				controls++;
				continue;
			}
			if (d.ev == WS_EV_ERROR) {
				fprintf(stderr, "    error %u: %s at %zu\n",
				    d.close_code, r.why, pos);
				failed = true;
				break;
			}
			CHECK(len < FRAME_MAX_HEADER);
			memcpy(carry, p, len);
			carry_len = len;
			break;
		}
	}
	CHECK(!failed);
	CHECK_INT(carry_len, 0);
	CHECK_INT(controls, st.pings);
	CHECK_INT(frames, st.frames);
	CHECK_INT(out_len, st.data_len);
	CHECK(memcmp(out, st.data, st.data_len) == 0);
}

static size_t
chunk_one(void)
{
	return 1;
}

static size_t
chunk_small(void)
{
	return 1 + tl_rand() % 20;
}

static size_t
chunk_random(void)
{
	return 1 + tl_rand() % 131072;
}

static size_t
chunk_all(void)
{
	return STREAM_MAX;
}

static void
test_decode_whole(void)
{
	make_stream(&st);
	decode_in_chunks(chunk_all);
}

static void
test_decode_random_chunks(void)
{
	for (int i = 0; i < 4; i++) {
		make_stream(&st);
		decode_in_chunks(chunk_random);
	}
}

static void
test_decode_small_chunks(void)
{
	make_stream(&st);
	decode_in_chunks(chunk_small);
}

static void
test_decode_byte_by_byte(void)
{
	make_stream(&st);
	decode_in_chunks(chunk_one);
}

/* A close frame stops decoding right after it; data before it is out. */
static void
test_decode_stops_at_close(void)
{
	struct ws_reader r;
	struct ws_decode d;
	size_t before_tail;

	memset(&st, 0, sizeof(st));
	put_frame(&st, true, WS_OP_BINARY, (const uint8_t *)"abc", 3);
	put_frame(&st, true, WS_OP_CLOSE, (const uint8_t *)"\x03\xe8", 2);
	before_tail = st.wire_len;
	put_frame(&st, true, WS_OP_BINARY, (const uint8_t *)"zzz", 3);
	memcpy(buf, st.wire, st.wire_len);
	ws_reader_init(&r, 0);
	ws_reader_decode(&r, buf, st.wire_len, &d);
	CHECK_INT(d.ev, WS_EV_CLOSE);
	CHECK_INT(d.data, 3);
	CHECK_INT(d.messages, 1);
	CHECK_MEM(buf, "abc", 3);
	CHECK_INT(r.peer_close_code, 1000);
	CHECK_INT(d.consumed, before_tail);
}

/* Messages that end are counted (the metrics' messages up), however
 * many frames each took and however many one read holds. */
static void
test_decode_counts_messages(void)
{
	struct ws_reader r;
	struct ws_decode d;

	memset(&st, 0, sizeof(st));
	put_frame(&st, true, WS_OP_TEXT, (const uint8_t *)"a", 1);
	put_frame(&st, false, WS_OP_BINARY, (const uint8_t *)"b", 1);
	put_frame(&st, true, WS_OP_PING, NULL, 0);	/* in between */
	put_frame(&st, false, WS_OP_CONT, (const uint8_t *)"c", 1);
	put_frame(&st, true, WS_OP_CONT, NULL, 0);
	put_frame(&st, true, WS_OP_BINARY, NULL, 0);	/* empty, still one */
	memcpy(buf, st.wire, st.wire_len);
	ws_reader_init(&r, 0);
	ws_reader_decode(&r, buf, st.wire_len, &d);
	CHECK_INT(d.ev, WS_EV_PING);
	CHECK_INT(d.messages, 1);
	ws_reader_decode(&r, buf + d.consumed, st.wire_len - d.consumed, &d);
	CHECK_INT(d.ev, WS_EV_NONE);
	CHECK_INT(d.messages, 2);
	CHECK_INT(d.frames, 3);
}

/* Empty frames carry nothing, but each is counted: the relay's work
 * budget charges them (a flood of them must not be free). */
static void
test_decode_counts_empty_frames(void)
{
	struct ws_reader r;
	struct ws_decode d;

	memset(&st, 0, sizeof(st));
	put_frame(&st, false, WS_OP_BINARY, (const uint8_t *)"x", 1);
	for (int i = 0; i < 1000; i++)
		put_frame(&st, false, WS_OP_CONT, NULL, 0);
	put_frame(&st, true, WS_OP_PONG, NULL, 0);
	memcpy(buf, st.wire, st.wire_len);
	ws_reader_init(&r, 0);
	ws_reader_decode(&r, buf, st.wire_len, &d);
	CHECK_INT(d.ev, WS_EV_PONG);
	CHECK_INT(d.data, 1);
	CHECK_INT(d.frames, 1002);
	CHECK_INT(d.messages, 0);	/* the message goes on */
	CHECK_INT(d.consumed, st.wire_len);
	/* Nothing left: no frame. */
	ws_reader_decode(&r, buf + d.consumed, 0, &d);
	CHECK_INT(d.frames, 0);
	CHECK_INT(d.ev, WS_EV_NONE);
}

/* Errors report the close code and forward nothing after the fault. */
static void
test_decode_error(void)
{
	struct ws_reader r;
	struct ws_decode d;
	const uint8_t bad_utf8[] = { 'o', 'k', 0xc0, 0xaf };

	memset(&st, 0, sizeof(st));
	put_frame(&st, true, WS_OP_BINARY, (const uint8_t *)"abc", 3);
	put_frame(&st, true, WS_OP_TEXT, bad_utf8, sizeof(bad_utf8));
	memcpy(buf, st.wire, st.wire_len);
	ws_reader_init(&r, 0);
	ws_reader_decode(&r, buf, st.wire_len, &d);
	CHECK_INT(d.ev, WS_EV_ERROR);
	CHECK_INT(d.close_code, WS_CLOSE_INVALID_DATA);
	CHECK_INT(d.data, 3);

	/* Message size: judged on the header, before any payload. */
	memset(&st, 0, sizeof(st));
	put_frame(&st, false, WS_OP_BINARY, (const uint8_t *)"0123456789",
	    10);
	put_frame(&st, true, WS_OP_CONT, (const uint8_t *)"0123456789", 10);
	memcpy(buf, st.wire, st.wire_len);
	ws_reader_init(&r, 15);
	ws_reader_decode(&r, buf, st.wire_len, &d);
	CHECK_INT(d.ev, WS_EV_ERROR);
	CHECK_INT(d.close_code, WS_CLOSE_TOO_BIG);
	CHECK_INT(d.data, 10);
}

int
main(void)
{
	RUN(test_decode_whole);
	RUN(test_decode_random_chunks);
	RUN(test_decode_small_chunks);
	RUN(test_decode_byte_by_byte);
	RUN(test_decode_stops_at_close);
	RUN(test_decode_counts_empty_frames);
	RUN(test_decode_counts_messages);
	RUN(test_decode_error);
	return tl_summary("unit/decode");
}
