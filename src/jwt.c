/* jwt.c -- pure: JWT compact serialization decoding, strict JSON, claim checks (RFC 7519, 7515) */
#include "jwt.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

/* ---- base64url ---------------------------------------------------------- */

static int
b64_value(unsigned char c, bool std_too)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || (std_too && c == '+'))
		return 62;
	if (c == '_' || (std_too && c == '/'))
		return 63;
	return -1;
}

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/*
 * Strict: only the base64url alphabet, no padding, and the bits of a
 * last partial group that carry no byte must be zero (RFC 4648 3.5), so
 * every byte string has exactly one encoding.  Lenient (secret files):
 * either alphabet, whitespace anywhere skipped, unused bits ignored.
 */
static long
b64_decode(const char *in, size_t len, uint8_t *out, size_t outsize,
    bool lenient)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (lenient && is_ws(c))
			continue;
		v = b64_value(c, lenient);
		if (v < 0)
			return CODEC_ERROR;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		n++;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsize)
				return CODEC_ERROR;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (n % 4 == 1)
		return CODEC_ERROR;
	if (!lenient && acc != 0)
		return CODEC_ERROR;
	return (long)o;
}

long
jwt_base64url_decode(const char *in, size_t len, uint8_t *out,
    size_t outsize)
{
	return b64_decode(in, len, out, outsize, false);
}

size_t
jwt_base64url_encode(const uint8_t *in, size_t len, char *out,
    size_t outsize)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t need = len / 3 * 4 + (len % 3 != 0 ? len % 3 + 1 : 0), o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (need >= outsize)
		return 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

long
jwt_secret_decode(const char *text, size_t len, uint8_t *out,
    size_t outsize, const char **why)
{
	long n;

	/*
	 * '-', letters and newlines are all base64url: a PEM public key
	 * would decode as a "secret" that everyone has (the HS/RS confusion).
	 */
	if (memmem(text, len, "-----", 5) != NULL) {
		*why = "a PEM key is not an HS256 secret (RS256 and ES256 take "
		       "PEM public keys)";
		return CODEC_ERROR;
	}
	while (len > 0 && (is_ws((unsigned char)text[len - 1]) ||
	    text[len - 1] == '='))
		len--;
	n = b64_decode(text, len, out, outsize, true);
	if (n < 0) {
		*why = "the secret must be written in base64url or base64 "
		       "(for example: openssl rand -base64 32)";
		return CODEC_ERROR;
	}
	*why = NULL;
	return n;
}

/* ---- strict JSON ---------------------------------------------------------- */

struct jp {
	const uint8_t *p, *end;
	struct jwt *t;		/* its pool receives decoded strings */
	const char *why;
};

/* A JSON number: its floor magnitude when it fits an int64. */
struct jnum {
	bool neg, integral, overflow;
	uint64_t mag;
};

static void
skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
fail(struct jp *j, const char *why)
{
	j->why = why;
	return -1;
}

static bool
str_eq(const struct jwt_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->p != NULL && s->len == n && memcmp(s->p, lit, n) == 0;
}

