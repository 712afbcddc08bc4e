/* h2_plain.c -- plain requests on an HTTP/2 stream: health_path, and web_root files (webroot.c's answer, its head turned into HTTP/2 fields), so a page and its WebSockets share one connection */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "config_types.h"
#include "gateway.h"
#include "h2_priv.h"
#include "h2_stream.h"
#include "handshake.h"
#include "log.h"
#include "route.h"
#include "webroot.h"

/* Fields of a web_root answer's head, at most. */
#define H2_PLAIN_FIELDS 16

static bool
h2_plain_is(struct hs_str s, const char *want)
{
	return s.p != NULL && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void
h2_plain_log(struct h2_stream *st, int status, uint64_t bytes,
    const char *why)
{
	enum log_level level = status >= 500 ? LL_WARN : status >= 400 ?
	    LL_INFO : LL_DEBUG;
	struct h2_conn *c = st->c;

	if (status >= 400)
		c->gw->stats.rejected++;
	log_msg(level, "web client=%s status=%d path=\"%s\" bytes=%llu%s%s%s "
	    "proto=h2 stream=%d", c->peer, status, st->path,
	    (unsigned long long)bytes, why != NULL ? " reason=\"" : "",
	    why != NULL ? why : "", why != NULL ? "\"" : "", (int)st->id);
}

/* A short text answer. */
static void
h2_plain_text(struct h2_stream *st, int status, const char *text,
    bool head)
{
	char code[8], len[24];
	nghttp2_nv nv[4];
	size_t n = strlen(text);

	snprintf(code, sizeof(code), "%d", status);
	snprintf(len, sizeof(len), "%zu", n);
	nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code, 7,
	    strlen(code), NGHTTP2_NV_FLAG_NONE };
	nv[1] = (nghttp2_nv){ (uint8_t *)"content-type",
	    (uint8_t *)"text/plain", 12, 10, NGHTTP2_NV_FLAG_NONE };
	nv[2] = (nghttp2_nv){ (uint8_t *)"content-length", (uint8_t *)len, 14,
	    strlen(len), NGHTTP2_NV_FLAG_NONE };
	nv[3] = (nghttp2_nv){ (uint8_t *)"cache-control",
	    (uint8_t *)"no-store", 13, 8, NGHTTP2_NV_FLAG_NONE };
	if (!head && (st->body = evbuffer_new()) != NULL)
		evbuffer_add(st->body, text, n);
	h2_stream_submit_nv(st, nv, 4, st->body != NULL);
}

/* RFC 9113 8.2.2: connection-specific fields are not sent. */
static bool
h2_plain_hop(const char *name, size_t n)
{
	static const char *const hop[] = { "connection", "keep-alive",
	    "transfer-encoding", "upgrade", "proxy-connection" };

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (n == strlen(hop[i]) && strncasecmp(name, hop[i], n) == 0)
			return true;
	return false;
}

/*
 * webroot.c's answer (an HTTP/1.1 head, then a short body or the open
 * file) as HTTP/2 fields: names lower-cased (RFC 9113 8.2), hop-by-hop
 * ones dropped.  Returns the status, or -1 if the head cannot be read
 * (then nothing is sent).
 */
static int
h2_plain_head(struct h2_stream *st, struct evbuffer *out, bool has_body)
{
	size_t len = evbuffer_get_length(out);
	char *head = malloc(len + 1);
	char *line, *end, *next, *colon;
	nghttp2_nv nv[H2_PLAIN_FIELDS + 1];
	size_t n = 1, hlen;
	int status;

	if (head == NULL)
		return -1;
	evbuffer_copyout(out, head, len);
	head[len] = '\0';
	end = strstr(head, "\r\n\r\n");
	if (end == NULL || sscanf(head, "HTTP/1.1 %3d", &status) != 1) {
		free(head);
		return -1;
	}
	hlen = (size_t)(end - head) + 4;
	*end = '\0';
	line = strstr(head, "\r\n");
	while (line != NULL && n <= H2_PLAIN_FIELDS) {
		line += 2;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		colon = strchr(line, ':');
		if (colon != NULL && !h2_plain_hop(line, (size_t)(colon - line))) {
			for (char *p = line; p < colon; p++)
				*p = (char)tolower((unsigned char)*p);
			*colon++ = '\0';
			while (*colon == ' ')
				colon++;
			nv[n++] = (nghttp2_nv){ (uint8_t *)line,
			    (uint8_t *)colon, strlen(line), strlen(colon),
			    NGHTTP2_NV_FLAG_NONE };
		}
		line = next;
	}
	{
		char code[8];

		snprintf(code, sizeof(code), "%d", status);
		nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code,
		    7, strlen(code), NGHTTP2_NV_FLAG_NONE };
		evbuffer_drain(out, hlen);
		/* nghttp2 copies the fields. */
		h2_stream_submit_nv(st, nv, n, has_body);
	}
	free(head);
	return status;
}

void
h2_stream_plain(struct h2_stream *st, const struct hs_request *req)
{
	const struct config *cfg = st->c->cfg;
	bool head = h2_plain_is(req->method, "HEAD");
	struct evbuffer *out;
	const char *why = NULL;
	struct stat sb;
	int status, fd = -1;

	if (cfg->health_path != NULL &&
	    strlen(cfg->health_path) == req->path.n &&
	    memcmp(cfg->health_path, req->path.p, req->path.n) == 0) {
		status = st->c->gw->draining ? 503 : 200;
		h2_plain_text(st, status, status == 200 ? "ok\n" :
		    "draining\n", head);
		h2_plain_log(st, status, 0, NULL);
		return;
	}
	if (route_find(cfg, req->path.p, req->path.n) != NULL) {
		h2_stream_answer(st, 400, "this is a WebSocket endpoint; open "
		    "it with an extended CONNECT (RFC 8441)");
		return;
	}
	if (cfg->web_root == NULL) {
		h2_stream_answer(st, 404, "no route for this path");
		return;
	}
	if ((out = evbuffer_new()) == NULL) {
		h2_stream_answer(st, 500, "out of memory");
		return;
	}
	status = webroot_respond(cfg->web_root, req->path.p, req->path.n, out,
	    &fd, &sb, &why);
	if (fd >= 0 && !head) {
		st->file_fd = fd;
		st->file_left = (uint64_t)sb.st_size;
	} else if (fd >= 0) {
		close(fd);
	}
	if (fd < 0 && !head && (st->body = evbuffer_new()) != NULL) {
		/* The short body of an error or a redirect, after the head. */
		if (h2_plain_head(st, out, true) < 0)
			h2_stream_answer(st, 500, "bad web_root answer");
		else
			evbuffer_add_buffer(st->body, out);
	} else if (h2_plain_head(st, out, st->file_fd >= 0) < 0) {
		h2_stream_answer(st, 500, "bad web_root answer");
	}
	h2_plain_log(st, status, st->file_fd >= 0 ? st->file_left : 0, why);
	evbuffer_free(out);
}
