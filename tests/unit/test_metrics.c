/* test_metrics.c -- unit tests for the per-worker counters: label sets, histogram, route slots across reloads, scrapes under load */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "route_count.h"
#include "testlib.h"

static struct config *
load(const char *text)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("unit.ini", text, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "    %s\n", errs.msgs[i]);
	config_errors_free(&errs);
	return cfg;
}

#define GW "[gateway]\nlisten = 127.0.0.1:0\n"
#define ROUTE(name, path)                                                     \
	"[route:" name "]\npath = " path "\nbackend = 127.0.0.1:1\n"          \
	"origins = *\n"

static void
test_label_sets(void)
{
	/* Statuses: each listed one has its index; others are "other". */
	CHECK_INT(metrics_status_at(metrics_status_index(200)), 200);
	CHECK_INT(metrics_status_at(metrics_status_index(403)), 403);
	CHECK_INT(metrics_status_at(metrics_status_index(505)), 505);
	CHECK_INT(metrics_status_index(418), METRICS_NSTATUS - 1);
	CHECK_INT(metrics_status_index(-1), METRICS_NSTATUS - 1);
	CHECK_INT(metrics_status_at(METRICS_NSTATUS - 1), 0);
	for (unsigned i = 0; i + 1 < METRICS_NSTATUS; i++)
		CHECK_INT(metrics_status_index(metrics_status_at(i)), i);
	/* Close codes. */
	CHECK_STR(metrics_code_label(metrics_code_index(1000)), "1000");
	CHECK_STR(metrics_code_label(metrics_code_index(1006)), "1006");
	CHECK_STR(metrics_code_label(metrics_code_index(1015)), "1015");
	CHECK_STR(metrics_code_label(metrics_code_index(1016)), "other");
	CHECK_STR(metrics_code_label(metrics_code_index(999)), "other");
	CHECK_STR(metrics_code_label(metrics_code_index(2999)), "other");
	CHECK_STR(metrics_code_label(metrics_code_index(3000)), "3xxx");
	CHECK_STR(metrics_code_label(metrics_code_index(3999)), "3xxx");
	CHECK_STR(metrics_code_label(metrics_code_index(4000)), "4xxx");
	CHECK_STR(metrics_code_label(metrics_code_index(4999)), "4xxx");
	CHECK_STR(metrics_code_label(metrics_code_index(5000)), "other");
	CHECK_STR(metrics_code_label(99), "other");
	/* Every enum value has a name. */
	for (unsigned i = 0; i < METRICS_NREJECTS; i++)
		CHECK(metrics_reject_names[i] != NULL);
	for (unsigned i = 0; i < METRICS_NTLS; i++)
		CHECK(metrics_tls_fail_names[i] != NULL);
	for (unsigned i = 1; i < METRICS_NBUCKETS; i++)
		CHECK(metrics_bucket_us[i] > metrics_bucket_us[i - 1]);
}

/* Upper bounds are inclusive (le = "less or equal"). */
static void
test_histogram(void)
{
	struct metrics *m = metrics_new(2);
	struct metrics_scrape s = { 0 };
	struct metrics_worker *w0, *w1;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	w0 = metrics_worker(m, 0);
	w1 = metrics_worker(m, 1);
	CHECK(metrics_worker(m, 2) == NULL);
	metrics_connect_time(w0, 0);
	metrics_connect_time(w0, 500);		/* le 0.0005 */
	metrics_connect_time(w1, 501);		/* le 0.001 */
	metrics_connect_time(w1, 10000000);	/* le 10 */
	metrics_connect_time(w1, 10000001);	/* +Inf */
	metrics_connect_time(w0, 3600000000ull);
	metrics_scrape_begin(&s, m);
	CHECK_INT(metrics_get(&s.total.connect_buckets[0]), 2);
	CHECK_INT(metrics_get(&s.total.connect_buckets[1]), 1);
	CHECK_INT(metrics_get(&s.total.connect_buckets[METRICS_NBUCKETS - 1]),
	    1);
	CHECK_INT(metrics_get(&s.total.connect_buckets[METRICS_NBUCKETS]), 2);
	CHECK_INT(metrics_get(&s.total.connect_sum_us),
	    500 + 501 + 10000000 + 10000001 + 3600000000ull);
	metrics_scrape_free(&s);
	metrics_free(m);
}

