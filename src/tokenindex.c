/* tokenindex.c -- an immutable token -> target hash table with a keyed hash (SipHash) */
#include "tokenindex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

struct tindex_entry {
	uint64_t hash;
	uint32_t token_off;	/* token at arena + token_off */
	uint32_t host_off;	/* host at arena + host_off, then a NUL */
	uint16_t token_len;
	uint16_t host_len;
	uint16_t port;
	uint8_t kind;
};

struct tokenindex {
	EVP_MAC_CTX *mac;	/* keyed template: duplicated per hash */
	char *arena;		/* every token and host */
	size_t arena_len, arena_cap;
	struct tindex_entry *entries;
	size_t n, cap;
	uint64_t *slots;	/* 0: empty, else SLOT(hash, index) */
	size_t nslots;		/* a power of two, at least 2 n */
};

/* Offsets are 32-bit: keep the arena well below 4 GiB. */
#define ARENA_MAX ((size_t)UINT32_MAX - 1024)

/*
 * A slot holds the top half of the hash beside the entry index + 1, so
 * a probe that meets another token (and every lookup of an unknown
 * token, what a client sending made-up tokens causes) mostly stays in
 * the slot array without touching the entries or the arena.
 */
#define SLOT(h, k) (((h) & 0xffffffff00000000ull) | (uint64_t)((k) + 1))
#define SLOT_ENTRY(s) ((size_t)((s) & 0xffffffffu) - 1)
#define SLOT_TAG_MATCH(s, h) ((((s) ^ (h)) >> 32) == 0)

struct tokenindex *
tokenindex_new(void)
{
	struct tokenindex *ix = calloc(1, sizeof(*ix));
	unsigned char key[16];
	size_t outsize = 8;
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	int ok;

	if (ix == NULL)
		return NULL;
	mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	if (mac == NULL) {
		free(ix);
		return NULL;
	}
	ix->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context holds its own reference */
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outsize);
	params[1] = OSSL_PARAM_construct_end();
	ok = ix->mac != NULL && RAND_bytes(key, sizeof(key)) == 1 &&
	    EVP_MAC_init(ix->mac, key, sizeof(key), params) == 1;
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok) {
		tokenindex_free(ix);
		return NULL;
	}
	return ix;
}

void
tokenindex_free(struct tokenindex *ix)
{
	if (ix == NULL)
		return;
	EVP_MAC_CTX_free(ix->mac);
	free(ix->arena);
	free(ix->entries);
	free(ix->slots);
	free(ix);
}

size_t
tokenindex_count(const struct tokenindex *ix)
{
	return ix->n;
}

static int
hash_token(const struct tokenindex *ix, const char *p, size_t n,
    uint64_t *h)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(ix->mac);
	unsigned char out[8];
	size_t outlen = 0;
	int ok;

	if (c == NULL)
		return -1;
	ok = EVP_MAC_update(c, (const unsigned char *)p, n) == 1 &&
	    EVP_MAC_final(c, out, &outlen, sizeof(out)) == 1 &&
	    outlen == sizeof(out);
	EVP_MAC_CTX_free(c);
	if (!ok)
		return -1;
	memcpy(h, out, sizeof(*h));
	return 0;
}

/* The slot holding token, or the empty slot where it would go. */
static size_t
find_slot(const struct tokenindex *ix, uint64_t h, const char *token,
    size_t len)
{
	size_t mask = ix->nslots - 1, i = (size_t)h & mask;

	for (;;) {
		uint64_t s = ix->slots[i];
		const struct tindex_entry *e;

		if (s == 0)
			return i;
		if (SLOT_TAG_MATCH(s, h)) {
			e = &ix->entries[SLOT_ENTRY(s)];
			if (e->hash == h && e->token_len == len &&
			    memcmp(ix->arena + e->token_off, token, len) == 0)
				return i;
		}
		i = (i + 1) & mask;	/* load <= 1/2: an empty slot exists */
	}
}

/* Double the slot table and place every entry again (hashes are kept). */
static int
grow_slots(struct tokenindex *ix)
{
	size_t nslots = ix->nslots != 0 ? ix->nslots * 2 : 16;
	uint64_t *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL)
		return -1;
	free(ix->slots);
	ix->slots = slots;
	ix->nslots = nslots;
	for (size_t k = 0; k < ix->n; k++) {
		uint64_t h = ix->entries[k].hash;
		size_t i = (size_t)h & (nslots - 1);

		while (slots[i] != 0)
			i = (i + 1) & (nslots - 1);
		slots[i] = SLOT(h, k);
	}
	return 0;
}

