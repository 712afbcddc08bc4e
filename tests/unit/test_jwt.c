/* test_jwt.c -- unit tests for JWT decoding: base64url, strict JSON, header and claim checks, targets */
#include "testlib.h"

#include "jwt.h"

/* RFC 7515 A.1: the HS256 example JWS. */
#define RFC7515_A1                                                            \
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"                            \
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"   \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"                                      \
	".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

static struct jwt T;	/* about 17 KiB: not on the stack of every test */
static char tokbuf[JWT_MAX * 2];

/* header.claims.sig with the JSON given as text; returns tokbuf. */
static const char *
make(const char *header, const char *claims, const char *sig)
{
	size_t o;

	o = jwt_base64url_encode((const uint8_t *)header, strlen(header),
	    tokbuf, sizeof(tokbuf));
	tokbuf[o++] = '.';
	o += jwt_base64url_encode((const uint8_t *)claims, strlen(claims),
	    tokbuf + o, sizeof(tokbuf) - o);
	tokbuf[o++] = '.';
	strcpy(tokbuf + o, sig);
	return tokbuf;
}

/* Decode claims under {"alg":"HS256"}; returns *why or NULL. */
static const char *
claims(const char *json)
{
	const char *tok = make("{\"alg\":\"HS256\"}", json, "AAAA"), *why;

	if (jwt_decode(tok, strlen(tok), &T, &why) == 0)
		return NULL;
	return why != NULL ? why : "(error without why)";
}

static const char *
header(const char *json)
{
	const char *tok = make(json, "{}", "AAAA"), *why;

	if (jwt_decode(tok, strlen(tok), &T, &why) == 0)
		return NULL;
	return why != NULL ? why : "(error without why)";
}

static void
test_base64url(void)
{
	/* RFC 4648 10, in the URL alphabet without padding. */
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
	};
	static const char *const bad[] = {
		"Zg==", "Zg=", "Z", "Zm9vY", "Zh", "Zm9", "Zm+v", "Zm/v",
		"Zm9v\n", " Zm9v", "Zm 9v", "Zm9v.",
	};
	uint8_t out[64], rnd[100];
	char enc[160];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t n = strlen(vec[i][0]);

		CHECK_INT(jwt_base64url_encode((const uint8_t *)vec[i][0], n,
		    enc, sizeof(enc)), strlen(vec[i][1]));
		CHECK_STR(enc, vec[i][1]);
		CHECK_INT(jwt_base64url_decode(vec[i][1], strlen(vec[i][1]),
		    out, sizeof(out)), n);
		CHECK_MEM(out, vec[i][0], n);
	}
	/* "Zm8" is canonical for "fo"; "Zm9" has a stray bit set. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (jwt_base64url_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out)) != CODEC_ERROR) {
			fprintf(stderr, "    base64url \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	/* Output limits, both ways. */
	CHECK_INT(jwt_base64url_decode("Zm9vYmFy", 8, out, 6), 6);
	CHECK_INT(jwt_base64url_decode("Zm9vYmFy", 8, out, 5), CODEC_ERROR);
	CHECK_INT(jwt_base64url_encode((const uint8_t *)"foo", 3, enc, 5), 4);
	CHECK_INT(jwt_base64url_encode((const uint8_t *)"foo", 3, enc, 4), 0);
	/* Round trips of every length up to 100. */
	for (size_t n = 0; n <= sizeof(rnd); n++) {
		size_t e;
		uint8_t back[100];

		for (size_t i = 0; i < n; i++)
			rnd[i] = (uint8_t)tl_rand();
		e = jwt_base64url_encode(rnd, n, enc, sizeof(enc));
		CHECK_INT(e, (n * 4 + 2) / 3);
		CHECK_INT(jwt_base64url_decode(enc, e, back, sizeof(back)), n);
		CHECK_MEM(back, rnd, n);
	}
}

