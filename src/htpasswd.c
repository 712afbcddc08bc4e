/* htpasswd.c -- pure: an htpasswd-style file of crypt(3) hashes as an immutable table; password checks with crypt_r */
#include "htpasswd.h"

#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define REGEN "; make a hash with `mkpasswd -m yescrypt` or " \
	"`htpasswd -B FILE USER`"

struct htpasswd_entry {
	const char *user;	/* NUL-terminated, in t->strings */
	const char *hash;
	size_t user_len;
	size_t hash_len;
	unsigned line;
	enum htpasswd_kind kind;
};

struct htpasswd {
	struct htpasswd_entry *entries;	/* sorted by (user_len, user) */
	size_t n;
	char *strings;
};

/* crypt(3)'s base64 alphabet: ./0-9A-Za-z, in that order. */
static int
c64(unsigned char c)
{
	if (c == '.')
		return 0;
	if (c == '/')
		return 1;
	if (c >= '0' && c <= '9')
		return c - '0' + 2;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 12;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 38;
	return -1;
}

static bool
all_c64(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c64((unsigned char)p[i]) < 0)
			return false;
	return true;
}

static bool
has_prefix(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(p, prefix, k) == 0;
}

/* Split "a$b$c" at '$': the length of the next field. */
static size_t
field_len(const char *p, const char *end)
{
	const char *d = memchr(p, '$', (size_t)(end - p));

	return d != NULL ? (size_t)(d - p) : (size_t)(end - p);
}

/*
 * $y$PARAMS$SALT$HASH.  PARAMS as mkpasswd/crypt_gensalt write them:
 * three characters, flavor, log2(N) - 1 and r - 1, each one digit of
 * yescrypt's variable-length encoding (values below 48 take one
 * character).  Longer parameter strings (p, t, g, ROM) are never written
 * by Debian's tools and are refused rather than decoded.
 */
static int
check_yescrypt(const char *h, size_t n, const char **why)
{
	const char *p = h + 3, *end = h + n;
	size_t plen = field_len(p, end), slen;
	int nlog, r;

	if (plen != 3 || c64((unsigned char)p[0]) < 0 ||
	    c64((unsigned char)p[0]) > 47) {
		*why = "yescrypt hash with parameters other than "
		    "mkpasswd writes" REGEN;
		return -1;
	}
	nlog = c64((unsigned char)p[1]) + 1;
	r = c64((unsigned char)p[2]) + 1;
	if (nlog < 1 || r < 1 || nlog > 48 || r > 48) {
		*why = "yescrypt hash with parameters other than "
		    "mkpasswd writes" REGEN;
		return -1;
	}
	if (nlog > 30 || (UINT64_C(128) << nlog) * (uint64_t)r >
	    HTPASSWD_YESCRYPT_MEM_MAX) {
		*why = "yescrypt cost too high: each login would need more "
		    "than 64 MiB; use mkpasswd -m yescrypt -R 7 or less";
		return -1;
	}
	p += plen + 1;
	if (p >= end) {
		*why = "truncated yescrypt hash" REGEN;
		return -1;
	}
	slen = field_len(p, end);
	if (slen == 0 || !all_c64(p, slen) || p + slen == end ||
	    (size_t)(end - (p + slen + 1)) != 43 ||
	    !all_c64(p + slen + 1, 43)) {
		*why = "malformed yescrypt hash" REGEN;
		return -1;
	}
	return 0;
}

/* $2b$NN$ + 22 characters of salt + 31 of hash (60 in all). */
static int
check_bcrypt(const char *h, size_t n, const char **why)
{
	int cost;

	if (n != 60 || h[6] != '$' || h[4] < '0' || h[4] > '9' ||
	    h[5] < '0' || h[5] > '9' || !all_c64(h + 7, 53)) {
		*why = "malformed bcrypt hash" REGEN;
		return -1;
	}
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31) {
		*why = "malformed bcrypt hash (cost must be 04 to 31)" REGEN;
		return -1;
	}
	if (cost > HTPASSWD_BCRYPT_COST_MAX) {
		*why = "bcrypt cost too high: each login would take over "
		    "a third of a second; use htpasswd -B -C 12 or less";
		return -1;
	}
	return 0;
}

