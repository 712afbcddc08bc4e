/* pending.c -- connections that are not WebSocket sessions: budgets for the gateway and per client address, and who gives way first */
#include "pending.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mix64.h"

int
pending_budget_init(struct pending_budget *b, uint64_t key,
    unsigned nqueues)
{
	atomic_init(&b->max, 0);
	atomic_init(&b->max_per_client, 0);
	b->nqueues = nqueues > 0 ? nqueues : 1;
	b->key = key;
	b->per_client = calloc(PENDING_BUCKETS, sizeof(*b->per_client));
	if (b->per_client == NULL)
		return -1;
	for (unsigned i = 0; i < PENDING_BUCKETS; i++)
		atomic_init(&b->per_client[i], 0);
	return 0;
}

void
pending_budget_fini(struct pending_budget *b)
{
	free(b->per_client);
	b->per_client = NULL;
}

unsigned
pending_share(const struct pending_budget *b, unsigned index)
{
	unsigned max = atomic_load(&b->max);
	unsigned share = max / b->nqueues + (index < max % b->nqueues);

	return max == 0 ? 0 : share > 0 ? share : 1;
}

uint32_t
pending_bucket(const struct pending_budget *b, const struct sockaddr *sa)
{
	uint64_t x = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		x = ntohl(in->sin_addr.s_addr);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			/* The IPv4 client it is. */
			for (int i = 12; i < 16; i++)
				x = x << 8 | a[i];
		} else {
			for (int i = 0; i < 8; i++)
				x = x << 8 | a[i];
			x = mix64(x, 1);	/* apart from every IPv4 value */
		}
	}
	return (uint32_t)(mix64(mix64(x, b->key), b->key) % PENDING_BUCKETS);
}

static void
queue_append(struct pending_queue *q, struct pending_link *l)
{
	l->next = NULL;
	l->prev = q->tail[l->stage];
	if (l->prev != NULL)
		l->prev->next = l;
	else
		q->head[l->stage] = l;
	q->tail[l->stage] = l;
}

static void
queue_remove(struct pending_queue *q, struct pending_link *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		q->head[l->stage] = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	else
		q->tail[l->stage] = l->prev;
	l->prev = l->next = NULL;
}

struct pending_link *
pending_first(const struct pending_queue *q)
{
	for (int st = 0; st < PENDING_NSTAGES; st++)
		if (q->head[st] != NULL)
			return q->head[st];
	return NULL;
}

int
pending_admit(struct pending_budget *b, struct pending_queue *q,
    struct pending_link *l, const struct sockaddr *sa,
    struct pending_link **evict)
{
	unsigned max = pending_share(b, q->index);
	unsigned per = atomic_load(&b->max_per_client);
	bool spent = max != 0 && q->n >= max;
	atomic_uint *mine;

	*evict = NULL;
	l->stage = PENDING_NONE;
	l->bucket = pending_bucket(b, sa);
	mine = &b->per_client[l->bucket];
	/*
	 * An address's count only matters once the share is spent: then
	 * one holding its share of connections gets no more, rather than
	 * push other clients' out.  Until then a proxy or a NAT in front,
	 * all of whose clients share one address, is not held back.  (The
	 * count is taken before it is checked, so that workers racing for
	 * an address's last slot cannot both win it.)
	 */
	if (atomic_fetch_add(mine, 1) >= per && per != 0 && spent) {
		atomic_fetch_sub(mine, 1);
		return -1;
	}
	/* A share is at least 1, so a spent one has a connection to close
	 * (after a reload that lowered it, one per new connection until
	 * the queue is back within it). */
	if (spent)
		*evict = pending_first(q);
	q->n++;
	l->stage = PENDING_SILENT;
	queue_append(q, l);
	return 0;
}

void
pending_advance(struct pending_queue *q, struct pending_link *l,
    enum pending_stage stage)
{
	if (l->stage >= stage)
		return;		/* there already, or holds no slot */
	queue_remove(q, l);
	l->stage = (uint8_t)stage;
	queue_append(q, l);
}

void
pending_release(struct pending_budget *b, struct pending_queue *q,
    struct pending_link *l)
{
	if (l->stage == PENDING_NONE)
		return;
	queue_remove(q, l);
	q->n--;
	l->stage = PENDING_NONE;
	atomic_fetch_sub(&b->per_client[l->bucket], 1);
}

void
pending_idle(struct pending_queue *q, struct pending_link *l)
{
	if (l->stage == PENDING_NONE)
		return;
	queue_remove(q, l);
	l->stage = PENDING_IDLE;
	queue_append(q, l);
}
