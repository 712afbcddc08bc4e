/* test_ws_reader.c -- unit tests for the receive-side frame/message state machine */
#include <stdarg.h>

#include "testlib.h"
#include "ws_reader.h"

/* A client byte stream built frame by frame. */
struct stream {
	uint8_t b[200000];
	size_t n;
};

/* Append a header declaring len (payload not added); masked with key. */
static void
put_header(struct stream *s, uint8_t b0, uint64_t len, const uint8_t key[4])
{
	s->b[s->n++] = b0;
	if (len < 126) {
		s->b[s->n++] = (uint8_t)(0x80 | len);
	} else if (len <= 0xffff) {
		s->b[s->n++] = 0x80 | 126;
		s->b[s->n++] = (uint8_t)(len >> 8);
		s->b[s->n++] = (uint8_t)len;
	} else {
		s->b[s->n++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			s->b[s->n++] = (uint8_t)(len >> (8 * i));
	}
	memcpy(s->b + s->n, key, 4);
	s->n += 4;
}

/* Append a whole masked frame, as a browser sends it. */
static void
put_frame(struct stream *s, bool fin, uint8_t op, const void *payload,
    size_t len)
{
	uint64_t r = tl_rand();
	uint8_t key[4];

	memcpy(key, &r, 4);
	put_header(s, (uint8_t)((fin ? 0x80 : 0) | op), len, key);
	for (size_t i = 0; i < len; i++)
		s->b[s->n + i] = ((const uint8_t *)payload)[i] ^ key[i % 4];
	s->n += len;
}

static void
put_str(struct stream *s, bool fin, uint8_t op, const char *payload)
{
	put_frame(s, fin, op, payload, strlen(payload));
}

/* What the reader reported, as text that can be compared. */
struct result {
	char log[8192];
	size_t loglen;
	uint8_t msg[100000];	/* payload of the data message in progress */
	size_t msglen;
	uint16_t close_code;	/* of an error */
	struct ws_reader r;
};

static void
logf_(struct result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_(struct result *res, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (res->loglen >= sizeof(res->log))
		return;
	va_start(ap, fmt);
	n = vsnprintf(res->log + res->loglen, sizeof(res->log) - res->loglen,
	    fmt, ap);
	va_end(ap);
	if (n > 0)
		res->loglen += (size_t)n;
	if (res->loglen >= sizeof(res->log))
		res->loglen = sizeof(res->log) - 1;
}

/* Short payloads verbatim (escaped), long ones as length and FNV-1a. */
static void
log_bytes(struct result *res, const uint8_t *p, size_t n)
{
	if (n > 40) {
		uint32_t h = 2166136261u;

		for (size_t i = 0; i < n; i++)
			h = (h ^ p[i]) * 16777619u;
		logf_(res, "%zu:%08x", n, h);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			logf_(res, "%c", p[i]);
		else
			logf_(res, "\\x%02x", p[i]);
	}
}

/* Returns false when the stream must stop (error or close). */
static bool
frame_end(struct result *res)
{
	struct ws_reader *r = &res->r;
	uint16_t cc = 0;

	switch (ws_reader_frame_end(r, &cc)) {
	case WS_EV_ERROR:
		res->close_code = cc;
		logf_(res, "E%u", cc);
		return false;
	case WS_EV_NONE:
		logf_(res, ".");
		return true;
	case WS_EV_MESSAGE_END:
		logf_(res, "%c[", r->msg_opcode == WS_OP_TEXT ? 'T' : 'B');
		log_bytes(res, res->msg, res->msglen);
		logf_(res, "]");
		res->msglen = 0;
		return true;
	case WS_EV_PING:
		logf_(res, "P[");
		log_bytes(res, r->ctl, r->ctl_len);
		logf_(res, "]");
		return true;
	case WS_EV_PONG:
		logf_(res, "O[");
		log_bytes(res, r->ctl, r->ctl_len);
		logf_(res, "]");
		return true;
	case WS_EV_CLOSE:
		logf_(res, "C%u[", r->peer_close_code);
		if (r->ctl_len > 2)
			log_bytes(res, r->ctl + 2, r->ctl_len - 2);
		logf_(res, "]");
		return false;
	}
	logf_(res, "?");
	return false;
}

/*
 * Feed wire to a reader the way the session does, with the bytes
 * arriving in pieces ending at cuts[] (the last one is n): headers are
 * parsed once complete, payload is passed on as it comes.
 */
static void
drive(const uint8_t *wire, size_t n, const size_t *cuts, size_t ncuts,
    uint64_t max_message, struct result *res)
{
	static uint8_t buf[sizeof(((struct stream *)0)->b)];
	struct ws_reader *r = &res->r;
	size_t pos = 0;

	memcpy(buf, wire, n);	/* payload is unmasked in place */
	res->loglen = 0;
	res->log[0] = '\0';
	res->msglen = 0;
	res->close_code = 0;
	ws_reader_init(r, max_message);
	for (size_t c = 0; c < ncuts; c++) {
		size_t avail = cuts[c];

		for (;;) {
			uint16_t cc = 0;

			if (!ws_reader_in_frame(r)) {
				int k = ws_reader_header(r, buf + pos,
				    avail - pos, &cc);

				if (k == CODEC_NEED_MORE)
					break;
				if (k < 0) {
					res->close_code = cc;
					logf_(res, "E%u", cc);
					return;
				}
				pos += (size_t)k;
			} else {
				size_t take = avail - pos;

				if (take > ws_reader_remaining(r))
					take = (size_t)ws_reader_remaining(r);
				if (take == 0)
					break;
				if (ws_reader_payload(r, buf + pos, take,
				    &cc) != 0) {
					res->close_code = cc;
					logf_(res, "E%u", cc);
					return;
				}
				if (!ws_reader_is_control(r)) {
					if (res->msglen + take <=
					    sizeof(res->msg))
						memcpy(res->msg + res->msglen,
						    buf + pos, take);
					res->msglen += take;
				}
				pos += take;
			}
			if (ws_reader_remaining(r) == 0 && !frame_end(res))
				return;
		}
	}
	if (pos != n || ws_reader_in_frame(r))
		logf_(res, "<incomplete>");
}

static struct result res_whole, res_other;

/* CHECK_STR for the (long) logs, showing where they part. */
#define CHECK_LOG(got, want) check_log_at(__LINE__, (got), (want))

static void
check_log_at(int line, const char *got, const char *want)
{
	size_t i = 0;

	if (strcmp(got, want) == 0)
		return;
	while (got[i] != '\0' && got[i] == want[i])
		i++;
	fprintf(stderr, "    line %d: log differs at %zu:\n"
	    "      got  \"%.300s\"\n      want \"%.300s\"\n", line, i, got,
	    want);
	tl_check_failures++;
}

static void
drive_whole(const struct stream *s, uint64_t max, struct result *res)
{
	size_t cut = s->n;

	drive(s->b, s->n, &cut, 1, max, res);
}

/* Whole, byte by byte and in random pieces must all give `want`. */
static void
check_all_feeds(const struct stream *s, uint64_t max, const char *want,
    int random_rounds)
{
	static size_t cuts[sizeof(((struct stream *)0)->b)];

	drive_whole(s, max, &res_whole);
	CHECK_LOG(res_whole.log, want);
	for (size_t i = 0; i < s->n; i++)
		cuts[i] = i + 1;
	drive(s->b, s->n, cuts, s->n, max, &res_other);
	CHECK_LOG(res_other.log, want);
	for (int round = 0; round < random_rounds; round++) {
		size_t nc = 0, at = 0;

		while (at < s->n) {
			/* mostly small pieces, sometimes big ones */
			at += tl_rand() % 4 == 0 ? tl_rand() % 2000
						 : tl_rand() % 17;
			if (at > s->n)
				at = s->n;
			cuts[nc++] = at;
		}
		cuts[nc++] = s->n;
		drive(s->b, s->n, cuts, nc, max, &res_other);
		if (strcmp(res_other.log, want) != 0) {
			CHECK_LOG(res_other.log, want);
			break;
		}
	}
}

static struct stream st;

static void
test_stream_any_chunking(void)
{
	static uint8_t big[70000], mid[300];
	char want[512];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	for (size_t i = 0; i < sizeof(mid); i++)
		mid[i] = (uint8_t)i;
	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "Hello");
	put_frame(&st, true, WS_OP_BINARY, mid, sizeof(mid));
	put_str(&st, false, WS_OP_TEXT, "Hel");
	put_str(&st, true, WS_OP_PING, "ping!");
	put_str(&st, true, WS_OP_CONT, "lo");
	put_str(&st, true, WS_OP_PONG, "");
	put_str(&st, true, WS_OP_TEXT, "");
	put_frame(&st, true, WS_OP_BINARY, big, sizeof(big));
	put_str(&st, false, WS_OP_BINARY, "");
	put_str(&st, false, WS_OP_CONT, "");
	put_str(&st, true, WS_OP_CONT, "x");
	put_str(&st, false, WS_OP_TEXT, "caf\xc3");
	put_str(&st, true, WS_OP_CONT, "\xa9");
	put_str(&st, true, WS_OP_CLOSE, "\x03\xe8" "bye");
	/* After the close frame the reader is not asked again. */
	put_str(&st, true, WS_OP_TEXT, "ignored");

	/* Take the payload hashes from a whole-buffer run, then hold every
	 * way of feeding to that and to the expected structure. */
	drive_whole(&st, 0, &res_whole);
	{
		const char *a = strstr(res_whole.log, "B[300:");
		const char *b = strstr(res_whole.log, "B[70000:");

		CHECK(a != NULL && b != NULL);
		if (a == NULL || b == NULL)
			return;
		snprintf(want, sizeof(want),
		    "T[Hello]B[300:%.8s].P[ping!]T[Hello]O[]T[]"
		    "B[70000:%.8s]..B[x].T[caf\\xc3\\xa9]C1000[bye]",
		    a + 6, b + 8);
	}
	check_all_feeds(&st, 0, want, 200);
	/* And the payloads themselves. */
	st.n = 0;
	put_frame(&st, true, WS_OP_BINARY, big, sizeof(big));
	drive_whole(&st, 0, &res_whole);
	CHECK_INT(res_whole.msglen, 0);	/* reset at MESSAGE_END */
	{
		size_t cut = st.n - 1;

		drive(st.b, st.n, &cut, 1, 0, &res_other);
		CHECK_INT(res_other.msglen, sizeof(big) - 1);
		CHECK_MEM(res_other.msg, big, sizeof(big) - 1);
		CHECK_LOG(res_other.log, "<incomplete>");
	}
}

/* RFC 6455 5.4: fragmentation rules. */
static void
test_fragmentation_rules(void)
{
	st.n = 0;
	put_str(&st, true, WS_OP_CONT, "x");
	check_all_feeds(&st, 0, "E1002", 10);
	CHECK_INT(res_whole.r.why != NULL, 1);

	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "done");
	put_str(&st, false, WS_OP_CONT, "x");
	check_all_feeds(&st, 0, "T[done]E1002", 10);

	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "a");
	put_str(&st, true, WS_OP_BINARY, "b");
	check_all_feeds(&st, 0, ".E1002", 10);

	st.n = 0;
	put_str(&st, false, WS_OP_BINARY, "a");
	put_str(&st, false, WS_OP_CONT, "b");
	put_str(&st, true, WS_OP_TEXT, "c");
	check_all_feeds(&st, 0, "..E1002", 10);

	/* Control frames between fragments leave the message alone. */
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "one ");
	put_str(&st, true, WS_OP_PING, "p1");
	put_str(&st, true, WS_OP_PONG, "p2");
	put_str(&st, false, WS_OP_CONT, "two ");
	put_str(&st, true, WS_OP_PING, "");
	put_str(&st, true, WS_OP_CONT, "three");
	put_str(&st, true, WS_OP_TEXT, "next");
	check_all_feeds(&st, 0, ".P[p1]O[p2].P[]T[one two three]T[next]", 50);

	/* A close frame in the middle of a message is still a close. */
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "half");
	put_str(&st, true, WS_OP_CLOSE, "\x03\xe9");
	check_all_feeds(&st, 0, ".C1001[]", 10);

	/* Reserved opcodes, RSV bits and unmasked frames, via the reader. */
	st.n = 0;
	put_str(&st, true, 0x3, "");
	check_all_feeds(&st, 0, "E1002", 0);
	st.n = 0;
	put_str(&st, true, WS_OP_TEXT | 0x40, "x");
	check_all_feeds(&st, 0, "E1002", 0);
	st.n = 0;
	put_str(&st, false, WS_OP_PING, "x");
	check_all_feeds(&st, 0, "E1002", 0);
	st.n = 0;
	st.b[st.n++] = 0x81;
	st.b[st.n++] = 0x01;
	st.b[st.n++] = 'x';
	check_all_feeds(&st, 0, "E1002", 0);
}

