/* test_jwt_verify.c -- unit tests for JWS signatures: RFC 7515 A.1-A.3 vectors, keys made at test time, alg confusion */
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "testlib.h"

#include "jwt.h"
#include "jwt_verify.h"

/* RFC 7515 A.1 (HS256): the token and its key, as a jwcrypto "k". */
#define A1_TOKEN                                                              \
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"                            \
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"   \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"                                      \
	".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define A1_KEY                                                                \
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0i"    \
	"PS4hcgUuTwjAzZr1Z9CAow\n"

/* The claims of A.1-A.3. */
#define A_CLAIMS                                                              \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"    \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

/* RFC 7515 A.2 (RS256): the token and the public key (n, e). */
#define A2_TOKEN                                                              \
	"eyJhbGciOiJSUzI1NiJ9." A_CLAIMS                                      \
	".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"   \
	"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"    \
	"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"    \
	"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"    \
	"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"    \
	"p0igcN_IoypGlUPQGe77Rw"
#define A2_N                                                                  \
	"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"          \
	"HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"          \
	"D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"          \
	"SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"          \
	"MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"          \
	"NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define A2_E "AQAB"

/* RFC 7515 A.3 (ES256): the token and the public key (x, y). */
#define A3_TOKEN                                                              \
	"eyJhbGciOiJFUzI1NiJ9." A_CLAIMS                                      \
	".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"   \
	"pmWQxfKTUJqPP3-Kg6NU1Q"
#define A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"

static struct jwt T;
static char tokbuf[JWT_MAX * 2];

static size_t
unb64(const char *s, uint8_t *out, size_t size)
{
	long n = jwt_base64url_decode(s, strlen(s), out, size);

	CHECK(n >= 0);
	return n < 0 ? 0 : (size_t)n;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	CHECK(pk != NULL);
	return pk;
}

static EVP_PKEY *
rsa_public(const char *n64, const char *e64)
{
	uint8_t n[512], e[8];
	size_t nl = unb64(n64, n, sizeof(n)), el = unb64(e64, e, sizeof(e));
	BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el,
	    NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY *pk;

	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
	params = OSSL_PARAM_BLD_to_param(bld);
	pk = from_params("RSA", params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pk;
}

static EVP_PKEY *
ec_public(const char *x64, const char *y64)
{
	uint8_t pub[65];
	char group[] = "prime256v1";
	OSSL_PARAM params[3];

	pub[0] = 4;	/* uncompressed point */
	CHECK_INT(unb64(x64, pub + 1, 32), 32);
	CHECK_INT(unb64(y64, pub + 33, 32), 32);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	return from_params("EC", params);
}

/* A BIO's contents as a NUL-terminated heap string. */
static char *
bio_text(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	s = malloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

static char *
pem_public(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_mem());

	CHECK(PEM_write_bio_PUBKEY(b, pk) == 1);
	return bio_text(b);
}

static char *
pem_private(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_mem());

	CHECK(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) == 1);
	return bio_text(b);
}