static void
test_events(void)
{
	struct metrics *m = metrics_new(3);
	struct metrics_scrape s = { 0 };

	CHECK(m != NULL);
	if (m == NULL)
		return;
	for (unsigned i = 0; i < 3; i++) {
		struct metrics_worker *w = metrics_worker(m, i);

		metrics_add(&w->c.accepted, 10 + i);
		metrics_add(&w->c.in_handshake, 2);
		metrics_sub(&w->c.in_handshake, 1);
		metrics_reject(w, 403, METRICS_REJ_ORIGIN);
		metrics_reject(w, 418, METRICS_REJ_BAD_REQUEST);
		metrics_reject(w, 403, METRICS_NREJECTS);	/* ignored */
		metrics_close(w, 1000, METRICS_BY_CLIENT);
		metrics_close(w, 4321, METRICS_BY_BACKEND);
		metrics_close(w, 1000, METRICS_NSIDES);		/* ignored */
		metrics_tls_failed(w, METRICS_TLS_PROTOCOL_VERSION);
		metrics_tls_failed(w, METRICS_NTLS);		/* ignored */
		metrics_web(w, 404);
		metrics_add(&w->c.tls_handshakes, 1);
	}
	metrics_reload(m, true, 1700000000123ull);
	metrics_reload(m, false, 1700000001000ull);
	metrics_scrape_begin(&s, m);
	CHECK_INT(metrics_get(&s.total.accepted), 33);
	CHECK_INT(metrics_get(&s.total.in_handshake), 3);
	CHECK_INT(metrics_get(&s.total.rejects[metrics_status_index(403)]
	    [METRICS_REJ_ORIGIN]), 3);
	CHECK_INT(metrics_get(&s.total.rejects[METRICS_NSTATUS - 1]
	    [METRICS_REJ_BAD_REQUEST]), 3);
	CHECK_INT(metrics_get(&s.total.closes[0][METRICS_BY_CLIENT]), 3);
	CHECK_INT(metrics_get(&s.total.closes[17][METRICS_BY_BACKEND]), 3);
	CHECK_INT(metrics_get(&s.total.tls_failures[0]), 3);
	CHECK_INT(metrics_get(&s.total.web[metrics_status_index(404)]), 3);
	CHECK_INT(metrics_get(&s.total.tls_handshakes), 3);
	CHECK_INT(s.reloads_ok, 1);
	CHECK_INT(s.reloads_failed, 1);
	CHECK_INT(s.last_reload_ok, 0);
	CHECK_INT(s.last_reload_success_ms, 1700000000123ull);
	metrics_scrape_free(&s);
	metrics_free(m);
	metrics_free(NULL);
}

/* /healthz: every worker beat recently; one that never did, or stopped,
 * makes the process unhealthy. */
static void
test_heartbeat(void)
{
	struct metrics *m = metrics_new(2);

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(!metrics_alive(m, 1000, 5000));	/* none beat yet */
	metrics_heartbeat(metrics_worker(m, 0), 1000);
	CHECK(!metrics_alive(m, 1000, 5000));
	metrics_heartbeat(metrics_worker(m, 1), 2000);
	CHECK(metrics_alive(m, 2000, 5000));
	CHECK(metrics_alive(m, 6000, 5000));
	CHECK(!metrics_alive(m, 6001, 5000));	/* worker 0: 5001 ms ago */
	metrics_heartbeat(metrics_worker(m, 0), 6001);
	CHECK(metrics_alive(m, 6001, 5000));
	CHECK(metrics_alive(m, 10, 5000));	/* clock behind a beat */
	metrics_free(m);
}

struct collect {
	struct metrics_scrape *s;
	const struct metrics *m;
};

static void
collect_cb(void *arg, const char *name, unsigned slot, unsigned active)
{
	struct collect *c = arg;

	(void)active;
	metrics_scrape_route(c->s, c->m, name, slot);
}

static void
scrape(struct metrics_scrape *s, struct metrics *m, struct route_counts *t)
{
	struct collect c = { s, m };

	memset(s, 0, sizeof(*s));
	metrics_scrape_begin(s, m);
	route_counts_foreach(t, collect_cb, &c);
	metrics_scrape_sort(s);
}

static struct metrics_route *
route_of(struct metrics *m, unsigned worker, const struct route *r)
{
	return metrics_route(metrics_worker(m, worker),
	    route_count_slot(r->count));
}

/*
 * Per-route counters follow the name across reloads, like the session
 * counts; a name that goes away takes its series, and one that comes
 * back (perhaps in a reused slot) starts from zero.
 */
