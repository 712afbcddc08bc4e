/* test_admit.c -- admission: every answer an upgrade request can get, and the target of an admitted one */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "admit.h"
#include "config.h"
#include "jwt.h"
#include "route_count.h"
#include "route_targets.h"
#include "testlib.h"

/* Certificate files need only exist for the loader (tls.c reads them). */
static char dir[64];

static struct route_counts *counts;
/* GATEWAY ROUTES below, loaded once: admission changes nothing in it. */
static struct config *cfg;

static void
touch(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
}

static struct config *
load(const char *text)
{
	struct config_errors errs = { 0 };
	char name[128];
	struct config *c;

	snprintf(name, sizeof(name), "%s/admit.ini", dir);
	c = config_load_string(name, text, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "    %s\n", errs.msgs[i]);
	config_errors_free(&errs);
	if (c != NULL && route_counts_attach(counts, c) != 0) {
		config_unref(c);
		c = NULL;
	}
	return c;
}

#define GATEWAY                                                               \
	"[gateway]\nlisten = 127.0.0.1:0 tls\ntls_cert = cert.pem\n"          \
	"tls_key = key.pem\ntls_client_ca = ca.pem\n"                         \
	"tls_verify_client = optional\nidle_timeout = 30\n"
#define ROUTES                                                                \
	"[route:echo]\npath = /echo\nbackend = 127.0.0.1:7000\n"              \
	"origins = http://ok.example\nmax_connections = 2\n"                  \
	"[route:named]\npath = /named\nbackend = LocalHost:7001\n"            \
	"origins = *\nallow_missing_origin = yes\nbackend_tls = yes\n"        \
	"backend_tls_name = backend.example\nbackend_tls_verify = no\n"       \
	"idle_timeout = 5\n"                                                  \
	"[route:v6]\npath = /v6\nbackend = [::1]:7002\norigins = *\n"         \
	"[route:certs]\npath = /certs\nbackend = 127.0.0.1:7003\n"            \
	"origins = *\nallowed_client_cns = alice, bob\n"               \
	"[route:proto]\npath = /proto\nbackend = 127.0.0.1:7004\n"       \
	"origins = *\nallow_missing_origin = yes\n"                      \
	"subprotocols = vnc.rfb, binary\n"                               \
	"[route:must]\npath = /must\nbackend = 127.0.0.1:7005\n"         \
	"origins = *\nallow_missing_origin = yes\n"                      \
	"require_subprotocol = yes\n" \
	"[route:unix]\npath = /unix\nbackend = unix:/run/vnc.sock\n"          \
	"origins = *\n"                                                       \
	"[route:pair]\npath = /pair\n"                                         \
	"backend = 127.0.0.1:7004 vnc.example:7005\n"                         \
	"balance = round_robin\nbackend_retry_after = 3s\norigins = *\n"

/* RFC 6455 1.3's key and its accept value. */
#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define UPGRADE(path, extra)                                                  \
	"GET " path " HTTP/1.1\r\nHost: gw.example\r\nUpgrade: websocket\r\n" \
	"Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"               \
	"Sec-WebSocket-Version: 13\r\n" extra "\r\n"
#define ORIGIN_OK "Origin: http://ok.example\r\n"
#define ORIGIN_ANY "Origin: http://any.example\r\n"

static struct hs_request req;

/* Parse text (kept: req points into it). */
static const struct hs_request *
request(const char *text)
{
	struct hs_limits lim = { 8192, 64 };
	const char *why = NULL;
	int status = 0;
	int n = handshake_parse(text, strlen(text), &lim, &req, &status, &why);

	CHECK_INT(n, (int)strlen(text));
	return &req;
}

/* The client certificate as tls_peer_name_allowed() would see it. */
struct cert {
	const char *cn;		/* NULL: none sent */
	int calls;
};

static int
cert_check(void *arg, char *const *names, size_t n, char *who,
    size_t whosize)
{
	struct cert *c = arg;

	c->calls++;
	if (c->cn == NULL) {
		snprintf(who, whosize, "%s", "");
		return -1;
	}
	snprintf(who, whosize, "%s", c->cn);
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], c->cn) == 0)
			return 1;
	return 0;
}

static struct admit_slots slots;

static struct admit_conn
conn_plain(void)
{
	struct admit_conn c = { .draining = false, .slots = &slots };

	return c;
}