/* $6$[rounds=N$]SALT$HASH: salt 1-16 characters, hash 86. */
static int
check_sha512(const char *h, size_t n, const char **why)
{
	const char *p = h + 3, *end = h + n;
	size_t slen;

	if (has_prefix(p, (size_t)(end - p), "rounds=")) {
		unsigned long rounds = 0;
		size_t digits = 0;

		p += 7;
		for (; p < end && *p >= '0' && *p <= '9'; p++, digits++)
			if (rounds <= HTPASSWD_SHA512_ROUNDS_MAX)
				rounds = rounds * 10 + (unsigned long)(*p - '0');
		if (digits == 0 || p >= end || *p != '$' ||
		    (digits > 1 && p[-(long)digits] == '0')) {
			*why = "malformed SHA-512-crypt rounds=" REGEN;
			return -1;
		}
		if (rounds > HTPASSWD_SHA512_ROUNDS_MAX) {
			*why = "SHA-512-crypt rounds too high: each login "
			    "would take over a quarter of a second; use "
			    "1000000 rounds or less";
			return -1;
		}
		p++;
	}
	slen = field_len(p, end);
	if (slen == 0 || slen > 16 || !all_c64(p, slen) ||
	    p + slen == end || (size_t)(end - (p + slen + 1)) != 86 ||
	    !all_c64(p + slen + 1, 86)) {
		*why = "malformed SHA-512-crypt hash" REGEN;
		return -1;
	}
	return 0;
}

int
htpasswd_check_hash(const char *h, size_t n, enum htpasswd_kind *kind,
    const char **why)
{
	char setting[HTPASSWD_HASH_MAX + 1];
	int rc;

	*why = NULL;
	if (n == 0) {
		*why = "empty password hash (an empty field is not "
		    "\"no password\")" REGEN;
		return -1;
	}
	if (n > HTPASSWD_HASH_MAX || memchr(h, '\0', n) != NULL) {
		*why = "password hash too long" REGEN;
		return -1;
	}
	if (h[0] == ' ' || h[0] == '\t') {
		*why = "blank after ':' (write user:hash with no spaces)";
		return -1;
	}
	if (has_prefix(h, n, "$y$")) {
		*kind = HTPASSWD_YESCRYPT;
		rc = check_yescrypt(h, n, why);
	} else if (has_prefix(h, n, "$2b$") || has_prefix(h, n, "$2y$") ||
	    has_prefix(h, n, "$2a$")) {
		*kind = HTPASSWD_BCRYPT;
		rc = check_bcrypt(h, n, why);
	} else if (has_prefix(h, n, "$6$")) {
		*kind = HTPASSWD_SHA512;
		rc = check_sha512(h, n, why);
	} else if (has_prefix(h, n, "$5$")) {
		*why = "SHA-256-crypt ($5$) is refused as weak (libxcrypt "
		    "classes it as legacy)" REGEN;
		return -1;
	} else if (has_prefix(h, n, "$apr1$")) {
		*why = "Apache MD5 ($apr1$, htpasswd -m) is weak" REGEN;
		return -1;
	} else if (has_prefix(h, n, "$1$")) {
		*why = "MD5-crypt ($1$) is weak" REGEN;
		return -1;
	} else if (has_prefix(h, n, "{SHA}") || has_prefix(h, n, "{SSHA}")) {
		*why = "unsalted SHA-1 ({SHA}, htpasswd -s) is weak" REGEN;
		return -1;
	} else if (h[0] == '$') {
		*why = "unsupported hash type (use yescrypt $y$, bcrypt $2b$ "
		    "or SHA-512-crypt $6$)" REGEN;
		return -1;
	} else if (n == 13 && all_c64(h, n)) {
		*why = "DES crypt (htpasswd -d), or a plain-text password: "
		    "both are refused" REGEN;
		return -1;
	} else {
		*why = "plain-text password (or an unknown hash format): "
		    "passwords must be stored hashed" REGEN;
		return -1;
	}
	if (rc != 0)
		return -1;
	/* And libxcrypt must agree that the method and setting are fine. */
	memcpy(setting, h, n);
	setting[n] = '\0';
	if (crypt_checksalt(setting) != CRYPT_SALT_OK) {
		*why = "libcrypt does not accept this hash's settings" REGEN;
		return -1;
	}
	return 0;
}

