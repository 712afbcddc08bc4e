/* relay.h -- the data path: client frames to backend bytes and back */
#ifndef WSGATE_RELAY_H
#define WSGATE_RELAY_H

#include <stdbool.h>

struct session;

/* Size of the per-loop read buffer (struct gateway's scratch). */
#define RELAY_SCRATCH_SIZE (128u << 10)

/* Install the relay callbacks on an upgraded session and process any
 * bytes the client sent right after its request. */
void relay_start(struct session *s);

/* The session leaves the relay for one side (closing): stop reading or
 * writing it here, so the session's own bufferevent callbacks take over
 * (queued output is then written by the bufferevent). */
void relay_stop_reading(struct session *s, bool client);

/* Read a plain side with the relay's event again (or still), for the
 * session to drain it (session_drain_read).  0, or -1 without memory. */
int relay_read_watch(struct session *s, bool client);
void relay_stop_writing(struct session *s, bool client);

/* Look for hang-ups on sides paused for backpressure (from the session's
 * timer).  Returns true if the session ended. */
bool relay_check_paused(struct session *s);

/*
 * A gateway shutdown (session_close_all): read the client no more, write
 * what it sent to the backend (then session_backend_delivered), and go on
 * relaying what the backend sends.  relay_shutdown_end: the close frame
 * is queued; read the client again for its answer.
 */
void relay_shutdown(struct session *s);
void relay_shutdown_end(struct session *s);

/* Free the relay's events at once, with no I/O (the session is going). */
void relay_free(struct session *s);

#endif
