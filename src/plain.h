/* plain.h -- pure: which answer a plain (not upgrade) request gets, and whether its connection stays open, apart from any transport */
#ifndef WSGATE_PLAIN_H
#define WSGATE_PLAIN_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct hs_request;

enum plain_kind {
	PLAIN_HEALTH,		/* health_path: 200 "ok", 503 "draining" */
	PLAIN_WEBSOCKET_ONLY,	/* a route's path: 426 */
	PLAIN_WEB_ROOT,		/* a file under web_root (webroot.h) */
	PLAIN_NO_ROUTE,		/* 404 */
};

/* The answer, for HTTP/1.1 (front.c) and any other transport. */
struct plain_answer {
	enum plain_kind kind;
	int status;		/* 0 for PLAIN_WEB_ROOT: webroot_answer says */
	const char *body;	/* PLAIN_HEALTH: the text body */
	const char *why;	/* 426, 404: for the client and the log */
};

/* The answer to a plain GET or HEAD of path (as requested) under cfg;
 * draining: the gateway is shutting down. */
void plain_decide(const struct config *cfg, bool draining, const char *path,
    size_t pathlen, struct plain_answer *a);

/*
 * Whether an HTTP/1.1 connection stays open after answering req, its
 * requests-th plain request (RFC 9112 9.3): keepalive_timeout is not 0,
 * keepalive_requests is not reached, not draining; and the request is
 * HTTP/1.1 without "Connection: close" and without a body (which is never
 * read, so what follows could not be told from a request).  HTTP/1.0
 * always closes, whatever it asks.
 */
bool plain_keep_alive(const struct config *cfg, const struct hs_request *req,
    unsigned requests, bool draining);

#endif
