/* test_basic_auth.c -- unit tests for Basic credentials: RFC 7617 examples, strict base64, CTLs, bounds, wiping */
#include <openssl/evp.h>

#include "basic_auth.h"
#include "testlib.h"

static int
parse(const char *value, struct basic_credentials *c, const char **why)
{
	return basic_auth_parse(value, strlen(value), c, why);
}

/* "Basic " + base64(raw[0..n)). */
static const char *
header_for(const void *raw, size_t n, char *out)
{
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)n);
	return out;
}

static void
expect(const char *value, const char *user, const char *pass)
{
	struct basic_credentials c;
	const char *why = "x";

	if (parse(value, &c, &why) != 0) {
		tl_fail_at(__FILE__, __LINE__, value);
		fprintf(stderr, "    why: %s\n", why);
		return;
	}
	CHECK(why == NULL);
	CHECK_STR(c.user, user);
	CHECK_INT(c.user_len, strlen(user));
	CHECK_STR(c.pass, pass);
	CHECK_INT(c.pass_len, strlen(pass));
}

static void
refuse(const char *value, const char *want)
{
	struct basic_credentials c;
	const char *why = NULL;
	int r = parse(value, &c, &why);

	if (r != CODEC_ERROR || why == NULL || strcmp(why, want) != 0) {
		char b[512];

		snprintf(b, sizeof(b), "\"%.200s\": r=%d why=\"%s\", want "
		    "\"%s\"", value, r, why != NULL ? why : "(null)", want);
		tl_fail_at(__FILE__, __LINE__, b);
	}
	CHECK_INT(c.user_len, 0);
	CHECK_INT(c.pass_len, 0);
	CHECK(c.user[0] == '\0' && c.pass[0] == '\0');
}

static void
test_rfc7617(void)
{
	/* RFC 7617 2: Aladdin / open sesame. */
	expect("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame");
	/* RFC 7617 2.1: test / 123£ in UTF-8. */
	expect("Basic dGVzdDoxMjPCow==", "test", "123\xc2\xa3");
}

static void
test_tolerated(void)
{
	char h[600];

	expect("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame");
	expect("BASIC QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame");
	expect("Basic    QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin",
	    "open sesame");
	expect(" \tBasic QWxhZGRpbjpvcGVuIHNlc2FtZQ== \t", "Aladdin",
	    "open sesame");
	/* The password may hold colons, and may be empty. */
	expect(header_for("u:pa:ss", 7, h), "u", "pa:ss");
	expect(header_for("u:", 2, h), "u", "");
	expect(header_for("u::", 3, h), "u", ":");
	/* No padding needed, one, two. */
	expect(header_for("abc:de", 6, h), "abc", "de");
	expect(header_for("abc:d", 5, h), "abc", "d");
	expect(header_for("abc:def", 7, h), "abc", "def");
	/* Bytes above 0x7F pass as they are. */
	expect(header_for("J\xc3\xbcrgen:\xff\xfe", 10, h), "J\xc3\xbcrgen",
	    "\xff\xfe");
}

static void
test_not_basic(void)
{
	refuse("Bearer abc.def.ghi", "not Basic credentials");
	refuse("Digest username=\"a\"", "not Basic credentials");
	refuse("Basic", "not Basic credentials");
	refuse("Basic ", "not Basic credentials");
	refuse("BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==", "not Basic credentials");
	refuse("Basic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ==", "not Basic credentials");
	refuse("", "not Basic credentials");
	refuse("Basi", "not Basic credentials");
}

