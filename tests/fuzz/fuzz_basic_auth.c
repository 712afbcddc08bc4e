/* fuzz_basic_auth.c -- libFuzzer target: Basic credentials, strict base64 as a unique encoding, both directions */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "basic_auth.h"

#include "fuzz.h"

/*
 * The input is used twice.
 *  1. As an Authorization value.  A success has bounded, CTL-free parts
 *     and a user without ':'; and because the decoder is strict, the
 *     base64 in the input is exactly what EVP_EncodeBlock makes of
 *     "user:pass" (one encoding per value, RFC 4648 3.5).
 *  2. As the decoded "user:pass" bytes: encoded by OpenSSL, the value
 *     must parse back to them exactly when they are acceptable.
 */

static bool
has_ctl(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

static void
as_value(const uint8_t *data, size_t size)
{
	struct basic_credentials c;
	const char *why = NULL;
	char *copy = (char *)fuzz_dup(data, size);
	int r = basic_auth_parse(copy, size, &c, &why);

	if (r != 0) {
		FUZZ_CHECK(r == CODEC_ERROR && why != NULL);
		FUZZ_CHECK(c.user_len == 0 && c.pass_len == 0);
	} else {
		uint8_t raw[BASIC_DECODED_MAX + 1];
		unsigned char enc[BASIC_VALUE_MAX + 4];
		const char *p = copy, *end = copy + size;
		int elen;

		FUZZ_CHECK(c.user_len >= 1 && c.user_len <= BASIC_USER_MAX);
		FUZZ_CHECK(c.pass_len <= BASIC_PASS_MAX);
		FUZZ_CHECK(strlen(c.user) == c.user_len);
		FUZZ_CHECK(strlen(c.pass) == c.pass_len);
		FUZZ_CHECK(memchr(c.user, ':', c.user_len) == NULL);
		FUZZ_CHECK(!has_ctl((const uint8_t *)c.user, c.user_len));
		FUZZ_CHECK(!has_ctl((const uint8_t *)c.pass, c.pass_len));
		memcpy(raw, c.user, c.user_len);
		raw[c.user_len] = ':';
		memcpy(raw + c.user_len + 1, c.pass, c.pass_len);
		elen = EVP_EncodeBlock(enc, raw, (int)(c.user_len + 1 +
		    c.pass_len));
		/* Blanks around, "Basic", spaces, then exactly enc. */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		FUZZ_CHECK(end - p > 6 && strncasecmp(p, "basic ", 6) == 0);
		p += 6;
		while (p < end && *p == ' ')
			p++;
		FUZZ_CHECK(end - p == elen && memcmp(p, enc, (size_t)elen) == 0);
	}
	basic_auth_wipe(&c);
	free(copy);
}

static void
as_decoded(const uint8_t *data, size_t size)
{
	char value[6 + 4 * ((BASIC_DECODED_MAX + 64) / 3) + 8] = "Basic ";
	const uint8_t *colon;
	struct basic_credentials c;
	const char *why;
	bool acceptable;
	size_t ulen;
	char *copy;
	int r, vlen;

	if (size > BASIC_DECODED_MAX + 60)
		return;
	vlen = 6 + EVP_EncodeBlock((unsigned char *)value + 6, data, (int)size);
	colon = memchr(data, ':', size);
	ulen = colon != NULL ? (size_t)(colon - data) : 0;
	acceptable = colon != NULL && ulen >= 1 && ulen <= BASIC_USER_MAX &&
	    size - ulen - 1 <= BASIC_PASS_MAX && !has_ctl(data, size) &&
	    (size_t)vlen <= BASIC_VALUE_MAX;
	copy = (char *)fuzz_dup(value, (size_t)vlen);
	r = basic_auth_parse(copy, (size_t)vlen, &c, &why);
	free(copy);
	FUZZ_CHECK((r == 0) == acceptable);
	if (r == 0) {
		FUZZ_CHECK(c.user_len == ulen && memcmp(c.user, data, ulen) == 0);
		FUZZ_CHECK(c.pass_len == size - ulen - 1 &&
		    memcmp(c.pass, colon + 1, c.pass_len) == 0);
	}
	basic_auth_wipe(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_value(data, size);
	as_decoded(data, size);
	return 0;
}
