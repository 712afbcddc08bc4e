/* authcache.h -- pure: a small per-worker cache of recently verified passwords, so crypt(3) runs once per user, not per connection */
#ifndef WSGATE_AUTHCACHE_H
#define WSGATE_AUTHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why: htpasswd_verify() costs 2-200 ms of CPU by design, and noVNC opens
 * the page, its scripts and the WebSocket, each with the same
 * Authorization header.  After one successful check the gateway records
 * it here; later requests with the same credentials are a hash lookup.
 * Failures are never cached (ratelimit.h limits those).
 *
 * What is stored: only HMAC-SHA256 under a secret key made at creation,
 * over (user, password, stored hash) with their lengths, and an expiry.
 * Never the password.  Binding the stored hash in means that a reload
 * that changes or removes a user's password (the caller looks the hash
 * up in the new table first) misses the old entries; they age out.
 * Someone who can read the process memory gets the key and the digests,
 * which can be attacked at HMAC speed rather than crypt speed: the cost
 * of the cache, bounded by its size and TTL.
 *
 * Entries live ttl_us from their check (a hit does not extend it, so a
 * password is re-checked with crypt at least that often while in use).
 * Memory is fixed: max_entries (rounded up to a power of two, at most
 * AUTHCACHE_ENTRIES_MAX) of 40 bytes, in sets of AUTHCACHE_WAYS picked by
 * the digest.  A full set drops its entry nearest to expiry.
 *
 * Time is passed in (monotonic microseconds).  Ownership: one owner
 * thread (a worker), not locked; authcache_new() returns NULL on bad
 * parameters or memory; authcache_free(NULL) is a no-op.  The digests are
 * wiped when the cache is freed.
 */
#define AUTHCACHE_WAYS 4
#define AUTHCACHE_ENTRIES_MAX (1u << 16)
#define AUTHCACHE_KEY_LEN 32

struct authcache;

/* key: AUTHCACHE_KEY_LEN bytes, or NULL for a random one (RAND_bytes). */
struct authcache *authcache_new(size_t max_entries, uint64_t ttl_us,
    const uint8_t *key);
void authcache_free(struct authcache *c);

/*
 * Whether these credentials were verified against this stored hash less
 * than ttl ago.  hash is htpasswd_lookup()'s answer (NUL-terminated).
 * Constant-time digest comparison.
 */
bool authcache_hit(struct authcache *c, const char *user, size_t user_len,
    const char *pass, size_t pass_len, const char *hash, uint64_t now_us);

/* Record a successful htpasswd_verify() at now. */
void authcache_add(struct authcache *c, const char *user, size_t user_len,
    const char *pass, size_t pass_len, const char *hash, uint64_t now_us);

/* Forget everything (the key stays). */
void authcache_clear(struct authcache *c);

/* Live entries at now (metrics, tests). */
size_t authcache_count(const struct authcache *c, uint64_t now_us);

#endif
