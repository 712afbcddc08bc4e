/* metrics.c -- pure: the counters behind /metrics, one block per worker written without locks, summed when scraped */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

struct metrics {
	unsigned nworkers;
	struct metrics_worker **workers;
	/* The main thread's: written there only. */
	atomic_ullong reloads_ok, reloads_failed;
	atomic_int last_reload_ok;		/* -1: none yet */
	atomic_ullong last_reload_success_ms;
};

const char *const metrics_side_names[METRICS_NSIDES] = {
	"client", "backend", "gateway",
};

const char *const metrics_reject_names[METRICS_NREJECTS] = {
	[METRICS_REJ_BAD_REQUEST] = "bad_request",
	[METRICS_REJ_NOT_WEBSOCKET] = "not_websocket",
	[METRICS_REJ_NO_ROUTE] = "no_route",
	[METRICS_REJ_ORIGIN] = "origin",
	[METRICS_REJ_CLIENT_CERT] = "client_cert",
	[METRICS_REJ_AUTH] = "auth",
	[METRICS_REJ_LIMIT] = "limit",
	[METRICS_REJ_DRAINING] = "draining",
	[METRICS_REJ_TIMEOUT] = "timeout",
	[METRICS_REJ_BACKEND] = "backend",
	[METRICS_REJ_INTERNAL] = "internal",
};

const char *const metrics_connect_fail_names[METRICS_NCF] = {
	"dns", "refused", "timeout", "tls", "other",
};

const char *const metrics_tls_fail_names[METRICS_NTLS] = {
	[METRICS_TLS_PROTOCOL_VERSION] = "protocol_version",
	[METRICS_TLS_NO_SHARED_CIPHER] = "no_shared_cipher",
	[METRICS_TLS_NO_CLIENT_CERT] = "no_client_cert",
	[METRICS_TLS_BAD_CLIENT_CERT] = "bad_client_cert",
	[METRICS_TLS_NOT_TLS] = "not_tls",
	[METRICS_TLS_EOF] = "eof",
	[METRICS_TLS_TIMEOUT] = "timeout",
	[METRICS_TLS_OTHER] = "other",
};

const char *const metrics_dir_names[METRICS_NDIRS] = { "up", "down" };
const char *const metrics_proto_names[METRICS_NPROTOS] = { "h1", "h2" };

/* Backend connects take from well under a millisecond (loopback) to
 * backend_connect_timeout (up to an hour: those land in +Inf). */
const uint64_t metrics_bucket_us[METRICS_NBUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
const char *const metrics_bucket_le[METRICS_NBUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10",
};

/* Every status wsgate answers (handshakes, web_root, health). */
static const int statuses[METRICS_NSTATUS - 1] = {
	200, 206, 301, 304, 400, 401, 403, 404, 405, 408, 412, 413, 414, 416,
	426, 429, 431, 500, 501, 502, 503, 504, 505,
};

unsigned
metrics_status_index(int status)
{
	for (unsigned i = 0; i < METRICS_NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return METRICS_NSTATUS - 1;
}

int
metrics_status_at(unsigned index)
{
	return index < METRICS_NSTATUS - 1 ? statuses[index] : 0;
}

unsigned
metrics_code_index(unsigned code)
{
	if (code >= 1000 && code <= 1015)
		return code - 1000;
	if (code >= 3000 && code <= 3999)
		return 16;
	if (code >= 4000 && code <= 4999)
		return 17;
	return 18;
}

const char *
metrics_code_label(unsigned index)
{
	static const char *const labels[METRICS_NCODES] = {
		"1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007",
		"1008", "1009", "1010", "1011", "1012", "1013", "1014", "1015",
		"3xxx", "4xxx", "other",
	};

	return index < METRICS_NCODES ? labels[index] : "other";
}

struct metrics *
metrics_new(unsigned nworkers)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->workers = calloc(nworkers != 0 ? nworkers : 1,
	    sizeof(*m->workers));
	if (m->workers == NULL) {
		free(m);
		return NULL;
	}
	m->nworkers = nworkers;
	for (unsigned i = 0; i < nworkers; i++) {
		/* Its own cache lines: no two workers write one. */
		size_t size = (sizeof(struct metrics_worker) + 63) & ~(size_t)63;
		void *p = aligned_alloc(64, size);

		if (p == NULL) {
			metrics_free(m);
			return NULL;
		}
		memset(p, 0, size);	/* all-zero atomics: 0 */
		m->workers[i] = p;
	}
	atomic_init(&m->last_reload_ok, -1);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < m->nworkers; i++) {
		if (m->workers[i] == NULL)
			continue;
		for (unsigned k = 0; k < METRICS_CHUNKS; k++)
			free(m->workers[i]->chunks[k]);
		free(m->workers[i]);
	}
	free(m->workers);
	free(m);
}