/* "-----BEGIN RSA PUBLIC KEY-----" (PKCS#1), as older tools write it. */
static char *
pem_pkcs1(EVP_PKEY *pk)
{
	OSSL_ENCODER_CTX *ectx = OSSL_ENCODER_CTX_new_for_pkey(pk,
	    EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
	BIO *b = BIO_new(BIO_s_mem());

	CHECK(ectx != NULL && OSSL_ENCODER_to_bio(ectx, b) == 1);
	OSSL_ENCODER_CTX_free(ectx);
	return bio_text(b);
}

/* A self-signed certificate for pk (which holds the private key). */
static char *
pem_cert(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_NAME *nm;
	BIO *b = BIO_new(BIO_s_mem());

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"jwt", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	CHECK(X509_sign(x, pk, EVP_sha256()) > 0);
	CHECK(PEM_write_bio_X509(b, x) == 1);
	X509_free(x);
	return bio_text(b);
}

/* header.claims, base64url, into tokbuf; returns its length. */
static size_t
signing_input(const char *header, const char *claims)
{
	size_t o = jwt_base64url_encode((const uint8_t *)header,
	    strlen(header), tokbuf, sizeof(tokbuf));

	tokbuf[o++] = '.';
	o += jwt_base64url_encode((const uint8_t *)claims, strlen(claims),
	    tokbuf + o, sizeof(tokbuf) - o);
	return o;
}

static const char *
append_sig(size_t o, const uint8_t *sig, size_t n)
{
	tokbuf[o++] = '.';
	jwt_base64url_encode(sig, n, tokbuf + o, sizeof(tokbuf) - o);
	return tokbuf;
}

/* Sign with a private EVP_PKEY: RS256, or ES256 as R || S (der: as DER). */
static const char *
sign_pk(EVP_PKEY *pk, bool es256, bool der, const char *header,
    const char *claims)
{
	size_t o = signing_input(header, claims), siglen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[1024], raw[64];

	CHECK(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pk,
	    NULL) == 1);
	siglen = sizeof(sig);
	CHECK(EVP_DigestSign(md, sig, &siglen, (const uint8_t *)tokbuf, o) ==
	    1);
	EVP_MD_CTX_free(md);
	if (es256 && !der) {
		const uint8_t *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
		const BIGNUM *r, *s;

		CHECK(es != NULL);
		ECDSA_SIG_get0(es, &r, &s);
		BN_bn2binpad(r, raw, 32);
		BN_bn2binpad(s, raw + 32, 32);
		ECDSA_SIG_free(es);
		return append_sig(o, raw, sizeof(raw));
	}
	return append_sig(o, sig, siglen);
}

static const char *
sign_hs256(const uint8_t *secret, size_t n, const char *header,
    const char *claims)
{
	size_t o = signing_input(header, claims), maclen = 0;
	uint8_t mac[32];

	CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, n,
	    (const uint8_t *)tokbuf, o, mac, sizeof(mac), &maclen) != NULL);
	return append_sig(o, mac, sizeof(mac));
}

static struct jwt_key *
key(enum jwt_alg alg, const char *text)
{
	const char *why = NULL;
	struct jwt_key *k = jwt_key_new(alg, text, strlen(text), &why);

	if (k == NULL)
		fprintf(stderr, "    key: %s\n", why);
	CHECK(k != NULL);
	return k;
}

/* The reason jwt_key_new refuses text, or NULL if it does not. */
static const char *
key_refused(enum jwt_alg alg, const char *text)
{
	const char *why = NULL;
	struct jwt_key *k = jwt_key_new(alg, text, strlen(text), &why);

	if (k != NULL) {
		jwt_key_free(k);
		return NULL;
	}
	return why != NULL ? why : "(refused without why)";
}

/* decode + verify; the reason, or NULL when the signature is good. */
static const char *
verify(const struct jwt_key *k, const char *tok)
{
	const char *why = NULL;

	if (jwt_decode(tok, strlen(tok), &T, &why) != 0)
		return why;
	if (jwt_verify(k, &T, &why) != 0)
		return why != NULL ? why : "(failed without why)";
	return NULL;
}

