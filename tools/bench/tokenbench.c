/* tokenbench.c -- cost of a token lookup among 100,000 tokens and of checking a JWT (make bench-tokens) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwt.h"
#include "jwt_verify.h"
#include "tokenindex.h"

#define TOKLEN 40

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * 4;
}

static int
bench_index(unsigned ntokens, int rounds)
{
	char (*toks)[TOKLEN] = malloc((size_t)ntokens * TOKLEN);
	size_t *lens = malloc(ntokens * sizeof(*lens));
	unsigned *order = malloc(ntokens * sizeof(*order));
	struct tokenindex *ix;
	struct token_target t, got;
	double best_hit = 1e18, best_miss = 1e18, t0;
	long rss0, rss1;
	const char *why;
	size_t found = 0;

	if (toks == NULL || lens == NULL || order == NULL)
		return 1;
	for (unsigned i = 0; i < ntokens; i++) {
		lens[i] = (size_t)snprintf(toks[i], TOKLEN,
		    "%08x-%04x-console-%u", i * 2654435761u, i & 0xffff, i);
		order[i] = i;
	}
	/* Look up in a shuffled order: no help from the insertion order. */
	srand(1);
	for (unsigned i = ntokens - 1; i > 0; i--) {
		unsigned j = (unsigned)rand() % (i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	rss0 = rss_kib();
	t0 = now_ns();
	ix = tokenindex_new();
	if (ix == NULL)
		return 1;
	for (unsigned i = 0; i < ntokens; i++) {
		char host[32];
		int n = snprintf(host, sizeof(host), "10.%u.%u.%u",
		    (i >> 16) & 255, (i >> 8) & 255, i & 255);

		if (token_target_tcp(host, (size_t)n, 5900, &t, &why) != 0 ||
		    tokenindex_add(ix, toks[i], lens[i], &t, &why) != 0)
			return 1;
	}
	t0 = now_ns() - t0;
	rss1 = rss_kib();
	for (int r = 0; r < rounds; r++) {
		double s = now_ns();

		for (unsigned i = 0; i < ntokens; i++)
			found += (size_t)tokenindex_lookup(ix, toks[order[i]],
			    lens[order[i]], &got);
		s = (now_ns() - s) / ntokens;
		if (s < best_hit)
			best_hit = s;
	}
	/* Misses: same length and shape, first byte changed. */
	for (unsigned i = 0; i < ntokens; i++)
		toks[i][0] = 'x';
	for (int r = 0; r < rounds; r++) {
		double s = now_ns();

		for (unsigned i = 0; i < ntokens; i++)
			found += (size_t)tokenindex_lookup(ix, toks[order[i]],
			    lens[order[i]], &got);
		s = (now_ns() - s) / ntokens;
		if (s < best_miss)
			best_miss = s;
	}
	if (found != (size_t)ntokens * (size_t)rounds)
		return 1;
	printf("tokenindex: %u tokens built in %.1f ms (%.0f ns per add), "
	    "%ld KiB (%.0f bytes per token)\n", ntokens, t0 / 1e6,
	    t0 / ntokens, rss1 - rss0, (double)(rss1 - rss0) * 1024 / ntokens);
	printf("tokenindex: lookup %.0f ns (hit), %.0f ns (miss), best of %d "
	    "rounds\n", best_hit, best_miss, rounds);
	tokenindex_free(ix);
	free(toks);
	free(lens);
	free(order);
	return 0;
}

static char tok[JWT_MAX + 1];
static struct jwt T;

static const char *
make_token(EVP_PKEY *pk, const uint8_t *secret, size_t slen,
    const char *alg, bool es256)
{
	char header[64], claims[] = "{\"host\":\"10.0.0.5\",\"port\":5900,"
	    "\"exp\":4000000000,\"aud\":\"wsgate\"}";
	uint8_t sig[1024], raw[64];
	size_t o, siglen = sizeof(sig);

	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
	    alg);
	o = jwt_base64url_encode((const uint8_t *)header, strlen(header), tok,
	    sizeof(tok));
	tok[o++] = '.';
	o += jwt_base64url_encode((const uint8_t *)claims, strlen(claims),
	    tok + o, sizeof(tok) - o);
	if (pk == NULL) {
		if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, slen,
		    (uint8_t *)tok, o, sig, 32, &siglen) == NULL)
			return NULL;
	} else {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pk,
		    NULL) != 1 || EVP_DigestSign(md, sig, &siglen,
		    (uint8_t *)tok, o) != 1)
			return NULL;
		EVP_MD_CTX_free(md);
		if (es256) {
			const uint8_t *p = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
			const BIGNUM *r, *s;

			ECDSA_SIG_get0(es, &r, &s);
			BN_bn2binpad(r, raw, 32);
			BN_bn2binpad(s, raw + 32, 32);
			ECDSA_SIG_free(es);
			memcpy(sig, raw, 64);
			siglen = 64;
		}
	}
	tok[o++] = '.';
	jwt_base64url_encode(sig, siglen, tok + o, sizeof(tok) - o);
	return tok;
}