unsigned
metrics_nworkers(const struct metrics *m)
{
	return m->nworkers;
}

struct metrics_worker *
metrics_worker(struct metrics *m, unsigned i)
{
	return i < m->nworkers ? m->workers[i] : NULL;
}

int
metrics_route_slot_new(void *arg, unsigned slot)
{
	struct metrics *m = arg;
	unsigned k = slot / METRICS_CHUNK;

	if (slot >= METRICS_ROUTES_MAX)
		return -1;
	/* Every worker's chunk first, so a failure leaves nothing half. */
	for (unsigned i = 0; i < m->nworkers; i++) {
		struct metrics_worker *w = m->workers[i];

		if (w->chunks[k] == NULL) {
			size_t size = METRICS_CHUNK * sizeof(struct metrics_route);
			void *p = aligned_alloc(64, size);

			if (p == NULL)
				return -1;
			memset(p, 0, size);
			w->chunks[k] = p;
		}
	}
	/* A slot given again: no worker writes it now (see metrics.h). */
	for (unsigned i = 0; i < m->nworkers; i++) {
		struct metrics_route *r = metrics_route(m->workers[i], slot);
		atomic_ullong *all[] = {
			&r->sessions[METRICS_H1], &r->sessions[METRICS_H2],
			&r->open[METRICS_H1], &r->open[METRICS_H2],
			&r->bytes[0], &r->bytes[1],
			&r->messages[0], &r->messages[1],
		};

		for (size_t j = 0; j < sizeof(all) / sizeof(all[0]); j++)
			atomic_store_explicit(all[j], 0, memory_order_relaxed);
		for (unsigned j = 0; j < METRICS_NCF; j++)
			atomic_store_explicit(&r->connect_failures[j], 0,
			    memory_order_relaxed);
	}
	return 0;
}

/* ---- events ---- */

void
metrics_reject(struct metrics_worker *w, int status, enum metrics_reject why)
{
	if ((unsigned)why < METRICS_NREJECTS)
		metrics_add(&w->c.rejects[metrics_status_index(status)][why],
		    1);
}

void
metrics_close(struct metrics_worker *w, unsigned code, enum metrics_side by)
{
	if ((unsigned)by < METRICS_NSIDES)
		metrics_add(&w->c.closes[metrics_code_index(code)][by], 1);
}

void
metrics_connect_time(struct metrics_worker *w, uint64_t usec)
{
	unsigned i = 0;

	while (i < METRICS_NBUCKETS && usec > metrics_bucket_us[i])
		i++;
	metrics_add(&w->c.connect_buckets[i], 1);
	metrics_add(&w->c.connect_sum_us, usec);
}

void
metrics_connect_failed(struct metrics_route *r, enum metrics_connect_fail why)
{
	if ((unsigned)why < METRICS_NCF)
		metrics_add(&r->connect_failures[why], 1);
}

void
metrics_tls_failed(struct metrics_worker *w, enum metrics_tls_fail why)
{
	if ((unsigned)why < METRICS_NTLS)
		metrics_add(&w->c.tls_failures[why], 1);
}

void
metrics_web(struct metrics_worker *w, int status)
{
	metrics_add(&w->c.web[metrics_status_index(status)], 1);
}

void
metrics_reload(struct metrics *m, bool ok, uint64_t unix_ms)
{
	metrics_add(ok ? &m->reloads_ok : &m->reloads_failed, 1);
	atomic_store_explicit(&m->last_reload_ok, ok, memory_order_relaxed);
	if (ok)
		atomic_store_explicit(&m->last_reload_success_ms, unix_ms,
		    memory_order_relaxed);
}

