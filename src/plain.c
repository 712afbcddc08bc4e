/* plain.c -- pure: which answer a plain (not upgrade) request gets, and whether its connection stays open, apart from any transport */
#include "plain.h"

#include <string.h>

#include "config_types.h"
#include "handshake.h"
#include "route.h"

void
plain_decide(const struct config *cfg, bool draining, const char *path,
    size_t pathlen, struct plain_answer *a)
{
	const struct route *r = route_find(cfg, path, pathlen);

	memset(a, 0, sizeof(*a));
	if (cfg->health_path != NULL && strlen(cfg->health_path) == pathlen &&
	    memcmp(cfg->health_path, path, pathlen) == 0) {
		a->kind = PLAIN_HEALTH;
		a->status = draining ? 503 : 200;
		a->body = draining ? "draining\n" : "ok\n";
	} else if (r != NULL && !(route_any_path(r) && cfg->web_root != NULL)) {
		/* A route for any path (websockify's command line) leaves
		 * plain requests to web_root when there is one (--web). */
		a->kind = PLAIN_WEBSOCKET_ONLY;
		a->status = 426;
		a->why = "this is a WebSocket endpoint; send a WebSocket "
		    "upgrade request";
	} else if (cfg->web_root != NULL) {
		a->kind = PLAIN_WEB_ROOT;
	} else {
		a->kind = PLAIN_NO_ROUTE;
		a->status = 404;
		a->why = "no route for this path";
	}
}

bool
plain_keep_alive(const struct config *cfg, const struct hs_request *req,
    unsigned requests, bool draining)
{
	return cfg->keepalive_timeout > 0 &&
	    requests < cfg->keepalive_requests && !draining &&
	    req->http_minor >= 1 && !req->connection_close &&
	    !req->has_transfer_encoding &&
	    !(req->has_content_length && req->content_length > 0);
}
