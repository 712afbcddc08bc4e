/* test_route_count.c -- route session counts kept by name across configuration generations */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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
#define ROUTE(name, path, max)                                                \
	"[route:" name "]\npath = " path "\nbackend = 127.0.0.1:1\n"          \
	"origins = *\nmax_connections = " max "\n"

/* A reload: the same name gets the same counter, so slots held under
 * the old generation count against the new one's limit. */
static void
test_count_survives_reload(void)
{
	struct route_counts *t = route_counts_new();
	struct config *a = load(GW ROUTE("a", "/a", "2"));
	struct config *b = load(GW ROUTE("x", "/x", "0") ROUTE("a", "/a", "2"));

	CHECK(t != NULL && a != NULL && b != NULL);
	if (t == NULL || a == NULL || b == NULL)
		return;
	CHECK_INT(route_counts_attach(t, a), 0);
	CHECK(route_count_take(a->routes[0].count, 2));
	CHECK(route_count_take(a->routes[0].count, 2));
	CHECK(!route_count_take(a->routes[0].count, 2));
	CHECK_INT(route_counts_attach(t, b), 0);
	CHECK(b->routes[1].count == a->routes[0].count);
	CHECK(!route_count_take(b->routes[1].count, 2));
	CHECK(route_count_take(b->routes[0].count, 0));	/* x: no limit */
	CHECK_INT(route_counts_size(t), 2);
	/* The old generation goes (its sessions still hold b alive in the
	 * gateway; here, nothing does): the count stays with b. */
	config_unref(a);
	CHECK_INT(route_count_active(b->routes[1].count), 2);
	route_count_give(b->routes[1].count);
	CHECK(route_count_take(b->routes[1].count, 2));
	CHECK(!route_count_take(b->routes[1].count, 2));
	config_unref(b);
	CHECK_INT(route_counts_size(t), 0);
	route_counts_free(t);
}

/* A renamed route (same path, other name) is a new count; a name no
 * configuration has any more is forgotten, and starts from zero when it
 * comes back. */
static void
test_rename_and_removal(void)
{
	struct route_counts *t = route_counts_new();
	struct config *a = load(GW ROUTE("a", "/p", "1"));
	struct config *b = load(GW ROUTE("b", "/p", "1"));
	struct config *a2;

	CHECK(t != NULL && a != NULL && b != NULL);
	if (t == NULL || a == NULL || b == NULL)
		return;
	CHECK_INT(route_counts_attach(t, a), 0);
	CHECK(route_count_take(a->routes[0].count, 1));
	CHECK_INT(route_counts_attach(t, b), 0);
	CHECK(b->routes[0].count != a->routes[0].count);
	CHECK(route_count_take(b->routes[0].count, 1));
	CHECK_INT(route_counts_size(t), 2);
	/* "a" removed, but a session of the old generation still holds
	 * it: a generation with "a" again shares the count. */
	a2 = load(GW ROUTE("a", "/p", "1"));
	CHECK(a2 != NULL);
	if (a2 != NULL) {
		CHECK_INT(route_counts_attach(t, a2), 0);
		CHECK(a2->routes[0].count == a->routes[0].count);
		CHECK(!route_count_take(a2->routes[0].count, 1));
	}
	route_count_give(a->routes[0].count);
	config_unref(a);
	config_unref(a2);
	CHECK_INT(route_counts_size(t), 1);
	route_count_give(b->routes[0].count);
	config_unref(b);
	CHECK_INT(route_counts_size(t), 0);
	route_counts_free(t);
}

/* Many names: the table grows and finds each again. */
static void
test_many_names(void)
{
	struct route_counts *t = route_counts_new();
	size_t n = 600, len = 0;
	char *text = malloc(n * 96 + 64);
	struct config *c1, *c2;

	CHECK(t != NULL && text != NULL);
	if (t == NULL || text == NULL)
		return;
	len += (size_t)sprintf(text, GW);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "[route:r%zu]\npath = /%zu\n"
		    "backend = 127.0.0.1:1\norigins = *\n", i, i);
	c1 = load(text);
	c2 = load(text);
	CHECK(c1 != NULL && c2 != NULL);
	if (c1 != NULL && c2 != NULL) {
		CHECK_INT(route_counts_attach(t, c1), 0);
		CHECK_INT(route_counts_attach(t, c2), 0);
		CHECK_INT(route_counts_size(t), n);
		for (size_t i = 0; i < n; i++)
			CHECK(c1->routes[i].count == c2->routes[i].count);
	}
	config_unref(c1);
	CHECK_INT(route_counts_size(t), n);
	config_unref(c2);
	CHECK_INT(route_counts_size(t), 0);
	free(text);
	route_counts_free(t);
}

