/* relay.h -- the data path: client frames to backend bytes and back */
#ifndef WSGATE_RELAY_H
#define WSGATE_RELAY_H

struct session;

/* Install the relay callbacks on an upgraded session and process any
 * bytes the client sent right after its request. */
void relay_start(struct session *s);

#endif
