/* test_plain.c -- plain requests: health, a route's path (426), web_root or 404, and when the connection stays open */
#include <string.h>

#include "config.h"
#include "config_types.h"
#include "handshake.h"
#include "plain.h"
#include "testlib.h"

static struct config *
load(const char *gateway)
{
	struct config_errors errs = { 0 };
	char text[1024];
	struct config *cfg;

	snprintf(text, sizeof(text), "[gateway]\nlisten = 127.0.0.1:0\n%s\n"
	    "[route:a]\npath = /ws\nbackend = 127.0.0.1:1\norigins = *\n",
	    gateway);
	cfg = config_load_string("plain.ini", text, &errs);
	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	config_errors_free(&errs);
	return cfg;
}

static void
decide(const struct config *cfg, bool draining, const char *path,
    struct plain_answer *a)
{
	plain_decide(cfg, draining, path, strlen(path), a);
}

static void
test_decide(void)
{
	struct config *cfg = load("health_path = /healthz\nweb_root = .");
	struct config *bare = load("");
	struct plain_answer a;

	if (cfg == NULL || bare == NULL)
		return;
	decide(cfg, false, "/healthz", &a);
	CHECK_INT(a.kind, PLAIN_HEALTH);
	CHECK_INT(a.status, 200);
	CHECK_STR(a.body, "ok\n");
	decide(cfg, true, "/healthz", &a);
	CHECK_INT(a.status, 503);
	CHECK_STR(a.body, "draining\n");
	/* Exactly the path: a prefix or more is not it. */
	decide(cfg, false, "/health", &a);
	CHECK_INT(a.kind, PLAIN_WEB_ROOT);
	decide(cfg, false, "/healthz/", &a);
	CHECK_INT(a.kind, PLAIN_WEB_ROOT);
	decide(cfg, false, "/ws", &a);
	CHECK_INT(a.kind, PLAIN_WEBSOCKET_ONLY);
	CHECK_INT(a.status, 426);
	CHECK(a.why != NULL);
	decide(cfg, false, "/", &a);
	CHECK_INT(a.kind, PLAIN_WEB_ROOT);
	CHECK_INT(a.status, 0);
	decide(bare, false, "/", &a);
	CHECK_INT(a.kind, PLAIN_NO_ROUTE);
	CHECK_INT(a.status, 404);
	decide(bare, false, "/healthz", &a);
	CHECK_INT(a.kind, PLAIN_NO_ROUTE);
	config_unref(cfg);
	config_unref(bare);
}

/* A route of path "*" (websockify's command line): with web_root, plain
 * requests get files; without, 426 on any path. */
static void
test_any_path_route(void)
{
	static const char any[] = "[route:any]\npath = *\nbackend = "
	    "127.0.0.1:2\norigins = *\n";
	char text[256];
	struct config *web, *bare;
	struct plain_answer a;

	snprintf(text, sizeof(text), "web_root = .\n%s", any);
	web = load(text);
	bare = load(any);
	if (web == NULL || bare == NULL)
		return;
	decide(web, false, "/vnc.html", &a);
	CHECK_INT(a.kind, PLAIN_WEB_ROOT);
	decide(web, false, "/ws", &a);		/* its own route still */
	CHECK_INT(a.kind, PLAIN_WEBSOCKET_ONLY);
	decide(bare, false, "/vnc.html", &a);
	CHECK_INT(a.kind, PLAIN_WEBSOCKET_ONLY);
	CHECK_INT(a.status, 426);
	config_unref(web);
	config_unref(bare);
}

static bool
keep(const struct config *cfg, const char *text, unsigned requests,
    bool draining)
{
	struct hs_limits lim = { 8192, 64 };
	struct hs_request req;
	const char *why;
	int status;

	CHECK_INT(handshake_parse(text, strlen(text), &lim, &req, &status,
	    &why), strlen(text));
	return plain_keep_alive(cfg, &req, requests, draining);
}

static void
test_keep_alive(void)
{
	struct config *cfg = load("keepalive_requests = 3");
	struct config *off = load("keepalive_timeout = 0");
	struct config *one = load("keepalive_requests = 1");
	const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	if (cfg == NULL || off == NULL || one == NULL)
		return;
	CHECK(keep(cfg, get, 1, false));
	CHECK(keep(cfg, get, 2, false));
	CHECK(!keep(cfg, get, 3, false));	/* the last one */
	CHECK(!keep(cfg, get, 1, true));	/* draining */
	CHECK(!keep(off, get, 1, false));
	CHECK(!keep(one, get, 1, false));
	CHECK(keep(cfg, "HEAD / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
	    1, false));
	CHECK(!keep(cfg, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1,
	    false));
	CHECK(!keep(cfg, "GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n",
	    1, false));
	/* HTTP/1.0 closes, even when it asks. */
	CHECK(!keep(cfg, "GET / HTTP/1.0\r\n\r\n", 1, false));
	CHECK(!keep(cfg, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	    1, false));
	/* A body is never read: close. */
	CHECK(!keep(cfg, "GET / HTTP/1.1\r\nContent-Length: 4\r\n\r\n", 1,
	    false));
	CHECK(keep(cfg, "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1,
	    false));
	CHECK(!keep(cfg, "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n", 1, false));
	config_unref(cfg);
	config_unref(off);
	config_unref(one);
}

int
main(void)
{
	RUN(test_decide);
	RUN(test_any_path_route);
	RUN(test_keep_alive);
	return tl_summary("unit/plain");
}
