/* record.h -- pure: the session recording format (docs/record-format.md): encoder and streaming decoder */
#ifndef WSGATE_RECORD_H
#define WSGATE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/*
 * A recording is one file per session: a header (who, where, when), then
 * records of the bytes relayed each way with a timestamp, and an end
 * record.  The byte layout is specified in docs/record-format.md; this
 * module is its only implementation in C (tools/wsgate_record.c reads
 * with it, the gateway writes with it (recorder.c), and the integration test
 * writes the format independently in Python).
 *
 * Encoding: record_encode_header() writes a header into the caller's
 * buffer; record_encode_head() writes the 13 bytes in front of a
 * record's data, which the writer follows with the data itself (straight
 * from the relay's buffers, never copied into one piece).
 *
 * Decoding: record_read() takes the bytes of a file from the start, one
 * whole item per call (the header, then one record with its data), and
 * follows the codec.h convention: bytes consumed, CODEC_NEED_MORE (the
 * buffer ends inside the item: read more and call again with the same
 * bytes in front), or CODEC_ERROR with *why.  The item points into the
 * caller's buffer.  A reader holds at most RECORD_HEADER_MAX or
 * RECORD_HEAD_LEN + RECORD_DATA_MAX bytes for any item.  The decoder
 * checks everything the spec says: magic, version, lengths, required and
 * repeated header fields, record types, timestamps that never go back,
 * nothing after the end record, nothing but the end after a stop.
 *
 * Nothing is allocated; nothing logs.
 */
#define RECORD_MAGIC "\x89WSGREC\n"
#define RECORD_MAGIC_LEN 8
#define RECORD_VERSION 1
#define RECORD_HEADER_FIXED 24		/* magic .. start time */
#define RECORD_HEADER_MAX 4096
#define RECORD_FIELD_MAX 1024		/* one header field's value */
#define RECORD_HEAD_LEN 13		/* type, time offset, length */
#define RECORD_DATA_MAX (1024 * 1024)	/* one data record */
#define RECORD_TEXT_MAX 1024		/* a stop or end record's text */

/* Header fields (type byte).  Unknown types are skipped by readers. */
enum record_field {
	RECORD_F_ROUTE = 1,	/* route name (required) */
	RECORD_F_CLIENT = 2,	/* client address "ip:port", "[v6]:port" (required) */
	RECORD_F_TARGET = 3,	/* backend "host:port" or "unix:/path" (required) */
	RECORD_F_SESSION = 4,	/* the session id in the logs */
	RECORD_F_PATH = 5,	/* the request path */
	RECORD_F_SUBPROTOCOL = 6,	/* the subprotocol selected */
};

enum record_type {
	RECORD_C2B = 1,		/* client -> backend bytes */
	RECORD_B2C = 2,		/* backend -> client bytes */
	RECORD_STOP = 3,	/* recording stopped early (text: why) */
	RECORD_END = 4,		/* the session ended (text: how) */
};

/* A string in the decoder's input or the encoder's caller; not NUL-terminated. */
struct record_str {
	const char *p;
	size_t n;
};

struct record_header {
	uint16_t version;
	uint32_t flags;			/* none defined: written 0, read as is */
	uint64_t start_us;		/* wall clock, µs since 1970 (UTC) */
	struct record_str route, client, target;	/* required */
	struct record_str session, path, subprotocol;	/* optional: p NULL */
	size_t length;			/* header bytes */
};

struct record_chunk {
	enum record_type type;
	uint64_t offset_us;		/* since start, monotonic clock */
	const uint8_t *data;
	size_t len;
};

/* Decoder state: zero it (or record_reader_init) before the first call. */
struct record_reader {
	int state;			/* 0 header, 1 records, 2 stopped, 3 ended */
	uint64_t last_us;
};

enum record_item_kind { RECORD_ITEM_HEADER, RECORD_ITEM_CHUNK };

struct record_item {
	enum record_item_kind kind;
	struct record_header header;	/* RECORD_ITEM_HEADER */
	struct record_chunk chunk;	/* RECORD_ITEM_CHUNK */
};

void record_reader_init(struct record_reader *r);
int record_read(struct record_reader *r, const uint8_t *p, size_t n,
    struct record_item *item, const char **why);
/* True once the end record has been read (a file without one was cut short). */
bool record_reader_ended(const struct record_reader *r);

/*
 * Write h (version, flags and length are ignored: version 1, flags 0,
 * length computed) into out.  Returns the length, or 0 when a required
 * field is missing or empty, a field is longer than RECORD_FIELD_MAX or
 * holds a NUL, or out is too small.
 */
size_t record_encode_header(const struct record_header *h, uint8_t *out,
    size_t size);

/*
 * The 13 bytes in front of a record of len bytes.  Returns
 * RECORD_HEAD_LEN, or 0 when len is over the type's maximum
 * (RECORD_DATA_MAX for data, RECORD_TEXT_MAX for stop/end) or the type
 * is unknown: the writer splits data into records of at most
 * RECORD_DATA_MAX bytes.
 */
size_t record_encode_head(enum record_type type, uint64_t offset_us,
    size_t len, uint8_t out[RECORD_HEAD_LEN]);

/* "c>b", "b>c", "stop", "end". */
const char *record_type_name(enum record_type type);

#endif
