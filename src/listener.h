/* listener.h -- listening sockets, and each worker's watch on them */
#ifndef WSGATE_LISTENER_H
#define WSGATE_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

struct gateway;
struct listen_spec;
struct listener;
struct acceptor;

/*
 * Bind and listen on every address spec resolves to.  The sockets are
 * shared: every worker accepts from them (see acceptor_new).  Returns NULL
 * with a message in err if any cannot be bound.
 */
struct listener *listener_new(const struct listen_spec *spec, char *err,
    size_t errsize);
/* Closes the sockets: only once no acceptor watches them. */
void listener_free(struct listener *l);

/* Whether it was "listen = ADDR tls". */
bool listener_is_tls(const struct listener *l);

/* The address actually bound (port 0 resolved), for logs and tests. */
const char *listener_describe(const struct listener *l);

/*
 * One worker's watch on a listener's sockets: the worker whose loop wakes
 * first accepts, so a busy worker leaves new connections to an idle one.
 */
struct acceptor *acceptor_new(struct gateway *gw, const struct listener *l);
void acceptor_free(struct acceptor *a);

#endif
