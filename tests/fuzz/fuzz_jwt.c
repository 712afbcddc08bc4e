/* fuzz_jwt.c -- libFuzzer target: JWT decoding, strict JSON and base64url, claim checks and HS256 verification */
#include <stdbool.h>
#include <string.h>

#include "jwt.h"
#include "jwt_verify.h"

#include "fuzz.h"

/*
 * Input: one mode byte, then
 *   mode & 3 == 0  a compact JWT (what a client sends);
 *   mode & 3 == 1  the claims JSON, wrapped into a token here under
 *                  {"alg":"HS256"} with a dummy signature, so the fuzzer
 *                  reaches the JSON parser and every claim check
 *                  directly;
 *   mode & 3 == 2  the header JSON, wrapped likewise with claims {};
 *   mode & 3 == 3  base64url text and an HS256 secret file.
 * The HS256 seed tokens of gen-corpus.py are signed with key_text, so
 * mode 0 also reaches a signature that verifies.
 */

/* base64url of 32 bytes 0x01..0x20: the key of the seeds too. */
static const char key_text[] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA";

static struct jwt_key *hs_key;
static struct jwt T;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why;

	(void)argc;
	(void)argv;
	hs_key = jwt_key_new(JWT_ALG_HS256, key_text, strlen(key_text), &why);
	FUZZ_CHECK(hs_key != NULL);
	return 0;
}

/* A decoded string: inside the pool, NUL-terminated, no NUL inside. */
static void
check_str(const struct jwt_str *s)
{
	if (s->p == NULL)
		return;
	FUZZ_CHECK(s->p >= T.pool && s->p + s->len < T.pool + sizeof(T.pool));
	FUZZ_CHECK(s->p[s->len] == '\0' && strlen(s->p) == s->len);
}

static void
check_decoded(const char *tok, size_t len)
{
	struct jwt_policy pol = { .now = 1700000000, .leeway = 60 };
	struct token_target t;
	const char *why;
	const char *last_dot;
	char *enc;
	size_t elen;

	check_str(&T.alg_name);
	check_str(&T.typ);
	check_str(&T.kid);
	check_str(&T.host);
	check_str(&T.unix_socket);
	check_str(&T.iss);
	check_str(&T.sub);
	check_str(&T.origin);
	check_str(&T.port_str);
	FUZZ_CHECK(T.naud <= JWT_AUD_MAX);
	for (unsigned i = 0; i < T.naud; i++)
		check_str(&T.aud[i]);
	FUZZ_CHECK(T.alg == jwt_alg_from_name(T.alg_name.p, T.alg_name.len));
	FUZZ_CHECK(!T.has_exp || T.exp >= 0);
	FUZZ_CHECK(!T.has_port_num || T.port_num <= 65535);
	FUZZ_CHECK(T.pool_used <= sizeof(T.pool));
	/* The signature re-encodes to exactly what was sent (canonical). */
	FUZZ_CHECK(T.signing_input == tok && T.signing_input_len < len);
	FUZZ_CHECK(tok[T.signing_input_len] == '.');
	last_dot = tok + T.signing_input_len;
	enc = malloc(JWT_MAX + 1);
	FUZZ_CHECK(enc != NULL);
	elen = jwt_base64url_encode(T.sig, T.sig_len, enc, JWT_MAX + 1);
	FUZZ_CHECK(elen == len - (size_t)(last_dot + 1 - tok));
	FUZZ_CHECK(memcmp(enc, last_dot + 1, elen) == 0);
	free(enc);

	if (jwt_check_header(&T, JWT_ALG_HS256, &why) != 0)
		FUZZ_CHECK(why != NULL && T.alg != JWT_ALG_HS256);
	if (jwt_verify(hs_key, &T, &why) != 0)
		FUZZ_CHECK(why != NULL);
	if (jwt_check_claims(&T, &pol, &why) != 0)
		FUZZ_CHECK(why != NULL);
	pol.audience = "wsgate";
	pol.issuer = "portal";
	pol.require_exp = true;
	if (jwt_check_claims(&T, &pol, &why) == 0)
		FUZZ_CHECK(T.has_exp && T.iss.p != NULL && T.has_aud);
	if (jwt_target(&T, &t, &why) == 0) {
		FUZZ_CHECK(t.host[t.host_len] == '\0');
		FUZZ_CHECK(t.host >= T.pool && t.host < T.pool + sizeof(T.pool));
		FUZZ_CHECK(t.kind == TOKEN_TARGET_UNIX || t.port != 0);
	} else {
		FUZZ_CHECK(why != NULL);
	}
}

static void
decode(const char *tok, size_t len)
{
	const char *why = NULL;

	if (jwt_decode(tok, len, &T, &why) == 0)
		check_decoded(tok, len);
	else
		FUZZ_CHECK(why != NULL);
}

/* header and claims JSON as given, base64url-encoded, HS256-signed. */
static void
wrap(const uint8_t *header, size_t hlen, const uint8_t *claims, size_t clen)
{
	char *tok = malloc(2 * JWT_MAX);
	size_t o;

	FUZZ_CHECK(tok != NULL);
	o = jwt_base64url_encode(header, hlen, tok, JWT_MAX);
	if (o == 0 && hlen != 0)
		goto out;
	tok[o++] = '.';
	o += jwt_base64url_encode(claims, clen, tok + o, JWT_MAX);
	if (o > JWT_MAX)
		goto out;
	/* No real HMAC here: the verify step fails, the checks still run. */
	memcpy(tok + o, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 44);
	o += 44;
	{
		char *exact = (char *)fuzz_dup(tok, o);

		decode(exact, o);
		free(exact);
	}
out:
	free(tok);
}

static void
check_base64(const char *s, size_t len)
{
	uint8_t *out = malloc(len + 1), secret[512];
	char *enc = malloc(len + 4);
	const char *why;
	long n;

	FUZZ_CHECK(out != NULL && enc != NULL);
	n = jwt_base64url_decode(s, len, out, len + 1);
	if (n >= 0) {
		/* Strict base64url has one spelling: encode gives it back. */
		FUZZ_CHECK(jwt_base64url_encode(out, (size_t)n, enc,
		    len + 4) == len);
		FUZZ_CHECK(memcmp(enc, s, len) == 0);
		FUZZ_CHECK(n == 0 || jwt_base64url_decode(s, len, out,
		    (size_t)n - 1) == CODEC_ERROR);
	}
	n = jwt_secret_decode(s, len, secret, sizeof(secret), &why);
	FUZZ_CHECK(n >= 0 ? n <= (long)sizeof(secret) : why != NULL);
	free(out);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	char *buf = (char *)fuzz_dup(in.p, in.n);

	switch (mode & 3) {
	case 0:
		decode(buf, in.n);
		break;
	case 1:
		wrap((const uint8_t *)"{\"alg\":\"HS256\"}", 15, in.p, in.n);
		break;
	case 2:
		wrap(in.p, in.n, (const uint8_t *)"{}", 2);
		break;
	default:
		check_base64(buf, in.n);
		break;
	}
	free(buf);
	return 0;
}