/* An answer: its status, why, route, and no slot taken. */
static void
check_answer(const char *text,
    const struct admit_conn *conn, int status, const char *why,
    const char *route)
{
	struct admit_result res;
	unsigned used = atomic_load(&slots.used);

	memset(&res, 0xa5, sizeof(res));
	CHECK_INT(admit_request(request(text), cfg, conn, &res), -1);
	CHECK_INT(res.status, status);
	if (why != NULL)
		CHECK_STR(res.why, why);
	if (route == NULL)
		CHECK(res.route == NULL);
	else
		CHECK(res.route != NULL && strcmp(res.route->name, route) == 0);
	CHECK(!res.holds_slots);
	CHECK_INT(atomic_load(&slots.used), used);
}

static void
test_no_route(void)
{
	struct admit_conn c = conn_plain();

	check_answer(UPGRADE("/nope", ORIGIN_OK), &c, 404,
	    "no route for this path", NULL);
	/* The path alone counts: not the query, nor a prefix. */
	check_answer(UPGRADE("/echo/x", ORIGIN_OK), &c, 404, NULL, NULL);
	check_answer(UPGRADE("/ech", ORIGIN_OK), &c, 404, NULL, NULL);
}

/* handshake_check_upgrade's answers, with the route already known. */
static void
test_bad_upgrade(void)
{
	struct admit_conn c = conn_plain();

	check_answer("GET /echo HTTP/1.1\r\nHost: gw\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n" ORIGIN_OK "\r\n", &c, 400, NULL,
	    "echo");
	check_answer("GET /echo HTTP/1.1\r\nHost: gw\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n"
	    ORIGIN_OK "\r\n", &c, 426, NULL, "echo");
	check_answer(UPGRADE("/echo", ORIGIN_OK
	    "Transfer-Encoding: chunked\r\n"), &c, 400, NULL, "echo");
}

static void
test_origin(void)
{
	struct admit_conn c = conn_plain();
	struct admit_result res;

	check_answer(UPGRADE("/echo", "Origin: http://evil.example\r\n"),
	    &c, 403, "origin not allowed for this route", "echo");
	check_answer(UPGRADE("/echo", ""), &c, 403, "no Origin header "
	    "and the route has allow_missing_origin = no", "echo");
	/* Checked before a shutdown is: the answer says what is wrong. */
	c.draining = true;
	check_answer(UPGRADE("/echo", "Origin: http://evil.example\r\n"),
	    &c, 403, NULL, "echo");
	/* allow_missing_origin = yes */
	c.draining = false;
	CHECK_INT(admit_request(request(UPGRADE("/named", "")), cfg, &c,
	    &res), 0);
	CHECK_INT(res.status, 0);
	admit_release(&slots, res.route);
}

static void
test_client_cert(void)
{
	struct admit_conn c = conn_plain();
	struct cert none = { NULL, 0 }, eve = { "eve\"\x01", 0 };
	struct cert bob = { "bob", 0 };
	struct admit_result res;

	/* A plain connection has no certificate to show. */
	check_answer(UPGRADE("/certs", ""), &c, 403, "this route needs "
	    "a client certificate (allowed_client_cns)", "certs");
	c.client_cert = cert_check;
	c.client_cert_arg = &none;
	check_answer(UPGRADE("/certs", ""), &c, 403, "this route needs "
	    "a client certificate (allowed_client_cns)", "certs");
	CHECK_INT(none.calls, 1);
	/* The certificate's name is escaped in the reason. */
	c.client_cert_arg = &eve;
	check_answer(UPGRADE("/certs", ""), &c, 403, "client "
	    "certificate CN=eve\\x22\\x01 matches no allowed_client_cns name",
	    "certs");
	/* A route without allowed_client_cns does not ask. */
	CHECK_INT(admit_request(request(UPGRADE("/v6", ORIGIN_ANY)), cfg, &c,
	    &res), 0);
	CHECK_INT(eve.calls, 1);
	CHECK_STR(res.cert_name, "");
	admit_release(&slots, res.route);
	c.client_cert_arg = &bob;
	CHECK_INT(admit_request(request(UPGRADE("/certs", "")), cfg, &c,
	    &res), -1);	/* no Origin */
	CHECK_INT(res.status, 403);
	CHECK_INT(res.reject, METRICS_REJ_ORIGIN);
	CHECK_STR(res.cert_name, "bob");	/* allowed, for the log */
	c.client_cert_arg = &eve;
	CHECK_INT(admit_request(request(UPGRADE("/certs", "")), cfg, &c,
	    &res), -1);
	CHECK_INT(res.reject, METRICS_REJ_CLIENT_CERT);
	c.client_cert_arg = &bob;
	CHECK_INT(admit_request(request(UPGRADE("/certs",
	    "Origin: http://any.example\r\n")), cfg, &c, &res), 0);
	CHECK_STR(res.cert_name, "bob");
	admit_release(&slots, res.route);
}

