/* route.h -- pure route selection and Origin allowlist matching */
#ifndef WSGATE_ROUTE_H
#define WSGATE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_types.h"

#define ORIGIN_MAX 300

/* The route whose path equals path[0..len) exactly, else the route
 * whose path is "*" (any path), or NULL. */
struct route *route_find(const struct config *cfg, const char *path,
    size_t len);

/* Whether the route's path is "*": it takes any path. */
bool route_any_path(const struct route *r);

/* Room for route_host_name's out: a name of SNI_NAME_MAX bytes, a dot. */
#define ROUTE_HOST_MAX 256

/*
 * The name a Host header value stands for, as routes compare it: without
 * its port, in lower case, without a final dot ("VM1.Example.:8443" is
 * "vm1.example"; "[::1]:80" is "[::1]").  Its length, or 0 when nothing
 * is left or it does not fit out (outsize: ROUTE_HOST_MAX).
 */
size_t route_host_name(const char *host, size_t len, char *out,
    size_t outsize);

/*
 * The route for path[0..len) and host (route_host_name's; NULL: no
 * Host): among the routes of that path, one listing the name itself,
 * else one listing a wildcard that matches it (sni_match), else the one
 * without hosts; NULL when none.  *host_routed: some route of that path
 * lists hosts (so the Host chose).
 */
struct route *route_find_host(const struct config *cfg, const char *path,
    size_t len, const char *host, bool *host_routed);

/*
 * Normalise an origin (RFC 6454 serialisation) into out: scheme and host
 * lower-cased, default ports (80 for http/ws, 443 for https/wss) dropped.
 * "null" stays "null".  Returns 0, or -1 with *why if it is not an origin.
 */
int origin_normalize(const char *in, size_t len, char *out, size_t outsize,
    const char **why);

/* Whether a request Origin header value may use the route. */
bool route_origin_allowed(const struct route *r, const char *origin,
    size_t len);

#endif
