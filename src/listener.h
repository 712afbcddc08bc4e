/* listener.h -- listening sockets, and accepting from them in an event loop */
#ifndef WSGATE_LISTENER_H
#define WSGATE_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct listen_spec;
struct sockaddr;
struct listener;
struct acceptor;

/*
 * Bind and listen on every address spec resolves to, copies sockets each
 * for a TCP address (one per worker, in an SO_REUSEPORT group: the kernel
 * spreads the connections over them; the address must be free, not
 * shared with another process).  A unix or fd: listener has one socket
 * whatever copies says.  Returns NULL with a message in err if any
 * cannot be bound.
 */
struct listener *listener_new(const struct listen_spec *spec, size_t copies,
    char *err, size_t errsize);
/* Closes the sockets: only once no acceptor watches them. */
void listener_free(struct listener *l);

/* The address actually bound (port 0 resolved), for logs and tests. */
const char *listener_describe(const struct listener *l);
/* Sockets per address: copies as made, 1 for unix and fd: listeners. */
size_t listener_copies(const struct listener *l);

/*
 * Stopping: complete no new TCP handshake (a filter drops every SYN, so a
 * client's connect(2) waits and retries, and finds the port closed),
 * while the ones already completed wait in the accept queues to be taken
 * (acceptor_take_all) before the sockets close: closing a socket resets
 * the connections still in its queue.  -1 if a socket refused the filter.
 * An fd: listener is left alone (its socket is the parent's too), and
 * acceptor_take_all leaves its queue to the parent.
 */
int listener_refuse_new(struct listener *l);

/* What kind of listener a connection came from (acceptor_fn's lflags). */

/* Called with each accepted connection; it owns fd from then on. */
typedef void (*acceptor_fn)(int fd, const struct sockaddr *sa, int salen,
    unsigned tls, void *arg);

/* acceptor_fn's tls: 0 for a plain listener, else LISTEN_TLS, with
 * LISTEN_H2 when its ALPN offers h2 (not "tls http1_only"). */
#define LISTEN_TLS 1u
#define LISTEN_H2 2u
#define LISTEN_PROXY 4u	/* "listen = ADDR proxy_protocol" */

/*
 * Accept connections from a listener's sockets (its copy-th of each
 * address) in an event loop, handing each to fn.  The sockets stay the
 * listener's.
 */
struct acceptor *acceptor_new(struct event_base *base,
    const struct listener *l, size_t copy, acceptor_fn fn, void *arg);
/* Accept every connection waiting in the sockets' queues now. */
void acceptor_take_all(struct acceptor *a);
void acceptor_free(struct acceptor *a);

#endif
