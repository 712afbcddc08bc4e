/* test_record.c -- unit tests for the recording format: golden bytes, round trips fed whole and byte by byte, every decoder error */
#include "record.h"
#include "testlib.h"

static struct record_str
str(const char *s)
{
	struct record_str r = { s, s != NULL ? strlen(s) : 0 };

	return r;
}

static bool
same(struct record_str a, const char *b)
{
	if (b == NULL)
		return a.p == NULL;
	return a.p != NULL && a.n == strlen(b) && memcmp(a.p, b, a.n) == 0;
}

/* The docs/record-format.md example, byte for byte. */
static const uint8_t golden_header[] = {
	0x89, 'W', 'S', 'G', 'R', 'E', 'C', '\n',	/* magic */
	0x00, 0x01,					/* version 1 */
	0x00, 0x3f,					/* header length 63 */
	0x00, 0x00, 0x00, 0x00,				/* flags */
	0x00, 0x06, 0x0d, 0xd7, 0x10, 0x21, 0x20, 0x00,	/* 2024-01-01T00:00:00Z */
	0x01, 0x00, 0x03, 'v', 'n', 'c',		/* route */
	0x02, 0x00, 0x0d, '1', '9', '2', '.', '0', '.', '2', '.', '7', ':',
	'4', '0', '0',					/* client */
	0x03, 0x00, 0x0e, '1', '2', '7', '.', '0', '.', '0', '.', '1', ':',
	'5', '9', '0', '0',				/* target */
};
static const uint8_t golden_c2b[] = {
	0x01,						/* c>b */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xe2, 0x40,	/* +0.123456 s */
	0x00, 0x00, 0x00, 0x03, 'R', 'F', 'B',		/* 3 bytes */
};

static void
test_golden(void)
{
	struct record_header h = { 0 };
	uint8_t out[RECORD_HEADER_MAX], head[RECORD_HEAD_LEN];

	h.start_us = UINT64_C(1704067200000000);
	h.route = str("vnc");
	h.client = str("192.0.2.7:400");
	h.target = str("127.0.0.1:5900");
	CHECK_INT(record_encode_header(&h, out, sizeof(out)),
	    sizeof(golden_header));
	CHECK_MEM(out, golden_header, sizeof(golden_header));
	CHECK_INT(record_encode_head(RECORD_C2B, 123456, 3, head),
	    RECORD_HEAD_LEN);
	CHECK_MEM(head, golden_c2b, RECORD_HEAD_LEN);
}

/* A session: header with every field, data both ways, a stop, the end. */
static size_t
build_session(uint8_t *buf, size_t size)
{
	struct record_header h = { 0 };
	static const struct {
		enum record_type t;
		uint64_t us;
		const char *data;
		size_t len;
	} recs[] = {
		{ RECORD_C2B, 0, "hello", 5 },
		{ RECORD_B2C, 1500, "\0\x01\xff", 3 },
		{ RECORD_B2C, 1500, "", 0 },
		{ RECORD_C2B, 2000000, "world\n", 6 },
		{ RECORD_STOP, 2000001, "record_max_bytes reached", 24 },
		{ RECORD_END, 9000000, "code=1000 by=backend", 20 },
	};
	size_t n;

	h.start_us = 1;
	h.route = str("vnc");
	h.client = str("[2001:db8::7]:40000");
	h.target = str("unix:/run/vnc.sock");
	h.session = str("a1b2c3");
	h.path = str("/websockify?token=x");
	h.subprotocol = str("binary");
	n = record_encode_header(&h, buf, size);
	CHECK(n > RECORD_HEADER_FIXED);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		CHECK_INT(record_encode_head(recs[i].t, recs[i].us, recs[i].len,
		    buf + n), RECORD_HEAD_LEN);
		n += RECORD_HEAD_LEN;
		memcpy(buf + n, recs[i].data, recs[i].len);
		n += recs[i].len;
	}
	return n;
}

