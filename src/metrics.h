/* metrics.h -- pure: the counters behind /metrics, one block per worker written without locks, summed when scraped */
#ifndef WSGATE_METRICS_H
#define WSGATE_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * API.  metrics_new(nworkers) makes the registry: one block of counters
 * per worker (metrics_worker(m, i)), plus the few the main thread keeps
 * (reloads).  A worker counts into its own block only, with the inline
 * metrics_add()/metrics_sub() or the metrics_*() event functions below.
 * A scrape (any thread) sums the blocks into a struct metrics_scrape
 * and metrics_text.h writes it.
 *
 * Memory ordering, exactly:
 *   - Every counter has one writer, the worker that owns the block (a
 *     session stays on the worker it was given, and its route's counters
 *     are that worker's).  metrics_add() is a relaxed atomic load, an
 *     add, and a relaxed atomic store: not a read-modify-write, so no
 *     locked instruction and no fence.  On x86-64 and arm64 that is the
 *     plain load/add/store of a uint64_t, and each block is its own
 *     cache-line-aligned allocation, so workers never share a line.
 *   - A scrape reads each counter with a relaxed atomic load: it gets a
 *     value the counter really had, never a torn one (64-bit atomics are
 *     lock-free: checked at compile time), and, the counter having one
 *     writer that only adds, never less than an earlier scrape saw
 *     (coherence of one location).  No data race, so no undefined
 *     behaviour, and ThreadSanitizer has nothing to say.
 *   - A scrape is not a snapshot across counters (a session's bytes may
 *     be counted and not yet its close).  Prometheus asks each series to
 *     be right on its own, and the series made of several counters are
 *     kept so: a histogram's buckets are stored per bucket and summed
 *     into cumulative ones at scrape, so _count (their total) always
 *     equals the +Inf bucket and no bucket ever goes down (_sum, its own
 *     counter, may lag by an observation in flight); a gauge (sessions
 *     open, connections in handshake) is an up/down count of its own per
 *     worker, never below 0 there, so the sum never is either (unlike
 *     opened minus closed read at two instants).
 *   - A seqlock would give per-worker snapshots at the price of two more
 *     stores and release barriers per count on the data path and reader
 *     retries; nothing needs that consistency.
 *
 * Routes: counters per route name, so that they survive reloads, indexed
 * by the name's slot in route_count.h's table (route_count_slot()).
 * metrics_route_slot_new() is that table's on_new_slot hook: under the
 * table's lock, it makes the slot exist in every worker's block (chunks
 * of METRICS_CHUNK routes, allocated once, never moved, so a worker
 * indexes them without a lock) and clears it, since a slot given again
 * belonged to a name no configuration holds any more (no session, so no
 * worker writes it).  A worker then meets the slot only through a
 * configuration published to it afterwards.  A name that goes away
 * takes its series with it; if it comes back its counters start at 0,
 * which Prometheus reads as a counter reset.  At most METRICS_ROUTES_MAX
 * names at a time.
 *
 * Label values are fixed sets (bounded cardinality): statuses are the
 * METRICS_NSTATUS in metrics_status_index(), others counted as "other";
 * close codes 1000-1015 each, "3xxx", "4xxx" and "other"; reasons and
 * protocols ("h1", "h2") are enums.  Nothing a client sends becomes a label.
 */

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "the counters need lock-free 64-bit atomics");

/* Payload direction, as the close line's up/down. */
enum metrics_dir {
	METRICS_UP,		/* client -> backend */
	METRICS_DOWN,		/* backend -> client */
	METRICS_NDIRS
};

/* The protocol that carried a session (the log lines' proto=): an
 * HTTP/1.1 upgrade or an HTTP/2 extended CONNECT stream (RFC 8441). */
enum metrics_proto {
	METRICS_H1,
	METRICS_H2,
	METRICS_NPROTOS
};

/* Who closed a session (the close line's by=). */
enum metrics_side {
	METRICS_BY_CLIENT,
	METRICS_BY_BACKEND,
	METRICS_BY_GATEWAY,
	METRICS_NSIDES
};

/* Why a handshake was answered with an error, by class. */
enum metrics_reject {
	METRICS_REJ_BAD_REQUEST,	/* unparsable, not an upgrade, 4xx */
	METRICS_REJ_NOT_WEBSOCKET,	/* plain GET of a route path (426) */
	METRICS_REJ_NO_ROUTE,		/* 404 */
	METRICS_REJ_ORIGIN,		/* Origin refused or missing */
	METRICS_REJ_CLIENT_CERT,	/* allowed_client_cns */
	METRICS_REJ_AUTH,		/* token, JWT, Basic auth */
	METRICS_REJ_LIMIT,		/* max_connections, per-client limits */
	METRICS_REJ_DRAINING,		/* shutting down */
	METRICS_REJ_TIMEOUT,		/* handshake_timeout (408) */
	METRICS_REJ_BACKEND,		/* backend lookup, connect, TLS */
	METRICS_REJ_INTERNAL,		/* 500 */
	METRICS_NREJECTS
};

