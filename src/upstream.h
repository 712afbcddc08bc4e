/* upstream.h -- connecting a session to its route's backend */
#ifndef WSGATE_UPSTREAM_H
#define WSGATE_UPSTREAM_H

struct session;

/*
 * Start a non-blocking connect: the route's backend name is looked up
 * (resolve.h), then its addresses are tried in turn.  The outcome arrives
 * as session_backend_connected/failed, possibly before this returns 0;
 * -1: nothing started.
 */
int upstream_connect(struct session *s);
/* The session no longer wants its backend: drop the lookup or attempt
 * state (the session frees s->backend itself). */
void upstream_abort(struct session *s);

#endif
