/* basic_auth.c -- pure: the Authorization header's Basic credentials (RFC 7617), strictly decoded */
#include "basic_auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * RFC 4648 4 exactly: a multiple of 4 characters from the alphabet, "="
 * only as the last one or two, and the bits the padding drops all zero
 * (3.5: otherwise one value would have several encodings).  Returns the
 * number of padding characters, or -1.
 */
static int
b64_strict(const char *s, size_t n)
{
	int pad = 0;
	int last;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n - (size_t)pad; i++)
		if (b64_value((unsigned char)s[i]) < 0)
			return -1;
	if (pad == 0)
		return 0;
	last = b64_value((unsigned char)s[n - 1 - (size_t)pad]);
	if (last & (pad == 2 ? 0x0f : 0x03))
		return -1;
	return pad;
}

static bool
has_ctl(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
basic_auth_parse(const char *value, size_t n, struct basic_credentials *out,
    const char **why)
{
	/* Room for EVP_DecodeBlock's whole groups, padding included. */
	unsigned char buf[(BASIC_VALUE_MAX / 4) * 3 + 3];
	const char *p = value, *end = value + n, *colon;
	size_t b64len, len;
	int pad, dec;

	*why = NULL;
	out->user[0] = out->pass[0] = '\0';
	out->user_len = out->pass_len = 0;
	if (n > BASIC_VALUE_MAX) {
		*why = "Authorization header too long";
		return CODEC_ERROR;
	}
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if ((size_t)(end - p) < 6 || strncasecmp(p, "Basic", 5) != 0 ||
	    p[5] != ' ') {
		*why = "not Basic credentials";
		return CODEC_ERROR;
	}
	p += 5;
	while (p < end && *p == ' ')
		p++;
	b64len = (size_t)(end - p);
	pad = b64_strict(p, b64len);
	if (pad < 0) {
		*why = "credentials are not strict base64";
		return CODEC_ERROR;
	}
	dec = EVP_DecodeBlock(buf, (const unsigned char *)p, (int)b64len);
	if (dec < 0 || (size_t)dec != b64len / 4 * 3) {
		OPENSSL_cleanse(buf, sizeof(buf));
		*why = "credentials are not strict base64";
		return CODEC_ERROR;
	}
	len = (size_t)dec - (size_t)pad;
	colon = memchr(buf, ':', len);
	if (colon == NULL) {
		*why = "no ':' between user and password";
		goto fail;
	}
	out->user_len = (size_t)(colon - (const char *)buf);
	out->pass_len = len - out->user_len - 1;
	if (out->user_len == 0) {
		*why = "empty user name";
		goto fail;
	}
	if (out->user_len > BASIC_USER_MAX || out->pass_len > BASIC_PASS_MAX) {
		*why = "user or password too long";
		goto fail;
	}
	if (has_ctl((const char *)buf, len)) {
		*why = "control character in the user or password";
		goto fail;
	}
	memcpy(out->user, buf, out->user_len);
	out->user[out->user_len] = '\0';
	memcpy(out->pass, colon + 1, out->pass_len);
	out->pass[out->pass_len] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
fail:
	OPENSSL_cleanse(buf, sizeof(buf));
	out->user_len = out->pass_len = 0;
	return CODEC_ERROR;
}

void
basic_auth_wipe(struct basic_credentials *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}