static void
test_max_message(void)
{
	struct ws_reader r;
	uint16_t cc = 0;
	uint8_t ping[20];

	/* Exactly max over fragments is fine; one more is not. */
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "123456");
	put_str(&st, true, WS_OP_CONT, "7890");
	put_str(&st, true, WS_OP_BINARY, "abcdefghij");
	check_all_feeds(&st, 10, ".T[1234567890]B[abcdefghij]", 20);

	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "123456");
	put_str(&st, true, WS_OP_CONT, "78901");
	check_all_feeds(&st, 10, ".E1009", 20);
	CHECK_INT(res_whole.close_code, WS_CLOSE_TOO_BIG);

	st.n = 0;
	put_str(&st, true, WS_OP_BINARY, "abcdefghijk");
	check_all_feeds(&st, 10, "E1009", 5);

	/* Control frames do not count toward the message. */
	memset(ping, 'p', sizeof(ping));
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "12345");
	put_frame(&st, true, WS_OP_PING, ping, sizeof(ping));
	put_str(&st, true, WS_OP_CONT, "67890");
	check_all_feeds(&st, 10, ".P[pppppppppppppppppppp]T[1234567890]", 20);

	/* The size is judged from the header alone, before any payload. */
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "123456");
	ws_reader_init(&r, 10);
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), 6);
	CHECK_INT(ws_reader_payload(&r, st.b + 6, 6, &cc), 0);
	CHECK_INT(ws_reader_frame_end(&r, &cc), WS_EV_NONE);
	st.n = 0;
	put_header(&st, WS_OP_CONT | 0x80, 5, (const uint8_t *)"kkkk");
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), CODEC_ERROR);
	CHECK_INT(cc, WS_CLOSE_TOO_BIG);
	CHECK(r.why != NULL);
}