static void
test_rfc7515_a1(void)
{
	static const char tok[] = RFC7515_A1;
	struct jwt_policy p = { .now = 1300819379 };
	const char *why;

	CHECK_INT(jwt_decode(tok, sizeof(tok) - 1, &T, &why), 0);
	CHECK_INT(T.alg, JWT_ALG_HS256);
	CHECK_STR(T.alg_name.p, "HS256");
	CHECK_STR(T.typ.p, "JWT");
	CHECK(T.kid.p == NULL);
	CHECK_STR(T.iss.p, "joe");
	CHECK(T.has_exp && T.exp == 1300819380);
	CHECK(!T.has_nbf && !T.has_iat && !T.has_aud);
	CHECK(T.host.p == NULL && !T.has_port_num);
	CHECK_INT(T.sig_len, 32);
	CHECK(T.signing_input == tok);
	CHECK_INT(T.signing_input_len, strchr(strchr(tok, '.') + 1, '.') - tok);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_HS256, &why), 0);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_RS256, &why), CODEC_ERROR);
	CHECK_STR(why, "alg is not the configured jwt_algorithm");
	/* exp 1300819380: valid until one second before. */
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.now = 1300819380;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token expired");
	p.leeway = 10;
	p.now = 1300819389;
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.now = 1300819390;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	p.now = 1300819000;
	p.issuer = "joe";
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.issuer = "jo";
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token iss is not jwt_issuer");
	/* The example names no target. */
	CHECK_INT(jwt_target(&T, &(struct token_target){ 0 }, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "token has no host claim");
}

/* Every truncation of a valid token, each a heap copy of exactly its
 * bytes: no read past the end, and the full token still decodes. */
static void
test_truncations(void)
{
	static const char tok[] = RFC7515_A1;
	const char *why;

	for (size_t n = 0; n <= sizeof(tok) - 1; n++) {
		char *c = malloc(n + 1);
		int rc;

		memcpy(c, tok, n);
		rc = jwt_decode(c, n, &T, &why);
		CHECK(rc == 0 || (rc == CODEC_ERROR && why != NULL));
		/* Only cuts inside the signature can still decode. */
		if (rc == 0)
			CHECK(n > (size_t)(strrchr(tok, '.') - tok));
		free(c);
	}
	CHECK_INT(jwt_decode(tok, sizeof(tok) - 1, &T, &why), 0);
}

