/* auth.h -- Basic auth for routes (auth_basic_file): a worker's success cache and failure limits, and crypt(3) checks on a few threads off the event loops */
#ifndef WSGATE_AUTH_H
#define WSGATE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct gateway;
struct htpasswd;

/*
 * Why threads: htpasswd_verify() costs 1-200 ms of CPU by design, which
 * on an event loop would stall every session of the worker.  A check that
 * misses the worker's success cache (authcache.h) goes to a pool of
 * AUTH_THREADS threads through a queue of at most AUTH_QUEUE_MAX checks;
 * the answer comes back to the worker's own loop through an eventfd, and
 * the caller's function is called there, never on a pool thread.
 *
 * Failed attempts (a wrong password, an unknown user, a malformed
 * header) are limited per client address (IPv4, or IPv6 /64) with one
 * table of token buckets for the whole process (ratelimit.h, under a
 * lock): AUTH_FAIL_BURST failures, then one more every AUTH_FAIL_REFILL_S
 * seconds; beyond that the answer is 429 with Retry-After, without
 * running crypt at all.  A check whose client left before its answer
 * counts as a failure too (and is not run if it had not started), or
 * leaving early would be a free way to make the gateway run crypt.  The table holds AUTH_FAIL_CLIENTS addresses
 * being limited at once.  The success cache is per worker.  A request without
 * an Authorization header is a challenge (401), not a failure: browsers
 * ask that way first.
 *
 * The password is copied only into the check's own job, and wiped when
 * the job is freed; nothing here logs it or the header.
 */
#define AUTH_THREADS 2
#define AUTH_QUEUE_MAX 64
#define AUTH_FAIL_BURST 10
#define AUTH_FAIL_REFILL_S 6
#define AUTH_FAIL_CLIENTS 4096
#define AUTH_CACHE_ENTRIES 1024
#define AUTH_CACHE_TTL_S 300

enum auth_verdict {
	AUTH_OK,		/* cached: go on */
	AUTH_CHALLENGE,		/* 401 with WWW-Authenticate */
	AUTH_LIMITED,		/* 429, *retry_s */
	AUTH_BUSY,		/* 503: the queue is full (or no memory) */
	AUTH_PENDING,		/* the check runs: fn comes later */
};

struct auth_job;

/* A pending check's answer, on the worker's loop.  user: the checked
 * name (NUL-terminated, not escaped) when ok. */
typedef void (*auth_done_fn)(void *arg, bool ok, const char *user);

/* What a request brings to the check. */
struct auth_request {
	const struct htpasswd *table;	/* the route's users */
	struct config *cfg;		/* holds table: a reference is taken
					 * while a check runs */
	const char *header;		/* Authorization value; NULL: none */
	size_t header_len;
	const void *client_key;		/* the client's group (cidr.h) */
	size_t client_keylen;
};

/*
 * Judge one request on gw's loop.  AUTH_OK: user (if not NULL) gets the
 * name.  AUTH_PENDING: *job is the check in flight, fn(arg, ...) is called
 * on this loop later unless auth_cancel(*job) comes first.  Otherwise the
 * answer, with *why (static text, safe to log) and, for AUTH_LIMITED,
 * *retry_s.
 */
enum auth_verdict auth_check(struct gateway *gw, const struct auth_request
    *rq, char *user, size_t usersize, auth_done_fn fn, void *arg,
    struct auth_job **job, unsigned *retry_s, const char **why);

/* The caller goes away: fn will not be called.  On gw's loop only. */
void auth_cancel(struct auth_job *job);

/* A worker's auth state (worker_free), before its event base goes. */
void auth_worker_free(struct gateway *gw);

/* Stop the pool's threads (at exit, after the workers). */
void auth_pool_stop(void);

#endif