static void
test_draining(void)
{
	struct admit_conn c = conn_plain();

	c.draining = true;
	check_answer(UPGRADE("/echo", ORIGIN_OK), &c, 503,
	    "gateway is shutting down", "echo");
}

/* The class each answer is counted under in the metrics: admission's own
 * where the status alone would not say (draining, client certificates),
 * else by status. */
static void
test_reject_classes(void)
{
	struct admit_conn c = conn_plain();
	struct admit_result res;

	c.draining = true;
	CHECK_INT(admit_request(request(UPGRADE("/echo", ORIGIN_OK)), cfg, &c,
	    &res), -1);
	CHECK_INT(res.reject, METRICS_REJ_DRAINING);
	c.draining = false;
	CHECK_INT(admit_request(request(UPGRADE("/nope", ORIGIN_OK)), cfg, &c,
	    &res), -1);
	CHECK_INT(res.reject, METRICS_REJ_NO_ROUTE);
	CHECK_INT(admit_reject_class(404), METRICS_REJ_NO_ROUTE);
	CHECK_INT(admit_reject_class(426), METRICS_REJ_NOT_WEBSOCKET);
	CHECK_INT(admit_reject_class(403), METRICS_REJ_ORIGIN);
	CHECK_INT(admit_reject_class(401), METRICS_REJ_AUTH);
	CHECK_INT(admit_reject_class(429), METRICS_REJ_LIMIT);
	CHECK_INT(admit_reject_class(503), METRICS_REJ_LIMIT);
	CHECK_INT(admit_reject_class(408), METRICS_REJ_TIMEOUT);
	CHECK_INT(admit_reject_class(502), METRICS_REJ_BACKEND);
	CHECK_INT(admit_reject_class(504), METRICS_REJ_BACKEND);
	CHECK_INT(admit_reject_class(500), METRICS_REJ_INTERNAL);
	CHECK_INT(admit_reject_class(400), METRICS_REJ_BAD_REQUEST);
	CHECK_INT(admit_reject_class(431), METRICS_REJ_BAD_REQUEST);
}

/* max_connections, of the gateway and of the route; each failure gives
 * back what it took. */
static void
test_limits(void)
{
	struct admit_conn c = conn_plain();
	struct admit_result a, b, d;
	const struct route *echo;

	echo = &cfg->routes[0];
	atomic_store(&slots.max, 3);
	CHECK_INT(admit_request(request(UPGRADE("/echo", ORIGIN_OK)), cfg, &c,
	    &a), 0);
	CHECK_INT(admit_request(request(UPGRADE("/echo", ORIGIN_OK)), cfg, &c,
	    &b), 0);
	CHECK_INT(atomic_load(&slots.used), 2);
	CHECK_INT(route_count_active(echo->count), 2);
	/* The route's 2 are taken; the gateway has room. */
	check_answer(UPGRADE("/echo", ORIGIN_OK), &c, 503,
	    "route max_connections reached", "echo");
	CHECK_INT(route_count_active(echo->count), 2);
	/* Another route takes the gateway's last slot ... */
	CHECK_INT(admit_request(request(UPGRADE("/v6", ORIGIN_ANY)), cfg, &c,
	    &d), 0);
	CHECK_INT(atomic_load(&slots.used), 3);
	/* ... and then none is left, whatever the route. */
	check_answer(UPGRADE("/named", ""), &c, 503,
	    "gateway max_connections reached", "named");
	CHECK_INT(route_count_active(cfg->routes[1].count), 0);
	admit_release(&slots, a.route);
	CHECK_INT(atomic_load(&slots.used), 2);
	CHECK_INT(route_count_active(echo->count), 1);
	/* 0: no limit. */
	atomic_store(&slots.max, 0);
	CHECK_INT(admit_request(request(UPGRADE("/echo", ORIGIN_OK)), cfg, &c,
	    &a), 0);
	admit_release(&slots, a.route);
	admit_release(&slots, b.route);
	admit_release(&slots, d.route);
	CHECK_INT(atomic_load(&slots.used), 0);
	CHECK_INT(route_count_active(echo->count), 0);
}