static void
test_structure(void)
{
	const char *why;

	CHECK_INT(jwt_decode("", 0, &T, &why), CODEC_ERROR);
	CHECK_STR(why, "empty token");
	CHECK_INT(jwt_decode("abc", 3, &T, &why), CODEC_ERROR);
	CHECK_STR(why, "not a JWT: expected header.claims.signature");
	CHECK_INT(jwt_decode("a.b", 3, &T, &why), CODEC_ERROR);
	CHECK_INT(jwt_decode("a.b.c.d", 7, &T, &why), CODEC_ERROR);
	CHECK_INT(jwt_decode("a.b.c.d.e", 9, &T, &why), CODEC_ERROR);
	CHECK_STR(why, "encrypted tokens (JWE) are not supported");
	CHECK_INT(jwt_decode("e30=.e30.", 9, &T, &why), CODEC_ERROR);
	CHECK_STR(why, "JWT header is not base64url");
	CHECK_INT(jwt_decode("eyJhbGciOiJIUzI1NiJ9.e30=.", 26, &T, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "JWT claims are not base64url");
	CHECK_INT(jwt_decode("eyJhbGciOiJIUzI1NiJ9.e30.A", 26, &T, &why),
	    CODEC_ERROR);
	CHECK_STR(why, "JWT signature is not base64url or longer than 512 "
	    "bytes");
	/* An empty signature decodes (alg none has one); checks refuse it. */
	CHECK_INT(jwt_decode("eyJhbGciOiJIUzI1NiJ9.e30.", 25, &T, &why), 0);
	CHECK_INT(T.sig_len, 0);
	/* 512 signature bytes fit, 513 do not. */
	{
		uint8_t sig[513];
		char enc[700];

		memset(sig, 0xa5, sizeof(sig));
		jwt_base64url_encode(sig, 512, enc, sizeof(enc));
		make("{\"alg\":\"RS256\"}", "{}", enc);
		CHECK_INT(jwt_decode(tokbuf, strlen(tokbuf), &T, &why), 0);
		CHECK_INT(T.sig_len, 512);
		jwt_base64url_encode(sig, 513, enc, sizeof(enc));
		make("{\"alg\":\"RS256\"}", "{}", enc);
		CHECK_INT(jwt_decode(tokbuf, strlen(tokbuf), &T, &why),
		    CODEC_ERROR);
	}
	/* JWT_MAX bytes in all is the limit. */
	{
		static char claims_json[JWT_MAX];
		size_t n;

		for (size_t pad = 6000; pad < 6200; pad++) {
			memset(claims_json, 0, sizeof(claims_json));
			memcpy(claims_json, "{\"x\":\"", 6);
			memset(claims_json + 6, 'p', pad);
			memcpy(claims_json + 6 + pad, "\"}", 3);
			make("{\"alg\":\"HS256\"}", claims_json, "AAAA");
			n = strlen(tokbuf);
			if (n == JWT_MAX || n == JWT_MAX + 1) {
				int rc = jwt_decode(tokbuf, n, &T, &why);

				CHECK_INT(rc, n == JWT_MAX ? 0 : CODEC_ERROR);
				if (n > JWT_MAX)
					CHECK_STR(why, "token longer than 8192 "
					    "bytes");
			}
		}
	}
}

static void
test_header(void)
{
	const char *why;

	CHECK(header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}") ==
	    NULL);
	CHECK_STR(T.kid.p, "k1");
	/* Keys in the token are never used: ignored, not refused. */
	CHECK(header("{\"alg\":\"RS256\",\"jku\":\"http://x\",\"jwk\":{\"k\":"
	    "\"x\"},\"x5u\":\"u\",\"x5c\":[\"c\"]}") == NULL);
	CHECK(header("{\"alg\":\"HS256\",\"cty\":\"text\"}") == NULL);
	CHECK_STR(header("{\"typ\":\"JWT\"}"), "JWT header has no alg");
	CHECK_STR(header("{\"alg\":256}"), "alg must be a string");
	CHECK_STR(header("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}"),
	    "crit header: no JWS extension is supported");
	CHECK_STR(header("{\"alg\":\"dir\",\"enc\":\"A128GCM\"}"),
	    "encrypted tokens (JWE) are not supported");
	CHECK_STR(header("{\"alg\":\"HS256\",\"zip\":\"DEF\"}"),
	    "encrypted tokens (JWE) are not supported");
	CHECK_STR(header("{\"alg\":\"HS256\",\"b64\":false}"),
	    "b64 header (RFC 7797) is not supported");
	CHECK_STR(header("{\"alg\":\"HS256\",\"cty\":\"jwt\"}"),
	    "nested JWTs (cty JWT) are not supported");
	CHECK_STR(header("[\"alg\"]"), "JWT header is not a JSON object");
	CHECK_STR(header("{\"alg\":\"HS256\",\"alg\":\"none\"}"),
	    "duplicate member name in a JWT header or claims");

	/* Algorithms: none never passes, others must be the configured one. */
	CHECK(header("{\"alg\":\"none\"}") == NULL);
	CHECK_INT(T.alg, JWT_ALG_NONE);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_HS256, &why), CODEC_ERROR);
	CHECK_STR(why, "alg none refused");
	CHECK(header("{\"alg\":\"NONE\"}") == NULL);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_HS256, &why), CODEC_ERROR);
	CHECK_STR(why, "alg not supported (HS256, RS256 or ES256)");
	CHECK(header("{\"alg\":\"HS512\"}") == NULL);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_HS256, &why), CODEC_ERROR);
	CHECK(header("{\"alg\":\"H\\u0053256\"}") == NULL);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_HS256, &why), 0);
	CHECK(header("{\"alg\":\"ES256\"}") == NULL);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_ES256, &why), 0);
	CHECK_INT(jwt_check_header(&T, JWT_ALG_HS256, &why), CODEC_ERROR);
	CHECK_STR(why, "alg is not the configured jwt_algorithm");
	CHECK_INT(jwt_check_header(&T, JWT_ALG_NONE, &why), CODEC_ERROR);

	CHECK_INT(jwt_alg_from_name("RS256", 5), JWT_ALG_RS256);
	CHECK_INT(jwt_alg_from_name("RS256x", 5), JWT_ALG_RS256);
	CHECK_INT(jwt_alg_from_name("rs256", 5), JWT_ALG_UNSUPPORTED);
	CHECK_INT(jwt_alg_from_name("", 0), JWT_ALG_UNSUPPORTED);
	CHECK_STR(jwt_alg_name(JWT_ALG_ES256), "ES256");
	CHECK_STR(jwt_alg_name(JWT_ALG_UNSUPPORTED), "unsupported");
}