static void
test_rfc7515_vectors(void)
{
	struct jwt_key *hs = key(JWT_ALG_HS256, A1_KEY);
	EVP_PKEY *rsa = rsa_public(A2_N, A2_E), *ec = ec_public(A3_X, A3_Y);
	char *rsa_pem = pem_public(rsa), *ec_pem = pem_public(ec);
	struct jwt_key *rs = key(JWT_ALG_RS256, rsa_pem);
	struct jwt_key *es = key(JWT_ALG_ES256, ec_pem);
	const char *why;

	if (hs == NULL || rs == NULL || es == NULL)
		goto out;
	CHECK_INT(jwt_key_alg(rs), JWT_ALG_RS256);
	CHECK(verify(hs, A1_TOKEN) == NULL);
	CHECK(verify(rs, A2_TOKEN) == NULL);
	CHECK(verify(es, A3_TOKEN) == NULL);
	/* Each key verifies only its algorithm. */
	CHECK_STR(verify(rs, A1_TOKEN), "alg is not the configured "
	    "jwt_algorithm");
	CHECK_STR(verify(hs, A3_TOKEN), "alg is not the configured "
	    "jwt_algorithm");
	/* One flipped bit anywhere in the signature. */
	CHECK_INT(jwt_decode(A2_TOKEN, strlen(A2_TOKEN), &T, &why), 0);
	for (size_t i = 0; i < T.sig_len; i += 37) {
		T.sig[i] ^= 0x10;
		CHECK_INT(jwt_verify(rs, &T, &why), -1);
		CHECK_STR(why, "signature does not verify");
		T.sig[i] ^= 0x10;
	}
	CHECK_INT(jwt_verify(rs, &T, &why), 0);
	CHECK_INT(jwt_decode(A3_TOKEN, strlen(A3_TOKEN), &T, &why), 0);
	T.sig[63] ^= 1;
	CHECK_INT(jwt_verify(es, &T, &why), -1);
	CHECK_STR(why, "signature does not verify");
	T.sig_len = 63;
	CHECK_INT(jwt_verify(es, &T, &why), -1);
	CHECK_STR(why, "signature has the wrong length for ES256");
	/* R = 0 and S = 0: not a signature, no crash. */
	memset(T.sig, 0, 64);
	T.sig_len = 64;
	CHECK_INT(jwt_verify(es, &T, &why), -1);
	CHECK_INT(jwt_decode(A1_TOKEN, strlen(A1_TOKEN), &T, &why), 0);
	T.sig[31] ^= 0x80;
	CHECK_INT(jwt_verify(hs, &T, &why), -1);
	CHECK_STR(why, "signature does not verify");
	T.sig_len = 31;
	CHECK_INT(jwt_verify(hs, &T, &why), -1);
	CHECK_STR(why, "signature has the wrong length for HS256");
	/* The signing input is covered: other claims, same signature. */
	{
		char forged[sizeof(A1_TOKEN) + 8];
		const char *sig = strrchr(A1_TOKEN, '.');

		snprintf(forged, sizeof(forged), "eyJhbGciOiJIUzI1NiJ9.e30%s",
		    sig);
		CHECK_STR(verify(hs, forged), "signature does not verify");
	}
out:
	jwt_key_free(hs);
	jwt_key_free(rs);
	jwt_key_free(es);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	free(rsa_pem);
	free(ec_pem);
}