static void
test_routes_across_reloads(void)
{
	struct route_counts *t = route_counts_new();
	struct metrics *m = metrics_new(2);
	struct config *a = load(GW ROUTE("echo", "/e") ROUTE("vnc", "/v"));
	struct config *b = load(GW ROUTE("vnc", "/v2") ROUTE("new", "/n"));
	struct config *c;
	struct metrics_scrape s;

	CHECK(t != NULL && m != NULL && a != NULL && b != NULL);
	if (t == NULL || m == NULL || a == NULL || b == NULL)
		return;
	CHECK_INT(route_counts_on_new_slot(t, metrics_route_slot_new, m), 0);
	CHECK_INT(route_counts_attach(t, a), 0);
	metrics_add(&route_of(m, 0, &a->routes[0])->sessions[METRICS_H1], 2);
	metrics_add(&route_of(m, 1, &a->routes[0])->sessions[METRICS_H1], 1);
	metrics_add(&route_of(m, 1, &a->routes[0])->sessions[METRICS_H2], 4);
	metrics_add(&route_of(m, 1, &a->routes[1])->bytes[METRICS_UP], 100);
	metrics_add(&route_of(m, 0, &a->routes[1])->open[METRICS_H1], 1);
	metrics_connect_failed(route_of(m, 0, &a->routes[1]), METRICS_CF_DNS);
	/* Reload: vnc keeps its counters, new starts at zero. */
	CHECK_INT(route_counts_attach(t, b), 0);
	CHECK_INT(route_count_slot(b->routes[0].count),
	    route_count_slot(a->routes[1].count));
	metrics_add(&route_of(m, 0, &b->routes[0])->bytes[METRICS_UP], 5);
	scrape(&s, m, t);
	CHECK(!s.failed);
	CHECK_INT(s.nroutes, 3);
	if (s.nroutes == 3) {
		CHECK_STR(s.routes[0].name, "echo");
		CHECK_INT(s.routes[0].sessions[METRICS_H1], 3);
		CHECK_INT(s.routes[0].sessions[METRICS_H2], 4);
		CHECK_STR(s.routes[1].name, "new");
		CHECK_INT(s.routes[1].sessions[METRICS_H1], 0);
		CHECK_STR(s.routes[2].name, "vnc");
		CHECK_INT(s.routes[2].bytes[METRICS_UP], 105);
		CHECK_INT(s.routes[2].open[METRICS_H1], 1);
		CHECK_INT(s.routes[2].connect_failures[METRICS_CF_DNS], 1);
	}
	metrics_scrape_free(&s);
	/* The old generation goes: echo's series go with it. */
	config_unref(a);
	scrape(&s, m, t);
	CHECK_INT(s.nroutes, 2);
	metrics_scrape_free(&s);
	/* echo comes back, in the slot it left (the only one free): its
	 * counters start again from zero, in every worker. */
	c = load(GW ROUTE("vnc", "/v2") ROUTE("new", "/n") ROUTE("echo", "/e"));
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_INT(route_counts_attach(t, c), 0);
		CHECK_INT(route_counts_slots(t), 3);
		scrape(&s, m, t);
		CHECK_INT(s.nroutes, 3);
		if (s.nroutes == 3) {
			CHECK_STR(s.routes[0].name, "echo");
			CHECK_INT(s.routes[0].sessions[METRICS_H1], 0);
		}
		metrics_scrape_free(&s);
		config_unref(c);
	}
	config_unref(b);
	CHECK_INT(route_counts_size(t), 0);
	route_counts_free(t);
	metrics_free(m);
}

static int hook_calls;

static int
failing_hook(void *arg, unsigned slot)
{
	(void)arg;
	(void)slot;
	hook_calls++;
	return -1;
}

/* The metrics are made after the first configuration is attached (it
 * says how many workers): setting the hook then gives them every slot
 * already held. */
static void
test_hook_after_attach(void)
{
	struct route_counts *t = route_counts_new();
	struct metrics *m = metrics_new(2);
	struct config *a = load(GW ROUTE("echo", "/e") ROUTE("vnc", "/v"));

	CHECK(t != NULL && m != NULL && a != NULL);
	if (t == NULL || m == NULL || a == NULL)
		return;
	CHECK_INT(route_counts_attach(t, a), 0);
	CHECK(metrics_worker(m, 1)->chunks[0] == NULL);
	CHECK_INT(route_counts_on_new_slot(t, metrics_route_slot_new, m), 0);
	CHECK(metrics_worker(m, 0)->chunks[0] != NULL);
	CHECK(metrics_worker(m, 1)->chunks[0] != NULL);
	metrics_add(&route_of(m, 1, &a->routes[1])->sessions[METRICS_H1], 1);
	config_unref(a);
	route_counts_free(t);
	metrics_free(m);
}