/* What an admitted request carries: the route's backend as a target. */
static void
test_admitted(void)
{
	struct admit_conn c = conn_plain();
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	struct admit_result res;

	memset(&res, 0xa5, sizeof(res));
	CHECK_INT(admit_request(request(UPGRADE("/echo", ORIGIN_OK
	    "Sec-WebSocket-Protocol: chat, binary\r\n")), cfg, &c, &res), 0);
	CHECK_INT(res.status, 0);
	CHECK(res.route == &cfg->routes[0]);
	CHECK(res.holds_slots);
	CHECK_STR(res.accept, ACCEPT);
	CHECK_STR(res.subprotocol, "binary");
	CHECK_STR(res.cert_name, "");
	CHECK_INT(res.target.kind, TARGET_TCP);
	CHECK_INT(res.target.proxy, TARGET_PROXY_NONE);
	CHECK_STR(res.target.host, "127.0.0.1");
	CHECK_INT(res.target.port, 7000);
	CHECK_INT(res.target.addrlen, sizeof(struct sockaddr_in));
	sin = &res.target.addr.sin;
	CHECK_INT(sin->sin_family, AF_INET);
	CHECK_INT(ntohs(sin->sin_port), 7000);
	CHECK_INT(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	CHECK(!res.target.tls);
	CHECK(res.target.limits == &cfg->routes[0].limits);
	CHECK(res.target.limits->idle_timeout == 30);
	CHECK_STR(res.target.display, "127.0.0.1:7000");
	admit_release(&slots, res.route);

	/* A name: looked up per connection; backend TLS. */
	CHECK_INT(admit_request(request(UPGRADE("/named", "")), cfg, &c,
	    &res), 0);
	CHECK(res.subprotocol == NULL);
	CHECK_STR(res.target.host, "LocalHost");
	CHECK_INT(res.target.port, 7001);
	CHECK_INT(res.target.addrlen, 0);
	CHECK(res.target.tls);
	CHECK(!res.target.tls_verify);
	CHECK_STR(res.target.tls_name, "backend.example");
	CHECK(res.target.tls_client == cfg->routes[1].tls);
	CHECK(res.target.limits->idle_timeout == 5);
	CHECK_STR(res.target.display, "LocalHost:7001");
	admit_release(&slots, res.route);

	/* IPv6, as written in brackets. */
	CHECK_INT(admit_request(request(UPGRADE("/v6", ORIGIN_ANY)), cfg, &c,
	    &res), 0);
	CHECK_STR(res.target.host, "::1");
	CHECK_INT(res.target.addrlen, sizeof(struct sockaddr_in6));
	sin6 = &res.target.addr.sin6;
	CHECK_INT(sin6->sin6_family, AF_INET6);
	CHECK_INT(ntohs(sin6->sin6_port), 7002);
	CHECK(res.target.tls_name == NULL);
	CHECK_STR(res.target.display, "[::1]:7002");
	CHECK(res.target.backends == NULL);
	CHECK_INT(res.target.nbackends, 0);
	admit_release(&slots, res.route);

	/* A unix socket: its address, no lookup. */
	CHECK_INT(admit_request(request(UPGRADE("/unix", ORIGIN_ANY)), cfg, &c,
	    &res), 0);
	CHECK_INT(res.target.kind, TARGET_UNIX);
	CHECK_INT(res.target.addr.sun.sun_family, AF_UNIX);
	CHECK_STR(res.target.addr.sun.sun_path, "/run/vnc.sock");
	CHECK(res.target.addrlen > 0);
	CHECK_STR(res.target.display, "unix:/run/vnc.sock");
	CHECK_INT(res.target.nbackends, 0);
	admit_release(&slots, res.route);

	/* Several: the first in the target, all of them for the attempt,
	 * with the route's balance and health. */
	CHECK_INT(admit_request(request(UPGRADE("/pair", ORIGIN_ANY)), cfg, &c,
	    &res), 0);
	CHECK_INT(res.target.kind, TARGET_TCP);
	CHECK_STR(res.target.display, "127.0.0.1:7004");
	CHECK_INT(res.target.nbackends, 2);
	CHECK(res.target.backends == res.route->backends);
	CHECK_STR(res.target.backends[1].text, "vnc.example:7005");
	CHECK_INT(res.target.balance, BALANCE_ROUND_ROBIN);
	CHECK(res.target.health != NULL &&
	    res.target.health == res.route->health);
	CHECK(res.target.retry_after == 3);
	admit_release(&slots, res.route);
	CHECK_INT(atomic_load(&slots.used), 0);
}

#define HOSTS                                                                 \
	"[route:con-a]\npath = /console\nhosts = A.example.com\n"           \
	"backend = 127.0.0.1:7100\norigins = *\n"                            \
	"[route:con-vm]\npath = /console\nhosts = *.vm.example.com\n"       \
	"backend = 127.0.0.1:7101\norigins = *\n"                            \
	"[route:con-b]\npath = /console\nhosts = b.vm.example.com, "         \
	"c.example.com\nbackend = 127.0.0.1:7102\norigins = *\n"            \
	"[route:con-any]\npath = /console\nbackend = 127.0.0.1:7103\n"      \
	"origins = *\n"                                                       \
	"[route:only]\npath = /only\nhosts = x.example\n"                   \
	"backend = 127.0.0.1:7104\norigins = *\n"                            \
	"[route:plain]\npath = /plain\nbackend = 127.0.0.1:7105\n"          \
	"origins = *\n"

#define UPGRADE_HOST(path, host)                                              \
	"GET " path " HTTP/1.1\r\nHost: " host "\r\nUpgrade: websocket\r\n"  \
	"Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"               \
	"Sec-WebSocket-Version: 13\r\nOrigin: http://o.example\r\n\r\n"

/* An admitted request's route (its slots given back at once). */
static const char *
admitted_route(const char *text, const struct admit_conn *c)
{
	struct admit_result res;

	if (admit_request(request(text), cfg, c, &res) != 0) {
		fprintf(stderr, "    refused: %d %s\n", res.status, res.why);
		return "(refused)";
	}
	admit_release(&slots, res.route);
	return res.route->name;
}

/* hosts: a path's routes chosen by Host; 404 and 421. */
static void
test_hosts(void)
{
	struct config *main_cfg = cfg;
	struct admit_conn c = conn_plain();

	cfg = load(GATEWAY HOSTS);
	CHECK(cfg != NULL);
	if (cfg == NULL) {
		cfg = main_cfg;
		return;
	}
	/* Without case, without its port or a final dot. */
	CHECK_STR(admitted_route(UPGRADE_HOST("/console",
	    "a.EXAMPLE.com:8443"), &c), "con-a");
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "a.example.com."),
	    &c), "con-a");
	/* The name itself wins over a wildcard listed before it. */
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "b.vm.example.com"),
	    &c), "con-b");
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "c.vm.example.com"),
	    &c), "con-vm");
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "c.example.com"),
	    &c), "con-b");
	/* A wildcard is one label; the rest go to the route without hosts. */
	CHECK_STR(admitted_route(UPGRADE_HOST("/console",
	    "x.c.vm.example.com"), &c), "con-any");
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "vm.example.com"),
	    &c), "con-any");
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "[::1]:80"), &c),
	    "con-any");
	CHECK_STR(admitted_route(UPGRADE_HOST("/only", "X.Example"), &c),
	    "only");
	/* No route for that Host, and none without hosts: 404, the Host
	 * escaped in the reason. */
	check_answer(UPGRADE_HOST("/only", "y.example"), &c, 404,
	    "no route for this path and Host y.example", NULL);
	check_answer(UPGRADE_HOST("/only", "x.example\"\\"), &c, 404,
	    "no route for this path and Host x.example\\x22\\x5c",
	    NULL);
	check_answer(UPGRADE_HOST("/nope", "x.example"), &c, 404,
	    "no route for this path", NULL);

	/* TLS: the Host must be the name the client sent (SNI). */
	c.sni = "A.example.com";
	CHECK_STR(admitted_route(UPGRADE_HOST("/console",
	    "a.example.com:443"), &c), "con-a");
	check_answer(UPGRADE_HOST("/console", "b.vm.example.com"), &c, 421,
	    "Host b.vm.example.com is not the TLS server name (SNI) "
	    "A.example.com of this connection", "con-b");
	/* Even where it would reach the route without hosts. */
	check_answer(UPGRADE_HOST("/console", "other.example"), &c, 421,
	    NULL, "con-any");
	/* And before a 404: the Host is wrong, not the path. */
	check_answer(UPGRADE_HOST("/only", "y.example"), &c, 421, NULL,
	    NULL);
	/* A path without hosts: the Host chooses nothing, so it is not
	 * compared (clients that connect by address keep working). */
	CHECK_STR(admitted_route(UPGRADE_HOST("/plain", "127.0.0.1:8443"),
	    &c), "plain");
	/* No SNI sent (a client that connects by address): no check. */
	c.sni = NULL;
	CHECK_STR(admitted_route(UPGRADE_HOST("/console", "c.example.com"),
	    &c), "con-b");
	CHECK_INT(atomic_load(&slots.used), 0);
	config_unref(cfg);
	cfg = main_cfg;
}

