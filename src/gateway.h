/* gateway.h -- one worker's event loop and sessions, and what all workers share */
#ifndef WSGATE_GATEWAY_H
#define WSGATE_GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "admit.h"
#include "pending.h"

struct event;
struct event_base;
struct resolver;
struct config;
struct acceptor;
struct clientlimit;
struct ratelimit;
struct auth_worker;
struct relay;
struct session;

/* Process-wide state of every worker: atomics (and what is set before
 * the workers start), no locks. */
struct shared {
	atomic_uint nsessions;		/* live sessions, for logs */
	atomic_uint upgraded;		/* 101s sent (run_once) */
	/* Sessions held against max_connections, and its effective value
	 * (0 = none). */
	struct admit_slots slots;
	struct pending_budget pending;	/* connections not yet sessions */
	/* Per-client limits (front.c): sessions per client, counted in
	 * clientlimit.h's buckets; new connections per client, a token
	 * bucket table (ratelimit.h, one owner: under rate_lock), made by
	 * the main thread when a configuration first asks for it. */
	struct clientlimit *clients;
	atomic_uint max_per_client_sessions;	/* 0 = no limit */
	atomic_uint ipv6_prefix;		/* client_ipv6_prefix */
	atomic_bool rate_on;
	pthread_mutex_t rate_lock;
	struct ratelimit *rate;
};

struct gateway_stats {
	uint64_t accepted;		/* TCP connections */
	uint64_t upgraded;		/* 101 sent */
	uint64_t rejected;		/* HTTP error answers */
};

/*
 * One worker: an event loop in its own thread, with its own watch on every
 * listener, its own DNS resolver and its sessions.  Nothing here is
 * touched by another thread while the worker runs, except through its
 * command pipe (see worker.h).
 */
struct gateway {
	struct shared *shared;
	unsigned id;
	struct event_base *base;
	struct resolver *resolver;	/* backend names (resolve.h) */
	struct config *cfg;		/* for new sessions; reload swaps it */
	struct acceptor **acceptors;
	size_t nacceptors;
	struct session *sessions;	/* every live session, for drain */
	unsigned nsessions;		/* live sessions of any state */
	bool draining;			/* stopped accepting */
	struct pending_queue pending;	/* this loop's pending connections */
	time_t pending_warned;		/* last "budget spent" warning */
	struct gateway_stats stats;
	/* This worker's counters (metrics.h), written by it alone. */
	struct metrics_worker *metrics;
	struct event *heartbeat;	/* every second, for /healthz */
	uint64_t session_seq;		/* session ids: seq << 8 | id */
	/* One read buffer for every session of this event loop: a callback
	 * decodes what it read before returning, so nothing stays here. */
	unsigned char *scratch;
	size_t scratch_size;
	/* Relays with work left over from a spent budget, run once per
	 * loop iteration (relay.c); the batch is the one being run. */
	struct relay *runq, *runq_batch;
	struct event *runq_ev;

	pthread_t thread;
	bool started;
	int cmd_fd[2];			/* commands in: read end, write end */
	int cmd_pipe_size;		/* its capacity, bytes */
	struct event *cmd_ev;
	int notify_fd;			/* events out, to the main thread */
	struct auth_worker *auth;	/* Basic auth (auth.h); NULL unused */
};

#endif