/* Why a backend connection failed. */
enum metrics_connect_fail {
	METRICS_CF_DNS,			/* name lookup */
	METRICS_CF_REFUSED,		/* ECONNREFUSED on every address */
	METRICS_CF_TIMEOUT,		/* backend_connect_timeout */
	METRICS_CF_TLS,			/* backend_tls handshake */
	METRICS_CF_OTHER,		/* unreachable, reset, no memory */
	METRICS_NCF
};

/* Why a client's TLS handshake failed (tls.c classifies OpenSSL's). */
enum metrics_tls_fail {
	METRICS_TLS_PROTOCOL_VERSION,	/* TLS 1.0/1.1, SSLv3 */
	METRICS_TLS_NO_SHARED_CIPHER,
	METRICS_TLS_NO_CLIENT_CERT,	/* tls_verify_client = required */
	METRICS_TLS_BAD_CLIENT_CERT,	/* did not verify */
	METRICS_TLS_NOT_TLS,		/* plain HTTP, garbage */
	METRICS_TLS_EOF,		/* the client left mid-handshake */
	METRICS_TLS_TIMEOUT,		/* handshake_timeout */
	METRICS_TLS_OTHER,
	METRICS_NTLS
};

#define METRICS_NSTATUS 24	/* 23 statuses and "other" */
#define METRICS_NCODES 19	/* 1000-1015, 3xxx, 4xxx, other */
#define METRICS_NBUCKETS 14	/* histogram bounds; +Inf is one more */

/* Label values of the enums, in enum order. */
extern const char *const metrics_side_names[METRICS_NSIDES];
extern const char *const metrics_reject_names[METRICS_NREJECTS];
extern const char *const metrics_connect_fail_names[METRICS_NCF];
extern const char *const metrics_tls_fail_names[METRICS_NTLS];
extern const char *const metrics_dir_names[METRICS_NDIRS];
extern const char *const metrics_proto_names[METRICS_NPROTOS];
/* The backend connect histogram's bounds: microseconds, and the "le"
 * label of each, in seconds ("0.0005" ... "10"). */
extern const uint64_t metrics_bucket_us[METRICS_NBUCKETS];
extern const char *const metrics_bucket_le[METRICS_NBUCKETS];

/* A status's index (the last one, "other", for a status not listed) and
 * back: the status, or 0 for "other". */
unsigned metrics_status_index(int status);
int metrics_status_at(unsigned index);
/* A close code's index and its label ("1000" ... "1015", "3xxx",
 * "4xxx", "other"). */
unsigned metrics_code_index(unsigned code);
const char *metrics_code_label(unsigned index);

/* Counters of one worker that are not per route.  Every field is a
 * counter except the gauge noted. */
struct metrics_counts {
	atomic_ullong accepted;		/* TCP connections */
	atomic_ullong in_handshake;	/* gauge: not sessions (yet) */
	atomic_ullong rejects[METRICS_NSTATUS][METRICS_NREJECTS];
	atomic_ullong closes[METRICS_NCODES][METRICS_NSIDES];
	/* Per bucket, not cumulative: [i] counts bucket_us[i-1] < t <=
	 * bucket_us[i]; [METRICS_NBUCKETS] those over the last bound. */
	atomic_ullong connect_buckets[METRICS_NBUCKETS + 1];
	atomic_ullong connect_sum_us;
	atomic_ullong tls_handshakes;	/* completed, client side */
	atomic_ullong tls_failures[METRICS_NTLS];
	atomic_ullong web[METRICS_NSTATUS];	/* web_root answers */
};

/* One route name's counters in one worker. */
struct metrics_route {
	/* By protocol: upgrades answered 101 (h1) or 200 (h2). */
	atomic_ullong sessions[METRICS_NPROTOS];
	atomic_ullong open[METRICS_NPROTOS];	/* gauge: not yet closed */
	atomic_ullong bytes[METRICS_NDIRS];	/* payload */
	atomic_ullong messages[METRICS_NDIRS];
	atomic_ullong connect_failures[METRICS_NCF];
};

#define METRICS_CHUNK 256u
#define METRICS_CHUNKS 4096u
#define METRICS_ROUTES_MAX (METRICS_CHUNK * METRICS_CHUNKS)

