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