static void
test_json(void)
{
	static const char *const good[] = {
		"{}", " {} ", "\t{\r\n}\n",
		"{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false,"
		"\"e\":-0.5e-3,\"f\":\"x\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r"
		"\\t\\\"\\\\\"}",
		"{\"a\":[],\"b\":{},\"c\":[[]],\"d\":0,\"e\":-0,\"g\":1E+2,"
		"\"h\":1e-2,\"i\":123.456}",
		"{\"\":1}",
		"{\"caf\xc3\xa9\":\"\xe2\x82\xac\"}",
	};
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "", "JWT claims are not a JSON object" },
		{ "[]", "JWT claims are not a JSON object" },
		{ "\"x\"", "JWT claims are not a JSON object" },
		{ "{", "JSON object member name missing" },
		{ "{\"a\":1", "JSON not terminated" },
		{ "{\"a\":1,}", "JSON object member name missing" },
		{ "{\"a\" 1}", "':' missing in a JSON object" },
		{ "{a:1}", "JSON object member name missing" },
		{ "{\"a\":}", "bad JSON number" },
		{ "{\"a\":01}", "',' missing in JSON" },
		{ "{\"a\":00.0}", "',' missing in JSON" },
		{ "{\"a\":1.}", "bad JSON number" },
		{ "{\"a\":.5}", "bad JSON number" },
		{ "{\"a\":1e}", "bad JSON number" },
		{ "{\"a\":-}", "bad JSON number" },
		{ "{\"a\":+1}", "bad JSON number" },
		{ "{\"a\":tru}", "bad JSON value" },
		{ "{\"a\":nul}", "bad JSON value" },
		{ "{\"a\":[1,]}", "bad JSON number" },
		{ "{\"a\":[1 2]}", "',' missing in JSON" },
		{ "{\"a\":{\"b\"}}", "':' missing in a JSON object" },
		{ "{\"a\":\"\\x\"}", "bad escape in a JSON string" },
		{ "{\"a\":\"\\u12\"}", "bad \\u escape in a JSON string" },
		{ "{\"a\":\"\\ud800\"}", "lone surrogate in a JSON string" },
		{ "{\"a\":\"\\ud800\\u0041\"}", "lone surrogate in a JSON "
					       "string" },
		{ "{\"a\":\"\\udc00\"}", "lone surrogate in a JSON string" },
		{ "{\"a\":\"\\u0000\"}", "\\u0000 in a JSON string" },
		{ "{\"a\":\"\t\"}", "control character in a JSON string" },
		{ "{\"a\":\"abc}", "JSON string not terminated" },
		{ "{\"a\":1}x", "data after the JSON object" },
		{ "{\"a\":1}{}", "data after the JSON object" },
		{ "{\"a\":1,\"a\":2}", "duplicate member name in a JWT header "
				       "or claims" },
		/* Names compare decoded: "ex\u0070" is "exp". */
		{ "{\"exp\":1,\"ex\\u0070\":2}", "duplicate member name in a "
						"JWT header or claims" },
		{ "{\"a\":\"\xff\"}", "JWT claims are not UTF-8" },
		{ "{\"a\":\"\xc0\xaf\"}", "JWT claims are not UTF-8" },
	};
	char json[2048];
	size_t o;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *why = claims(good[i]);

		if (why != NULL) {
			fprintf(stderr, "    json %s: %s\n", good[i], why);
			CHECK(0);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = claims(bad[i].json);

		if (why == NULL || strcmp(why, bad[i].why) != 0) {
			fprintf(stderr, "    json %s: %s\n", bad[i].json,
			    why != NULL ? why : "accepted");
			CHECK(0);
		}
	}
	/* Nesting: 15 levels inside the claims object pass, 16 do not. */
	for (int depth = 15; depth <= 16; depth++) {
		o = (size_t)snprintf(json, sizeof(json), "{\"a\":");
		for (int i = 0; i < depth; i++) {
			if (i % 2 != 0)
				json[o++] = '[';
			else
				o += (size_t)snprintf(json + o,
				    sizeof(json) - o, "{\"k\":");
		}
		json[o++] = '0';
		for (int i = depth - 1; i >= 0; i--)
			json[o++] = i % 2 ? ']' : '}';
		json[o++] = '}';
		json[o] = '\0';
		if (depth == 15)
			CHECK(claims(json) == NULL);
		else
			CHECK_STR(claims(json), "JSON nested too deeply");
	}
	/* 64 members pass, 65 do not. */
	for (int n = 64; n <= 65; n++) {
		o = 0;
		json[o++] = '{';
		for (int i = 0; i < n; i++)
			o += (size_t)snprintf(json + o, sizeof(json) - o,
			    "%s\"m%d\":%d", i ? "," : "", i, i);
		json[o++] = '}';
		json[o] = '\0';
		if (n == 64)
			CHECK(claims(json) == NULL);
		else
			CHECK_STR(claims(json), "more than 64 members in a JWT "
			    "header or claims");
	}
	/* Strings decode: escapes, surrogate pairs, UTF-8 kept. */
	CHECK(claims("{\"sub\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\xe2\x82\xac\"}")
	    == NULL);
	CHECK_STR(T.sub.p, "a\xc3\xa9\xf0\x9f\x98\x80\n\"\xe2\x82\xac");
	CHECK_INT(T.sub.len, 12);
}

