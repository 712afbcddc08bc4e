/* ratelimit.c -- pure: per-client token buckets in a fixed-size table (failed logins, new connections) */
#include "ratelimit.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

struct rl_entry {
	uint64_t tat;		/* theoretical arrival time, µs */
	uint8_t keylen;		/* 0: never used */
	uint8_t key[RATELIMIT_KEY_MAX];
};

struct ratelimit {
	struct rl_entry *slots;
	size_t nsets;		/* a power of two */
	uint64_t interval;	/* µs per token */
	uint64_t tau;		/* (burst - 1) * interval */
	EVP_MAC_CTX *mac;	/* SipHash-2-4, 64-bit, keyed */
};

static int
rate_params(double per_second, unsigned burst, uint64_t *interval,
    uint64_t *tau)
{
	double iv;

	if (!(per_second > 0) || per_second > 1e6 || burst < 1 ||
	    burst > 1000000)
		return -1;
	iv = 1e6 / per_second + 0.5;
	if (iv < 1 || iv > 1e12)
		return -1;
	*interval = (uint64_t)iv;
	*tau = (uint64_t)(burst - 1) * *interval;
	return 0;
}

struct ratelimit *
ratelimit_new(size_t max_entries, double per_second, unsigned burst,
    const uint8_t *sipkey)
{
	struct ratelimit *rl;
	uint8_t rnd[RATELIMIT_SIPKEY_LEN];
	size_t sets = 1, want;
	size_t outlen = 8;
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	if (max_entries == 0 || max_entries > RATELIMIT_ENTRIES_MAX)
		return NULL;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	if (rate_params(per_second, burst, &rl->interval, &rl->tau) != 0)
		goto fail;
	want = (max_entries + RATELIMIT_WAYS - 1) / RATELIMIT_WAYS;
	while (sets < want)
		sets <<= 1;
	rl->nsets = sets;
	rl->slots = calloc(sets * RATELIMIT_WAYS, sizeof(*rl->slots));
	if (rl->slots == NULL)
		goto fail;
	if (sipkey == NULL) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			goto fail;
		sipkey = rnd;
	}
	mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	if (mac == NULL)
		goto fail;
	rl->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen);
	params[1] = OSSL_PARAM_construct_end();
	if (rl->mac == NULL || EVP_MAC_init(rl->mac, sipkey,
	    RATELIMIT_SIPKEY_LEN, params) != 1)
		goto fail;
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rl;
fail:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	ratelimit_free(rl);
	return NULL;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	EVP_MAC_CTX_free(rl->mac);
	free(rl->slots);
	free(rl);
}

int
ratelimit_set_rate(struct ratelimit *rl, double per_second, unsigned burst)
{
	return rate_params(per_second, burst, &rl->interval, &rl->tau);
}

static struct rl_entry *
set_of(struct ratelimit *rl, const void *key, size_t keylen)
{
	uint8_t h[8] = { 0 };
	size_t outl = 0;
	uint64_t v = 0;

	/* The key was set at creation: a NULL key re-initialises with it.
	 * Should OpenSSL fail, every key lands in set 0: still correct. */
	if (EVP_MAC_init(rl->mac, NULL, 0, NULL) == 1 &&
	    EVP_MAC_update(rl->mac, key, keylen) == 1 &&
	    EVP_MAC_final(rl->mac, h, &outl, sizeof(h)) == 1)
		memcpy(&v, h, sizeof(v));
	return &rl->slots[(v & (rl->nsets - 1)) * RATELIMIT_WAYS];
}

static struct rl_entry *
lookup(struct rl_entry *set, const void *key, size_t keylen)
{
	for (int i = 0; i < RATELIMIT_WAYS; i++)
		if (set[i].keylen == keylen &&
		    memcmp(set[i].key, key, keylen) == 0)
			return &set[i];
	return NULL;
}

/* The slot for a new key: a free one, else the one nearest to full. */
static struct rl_entry *
victim(struct rl_entry *set, uint64_t now)
{
	struct rl_entry *v = &set[0];

	for (int i = 0; i < RATELIMIT_WAYS; i++) {
		if (set[i].keylen == 0 || set[i].tat <= now)
			return &set[i];
		if (set[i].tat < v->tat)
			v = &set[i];
	}
	return v;
}

static bool
decide(struct ratelimit *rl, const void *key, size_t keylen, uint64_t now,
    uint64_t *retry_us, bool spend)
{
	struct rl_entry *set, *e;
	uint64_t tat;

	if (retry_us != NULL)
		*retry_us = 0;
	if (keylen == 0 || keylen > RATELIMIT_KEY_MAX)
		return false;
	set = set_of(rl, key, keylen);
	e = lookup(set, key, keylen);
	tat = e != NULL && e->tat > now ? e->tat : now;
	if (tat - now > rl->tau) {
		if (retry_us != NULL)
			*retry_us = tat - now - rl->tau;
		return false;
	}
	if (!spend)
		return true;
	if (e == NULL) {
		e = victim(set, now);
		e->keylen = (uint8_t)keylen;
		memset(e->key, 0, sizeof(e->key));
		memcpy(e->key, key, keylen);
	}
	e->tat = tat + rl->interval;
	return true;
}

bool
ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen,
    uint64_t now_us, uint64_t *retry_us)
{
	return decide(rl, key, keylen, now_us, retry_us, true);
}

bool
ratelimit_allowed(struct ratelimit *rl, const void *key, size_t keylen,
    uint64_t now_us, uint64_t *retry_us)
{
	return decide(rl, key, keylen, now_us, retry_us, false);
}

size_t
ratelimit_active(const struct ratelimit *rl, uint64_t now_us)
{
	size_t n = 0;

	for (size_t i = 0; i < rl->nsets * RATELIMIT_WAYS; i++)
		if (rl->slots[i].keylen != 0 && rl->slots[i].tat > now_us)
			n++;
	return n;
}

size_t
ratelimit_capacity(const struct ratelimit *rl)
{
	return rl->nsets * RATELIMIT_WAYS;
}
