/* clientlimit.c -- pure: connections (sessions and handshakes in progress) per client address (max_connections_per_client), counted in a fixed table of hashed buckets */
#include "clientlimit.h"

#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "mix64.h"

struct clientlimit {
	uint64_t key;
	atomic_uint count[CLIENTLIMIT_BUCKETS];
};

struct clientlimit *
clientlimit_new(uint64_t key)
{
	struct clientlimit *cl = calloc(1, sizeof(*cl));	/* zeros: 0 */

	if (cl != NULL)
		cl->key = key;
	return cl;
}

void
clientlimit_free(struct clientlimit *cl)
{
	free(cl);
}

int64_t
clientlimit_bucket(const struct clientlimit *cl, const struct sockaddr *sa,
    unsigned prefix6)
{
	struct cidr g;
	uint64_t h = cl->key, w;

	if (cidr_group(sa, 32, prefix6, &g) != 0)
		return -1;
	/* Every byte of the key (struct cidr has no padding). */
	for (size_t i = 0; i < 16; i += 8) {
		memcpy(&w, g.addr + i, 8);
		h = mix64(h ^ w, cl->key);
	}
	h = mix64(h ^ ((uint64_t)g.family << 8 | g.prefix), cl->key);
	return (int64_t)(h % CLIENTLIMIT_BUCKETS);
}

bool
clientlimit_take(struct clientlimit *cl, uint32_t b, unsigned max)
{
	atomic_uint *c = &cl->count[b % CLIENTLIMIT_BUCKETS];

	if (atomic_fetch_add(c, 1) >= max && max != 0) {
		atomic_fetch_sub(c, 1);
		return false;
	}
	return true;
}

void
clientlimit_give(struct clientlimit *cl, uint32_t b)
{
	atomic_fetch_sub(&cl->count[b % CLIENTLIMIT_BUCKETS], 1);
}

unsigned
clientlimit_count(const struct clientlimit *cl, uint32_t b)
{
	return atomic_load(&cl->count[b % CLIENTLIMIT_BUCKETS]);
}