const char *
htpasswd_kind_name(enum htpasswd_kind kind)
{
	switch (kind) {
	case HTPASSWD_YESCRYPT:
		return "yescrypt";
	case HTPASSWD_BCRYPT:
		return "bcrypt";
	case HTPASSWD_SHA512:
		return "sha512crypt";
	}
	return "?";
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct htpasswd_entry *x = a, *y = b;

	if (x->user_len != y->user_len)
		return x->user_len < y->user_len ? -1 : 1;
	return memcmp(x->user, y->user, x->user_len);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct htpasswd *
fail(struct htpasswd *t, struct htpasswd_error *err, unsigned line,
    const char *why)
{
	err->line = line;
	err->why = why;
	htpasswd_free(t);
	return NULL;
}

struct htpasswd *
htpasswd_parse(const char *buf, size_t len, struct htpasswd_error *err)
{
	struct htpasswd *t;
	const char *p = buf, *end = buf + len;
	char *s;
	unsigned line = 0;

	err->line = err->first_line = 0;
	err->why = NULL;
	if (len > HTPASSWD_FILE_MAX)
		return fail(NULL, err, 0, "file larger than 1 MiB");
	t = calloc(1, sizeof(*t));
	/* The strings are at most the file itself, NULs replacing ':'/'\n'. */
	if (t == NULL || (t->strings = malloc(len + 1)) == NULL)
		return fail(t, err, 0, "out of memory");
	s = t->strings;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		const char *colon, *hash, *hend;
		struct htpasswd_entry *ent;
		enum htpasswd_kind kind;
		const char *why;

		line++;
		if ((size_t)(e - p) > HTPASSWD_LINE_MAX)
			return fail(t, err, line, "line longer than 1024 bytes");
		if (memchr(p, '\0', (size_t)(e - p)) != NULL)
			return fail(t, err, line, "NUL byte in the file (is it "
			    "a text file?)");
		if (e > p && e[-1] == '\r')
			e--;
		while (p < e && is_blank(*p))
			p++;
		while (e > p && is_blank(e[-1]))
			e--;
		if (p == e || *p == '#')
			goto next;

		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL)
			return fail(t, err, line, "expected user:hash");
		if (colon == p)
			return fail(t, err, line, "empty user name before ':'");
		if ((size_t)(colon - p) > HTPASSWD_USER_MAX)
			return fail(t, err, line, "user name longer than 128 "
			    "bytes");
		for (const char *c = p; c < colon; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return fail(t, err, line, "control character "
				    "in the user name");
		hash = colon + 1;
		hend = memchr(hash, ':', (size_t)(e - hash));
		if (hend == NULL)
			hend = e;
		if (htpasswd_check_hash(hash, (size_t)(hend - hash), &kind,
		    &why) != 0)
			return fail(t, err, line, why);
		if (t->n == HTPASSWD_USERS_MAX)
			return fail(t, err, line, "more than 10000 users");
		if (t->n % 64 == 0) {
			struct htpasswd_entry *grown = realloc(t->entries,
			    (t->n + 64) * sizeof(*grown));

			if (grown == NULL)
				return fail(t, err, 0, "out of memory");
			t->entries = grown;
		}
		ent = &t->entries[t->n++];
		ent->line = line;
		ent->kind = kind;
		ent->user = s;
		ent->user_len = (size_t)(colon - p);
		memcpy(s, p, ent->user_len);
		s += ent->user_len;
		*s++ = '\0';
		ent->hash = s;
		ent->hash_len = (size_t)(hend - hash);
		memcpy(s, hash, ent->hash_len);
		s += ent->hash_len;
		*s++ = '\0';
next:
		if (nl == NULL)
			break;
		p = nl + 1;
	}

	if (t->n > 1)
		qsort(t->entries, t->n, sizeof(t->entries[0]), entry_cmp);
	for (size_t i = 1; i < t->n; i++) {
		const struct htpasswd_entry *a = &t->entries[i - 1];
		const struct htpasswd_entry *b = &t->entries[i];

		if (entry_cmp(a, b) == 0) {
			unsigned first = a->line < b->line ? a->line : b->line;
			unsigned later = a->line < b->line ? b->line : a->line;

			err->first_line = first;
			return fail(t, err, later, "user listed twice");
		}
	}
	return t;
}

