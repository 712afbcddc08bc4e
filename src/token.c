/* token.c -- pure: session tokens, the targets they name, and where a request carries one */
#include "token.h"

#include <string.h>

#include <openssl/evp.h>

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

bool
token_valid(const char *tok, size_t len, const char **why)
{
	if (len == 0) {
		*why = "empty token";
		return false;
	}
	if (len > TOKEN_MAX) {
		*why = "token longer than 256 bytes";
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (is_ctl((unsigned char)tok[i])) {
			*why = "token contains a control character";
			return false;
		}
	}
	*why = NULL;
	return true;
}

bool
token_filename_valid(const char *tok, size_t len, const char **why)
{
	if (!token_valid(tok, len, why))
		return false;
	if (memchr(tok, '/', len) != NULL) {
		*why = "token contains '/'";
		return false;
	}
	if (tok[0] == '.') {
		*why = "token starts with '.'";
		return false;
	}
	return true;
}

int
token_port_parse(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return CODEC_ERROR;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CODEC_ERROR;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return CODEC_ERROR;
	*port = (uint16_t)v;
	return 0;
}

/* An IPv6 literal as getaddrinfo takes it: hex, ':', '.', a %zone. */
static bool
v6_literal_valid(const char *h, size_t len)
{
	size_t colons = 0, i;

	for (i = 0; i < len && h[i] != '%'; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == ':')
			colons++;
		else if (!is_hex(c) && c != '.')
			return false;
	}
	if (colons < 2)
		return false;
	if (i < len) {
		if (++i == len)
			return false;	/* '%' with no zone */
		for (; i < len; i++) {
			unsigned char c = (unsigned char)h[i];

			if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
				return false;
		}
	}
	return true;
}

int
token_target_tcp(const char *host, size_t host_len, unsigned long port,
    struct token_target *t, const char **why)
{
	bool bracketed = false;

	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
		bracketed = true;
	}
	if (host_len == 0) {
		*why = "empty host";
		return CODEC_ERROR;
	}
	if (host_len > TOKEN_HOST_MAX) {
		*why = "host longer than 253 bytes";
		return CODEC_ERROR;
	}
	if (bracketed || memchr(host, ':', host_len) != NULL) {
		if (!v6_literal_valid(host, host_len)) {
			*why = "host is not a valid IPv6 address";
			return CODEC_ERROR;
		}
	} else {
		for (size_t i = 0; i < host_len; i++) {
			unsigned char c = (unsigned char)host[i];

			if (!is_alnum(c) && c != '.' && c != '-' && c != '_') {
				*why = "host has a character other than "
				       "letters, digits, '.', '-' and '_'";
				return CODEC_ERROR;
			}
		}
		if (host[0] == '-' || host[0] == '.') {
			*why = "host starts with '-' or '.'";
			return CODEC_ERROR;
		}
	}
	if (port == 0 || port > 65535) {
		*why = "port must be a number from 1 to 65535";
		return CODEC_ERROR;
	}
	t->kind = TOKEN_TARGET_TCP;
	t->host = host;
	t->host_len = host_len;
	t->port = (uint16_t)port;
	*why = NULL;
	return 0;
}

int
token_target_unix(const char *path, size_t len, struct token_target *t,
    const char **why)
{
	if (len == 0 || path[0] != '/') {
		*why = "unix socket path must be absolute";
		return CODEC_ERROR;
	}
	if (len > TOKEN_UNIX_PATH_MAX) {
		*why = "unix socket path longer than 107 bytes";
		return CODEC_ERROR;
	}
	for (size_t i = 0; i < len; i++) {
		if (is_ctl((unsigned char)path[i])) {
			*why = "unix socket path contains a control character";
			return CODEC_ERROR;
		}
	}
	/*
	 * Normalised, so that "under this directory" is a prefix test: no
	 * empty, "." or ".." component, no final '/'.
	 */
	for (size_t i = 0; i < len;) {
		size_t j = i + 1, n;

		while (j < len && path[j] != '/')
			j++;
		n = j - i - 1;
		if (n == 0 || (n == 1 && path[i + 1] == '.') ||
		    (n == 2 && path[i + 1] == '.' && path[i + 2] == '.')) {
			*why = "unix socket path must be normalised (no //, "
			       "/./, /../ or final /)";
			return CODEC_ERROR;
		}
		i = j;
	}
	t->kind = TOKEN_TARGET_UNIX;
	t->host = path;
	t->host_len = len;
	t->port = 0;
	*why = NULL;
	return 0;
}

int
token_target_parse(const char *s, size_t len, struct token_target *t,
    const char **why)
{
	static const char unix_prefix[] = "unix_socket:";
	const size_t plen = sizeof(unix_prefix) - 1;
	const char *colon = NULL;
	uint16_t port;

	/*
	 * websockify returns rsplit(':', 1), and a first part of
	 * "unix_socket" names a unix socket.  Taking all that follows the
	 * prefix as the path also allows paths with ':' in them.
	 */
	if (len >= plen && memcmp(s, unix_prefix, plen) == 0)
		return token_target_unix(s + plen, len - plen, t, why);
	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	}
	if (colon == NULL) {
		*why = "target must be host:port, [ipv6]:port or "
		       "unix_socket:/path";
		return CODEC_ERROR;
	}
	if (token_port_parse(colon + 1, len - (size_t)(colon + 1 - s),
	    &port) != 0) {
		*why = "port must be a number from 1 to 65535";
		return CODEC_ERROR;
	}
	return token_target_tcp(s, (size_t)(colon - s), port, t, why);
}