/* Keys made here, tokens signed here, the whole admission order. */
static void
test_generated_keys(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
	char *rsa_pem = pem_public(rsa), *ec_pem = pem_public(ec);
	char *pkcs1 = pem_pkcs1(rsa), *cert = pem_cert(ec);
	struct jwt_key *rs = key(JWT_ALG_RS256, rsa_pem);
	struct jwt_key *rs1 = key(JWT_ALG_RS256, pkcs1);
	struct jwt_key *es = key(JWT_ALG_ES256, ec_pem);
	struct jwt_key *esc = key(JWT_ALG_ES256, cert);
	struct jwt_key *other = NULL;
	char claims[256], *other_pem = NULL;
	EVP_PKEY *ec2 = EVP_EC_gen("P-256");
	struct jwt_policy pol = { .leeway = 30, .require_exp = true,
				  .audience = "wsgate" };
	struct token_target t;
	const char *tok, *why;

	if (rs == NULL || rs1 == NULL || es == NULL || esc == NULL ||
	    ec2 == NULL)
		goto out;
	other_pem = pem_public(ec2);
	other = key(JWT_ALG_ES256, other_pem);
	CHECK(strstr(pkcs1, "BEGIN RSA PUBLIC KEY") != NULL);
	pol.now = (int64_t)time(NULL);
	snprintf(claims, sizeof(claims), "{\"host\":\"10.0.0.5\",\"port\":5900,"
	    "\"exp\":%lld,\"aud\":\"wsgate\"}", (long long)pol.now + 60);

	/* RS256: decode, header, signature, claims, target. */
	tok = sign_pk(rsa, false, false, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	    claims);
	CHECK_INT(jwt_decode(tok, strlen(tok), &T, &why), 0);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_RS256, &why), 0);
	CHECK_INT(jwt_verify(rs, &T, &why), 0);
	CHECK_INT(jwt_verify(rs1, &T, &why), 0);
	CHECK_INT(jwt_check_claims(&T, &pol, &why), 0);
	CHECK_INT(jwt_target(&T, &t, &why), 0);
	CHECK_STR(t.host, "10.0.0.5");
	CHECK_INT(t.port, 5900);

	/* ES256, with the key as PEM or as a certificate. */
	tok = sign_pk(ec, true, false, "{\"alg\":\"ES256\"}", claims);
	CHECK(verify(es, tok) == NULL);
	CHECK(verify(esc, tok) == NULL);
	CHECK_STR(verify(other, tok), "signature does not verify");
	/* A DER signature (a common signer mistake) is the wrong length. */
	tok = sign_pk(ec, true, true, "{\"alg\":\"ES256\"}", claims);
	CHECK_STR(verify(es, tok), "signature has the wrong length for ES256");

	/* Expired a minute ago: past the 30 s leeway. */
	snprintf(claims, sizeof(claims), "{\"host\":\"h\",\"port\":1,"
	    "\"exp\":%lld,\"aud\":\"wsgate\"}", (long long)pol.now - 60);
	tok = sign_pk(ec, true, false, "{\"alg\":\"ES256\"}", claims);
	CHECK(verify(es, tok) == NULL);
	CHECK_INT(jwt_check_claims(&T, &pol, &why), CODEC_ERROR);
	CHECK_STR(why, "token expired");

	/* Keys of the wrong kind or size. */
	CHECK_STR(key_refused(JWT_ALG_ES256, rsa_pem), "ES256 needs an EC "
	    "public key on P-256 (prime256v1)");
	CHECK_STR(key_refused(JWT_ALG_RS256, ec_pem), "RS256 needs an RSA "
	    "public key");
	{
		EVP_PKEY *small = EVP_RSA_gen(1024), *p384 = EVP_EC_gen("P-384");
		char *s = pem_public(small), *p = pem_public(p384);
		char *priv = pem_private(ec);

		CHECK_STR(key_refused(JWT_ALG_RS256, s), "RS256 needs an RSA "
		    "key of at least 2048 bits");
		CHECK_STR(key_refused(JWT_ALG_ES256, p), "ES256 needs an EC "
		    "public key on P-256 (prime256v1)");
		CHECK_STR(key_refused(JWT_ALG_ES256, priv), "jwt_key holds a "
		    "private key: give the public key (openssl pkey -in KEY "
		    "-pubout)");
		free(s);
		free(p);
		free(priv);
		EVP_PKEY_free(small);
		EVP_PKEY_free(p384);
	}
	CHECK_STR(key_refused(JWT_ALG_RS256, "not a key\n"), "jwt_key holds no "
	    "PEM public key or certificate");
	CHECK_STR(key_refused(JWT_ALG_RS256, ""), "jwt_key holds no PEM public "
	    "key or certificate");
	CHECK_STR(key_refused(JWT_ALG_NONE, "x"), "jwt_algorithm must be HS256, "
	    "RS256 or ES256");
	CHECK_STR(key_refused(JWT_ALG_UNSUPPORTED, "x"), "jwt_algorithm must "
	    "be HS256, RS256 or ES256");
out:
	jwt_key_free(rs);
	jwt_key_free(rs1);
	jwt_key_free(es);
	jwt_key_free(esc);
	jwt_key_free(other);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec2);
	free(rsa_pem);
	free(ec_pem);
	free(pkcs1);
	free(cert);
	free(other_pem);
}

/*
 * The classic confusions: "alg": "none", and an HMAC made with the RSA
 * public key (which everyone has) as the secret.
 */