static void
test_claim_types(void)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "{\"host\":1}", "host claim must be a string" },
		{ "{\"host\":null}", "host claim must be a string" },
		{ "{\"port\":true}", "port claim must be a number or a string" },
		{ "{\"port\":5900.5}", "port must be a number from 1 to 65535" },
		{ "{\"port\":-1}", "port must be a number from 1 to 65535" },
		{ "{\"port\":65536}", "port must be a number from 1 to 65535" },
		{ "{\"port\":1e10}", "port must be a number from 1 to 65535" },
		{ "{\"exp\":\"1\"}", "exp claim must be a non-negative number" },
		{ "{\"exp\":-1}", "exp claim must be a non-negative number" },
		{ "{\"nbf\":[]}", "nbf claim must be a non-negative number" },
		{ "{\"iat\":{}}", "iat claim must be a non-negative number" },
		{ "{\"exp\":1e19}", "time claim out of range" },
		{ "{\"exp\":9223372036854775808}", "time claim out of range" },
		{ "{\"exp\":99999999999999999999999}", "time claim out of "
						      "range" },
		{ "{\"aud\":1}", "aud claim must be a string or an array of "
				 "strings" },
		{ "{\"aud\":[1]}", "aud claim must be a string or an array of "
				   "strings" },
		{ "{\"aud\":[\"a\",]}", "aud claim must be a string or an "
					"array of strings" },
		{ "{\"aud\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\","
		  "\"9\"]}", "more than 8 aud values" },
		{ "{\"iss\":[]}", "iss claim must be a string" },
		{ "{\"origin\":false}", "origin claim must be a string" },
		{ "{\"unix_socket\":1}", "unix_socket claim must be a string" },
	};
	static const struct {
		const char *json;
		int64_t exp;
	} times[] = {
		{ "{\"exp\":0}", 0 },
		{ "{\"exp\":-0}", 0 },
		{ "{\"exp\":1700000000}", 1700000000 },
		{ "{\"exp\":1700000000.999}", 1700000000 },
		{ "{\"exp\":1.7e9}", 1700000000 },
		{ "{\"exp\":17E8}", 1700000000 },
		{ "{\"exp\":170000000000e-2}", 1700000000 },
		{ "{\"exp\":0.5}", 0 },
		{ "{\"exp\":1e-400}", 0 },
		{ "{\"exp\":0.0}", 0 },
		{ "{\"exp\":9223372036854775807}", INT64_MAX },
		{ "{\"exp\":9223372036854775807.9}", INT64_MAX },
		{ "{\"exp\":0.9223372036854775807e19}", INT64_MAX },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = claims(bad[i].json);

		if (why == NULL || strcmp(why, bad[i].why) != 0) {
			fprintf(stderr, "    claims %s: %s\n", bad[i].json,
			    why != NULL ? why : "accepted");
			CHECK(0);
		}
	}
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		const char *why = claims(times[i].json);

		if (why != NULL || !T.has_exp || T.exp != times[i].exp) {
			fprintf(stderr, "    claims %s: %s exp %lld\n",
			    times[i].json, why != NULL ? why : "ok",
			    (long long)T.exp);
			CHECK(0);
		}
	}
	CHECK(claims("{\"port\":5900.0}") == NULL);
	CHECK(T.has_port_num && T.port_num == 5900);
	CHECK(claims("{\"port\":59e2}") == NULL);
	CHECK(T.has_port_num && T.port_num == 5900);
	CHECK(claims("{\"port\":\"5900\"}") == NULL);
	CHECK(!T.has_port_num);
	CHECK_STR(T.port_str.p, "5900");
	CHECK(claims("{\"aud\":\"gw\"}") == NULL);
	CHECK(T.has_aud && T.naud == 1);
	CHECK_STR(T.aud[0].p, "gw");
	CHECK(claims("{\"aud\":[]}") == NULL);
	CHECK(T.has_aud && T.naud == 0);
	CHECK(claims("{\"aud\":[\"a\", \"gw\" ]}") == NULL);
	CHECK(T.naud == 2);
	CHECK_STR(T.aud[1].p, "gw");
	/* Unknown claims of any type are skipped. */
	CHECK(claims("{\"jti\":\"x\",\"roles\":[\"a\",{\"b\":[1]}],\"n\":1}") ==
	    NULL);
}

