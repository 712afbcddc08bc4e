/* webroot.h -- serving static files (the demo page, noVNC) for plain GETs */
#ifndef WSGATE_WEBROOT_H
#define WSGATE_WEBROOT_H

#include <stddef.h>

struct evbuffer;
struct stat;

/*
 * Answer GET path (percent-encoded, as requested) from the directory root:
 * write the response into out and return the status sent; *why explains a
 * non-200 answer for the log.  For a 200 with a body only the head is
 * written: *body is then the open file (st its fstat at open), for the
 * caller to send and close; otherwise *body is -1.
 */
int webroot_respond(const char *root, const char *path, size_t pathlen,
    struct evbuffer *out, int *body, struct stat *st, const char **why);

#endif