static void
test_alg_confusion(void)
{
	EVP_PKEY *rsa = rsa_public(A2_N, A2_E);
	char *pem = pem_public(rsa);
	struct jwt_key *rs = key(JWT_ALG_RS256, pem);
	const char *tok, *why;

	if (rs == NULL)
		goto out;
	tok = sign_hs256((const uint8_t *)pem, strlen(pem),
	    "{\"alg\":\"HS256\"}", "{\"host\":\"evil\",\"port\":22}");
	CHECK_INT(jwt_decode(tok, strlen(tok), &T, &why), 0);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_RS256, &why), CODEC_ERROR);
	/* Even if the header check were skipped, the key decides. */
	CHECK_INT(jwt_verify(rs, &T, &why), -1);
	CHECK_STR(why, "alg is not the configured jwt_algorithm");
	/* And the PEM file cannot be configured as an HS256 secret. */
	CHECK_STR(key_refused(JWT_ALG_HS256, pem), "a PEM key is not an HS256 "
	    "secret (RS256 and ES256 take PEM public keys)");

	/* alg none, with or without a signature. */
	CHECK_INT(jwt_decode("eyJhbGciOiJub25lIn0.e30.", 24, &T, &why), 0);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_RS256, &why), CODEC_ERROR);
	CHECK_STR(why, "alg none refused");
	CHECK_INT(jwt_verify(rs, &T, &why), -1);
	T.alg = JWT_ALG_RS256;	/* as if the header check lied */
	CHECK_INT(jwt_verify(rs, &T, &why), -1);
out:
	jwt_key_free(rs);
	EVP_PKEY_free(rsa);
	free(pem);
}

static void
test_hs256_keys(void)
{
	uint8_t secret[32];
	char text[64];
	struct jwt_key *k;
	const char *tok;

	memset(secret, 0x5a, sizeof(secret));
	jwt_base64url_encode(secret, sizeof(secret), text, sizeof(text));
	k = key(JWT_ALG_HS256, text);
	tok = sign_hs256(secret, sizeof(secret), "{\"alg\":\"HS256\"}", "{}");
	CHECK(verify(k, tok) == NULL);
	/* Another secret of the same length does not verify. */
	secret[0] ^= 1;
	tok = sign_hs256(secret, sizeof(secret), "{\"alg\":\"HS256\"}", "{}");
	CHECK_STR(verify(k, tok), "signature does not verify");
	jwt_key_free(k);
	jwt_key_free(NULL);
	/* 31 bytes are too short (RFC 7518 3.2). */
	jwt_base64url_encode(secret, 31, text, sizeof(text));
	CHECK_STR(key_refused(JWT_ALG_HS256, text), "HS256 secret shorter "
	    "than 32 bytes (RFC 7518 3.2; openssl rand -base64 32 makes one)");
	CHECK_STR(key_refused(JWT_ALG_HS256, "correct horse battery staple!"),
	    "the secret must be written in base64url or base64 (for example: "
	    "openssl rand -base64 32)");
}

/* websockify's JWTTokenApi: the algorithm a key file is for. */
static void
test_infer_alg(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	char *rsa_pem = pem_public(rsa), *pkcs1 = pem_pkcs1(rsa);
	char *rsa_cert = pem_cert(rsa), *ec_pem = pem_public(ec);
	char *ec_cert = pem_cert(ec), *p384_pem = pem_public(p384);
	char *priv = pem_private(ec);
	const char *why, *secret = "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldA==\n";

#define INFER(text) jwt_key_infer_alg((text), strlen(text), &why)
	CHECK_STR(INFER(rsa_pem), "RS256");
	CHECK_STR(INFER(pkcs1), "RS256");
	CHECK_STR(INFER(rsa_cert), "RS256");
	CHECK_STR(INFER(ec_pem), "ES256");
	CHECK_STR(INFER(ec_cert), "ES256");
	CHECK_STR(INFER(secret), "HS256");
	CHECK(why == NULL);
	CHECK(INFER(p384_pem) == NULL);
	CHECK(why != NULL && strstr(why, "neither RSA") != NULL);
	CHECK(INFER(priv) == NULL);
	CHECK(why != NULL && strstr(why, "a private key") != NULL);
	CHECK(INFER("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC "
	    "KEY-----\n") == NULL);
	CHECK(why != NULL && strstr(why, "no public key") != NULL);
#undef INFER
	free(rsa_pem); free(pkcs1); free(rsa_cert); free(ec_pem);
	free(ec_cert); free(p384_pem); free(priv);
	EVP_PKEY_free(rsa); EVP_PKEY_free(ec); EVP_PKEY_free(p384);
}

int
main(void)
{
	RUN(test_infer_alg);
	RUN(test_rfc7515_vectors);
	RUN(test_generated_keys);
	RUN(test_alg_confusion);
	RUN(test_hs256_keys);
	return tl_summary("unit/jwt_verify");
}
