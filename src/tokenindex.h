/* tokenindex.h -- an immutable token -> target hash table with a keyed hash (SipHash) */
#ifndef WSGATE_TOKENINDEX_H
#define WSGATE_TOKENINDEX_H

/*
 * Built once (new, add, add, ...), then only read: lookups never write,
 * so one index may be shared by every worker thread, and a reload builds
 * a new index aside and swaps the pointer (the old one is freed when no
 * session uses it; that reference counting is the caller's).
 *
 * Ownership: tokenindex_new() returns the index; tokenindex_free() frees
 * it and all it holds (free(NULL) is a no-op).  add() copies the token
 * and target into the index's arena (one growing allocation for all the
 * strings), so the caller's buffer may go right after.  A target from
 * lookup() points into the arena (host NUL-terminated): valid until the
 * index is freed.
 *
 * Hash: SipHash-2-4 (OpenSSL's EVP_MAC "SIPHASH", 64-bit output) under a
 * random 128-bit key drawn per index (RAND_bytes), so a client cannot
 * choose tokens that collide.  Open addressing with linear probing, load
 * at most 1/2: lookups are O(1) expected.  Each lookup duplicates the
 * keyed template context (EVP_MAC_CTX_dup, about 60 ns here), which reads
 * the template only, so concurrent lookups are safe; the copy is freed
 * before lookup() returns.
 *
 * Limits: TOKENINDEX_MAX entries; tokens and targets as token.h bounds
 * them.  The memory is about 60 bytes per entry plus the strings (76 bytes
 * per token in all with 100,000 tokens of 30 bytes, make bench-tokens).
 */

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

#define TOKENINDEX_MAX 1000000	/* entries in one index */

struct tokenindex;

/* An empty index with a fresh random key; NULL if out of memory or the
 * crypto library fails. */
struct tokenindex *tokenindex_new(void);

/*
 * Add token -> target (token_valid() tokens, targets from token.h's
 * parsers).  Returns 0 when added, 1 when the token was there already
 * and its target is replaced (websockify: the last line wins; the caller
 * may warn), -1 with *why when out of memory, the index is full, or the
 * token or target is invalid.
 */
int tokenindex_add(struct tokenindex *ix, const char *token, size_t len,
    const struct token_target *t, const char **why);

/* 1 with *t when found, 0 when not, -1 when the crypto library fails
 * (treat as a server error, not as an unknown token). */
int tokenindex_lookup(const struct tokenindex *ix, const char *token,
    size_t len, struct token_target *t);

size_t tokenindex_count(const struct tokenindex *ix);

void tokenindex_free(struct tokenindex *ix);

#endif