/* subprotocols / require_subprotocol (subproto.h): the route's order,
 * the client's spelling, 400s that take no slot. */
static void
test_subprotocols(void)
{
	struct admit_conn c = conn_plain();
	struct admit_result res;
	char many[40 * 17 + 1] = "";

	CHECK_INT(admit_request(request(UPGRADE("/proto",
	    "Sec-WebSocket-Protocol: binary\r\n"
	    "Sec-WebSocket-Protocol: chat, VNC.rfb\r\n")), cfg, &c, &res), 0);
	CHECK_STR(res.subprotocol, "VNC.rfb");
	admit_release(&slots, res.route);
	CHECK_INT(admit_request(request(UPGRADE("/proto",
	    "Sec-WebSocket-Protocol: chat\r\n")), cfg, &c, &res), 0);
	CHECK(res.subprotocol == NULL);
	admit_release(&slots, res.route);
	check_answer(UPGRADE("/must", "Sec-WebSocket-Protocol: chat\r\n"),
	    &c, 400, NULL, "must");
	CHECK_INT(admit_request(request(UPGRADE("/must",
	    "Sec-WebSocket-Protocol: chat,binary\r\n")), cfg, &c, &res), 0);
	CHECK_STR(res.subprotocol, "binary");
	admit_release(&slots, res.route);
	for (int i = 0; i < 17; i++)
		strcat(many, "Sec-WebSocket-Protocol: x\r\n");
	{
		char text[1024];

		snprintf(text, sizeof(text), UPGRADE("/proto", "%s"), many);
		check_answer(text, &c, 400, "too many Sec-WebSocket-Protocol "
		    "headers", "proto");
	}
}

