/* fuzz_tokenfile.c -- libFuzzer target: token files whole and in pieces agree, the index finds what they list, request token extraction */
#include <stdbool.h>
#include <string.h>

#include "tokenfile.h"
#include "tokenindex.h"

#include "fuzz.h"

/*
 * Input: one byte of parameters (seed of the split points), then a
 * token file.  The same bytes also serve as a request target, a Cookie
 * header and a Host header for the token extraction helpers.
 */

#define MAX_ENTRIES 2048

struct run {
	struct tokenfile_entry e[MAX_ENTRIES];
	size_t n;
	int rc;			/* 0 or CODEC_ERROR */
	unsigned long errline;
	const char *why;
};

static bool
same_target(const struct token_target *a, const struct token_target *b)
{
	return a->kind == b->kind && a->port == b->port &&
	    a->host_len == b->host_len &&
	    memcmp(a->host, b->host, a->host_len) == 0;
}

static bool
same_token(const struct tokenfile_entry *a, const struct tokenfile_entry *b)
{
	return a->token_len == b->token_len &&
	    memcmp(a->token, b->token, a->token_len) == 0;
}

/* Every entry is a valid token and a valid target inside the buffer. */
static void
check_entry(const struct tokenfile_entry *e, const char *buf, size_t len)
{
	struct token_target again;
	const char *why;

	FUZZ_CHECK(e->token >= buf && e->token + e->token_len <= buf + len);
	FUZZ_CHECK(e->target.host >= buf &&
	    e->target.host + e->target.host_len <= buf + len);
	FUZZ_CHECK(token_valid(e->token, e->token_len, &why));
	if (e->target.kind == TOKEN_TARGET_TCP) {
		FUZZ_CHECK(token_target_tcp(e->target.host, e->target.host_len,
		    e->target.port, &again, &why) == 0);
	} else {
		FUZZ_CHECK(e->target.kind == TOKEN_TARGET_UNIX);
		FUZZ_CHECK(token_target_unix(e->target.host,
		    e->target.host_len, &again, &why) == 0);
	}
	FUZZ_CHECK(same_target(&again, &e->target));
}

static void
read_whole(const char *buf, size_t len, struct run *r)
{
	struct tokenfile_reader rd;
	struct tokenfile_entry e;
	int rc;

	memset(r, 0, sizeof(*r));
	tokenfile_reader_init(&rd, buf, len);
	while ((rc = tokenfile_next(&rd, &e, &r->why)) == 1) {
		check_entry(&e, buf, len);
		if (r->n < MAX_ENTRIES)
			r->e[r->n] = e;
		r->n++;
	}
	FUZZ_CHECK(rc == 0 || rc == CODEC_ERROR);
	FUZZ_CHECK(rc == 0 || r->why != NULL);
	r->rc = rc;
	r->errline = rc == 0 ? 0 : rd.line;
}

/* As a pipe reader would: pieces at pseudo-random split points. */
static void
read_pieces(const char *buf, size_t len, uint32_t seed, struct run *r)
{
	size_t start = 0, have = 0;
	unsigned long line = 0;

	memset(r, 0, sizeof(*r));
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		start = have = 3;
	for (;;) {
		struct tokenfile_entry e;
		bool eof = have == len;
		int rc = tokenfile_parse(buf + start, have - start, eof, &e,
		    &r->why);

		if (rc == CODEC_NEED_MORE) {
			FUZZ_CHECK(!eof);
			have += 1 + fuzz_rand(&seed) % 97;
			if (have > len)
				have = len;
			continue;
		}
		if (rc == 0) {
			FUZZ_CHECK(eof && have == start);
			return;
		}
		line++;
		if (rc == CODEC_ERROR) {
			FUZZ_CHECK(r->why != NULL);
			r->rc = CODEC_ERROR;
			r->errline = line;
			return;
		}
		FUZZ_CHECK(rc > 0 && (size_t)rc <= have - start);
		if (e.token_len != 0) {
			check_entry(&e, buf, len);
			if (r->n < MAX_ENTRIES)
				r->e[r->n] = e;
			r->n++;
		}
		start += (size_t)rc;
	}
}

