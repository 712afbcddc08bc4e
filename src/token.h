/* token.h -- pure: session tokens, the targets they name, and where a request carries one */
#ifndef WSGATE_TOKEN_H
#define WSGATE_TOKEN_H

/*
 * A token selects where a session goes (issue 11): a websockify token
 * file maps it to a target, or it is a signed JWT naming the target
 * itself.  This module holds what both share.
 *
 * Targets.  struct token_target is a view: host[0..host_len) points
 * into memory the producer owns and lives as long as that memory: the
 * caller's buffer for the parsers here and in tokenfile.h (not
 * NUL-terminated there), a token index's arena (tokenindex_lookup) or a
 * struct jwt (jwt_target), which both NUL-terminate it.  Nothing here
 * allocates.
 *
 *   TCP   host is a DNS name or an IP literal without brackets
 *         ("10.0.0.5", "vm1.example", "::1", "fe80::1%eth0"), at most
 *         TOKEN_HOST_MAX bytes of [A-Za-z0-9.-_] (literals: hex digits,
 *         ':', '.', and a zone after '%'); port 1-65535, decimal.
 *   UNIX  host is an absolute path of at most TOKEN_UNIX_PATH_MAX bytes
 *         (sun_path less its NUL), no control characters, and normalised
 *         (no "//", "/./", "/../", no final '/') so that a directory
 *         allowlist can compare prefixes.
 *
 * Tokens.  websockify takes any string.  wsgate takes 1 to TOKEN_MAX
 * bytes with no control character (0x00-0x1f, 0x7f): enough for UUIDs,
 * host names and random strings, short enough to bound the index, and a
 * token can never break a log line or a file-name lookup.  Tokens are
 * compared byte for byte (case matters, as in websockify).  Tokens are
 * never logged: token_log_tag() gives a short stable digest instead.
 *
 * Where the request carries the token (websockify 0.10,
 * websocketproxy.py get_target, and OpenStack nova's noVNC proxy for the
 * cookie):
 *   token_from_query   the first `token` query parameter with a
 *                      non-empty value (Python's parse_qs: '&' separates,
 *                      '+' is a space, %XX decoded in names and values,
 *                      a bad %-escape stays literal), trailing newlines
 *                      removed as websockify's rstrip('\n') does;
 *   token_from_cookie  else the first non-empty `token` cookie (RFC 6265
 *                      5.4 lists the most specific cookie first; the
 *                      value is opaque: surrounding quotes removed, no
 *                      %-decoding);
 *   token_from_host    with token_source = host: the Host header without
 *                      its port (websockify's --host-token); "[::1]:80"
 *                      gives "[::1]" where websockify would give "[".
 * Each returns the token's length (> 0) with the token NUL-terminated in
 * out, 0 when the request carries none, or CODEC_ERROR with *why when it
 * carries one that is not valid (too long for outsize, control
 * characters, empty after decoding).  outsize bounds the token: pass
 * TOKEN_MAX + 1 for token files and JWT_MAX + 1 for JWTs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

#define TOKEN_MAX 256		/* bytes of a token (a host name fits) */
#define TOKEN_HOST_MAX 253	/* RFC 1035 2.3.4 */
#define TOKEN_UNIX_PATH_MAX 107	/* sizeof(sun_path) - 1 on Linux */
#define TOKEN_TAG_LEN 12	/* hex digits of token_log_tag() */

enum token_target_kind {
	TOKEN_TARGET_TCP = 1,
	TOKEN_TARGET_UNIX,
};

struct token_target {
	enum token_target_kind kind;
	const char *host;	/* TCP host (no brackets) or UNIX path */
	size_t host_len;
	uint16_t port;		/* TCP only */
};

/* Whether tok[0..len) is a valid token; *why says why not. */
bool token_valid(const char *tok, size_t len, const char **why);

/*
 * Whether tok may also name a file in a directory (TokenFileName,
 * UnixDomainSocketDirectory): a valid token without '/', and not "." or
 * "..".  Names starting with '.' are refused too, so editor swap files
 * and dot files in the directory are never tokens.
 */
bool token_filename_valid(const char *tok, size_t len, const char **why);

/*
 * Targets: the views point into the arguments (nothing is copied).
 * 0, or CODEC_ERROR with *why.
 *
 * token_target_tcp: host with or without brackets, port 1-65535.
 * token_target_unix: an absolute path.
 * token_target_parse: websockify's target text: "unix_socket:/path",
 * else split at the last ':' into host and port ("[::1]:5900",
 * "::1:5900" and "vm1:5900" all work).
 */
int token_target_tcp(const char *host, size_t host_len, unsigned long port,
    struct token_target *t, const char **why);
int token_target_unix(const char *path, size_t len, struct token_target *t,
    const char **why);
int token_target_parse(const char *s, size_t len, struct token_target *t,
    const char **why);

/* A decimal port 1-65535 (at most 5 digits); 0, or CODEC_ERROR. */
int token_port_parse(const char *s, size_t len, uint16_t *port);

int token_from_query(const char *target, size_t len, char *out,
    size_t outsize, const char **why);
int token_from_cookie(const char *header, size_t len, char *out,
    size_t outsize, const char **why);
int token_from_host(const char *host, size_t len, char *out, size_t outsize,
    const char **why);

/*
 * For logs: the first TOKEN_TAG_LEN hex digits of SHA-256(token), so an
 * operator can match a log line with `printf %s TOKEN | sha256sum`
 * without the log holding the token.  out gets TOKEN_TAG_LEN + 1 bytes;
 * "?" if the crypto library fails.
 */
void token_log_tag(const char *tok, size_t len,
    char out[TOKEN_TAG_LEN + 1]);

#endif
