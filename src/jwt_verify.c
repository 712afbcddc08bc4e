/* jwt_verify.c -- JWS signature checks (HS256, RS256, ES256) and key loading, with OpenSSL EVP */
#include "jwt_verify.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define HS256_SECRET_MIN 32	/* RFC 7518 3.2: at least the hash size */
#define HS256_SECRET_MAX 512
#define RS256_BITS_MIN 2048	/* RFC 7518 3.3 */
#define ES256_SIG_LEN 64	/* RFC 7518 3.4: R || S, 32 bytes each */

struct jwt_key {
	enum jwt_alg alg;
	EVP_PKEY *pkey;		/* RS256, ES256 */
	uint8_t secret[HS256_SECRET_MAX];	/* HS256 */
	size_t secret_len;
};

void
jwt_key_free(struct jwt_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	OPENSSL_cleanse(k->secret, sizeof(k->secret));
	free(k);
}

enum jwt_alg
jwt_key_alg(const struct jwt_key *k)
{
	return k->alg;
}

/* A public key from PEM text: SubjectPublicKeyInfo, PKCS#1, or a
 * certificate's key.  NULL if none is there. */
static EVP_PKEY *
pem_public_key(const char *data, size_t len)
{
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *dctx;
	const unsigned char *p = (const unsigned char *)data;
	size_t left = len;
	BIO *bio;
	X509 *x;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL,
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx != NULL) {
		if (OSSL_DECODER_from_data(dctx, &p, &left) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		OSSL_DECODER_CTX_free(dctx);
	}
	if (pkey != NULL || len > INT_MAX)
		return pkey;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x != NULL) {
		pkey = X509_get_pubkey(x);
		X509_free(x);
	}
	return pkey;
}

static int
check_key_type(enum jwt_alg alg, EVP_PKEY *pkey, const char **why)
{
	char group[64];
	size_t glen = 0;

	if (alg == JWT_ALG_RS256) {
		if (!EVP_PKEY_is_a(pkey, "RSA")) {
			*why = "RS256 needs an RSA public key";
			return -1;
		}
		if (EVP_PKEY_get_bits(pkey) < RS256_BITS_MIN) {
			*why = "RS256 needs an RSA key of at least 2048 bits";
			return -1;
		}
		return 0;
	}
	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		*why = "ES256 needs an EC public key on P-256 (prime256v1)";
		return -1;
	}
	return 0;
}

const char *
jwt_key_infer_alg(const char *data, size_t len, const char **why)
{
	EVP_PKEY *pkey;
	const char *alg = NULL;

	*why = NULL;
	if (memmem(data, len, "-----BEGIN ", 11) == NULL)
		return "HS256";
	if (memmem(data, len, "PRIVATE KEY-----", 16) != NULL) {
		*why = "a private key: give the public key (openssl pkey -in "
		       "KEY -pubout)";
		return NULL;
	}
	pkey = pem_public_key(data, len);
	if (pkey == NULL) {
		*why = "a PEM file with no public key or certificate in it";
		return NULL;
	}
	if (EVP_PKEY_is_a(pkey, "RSA"))
		alg = "RS256";
	else if (check_key_type(JWT_ALG_ES256, pkey, why) == 0)
		alg = "ES256";
	else
		*why = "a public key that is neither RSA (RS256) nor EC on "
		       "P-256 (ES256)";
	EVP_PKEY_free(pkey);
	return alg;
}