/* ---- computed targets: token files and signed tokens ---- */

static struct config *tcfg;

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
		close(fd);
	}
	chmod(path, mode);
}

#define TOKEN_ROUTES                                                          \
	"[gateway]\nlisten = 127.0.0.1:0\n"                                    \
	"[route:tok]\npath = /tok\ntargets = tokens.txt\norigins = *\n"         \
	"allow_missing_origin = yes\nallowed_targets = 127.0.0.0/8:7000-7010 " \
	"vm.example:5900 unix:/run/vnc 10.0.0.0/8:5900\n"                     \
	"[route:host]\npath = /host\ntargets = tokens.txt\norigins = *\n"       \
	"allow_missing_origin = yes\ntoken_source = host\n"                   \
	"allowed_targets = 127.0.0.1:7001\n"                                   \
	"[route:jwt]\npath = /jwt\njwt_key = secret\njwt_algorithm = HS256\n"  \
	"origins = *\nallow_missing_origin = yes\njwt_leeway = 10s\n"          \
	"allowed_targets = 127.0.0.1:7001\n"
#define TOKENS                                                                \
	"vm1: 127.0.0.1:7001\nfar: 192.0.2.1:7001\nsock: unix_socket:/run/vnc/a\n" \
	"out: unix_socket:/tmp/x\nnamed: vm.example:5900\n"                     \
	"ranged: other.example:5900\n"
/* 32 bytes "0123456789abcdef0123456789abcdef" in base64url. */
#define SECRET "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"

/* An admitted request's target; slots given back. */
static void
check_target(const char *text, const char *display, enum target_kind kind)
{
	struct admit_conn c = conn_plain();
	struct admit_result res;

	c.now = 1000000;
	memset(&res, 0xa5, sizeof(res));
	CHECK_INT(admit_request(request(text), tcfg, &c, &res), 0);
	if (res.status != 0) {
		fprintf(stderr, "    %d %s\n", res.status, res.why);
		return;
	}
	CHECK_STR(res.target.display, display);
	CHECK_INT(res.target.kind, kind);
	admit_release(&slots, res.route);
}

static void
check_refused(const char *text, int status, const char *why)
{
	struct admit_conn c = conn_plain();
	struct admit_result res;

	c.now = 1000000;
	memset(&res, 0xa5, sizeof(res));
	CHECK_INT(admit_request(request(text), tcfg, &c, &res), -1);
	CHECK_INT(res.status, status);
	CHECK(!res.holds_slots);
	if (why != NULL && strcmp(res.why, why) != 0) {
		fprintf(stderr, "    why \"%s\", want \"%s\"\n", res.why, why);
		CHECK(0);
	}
}

