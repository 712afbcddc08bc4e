/* basic_auth.h -- pure: the Authorization header's Basic credentials (RFC 7617), strictly decoded */
#ifndef WSGATE_BASIC_AUTH_H
#define WSGATE_BASIC_AUTH_H

#include <stddef.h>

#include "codec.h"

/*
 * API: basic_auth_parse() reads one Authorization header value and copies
 * the user and password out, NUL-terminated, into the caller's struct.
 * Nothing is allocated.  The password is a secret: the caller wipes the
 * struct with basic_auth_wipe() as soon as it has been checked (also on
 * error: a partial decode may be left in it), and never logs it.  The
 * user may be logged, escaped (log_escape), only after a successful check
 * (a failed "user" is often a password typed in the wrong field).
 *
 * Accepted (RFC 7235 2.1, RFC 7617 2): the scheme "Basic" in any case,
 * one or more spaces, then base64 (RFC 4648 4: standard alphabet, padded
 * to a multiple of 4, unused bits zero: anything else is refused rather
 * than guessed at), with blanks allowed around the whole value.  The
 * decoded bytes are user ":" password, split at the first colon; neither
 * may hold a control character (RFC 7617 2: CTL, 0x00-0x1F and 0x7F) and
 * the user may not be empty.  Bytes above 0x7F pass through as they are
 * (browsers send UTF-8).
 *
 * Limits: user at most BASIC_USER_MAX bytes, password at most
 * BASIC_PASS_MAX bytes, the value at most BASIC_VALUE_MAX bytes.
 *
 * Returns 0, or CODEC_ERROR with *why (static text, safe to log).  The
 * gateway answers every error 401 with a fresh challenge, as for wrong
 * credentials, and counts it as a failed attempt.
 */
#define BASIC_USER_MAX 128
#define BASIC_PASS_MAX 256
#define BASIC_DECODED_MAX (BASIC_USER_MAX + 1 + BASIC_PASS_MAX)
#define BASIC_VALUE_MAX (64 + 4 * ((BASIC_DECODED_MAX + 2) / 3))

struct basic_credentials {
	char user[BASIC_USER_MAX + 1];
	size_t user_len;
	char pass[BASIC_PASS_MAX + 1];
	size_t pass_len;
};

int basic_auth_parse(const char *value, size_t n,
    struct basic_credentials *out, const char **why);

/* Overwrite the credentials (OPENSSL_cleanse: not optimised away). */
void basic_auth_wipe(struct basic_credentials *c);

#endif