/* A hook that refuses (no memory) fails the attach, and its slot is not
 * lost. */
static void
test_hook_failure(void)
{
	struct route_counts *t = route_counts_new();
	struct config *a = load(GW ROUTE("echo", "/e"));

	CHECK(t != NULL && a != NULL);
	if (t == NULL || a == NULL)
		return;
	CHECK_INT(route_counts_on_new_slot(t, failing_hook, NULL), 0);
	CHECK_INT(route_counts_attach(t, a), -1);
	CHECK_INT(hook_calls, 1);
	CHECK(a->routes[0].count == NULL);
	CHECK_INT(route_counts_size(t), 0);
	config_unref(a);
	route_counts_free(t);
	/* Past the slot limit: refused. */
	{
		struct metrics *m = metrics_new(1);

		CHECK(m != NULL);
		CHECK_INT(metrics_route_slot_new(m, METRICS_ROUTES_MAX), -1);
		CHECK_INT(metrics_route_slot_new(m, METRICS_ROUTES_MAX - 1), 0);
		metrics_free(m);
	}
}

/* Workers count while a scrape reads: every counter the scrape sees
 * only grows, and the totals are exact once the workers stop. */
#define NW 2
#define ROUNDS 200000

struct load_arg {
	struct metrics_worker *w;
	struct metrics_route *r;
};

static void *
worker_main(void *p)
{
	struct load_arg *a = p;

	for (unsigned i = 0; i < ROUNDS; i++) {
		metrics_add(&a->r->bytes[METRICS_DOWN], 3);
		metrics_add(&a->r->open[METRICS_H1], 1);
		metrics_connect_time(a->w, i % 20000);
		metrics_sub(&a->r->open[METRICS_H1], 1);
	}
	return NULL;
}

static void
test_concurrent_scrapes(void)
{
	struct route_counts *t = route_counts_new();
	struct metrics *m = metrics_new(NW);
	struct config *a = load(GW ROUTE("echo", "/e"));
	struct load_arg args[NW];
	pthread_t th[NW];
	unsigned long long last_bytes = 0, last_count = 0;
	struct metrics_scrape s;
	int scrapes = 0;

	CHECK(t != NULL && m != NULL && a != NULL);
	if (t == NULL || m == NULL || a == NULL)
		return;
	CHECK_INT(route_counts_on_new_slot(t, metrics_route_slot_new, m), 0);
	CHECK_INT(route_counts_attach(t, a), 0);
	for (unsigned i = 0; i < NW; i++) {
		args[i].w = metrics_worker(m, i);
		args[i].r = route_of(m, i, &a->routes[0]);
		pthread_create(&th[i], NULL, worker_main, &args[i]);
	}
	for (;;) {
		unsigned long long cum = 0;
		bool done;

		scrape(&s, m, t);
		for (unsigned i = 0; i <= METRICS_NBUCKETS; i++)
			cum += metrics_get(&s.total.connect_buckets[i]);
		CHECK(s.nroutes == 1);
		if (s.nroutes == 1) {
			CHECK(s.routes[0].bytes[METRICS_DOWN] >= last_bytes);
			CHECK(s.routes[0].open[METRICS_H1] <= NW);
			last_bytes = s.routes[0].bytes[METRICS_DOWN];
		}
		CHECK(cum >= last_count);
		last_count = cum;
		done = cum == (unsigned long long)NW * ROUNDS;
		metrics_scrape_free(&s);
		scrapes++;
		if (done || tl_check_failures)
			break;
	}
	for (unsigned i = 0; i < NW; i++)
		pthread_join(th[i], NULL);
	scrape(&s, m, t);
	CHECK_INT(s.routes[0].bytes[METRICS_DOWN], 3ull * NW * ROUNDS);
	CHECK_INT(s.routes[0].open[METRICS_H1], 0);
	metrics_scrape_free(&s);
	printf("     (%d scrapes during the load)\n", scrapes);
	config_unref(a);
	route_counts_free(t);
	metrics_free(m);
}

int
main(void)
{
	RUN(test_label_sets);
	RUN(test_histogram);
	RUN(test_events);
	RUN(test_heartbeat);
	RUN(test_routes_across_reloads);
	RUN(test_hook_after_attach);
	RUN(test_hook_failure);
	RUN(test_concurrent_scrapes);
	return tl_summary("unit/metrics");
}
