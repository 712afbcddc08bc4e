/* fuzz_record.c -- libFuzzer target: the recording decoder fed whole and in pieces; items re-encoded byte for byte */
#include <stdbool.h>
#include <string.h>

#include "record.h"

#include "fuzz.h"

/*
 * The input is a recording file.  Checked:
 *  - streaming: each item is first asked for with fewer bytes (every
 *    length up to 32, then random ones): the answer is NEED_MORE, or the
 *    same error the whole bytes give; never a different item;
 *  - items are consistent: lengths within the format's bounds, data
 *    pointing inside the input, timestamps never going back, nothing
 *    after the end record;
 *  - a record's 13-byte head re-encodes to the input's bytes, and a
 *    header re-encodes (its known fields, in order) to a header that
 *    decodes to the same fields.
 */

static bool
same_str(struct record_str a, struct record_str b)
{
	if (a.p == NULL || b.p == NULL)
		return a.p == b.p;
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static void
check_header(const struct record_header *h)
{
	uint8_t out[RECORD_HEADER_MAX];
	struct record_reader r;
	struct record_item it;
	const char *why;
	size_t n = record_encode_header(h, out, sizeof(out));
	int rc;

	FUZZ_CHECK(h->version == RECORD_VERSION);
	FUZZ_CHECK(h->length >= RECORD_HEADER_FIXED &&
	    h->length <= RECORD_HEADER_MAX);
	/* Re-encoding keeps only the known fields: never longer. */
	FUZZ_CHECK(n > 0 && n <= h->length);
	record_reader_init(&r);
	rc = record_read(&r, out, n, &it, &why);
	FUZZ_CHECK(rc == (int)n && it.kind == RECORD_ITEM_HEADER);
	FUZZ_CHECK(it.header.start_us == h->start_us);
	FUZZ_CHECK(same_str(it.header.route, h->route));
	FUZZ_CHECK(same_str(it.header.client, h->client));
	FUZZ_CHECK(same_str(it.header.target, h->target));
	FUZZ_CHECK(same_str(it.header.session, h->session));
	FUZZ_CHECK(same_str(it.header.path, h->path));
	FUZZ_CHECK(same_str(it.header.subprotocol, h->subprotocol));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct record_reader r;
	size_t off = 0;
	uint32_t seed = fuzz_hash(data, size);
	uint64_t last = 0;
	int items = 0;

	record_reader_init(&r);
	while (off <= size && items < 10000) {
		struct record_reader saved = r;
		struct record_item it;
		const char *why = NULL;
		int rc = record_read(&r, buf + off, size - off, &it, &why);

		/* Shorter views of the same bytes, from the same state. */
		for (int k = 0; k < 40; k++) {
			size_t m = k < 32 ? (size_t)k :
			    fuzz_rand(&seed) % (size - off + 1);
			struct record_reader r2 = saved;
			struct record_item it2;
			const char *why2 = NULL;
			int rc2;

			if (m >= size - off)
				continue;
			rc2 = record_read(&r2, buf + off, m, &it2, &why2);
			if (rc >= 0 && m >= (size_t)rc) {
				FUZZ_CHECK(rc2 == rc);
			} else if (rc2 == CODEC_ERROR) {
				FUZZ_CHECK(rc == CODEC_ERROR);
				FUZZ_CHECK(strcmp(why, why2) == 0);
			} else {
				FUZZ_CHECK(rc2 == CODEC_NEED_MORE);
			}
		}
		if (rc == CODEC_NEED_MORE)
			break;
		if (rc == CODEC_ERROR) {
			FUZZ_CHECK(why != NULL && why[0] != '\0');
			break;
		}
		FUZZ_CHECK(rc > 0 && (size_t)rc <= size - off);
		if (it.kind == RECORD_ITEM_HEADER) {
			FUZZ_CHECK(items == 0 && (size_t)rc == it.header.length);
			check_header(&it.header);
		} else {
			uint8_t head[RECORD_HEAD_LEN];
			const struct record_chunk *c = &it.chunk;

			FUZZ_CHECK(items > 0);
			FUZZ_CHECK((size_t)rc == RECORD_HEAD_LEN + c->len);
			FUZZ_CHECK(c->data == buf + off + RECORD_HEAD_LEN);
			FUZZ_CHECK(c->len <= (c->type <= RECORD_B2C ?
			    RECORD_DATA_MAX : RECORD_TEXT_MAX));
			FUZZ_CHECK(c->offset_us >= last);
			last = c->offset_us;
			FUZZ_CHECK(record_encode_head(c->type, c->offset_us,
			    c->len, head) == RECORD_HEAD_LEN);
			FUZZ_CHECK(memcmp(head, buf + off, RECORD_HEAD_LEN) == 0);
		}
		off += (size_t)rc;
		items++;
	}
	free(buf);
	return 0;
}
