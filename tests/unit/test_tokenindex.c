/* test_tokenindex.c -- unit tests for the token index: build, replace, look up 100,000 tokens */
#include <time.h>

#include "testlib.h"

#include "tokenfile.h"
#include "tokenindex.h"

static void
tcp(struct token_target *t, const char *host, unsigned port)
{
	const char *why;

	if (token_target_tcp(host, strlen(host), port, t, &why) != 0)
		tl_fail_at(__FILE__, __LINE__, why);
}

static void
test_add_lookup(void)
{
	struct tokenindex *ix = tokenindex_new();
	struct token_target t, got;
	char *copy;
	const char *why;

	CHECK(ix != NULL);
	if (ix == NULL)
		return;
	tokenindex_free(NULL);
	CHECK_INT(tokenindex_count(ix), 0);
	CHECK_INT(tokenindex_lookup(ix, "vm1", 3, &got), 0);

	/* add() copies: the caller's buffers may go at once. */
	copy = strdup("vm1");
	tcp(&t, "10.0.0.5", 5900);
	CHECK_INT(tokenindex_add(ix, copy, 3, &t, &why), 0);
	free(copy);
	copy = strdup("/run/vnc/vm2.sock");
	CHECK_INT(token_target_unix(copy, strlen(copy), &t, &why), 0);
	CHECK_INT(tokenindex_add(ix, "vm2", 3, &t, &why), 0);
	free(copy);
	tcp(&t, "[::1]", 22);
	CHECK_INT(tokenindex_add(ix, "vm10", 4, &t, &why), 0);
	CHECK_INT(tokenindex_count(ix), 3);

	CHECK_INT(tokenindex_lookup(ix, "vm1", 3, &got), 1);
	CHECK_INT(got.kind, TOKEN_TARGET_TCP);
	CHECK_STR(got.host, "10.0.0.5");	/* NUL-terminated */
	CHECK_INT(got.host_len, 8);
	CHECK_INT(got.port, 5900);
	CHECK_INT(tokenindex_lookup(ix, "vm2", 3, &got), 1);
	CHECK_INT(got.kind, TOKEN_TARGET_UNIX);
	CHECK_STR(got.host, "/run/vnc/vm2.sock");
	CHECK_INT(tokenindex_lookup(ix, "vm10", 4, &got), 1);
	CHECK_STR(got.host, "::1");
	CHECK_INT(got.port, 22);
	/* Prefixes, case and length all matter. */
	CHECK_INT(tokenindex_lookup(ix, "vm10", 3, &got), 1);
	CHECK_STR(got.host, "10.0.0.5");
	CHECK_INT(tokenindex_lookup(ix, "vm", 2, &got), 0);
	CHECK_INT(tokenindex_lookup(ix, "VM1", 3, &got), 0);
	CHECK_INT(tokenindex_lookup(ix, "vm1 ", 4, &got), 0);
	CHECK_INT(tokenindex_lookup(ix, "", 0, &got), 0);

	/* The last one wins, as in websockify, and add() says so. */
	tcp(&t, "vm1-new.example", 5999);
	CHECK_INT(tokenindex_add(ix, "vm1", 3, &t, &why), 1);
	CHECK_INT(tokenindex_count(ix), 3);
	CHECK_INT(tokenindex_lookup(ix, "vm1", 3, &got), 1);
	CHECK_STR(got.host, "vm1-new.example");
	CHECK_INT(got.port, 5999);

	/* Invalid tokens and targets are refused with a reason. */
	CHECK_INT(tokenindex_add(ix, "", 0, &t, &why), -1);
	CHECK_STR(why, "empty token");
	CHECK_INT(tokenindex_add(ix, "a\nb", 3, &t, &why), -1);
	CHECK_STR(why, "token contains a control character");
	t.port = 0;
	CHECK_INT(tokenindex_add(ix, "p0", 2, &t, &why), -1);
	t.kind = (enum token_target_kind)0;
	CHECK_INT(tokenindex_add(ix, "k0", 2, &t, &why), -1);
	CHECK_STR(why, "unknown target kind");
	CHECK_INT(tokenindex_count(ix), 3);
	tokenindex_free(ix);
}

