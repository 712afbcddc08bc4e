/* h2_plain.c -- plain requests on an HTTP/2 stream: health_path, and web_root files (webroot.c's answer, its head turned into HTTP/2 fields), so a page and its WebSockets share one connection */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "config_types.h"
#include "gateway.h"
#include "h2_priv.h"
#include "h2_stream.h"
#include "handshake.h"
#include "log.h"
#include "plain.h"
#include "webresp.h"
#include "webroot.h"

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

/*
 * web_root's answer (webroot.c decides it; webresp.c gives its fields,
 * names lower-case as RFC 9113 8.2 wants, and nothing
 * connection-specific): a file goes out as the stream's window allows.
 */
static void
h2_plain_web(struct h2_stream *st, const struct hs_request *req)
{
	const struct config *cfg = st->c->cfg;
	const char *cc = cfg->web_cache_control.s != NULL ?
	    cfg->web_cache_control.s : "no-cache";
	nghttp2_nv nv[WEBRESP_FIELDS_MAX + 2];
	struct webresp_fields f;
	struct webroot_answer a;
	char code[8], where[4096 + 2];
	size_t n = 1;

	webroot_answer(cfg->web_root, req, &a);
	if (a.status != 200 && a.status != 304) {
		char body[256];
		size_t blen = webresp_error_body(a.status, a.detail, body,
		    sizeof(body));

		if (a.location != NULL && a.status == 301) {
			/* A directory: the path with "/" (webresp.h). */
			snprintf(where, sizeof(where), "%.*s/",
			    (int)(a.location_len < sizeof(where) - 2 ?
			    a.location_len : sizeof(where) - 2), a.location);
			snprintf(code, sizeof(code), "%d", a.status);
			nv[0] = (nghttp2_nv){ (uint8_t *)":status",
			    (uint8_t *)code, 7, strlen(code),
			    NGHTTP2_NV_FLAG_NONE };
			nv[1] = (nghttp2_nv){ (uint8_t *)"location",
			    (uint8_t *)where, 8, strlen(where),
			    NGHTTP2_NV_FLAG_NONE };
			h2_stream_submit_nv(st, nv, 2, false);
		} else {
			body[blen] = '\0';
			h2_plain_text(st, a.status, body, req->head);
		}
		h2_plain_log(st, a.status, 0, a.why);
		return;
	}
	webresp_fields(&a.web, a.content_type, cc, (int64_t)time(NULL), &f);
	snprintf(code, sizeof(code), "%d", a.web.status);
	nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code, 7,
	    strlen(code), NGHTTP2_NV_FLAG_NONE };
	for (size_t i = 0; i < f.n && n < sizeof(nv) / sizeof(nv[0]); i++)
		nv[n++] = (nghttp2_nv){ (uint8_t *)f.v[i].lname,
		    (uint8_t *)f.v[i].value, strlen(f.v[i].lname),
		    strlen(f.v[i].value), NGHTTP2_NV_FLAG_NONE };
	if (a.fd >= 0 && a.web.body) {
		st->file_fd = a.fd;
		st->file_left = a.web.length;
	} else if (a.fd >= 0) {
		close(a.fd);
	}
	/* (nghttp2 copies the fields.) */
	h2_stream_submit_nv(st, nv, n, st->file_fd >= 0);
	h2_plain_log(st, a.web.status, st->file_fd >= 0 ? st->file_left : 0,
	    a.why);
}

void
h2_stream_plain(struct h2_stream *st, const struct hs_request *req)
{
	struct plain_answer pa;

	/* The same decision as over HTTP/1.1 (plain.h). */
	plain_decide(st->c->cfg, st->c->gw->draining, req->path.p,
	    req->path.n, &pa);
	switch (pa.kind) {
	case PLAIN_HEALTH:
		h2_plain_text(st, pa.status, pa.body, req->head);
		h2_plain_log(st, pa.status, 0, NULL);
		return;
	case PLAIN_WEBSOCKET_ONLY:
		/* Not 426: HTTP/2 has no Upgrade (RFC 9113 8.6). */
		h2_stream_answer(st, 400, "this is a WebSocket endpoint; open "
		    "it with an extended CONNECT (RFC 8441)");
		return;
	case PLAIN_WEB_ROOT:
		h2_plain_web(st, req);
		return;
	case PLAIN_NO_ROUTE:
		h2_stream_answer(st, pa.status, pa.why);
		return;
	}
}
