/* route_count.c -- each route's open sessions, counted by route name so that a count outlives reloads */
#include "route_count.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_types.h"

struct route_count {
	atomic_uint active;		/* slots held (sessions) */
	unsigned refs;			/* routes pointing here; under lock */
	unsigned slot;			/* route_count_slot() */
	struct route_counts *table;
	struct route_count *next;	/* hash chain */
	char name[];
};

/*
 * The lock guards the chains and refs: it is taken when a configuration
 * is loaded or freed, never per session (sessions only touch active).
 */
struct route_counts {
	pthread_mutex_t lock;
	struct route_count **buckets;
	size_t nbuckets;		/* a power of two */
	size_t n;
	/* Slots: 0..nslots-1 were given; free holds those given back (room
	 * for nslots, so giving one back never allocates). */
	unsigned nslots;
	unsigned *free;
	size_t nfree, free_cap;
	int (*on_new_slot)(void *arg, unsigned slot);
	void *on_new_slot_arg;
};

struct route_counts *
route_counts_new(void)
{
	struct route_counts *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void
route_counts_free(struct route_counts *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct route_count *c, *next;

		for (c = t->buckets[i]; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
	}
	free(t->buckets);
	free(t->free);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* FNV-1a: route names come from the configuration, not from clients. */
static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static int
table_grow(struct route_counts *t)
{
	size_t n = t->nbuckets != 0 ? t->nbuckets * 2 : 64;
	struct route_count **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return -1;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct route_count *c, *next;

		for (c = t->buckets[i]; c != NULL; c = next) {
			size_t j = name_hash(c->name) & (n - 1);

			next = c->next;
			c->next = b[j];
			b[j] = c;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

/* A free slot, told to on_new_slot; under t->lock. */
static int
slot_take(struct route_counts *t, unsigned *slot)
{
	if (t->nfree > 0) {
		*slot = t->free[--t->nfree];
	} else {
		if (t->nslots == t->free_cap) {
			size_t cap = t->free_cap != 0 ? t->free_cap * 2 : 64;
			unsigned *f = realloc(t->free, cap * sizeof(*f));

			if (f == NULL)
				return -1;
			t->free = f;
			t->free_cap = cap;
		}
		*slot = t->nslots++;
	}
	if (t->on_new_slot != NULL &&
	    t->on_new_slot(t->on_new_slot_arg, *slot) != 0) {
		t->free[t->nfree++] = *slot;
		return -1;
	}
	return 0;
}

/* The counter for name, with one more reference; NULL without memory.
 * Under t->lock. */
static struct route_count *
table_get(struct route_counts *t, const char *name)
{
	struct route_count *c;
	size_t len = strlen(name), i;

	if (t->nbuckets != 0)
		for (c = t->buckets[name_hash(name) & (t->nbuckets - 1)];
		    c != NULL; c = c->next)
			if (strcmp(c->name, name) == 0) {
				c->refs++;
				return c;
			}
	if (t->n >= t->nbuckets && table_grow(t) != 0)
		return NULL;
	c = malloc(sizeof(*c) + len + 1);
	if (c == NULL)
		return NULL;
	if (slot_take(t, &c->slot) != 0) {
		free(c);
		return NULL;
	}
	atomic_init(&c->active, 0);
	c->refs = 1;
	c->table = t;
	memcpy(c->name, name, len + 1);
	i = name_hash(name) & (t->nbuckets - 1);
	c->next = t->buckets[i];
	t->buckets[i] = c;
	t->n++;
	return c;
}

/* Under t->lock. */
static void
table_put(struct route_count *c)
{
	struct route_counts *t = c->table;
	struct route_count **pp;

	if (--c->refs > 0)
		return;
	for (pp = &t->buckets[name_hash(c->name) & (t->nbuckets - 1)];
	    *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	t->n--;
	t->free[t->nfree++] = c->slot;	/* room: free_cap >= nslots */
	free(c);
}

/* config_unref's hook: the routes' counters go back. */
static void
route_counts_detach(struct config *cfg)
{
	struct route_counts *t = NULL;

	for (size_t i = 0; i < cfg->nroutes && t == NULL; i++)
		if (cfg->routes[i].count != NULL)
			t = cfg->routes[i].count->table;
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		if (cfg->routes[i].count != NULL)
			table_put(cfg->routes[i].count);
		cfg->routes[i].count = NULL;
	}
	pthread_mutex_unlock(&t->lock);
}

int
route_counts_attach(struct route_counts *t, struct config *cfg)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < cfg->nroutes && rc == 0; i++) {
		cfg->routes[i].count = table_get(t, cfg->routes[i].name);
		if (cfg->routes[i].count == NULL)
			rc = -1;
	}
	pthread_mutex_unlock(&t->lock);
	cfg->counts_free = route_counts_detach;
	if (rc != 0)
		route_counts_detach(cfg);
	return rc;
}

bool
route_count_take(struct route_count *c, unsigned max)
{
	/* Taken before it is checked, so workers racing for the last slot
	 * cannot both win it. */
	if (atomic_fetch_add(&c->active, 1) >= max && max != 0) {
		atomic_fetch_sub(&c->active, 1);
		return false;
	}
	return true;
}

void
route_count_give(struct route_count *c)
{
	atomic_fetch_sub(&c->active, 1);
}

unsigned
route_count_active(const struct route_count *c)
{
	return atomic_load(&c->active);
}

unsigned
route_count_slot(const struct route_count *c)
{
	return c->slot;
}

unsigned
route_counts_slots(struct route_counts *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = t->nslots;
	pthread_mutex_unlock(&t->lock);
	return n;
}

int
route_counts_on_new_slot(struct route_counts *t,
    int (*fn)(void *arg, unsigned slot), void *arg)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	t->on_new_slot = fn;
	t->on_new_slot_arg = arg;
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct route_count *c = t->buckets[i]; c != NULL;
		    c = c->next)
			if (fn(arg, c->slot) != 0)
				rc = -1;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void
route_counts_foreach(struct route_counts *t,
    void (*fn)(void *arg, const char *name, unsigned slot, unsigned active),
    void *arg)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct route_count *c = t->buckets[i]; c != NULL;
		    c = c->next)
			fn(arg, c->name, c->slot, route_count_active(c));
	pthread_mutex_unlock(&t->lock);
}

unsigned
route_counts_size(struct route_counts *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = (unsigned)t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}