/* Decode the whole session; step = how many more bytes each try sees. */
static void
decode_session(const uint8_t *buf, size_t n, size_t step)
{
	struct record_reader r;
	struct record_item it;
	size_t off = 0, avail = 0;
	int items = 0;
	const char *why;

	record_reader_init(&r);
	while (off < n) {
		int rc;
		uint8_t *copy;

		avail = avail + step > n - off ? n - off : avail + step;
		copy = malloc(avail + 1);	/* exact size for ASan */
		if (copy == NULL)
			abort();
		memcpy(copy, buf + off, avail);
		rc = record_read(&r, copy, avail, &it, &why);
		if (rc == CODEC_NEED_MORE) {
			free(copy);
			CHECK(avail < n - off);
			if (avail >= n - off)
				return;
			continue;
		}
		CHECK(rc > 0);
		if (rc <= 0) {
			free(copy);
			return;
		}
		if (items == 0) {
			CHECK_INT(it.kind, RECORD_ITEM_HEADER);
			CHECK_INT(it.header.version, 1);
			CHECK_INT(it.header.start_us, 1);
			CHECK(same(it.header.route, "vnc"));
			CHECK(same(it.header.client, "[2001:db8::7]:40000"));
			CHECK(same(it.header.target, "unix:/run/vnc.sock"));
			CHECK(same(it.header.session, "a1b2c3"));
			CHECK(same(it.header.path, "/websockify?token=x"));
			CHECK(same(it.header.subprotocol, "binary"));
			CHECK_INT(it.header.length, rc);
		} else {
			CHECK_INT(it.kind, RECORD_ITEM_CHUNK);
			CHECK(it.chunk.data == copy + RECORD_HEAD_LEN);
			CHECK_INT(rc, RECORD_HEAD_LEN + it.chunk.len);
		}
		switch (items) {
		case 1:
			CHECK(it.chunk.type == RECORD_C2B && it.chunk.len == 5 &&
			    memcmp(it.chunk.data, "hello", 5) == 0 &&
			    it.chunk.offset_us == 0);
			break;
		case 2:
			CHECK(it.chunk.type == RECORD_B2C && it.chunk.len == 3 &&
			    memcmp(it.chunk.data, "\0\x01\xff", 3) == 0 &&
			    it.chunk.offset_us == 1500);
			break;
		case 3:
			CHECK(it.chunk.type == RECORD_B2C && it.chunk.len == 0);
			break;
		case 4:
			CHECK(it.chunk.type == RECORD_C2B &&
			    it.chunk.offset_us == 2000000);
			break;
		case 5:
			CHECK(it.chunk.type == RECORD_STOP);
			CHECK(!record_reader_ended(&r));
			break;
		case 6:
			CHECK(it.chunk.type == RECORD_END && it.chunk.len == 20);
			CHECK(record_reader_ended(&r));
			break;
		}
		items++;
		off += (size_t)rc;
		avail = 0;
		free(copy);
	}
	CHECK_INT(items, 7);
	CHECK(record_reader_ended(&r));
}

static void
test_round_trip(void)
{
	uint8_t buf[2048];
	size_t n = build_session(buf, sizeof(buf));

	decode_session(buf, n, n);	/* whole */
	decode_session(buf, n, 1);	/* byte by byte */
	decode_session(buf, n, 7);
}

/* Decode a header made of fixed bytes + the given fields; return rc. */
static int
decode_fields(const uint8_t *fields, size_t flen, uint16_t version,
    const char **why)
{
	uint8_t buf[RECORD_HEADER_MAX + 64];
	struct record_reader r;
	struct record_item it;
	size_t len = RECORD_HEADER_FIXED + flen;

	memcpy(buf, golden_header, RECORD_HEADER_FIXED);
	buf[8] = (uint8_t)(version >> 8);
	buf[9] = (uint8_t)version;
	buf[10] = (uint8_t)(len >> 8);
	buf[11] = (uint8_t)len;
	memcpy(buf + RECORD_HEADER_FIXED, fields, flen);
	record_reader_init(&r);
	return record_read(&r, buf, len, &it, why);
}

#define RCT "\x01\x00\x01r\x02\x00\x01" "c\x03\x00\x01t"

static void
check_header_error(const char *fields, size_t flen, const char *want)
{
	const char *why = NULL;
	int rc = decode_fields((const uint8_t *)fields, flen, 1, &why);

	if (rc != CODEC_ERROR || why == NULL || strcmp(why, want) != 0) {
		char b[256];

		snprintf(b, sizeof(b), "rc=%d why=\"%s\", want \"%s\"", rc,
		    why != NULL ? why : "(null)", want);
		tl_fail_at(__FILE__, __LINE__, b);
	}
}

