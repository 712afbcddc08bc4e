/* record.c -- pure: the session recording format (docs/record-format.md): encoder and streaming decoder */
#include "record.h"

#include <string.h>

enum { ST_HEADER, ST_RECORDS, ST_STOPPED, ST_ENDED };

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

void
record_reader_init(struct record_reader *r)
{
	r->state = ST_HEADER;
	r->last_us = 0;
}

bool
record_reader_ended(const struct record_reader *r)
{
	return r->state == ST_ENDED;
}

const char *
record_type_name(enum record_type type)
{
	switch (type) {
	case RECORD_C2B:
		return "c>b";
	case RECORD_B2C:
		return "b>c";
	case RECORD_STOP:
		return "stop";
	case RECORD_END:
		return "end";
	}
	return "?";
}

static int
fail(const char **why, const char *text)
{
	*why = text;
	return CODEC_ERROR;
}

static int
read_header(struct record_reader *r, const uint8_t *p, size_t n,
    struct record_header *h, const char **why)
{
	size_t len, off;
	struct record_str *slot;

	/* Judge the magic as soon as its bytes are there. */
	if (memcmp(p, RECORD_MAGIC, n < RECORD_MAGIC_LEN ? n :
	    RECORD_MAGIC_LEN) != 0)
		return fail(why, "not a wsgate recording (bad magic)");
	if (n < RECORD_HEADER_FIXED)
		return CODEC_NEED_MORE;
	memset(h, 0, sizeof(*h));
	h->version = get16(p + 8);
	if (h->version != RECORD_VERSION)
		return fail(why, "unsupported recording version");
	len = get16(p + 10);
	if (len < RECORD_HEADER_FIXED || len > RECORD_HEADER_MAX)
		return fail(why, "header length out of range");
	if (n < len)
		return CODEC_NEED_MORE;
	h->flags = get32(p + 12);
	h->start_us = get64(p + 16);
	h->length = len;
	for (off = RECORD_HEADER_FIXED; off < len;) {
		uint8_t type;
		size_t flen;

		if (len - off < 3)
			return fail(why, "header field overruns the header");
		type = p[off];
		flen = get16(p + off + 1);
		off += 3;
		if (flen > len - off)
			return fail(why, "header field overruns the header");
		switch (type) {
		case RECORD_F_ROUTE:
			slot = &h->route;
			break;
		case RECORD_F_CLIENT:
			slot = &h->client;
			break;
		case RECORD_F_TARGET:
			slot = &h->target;
			break;
		case RECORD_F_SESSION:
			slot = &h->session;
			break;
		case RECORD_F_PATH:
			slot = &h->path;
			break;
		case RECORD_F_SUBPROTOCOL:
			slot = &h->subprotocol;
			break;
		default:
			slot = NULL;	/* a later minor addition: skip */
			break;
		}
		if (slot != NULL) {
			if (slot->p != NULL)
				return fail(why, "header field repeated");
			if (flen > RECORD_FIELD_MAX ||
			    memchr(p + off, '\0', flen) != NULL)
				return fail(why, "header field too long or "
				    "holds a NUL");
			slot->p = (const char *)p + off;
			slot->n = flen;
		}
		off += flen;
	}
	if (h->route.p == NULL || h->client.p == NULL || h->target.p == NULL)
		return fail(why, "header lacks the route, client or target");
	if (h->route.n == 0 || h->client.n == 0 || h->target.n == 0)
		return fail(why, "header has an empty route, client or target");
	r->state = ST_RECORDS;
	return (int)len;
}

static int
read_chunk(struct record_reader *r, const uint8_t *p, size_t n,
    struct record_chunk *c, const char **why)
{
	size_t len, max;