static char *
pem_of(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	PEM_write_bio_PUBKEY(b, pk);
	n = BIO_get_mem_data(b, &data);
	s = malloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

/* decode + header + verify + claims + target, as admission will. */
static int
bench_jwt(const char *name, enum jwt_alg alg, const struct jwt_key *k,
    const char *token, int n)
{
	struct jwt_policy pol = { .now = 1700000000, .leeway = 30,
				  .audience = "wsgate" };
	struct token_target t;
	const char *why;
	size_t len = strlen(token);
	double dec = 1e18, all = 1e18;

	for (int round = 0; round < 5; round++) {
		double s = now_ns();

		for (int i = 0; i < n; i++)
			if (jwt_decode(token, len, &T, &why) != 0)
				return 1;
		s = (now_ns() - s) / n;
		if (s < dec)
			dec = s;
		s = now_ns();
		for (int i = 0; i < n; i++) {
			if (jwt_decode(token, len, &T, &why) != 0 ||
			    jwt_check_header(&T, alg, &why) != 0 ||
			    jwt_verify(k, &T, &why) != 0 ||
			    jwt_check_claims(&T, &pol, &why) != 0 ||
			    jwt_target(&T, &t, &why) != 0) {
				fprintf(stderr, "%s: %s\n", name, why);
				return 1;
			}
		}
		s = (now_ns() - s) / n;
		if (s < all)
			all = s;
	}
	printf("jwt %s: %zu-byte token, decode %.1f us, decode + verify + "
	    "checks %.1f us\n", name, len, dec / 1e3, all / 1e3);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned ntokens = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) :
	    100000;
	uint8_t secret[32];
	char text[64];
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
	char *rpem = pem_of(rsa), *epem = pem_of(ec);
	const char *why;
	struct jwt_key *hk, *rk, *ek;
	int rc = 0;

	if (ntokens == 0 || bench_index(ntokens, 10) != 0) {
		fprintf(stderr, "tokenbench: index failed\n");
		return 1;
	}
	memset(secret, 7, sizeof(secret));
	jwt_base64url_encode(secret, sizeof(secret), text, sizeof(text));
	hk = jwt_key_new(JWT_ALG_HS256, text, strlen(text), &why);
	rk = jwt_key_new(JWT_ALG_RS256, rpem, strlen(rpem), &why);
	ek = jwt_key_new(JWT_ALG_ES256, epem, strlen(epem), &why);
	if (hk == NULL || rk == NULL || ek == NULL) {
		fprintf(stderr, "tokenbench: keys failed\n");
		return 1;
	}
	rc |= bench_jwt("HS256", JWT_ALG_HS256, hk, make_token(NULL, secret,
	    sizeof(secret), "HS256", false), 20000);
	rc |= bench_jwt("RS256", JWT_ALG_RS256, rk, make_token(rsa, NULL, 0,
	    "RS256", false), 5000);
	rc |= bench_jwt("ES256", JWT_ALG_ES256, ek, make_token(ec, NULL, 0,
	    "ES256", true), 2000);
	jwt_key_free(hk);
	jwt_key_free(rk);
	jwt_key_free(ek);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	free(rpem);
	free(epem);
	return rc;
}