static int
hex4(const uint8_t *p, const uint8_t *end, unsigned *v)
{
	*v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		uint8_t c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* UTF-8 of a code point below U+110000 (no surrogates reach here). */
static size_t
utf8_encode(unsigned cp, uint8_t enc[4])
{
	if (cp < 0x80) {
		enc[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		enc[0] = (uint8_t)(0xc0 | cp >> 6);
		enc[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		enc[0] = (uint8_t)(0xe0 | cp >> 12);
		enc[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		enc[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	enc[0] = (uint8_t)(0xf0 | cp >> 18);
	enc[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	enc[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	enc[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escape after a backslash (RFC 8259 7), as UTF-8 bytes. */
static int
escape(struct jp *j, uint8_t enc[4], size_t *elen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	unsigned cp, lo;
	uint8_t c;

	if (j->p >= j->end)
		return fail(j, "JSON string not terminated");
	c = *j->p++;
	if (c != 'u') {
		k = c != '\0' ? strchr(from, c) : NULL;
		if (k == NULL)
			return fail(j, "bad escape in a JSON string");
		enc[0] = (uint8_t)to[k - from];
		*elen = 1;
		return 0;
	}
	if (hex4(j->p, j->end, &cp) != 0)
		return fail(j, "bad \\u escape in a JSON string");
	j->p += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(j, "lone surrogate in a JSON string");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* A pair: "\ud83d\ude00" is U+1F600. */
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
		    hex4(j->p + 2, j->end, &lo) != 0 || lo < 0xdc00 ||
		    lo > 0xdfff)
			return fail(j, "lone surrogate in a JSON string");
		j->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return fail(j, "\\u0000 in a JSON string");
	*elen = utf8_encode(cp, enc);
	return 0;
}

/*
 * A string at j->p (the opening quote).  With out, it is decoded into
 * the pool and NUL-terminated; a decoded string is never longer than its
 * JSON form, so the pool (as large as all the JSON) cannot run out.
 */
static int
parse_string(struct jp *j, struct jwt_str *out)
{
	struct jwt *t = j->t;
	char *w = out != NULL ? t->pool + t->pool_used : NULL;
	size_t n = 0;

	j->p++;		/* opening quote */
	for (;;) {
		uint8_t c, enc[4];
		size_t elen = 1;

		if (j->p >= j->end)
			return fail(j, "JSON string not terminated");
		c = *j->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(j, "control character in a JSON string");
		enc[0] = c;
		if (c == '\\' && escape(j, enc, &elen) != 0)
			return -1;
		if (w != NULL) {
			/* Cannot fail (see above); keeps writes visibly in. */
			if (t->pool_used + n + elen + 1 > sizeof(t->pool))
				return fail(j, "JSON strings too long");
			memcpy(w + n, enc, elen);
		}
		n += elen;
	}
	if (w != NULL) {
		w[n] = '\0';
		out->p = w;
		out->len = n;
		t->pool_used += n + 1;
	}
	return 0;
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* The i-th digit of a number's integer digits followed by its fraction. */
static uint8_t
num_digit(const uint8_t *ia, long ni, const uint8_t *fa, long i)
{
	return i < ni ? ia[i] : fa[i - ni];
}

/* RFC 8259 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
parse_number(struct jp *j, struct jnum *num)
{
	const uint8_t *ia, *fa = NULL;
	long ni, nf = 0, e10 = 0, pos, ndig, k;
	bool eneg = false;

	memset(num, 0, sizeof(*num));
	if (j->p < j->end && *j->p == '-') {
		num->neg = true;
		j->p++;
	}
	ia = j->p;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && is_digit(*j->p))
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	else
		return fail(j, "bad JSON number");
	ni = (long)(j->p - ia);
	if (j->p < j->end && *j->p == '.') {
		fa = ++j->p;
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
		nf = (long)(j->p - fa);
		if (nf == 0)
			return fail(j, "bad JSON number");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		const uint8_t *ea;

		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			eneg = *j->p++ == '-';
		ea = j->p;
		while (j->p < j->end && is_digit(*j->p)) {
			if (e10 < 100000)	/* saturate: 1e100000 is huge */
				e10 = e10 * 10 + (*j->p - '0');
			j->p++;
		}
		if (ea == j->p)
			return fail(j, "bad JSON number");
		if (eneg)
			e10 = -e10;
	}
	/*
	 * The value is the digits D (integer digits, then fraction digits)
	 * with the decimal point after pos of them.  Leading zeros of D
	 * move the point left and are dropped.
	 */
	ndig = ni + nf;
	pos = ni + e10;
	for (k = 0; k < ndig && num_digit(ia, ni, fa, k) == '0'; k++)
		pos--;
	num->integral = true;
	if (k == ndig)
		return 0;	/* zero */
	if (pos > 19) {		/* >= 10^19 > INT64_MAX */
		num->overflow = true;
		return 0;
	}
	for (long i = k; i < ndig; i++) {
		uint8_t d = num_digit(ia, ni, fa, i);

		if (i - k < pos)
			num->mag = num->mag * 10 + (uint64_t)(d - '0');
		else if (d != '0')
			num->integral = false;
	}
	for (long i = ndig - k; i < pos; i++)
		num->mag *= 10;	/* at most 19 digits in all: no wrap */
	if (num->mag > (uint64_t)INT64_MAX)
		num->overflow = true;
	return 0;
}

static int
expect_literal(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return fail(j, "bad JSON value");
	j->p += n;
	return 0;
}

/* Any JSON value, checked and skipped; depth counts enclosing levels. */
static int
skip_value(struct jp *j, int depth)
{
	struct jnum num;
	uint8_t open, close;

	skip_ws(j);
	if (j->p >= j->end)
		return fail(j, "JSON value missing");
	switch (*j->p) {
	case '"':
		return parse_string(j, NULL);
	case 't':
		return expect_literal(j, "true");
	case 'f':
		return expect_literal(j, "false");
	case 'n':
		return expect_literal(j, "null");
	case '{':
	case '[':
		break;
	default:
		return parse_number(j, &num);
	}
	if (depth >= JWT_JSON_DEPTH)
		return fail(j, "JSON nested too deeply");
	open = *j->p++;
	close = open == '{' ? '}' : ']';
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (open == '{') {
			skip_ws(j);
			if (j->p >= j->end || *j->p != '"')
				return fail(j, "JSON object member name missing");
			if (parse_string(j, NULL) != 0)
				return -1;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return fail(j, "':' missing in a JSON object");
			j->p++;
		}
		if (skip_value(j, depth + 1) != 0)
			return -1;
		skip_ws(j);
		if (j->p >= j->end)
			return fail(j, "JSON not terminated");
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return fail(j, "',' missing in JSON");
		j->p++;
	}
}

typedef int (*member_fn)(struct jp *j, const struct jwt_str *name);

/*
 * The top-level object: every member name is decoded (so "ex\u0070"
 * and "exp" are the same name) and must be unique; member() parses each
 * value.  Nothing but whitespace may follow.
 */
static int
parse_top(struct jp *j, member_fn member, const char *not_object)
{
	struct jwt_str names[JWT_JSON_MEMBERS];
	size_t n = 0;

	skip_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return fail(j, not_object);
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
	} else {
		for (;;) {
			skip_ws(j);
			if (j->p >= j->end || *j->p != '"')
				return fail(j, "JSON object member name missing");
			if (n == JWT_JSON_MEMBERS)
				return fail(j, "more than 64 members in a JWT "
				    "header or claims");
			if (parse_string(j, &names[n]) != 0)
				return -1;
			for (size_t i = 0; i < n; i++) {
				if (names[i].len == names[n].len &&
				    memcmp(names[i].p, names[n].p,
				    names[n].len) == 0)
					return fail(j, "duplicate member name "
					    "in a JWT header or claims");
			}
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return fail(j, "':' missing in a JSON object");
			j->p++;
			skip_ws(j);
			if (j->p >= j->end)
				return fail(j, "JSON value missing");
			if (member(j, &names[n]) != 0)
				return -1;
			n++;
			skip_ws(j);
			if (j->p >= j->end)
				return fail(j, "JSON not terminated");
			if (*j->p == '}') {
				j->p++;
				break;
			}
			if (*j->p != ',')
				return fail(j, "',' missing in JSON");
			j->p++;
		}
	}
	skip_ws(j);
	if (j->p != j->end)
		return fail(j, "data after the JSON object");
	return 0;
}

static int
want_string(struct jp *j, struct jwt_str *out, const char *why)
{
	if (*j->p != '"')
		return fail(j, why);
	return parse_string(j, out);
}

static int
header_member(struct jp *j, const struct jwt_str *name)
{
	struct jwt *t = j->t;
	struct jwt_str cty;

	if (str_eq(name, "alg")) {
		if (want_string(j, &t->alg_name, "alg must be a string") != 0)
			return -1;
		t->alg = jwt_alg_from_name(t->alg_name.p, t->alg_name.len);
		return 0;
	}
	if (str_eq(name, "typ"))
		return want_string(j, &t->typ, "typ must be a string");
	if (str_eq(name, "kid"))
		return want_string(j, &t->kid, "kid must be a string");
	if (str_eq(name, "cty")) {
		if (want_string(j, &cty, "cty must be a string") != 0)
			return -1;
		/* RFC 7519 5.2: a nested JWT; wsgate reads one level. */
		if (cty.len == 3 && strncasecmp(cty.p, "JWT", 3) == 0)
			return fail(j, "nested JWTs (cty JWT) are not "
			    "supported");
		return 0;
	}
	if (str_eq(name, "crit"))
		return fail(j, "crit header: no JWS extension is supported");
	if (str_eq(name, "enc") || str_eq(name, "zip"))
		return fail(j, "encrypted tokens (JWE) are not supported");
	if (str_eq(name, "b64"))
		return fail(j, "b64 header (RFC 7797) is not supported");
	return skip_value(j, 1);
}

/* A NumericDate (RFC 7519 2): a non-negative number, fraction dropped. */
static int
want_time(struct jp *j, int64_t *out, bool *has, const char *why)
{
	struct jnum num;

	if (*j->p != '-' && !is_digit(*j->p))
		return fail(j, why);
	if (parse_number(j, &num) != 0)
		return -1;
	if (num.neg && num.mag != 0)
		return fail(j, why);
	if (num.overflow)
		return fail(j, "time claim out of range");
	*out = (int64_t)num.mag;
	*has = true;
	return 0;
}

static int
claims_member(struct jp *j, const struct jwt_str *name)
{
	struct jwt *t = j->t;

	if (str_eq(name, "host")) {
		if (want_string(j, &t->host, "host claim must be a string") != 0)
			return -1;
		/* "[::1]": drop the brackets here, where the pool is ours. */
		if (t->host.len >= 2 && t->host.p[0] == '[' &&
		    t->host.p[t->host.len - 1] == ']') {
			char *h = (char *)t->host.p;

			h[t->host.len - 1] = '\0';
			t->host.p = h + 1;
			t->host.len -= 2;
		}
		return 0;
	}
	if (str_eq(name, "port")) {
		struct jnum num;

		if (*j->p == '"')
			return parse_string(j, &t->port_str);
		if (*j->p != '-' && !is_digit(*j->p))
			return fail(j, "port claim must be a number or a "
			    "string");
		if (parse_number(j, &num) != 0)
			return -1;
		if ((num.neg && num.mag != 0) || !num.integral ||
		    num.overflow || num.mag > 65535)
			return fail(j, "port must be a number from 1 to 65535");
		t->port_num = (uint32_t)num.mag;
		t->has_port_num = true;
		return 0;
	}
	if (str_eq(name, "unix_socket"))
		return want_string(j, &t->unix_socket,
		    "unix_socket claim must be a string");
	if (str_eq(name, "iss"))
		return want_string(j, &t->iss, "iss claim must be a string");
	if (str_eq(name, "sub"))
		return want_string(j, &t->sub, "sub claim must be a string");
	if (str_eq(name, "origin"))
		return want_string(j, &t->origin,
		    "origin claim must be a string");
	if (str_eq(name, "exp"))
		return want_time(j, &t->exp, &t->has_exp,
		    "exp claim must be a non-negative number");
	if (str_eq(name, "nbf"))
		return want_time(j, &t->nbf, &t->has_nbf,
		    "nbf claim must be a non-negative number");
	if (str_eq(name, "iat"))
		return want_time(j, &t->iat, &t->has_iat,
		    "iat claim must be a non-negative number");
	if (str_eq(name, "aud")) {
		const char *bad = "aud claim must be a string or an array of "
				  "strings";

		t->has_aud = true;
		if (*j->p == '"') {
			t->naud = 1;
			return parse_string(j, &t->aud[0]);
		}
		if (*j->p != '[')
			return fail(j, bad);
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return 0;
		}
		for (;;) {
			skip_ws(j);
			if (j->p >= j->end || *j->p != '"')
				return fail(j, bad);
			if (t->naud == JWT_AUD_MAX)
				return fail(j, "more than 8 aud values");
			if (parse_string(j, &t->aud[t->naud]) != 0)
				return -1;
			t->naud++;
			skip_ws(j);
			if (j->p >= j->end)
				return fail(j, "JSON not terminated");
			if (*j->p == ']') {
				j->p++;
				return 0;
			}
			if (*j->p != ',')
				return fail(j, "',' missing in JSON");
			j->p++;
		}
	}
	return skip_value(j, 1);
}

/* ---- the token ------------------------------------------------------------ */

enum jwt_alg
jwt_alg_from_name(const char *name, size_t len)
{
	static const struct {
		const char *name;
		enum jwt_alg alg;
	} algs[] = {
		{ "none", JWT_ALG_NONE },
		{ "HS256", JWT_ALG_HS256 },
		{ "RS256", JWT_ALG_RS256 },
		{ "ES256", JWT_ALG_ES256 },
	};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strlen(algs[i].name) == len &&
		    memcmp(algs[i].name, name, len) == 0)
			return algs[i].alg;
	}
	return JWT_ALG_UNSUPPORTED;
}

const char *
jwt_alg_name(enum jwt_alg alg)
{
	switch (alg) {
	case JWT_ALG_NONE:
		return "none";
	case JWT_ALG_HS256:
		return "HS256";
	case JWT_ALG_RS256:
		return "RS256";
	case JWT_ALG_ES256:
		return "ES256";
	case JWT_ALG_UNSUPPORTED:
		break;
	}
	return "unsupported";
}

int
jwt_decode(const char *token, size_t len, struct jwt *t, const char **why)
{
	const char *d1, *d2;
	size_t dots = 0;
	long hl, pl, sl;
	struct jp j;

	memset(t, 0, offsetof(struct jwt, json));
	t->pool_used = 0;
	*why = NULL;
	if (len == 0) {
		*why = "empty token";
		return CODEC_ERROR;
	}
	if (len > JWT_MAX) {
		*why = "token longer than 8192 bytes";
		return CODEC_ERROR;
	}
	for (size_t i = 0; i < len; i++)
		dots += token[i] == '.';
	if (dots == 4) {
		*why = "encrypted tokens (JWE) are not supported";
		return CODEC_ERROR;
	}
	if (dots != 2) {
		*why = "not a JWT: expected header.claims.signature";
		return CODEC_ERROR;
	}
	d1 = memchr(token, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	hl = jwt_base64url_decode(token, (size_t)(d1 - token), t->json,
	    sizeof(t->json));
	if (hl < 0) {
		*why = "JWT header is not base64url";
		return CODEC_ERROR;
	}
	pl = jwt_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1),
	    t->json + hl, sizeof(t->json) - (size_t)hl);
	if (pl < 0) {
		*why = "JWT claims are not base64url";
		return CODEC_ERROR;
	}
	sl = jwt_base64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token),
	    t->sig, sizeof(t->sig));
	if (sl < 0) {
		*why = "JWT signature is not base64url or longer than 512 "
		       "bytes";
		return CODEC_ERROR;
	}
	t->sig_len = (size_t)sl;
	t->signing_input = token;
	t->signing_input_len = (size_t)(d2 - token);
	/* RFC 8259 8.1: JSON exchanged between systems is UTF-8. */
	if (!utf8_valid(t->json, (size_t)hl)) {
		*why = "JWT header is not UTF-8";
		return CODEC_ERROR;
	}
	if (!utf8_valid(t->json + hl, (size_t)pl)) {
		*why = "JWT claims are not UTF-8";
		return CODEC_ERROR;
	}
	j.t = t;
	j.why = NULL;
	j.p = t->json;
	j.end = t->json + hl;
	if (parse_top(&j, header_member, "JWT header is not a JSON object") !=
	    0) {
		*why = j.why;
		return CODEC_ERROR;
	}
	if (t->alg_name.p == NULL) {
		*why = "JWT header has no alg";
		return CODEC_ERROR;
	}
	j.p = t->json + hl;
	j.end = t->json + hl + pl;
	if (parse_top(&j, claims_member, "JWT claims are not a JSON object") !=
	    0) {
		*why = j.why;
		return CODEC_ERROR;
	}
	return 0;
}