void
htpasswd_free(struct htpasswd *t)
{
	if (t == NULL)
		return;
	free(t->strings);
	free(t->entries);
	free(t);
}

const char *
htpasswd_error_format(const struct htpasswd_error *err, char *out,
    size_t size)
{
	const char *why = err->why != NULL ? err->why : "invalid";

	if (err->line == 0)
		snprintf(out, size, "%s", why);
	else if (err->first_line != 0)
		snprintf(out, size, "line %u: %s (first on line %u)",
		    err->line, why, err->first_line);
	else
		snprintf(out, size, "line %u: %s", err->line, why);
	return out;
}

size_t
htpasswd_count(const struct htpasswd *t)
{
	return t->n;
}

static const struct htpasswd_entry *
find(const struct htpasswd *t, const char *user, size_t user_len)
{
	struct htpasswd_entry key = { .user = user, .user_len = user_len };

	if (t->n == 0)
		return NULL;
	return bsearch(&key, t->entries, t->n, sizeof(t->entries[0]),
	    entry_cmp);
}

const char *
htpasswd_lookup(const struct htpasswd *t, const char *user, size_t user_len,
    enum htpasswd_kind *kind)
{
	const struct htpasswd_entry *e = find(t, user, user_len);

	if (e == NULL)
		return NULL;
	if (kind != NULL)
		*kind = e->kind;
	return e->hash;
}

bool
htpasswd_verify(const struct htpasswd *t, const char *user, size_t user_len,
    const char *pass)
{
	const struct htpasswd_entry *e;
	struct crypt_data *data;
	const char *out;
	bool known, ok;

	if (t->n == 0 || strnlen(pass, HTPASSWD_PASS_MAX + 1) >
	    HTPASSWD_PASS_MAX)
		return false;
	e = find(t, user, user_len);
	known = e != NULL;
	if (!known)
		e = &t->entries[0];	/* same work, whatever the answer */
	data = calloc(1, sizeof(*data));
	if (data == NULL)
		return false;
	out = crypt_r(pass, e->hash, data);
	ok = out != NULL && out[0] != '*' && strlen(out) == e->hash_len &&
	    CRYPTO_memcmp(out, e->hash, e->hash_len) == 0;
	OPENSSL_cleanse(data, sizeof(*data));
	free(data);
	return known && ok;
}

char *
htpasswd_make_line(const char *user, size_t user_len, const char *pass,
    const char **why)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data;
	enum htpasswd_kind kind;
	const char *hash;
	char *out = NULL;
	size_t n;

	*why = NULL;
	if (user_len == 0 || user_len > HTPASSWD_USER_MAX ||
	    memchr(user, ':', user_len) != NULL) {
		*why = "a user name is 1 to 128 bytes, without ':'";
		return NULL;
	}
	if (strnlen(pass, HTPASSWD_PASS_MAX + 1) > HTPASSWD_PASS_MAX) {
		*why = "a password is at most 256 bytes";
		return NULL;
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) ==
	    NULL) {
		*why = "crypt_gensalt_rn failed (no random source?)";
		return NULL;
	}
	data = calloc(1, sizeof(*data));
	if (data == NULL) {
		*why = "out of memory";
		return NULL;
	}
	hash = crypt_r(pass, setting, data);
	if (hash == NULL || hash[0] == '*' ||
	    htpasswd_check_hash(hash, strlen(hash), &kind, why) != 0) {
		if (*why == NULL)
			*why = "crypt_r failed";
	} else {
		n = user_len + 1 + strlen(hash) + 2;
		out = malloc(n);
		if (out == NULL)
			*why = "out of memory";
		else
			snprintf(out, n, "%.*s:%s\n", (int)user_len, user,
			    hash);
	}
	OPENSSL_cleanse(data, sizeof(*data));
	free(data);
	return out;
}
