/* authcache.c -- pure: a small per-worker cache of recently verified passwords, so crypt(3) runs once per user, not per connection */
#include "authcache.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define DIGEST_LEN 32

struct ac_entry {
	uint8_t digest[DIGEST_LEN];
	uint64_t expires;	/* µs; 0: empty */
};

struct authcache {
	struct ac_entry *slots;
	size_t nsets;		/* a power of two */
	uint64_t ttl;
	EVP_MAC_CTX *mac;	/* HMAC-SHA256, keyed */
};

struct authcache *
authcache_new(size_t max_entries, uint64_t ttl_us, const uint8_t *key)
{
	struct authcache *c;
	uint8_t rnd[AUTHCACHE_KEY_LEN];
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	size_t sets = 1, want;
	EVP_MAC *mac;

	if (max_entries == 0 || max_entries > AUTHCACHE_ENTRIES_MAX ||
	    ttl_us == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ttl = ttl_us;
	want = (max_entries + AUTHCACHE_WAYS - 1) / AUTHCACHE_WAYS;
	while (sets < want)
		sets <<= 1;
	c->nsets = sets;
	c->slots = calloc(sets * AUTHCACHE_WAYS, sizeof(*c->slots));
	if (c->slots == NULL)
		goto fail;
	if (key == NULL) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			goto fail;
		key = rnd;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto fail;
	c->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (c->mac == NULL || EVP_MAC_init(c->mac, key, AUTHCACHE_KEY_LEN,
	    params) != 1)
		goto fail;
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return c;
fail:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	authcache_free(c);
	return NULL;
}

void
authcache_free(struct authcache *c)
{
	if (c == NULL)
		return;
	EVP_MAC_CTX_free(c->mac);
	if (c->slots != NULL) {
		OPENSSL_cleanse(c->slots,
		    c->nsets * AUTHCACHE_WAYS * sizeof(*c->slots));
		free(c->slots);
	}
	free(c);
}

static int
put_part(EVP_MAC_CTX *mac, const void *p, size_t n)
{
	uint8_t len[8];

	/* Length-prefixed, so ("ab", "c") and ("a", "bc") differ. */
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	return EVP_MAC_update(mac, len, sizeof(len)) == 1 &&
	    EVP_MAC_update(mac, p, n) == 1 ? 0 : -1;
}

static int
digest_of(struct authcache *c, const char *user, size_t user_len,
    const char *pass, size_t pass_len, const char *hash,
    uint8_t out[DIGEST_LEN])
{
	size_t outl = 0;

	if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 ||
	    put_part(c->mac, user, user_len) != 0 ||
	    put_part(c->mac, pass, pass_len) != 0 ||
	    put_part(c->mac, hash, strlen(hash)) != 0 ||
	    EVP_MAC_final(c->mac, out, &outl, DIGEST_LEN) != 1 ||
	    outl != DIGEST_LEN)
		return -1;
	return 0;
}

static struct ac_entry *
set_of(struct authcache *c, const uint8_t d[DIGEST_LEN])
{
	uint64_t v;

	memcpy(&v, d, sizeof(v));
	return &c->slots[(v & (c->nsets - 1)) * AUTHCACHE_WAYS];
}

bool
authcache_hit(struct authcache *c, const char *user, size_t user_len,
    const char *pass, size_t pass_len, const char *hash, uint64_t now_us)
{
	uint8_t d[DIGEST_LEN];
	struct ac_entry *set;
	bool hit = false;

	if (digest_of(c, user, user_len, pass, pass_len, hash, d) != 0)
		return false;
	set = set_of(c, d);
	for (int i = 0; i < AUTHCACHE_WAYS; i++)
		if (set[i].expires > now_us &&
		    CRYPTO_memcmp(set[i].digest, d, DIGEST_LEN) == 0)
			hit = true;
	OPENSSL_cleanse(d, sizeof(d));
	return hit;
}

void
authcache_add(struct authcache *c, const char *user, size_t user_len,
    const char *pass, size_t pass_len, const char *hash, uint64_t now_us)
{
	uint8_t d[DIGEST_LEN];
	struct ac_entry *set, *v = NULL;

	if (digest_of(c, user, user_len, pass, pass_len, hash, d) != 0)
		return;
	set = set_of(c, d);
	for (int i = 0; i < AUTHCACHE_WAYS && v == NULL; i++)
		if (memcmp(set[i].digest, d, DIGEST_LEN) == 0)
			v = &set[i];	/* the same credentials again */
	for (int i = 0; i < AUTHCACHE_WAYS && v == NULL; i++)
		if (set[i].expires <= now_us)
			v = &set[i];	/* empty or expired */
	if (v == NULL) {
		v = &set[0];
		for (int i = 1; i < AUTHCACHE_WAYS; i++)
			if (set[i].expires < v->expires)
				v = &set[i];
	}
	memcpy(v->digest, d, DIGEST_LEN);
	v->expires = now_us + c->ttl;
	OPENSSL_cleanse(d, sizeof(d));
}

void
authcache_clear(struct authcache *c)
{
	OPENSSL_cleanse(c->slots, c->nsets * AUTHCACHE_WAYS * sizeof(*c->slots));
}

size_t
authcache_count(const struct authcache *c, uint64_t now_us)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nsets * AUTHCACHE_WAYS; i++)
		if (c->slots[i].expires > now_us)
			n++;
	return n;
}