struct jwt_key *
jwt_key_new(enum jwt_alg alg, const char *data, size_t len, const char **why)
{
	struct jwt_key *k;

	if (alg != JWT_ALG_HS256 && alg != JWT_ALG_RS256 &&
	    alg != JWT_ALG_ES256) {
		*why = "jwt_algorithm must be HS256, RS256 or ES256";
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		*why = "out of memory";
		return NULL;
	}
	k->alg = alg;
	if (alg == JWT_ALG_HS256) {
		long n = jwt_secret_decode(data, len, k->secret,
		    sizeof(k->secret), why);

		if (n < 0) {
			jwt_key_free(k);
			return NULL;
		}
		if (n < HS256_SECRET_MIN) {
			*why = "HS256 secret shorter than 32 bytes (RFC 7518 "
			       "3.2; openssl rand -base64 32 makes one)";
			jwt_key_free(k);
			return NULL;
		}
		k->secret_len = (size_t)n;
		*why = NULL;
		return k;
	}
	if (memmem(data, len, "PRIVATE KEY-----", 16) != NULL) {
		*why = "jwt_key holds a private key: give the public key "
		       "(openssl pkey -in KEY -pubout)";
		jwt_key_free(k);
		return NULL;
	}
	k->pkey = pem_public_key(data, len);
	if (k->pkey == NULL) {
		*why = "jwt_key holds no PEM public key or certificate";
		jwt_key_free(k);
		return NULL;
	}
	if (check_key_type(alg, k->pkey, why) != 0) {
		jwt_key_free(k);
		return NULL;
	}
	*why = NULL;
	return k;
}

static int
verify_hs256(const struct jwt_key *k, const struct jwt *t, const char **why)
{
	unsigned char mac[32];
	size_t maclen = 0;

	if (t->sig_len != sizeof(mac)) {
		*why = "signature has the wrong length for HS256";
		return -1;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->secret,
	    k->secret_len, (const unsigned char *)t->signing_input,
	    t->signing_input_len, mac, sizeof(mac), &maclen) == NULL ||
	    maclen != sizeof(mac)) {
		*why = "crypto library failure (HMAC)";
		return -1;
	}
	if (CRYPTO_memcmp(mac, t->sig, sizeof(mac)) != 0) {
		*why = "signature does not verify";
		return -1;
	}
	return 0;
}

/* EVP_DigestVerify with SHA-256 over the signing input. */
static int
digest_verify(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
    const struct jwt *t, const char **why)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc;

	if (md == NULL || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL,
	    NULL, pkey, NULL) != 1) {
		EVP_MD_CTX_free(md);
		*why = "crypto library failure (verify init)";
		return -1;
	}
	rc = EVP_DigestVerify(md, sig, siglen,
	    (const unsigned char *)t->signing_input, t->signing_input_len);
	EVP_MD_CTX_free(md);
	if (rc != 1) {
		*why = "signature does not verify";
		return -1;
	}
	return 0;
}

static int
verify_es256(const struct jwt_key *k, const struct jwt *t, const char **why)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int derlen, rc;

	if (t->sig_len != ES256_SIG_LEN) {
		*why = "signature has the wrong length for ES256";
		return -1;
	}
	es = ECDSA_SIG_new();
	r = BN_bin2bn(t->sig, ES256_SIG_LEN / 2, NULL);
	s = BN_bin2bn(t->sig + ES256_SIG_LEN / 2, ES256_SIG_LEN / 2, NULL);
	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(s);
		*why = "crypto library failure (ECDSA_SIG)";
		return -1;
	}
	/* es owns r and s now. */
	derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (derlen <= 0) {
		*why = "crypto library failure (ECDSA_SIG)";
		return -1;
	}
	rc = digest_verify(k->pkey, der, (size_t)derlen, t, why);
	OPENSSL_free(der);
	return rc;
}

int
jwt_verify(const struct jwt_key *k, const struct jwt *t, const char **why)
{
	*why = NULL;
	/* Never the token's choice: the key says which algorithm. */
	if (t->alg != k->alg) {
		*why = "alg is not the configured jwt_algorithm";
		return -1;
	}
	switch (k->alg) {
	case JWT_ALG_HS256:
		return verify_hs256(k, t, why);
	case JWT_ALG_RS256:
		return digest_verify(k->pkey, t->sig, t->sig_len, t, why);
	case JWT_ALG_ES256:
		return verify_es256(k, t, why);
	default:
		break;
	}
	*why = "alg not supported";
	return -1;
}