/* The index holds each token's last target (websockify: last wins). */
static void
check_index(const struct run *r)
{
	struct tokenindex *ix = tokenindex_new();
	size_t distinct = 0;
	const char *why;

	FUZZ_CHECK(ix != NULL);
	for (size_t i = 0; i < r->n; i++) {
		int rc = tokenindex_add(ix, r->e[i].token, r->e[i].token_len,
		    &r->e[i].target, &why);
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = same_token(&r->e[j], &r->e[i]);
		FUZZ_CHECK(rc == (dup ? 1 : 0));
		distinct += dup ? 0 : 1;
	}
	FUZZ_CHECK(tokenindex_count(ix) == distinct);
	for (size_t i = 0; i < r->n; i++) {
		struct token_target got;
		size_t last = i;

		for (size_t j = r->n; j-- > i;) {
			if (same_token(&r->e[j], &r->e[i])) {
				last = j;
				break;
			}
		}
		FUZZ_CHECK(tokenindex_lookup(ix, r->e[i].token,
		    r->e[i].token_len, &got) == 1);
		FUZZ_CHECK(same_target(&got, &r->e[last].target));
		FUZZ_CHECK(got.host[got.host_len] == '\0');
	}
	tokenindex_free(ix);
}

/* A found token: fits, NUL-terminated, no control character. */
static void
check_found(int rc, const char *out, size_t outsize, const char *why)
{
	FUZZ_CHECK(rc >= CODEC_ERROR);
	if (rc == CODEC_ERROR) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	if (rc == 0)
		return;
	FUZZ_CHECK((size_t)rc < outsize && out[rc] == '\0');
	FUZZ_CHECK(strlen(out) == (size_t)rc);
	for (int i = 0; i < rc; i++)
		FUZZ_CHECK((unsigned char)out[i] >= 0x20 &&
		    (unsigned char)out[i] != 0x7f);
}

typedef int (*extract_fn)(const char *, size_t, char *, size_t,
    const char **);

/*
 * Into a buffer of exactly TOKEN_MAX + 1 and one of JWT_MAX + 1: what
 * fits the small one comes out the same from the large one.
 */
static void
check_extract(extract_fn fn, const char *in, size_t len)
{
	char *small = malloc(TOKEN_MAX + 1), *large = malloc(8192 + 1);
	const char *why = NULL;
	int a, b;

	FUZZ_CHECK(small != NULL && large != NULL);
	a = fn(in, len, small, TOKEN_MAX + 1, &why);
	check_found(a, small, TOKEN_MAX + 1, why);
	why = NULL;
	b = fn(in, len, large, 8192 + 1, &why);
	check_found(b, large, 8192 + 1, why);
	if (a > 0)
		FUZZ_CHECK(b == a && memcmp(small, large, (size_t)a + 1) == 0);
	if (a == 0)
		FUZZ_CHECK(b == 0);
	free(small);
	free(large);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, pieces;
	struct fuzz_in in = { data, size };
	uint32_t seed = fuzz_byte(&in) | fuzz_hash(in.p, in.n);
	char *buf = (char *)fuzz_dup(in.p, in.n);
	struct token_target t;
	const char *why;

	read_whole(buf, in.n, &whole);
	read_pieces(buf, in.n, seed, &pieces);
	FUZZ_CHECK(whole.rc == pieces.rc && whole.n == pieces.n);
	FUZZ_CHECK(whole.errline == pieces.errline);
	if (whole.rc != 0)
		FUZZ_CHECK(strcmp(whole.why, pieces.why) == 0);
	for (size_t i = 0; i < whole.n && i < MAX_ENTRIES; i++) {
		FUZZ_CHECK(whole.e[i].token == pieces.e[i].token &&
		    whole.e[i].token_len == pieces.e[i].token_len);
		FUZZ_CHECK(same_target(&whole.e[i].target,
		    &pieces.e[i].target));
	}
	if (whole.rc == 0 && whole.n <= MAX_ENTRIES)
		check_index(&whole);

	if (tokenfile_parse_content(buf, in.n, &t, &why) == 0) {
		FUZZ_CHECK(t.host >= buf && t.host + t.host_len <= buf + in.n);
	} else {
		FUZZ_CHECK(why != NULL);
	}
	check_extract(token_from_query, buf, in.n);
	check_extract(token_from_cookie, buf, in.n);
	check_extract(token_from_host, buf, in.n);
	free(buf);
	return 0;
}