/* text_frames = reject: a text message fails with 1003 at its header;
 * binary messages, control frames and continuations of binary pass. */
static void
test_reject_text(void)
{
	struct ws_reader r;
	uint16_t cc = 0;

	st.n = 0;
	put_str(&st, false, WS_OP_BINARY, "ab");
	put_str(&st, true, WS_OP_CONT, "cd");
	put_str(&st, true, WS_OP_TEXT, "no");
	ws_reader_init(&r, 0);
	r.reject_text = true;
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), 6);
	CHECK_INT(ws_reader_payload(&r, st.b + 6, 2, &cc), 0);
	CHECK_INT(ws_reader_frame_end(&r, &cc), WS_EV_NONE);
	CHECK_INT(ws_reader_header(&r, st.b + 8, st.n - 8, &cc), 6);
	CHECK_INT(ws_reader_payload(&r, st.b + 14, 2, &cc), 0);
	CHECK_INT(ws_reader_frame_end(&r, &cc), WS_EV_MESSAGE_END);
	CHECK_INT(ws_reader_header(&r, st.b + 16, st.n - 16, &cc),
	    CODEC_ERROR);
	CHECK_INT(cc, WS_CLOSE_UNSUPPORTED);
	CHECK(r.why != NULL && strstr(r.why, "text_frames") != NULL);

	/* The same stream is fine when text is accepted (built again: the
	 * payload was unmasked in place). */
	st.n = 0;
	put_str(&st, false, WS_OP_BINARY, "ab");
	put_str(&st, true, WS_OP_CONT, "cd");
	put_str(&st, true, WS_OP_TEXT, "no");
	check_all_feeds(&st, 0, ".B[abcd]T[no]", 20);
}

