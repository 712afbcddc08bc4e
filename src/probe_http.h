/* probe_http.h -- pure parts of wsgate --probe: the URL, the request, the status line */
#ifndef WSGATE_PROBE_HTTP_H
#define WSGATE_PROBE_HTTP_H

#include <stddef.h>

#include "codec.h"

/* The longest status line read: the rest of the answer is not needed. */
#define PROBE_STATUS_MAX 512

struct probe_url {
	char host[256];		/* for getaddrinfo(): IPv6 without brackets */
	char port[8];		/* "80" when the URL has none */
	char authority[272];	/* host[:port] as written: the Host header */
	char path[1024];	/* from the first '/', query included */
};

/*
 * "http://host[:port][/path][?query]" (a fragment is dropped).  Only
 * plain http: the probe is for a gateway's own health and metrics
 * listeners on this machine.  Returns 0, or -1 with *why.
 */
int probe_http_url(const char *url, struct probe_url *u, const char **why);

/* The GET request for u into buf; returns its length, or -1 if it does
 * not fit. */
int probe_http_request(const struct probe_url *u, char *buf, size_t size);

/*
 * The status line at the start of an answer: "HTTP/1.x NNN reason" up to
 * CRLF (or LF).  Returns the bytes through the line end with *status set
 * and the reason at buf[*reason_off], *reason_len bytes; CODEC_NEED_MORE;
 * or CODEC_ERROR with *why (not HTTP/1.x, no three-digit status, or no
 * line end within PROBE_STATUS_MAX bytes).
 */
int probe_http_status(const char *buf, size_t len, int *status,
    size_t *reason_off, size_t *reason_len, const char **why);

#endif
