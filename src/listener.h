/* listener.h -- listening sockets that hand accepted connections to sessions */
#ifndef WSGATE_LISTENER_H
#define WSGATE_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

struct gateway;
struct listen_spec;
struct listener;

/*
 * Bind every address spec resolves to.  Returns NULL with a message in err
 * if any cannot be bound.
 */
struct listener *listener_new(struct gateway *gw,
    const struct listen_spec *spec, char *err, size_t errsize);
void listener_free(struct listener *l);

/* Whether it was "listen = ADDR tls". */
bool listener_is_tls(const struct listener *l);

/* The address actually bound (port 0 resolved), for logs and tests. */
const char *listener_describe(const struct listener *l);

#endif
