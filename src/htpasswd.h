/* htpasswd.h -- pure: an htpasswd-style file of crypt(3) hashes as an immutable table; password checks with crypt_r */
#ifndef WSGATE_HTPASSWD_H
#define WSGATE_HTPASSWD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * API and ownership: htpasswd_parse() turns the bytes of a file (read by
 * the caller, who checks that it is a regular file of at most
 * HTPASSWD_FILE_MAX bytes) into a table that owns copies of its strings;
 * htpasswd_free() releases it.  The table never changes after parsing, so
 * one table can be shared by every worker thread (a reload builds a new
 * one), and htpasswd_verify() may run on any thread.  Nothing here logs.
 *
 * The file: one "user:hash" per line ('\n' or "\r\n"); blank lines and
 * lines whose first non-blank character is '#' are skipped; blanks around
 * a line are ignored; anything after a second ':' is ignored, as Apache's
 * mod_authn_file does.  User names are 1..HTPASSWD_USER_MAX bytes without
 * control characters or ':', each listed once.
 *
 * Hashes accepted (crypt(3) as libxcrypt computes them):
 *   $y$     yescrypt          mkpasswd -m yescrypt (Debian's default)
 *   $2b$ $2y$ $2a$  bcrypt    htpasswd -B, mkpasswd -m bcrypt
 *   $6$     SHA-512-crypt     mkpasswd -m sha512crypt, htpasswd -5
 * and libxcrypt's crypt_checksalt() must call the setting OK.  Refused at
 * load time, each with the line number and how to make a good hash:
 * plain-text passwords (anything that is not a known hash), DES crypt,
 * MD5 ($1$, Apache's $apr1$), unsalted SHA-1 ({SHA}, {SSHA}), and
 * SHA-256-crypt ($5$): it is the same construction as $6$ with a hash
 * that GPUs compute faster, and libxcrypt itself classes it as legacy
 * (crypt_checksalt: CRYPT_SALT_METHOD_LEGACY), so it is refused too.
 * Other crypt methods ($gy$, $7$ scrypt, ...) are refused as unsupported.
 *
 * Costs: a hash says how slow it is to check, and a check runs for every
 * login that misses the success cache.  To keep one login from costing
 * seconds or a gigabyte, hashes above these ceilings are refused:
 * bcrypt cost HTPASSWD_BCRYPT_COST_MAX, SHA-512-crypt rounds
 * HTPASSWD_SHA512_ROUNDS_MAX, yescrypt memory (128 * N * r bytes)
 * HTPASSWD_YESCRYPT_MEM_MAX (mkpasswd's -R 7; its default, 5, is 16 MiB).
 * There is no floor beyond libxcrypt's: the defaults of htpasswd -B and
 * mkpasswd (bcrypt cost 5, 5000 SHA-512 rounds) are accepted.  Measured
 * on the development machine: SHA-512-crypt 5000 rounds ~1.3 ms, bcrypt
 * cost 5 ~2 ms, cost 10 ~52 ms, cost 12 ~190 ms, yescrypt default ~17 ms
 * (16 MiB), -R 7 ~82 ms (64 MiB).
 *
 * Limits: the file at most HTPASSWD_FILE_MAX bytes, a line at most
 * HTPASSWD_LINE_MAX bytes, at most HTPASSWD_USERS_MAX users.
 */
#define HTPASSWD_FILE_MAX (1024 * 1024)
#define HTPASSWD_LINE_MAX 1024
#define HTPASSWD_USERS_MAX 10000
#define HTPASSWD_USER_MAX 128		/* = BASIC_USER_MAX */
#define HTPASSWD_PASS_MAX 256		/* = BASIC_PASS_MAX */
#define HTPASSWD_HASH_MAX 255
#define HTPASSWD_BCRYPT_COST_MAX 13
#define HTPASSWD_SHA512_ROUNDS_MAX 1000000
#define HTPASSWD_YESCRYPT_MEM_MAX (64u * 1024 * 1024)

enum htpasswd_kind {
	HTPASSWD_YESCRYPT,
	HTPASSWD_BCRYPT,
	HTPASSWD_SHA512,
};

/*
 * Why a file was refused: line (1-based; 0 for the file as a whole),
 * why (static text that says how to fix it), and for a user listed
 * twice, the line of its first entry.
 */
struct htpasswd_error {
	unsigned line;
	unsigned first_line;
	const char *why;
};

struct htpasswd;

/*
 * Parse buf[0..len) (need not be NUL-terminated; a NUL byte in it is an
 * error).  Returns the table (possibly with no users: the caller decides
 * whether an empty file is an error), or NULL with *err.
 */
struct htpasswd *htpasswd_parse(const char *buf, size_t len,
    struct htpasswd_error *err);
void htpasswd_free(struct htpasswd *t);

/* "line 3: plain-text password ..."; returns out. */
const char *htpasswd_error_format(const struct htpasswd_error *err,
    char *out, size_t size);

size_t htpasswd_count(const struct htpasswd *t);

/*
 * The stored hash of a user (NUL-terminated, owned by the table), or NULL.
 * O(log n).  The success cache (authcache.h) binds its entries to it, so
 * a changed password invalidates them.
 */
const char *htpasswd_lookup(const struct htpasswd *t, const char *user,
    size_t user_len, enum htpasswd_kind *kind);

/*
 * Whether pass (NUL-terminated, at most HTPASSWD_PASS_MAX bytes) is the
 * user's password: crypt_r() with the stored hash as the setting, and the
 * result compared with CRYPTO_memcmp over the whole hash.  SLOW by design
 * (the figures above): never call it on an event loop thread for every
 * attempt; see authcache.h for the success cache in front of it.  An
 * unknown user is checked against the first user's hash anyway and
 * fails, so the time taken does not tell which users exist.  bcrypt reads
 * only the first 72 bytes of a password.  Thread-safe; allocates a 32 KiB
 * scratch struct crypt_data per call, wiped before it is freed.
 */
bool htpasswd_verify(const struct htpasswd *t, const char *user,
    size_t user_len, const char *pass);

/*
 * Whether hash[0..n) is one the table accepts (the rules above); 0 with
 * *kind, or -1 with *why.  Exposed for config checks and tests.
 */
int htpasswd_check_hash(const char *hash, size_t n,
    enum htpasswd_kind *kind, const char **why);

/*
 * A line "user:HASH\n" for a password given in clear (websockify's
 * BasicHTTPAuth --auth-source USER:PASS): yescrypt with libxcrypt's
 * default cost and a random salt (crypt_gensalt_rn reads the system's
 * random source), checked by htpasswd_check_hash.  Returns a malloc'd
 * string (free it), or NULL with *why.  The scratch data is wiped.
 */
char *htpasswd_make_line(const char *user, size_t user_len, const char *pass,
    const char **why);

/* "yescrypt", "bcrypt", "sha512crypt": for logs. */
const char *htpasswd_kind_name(enum htpasswd_kind kind);

#endif
