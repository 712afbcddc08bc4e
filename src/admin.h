/* admin.h -- the metrics listener (metrics_listen): /metrics, /healthz, /readyz, /sessions, POST /sessions/ID/close, on the main thread's loop */
#ifndef WSGATE_ADMIN_H
#define WSGATE_ADMIN_H

#include <stdbool.h>

struct admin;
struct admin_gather;
struct config;
struct event_base;
struct metrics;
struct route_counts;

/*
 * How the listener reaches the workers (main.c): send g to every worker,
 * returning how many could not be sent to (admin.c counts those as
 * answered).  The workers' answers come back through admin_gathered().
 */
typedef unsigned (*admin_send_fn)(void *arg, struct admin_gather *g);

/*
 * The listener runs in the main thread's event loop, apart from the
 * WebSocket listeners: its own sockets, its own small connection limit
 * (ADMIN_CONNS_MAX), a request size limit and a deadline per connection,
 * one request per connection.  m and counts are the process's; NULL
 * without memory.
 */
struct admin *admin_new(struct event_base *base, struct metrics *m,
    struct route_counts *counts, unsigned nworkers, admin_send_fn send,
    void *arg);
/* After the workers are stopped and joined. */
void admin_free(struct admin *a);

/*
 * (Re)bind to cfg's metrics_listen: addresses kept are kept open (their
 * connections too), gone ones closed, new ones bound.  cfg's
 * metrics_allow applies to connections accepted from now on.  -1 when
 * an address could not be bound (logged; the others are in use).
 */
int admin_configure(struct admin *a, struct config *cfg);

/* /readyz: ready once the listeners are up and the configuration is
 * loaded; never again once draining. */
void admin_set_ready(struct admin *a, bool ready);
void admin_set_draining(struct admin *a);

/* A worker answered a gather (its WORKER_ACK_ADMIN on the notify pipe). */
void admin_gathered(struct admin *a);

#endif