/*
 * Percent-decode in[0..len) into out as Python's unquote does ('+' is a
 * space for query strings; a '%' not followed by two hex digits stays).
 * Returns the decoded length, or -1 if it does not fit in outsize.
 */
static long
pct_decode(const char *in, size_t len, char *out, size_t outsize)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len &&
		    is_hex((unsigned char)in[i + 1]) &&
		    is_hex((unsigned char)in[i + 2])) {
			c = (unsigned char)(hex_val((unsigned char)in[i + 1]) << 4 |
			    hex_val((unsigned char)in[i + 2]));
			i += 2;
		}
		if (o >= outsize)
			return -1;
		out[o++] = (char)c;
	}
	return (long)o;
}

/* Check a found token of len bytes in out[] and NUL-terminate it. */
static int
finish_token(char *out, size_t len, size_t outsize, const char **why)
{
	if (len >= outsize) {
		*why = "token too long";
		return CODEC_ERROR;
	}
	if (len == 0) {
		*why = "empty token";
		return CODEC_ERROR;
	}
	for (size_t i = 0; i < len; i++) {
		if (is_ctl((unsigned char)out[i])) {
			*why = "token contains a control character";
			return CODEC_ERROR;
		}
	}
	out[len] = '\0';
	*why = NULL;
	return (int)len;
}

int
token_from_query(const char *target, size_t len, char *out, size_t outsize,
    const char **why)
{
	const char *end = memchr(target, '#', len), *q;

	/* urlparse: the fragment goes first, the query is after the '?'. */
	*why = NULL;
	if (end == NULL)
		end = target + len;
	q = memchr(target, '?', (size_t)(end - target));
	if (q == NULL || outsize == 0)
		return 0;
	q++;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp != NULL ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(pe - q));
		char name[8];
		long n;

		/* parse_qs skips pairs without '=' or with an empty value. */
		if (eq != NULL && eq + 1 < pe) {
			n = pct_decode(q, (size_t)(eq - q), name, sizeof(name));
			if (n == 5 && memcmp(name, "token", 5) == 0) {
				n = pct_decode(eq + 1, (size_t)(pe - eq - 1), out,
				    outsize);
				if (n < 0) {
					*why = "token too long";
					return CODEC_ERROR;
				}
				while (n > 0 && out[n - 1] == '\n')
					n--;	/* websockify: rstrip('\n') */
				return finish_token(out, (size_t)n, outsize, why);
			}
		}
		q = pe + (pe < end ? 1 : 0);
	}
	return 0;
}

static const char *
trim_ows(const char **s, const char *e)
{
	while (*s < e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (e > *s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return e;
}

int
token_from_cookie(const char *header, size_t len, char *out, size_t outsize,
    const char **why)
{
	const char *p = header, *end = header + len;

	*why = NULL;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *pe = semi != NULL ? semi : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));

		if (eq != NULL) {
			const char *n = p, *ne = trim_ows(&n, eq);
			const char *v = eq + 1, *ve = trim_ows(&v, pe);

			/* RFC 6265 4.1.1: cookie-value may be quoted. */
			if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
				v++;
				ve--;
			}
			if (ne - n == 5 && memcmp(n, "token", 5) == 0 && ve > v) {
				size_t vl = (size_t)(ve - v);

				if (vl >= outsize) {
					*why = "token too long";
					return CODEC_ERROR;
				}
				memcpy(out, v, vl);
				return finish_token(out, vl, outsize, why);
			}
		}
		p = pe + (pe < end ? 1 : 0);
	}
	return 0;
}

int
token_from_host(const char *host, size_t len, char *out, size_t outsize,
    const char **why)
{
	const char *p = host, *e = trim_ows(&p, host + len), *stop;

	*why = NULL;
	if (p == e)
		return 0;
	if (*p == '[') {
		stop = memchr(p, ']', (size_t)(e - p));
		if (stop == NULL) {
			*why = "Host has '[' without ']'";
			return CODEC_ERROR;
		}
		stop++;
	} else {
		stop = memchr(p, ':', (size_t)(e - p));
		if (stop == NULL)
			stop = e;
	}
	if ((size_t)(stop - p) >= outsize) {
		*why = "token too long";
		return CODEC_ERROR;
	}
	memcpy(out, p, (size_t)(stop - p));
	return finish_token(out, (size_t)(stop - p), outsize, why);
}

void
token_log_tag(const char *tok, size_t len, char out[TOKEN_TAG_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(tok, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 < TOKEN_TAG_LEN) {
		strcpy(out, "?");
		return;
	}
	for (size_t i = 0; i < TOKEN_TAG_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[TOKEN_TAG_LEN] = '\0';
}
