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
 * Bind and listen on every address spec resolves to.  Returns NULL with a
 * message in err if any cannot be bound.
 */
struct listener *listener_new(const struct listen_spec *spec, char *err,
    size_t errsize);
/* Closes the sockets: only once no acceptor watches them. */
void listener_free(struct listener *l);

/* The address actually bound (port 0 resolved), for logs and tests. */
const char *listener_describe(const struct listener *l);

/* Called with each accepted connection; it owns fd from then on. */
typedef void (*acceptor_fn)(int fd, const struct sockaddr *sa, int salen,
    unsigned tls, void *arg);

/* acceptor_fn's tls: 0 for a plain listener, else LISTEN_TLS, with
 * LISTEN_H2 when its ALPN offers h2 (not "tls http1_only"). */
#define LISTEN_TLS 1u
#define LISTEN_H2 2u

/*
 * Accept connections from a listener's sockets in an event loop, handing
 * each to fn.  The sockets stay the listener's.
 */
struct acceptor *acceptor_new(struct event_base *base,
    const struct listener *l, acceptor_fn fn, void *arg);
void acceptor_free(struct acceptor *a);

#endif
