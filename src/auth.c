/* auth.c -- Basic auth for routes (auth_basic_file): a worker's success cache and failure limits, and crypt(3) checks on a few threads off the event loops */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "authcache.h"
#include "basic_auth.h"
#include "config.h"
#include "gateway.h"
#include "htpasswd.h"
#include "monotime.h"
#include "ratelimit.h"

/*
 * A worker's side: its cache and limits (used on its loop only), and its
 * inbox of finished checks (a pool thread adds, the loop takes, under
 * lock).  Jobs in flight hold a reference, so a worker that stops while
 * a check runs leaves the inbox (and its eventfd) to the last job.
 */
struct auth_worker {
	atomic_int refs;
	pthread_mutex_t lock;
	bool closed;			/* the worker is gone: drop answers */
	struct auth_job *done;		/* answers to deliver */
	int efd;
	struct event *ev;
	struct authcache *cache;
};

/*
 * Failed logins, for every worker at once: a client's connections are
 * spread over the workers, and a table per worker would give it
 * workers x AUTH_FAIL_BURST tries.  A lookup is a SipHash and a few
 * compares, under a lock held for nothing else.
 */
static struct {
	pthread_mutex_t lock;
	struct ratelimit *rl;
} fails = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Whether key may try (retry_us: when it may again); take: spend one. */
static bool
fails_check(const void *key, size_t keylen, uint64_t now, bool take,
    uint64_t *retry_us)
{
	bool ok = true;

	pthread_mutex_lock(&fails.lock);
	if (fails.rl == NULL)
		fails.rl = ratelimit_new(AUTH_FAIL_CLIENTS,
		    1.0 / AUTH_FAIL_REFILL_S, AUTH_FAIL_BURST, NULL);
	if (fails.rl != NULL)
		ok = take ? ratelimit_take(fails.rl, key, keylen, now,
		    retry_us) : ratelimit_allowed(fails.rl, key, keylen, now,
		    retry_us);
	pthread_mutex_unlock(&fails.lock);
	return ok;
}

struct auth_job {
	struct auth_job *next;
	struct auth_worker *w;		/* a reference */
	struct config *cfg;		/* a reference: holds table */
	const struct htpasswd *table;
	struct basic_credentials cred;	/* wiped when freed */
	char hash[HTPASSWD_HASH_MAX + 1];	/* for the cache; "" unknown */
	uint8_t key[RATELIMIT_KEY_MAX];
	size_t keylen;
	bool ok;
	/* Set on the worker's loop, read by the pool: a check nobody waits
	 * for is not run. */
	atomic_bool cancelled;
	auth_done_fn fn;
	void *arg;
};

/* The pool: a queue of checks and the threads that run them. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct auth_job *head, *tail;
	unsigned queued;
	pthread_t threads[AUTH_THREADS];
	unsigned nthreads;
	bool stopping;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static uint64_t
now_us(void)
{
	struct timeval tv;

	monotime_now(&tv);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void
worker_unref(struct auth_worker *w)
{
	if (atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	close(w->efd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void
job_free(struct auth_job *j)
{
	basic_auth_wipe(&j->cred);
	OPENSSL_cleanse(j->hash, sizeof(j->hash));
	config_unref(j->cfg);
	worker_unref(j->w);
	free(j);
}

/* ---- the pool's threads ---- */