/* Every entry of a token file goes into an index. */
static void
test_from_file(void)
{
	static const char file[] =
	    "vm1: 10.0.0.5:5900\nvm2: unix_socket:/run/vm2.sock\n"
	    "vm1: 10.0.0.6:5900\n";
	struct tokenindex *ix = tokenindex_new();
	struct tokenfile_reader r;
	struct tokenfile_entry e;
	struct token_target got;
	const char *why;
	int replaced = 0, rc;

	if (ix == NULL) {
		CHECK(ix != NULL);
		return;
	}
	tokenfile_reader_init(&r, file, sizeof(file) - 1);
	while ((rc = tokenfile_next(&r, &e, &why)) == 1)
		replaced += tokenindex_add(ix, e.token, e.token_len, &e.target,
		    &why);
	CHECK_INT(rc, 0);
	CHECK_INT(replaced, 1);
	CHECK_INT(tokenindex_count(ix), 2);
	CHECK_INT(tokenindex_lookup(ix, "vm1", 3, &got), 1);
	CHECK_STR(got.host, "10.0.0.6");
	CHECK_INT(tokenindex_lookup(ix, "vm2", 3, &got), 1);
	CHECK_STR(got.host, "/run/vm2.sock");
	tokenindex_free(ix);
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define NTOKENS 100000
#define TOKLEN 32

/*
 * 100,000 tokens (issue 11): every one found with its own target, and
 * as many absent ones not found.  The times are printed for information
 * only: timing belongs in make bench, not in a pass/fail.
 */
static void
test_100k(void)
{
	struct tokenindex *ix = tokenindex_new();
	char (*toks)[TOKLEN] = malloc((size_t)NTOKENS * TOKLEN);
	size_t *lens = malloc(NTOKENS * sizeof(*lens));
	struct token_target t, got;
	char host[64];
	const char *why;
	size_t bad = 0, found = 0;
	double t0, t1, t2;

	if (ix == NULL || toks == NULL || lens == NULL) {
		CHECK(ix != NULL && toks != NULL && lens != NULL);
		goto out;
	}
	for (unsigned i = 0; i < NTOKENS; i++)
		lens[i] = (size_t)snprintf(toks[i], TOKLEN, "%08x-console-%u",
		    i * 2654435761u, i);
	t0 = now_ns();
	for (unsigned i = 0; i < NTOKENS; i++) {
		snprintf(host, sizeof(host), "vm%u.lab.example", i);
		tcp(&t, host, 1 + i % 65535);
		if (tokenindex_add(ix, toks[i], lens[i], &t, &why) != 0)
			bad++;
	}
	t1 = now_ns();
	CHECK_INT(bad, 0);
	CHECK_INT(tokenindex_count(ix), NTOKENS);
	for (unsigned i = 0; i < NTOKENS; i++) {
		snprintf(host, sizeof(host), "vm%u.lab.example", i);
		if (tokenindex_lookup(ix, toks[i], lens[i], &got) != 1 ||
		    strcmp(got.host, host) != 0 || got.port != 1 + i % 65535)
			bad++;
	}
	CHECK_INT(bad, 0);
	/* Lookups alone, for the figure. */
	t2 = now_ns();
	for (unsigned i = 0; i < NTOKENS; i++)
		found += (size_t)tokenindex_lookup(ix, toks[i], lens[i], &got);
	t2 = now_ns() - t2;
	CHECK_INT(found, NTOKENS);
	/* Absent: same shape, other numbers. */
	for (unsigned i = 0; i < NTOKENS; i++) {
		int n = snprintf(toks[i], TOKLEN, "%08x-console-%u",
		    i * 2654435761u, i + NTOKENS);

		if (tokenindex_lookup(ix, toks[i], (size_t)n, &got) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	printf("info %d tokens: %.0f ns per add (with target checks), "
	    "%.0f ns per lookup\n", NTOKENS, (t1 - t0) / NTOKENS,
	    t2 / NTOKENS);
out:
	free(toks);
	free(lens);
	tokenindex_free(ix);
}

/* Two indexes draw different keys: the same tokens, other hashes, yet
 * both find everything. */
static void
test_two_indexes(void)
{
	struct tokenindex *a = tokenindex_new(), *b = tokenindex_new();
	struct token_target t, got;
	const char *why;
	char tok[16];

	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL) {
		tokenindex_free(a);
		tokenindex_free(b);
		return;
	}
	tcp(&t, "h", 1);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(tok, sizeof(tok), "t%d", i);

		CHECK_INT(tokenindex_add(a, tok, (size_t)n, &t, &why), 0);
		CHECK_INT(tokenindex_add(b, tok, (size_t)n, &t, &why), 0);
	}
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(tok, sizeof(tok), "t%d", i);

		CHECK_INT(tokenindex_lookup(a, tok, (size_t)n, &got), 1);
		CHECK_INT(tokenindex_lookup(b, tok, (size_t)n, &got), 1);
	}
	tokenindex_free(a);
	tokenindex_free(b);
}

int
main(void)
{
	RUN(test_add_lookup);
	RUN(test_from_file);
	RUN(test_100k);
	RUN(test_two_indexes);
	return tl_summary("unit/tokenindex");
}
