/* sockaddr.h -- printing socket addresses as host:port / [v6]:port */
#ifndef WSGATE_SOCKADDR_H
#define WSGATE_SOCKADDR_H

#include <stddef.h>
#include <sys/socket.h>

#define SOCKADDR_STRLEN 64	/* "[" INET6_ADDRSTRLEN "]:65535" */

/* "host:port", "[v6]:port", or "unix" for any unix socket address. */
const char *sockaddr_format(const struct sockaddr *sa, char *out,
    size_t outsize);

#endif