	if (n < 1)
		return CODEC_NEED_MORE;
	if (r->state == ST_ENDED)
		return fail(why, "data after the end record");
	if (p[0] < RECORD_C2B || p[0] > RECORD_END)
		return fail(why, "unknown record type");
	if (r->state == ST_STOPPED && p[0] != RECORD_END)
		return fail(why, "a record after the stop record other than "
		    "the end");
	if (n < RECORD_HEAD_LEN)
		return CODEC_NEED_MORE;
	c->type = (enum record_type)p[0];
	c->offset_us = get64(p + 1);
	len = get32(p + 9);
	max = c->type <= RECORD_B2C ? RECORD_DATA_MAX : RECORD_TEXT_MAX;
	if (len > max)
		return fail(why, "record longer than the format allows");
	if (c->offset_us < r->last_us)
		return fail(why, "timestamp goes backwards");
	if (n - RECORD_HEAD_LEN < len)
		return CODEC_NEED_MORE;
	c->data = p + RECORD_HEAD_LEN;
	c->len = len;
	r->last_us = c->offset_us;
	if (c->type == RECORD_STOP)
		r->state = ST_STOPPED;
	else if (c->type == RECORD_END)
		r->state = ST_ENDED;
	return (int)(RECORD_HEAD_LEN + len);
}

int
record_read(struct record_reader *r, const uint8_t *p, size_t n,
    struct record_item *item, const char **why)
{
	*why = NULL;
	if (r->state == ST_HEADER) {
		item->kind = RECORD_ITEM_HEADER;
		if (n == 0)
			return CODEC_NEED_MORE;
		return read_header(r, p, n, &item->header, why);
	}
	item->kind = RECORD_ITEM_CHUNK;
	return read_chunk(r, p, n, &item->chunk, why);
}

static size_t
put_field(uint8_t *out, size_t size, size_t off, enum record_field type,
    const struct record_str *s, bool required)
{
	if (off == 0)
		return 0;
	if (s->p == NULL)
		return required ? 0 : off;
	if ((required && s->n == 0) || s->n > RECORD_FIELD_MAX ||
	    memchr(s->p, '\0', s->n) != NULL || size - off < 3 + s->n)
		return 0;
	out[off] = (uint8_t)type;
	put16(out + off + 1, (uint16_t)s->n);
	memcpy(out + off + 3, s->p, s->n);
	return off + 3 + s->n;
}

size_t
record_encode_header(const struct record_header *h, uint8_t *out,
    size_t size)
{
	size_t off;

	if (size < RECORD_HEADER_FIXED)
		return 0;
	if (size > RECORD_HEADER_MAX)
		size = RECORD_HEADER_MAX;
	memcpy(out, RECORD_MAGIC, RECORD_MAGIC_LEN);
	put16(out + 8, RECORD_VERSION);
	put32(out + 12, 0);
	put64(out + 16, h->start_us);
	off = RECORD_HEADER_FIXED;
	off = put_field(out, size, off, RECORD_F_ROUTE, &h->route, true);
	off = put_field(out, size, off, RECORD_F_CLIENT, &h->client, true);
	off = put_field(out, size, off, RECORD_F_TARGET, &h->target, true);
	off = put_field(out, size, off, RECORD_F_SESSION, &h->session, false);
	off = put_field(out, size, off, RECORD_F_PATH, &h->path, false);
	off = put_field(out, size, off, RECORD_F_SUBPROTOCOL, &h->subprotocol,
	    false);
	if (off == 0)
		return 0;
	put16(out + 10, (uint16_t)off);
	return off;
}

size_t
record_encode_head(enum record_type type, uint64_t offset_us, size_t len,
    uint8_t out[RECORD_HEAD_LEN])
{
	size_t max;

	if (type < RECORD_C2B || type > RECORD_END)
		return 0;
	max = type <= RECORD_B2C ? RECORD_DATA_MAX : RECORD_TEXT_MAX;
	if (len > max)
		return 0;
	out[0] = (uint8_t)type;
	put64(out + 1, offset_us);
	put32(out + 9, (uint32_t)len);
	return RECORD_HEAD_LEN;
}