/* Append bytes (and a NUL when asked) to the arena; its offset in *off. */
static int
arena_put(struct tokenindex *ix, const char *p, size_t n, bool nul,
    uint32_t *off)
{
	size_t need = n + (nul ? 1 : 0);

	if (need > ARENA_MAX - ix->arena_len)
		return -1;
	if (ix->arena_len + need > ix->arena_cap) {
		size_t cap = ix->arena_cap != 0 ? ix->arena_cap : 4096;
		char *a;

		while (cap < ix->arena_len + need)
			cap *= 2;
		if (cap > ARENA_MAX)
			cap = ARENA_MAX;
		a = realloc(ix->arena, cap);
		if (a == NULL)
			return -1;
		ix->arena = a;
		ix->arena_cap = cap;
	}
	memcpy(ix->arena + ix->arena_len, p, n);
	if (nul)
		ix->arena[ix->arena_len + n] = '\0';
	*off = (uint32_t)ix->arena_len;
	ix->arena_len += need;
	return 0;
}

static bool
target_valid(const struct token_target *t, const char **why)
{
	struct token_target check;

	if (t->kind == TOKEN_TARGET_TCP)
		return token_target_tcp(t->host, t->host_len, t->port, &check,
		    why) == 0 && check.host_len == t->host_len;
	if (t->kind == TOKEN_TARGET_UNIX)
		return token_target_unix(t->host, t->host_len, &check,
		    why) == 0;
	*why = "unknown target kind";
	return false;
}

int
tokenindex_add(struct tokenindex *ix, const char *token, size_t len,
    const struct token_target *t, const char **why)
{
	struct tindex_entry *e;
	uint64_t h;
	uint32_t host_off, token_off;
	size_t slot;

	if (!token_valid(token, len, why) || !target_valid(t, why))
		return -1;
	*why = "out of memory";
	if (hash_token(ix, token, len, &h) != 0)
		return -1;
	if ((ix->n + 1) * 2 > ix->nslots && grow_slots(ix) != 0)
		return -1;
	slot = find_slot(ix, h, token, len);
	if (ix->slots[slot] != 0) {
		/* Replace: the old host stays in the arena, unused. */
		if (arena_put(ix, t->host, t->host_len, true, &host_off) != 0)
			return -1;
		e = &ix->entries[SLOT_ENTRY(ix->slots[slot])];
		e->host_off = host_off;
		e->host_len = (uint16_t)t->host_len;
		e->port = t->port;
		e->kind = (uint8_t)t->kind;
		*why = NULL;
		return 1;
	}
	if (ix->n >= TOKENINDEX_MAX) {
		*why = "more than 1000000 tokens";
		return -1;
	}
	if (ix->n == ix->cap) {
		size_t cap = ix->cap != 0 ? ix->cap * 2 : 64;
		struct tindex_entry *ne = realloc(ix->entries,
		    cap * sizeof(*ne));

		if (ne == NULL)
			return -1;
		ix->entries = ne;
		ix->cap = cap;
	}
	if (arena_put(ix, token, len, false, &token_off) != 0 ||
	    arena_put(ix, t->host, t->host_len, true, &host_off) != 0)
		return -1;
	e = &ix->entries[ix->n];
	e->hash = h;
	e->token_off = token_off;
	e->token_len = (uint16_t)len;
	e->host_off = host_off;
	e->host_len = (uint16_t)t->host_len;
	e->port = t->port;
	e->kind = (uint8_t)t->kind;
	ix->slots[slot] = SLOT(h, ix->n);
	ix->n++;
	*why = NULL;
	return 0;
}

int
tokenindex_lookup(const struct tokenindex *ix, const char *token,
    size_t len, struct token_target *t)
{
	const struct tindex_entry *e;
	uint64_t h;
	size_t slot;

	if (ix->n == 0 || len == 0 || len > TOKEN_MAX)
		return 0;
	if (hash_token(ix, token, len, &h) != 0)
		return -1;
	slot = find_slot(ix, h, token, len);
	if (ix->slots[slot] == 0)
		return 0;
	e = &ix->entries[SLOT_ENTRY(ix->slots[slot])];
	t->kind = (enum token_target_kind)e->kind;
	t->host = ix->arena + e->host_off;
	t->host_len = e->host_len;
	t->port = e->port;
	return 1;
}
