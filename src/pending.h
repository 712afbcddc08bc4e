/* pending.h -- connections that are not WebSocket sessions: budgets for the gateway and per client address, and who gives way first */
#ifndef WSGATE_PENDING_H
#define WSGATE_PENDING_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A connection is pending from accept until it becomes a WebSocket
 * session (it then holds a max_connections slot instead) or closes:
 * waiting for its TLS handshake or its request, or answered with an HTTP
 * response it has not finished with.  Each holds a descriptor (and, in a
 * TLS handshake, some 40 KiB of OpenSSL state) that an idle client can
 * keep for handshake_timeout, so pending connections have their own
 * budget, apart from the sessions' descriptors.
 *
 * The stages, in the order in which they give way when the budget is
 * full (oldest first within each).
 */
enum pending_stage {
	PENDING_IDLE,		/* kept alive, answered, waiting for its next
				 * request: it has had its answers */
	PENDING_SILENT,		/* no request byte yet (TLS handshake too) */
	PENDING_PARTIAL,	/* part of a request */
	PENDING_ANSWERED,	/* answered; the answer is going out */
	PENDING_NSTAGES,
	PENDING_NONE = PENDING_NSTAGES	/* holds no slot */
};

/* Per-address counts are kept in this many buckets, chosen by a keyed
 * hash: two addresses that share a bucket share its limit. */
#define PENDING_BUCKETS 16384u

/*
 * Process-wide (in struct shared): atomics, no locks.  The gateway's
 * budget is shared out evenly among the workers (their queues), each of
 * which makes room from its own connections: connections are dealt to
 * the workers in turn, so each holds its share of a flood.  (One shared
 * count would let a worker whose connections all came early hold every
 * slot, and another, with nothing of its own to close, refuse all.)
 */
struct pending_budget {
	atomic_uint max;		/* 0 = no limit */
	atomic_uint max_per_client;	/* 0 = no limit */
	unsigned nqueues;		/* workers; set before they start */
	uint64_t key;			/* bucket hash key, random */
	atomic_uint *per_client;	/* PENDING_BUCKETS counts */
};

/* One pending connection (in its session). */
struct pending_link {
	struct pending_link *prev, *next;
	uint32_t bucket;
	uint8_t stage;			/* enum pending_stage */
};

/* One worker's pending connections, a queue per stage, oldest first. */
struct pending_queue {
	struct pending_link *head[PENDING_NSTAGES];
	struct pending_link *tail[PENDING_NSTAGES];
	unsigned n;			/* connections in the queues */
	unsigned index;			/* this worker's, 0 .. nqueues - 1 */
};

/* 0, or -1 without memory.  key: random (the hash is then unknown to
 * clients, which cannot pick addresses that share a victim's bucket). */
int pending_budget_init(struct pending_budget *b, uint64_t key,
    unsigned nqueues);
void pending_budget_fini(struct pending_budget *b);

/* Queue index's share of the budget (at least 1); 0 = no limit. */
unsigned pending_share(const struct pending_budget *b, unsigned index);

/* The bucket of a client address: an IPv4 address, or an IPv6 address's
 * /64 (one host commonly holds a whole /64). */
uint32_t pending_bucket(const struct pending_budget *b,
    const struct sockaddr *sa);

/*
 * Admit a new connection from sa as l (PENDING_SILENT), and return 0.
 * When q's share of the budget is spent, *evict is set to the connection
 * that gives way (the caller closes it at once, which releases its slot;
 * NULL otherwise), unless sa's address already holds max_per_client
 * connections: then -1, and l holds nothing.
 */
int pending_admit(struct pending_budget *b, struct pending_queue *q,
    struct pending_link *l, const struct sockaddr *sa,
    struct pending_link **evict);

/* Move l on to a later stage (to the back of its queue); nothing if it
 * is already there or further, or holds no slot. */
void pending_advance(struct pending_queue *q, struct pending_link *l,
    enum pending_stage stage);

/*
 * l is a kept-alive connection, answered and waiting for its next
 * request: back to PENDING_IDLE (at its back), so that it gives way
 * before every connection that has not had its answer.  Nothing if it
 * holds no slot.
 */
void pending_idle(struct pending_queue *q, struct pending_link *l);

/* Give l's slot back; nothing if it holds none. */
void pending_release(struct pending_budget *b, struct pending_queue *q,
    struct pending_link *l);

/* The connection that gives way first, or NULL. */
struct pending_link *pending_first(const struct pending_queue *q);

#endif