static void
test_huge_declared_length(void)
{
	struct ws_reader r;
	uint16_t cc = 0;

	st.n = 0;
	put_header(&st, 0x82, INT64_MAX, (const uint8_t *)"abcd");
	CHECK_INT(st.n, 14);
	ws_reader_init(&r, 1 << 20);
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), CODEC_ERROR);
	CHECK_INT(cc, WS_CLOSE_TOO_BIG);
	CHECK(!ws_reader_in_frame(&r));

	/* Unlimited: accepted, nothing allocated, all of it to come. */
	ws_reader_init(&r, 0);
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), 14);
	CHECK(ws_reader_in_frame(&r));
	CHECK(ws_reader_remaining(&r) == INT64_MAX);

	/* Same for a continuation claiming the rest of the universe. */
	st.n = 0;
	put_str(&st, false, WS_OP_BINARY, "12345");
	put_header(&st, 0x80, INT64_MAX, (const uint8_t *)"abcd");
	check_all_feeds(&st, UINT64_MAX, ".<incomplete>", 0);
	check_all_feeds(&st, (uint64_t)INT64_MAX + 5, ".<incomplete>", 0);
	check_all_feeds(&st, (uint64_t)INT64_MAX + 4, ".E1009", 0);
	check_all_feeds(&st, 100, ".E1009", 0);

	/* A 64-bit length with the top bit set is a protocol error. */
	st.n = 0;
	put_header(&st, 0x82, UINT64_MAX, (const uint8_t *)"abcd");
	check_all_feeds(&st, 0, "E1002", 0);
}