/* Hand a finished check back to its worker's loop. */
static void
job_deliver(struct auth_job *j)
{
	struct auth_worker *w = j->w;
	uint64_t one = 1;
	bool closed;

	pthread_mutex_lock(&w->lock);
	closed = w->closed;
	if (!closed) {
		j->next = w->done;
		w->done = j;
		/* An eventfd counter does not fill up in practice (2^64). */
		(void)!write(w->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&w->lock);
	if (closed)
		job_free(j);
}

static void *
pool_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		struct auth_job *j;

		while (pool.head == NULL && !pool.stopping)
			pthread_cond_wait(&pool.cond, &pool.lock);
		if (pool.stopping)
			break;
		j = pool.head;
		pool.head = j->next;
		if (pool.head == NULL)
			pool.tail = NULL;
		pool.queued--;
		pthread_mutex_unlock(&pool.lock);
		j->ok = !atomic_load(&j->cancelled) && htpasswd_verify(
		    j->table, j->cred.user, j->cred.user_len, j->cred.pass);
		job_deliver(j);
		pthread_mutex_lock(&pool.lock);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/* Queue a check; the threads start with the first one.  0, or -1 when
 * the queue is full or a thread cannot start. */
static int
pool_submit(struct auth_job *j)
{
	int rc = 0;

	pthread_mutex_lock(&pool.lock);
	while (pool.nthreads < AUTH_THREADS && !pool.stopping) {
		if (pthread_create(&pool.threads[pool.nthreads], NULL,
		    pool_thread, NULL) != 0)
			break;
		pool.nthreads++;
	}
	if (pool.nthreads == 0 || pool.stopping ||
	    pool.queued >= AUTH_QUEUE_MAX) {
		rc = -1;
	} else {
		j->next = NULL;
		if (pool.tail != NULL)
			pool.tail->next = j;
		else
			pool.head = j;
		pool.tail = j;
		pool.queued++;
		pthread_cond_signal(&pool.cond);
	}
	pthread_mutex_unlock(&pool.lock);
	return rc;
}

void
auth_pool_stop(void)
{
	struct auth_job *j;
	unsigned n;

	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.cond);
	n = pool.nthreads;
	pthread_mutex_unlock(&pool.lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(pool.threads[i], NULL);
	pthread_mutex_lock(&pool.lock);
	while ((j = pool.head) != NULL) {
		pool.head = j->next;
		job_free(j);
	}
	pool.tail = NULL;
	pool.queued = 0;
	pool.nthreads = 0;
	pthread_mutex_unlock(&pool.lock);
	pthread_mutex_lock(&fails.lock);
	ratelimit_free(fails.rl);
	fails.rl = NULL;
	pthread_mutex_unlock(&fails.lock);
}

/* ---- a worker's side, on its loop ---- */

static void
worker_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_worker *w = arg;
	struct auth_job *list, *j;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&w->lock);
	list = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	while ((j = list) != NULL) {
		uint64_t now = now_us();

		list = j->next;
		if (atomic_load(&j->cancelled)) {
			/* Its client left before the answer: an attempt
			 * that counts as failed, or leaving early would be
			 * a way round the limit (each one costs a crypt). */
			fails_check(j->key, j->keylen, now, true, NULL);
		} else {
			if (j->ok)
				authcache_add(w->cache, j->cred.user,
				    j->cred.user_len, j->cred.pass,
				    j->cred.pass_len, j->hash, now);
			else
				fails_check(j->key, j->keylen, now, true,
				    NULL);
			j->fn(j->arg, j->ok, j->cred.user);
		}
		job_free(j);
	}
}

