/* route_count.h -- each route's open sessions, counted by route name so that a count outlives reloads */
#ifndef WSGATE_ROUTE_COUNT_H
#define WSGATE_ROUTE_COUNT_H

#include <stdbool.h>

struct config;
struct route_counts;	/* the table: one per process */
struct route_count;	/* one route name's count */

/*
 * A reload builds new struct routes, so a count kept in one would start
 * from zero: the count lives here, one per route name, shared by every
 * configuration generation that has a route of that name.  A counter
 * lives as long as some configuration points at it, and a session that
 * holds one of its slots holds a reference to such a configuration, so
 * nothing is freed under a session and the table never outgrows the
 * routes of the configurations still in use.
 */
struct route_counts *route_counts_new(void);
/* Once every configuration attached to t is gone. */
void route_counts_free(struct route_counts *t);

/*
 * Point every route of cfg at the counter of its name (made on first
 * use; the main thread, at load time) and make config_unref give them
 * back.  Returns 0, or -1 without memory (cfg then points at none).
 */
int route_counts_attach(struct route_counts *t, struct config *cfg);

/* Take one of max slots (0 = no limit); false when all are held.  Any
 * thread; lock-free. */
bool route_count_take(struct route_count *c, unsigned max);
void route_count_give(struct route_count *c);
unsigned route_count_active(const struct route_count *c);

/*
 * Each name also has a slot: a small number, unique among the names the
 * table holds, reused once a name is gone (its last configuration freed),
 * so arrays indexed by slot (metrics.h: per-route counters of each worker)
 * stay as small as the routes in use.  A slot is below
 * route_counts_slots(), and never changes while a configuration with the
 * route is alive: a session, which holds its configuration, can keep a
 * route's slot without asking again.
 */
unsigned route_count_slot(const struct route_count *c);
/* One more than the highest slot ever given (main thread; at load time). */
unsigned route_counts_slots(struct route_counts *t);

/*
 * fn is called with the slot of each name that gets one (a new name, or
 * one back after it was gone), under the table's lock, before
 * route_counts_attach() returns: the metrics clear the slot's counters
 * there.  -1 refuses (out of memory): attach then fails.  Setting it
 * calls it at once for every name already held (the metrics are made
 * once the first configuration says how many workers there are); the
 * result is -1 if one of those calls refused.  Set it once.
 */
int route_counts_on_new_slot(struct route_counts *t,
    int (*fn)(void *arg, unsigned slot), void *arg);

/*
 * fn(arg, name, slot, active) for every name, under the table's lock (a
 * scrape: fn copies what it needs and must not call back into t).  Names
 * in no particular order.
 */
void route_counts_foreach(struct route_counts *t,
    void (*fn)(void *arg, const char *name, unsigned slot, unsigned active),
    void *arg);

/* How many names the table holds (for tests). */
unsigned route_counts_size(struct route_counts *t);

#endif