int
jwt_check_header(const struct jwt *t, enum jwt_alg want, const char **why)
{
	*why = NULL;
	if (t->alg == JWT_ALG_NONE) {
		*why = "alg none refused";
		return CODEC_ERROR;
	}
	if (t->alg == JWT_ALG_UNSUPPORTED) {
		*why = "alg not supported (HS256, RS256 or ES256)";
		return CODEC_ERROR;
	}
	if (t->alg != want) {
		*why = "alg is not the configured jwt_algorithm";
		return CODEC_ERROR;
	}
	return 0;
}

int
jwt_check_claims(const struct jwt *t, const struct jwt_policy *p,
    const char **why)
{
	*why = NULL;
	if (!t->has_exp && p->require_exp) {
		*why = "token has no exp claim";
		return CODEC_ERROR;
	}
	/* Differences, not sums: exp + leeway could overflow. */
	if (t->has_exp && p->now >= t->exp &&
	    (uint64_t)p->now - (uint64_t)t->exp >= p->leeway) {
		*why = "token expired";
		return CODEC_ERROR;
	}
	if (t->has_nbf && p->now < t->nbf &&
	    (uint64_t)t->nbf - (uint64_t)p->now > p->leeway) {
		*why = "token not valid yet (nbf)";
		return CODEC_ERROR;
	}
	if (t->has_aud) {
		bool found = false;

		if (p->audience == NULL) {
			*why = "token has an aud claim but no jwt_audience is "
			       "configured";
			return CODEC_ERROR;
		}
		for (unsigned i = 0; i < t->naud && !found; i++)
			found = strcmp(t->aud[i].p, p->audience) == 0;
		if (!found) {
			*why = "token aud does not include jwt_audience";
			return CODEC_ERROR;
		}
	} else if (p->audience != NULL) {
		*why = "token has no aud claim (jwt_audience is configured)";
		return CODEC_ERROR;
	}
	if (p->issuer != NULL && t->iss.p == NULL) {
		*why = "token has no iss claim (jwt_issuer is configured)";
		return CODEC_ERROR;
	}
	if (p->issuer != NULL && strcmp(t->iss.p, p->issuer) != 0) {
		*why = "token iss is not jwt_issuer";
		return CODEC_ERROR;
	}
	return 0;
}

