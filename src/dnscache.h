/* dnscache.h -- name lookup answers kept for their TTL: one entry per name, bounded, LRU eviction */
#ifndef WSGATE_DNSCACHE_H
#define WSGATE_DNSCACHE_H

#include <stddef.h>

#include "hosts.h"

#define DNSCACHE_MAX_ADDRS 16		/* kept per name, in answer order */
#define DNSCACHE_TTL_MIN 1		/* seconds: a TTL of 0 still saves
					 * a burst of lookups */
#define DNSCACHE_TTL_MAX 300		/* seconds: an address change is
					 * seen within 5 minutes */
#define DNSCACHE_NEGATIVE_TTL 5		/* seconds a failure is kept */

enum dns_entry_state {
	DNS_ENTRY_PENDING,	/* a lookup is in flight: never evicted */
	DNS_ENTRY_ANSWERED,	/* addrs valid until expires */
	DNS_ENTRY_FAILED,	/* why valid until expires */
};

struct dns_entry {
	enum dns_entry_state state;
	struct hosts_addr addrs[DNSCACHE_MAX_ADDRS];
	size_t naddrs;
	double expires;			/* the caller's clock, seconds */
	const char *why;		/* FAILED: static text */
	void *lookup;			/* PENDING: the caller's lookup */

	/* The cache's own. */
	struct dns_entry *hnext;	/* hash chain */
	struct dns_entry *prev, *next;	/* use order, most recent first */
	char name[];
};

struct dnscache;

/* A cache of at most max entries (at least 1); NULL without memory. */
struct dnscache *dnscache_new(size_t max);
/* Frees every entry, pending ones too. */
void dnscache_free(struct dnscache *c);

/*
 * The entry for name (compared without case): pending, or settled and not
 * expired at now, and then marked as the most recently used.  NULL if
 * there is none; an expired entry is dropped.
 */
struct dns_entry *dnscache_get(struct dnscache *c, const char *name,
    double now);
/*
 * A new pending entry for name, which dnscache_get has just not found.
 * When the cache is full the least recently used settled entry goes;
 * NULL when every entry is pending, the name is over 255 bytes, or
 * without memory.
 */
struct dns_entry *dnscache_add(struct dnscache *c, const char *name);
/* Settle a pending entry: answered with n (> 0) addresses for ttl
 * seconds (clamped to DNSCACHE_TTL_MIN..MAX), or failed for
 * DNSCACHE_NEGATIVE_TTL seconds. */
void dnscache_answer(struct dns_entry *e, const struct hosts_addr *addrs,
    size_t n, unsigned long ttl, double now);
void dnscache_fail(struct dns_entry *e, const char *why, double now);
/* Drop every settled entry (pending ones stay). */
void dnscache_clear(struct dnscache *c);
size_t dnscache_count(const struct dnscache *c);

#endif