bool
metrics_worker_alive(const struct metrics_worker *w, uint64_t mono_ms,
    uint64_t max_age_ms)
{
	uint64_t beat = metrics_get(&w->heartbeat_ms);

	/* 0: never beat; a beat "after" now is as good as now. */
	return beat != 0 && (mono_ms <= beat || mono_ms - beat <= max_age_ms);
}

bool
metrics_alive(const struct metrics *m, uint64_t mono_ms, uint64_t max_age_ms)
{
	for (unsigned i = 0; i < m->nworkers; i++)
		if (!metrics_worker_alive(m->workers[i], mono_ms, max_age_ms))
			return false;
	return true;
}

/* ---- scraping ---- */

static void
sum(atomic_ullong *dst, const atomic_ullong *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		metrics_add(&dst[i], metrics_get(&src[i]));
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
metrics_scrape_begin(struct metrics_scrape *s, const struct metrics *m)
{
	struct metrics_counts *t = &s->total;

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < m->nworkers; i++) {
		const struct metrics_counts *c = &m->workers[i]->c;

		sum(&t->accepted, &c->accepted, 1);
		sum(&t->in_handshake, &c->in_handshake, 1);
		for (unsigned k = 0; k < METRICS_NSTATUS; k++)
			sum(t->rejects[k], c->rejects[k], METRICS_NREJECTS);
		for (unsigned k = 0; k < METRICS_NCODES; k++)
			sum(t->closes[k], c->closes[k], METRICS_NSIDES);
		sum(t->connect_buckets, c->connect_buckets,
		    NELEM(t->connect_buckets));
		sum(&t->connect_sum_us, &c->connect_sum_us, 1);
		sum(&t->tls_handshakes, &c->tls_handshakes, 1);
		sum(t->tls_failures, c->tls_failures, NELEM(t->tls_failures));
		sum(t->web, c->web, NELEM(t->web));
	}
	s->reloads_ok = metrics_get(&m->reloads_ok);
	s->reloads_failed = metrics_get(&m->reloads_failed);
	s->last_reload_ok = atomic_load_explicit(&m->last_reload_ok,
	    memory_order_relaxed);
	s->last_reload_success_ms = metrics_get(&m->last_reload_success_ms);
}

void
metrics_scrape_route(struct metrics_scrape *s, const struct metrics *m,
    const char *name, unsigned slot)
{
	struct metrics_route_sample *r;

	if (s->failed || slot >= METRICS_ROUTES_MAX)
		return;
	if (s->nroutes == s->cap) {
		size_t cap = s->cap != 0 ? s->cap * 2 : 64;
		void *p = realloc(s->routes, cap * sizeof(*s->routes));

		if (p == NULL) {
			s->failed = true;
			return;
		}
		s->routes = p;
		s->cap = cap;
	}
	r = &s->routes[s->nroutes];
	memset(r, 0, sizeof(*r));
	if ((r->name = strdup(name)) == NULL) {
		s->failed = true;
		return;
	}
	s->nroutes++;
	for (unsigned i = 0; i < m->nworkers; i++) {
		const struct metrics_worker *w = m->workers[i];
		const struct metrics_route *c;

		if (w->chunks[slot / METRICS_CHUNK] == NULL)
			continue;
		c = &w->chunks[slot / METRICS_CHUNK][slot % METRICS_CHUNK];
		for (unsigned p = 0; p < METRICS_NPROTOS; p++) {
			r->sessions[p] += metrics_get(&c->sessions[p]);
			r->open[p] += metrics_get(&c->open[p]);
		}
		for (unsigned d = 0; d < METRICS_NDIRS; d++) {
			r->bytes[d] += metrics_get(&c->bytes[d]);
			r->messages[d] += metrics_get(&c->messages[d]);
		}
		for (unsigned k = 0; k < METRICS_NCF; k++)
			r->connect_failures[k] +=
			    metrics_get(&c->connect_failures[k]);
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct metrics_route_sample *)a)->name,
	    ((const struct metrics_route_sample *)b)->name);
}

void
metrics_scrape_sort(struct metrics_scrape *s)
{
	if (s->nroutes > 1)
		qsort(s->routes, s->nroutes, sizeof(*s->routes), by_name);
}

void
metrics_scrape_free(struct metrics_scrape *s)
{
	for (size_t i = 0; i < s->nroutes; i++)
		free(s->routes[i].name);
	free(s->routes);
	s->routes = NULL;
	s->nroutes = s->cap = 0;
}
