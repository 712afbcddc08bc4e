/* dnscache.c -- name lookup answers kept for their TTL: one entry per name, bounded, LRU eviction */
#include "dnscache.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNSCACHE_NAME_MAX 255	/* RFC 1035 2.3.4, in text form */

struct dnscache {
	struct dns_entry **buckets;
	size_t mask;			/* buckets - 1, a power of two - 1 */
	size_t n, max;
	struct dns_entry *first, *last;	/* most / least recently used */
};

/* FNV-1a over the lower-cased name. */
static size_t
dnscache_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (uint32_t)tolower((unsigned char)*name);
		h *= 16777619u;
	}
	return h;
}

struct dnscache *
dnscache_new(size_t max)
{
	struct dnscache *c = calloc(1, sizeof(*c));
	size_t nb = 16;

	if (c == NULL)
		return NULL;
	if (max < 1)
		max = 1;
	while (nb < max && nb < ((size_t)1 << 20))
		nb <<= 1;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		free(c);
		return NULL;
	}
	c->mask = nb - 1;
	c->max = max;
	return c;
}

static void
dnscache_unlink_use(struct dnscache *c, struct dns_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->first = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->last = e->prev;
	e->prev = e->next = NULL;
}

static void
dnscache_push_use(struct dnscache *c, struct dns_entry *e)
{
	e->prev = NULL;
	e->next = c->first;
	if (c->first != NULL)
		c->first->prev = e;
	else
		c->last = e;
	c->first = e;
}

static void
dnscache_remove(struct dnscache *c, struct dns_entry *e)
{
	struct dns_entry **pp = &c->buckets[dnscache_hash(e->name) & c->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	dnscache_unlink_use(c, e);
	c->n--;
	free(e);
}

void
dnscache_free(struct dnscache *c)
{
	struct dns_entry *e, *next;

	if (c == NULL)
		return;
	for (e = c->first; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(c->buckets);
	free(c);
}

struct dns_entry *
dnscache_get(struct dnscache *c, const char *name, double now)
{
	struct dns_entry *e = c->buckets[dnscache_hash(name) & c->mask];

	while (e != NULL && strcasecmp(e->name, name) != 0)
		e = e->hnext;
	if (e == NULL)
		return NULL;
	if (e->state != DNS_ENTRY_PENDING && now >= e->expires) {
		dnscache_remove(c, e);
		return NULL;
	}
	dnscache_unlink_use(c, e);
	dnscache_push_use(c, e);
	return e;
}

struct dns_entry *
dnscache_add(struct dnscache *c, const char *name)
{
	size_t len = strlen(name);
	struct dns_entry *e, *victim;
	size_t b;

	if (len > DNSCACHE_NAME_MAX)
		return NULL;
	if (c->n >= c->max) {
		for (victim = c->last; victim != NULL &&
		    victim->state == DNS_ENTRY_PENDING; victim = victim->prev)
			;
		if (victim == NULL)
			return NULL;
		dnscache_remove(c, victim);
	}
	e = calloc(1, sizeof(*e) + len + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->name, name, len + 1);
	e->state = DNS_ENTRY_PENDING;
	b = dnscache_hash(name) & c->mask;
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	dnscache_push_use(c, e);
	c->n++;
	return e;
}

void
dnscache_answer(struct dns_entry *e, const struct hosts_addr *addrs,
    size_t n, unsigned long ttl, double now)
{
	if (n > DNSCACHE_MAX_ADDRS)
		n = DNSCACHE_MAX_ADDRS;
	if (ttl < DNSCACHE_TTL_MIN)
		ttl = DNSCACHE_TTL_MIN;
	if (ttl > DNSCACHE_TTL_MAX)
		ttl = DNSCACHE_TTL_MAX;
	memcpy(e->addrs, addrs, n * sizeof(*addrs));
	e->naddrs = n;
	e->why = NULL;
	e->state = DNS_ENTRY_ANSWERED;
	e->expires = now + (double)ttl;
	e->lookup = NULL;
}

void
dnscache_fail(struct dns_entry *e, const char *why, double now)
{
	e->naddrs = 0;
	e->why = why;
	e->state = DNS_ENTRY_FAILED;
	e->expires = now + DNSCACHE_NEGATIVE_TTL;
	e->lookup = NULL;
}

void
dnscache_clear(struct dnscache *c)
{
	struct dns_entry *e, *next;

	for (e = c->first; e != NULL; e = next) {
		next = e->next;
		if (e->state != DNS_ENTRY_PENDING)
			dnscache_remove(c, e);
	}
}

size_t
dnscache_count(const struct dnscache *c)
{
	return c->n;
}