static void
test_token_file(void)
{
	struct admit_conn c = conn_plain();
	struct admit_result res;
	char tag[TOKEN_TAG_LEN + 1], want[100];

	check_target(UPGRADE("/tok?token=vm1", ""), "127.0.0.1:7001",
	    TARGET_TCP);
	/* websockify's order: the query first, then the cookie. */
	check_target(UPGRADE("/tok?a=b", "Cookie: x=1; token=vm1\r\n"),
	    "127.0.0.1:7001", TARGET_TCP);
	check_target(UPGRADE("/tok?token=vm1", "Cookie: token=nope\r\n"),
	    "127.0.0.1:7001", TARGET_TCP);
	/* Copied into the target: nothing points into the index. */
	CHECK_INT(admit_request(request(UPGRADE("/tok?token=vm1", "")), tcfg,
	    &c, &res), 0);
	CHECK_STR(res.target.host, "127.0.0.1");
	CHECK_INT(res.target.addrlen, sizeof(struct sockaddr_in));
	CHECK(res.target.allow == NULL);
	admit_release(&slots, res.route);

	/* Unknown: 404 naming the token by its tag only. */
	token_log_tag("nope", 4, tag);
	snprintf(want, sizeof(want), "unknown token #%s", tag);
	check_refused(UPGRADE("/tok?token=nope", ""), 404, want);
	check_refused(UPGRADE("/tok", ""), 404, "no token: the route takes "
	    "it from the token query parameter or cookie");
	check_refused(UPGRADE("/tok?token=%01", ""), 404, NULL);

	/* allowed_targets. */
	token_log_tag("far", 3, tag);
	snprintf(want, sizeof(want), "the target of token #%s is not in "
	    "allowed_targets", tag);
	check_refused(UPGRADE("/tok?token=far", ""), 403, want);
	check_refused(UPGRADE("/tok?token=out", ""), 403, NULL);
	check_target(UPGRADE("/tok?token=sock", ""), "unix:/run/vnc/a",
	    TARGET_UNIX);
	CHECK_INT(admit_request(request(UPGRADE("/tok?token=sock", "")), tcfg,
	    &c, &res), 0);
	CHECK_STR(res.target.addr.sun.sun_path, "/run/vnc/a");
	CHECK_INT(res.target.addr.sun.sun_family, AF_UNIX);
	admit_release(&slots, res.route);
	/* A listed name: no later check; an unlisted one: its addresses. */
	CHECK_INT(admit_request(request(UPGRADE("/tok?token=named", "")),
	    tcfg, &c, &res), 0);
	CHECK(res.target.allow == NULL);
	CHECK_INT(res.target.addrlen, 0);
	admit_release(&slots, res.route);
	CHECK_INT(admit_request(request(UPGRADE("/tok?token=ranged", "")),
	    tcfg, &c, &res), 0);
	CHECK(res.target.allow == tcfg->routes[0].allow);
	CHECK_INT(res.target.nallow, 4);
	CHECK_STR(res.target.display, "other.example:5900");
	admit_release(&slots, res.route);

	/* token_source = host: the Host header without its port. */
	check_target("GET /host HTTP/1.1\r\nHost: vm1:8080\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    "127.0.0.1:7001", TARGET_TCP);
	check_refused(UPGRADE("/host?token=vm1", ""), 404, NULL);
	CHECK_INT(atomic_load(&slots.used), 0);
}

/* An HS256 token for claims (json), signed with SECRET's bytes. */
static void
make_hs256(const char *header, const char *claims, char *out, size_t size)
{
	static const char key[] = "0123456789abcdef0123456789abcdef";
	unsigned char mac[32];
	char h[256], c[512], sig[64], input[800];
	size_t maclen = 0;

	jwt_base64url_encode((const uint8_t *)header, strlen(header), h,
	    sizeof(h));
	jwt_base64url_encode((const uint8_t *)claims, strlen(claims), c,
	    sizeof(c));
	snprintf(input, sizeof(input), "%s.%s", h, c);
	CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32,
	    (const unsigned char *)input, strlen(input), mac, sizeof(mac),
	    &maclen) != NULL);
	jwt_base64url_encode(mac, maclen, sig, sizeof(sig));
	snprintf(out, size, "%s.%s", input, sig);
}

