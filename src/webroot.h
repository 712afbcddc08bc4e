/* webroot.h -- serving static files (the demo page, noVNC) for plain GETs and HEADs: finds the file and its precompressed siblings */
#ifndef WSGATE_WEBROOT_H
#define WSGATE_WEBROOT_H

#include <stddef.h>
#include <sys/stat.h>

#include "webresp.h"

struct hs_request;

/*
 * web_root's answer to a plain request, for any transport to write
 * (webresp_write_head / webresp_write_error for HTTP/1.1).
 */
struct webroot_answer {
	/* 200 or 304: web and content_type say it.  301: a directory,
	 * location (a view into the request) + "/".  403, 404, 500: an
	 * error; detail is for the client, why for the log. */
	int status;
	struct webresp web;
	const char *content_type;	/* the original file's */
	const char *location;
	size_t location_len;
	const char *detail;
	const char *why;
	/* web.body: the representation to send (the caller sends it and
	 * closes it; st is its fstat at open); otherwise -1. */
	int fd;
	struct stat st;
};

/*
 * Answer req (a GET or HEAD whose path is percent-encoded, as requested)
 * from the directory root.  Never fails: an error is an answer too.
 */
void webroot_answer(const char *root, const struct hs_request *req,
    struct webroot_answer *a);

#endif
