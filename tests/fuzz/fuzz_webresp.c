/* fuzz_webresp.c -- libFuzzer target: web_root answers from If-None-Match, If-Modified-Since and Accept-Encoding */
#include <stdbool.h>
#include <string.h>

#include "webresp.h"

#include "fuzz.h"

/*
 * Input: one flag byte (bit 0: HEAD; bit 1: a .br sibling; bit 2: a .gz
 * sibling; bit 3: the siblings are older than the file; bits 4-6: which
 * headers are present), then the three header values, one per line.
 * Properties: the codings allowed are a subset of the three; a chosen
 * sibling exists, is not stale, and was allowed; the ETag is the chosen
 * file's and always matches itself; a 304 never has a body; Vary is set
 * exactly when a usable sibling exists; a parsed date in four-digit
 * years prints and parses back to itself; heads are well formed.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_byte(&in);
	uint8_t *copy = fuzz_dup(in.p, in.n);
	const char *p = (const char *)copy, *end = p + in.n;
	const char *field[3] = { NULL, NULL, NULL };
	size_t flen[3] = { 0, 0, 0 };
	struct webresp_file files[WEBRESP_NENC];
	struct webresp_req req;
	struct webresp a;
	char tag[WEBRESP_ETAG_MAX], date[WEBRESP_DATE_LEN + 1], out[2048];
	unsigned mask;
	int64_t t, t2;
	size_t n;

	for (int i = 0; i < 3; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;

		if (flags & (0x10 << i)) {
			field[i] = p;
			flen[i] = (size_t)(e - p);
		}
		p = nl != NULL ? nl + 1 : end;
	}

	mask = webresp_accepts(field[2], flen[2]);
	FUZZ_CHECK((mask & ~7u) == 0);
	if (field[2] == NULL)
		FUZZ_CHECK(mask == 1u << WEBRESP_IDENTITY);

	memset(files, 0, sizeof(files));
	files[WEBRESP_IDENTITY] = (struct webresp_file){ true, size, 11, 1,
	    1700000000, 500 };
	for (int e = WEBRESP_BR; e < WEBRESP_NENC; e++) {
		files[e] = files[WEBRESP_IDENTITY];
		files[e].exists = (flags & (e == WEBRESP_BR ? 2 : 4)) != 0;
		files[e].ino = 12 + (uint64_t)e;
		files[e].size = size / 2;
		if (flags & 8)
			files[e].mtime_nsec = 499;
	}
	req = (struct webresp_req){
		.head = flags & 1,
		.if_none_match = field[0], .if_none_match_len = flen[0],
		.if_modified_since = field[1], .if_modified_since_len = flen[1],
		.accept_encoding = field[2], .accept_encoding_len = flen[2],
	};
	webresp_decide(&req, files, &a);
	FUZZ_CHECK(a.status == 200 || a.status == 304);
	FUZZ_CHECK(a.enc < WEBRESP_NENC && files[a.enc].exists);
	if (a.enc != WEBRESP_IDENTITY) {
		FUZZ_CHECK(mask & (1u << a.enc));
		FUZZ_CHECK(!(flags & 8));
		FUZZ_CHECK(a.content_encoding != NULL);
	}
	FUZZ_CHECK(a.vary == (!(flags & 8) && (flags & 6) != 0));
	FUZZ_CHECK(a.length == files[a.enc].size);
	FUZZ_CHECK(webresp_etag(&files[a.enc], tag, sizeof(tag)) > 0);
	FUZZ_CHECK(strcmp(tag, a.etag) == 0);
	FUZZ_CHECK(webresp_none_match(tag, strlen(tag), tag));
	FUZZ_CHECK(webresp_none_match("*", 1, tag));
	if (a.status == 304 || req.head)
		FUZZ_CHECK(!a.body);
	if (field[0] == NULL && field[1] == NULL)
		FUZZ_CHECK(a.status == 200);

	if (field[1] != NULL &&
	    webresp_parse_date(field[1], flen[1], &t) == 0 &&
	    t >= 0 && t < 253402300800LL) {
		webresp_format_date(t, date);
		FUZZ_CHECK(strlen(date) == WEBRESP_DATE_LEN);
		FUZZ_CHECK(webresp_parse_date(date, strlen(date), &t2) == 0);
		FUZZ_CHECK(t2 == t);
	}

	n = webresp_write_head(&a, "text/plain", "no-cache", (int64_t)size,
	    (flags & 0x80) != 0, out, sizeof(out));
	FUZZ_CHECK(n > 4 && n == strlen(out));
	FUZZ_CHECK(memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(strstr(out, "\r\n\r\n") == out + n - 4);
	free(copy);
	return 0;
}
