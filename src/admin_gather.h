/* admin_gather.h -- a metrics listener request that every worker answers for its own sessions (GET /sessions, POST /sessions/ID/close) */
#ifndef WSGATE_ADMIN_GATHER_H
#define WSGATE_ADMIN_GATHER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "admin_req.h"
#include "sessions_json.h"

/* One worker's answer, written by that worker only. */
struct admin_part {
	struct session_info *v;		/* GET: at most req.limit, malloc'd */
	size_t n;
	bool more;			/* GET: it had more than req.limit */
	bool found;			/* close: the id is one of its sessions */
	bool closed;			/* close: it was open; now closing */
};

/*
 * Made by admin.c (the main thread) and sent to every worker (worker.h:
 * WORKER_ADMIN).  A worker fills parts[its id] and then decrements
 * pending (the release that publishes its part); the main thread reads
 * the parts once it sees pending at 0, and frees the gather only then,
 * whatever became of the connection that asked.
 */
struct admin_gather {
	struct admin_req req;
	atomic_uint pending;		/* workers yet to answer */
	unsigned nparts;
	struct admin_part parts[];
};

#endif