static void
test_text_utf8(void)
{
	struct ws_reader r;
	uint16_t cc = 0;
	uint8_t p[8];

	/* "€" one byte per fragment, "😀" split 3 + 1. */
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "\xe2");
	put_str(&st, false, WS_OP_CONT, "\x82");
	put_str(&st, true, WS_OP_CONT, "\xac");
	put_str(&st, false, WS_OP_TEXT, "\xf0\x9f\x98");
	put_str(&st, true, WS_OP_PING, "");
	put_str(&st, true, WS_OP_CONT, "\x80!");
	check_all_feeds(&st, 0, "..T[\\xe2\\x82\\xac].P[]T[\\xf0\\x9f\\x98\\x80!]",
	    50);

	/* Invalid UTF-8 fails with 1007, in the piece that holds it. */
	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "ok");
	put_str(&st, true, WS_OP_TEXT, "ab\xff" "cd");
	check_all_feeds(&st, 0, "T[ok]E1007", 20);
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "ab\xc3");
	put_str(&st, true, WS_OP_CONT, "(");
	check_all_feeds(&st, 0, ".E1007", 20);
	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "\xed\xa0\x80");
	check_all_feeds(&st, 0, "E1007", 20);

	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "ab\xff");
	ws_reader_init(&r, 0);
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), 6);
	memcpy(p, st.b + 6, 3);
	CHECK_INT(ws_reader_payload(&r, p, 2, &cc), 0);
	CHECK_MEM(p, "ab", 2);
	CHECK_INT(ws_reader_payload(&r, p + 2, 1, &cc), -1);
	CHECK_INT(cc, WS_CLOSE_INVALID_DATA);
	CHECK(r.why != NULL);

	/* Binary messages are not UTF-8 checked. */
	st.n = 0;
	put_str(&st, true, WS_OP_BINARY, "\xff\xc0");
	put_str(&st, false, WS_OP_BINARY, "\xe2");
	put_str(&st, true, WS_OP_CONT, "");
	check_all_feeds(&st, 0, "B[\\xff\\xc0].B[\\xe2]", 10);

	/* A text message ending inside a sequence: 1007 at its end. */
	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "ab\xe2\x82");
	check_all_feeds(&st, 0, "E1007", 10);
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "ab\xe2");
	put_str(&st, true, WS_OP_CONT, "\x82");
	check_all_feeds(&st, 0, ".E1007", 10);

	st.n = 0;
	put_str(&st, true, WS_OP_TEXT, "\xc3");
	ws_reader_init(&r, 0);
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), 6);
	CHECK_INT(ws_reader_payload(&r, st.b + 6, 1, &cc), 0);
	CHECK_INT(ws_reader_frame_end(&r, &cc), WS_EV_ERROR);
	CHECK_INT(cc, WS_CLOSE_INVALID_DATA);

	/* The UTF-8 state starts afresh with each message. */
	st.n = 0;
	put_str(&st, false, WS_OP_TEXT, "\xc3");
	put_str(&st, true, WS_OP_CONT, "\xa9");
	put_str(&st, true, WS_OP_TEXT, "\xa9");
	check_all_feeds(&st, 0, ".T[\\xc3\\xa9]E1007", 10);
}