static void
test_check_claims(void)
{
	struct jwt_policy p = { .now = 1000 };
	const char *why;

	/* nbf 1000: valid from 1000 on; leeway 5 allows 995. */
	CHECK(claims("{\"nbf\":1000,\"exp\":2000}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.now = 999;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token not valid yet (nbf)");
	p.leeway = 5;
	p.now = 995;
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.now = 994;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	p.now = 2004;
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.now = 2005;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token expired");
	/* Huge values and leeways do not wrap. */
	CHECK(claims("{\"exp\":9223372036854775807}") == NULL);
	p.now = INT64_MAX - 1;
	p.leeway = 4000000000u;
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	CHECK(claims("{\"nbf\":9223372036854775807}") == NULL);
	p.now = 0;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	p.leeway = 0;

	/* require_exp */
	CHECK(claims("{}") == NULL);
	p.now = 1000;
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.require_exp = true;
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token has no exp claim");
	p.require_exp = false;

	/* aud (RFC 7519 4.1.3) */
	CHECK(claims("{\"aud\":[\"x\",\"gw\"]}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token has an aud claim but no jwt_audience is "
	    "configured");
	p.audience = "gw";
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	p.audience = "g";
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token aud does not include jwt_audience");
	CHECK(claims("{}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token has no aud claim (jwt_audience is configured)");
	CHECK(claims("{\"aud\":[]}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	p.audience = NULL;

	/* iss */
	p.issuer = "portal";
	CHECK(claims("{}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
	CHECK_STR(why, "token has no iss claim (jwt_issuer is configured)");
	CHECK(claims("{\"iss\":\"portal\"}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), 0);
	CHECK(claims("{\"iss\":\"portal2\"}") == NULL);
	CHECK_INT(jwt_check_claims(&T, &p, &why), CODEC_ERROR);
}

static void
test_target(void)
{
	static const struct {
		const char *json;
		enum token_target_kind kind;
		const char *host;
		unsigned port;
	} ok[] = {
		{ "{\"host\":\"10.0.0.5\",\"port\":5900}", TOKEN_TARGET_TCP,
		  "10.0.0.5", 5900 },
		{ "{\"port\":\"5901\",\"host\":\"vm1.example\"}",
		  TOKEN_TARGET_TCP, "vm1.example", 5901 },
		{ "{\"host\":\"[::1]\",\"port\":22}", TOKEN_TARGET_TCP, "::1",
		  22 },
		{ "{\"host\":\"::1\",\"port\":22}", TOKEN_TARGET_TCP, "::1", 22 },
		{ "{\"unix_socket\":\"/run/vnc/a.sock\"}", TOKEN_TARGET_UNIX,
		  "/run/vnc/a.sock", 0 },
		/* websockify: host "unix_socket" makes port the path. */
		{ "{\"host\":\"unix_socket\",\"port\":\"/run/b.sock\"}",
		  TOKEN_TARGET_UNIX, "/run/b.sock", 0 },
	};
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "{}", "token has no host claim" },
		{ "{\"port\":1}", "token has no host claim" },
		{ "{\"host\":\"h\"}", "token has no port claim" },
		{ "{\"host\":\"h\",\"port\":0}", "port must be a number from 1 "
						"to 65535" },
		{ "{\"host\":\"h\",\"port\":\"x\"}", "port must be a number "
						    "from 1 to 65535" },
		{ "{\"host\":\"h\",\"port\":\"0\"}", "port must be a number "
						    "from 1 to 65535" },
		{ "{\"host\":\"h h\",\"port\":1}", "host has a character other "
			"than letters, digits, '.', '-' and '_'" },
		{ "{\"host\":\"[[::1]]\",\"port\":1}", "host is not a valid IPv6 "
						      "address" },
		{ "{\"host\":\"\",\"port\":1}", "empty host" },
		{ "{\"host\":\"h\",\"port\":1,\"unix_socket\":\"/s\"}",
		  "token has both unix_socket and host/port claims" },
		{ "{\"port\":1,\"unix_socket\":\"/s\"}",
		  "token has both unix_socket and host/port claims" },
		{ "{\"unix_socket\":\"s\"}", "unix socket path must be "
					    "absolute" },
		{ "{\"unix_socket\":\"/a/../b\"}", "unix socket path must be "
			"normalised (no //, /./, /../ or final /)" },
		{ "{\"host\":\"unix_socket\",\"port\":1}", "host unix_socket "
			"needs the path as port" },
	};
	struct token_target t;
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = -1;

		if (claims(ok[i].json) == NULL)
			rc = jwt_target(&T, &t, &why);
		if (rc != 0 || t.kind != ok[i].kind ||
		    strcmp(t.host, ok[i].host) != 0 ||	/* NUL-terminated */
		    t.host_len != strlen(ok[i].host) || t.port != ok[i].port) {
			fprintf(stderr, "    target %s\n", ok[i].json);
			CHECK(0);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = 0;

		why = NULL;
		if (claims(bad[i].json) == NULL)
			rc = jwt_target(&T, &t, &why);
		if (rc != CODEC_ERROR || why == NULL ||
		    strcmp(why, bad[i].why) != 0) {
			fprintf(stderr, "    target %s: %s\n", bad[i].json,
			    why != NULL ? why : "accepted");
			CHECK(0);
		}
	}
	CHECK(claims("{\"origin\":\"https://portal.example\"}") == NULL);
	CHECK_STR(T.origin.p, "https://portal.example");
}

static void
test_secret_decode(void)
{
	/* RFC 7515 A.1's key, as a websockify (jwcrypto "k") key file. */
	static const char k[] =
	    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0i"
	    "PS4hcgUuTwjAzZr1Z9CAow\n";
	uint8_t out[128], want[64];
	const char *why;

	CHECK_INT(jwt_secret_decode(k, sizeof(k) - 1, out, sizeof(out), &why),
	    64);
	CHECK_INT(jwt_base64url_decode(k, sizeof(k) - 2, want, sizeof(want)),
	    64);
	CHECK_MEM(out, want, 64);
	/* Standard base64 with padding, wrapped, as openssl rand prints. */
	CHECK_INT(jwt_secret_decode("Zm9v\nYmE=\n", 10, out, sizeof(out),
	    &why), 5);
	CHECK_MEM(out, "fooba", 5);
	CHECK_INT(jwt_secret_decode("+/8=", 4, out, sizeof(out), &why), 2);
	CHECK_MEM(out, "\xfb\xff", 2);
	CHECK_INT(jwt_secret_decode("secret!", 7, out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "the secret must be written in base64url or base64 "
	    "(for example: openssl rand -base64 32)");
	CHECK_INT(jwt_secret_decode("Zm=9v", 5, out, sizeof(out), &why),
	    CODEC_ERROR);
	/* A PEM public key is all base64url letters: refused by name. */
	CHECK_INT(jwt_secret_decode("-----BEGIN PUBLIC KEY-----\nMFkw\n"
	    "-----END PUBLIC KEY-----\n", 57, out, sizeof(out), &why),
	    CODEC_ERROR);
	CHECK_STR(why, "a PEM key is not an HS256 secret (RS256 and ES256 "
	    "take PEM public keys)");
	CHECK_INT(jwt_secret_decode("Zm9vYmFy", 8, out, 5, &why), CODEC_ERROR);
}

int
main(void)
{
	RUN(test_base64url);
	RUN(test_rfc7515_a1);
	RUN(test_truncations);
	RUN(test_structure);
	RUN(test_header);
	RUN(test_json);
	RUN(test_claim_types);
	RUN(test_check_claims);
	RUN(test_target);
	RUN(test_secret_decode);
	return tl_summary("unit/jwt");
}
