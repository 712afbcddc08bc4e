/* worker.h -- the worker threads: start, command, stop */
#ifndef WSGATE_WORKER_H
#define WSGATE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct admin_gather;
struct gateway;
struct config;
struct metrics_worker;
struct listener;
struct shared;

/* What the main thread asks of a worker (through its command pipe). */
enum worker_cmd {
	WORKER_RELOAD,		/* use this configuration for new sessions */
	WORKER_DRAIN,		/* stop accepting; exit when sessions end */
	WORKER_CLOSE_ALL,	/* close every open session with 1001 */
	WORKER_STOP,		/* exit now, dropping every session */
	WORKER_CONNECTION,	/* a connection the main thread accepted */
	WORKER_ADMIN,		/* answer a gather (admin_gather.h) */
};

/* What a worker tells the main thread (one byte on its notify pipe). */
#define WORKER_ACK_RELOAD 'r'
#define WORKER_ACK_DRAIN 'd'
#define WORKER_EXITED 'x'
#define WORKER_ACK_ADMIN 'a'	/* its part of a gather is written */

/*
 * Make worker id with a reference to cfg, accepting on the given listeners
 * itself: from the id-th copy of a listener with one socket per worker,
 * else from its only one (none: the main thread hands it connections).
 * Returns NULL with a message in err.
 */
struct gateway *worker_new(unsigned id, struct shared *shared,
    struct config *cfg, struct listener **listeners, size_t nlisteners,
    int notify_fd, char *err, size_t errsize);
int worker_start(struct gateway *gw);
/* Takes a reference to cfg for WORKER_RELOAD (NULL otherwise). */
void worker_send(struct gateway *gw, enum worker_cmd cmd,
    struct config *cfg);
/* Ask the worker for its part of g; -1 if it could not be sent. */
int worker_send_admin(struct gateway *gw, struct admin_gather *g);
/* The worker's counters (metrics.h): set before worker_start. */
void worker_set_metrics(struct gateway *gw, struct metrics_worker *mw);
/* Give an accepted connection to the worker, which then owns fd, if its
 * queue has room; never waits.  -1 (fd still the caller's) when full. */
int worker_hand_off(struct gateway *gw, int fd, const struct sockaddr *sa,
    int salen, unsigned tls);
/* After the thread has exited (WORKER_EXITED): join and free. */
void worker_free(struct gateway *gw);

/* "workers = auto": the CPUs this process may run on. */
unsigned worker_auto_count(void);

#endif
