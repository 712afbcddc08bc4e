/* jwt_verify.h -- JWS signature checks (HS256, RS256, ES256) and key loading, with OpenSSL EVP */
#ifndef WSGATE_JWT_VERIFY_H
#define WSGATE_JWT_VERIFY_H

/*
 * The key is pinned by the configuration (jwt_key, jwt_algorithm): it is
 * never chosen by the token, and a key made for one algorithm verifies
 * only that one, so "alg": "HS256" with an RSA public key as the HMAC
 * secret cannot happen.
 *
 *   HS256  HMAC-SHA-256 (RFC 7518 3.2); the file holds the secret in
 *          base64url or base64, as websockify (jwcrypto) reads it; at
 *          least 32 bytes once decoded; compared with CRYPTO_memcmp.
 *   RS256  RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 3.3); a PEM public
 *          key ("PUBLIC KEY" or "RSA PUBLIC KEY") or certificate, at
 *          least 2048 bits.
 *   ES256  ECDSA P-256 with SHA-256 (RFC 7518 3.4); a PEM public key or
 *          certificate on prime256v1.  The JWS signature is R || S, 64
 *          bytes, converted to DER for EVP_DigestVerify.
 * A PEM private key is refused (the gateway needs only the public half).
 *
 * Ownership: jwt_key_new() returns the key, jwt_key_free() frees it
 * (NULL is a no-op); the caller reads the file (a regular file of
 * bounded size; for HS256, not world-readable) and passes its bytes.
 * A key is read-only once made: one key serves every worker thread.
 * Errors are static text for the caller's log line.
 */

#include <stddef.h>

#include "jwt.h"

struct jwt_key;

struct jwt_key *jwt_key_new(enum jwt_alg alg, const char *data, size_t len,
    const char **why);
void jwt_key_free(struct jwt_key *k);
enum jwt_alg jwt_key_alg(const struct jwt_key *k);

/*
 * The algorithm a key file is for, for websockify's JWTTokenApi (which
 * takes whatever the key allows): a PEM RSA public key or certificate
 * is RS256, one on P-256 ES256; a file with no PEM block is an HS256
 * secret.  NULL with *why for a PEM file that is neither (a private
 * key, another curve or type, unreadable PEM).  jwt_key_new() then
 * checks the rest (RSA size, secret length).
 */
const char *jwt_key_infer_alg(const char *data, size_t len,
    const char **why);

/* 0 when t's signature is valid for k, else -1 with *why. */
int jwt_verify(const struct jwt_key *k, const struct jwt *t,
    const char **why);

#endif