static struct auth_worker *
worker_get(struct gateway *gw)
{
	struct auth_worker *w = gw->auth;

	if (w != NULL)
		return w;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	atomic_init(&w->refs, 1);
	pthread_mutex_init(&w->lock, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->cache = authcache_new(AUTH_CACHE_ENTRIES,
	    (uint64_t)AUTH_CACHE_TTL_S * 1000000u, NULL);
	if (w->efd >= 0)
		w->ev = event_new(gw->base, w->efd, EV_READ | EV_PERSIST,
		    worker_done_cb, w);
	if (w->ev == NULL || w->cache == NULL ||
	    event_add(w->ev, NULL) != 0) {
		if (w->ev != NULL)
			event_free(w->ev);
		authcache_free(w->cache);
		if (w->efd >= 0)
			close(w->efd);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	gw->auth = w;
	return w;
}

void
auth_worker_free(struct gateway *gw)
{
	struct auth_worker *w = gw->auth;
	struct auth_job *list, *j;

	if (w == NULL)
		return;
	gw->auth = NULL;
	pthread_mutex_lock(&w->lock);
	w->closed = true;
	list = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	while ((j = list) != NULL) {
		list = j->next;
		job_free(j);
	}
	event_free(w->ev);
	authcache_free(w->cache);
	w->cache = NULL;
	worker_unref(w);
}

void
auth_cancel(struct auth_job *job)
{
	if (job != NULL)
		atomic_store(&job->cancelled, true);
}

static enum auth_verdict
auth_limited(const struct auth_request *rq, uint64_t now, unsigned *retry_s,
    const char **why)
{
	uint64_t retry = 0;

	if (fails_check(rq->client_key, rq->client_keylen, now, false,
	    &retry))
		return AUTH_OK;
	*retry_s = (unsigned)((retry + 999999) / 1000000);
	if (*retry_s == 0)
		*retry_s = 1;
	*why = "too many failed logins from this address";
	return AUTH_LIMITED;
}

/* A failure judged here (no crypt needed). */
static enum auth_verdict
auth_failed(const struct auth_request *rq, uint64_t now, const char *reason,
    const char **why)
{
	fails_check(rq->client_key, rq->client_keylen, now, true, NULL);
	*why = reason;
	return AUTH_CHALLENGE;
}

enum auth_verdict
auth_check(struct gateway *gw, const struct auth_request *rq, char *user,
    size_t usersize, auth_done_fn fn, void *arg, struct auth_job **job,
    unsigned *retry_s, const char **why)
{
	struct auth_worker *w = worker_get(gw);
	uint64_t now = now_us();
	struct auth_job *j;
	const char *hash, *perr;
	enum htpasswd_kind kind;

	*job = NULL;
	if (w == NULL) {
		*why = "out of memory";
		return AUTH_BUSY;
	}
	if (rq->header == NULL) {
		*why = "no credentials (Authorization header)";
		return AUTH_CHALLENGE;
	}
	if (auth_limited(rq, now, retry_s, why) != AUTH_OK)
		return AUTH_LIMITED;
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		*why = "out of memory";
		return AUTH_BUSY;
	}
	atomic_init(&j->cancelled, false);
	if (basic_auth_parse(rq->header, rq->header_len, &j->cred, &perr) !=
	    0) {
		basic_auth_wipe(&j->cred);
		free(j);
		return auth_failed(rq, now, perr, why);
	}
	hash = htpasswd_lookup(rq->table, j->cred.user, j->cred.user_len,
	    &kind);
	if (hash != NULL && authcache_hit(w->cache, j->cred.user,
	    j->cred.user_len, j->cred.pass, j->cred.pass_len, hash, now)) {
		if (user != NULL && usersize > 0)
			snprintf(user, usersize, "%s", j->cred.user);
		basic_auth_wipe(&j->cred);
		free(j);
		return AUTH_OK;
	}
	/* Unknown users are checked too (htpasswd_verify), so that the
	 * time taken does not tell which names exist. */
	if (hash != NULL)
		snprintf(j->hash, sizeof(j->hash), "%s", hash);
	memcpy(j->key, rq->client_key, rq->client_keylen < sizeof(j->key) ?
	    rq->client_keylen : sizeof(j->key));
	j->keylen = rq->client_keylen;
	j->table = rq->table;
	j->cfg = config_ref(rq->cfg);
	j->fn = fn;
	j->arg = arg;
	j->w = w;
	atomic_fetch_add(&w->refs, 1);
	if (pool_submit(j) != 0) {
		job_free(j);
		*why = "too many logins being checked: try again";
		*retry_s = 1;
		return AUTH_BUSY;
	}
	*job = j;
	return AUTH_PENDING;
}
