/* upstream.h -- connecting a session to its route's backend */
#ifndef WSGATE_UPSTREAM_H
#define WSGATE_UPSTREAM_H

struct session;

/* Start a non-blocking connect (resolving names through evdns); the
 * outcome arrives as session_backend_connected/failed.  0 or -1. */
int upstream_connect(struct session *s);

#endif