static void
test_close_frames(void)
{
	char reason[125];

	st.n = 0;
	put_str(&st, true, WS_OP_CLOSE, "");
	check_all_feeds(&st, 0, "C1005[]", 0);
	CHECK_INT(res_whole.r.peer_close_code, WS_CLOSE_NO_STATUS);

	st.n = 0;
	put_str(&st, true, WS_OP_CLOSE, "\x0f\xa0" "caf\xc3\xa9");
	check_all_feeds(&st, 0, "C4000[caf\\xc3\\xa9]", 5);
	CHECK_INT(res_whole.r.peer_close_code, 4000);
	CHECK_INT(res_whole.r.ctl_len, 7);
	CHECK_MEM(res_whole.r.ctl, "\x0f\xa0" "caf\xc3\xa9", 7);

	st.n = 0;
	put_str(&st, true, WS_OP_CLOSE, "\x03");
	check_all_feeds(&st, 0, "E1002", 0);
	st.n = 0;
	put_str(&st, true, WS_OP_CLOSE, "\x03\xe7");	/* 999 */
	check_all_feeds(&st, 0, "E1002", 0);
	st.n = 0;
	put_str(&st, true, WS_OP_CLOSE, "\x03\xed");	/* 1005 */
	check_all_feeds(&st, 0, "E1002", 0);
	st.n = 0;
	put_str(&st, true, WS_OP_CLOSE, "\x03\xe8" "\xff");
	check_all_feeds(&st, 0, "E1007", 0);
	CHECK(res_whole.r.why != NULL &&
	    strstr(res_whole.r.why, "UTF-8") != NULL);

	/* 2 + 123 bytes: the largest close payload. */
	memset(reason, 'r', sizeof(reason));
	reason[0] = 0x03;
	reason[1] = (char)0xe8;
	st.n = 0;
	put_frame(&st, true, WS_OP_CLOSE, reason, sizeof(reason));
	CHECK_INT(st.n, 2 + 4 + 125);
	drive_whole(&st, 0, &res_whole);
	CHECK(strncmp(res_whole.log, "C1000[123:", 10) == 0);
	CHECK_INT(res_whole.r.ctl_len, 125);
	CHECK_MEM(res_whole.r.ctl, reason, 125);
	{
		static char want[sizeof(res_whole.log)];

		memcpy(want, res_whole.log, sizeof(want));
		check_all_feeds(&st, 0, want, 10);
	}
}

static void
test_ping_payload(void)
{
	uint8_t payload[125];
	struct ws_reader r;
	uint16_t cc = 0;
	size_t at;
	int n;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(255 - i);
	st.n = 0;
	put_frame(&st, true, WS_OP_PING, payload, sizeof(payload));
	ws_reader_init(&r, 16);	/* max_message does not apply */
	n = ws_reader_header(&r, st.b, st.n, &cc);
	CHECK_INT(n, 6);
	CHECK(ws_reader_is_control(&r));
	CHECK_INT(ws_reader_remaining(&r), 125);
	/* In uneven pieces: ctl collects them unmasked. */
	for (at = (size_t)n; at < st.n;) {
		size_t k = 1 + (at % 7);

		if (k > st.n - at)
			k = st.n - at;
		CHECK_INT(ws_reader_payload(&r, st.b + at, k, &cc), 0);
		at += k;
	}
	CHECK_INT(ws_reader_remaining(&r), 0);
	CHECK_INT(ws_reader_frame_end(&r, &cc), WS_EV_PING);
	CHECK_INT(r.ctl_len, 125);
	CHECK_MEM(r.ctl, payload, 125);
	CHECK(!ws_reader_in_frame(&r));

	/* The next control frame starts with an empty ctl. */
	st.n = 0;
	put_str(&st, true, WS_OP_PONG, "");
	CHECK_INT(ws_reader_header(&r, st.b, st.n, &cc), 6);
	CHECK_INT(ws_reader_frame_end(&r, &cc), WS_EV_PONG);
	CHECK_INT(r.ctl_len, 0);
}

