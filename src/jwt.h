/* jwt.h -- pure: JWT compact serialization decoding, strict JSON, claim checks (RFC 7519, 7515) */
#ifndef WSGATE_JWT_H
#define WSGATE_JWT_H

/*
 * A signed token names its own target (websockify's JWTTokenApi: claims
 * "host" and "port"; wsgate adds "unix_socket" and "origin").  This
 * module decodes and checks; jwt_verify.h checks the signature with
 * OpenSSL.  The order for a request:
 *
 *   jwt_decode(token)            syntax: three base64url parts, strict
 *                                JSON header and claims
 *   jwt_check_header(alg)        the configured algorithm, never "none"
 *   jwt_verify(key)              the signature (jwt_verify.h)
 *   jwt_check_claims(policy)     exp, nbf (with leeway), aud, iss
 *   jwt_target()                 host + port, or unix_socket
 * then the caller checks the "origin" claim against the request's
 * Origin (both through origin_normalize, route.h) and the target against
 * the route's allowed_targets.
 *
 * Ownership: struct jwt is the caller's (about 17 KiB: heap or a worker
 * stack); jwt_decode() fills it and allocates nothing.  Every string in
 * it (claims, the target from jwt_target) points into its own pool and
 * is NUL-terminated; signing_input points into the caller's token, which
 * must outlive jwt_verify().
 *
 * Strictness (each failure has its own static message):
 *   - at most JWT_MAX bytes; exactly two dots (four: JWE, refused);
 *   - base64url without padding, no other characters, unused bits zero
 *     (RFC 7515 2, RFC 4648 5, 3.5);
 *   - header and claims are each one JSON object (RFC 8259), valid
 *     UTF-8, no duplicate member names at the top level (RFC 7515 4,
 *     RFC 7519 4), nesting at most JWT_JSON_DEPTH, at most
 *     JWT_JSON_MEMBERS members at the top level, no \u0000 in strings,
 *     lone surrogates refused;
 *   - header: "alg" required; "crit", "enc", "zip", "b64" refused (no
 *     extension is understood, RFC 7515 4.1.11); cty "JWT" (nested)
 *     refused; "jku", "jwk", "x5u", "x5c" ignored: the key is pinned by
 *     the configuration, never taken from the token;
 *   - claims of the wrong JSON type are errors, not ignored; exp, nbf
 *     and iat are non-negative numbers (fractions truncated); port is a
 *     number or a decimal string (websockify passes either on);
 *   - aud is a string or an array of at most JWT_AUD_MAX strings.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "token.h"

#define JWT_MAX 8192		/* bytes of a compact JWS */
#define JWT_SIG_MAX 512		/* RSA 4096 */
#define JWT_JSON_DEPTH 16	/* nested objects and arrays */
#define JWT_JSON_MEMBERS 64	/* members of the header or the claims */
#define JWT_AUD_MAX 8

enum jwt_alg {
	JWT_ALG_UNSUPPORTED = 0,	/* any other "alg" value */
	JWT_ALG_NONE,
	JWT_ALG_HS256,
	JWT_ALG_RS256,
	JWT_ALG_ES256,
};

/* A decoded JSON string: NUL-terminated, p NULL when absent. */
struct jwt_str {
	const char *p;
	size_t len;
};

struct jwt {
	/* header */
	enum jwt_alg alg;
	struct jwt_str alg_name, typ, kid;
	/* claims */
	struct jwt_str host, unix_socket, iss, sub, origin;
	struct jwt_str port_str;	/* "port" given as a string */
	uint32_t port_num;		/* "port" given as a number */
	bool has_port_num;
	int64_t exp, nbf, iat;
	bool has_exp, has_nbf, has_iat, has_aud;
	struct jwt_str aud[JWT_AUD_MAX];
	unsigned naud;
	/* for jwt_verify(): "header.payload" in the caller's token */
	const char *signing_input;
	size_t signing_input_len;
	uint8_t sig[JWT_SIG_MAX];
	size_t sig_len;
	/* storage */
	uint8_t json[JWT_MAX];	/* decoded header, then claims */
	char pool[JWT_MAX];	/* decoded strings */
	size_t pool_used;
};

struct jwt_policy {
	int64_t now;		/* seconds since the epoch */
	unsigned leeway;	/* seconds of clock skew allowed */
	bool require_exp;	/* refuse a token without "exp" */
	const char *audience;	/* NULL: a token with "aud" is refused */
	const char *issuer;	/* NULL: "iss" not checked */
};

/* 0, or CODEC_ERROR with *why.  The token is not NUL-terminated. */
int jwt_decode(const char *token, size_t len, struct jwt *t,
    const char **why);

/* The token's "alg" must be the configured one; "none" always fails. */
int jwt_check_header(const struct jwt *t, enum jwt_alg want,
    const char **why);

/*
 * RFC 7519 4.1: expired when now >= exp + leeway; not yet valid when
 * now < nbf - leeway; "aud" must contain policy->audience when one is
 * configured, and a token with "aud" is refused when none is (4.1.3);
 * "iss" must equal policy->issuer when one is configured.
 */
int jwt_check_claims(const struct jwt *t, const struct jwt_policy *p,
    const char **why);

/*
 * The target the claims name: "unix_socket" (a path), or "host" and
 * "port"; websockify's {"host": "unix_socket", "port": "/path"} also
 * names a unix socket.  host points into t.  0, or CODEC_ERROR.
 */
int jwt_target(const struct jwt *t, struct token_target *out,
    const char **why);

/* "HS256" -> JWT_ALG_HS256, ...; JWT_ALG_UNSUPPORTED for anything else. */
enum jwt_alg jwt_alg_from_name(const char *name, size_t len);
const char *jwt_alg_name(enum jwt_alg alg);

/*
 * base64url (RFC 4648 5) without padding, strict as above.  Returns the
 * bytes written to out, or CODEC_ERROR if the input is not canonical
 * base64url or does not fit in outsize.
 */
long jwt_base64url_decode(const char *in, size_t len, uint8_t *out,
    size_t outsize);

/* Encode without padding; returns the length written (NUL-terminated),
 * or 0 if outsize is too small.  For tests and tools. */
size_t jwt_base64url_encode(const uint8_t *in, size_t len, char *out,
    size_t outsize);

/*
 * An HS256 secret file as websockify reads it (jwcrypto's "oct" key:
 * the file holds the secret in base64url): surrounding whitespace
 * stripped; base64url or base64 letters, padding optional.  Returns the
 * secret's length, or CODEC_ERROR with *why.
 */
long jwt_secret_decode(const char *text, size_t len, uint8_t *out,
    size_t outsize, const char **why);

#endif
