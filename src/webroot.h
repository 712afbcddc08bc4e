/* webroot.h -- serving static files (the demo page, noVNC) for plain GETs */
#ifndef WSGATE_WEBROOT_H
#define WSGATE_WEBROOT_H

#include <stddef.h>

struct evbuffer;

/*
 * Write a whole response for GET path (percent-encoded, as requested) from
 * the directory root into out.  Returns the status sent; *why explains a
 * non-200 answer for the log.
 */
int webroot_respond(const char *root, const char *path, size_t pathlen,
    struct evbuffer *out, const char **why);

#endif