/* Many random well-formed conversations, fed three ways. */
static void
test_random_conversations(void)
{
	for (int round = 0; round < 60; round++) {
		bool open = false;

		st.n = 0;
		for (int f = 0; f < 30; f++) {
			uint8_t payload[600];
			size_t len = tl_rand() % 4 == 0 ? tl_rand() % 600
							: tl_rand() % 20;
			unsigned kind = (unsigned)(tl_rand() % 4);
			uint8_t op;
			bool fin;

			for (size_t i = 0; i < len; i++)
				payload[i] = (uint8_t)('a' + tl_rand() % 26);
			if (kind == 0) {
				op = (uint8_t)(WS_OP_PING + tl_rand() % 2);
				fin = true;
				if (len > 125)
					len = 125;
			} else {
				op = open ? WS_OP_CONT
					  : (uint8_t)(WS_OP_TEXT +
					      tl_rand() % 2);
				fin = tl_rand() % 2;
				open = !fin;
			}
			put_frame(&st, fin, op, payload, len);
		}
		drive_whole(&st, 0, &res_whole);
		CHECK(strchr(res_whole.log, 'E') == NULL);
		{
			char want[sizeof(res_whole.log)];

			memcpy(want, res_whole.log, sizeof(want));
			check_all_feeds(&st, 0, want, 5);
		}
		if (tl_check_failures)
			break;
	}
}

/* Garbage too: whatever the bytes, every way of feeding agrees. */
static void
test_random_garbage(void)
{
	static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x08, 0x09,
		0x0a, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0x7e, 0x7f, 0xfe,
		0xff, 0xc3, 0xe2, 0xed, 0xf0 };

	for (int round = 0; round < 300; round++) {
		static char want[sizeof(res_whole.log)];
		int nframes = 1 + (int)(tl_rand() % 6);

		st.n = 0;
		for (int f = 0; f < nframes; f++) {
			uint8_t payload[200];
			size_t len = tl_rand() % sizeof(payload);
			uint8_t op = (uint8_t)(tl_rand() % 3 == 0
			    ? tl_rand() % 16 : WS_OP_TEXT);

			for (size_t i = 0; i < len; i++)
				payload[i] = (uint8_t)('a' + tl_rand() % 26);
			put_frame(&st, tl_rand() % 2, op, payload, len);
		}
		/* Flip a few bytes, headers included. */
		for (int k = (int)(tl_rand() % 4); k > 0; k--) {
			size_t at = tl_rand() % st.n;

			st.b[at] = tl_rand() % 2
			    ? interesting[tl_rand() % sizeof(interesting)]
			    : (uint8_t)tl_rand();
		}
		drive_whole(&st, tl_rand() % 2 ? 0 : 300, &res_whole);
		memcpy(want, res_whole.log, sizeof(want));
		check_all_feeds(&st, res_whole.r.max_message, want, 3);
		if (tl_check_failures)
			break;
	}
}

int
main(void)
{
	RUN(test_stream_any_chunking);
	RUN(test_fragmentation_rules);
	RUN(test_max_message);
	RUN(test_huge_declared_length);
	RUN(test_reject_text);
	RUN(test_text_utf8);
	RUN(test_close_frames);
	RUN(test_ping_payload);
	RUN(test_random_conversations);
	RUN(test_random_garbage);
	return tl_summary("unit/ws_reader");
}