static void
test_header_errors(void)
{
	struct record_reader r;
	struct record_item it;
	const char *why = NULL;
	uint8_t buf[64];

	CHECK_INT(decode_fields((const uint8_t *)RCT, 12, 1, &why), 36);
	/* Unknown field types are skipped. */
	CHECK_INT(decode_fields((const uint8_t *)RCT "\x63\x00\x02zz", 17, 1,
	    &why), 41);
	CHECK_INT(decode_fields((const uint8_t *)RCT, 12, 2, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "unsupported recording version");
	check_header_error("\x01\x00\x01r\x02\x00\x01" "c", 8,
	    "header lacks the route, client or target");
	check_header_error(RCT "\x01\x00\x01r", 16, "header field repeated");
	/* Found by fuzz_record: a required field present but empty. */
	check_header_error("\x01\x00\x00\x02\x00\x01" "c\x03\x00\x01t", 11,
	    "header has an empty route, client or target");
	check_header_error("\x01\x00\x01r\x02\x00\x01" "c\x03\x00\x00", 11,
	    "header has an empty route, client or target");
	check_header_error(RCT "\x04\x00\x05" "ab", 17,
	    "header field overruns the header");
	check_header_error(RCT "\x04\x00", 14,
	    "header field overruns the header");
	check_header_error(RCT "\x04\x00\x03" "a\0b", 18,
	    "header field too long or holds a NUL");

	/* The magic is judged from its first byte. */
	record_reader_init(&r);
	CHECK_INT(record_read(&r, (const uint8_t *)"G", 1, &it, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "not a wsgate recording (bad magic)");
	record_reader_init(&r);
	CHECK_INT(record_read(&r, golden_header, 5, &it, &why),
	    CODEC_NEED_MORE);
	CHECK_INT(record_read(&r, golden_header, 0, &it, &why),
	    CODEC_NEED_MORE);
	/* var VNC_frame_data: a websockify recording is not ours. */
	CHECK_INT(record_read(&r, (const uint8_t *)"var VNC_", 8, &it, &why),
	    CODEC_ERROR);
	/* Header length out of range. */
	memcpy(buf, golden_header, RECORD_HEADER_FIXED);
	buf[10] = 0;
	buf[11] = 23;
	record_reader_init(&r);
	CHECK_INT(record_read(&r, buf, RECORD_HEADER_FIXED, &it, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "header length out of range");
	buf[10] = 0x10;
	buf[11] = 0x01;		/* 4097 */
	record_reader_init(&r);
	CHECK_INT(record_read(&r, buf, RECORD_HEADER_FIXED, &it, &why),
	    CODEC_ERROR);
}

/* A reader positioned after a valid header. */
static void
after_header(struct record_reader *r)
{
	struct record_item it;
	const char *why;

	record_reader_init(r);
	CHECK_INT(record_read(r, golden_header, sizeof(golden_header), &it,
	    &why), sizeof(golden_header));
}

static int
read_head(struct record_reader *r, uint8_t type, uint64_t us, uint32_t len,
    const char **why)
{
	uint8_t b[RECORD_HEAD_LEN + 4] = { type };
	struct record_item it;

	for (int i = 0; i < 8; i++)
		b[1 + i] = (uint8_t)(us >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		b[9 + i] = (uint8_t)(len >> (24 - 8 * i));
	return record_read(r, b, RECORD_HEAD_LEN + (len < 4 ? len : 4), &it,
	    why);
}

static void
test_record_errors(void)
{
	struct record_reader r;
	const char *why;

	after_header(&r);
	CHECK_INT(read_head(&r, 0, 0, 0, &why), CODEC_ERROR);
	CHECK_STR(why, "unknown record type");
	CHECK_INT(read_head(&r, 5, 0, 0, &why), CODEC_ERROR);
	/* Lengths: judged from the head, before the data arrives. */
	CHECK_INT(read_head(&r, RECORD_C2B, 0, RECORD_DATA_MAX + 1, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "record longer than the format allows");
	CHECK_INT(read_head(&r, RECORD_C2B, 0, RECORD_DATA_MAX, &why),
	    CODEC_NEED_MORE);
	CHECK_INT(read_head(&r, RECORD_END, 0, RECORD_TEXT_MAX + 1, &why),
	    CODEC_ERROR);
	CHECK_INT(read_head(&r, RECORD_STOP, 0, RECORD_TEXT_MAX + 1, &why),
	    CODEC_ERROR);
	CHECK_INT(read_head(&r, RECORD_END, 0, RECORD_TEXT_MAX, &why),
	    CODEC_NEED_MORE);
	/* Time never goes back (equal is fine). */
	CHECK_INT(read_head(&r, RECORD_C2B, 500, 2, &why), RECORD_HEAD_LEN + 2);
	CHECK_INT(read_head(&r, RECORD_B2C, 500, 2, &why), RECORD_HEAD_LEN + 2);
	CHECK_INT(read_head(&r, RECORD_B2C, 499, 2, &why), CODEC_ERROR);
	CHECK_STR(why, "timestamp goes backwards");
	/* After a stop, only the end. */
	CHECK_INT(read_head(&r, RECORD_STOP, 600, 2, &why), RECORD_HEAD_LEN + 2);
	CHECK_INT(read_head(&r, RECORD_C2B, 700, 2, &why), CODEC_ERROR);
	CHECK_STR(why, "a record after the stop record other than the end");
	CHECK_INT(read_head(&r, RECORD_STOP, 700, 2, &why), CODEC_ERROR);
	CHECK(!record_reader_ended(&r));
	CHECK_INT(read_head(&r, RECORD_END, 700, 2, &why), RECORD_HEAD_LEN + 2);
	CHECK(record_reader_ended(&r));
	/* After the end, nothing at all. */
	CHECK_INT(read_head(&r, RECORD_END, 800, 0, &why), CODEC_ERROR);
	CHECK_STR(why, "data after the end record");
	CHECK_INT(read_head(&r, 0x77, 800, 0, &why), CODEC_ERROR);
	CHECK_STR(why, "data after the end record");
}

static void
test_encoder_bounds(void)
{
	struct record_header h = { 0 };
	uint8_t out[RECORD_HEADER_MAX + 100], head[RECORD_HEAD_LEN];
	char big[RECORD_FIELD_MAX + 2];

	h.route = str("r");
	h.client = str("c");
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 0);	/* no target */
	h.target = str("");
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 0);	/* empty */
	h.target = str("t");
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 36);
	CHECK_INT(record_encode_header(&h, out, 35), 0);
	CHECK_INT(record_encode_header(&h, out, 10), 0);
	h.session = str("");			/* optional fields may be empty */
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 39);
	h.session.p = "a\0b";
	h.session.n = 3;
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 0);
	memset(big, 'x', sizeof(big));
	h.session.p = big;
	h.session.n = RECORD_FIELD_MAX + 1;
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 0);
	h.session.n = RECORD_FIELD_MAX;
	CHECK_INT(record_encode_header(&h, out, sizeof(out)),
	    36 + 3 + RECORD_FIELD_MAX);
	/* Four fields of the maximum do not fit in one header. */
	h.route = h.client = h.target = h.session;
	CHECK_INT(record_encode_header(&h, out, sizeof(out)), 0);

	CHECK_INT(record_encode_head(RECORD_C2B, 0, RECORD_DATA_MAX, head),
	    RECORD_HEAD_LEN);
	CHECK_INT(record_encode_head(RECORD_C2B, 0, RECORD_DATA_MAX + 1, head),
	    0);
	CHECK_INT(record_encode_head(RECORD_END, 0, RECORD_TEXT_MAX + 1, head),
	    0);
	CHECK_INT(record_encode_head((enum record_type)0, 0, 1, head), 0);
	CHECK_INT(record_encode_head((enum record_type)5, 0, 1, head), 0);
	CHECK_STR(record_type_name(RECORD_C2B), "c>b");
	CHECK_STR(record_type_name(RECORD_B2C), "b>c");
	CHECK_STR(record_type_name(RECORD_STOP), "stop");
	CHECK_STR(record_type_name(RECORD_END), "end");
}

int
main(void)
{
	RUN(test_golden);
	RUN(test_round_trip);
	RUN(test_header_errors);
	RUN(test_record_errors);
	RUN(test_encoder_bounds);
	return tl_summary("unit/record");
}