int
jwt_target(const struct jwt *t, struct token_target *out, const char **why)
{
	bool has_port = t->has_port_num || t->port_str.p != NULL;
	uint16_t port;

	if (t->unix_socket.p != NULL) {
		if (t->host.p != NULL || has_port) {
			*why = "token has both unix_socket and host/port claims";
			return CODEC_ERROR;
		}
		return token_target_unix(t->unix_socket.p, t->unix_socket.len,
		    out, why);
	}
	if (t->host.p == NULL) {
		*why = "token has no host claim";
		return CODEC_ERROR;
	}
	if (t->host.len > 0 && t->host.p[0] == '[') {
		*why = "host is not a valid IPv6 address";	/* "[[::1]]" */
		return CODEC_ERROR;
	}
	if (!has_port) {
		*why = "token has no port claim";
		return CODEC_ERROR;
	}
	/* websockify: host "unix_socket" makes port the socket's path. */
	if (str_eq(&t->host, "unix_socket")) {
		if (t->port_str.p == NULL) {
			*why = "host unix_socket needs the path as port";
			return CODEC_ERROR;
		}
		return token_target_unix(t->port_str.p, t->port_str.len, out,
		    why);
	}
	if (t->has_port_num)
		return token_target_tcp(t->host.p, t->host.len, t->port_num,
		    out, why);
	if (token_port_parse(t->port_str.p, t->port_str.len, &port) != 0) {
		*why = "port must be a number from 1 to 65535";
		return CODEC_ERROR;
	}
	return token_target_tcp(t->host.p, t->host.len, port, out, why);
}