static void
test_jwt(void)
{
	static const char hs[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char tok[1200], text[2000];

#define JWT_REQ(extra)                                                        \
	(snprintf(text, sizeof(text), "GET /jwt?token=%s HTTP/1.1\r\n"        \
	    "Host: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"       \
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"     \
	    extra "\r\n", tok), text)
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7001}", tok,
	    sizeof(tok));
	check_target(JWT_REQ(""), "127.0.0.1:7001", TARGET_TCP);
	/* exp with the leeway (10 s); now is 1000000. */
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7001,"
	    "\"exp\":999995}", tok, sizeof(tok));
	check_target(JWT_REQ(""), "127.0.0.1:7001", TARGET_TCP);
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7001,"
	    "\"exp\":999990}", tok, sizeof(tok));
	check_refused(JWT_REQ(""), 403, NULL);
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7001,"
	    "\"nbf\":1000020}", tok, sizeof(tok));
	check_refused(JWT_REQ(""), 403, NULL);
	/* Outside allowed_targets. */
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7002}", tok,
	    sizeof(tok));
	check_refused(JWT_REQ(""), 403, NULL);
	/* The origin claim. */
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7001,"
	    "\"origin\":\"https://App.example\"}", tok, sizeof(tok));
	check_target(JWT_REQ("Origin: https://app.example:443\r\n"),
	    "127.0.0.1:7001", TARGET_TCP);
	check_refused(JWT_REQ("Origin: https://evil.example\r\n"), 403, NULL);
	check_refused(JWT_REQ(""), 403, NULL);
	/* alg none, and another algorithm than the pinned one. */
	make_hs256("{\"alg\":\"none\"}", "{\"host\":\"127.0.0.1\","
	    "\"port\":7001}", tok, sizeof(tok));
	check_refused(JWT_REQ(""), 403, NULL);
	make_hs256("{\"alg\":\"RS256\"}", "{\"host\":\"127.0.0.1\","
	    "\"port\":7001}", tok, sizeof(tok));
	check_refused(JWT_REQ(""), 403, NULL);
	/* A flipped signature byte. */
	make_hs256(hs, "{\"host\":\"127.0.0.1\",\"port\":7001}", tok,
	    sizeof(tok));
	tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
	check_refused(JWT_REQ(""), 403, NULL);
#undef JWT_REQ
	CHECK_INT(atomic_load(&slots.used), 0);
}

/* A world-readable HS256 secret is refused, like tls_key. */
static void
test_secret_mode(void)
{
	struct config_errors errs = { 0 };
	struct config *c;

	/* Every user can read it only if they can reach it. */
	write_file("secret", SECRET "\n", 0644);
	CHECK_INT(chmod(dir, 0700), 0);
	c = load(TOKEN_ROUTES);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_INT(route_targets_load(c, &errs), 0);
		config_errors_free(&errs);
		config_unref(c);
	}
	CHECK_INT(chmod(dir, 0755), 0);
	c = load(TOKEN_ROUTES);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_INT(route_targets_load(c, &errs), -1);
	CHECK_INT(errs.n, 1);
	if (errs.n == 1)
		CHECK(strstr(errs.msgs[0], "[route:jwt] jwt_key: ") != NULL &&
		    strstr(errs.msgs[0], "readable by every user") != NULL);
	config_errors_free(&errs);
	config_unref(c);
	CHECK_INT(chmod(dir, 0700), 0);
	write_file("secret", SECRET "\n", 0600);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/wsgate-admit-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	touch("cert.pem");
	touch("key.pem");
	touch("ca.pem");
	counts = route_counts_new();
	atomic_init(&slots.used, 0);
	atomic_init(&slots.max, 0);

	cfg = load(GATEWAY ROUTES);
	if (cfg == NULL) {
		fprintf(stderr, "    the configuration does not load\n");
		return 1;
	}
	RUN(test_no_route);
	RUN(test_bad_upgrade);
	RUN(test_origin);
	RUN(test_client_cert);
	RUN(test_draining);
	RUN(test_reject_classes);
	RUN(test_limits);
	RUN(test_admitted);
	RUN(test_hosts);
	RUN(test_subprotocols);

	write_file("tokens.txt", TOKENS, 0600);
	write_file("secret", SECRET "\n", 0600);
	RUN(test_secret_mode);
	tcfg = load(TOKEN_ROUTES);
	if (tcfg == NULL) {
		fprintf(stderr, "    the token configuration does not load\n");
		return 1;
	} else {
		struct config_errors errs = { 0 };

		CHECK_INT(route_targets_load(tcfg, &errs), 0);
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "    %s\n", errs.msgs[i]);
		config_errors_free(&errs);
	}
	RUN(test_token_file);
	RUN(test_jwt);
	config_unref(tcfg);

	config_unref(cfg);
	route_counts_free(counts);
	for (const char *const *f = (const char *const[]){ "cert.pem",
	    "key.pem", "ca.pem", "tokens.txt", "secret", NULL }; *f != NULL;
	    f++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
	return tl_summary("admit");
}