static void
test_strict_base64(void)
{
	const char *bad = "credentials are not strict base64";

	refuse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", bad);	/* no padding */
	refuse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=", bad);
	refuse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ===", bad);
	refuse("Basic QWxh=GRpbjpvcGVuIHNlc2FtZQ==", bad);	/* '=' inside */
	refuse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZ===", bad);
	refuse("Basic QWxhZGRp bjpvcGVuIHNlc2FtZQ==", bad);	/* space inside */
	refuse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n", bad);
	refuse("Basic dTpw-_==", bad);	/* base64url alphabet */
	refuse("Basic dTpw*A==", bad);
	/* Non-zero bits under the padding: "dTpx" is "u:q"; "dTo=" is "u:". */
	expect("Basic dTo=", "u", "");
	refuse("Basic dTp=", bad);
	expect("Basic dTpwcQ==", "u", "pq");
	refuse("Basic dTpwcR==", bad);
	refuse("Basic =", bad);
	refuse("Basic ====", bad);
}

static void
test_content(void)
{
	char h[800];
	char raw[600];

	refuse(header_for("nocolon", 7, h), "no ':' between user and password");
	refuse(header_for(":pass", 5, h), "empty user name");
	refuse(header_for("us\0er:p", 7, h),
	    "control character in the user or password");
	refuse(header_for("user:p\0ss", 9, h),
	    "control character in the user or password");
	refuse(header_for("user:p\nss", 9, h),
	    "control character in the user or password");
	refuse(header_for("user:p\x7fss", 9, h),
	    "control character in the user or password");
	refuse(header_for("us\ter:pass", 10, h),
	    "control character in the user or password");

	/* Exactly the maximum user and password: fine; one more: not. */
	memset(raw, 'u', BASIC_USER_MAX);
	raw[BASIC_USER_MAX] = ':';
	memset(raw + BASIC_USER_MAX + 1, 'p', BASIC_PASS_MAX);
	header_for(raw, BASIC_DECODED_MAX, h);
	{
		struct basic_credentials c;
		const char *why;

		CHECK_INT(parse(h, &c, &why), 0);
		CHECK_INT(c.user_len, BASIC_USER_MAX);
		CHECK_INT(c.pass_len, BASIC_PASS_MAX);
		CHECK_INT(strlen(c.user), BASIC_USER_MAX);
		CHECK_INT(strlen(c.pass), BASIC_PASS_MAX);
	}
	memset(raw, 'u', BASIC_USER_MAX + 1);
	raw[BASIC_USER_MAX + 1] = ':';
	raw[BASIC_USER_MAX + 2] = 'p';
	refuse(header_for(raw, BASIC_USER_MAX + 3, h),
	    "user or password too long");
	raw[0] = 'u';
	raw[1] = ':';
	memset(raw + 2, 'p', BASIC_PASS_MAX + 1);
	refuse(header_for(raw, BASIC_PASS_MAX + 3, h),
	    "user or password too long");
	/* Past the value bound: refused before any decoding. */
	memset(raw, 'p', sizeof(raw));
	raw[0] = 'u';
	raw[1] = ':';
	refuse(header_for(raw, 500, h), "Authorization header too long");
	memset(h, ' ', BASIC_VALUE_MAX + 1);
	h[BASIC_VALUE_MAX + 1] = '\0';
	refuse(h, "Authorization header too long");
}

static void
test_wipe(void)
{
	struct basic_credentials c;
	const char *why;
	static const struct basic_credentials zero;

	CHECK_INT(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &c, &why), 0);
	basic_auth_wipe(&c);
	CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
}

/* Every prefix of a valid value: an error or the one right answer. */
static void
test_prefixes(void)
{
	const char *v = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
	size_t n = strlen(v);

	for (size_t k = 0; k < n; k++) {
		struct basic_credentials c;
		const char *why = NULL;
		int r = basic_auth_parse(v, k, &c, &why);

		CHECK(r == CODEC_ERROR || r == 0);
		if (r == CODEC_ERROR)
			CHECK(why != NULL);
		else
			CHECK(c.user_len + c.pass_len + 1 <= k);
	}
}

int
main(void)
{
	RUN(test_rfc7617);
	RUN(test_tolerated);
	RUN(test_not_basic);
	RUN(test_strict_base64);
	RUN(test_content);
	RUN(test_wipe);
	RUN(test_prefixes);
	return tl_summary("unit/basic_auth");
}