struct metrics_worker {
	struct metrics_counts c;
	/* The worker's loop is running: a timer of its own stores the
	 * monotonic clock (ms) here every second (metrics_heartbeat). */
	atomic_ullong heartbeat_ms;
	/* Set under the route table's lock before any worker can meet a
	 * slot in them; never freed nor moved until metrics_free. */
	struct metrics_route *chunks[METRICS_CHUNKS];
};

struct metrics;

/* NULL without memory.  metrics_free(NULL) is a no-op; only once no
 * worker runs. */
struct metrics *metrics_new(unsigned nworkers);
void metrics_free(struct metrics *m);
unsigned metrics_nworkers(const struct metrics *m);
struct metrics_worker *metrics_worker(struct metrics *m, unsigned i);

/* route_counts_on_new_slot()'s hook (arg: the struct metrics); -1
 * without memory or past METRICS_ROUTES_MAX. */
int metrics_route_slot_new(void *arg, unsigned slot);

/* ---- the data path: the owning worker only ---- */

static inline void
metrics_add(atomic_ullong *c, unsigned long long n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static inline void
metrics_sub(atomic_ullong *c, unsigned long long n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) - n, memory_order_relaxed);
}

static inline unsigned long long
metrics_get(const atomic_ullong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* A route's counters in this worker: keep the pointer for the session's
 * life (the slot cannot change while its configuration lives). */
static inline struct metrics_route *
metrics_route(struct metrics_worker *w, unsigned slot)
{
	return &w->chunks[slot / METRICS_CHUNK][slot % METRICS_CHUNK];
}

static inline void
metrics_heartbeat(struct metrics_worker *w, uint64_t mono_ms)
{
	atomic_store_explicit(&w->heartbeat_ms, mono_ms, memory_order_relaxed);
}

void metrics_reject(struct metrics_worker *w, int status,
    enum metrics_reject why);
void metrics_close(struct metrics_worker *w, unsigned code,
    enum metrics_side by);
void metrics_connect_time(struct metrics_worker *w, uint64_t usec);
void metrics_connect_failed(struct metrics_route *r,
    enum metrics_connect_fail why);
void metrics_tls_failed(struct metrics_worker *w, enum metrics_tls_fail why);
void metrics_web(struct metrics_worker *w, int status);

/* Whether a worker's heartbeat is at most max_age_ms old at mono_ms
 * (its loop runs: it is not stuck in a callback); 0 before its first. */
bool metrics_worker_alive(const struct metrics_worker *w, uint64_t mono_ms,
    uint64_t max_age_ms);

/* Whether every worker's is (GET /healthz). */
bool metrics_alive(const struct metrics *m, uint64_t mono_ms,
    uint64_t max_age_ms);

/* ---- the main thread ---- */

/* A reload was accepted (ok) or refused, at unix_ms (wall clock). */
void metrics_reload(struct metrics *m, bool ok, uint64_t unix_ms);

/* ---- scraping: any thread ---- */

struct metrics_route_sample {
	char *name;			/* owned */
	unsigned long long sessions[METRICS_NPROTOS], open[METRICS_NPROTOS];
	unsigned long long bytes[METRICS_NDIRS], messages[METRICS_NDIRS];
	unsigned long long connect_failures[METRICS_NCF];
};

/*
 * What metrics_text_write() writes.  The glue fills the process facts,
 * then metrics_scrape_begin() the counts, then one
 * metrics_scrape_route() per route name (from route_counts_foreach(),
 * so under the table's lock: slots cannot be reused meanwhile), then
 * metrics_scrape_sort().
 */
struct metrics_scrape {
	struct metrics_counts total;	/* summed over the workers */
	struct metrics_route_sample *routes;
	size_t nroutes, cap;
	bool failed;			/* out of memory on the way */
	unsigned long long reloads_ok, reloads_failed;
	int last_reload_ok;		/* 1, 0, or -1: no reload yet */
	unsigned long long last_reload_success_ms;	/* or start time */
	/* Process facts (the glue's): */
	unsigned long long start_ms;	/* unix time of the start */
	long long open_fds, max_fds;	/* -1: unknown, not written */
	bool draining;
	const char *version, *libevent, *openssl;
};

void metrics_scrape_begin(struct metrics_scrape *s, const struct metrics *m);
void metrics_scrape_route(struct metrics_scrape *s, const struct metrics *m,
    const char *name, unsigned slot);
void metrics_scrape_sort(struct metrics_scrape *s);
/* Frees the route samples (the struct is the caller's). */
void metrics_scrape_free(struct metrics_scrape *s);

#endif