static void
count_names(void *arg, const char *name, unsigned slot, unsigned active)
{
	unsigned *seen = arg;

	(void)name;
	CHECK(slot < 64);
	if (slot < 64)
		seen[slot] += 1 + active * 100;
}

static int
note_slot(void *arg, unsigned slot)
{
	unsigned *given = arg;

	if (slot < 64)
		given[slot]++;
	return 0;
}

/* Slots: dense, one per name held, the same across generations, given
 * again once a name is gone (each time told to the hook); foreach sees
 * every name once. */
static void
test_slots(void)
{
	struct route_counts *t = route_counts_new();
	struct config *a = load(GW ROUTE("a", "/a", "0") ROUTE("b", "/b", "0")
	    ROUTE("c", "/c", "0"));
	struct config *b = load(GW ROUTE("c", "/c", "0") ROUTE("d", "/d", "0"));
	unsigned given[64] = { 0 }, seen[64] = { 0 };
	unsigned sa, sb, sc;

	CHECK(t != NULL && a != NULL && b != NULL);
	if (t == NULL || a == NULL || b == NULL)
		return;
	CHECK_INT(route_counts_on_new_slot(t, note_slot, given), 0);
	CHECK_INT(route_counts_attach(t, a), 0);
	sa = route_count_slot(a->routes[0].count);
	sb = route_count_slot(a->routes[1].count);
	sc = route_count_slot(a->routes[2].count);
	CHECK(sa < 3 && sb < 3 && sc < 3 && sa != sb && sb != sc &&
	    sa != sc);
	CHECK_INT(route_counts_slots(t), 3);
	CHECK(given[0] == 1 && given[1] == 1 && given[2] == 1);
	CHECK(route_count_take(a->routes[2].count, 0));
	route_counts_foreach(t, count_names, seen);
	CHECK_INT(seen[sa], 1);
	CHECK_INT(seen[sc], 101);	/* one name, one session */
	/* c keeps its slot in the new generation; d takes a new one. */
	CHECK_INT(route_counts_attach(t, b), 0);
	CHECK_INT(route_count_slot(b->routes[0].count), sc);
	CHECK_INT(route_count_slot(b->routes[1].count), 3);
	CHECK_INT(route_counts_slots(t), 4);
	route_count_give(a->routes[2].count);
	/* a and b go: their slots are given to the next new names. */
	config_unref(a);
	CHECK_INT(route_counts_size(t), 2);
	{
		struct config *c = load(GW ROUTE("e", "/e", "0")
		    ROUTE("f", "/f", "0") ROUTE("g", "/g", "0"));
		unsigned se, sf, sg;

		CHECK(c != NULL);
		if (c != NULL) {
			CHECK_INT(route_counts_attach(t, c), 0);
			se = route_count_slot(c->routes[0].count);
			sf = route_count_slot(c->routes[1].count);
			sg = route_count_slot(c->routes[2].count);
			/* sa and sb again, then a new one */
			CHECK((se == sa || se == sb) && (sf == sa || sf == sb) &&
			    se != sf);
			CHECK_INT(sg, 4);
			CHECK_INT(given[sa], 2);
			CHECK_INT(given[sb], 2);
			CHECK_INT(route_counts_slots(t), 5);
			config_unref(c);
		}
	}
	config_unref(b);
	CHECK_INT(route_counts_size(t), 0);
	route_counts_free(t);
}

struct racer {
	struct route_count *c;
	unsigned won;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 100000; i++)
		if (route_count_take(r->c, 3)) {
			r->won++;
			route_count_give(r->c);
		}
	return NULL;
}

/* Threads taking and giving at once: every slot taken is given back. */
static void
test_threads(void)
{
	struct route_counts *t = route_counts_new();
	struct config *cfg = load(GW ROUTE("a", "/a", "3"));
	struct racer r[4];
	pthread_t th[4];

	CHECK(t != NULL && cfg != NULL);
	if (t == NULL || cfg == NULL)
		return;
	CHECK_INT(route_counts_attach(t, cfg), 0);
	for (int i = 0; i < 4; i++) {
		r[i].c = cfg->routes[0].count;
		r[i].won = 0;
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(r[i].won > 0);
	}
	CHECK_INT(route_count_active(cfg->routes[0].count), 0);
	config_unref(cfg);
	route_counts_free(t);
}

int
main(void)
{
	RUN(test_count_survives_reload);
	RUN(test_rename_and_removal);
	RUN(test_many_names);
	RUN(test_slots);
	RUN(test_threads);
	return tl_summary("unit/route_count");
}
