/* admit.c -- admission: an upgrade request and what is known of its connection become an HTTP answer, or a route and its target */
#include "admit.h"

#include <assert.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allow.h"
#include "config_types.h"
#include "jwt_verify.h"
#include "log.h"
#include "route.h"
#include "route_count.h"
#include "targets.h"
#include "token.h"

enum metrics_reject
admit_reject_class(int status)
{
	switch (status) {
	case 404:
		return METRICS_REJ_NO_ROUTE;
	case 426:
		return METRICS_REJ_NOT_WEBSOCKET;
	case 403:
		return METRICS_REJ_ORIGIN;
	case 401:
		return METRICS_REJ_AUTH;
	case 429:
	case 503:
		return METRICS_REJ_LIMIT;
	case 408:
		return METRICS_REJ_TIMEOUT;
	case 502:
	case 504:
		return METRICS_REJ_BACKEND;
	default:
		return status >= 500 ? METRICS_REJ_INTERNAL :
		    METRICS_REJ_BAD_REQUEST;
	}
}

static int
admit_answer(struct admit_result *res, int status, const char *why)
{
	res->status = status;
	res->why = why;
	res->reject = admit_reject_class(status);
	return -1;
}

/* Where a route sends its sessions: its one backend. */
static void
admit_target(struct target *t, const struct route *r)
{
	memset(t, 0, sizeof(*t));
	t->kind = TARGET_TCP;
	t->proxy = (enum target_proxy)r->proxy_protocol;
	snprintf(t->host, sizeof(t->host), "%s", r->backend_host);
	t->port = (uint16_t)atoi(r->backend_port);
	if (r->backend_addrlen != 0 &&
	    r->backend_addrlen <= sizeof(t->addr)) {
		memcpy(&t->addr, &r->backend_addr, r->backend_addrlen);
		t->addrlen = r->backend_addrlen;
	}
	t->tls = r->backend_tls;
	t->tls_client = r->tls;
	t->tls_name = r->backend_tls_name.s;
	t->tls_verify = r->backend_tls_verify;
	t->limits = &r->limits;
	snprintf(t->display, sizeof(t->display), "%s", r->backend);
}

/*
 * The route of the request's path and Host (route_find_host); 0, or -1
 * with the 404, or the 421 for a Host that chooses among routes but is
 * not the name the client's TLS connection was made for (RFC 9110
 * 15.5.20): one certificate must not open another host's routes.
 */
static int
admit_route(const struct hs_request *req, const struct config *cfg,
    const struct admit_conn *conn, struct admit_result *res)
{
	char host[ROUTE_HOST_MAX], ehost[128], esni[128];
	size_t n = req->has_host ? route_host_name(req->host.p, req->host.n,
	    host, sizeof(host)) : 0;
	bool routed;

	res->route = route_find_host(cfg, req->path.p, req->path.n,
	    n > 0 ? host : NULL, &routed);
	if (!routed)
		return res->route == NULL ? admit_answer(res, 404, "no route "
		    "for this path") : 0;
	log_escape(ehost, sizeof(ehost), req->has_host ? req->host.p : "",
	    req->has_host ? req->host.n : 0);
	if (conn->sni != NULL) {
		char sni[ROUTE_HOST_MAX];
		size_t sn = route_host_name(conn->sni, strlen(conn->sni), sni,
		    sizeof(sni));

		if (n == 0 || sn == 0 || strcmp(host, sni) != 0) {
			log_escape(esni, sizeof(esni), conn->sni,
			    strlen(conn->sni));
			snprintf(res->msg, sizeof(res->msg), "Host %s is not "
			    "the TLS server name (SNI) %s of this connection",
			    ehost, esni);
			return admit_answer(res, 421, res->msg);
		}
	}
	if (res->route == NULL) {
		snprintf(res->msg, sizeof(res->msg), "no route for this path "
		    "and Host %s", ehost);
		return admit_answer(res, 404, res->msg);
	}
	return 0;
}

static_assert(ROUTE_BACKENDS_MAX <= TARGET_BACKENDS_MAX,
    "a route has more backends than a target can try");

/* A route's first backend may be a unix socket; with several, the
 * attempt needs them all (admit_target took the first). */
static void
admit_target_backends(struct target *t, const struct route *r)
{
	if (r->nbackends > 0 && r->backends[0].unix_path)
		t->kind = TARGET_UNIX;
	if (r->nbackends < 2 || r->health == NULL)
		return;
	t->backends = r->backends;
	t->nbackends = (unsigned)r->nbackends;
	t->balance = r->balance;
	t->health = r->health;
	t->retry_after = r->backend_retry_after;
}

/* ---- computed targets: a token names the backend ---- */

static bool
admit_computed(const struct route *r)
{
	return r->targets.s != NULL || r->jwt_key.s != NULL;
}

/* The token the request carries where the route looks for it:
 * token_from_* (token.h): its length, 0 for none, or CODEC_ERROR. */
static int
admit_token(const struct hs_request *req, const struct route *r, char *out,
    size_t outsize, const char **why)
{
	int n;

	*why = NULL;
	if (r->token_source == 1)
		return req->has_host ? token_from_host(req->host.p,
		    req->host.n, out, outsize, why) : 0;
	n = token_from_query(req->target.p, req->target.n, out, outsize, why);
	if (n == 0 && req->cookie.p != NULL)
		n = token_from_cookie(req->cookie.p, req->cookie.n, out,
		    outsize, why);
	return n;
}

/*
 * Fill t with what the token named (everything copied: the index or
 * the token it came from may go right after), unless allowed_targets
 * refuses it (403).  A host name that only range entries could allow is
 * checked by its addresses once looked up (t->allow).
 */
static int
admit_named(struct target *t, const struct route *r,
    enum token_target_kind kind, const char *host, uint16_t port,
    const char *tag, struct admit_result *res)
{
	char ehost[TARGET_HOST_MAX];	/* escaped, cut to fit display */

	memset(t, 0, sizeof(*t));
	t->proxy = (enum target_proxy)r->proxy_protocol;
	t->tls = r->backend_tls;
	t->tls_client = r->tls;
	t->tls_name = r->backend_tls_name.s;
	t->tls_verify = r->backend_tls_verify;
	t->limits = &r->limits;
	snprintf(t->host, sizeof(t->host), "%s", host);
	log_escape_str(ehost, sizeof(ehost), host);
	if (kind == TOKEN_TARGET_UNIX) {
		size_t len = strlen(host);

		if (!allow_unix(r->allow, r->nallow, host))
			goto refused;
		if (len >= sizeof(t->addr.sun.sun_path))
			return admit_answer(res, 500, "unix socket path too "
			    "long");
		t->kind = TARGET_UNIX;
		t->addr.sun.sun_family = AF_UNIX;
		memcpy(t->addr.sun.sun_path, host, len + 1);
		t->addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len + 1);
		snprintf(t->display, sizeof(t->display), "unix:%s", ehost);
		return 0;
	}
	t->kind = TARGET_TCP;
	t->port = port;
	if (inet_pton(AF_INET, host, &t->addr.sin.sin_addr) == 1) {
		t->addr.sin.sin_family = AF_INET;
		t->addr.sin.sin_port = htons(port);
		t->addrlen = sizeof(t->addr.sin);
	} else if (inet_pton(AF_INET6, host, &t->addr.sin6.sin6_addr) == 1) {
		t->addr.sin6.sin6_family = AF_INET6;
		t->addr.sin6.sin6_port = htons(port);
		t->addrlen = sizeof(t->addr.sin6);
	}
	snprintf(t->display, sizeof(t->display), strchr(host, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", ehost, (unsigned)port);
	if (allow_host(r->allow, r->nallow, host, port))
		return 0;
	if (t->addrlen == 0) {
		for (size_t i = 0; i < r->nallow; i++) {
			if (r->allow[i].kind != ALLOW_RANGE)
				continue;
			t->allow = r->allow;
			t->nallow = r->nallow;
			return 0;
		}
	}
refused:
	snprintf(res->msg, sizeof(res->msg), "the target of token #%s is "
	    "not in allowed_targets", tag);
	return admit_answer(res, 403, res->msg);
}

/* targets = PATH: look the token up. */
static int
admit_lookup(const struct route *r, const char *tok, size_t len,
    const char *tag, struct admit_result *res)
{
	struct targets_hit hit;
	int rc = r->tokens != NULL ? targets_lookup(r->tokens, tok, len,
	    &hit) : -1;

	if (rc < 0)
		return admit_answer(res, 500, "token lookup failed");
	if (rc == 0) {
		snprintf(res->msg, sizeof(res->msg), "unknown token #%s", tag);
		return admit_answer(res, 404, res->msg);
	}
	return admit_named(&res->target, r, hit.kind, hit.host, hit.port,
	    tag, res);
}

/* Whether the token's "origin" claim is the request's Origin (both
 * normalised, as origins = is). */
static bool
admit_origin_claim(const struct jwt *j, const struct hs_request *req)
{
	char a[ORIGIN_MAX], b[ORIGIN_MAX];
	const char *why;

	if (j->origin.p == NULL)
		return true;
	return req->has_origin &&
	    origin_normalize(j->origin.p, j->origin.len, a, sizeof(a),
	    &why) == 0 &&
	    origin_normalize(req->origin.p, req->origin.n, b, sizeof(b),
	    &why) == 0 && strcmp(a, b) == 0;
}

/* jwt_key: the token is a JWS naming its own target (jwt.h's order). */
static int
admit_jwt(const struct route *r, const struct hs_request *req,
    const struct admit_conn *conn, const char *tok, size_t len,
    const char *tag, struct admit_result *res)
{
	struct jwt j;
	struct jwt_policy pol = {
		.now = conn->now,
		.leeway = (unsigned)r->jwt_leeway,
		.require_exp = false,
		.audience = r->jwt_audience.s,
		.issuer = r->jwt_issuer.s,
	};
	struct token_target tt;
	char host[TOKEN_HOST_MAX + 1];
	const char *why;
	size_t n;

	if (r->jwt == NULL)
		return admit_answer(res, 500, "jwt_key not loaded");
	if (jwt_decode(tok, len, &j, &why) != 0 ||
	    jwt_check_header(&j, jwt_key_alg(r->jwt), &why) != 0 ||
	    jwt_verify(r->jwt, &j, &why) != 0 ||
	    jwt_check_claims(&j, &pol, &why) != 0 ||
	    jwt_target(&j, &tt, &why) != 0) {
		snprintf(res->msg, sizeof(res->msg), "token #%s: %s", tag, why);
		return admit_answer(res, 403, res->msg);
	}
	if (!admit_origin_claim(&j, req)) {
		snprintf(res->msg, sizeof(res->msg), "token #%s: its origin "
		    "claim is not the request's Origin", tag);
		return admit_answer(res, 403, res->msg);
	}
	n = tt.host_len < sizeof(host) - 1 ? tt.host_len : sizeof(host) - 1;
	memcpy(host, tt.host, n);
	host[n] = '\0';
	return admit_named(&res->target, r, tt.kind, host, tt.port, tag, res);
}

/* A route with targets or jwt_key: the token, then its target. */
static int
admit_token_target(const struct hs_request *req, const struct route *r,
    const struct admit_conn *conn, struct admit_result *res)
{
	char tok[JWT_MAX + 1], tag[TOKEN_TAG_LEN + 1];
	const char *why;
	int n;

	n = admit_token(req, r, tok, r->jwt_key.s != NULL ? JWT_MAX + 1 :
	    TOKEN_MAX + 1, &why);
	if (n == 0)
		return admit_answer(res, 404, r->token_source == 1 ?
		    "no token: the route takes it from the Host header" :
		    "no token: the route takes it from the token query "
		    "parameter or cookie");
	if (n < 0) {
		snprintf(res->msg, sizeof(res->msg), "invalid token: %s",
		    why != NULL ? why : "?");
		return admit_answer(res, 404, res->msg);
	}
	token_log_tag(tok, (size_t)n, tag);
	if (r->jwt_key.s != NULL)
		return admit_jwt(r, req, conn, tok, (size_t)n, tag, res);
	return admit_lookup(r, tok, (size_t)n, tag, res);
}

/*
 * Sec-WebSocket-Protocol (subproto.h): the first of the route's names the
 * client offered, in the client's spelling.  0, or -1 with the 400.
 */
static int
admit_subprotocol(const struct hs_request *req, const struct route *route,
    struct admit_result *res)
{
	struct subproto_field fields[HS_PROTOCOL_FIELDS];
	struct subproto_choice ch;
	const char *why;

	if (req->nprotocols > HS_PROTOCOL_FIELDS)
		return admit_answer(res, 400, "too many "
		    "Sec-WebSocket-Protocol headers");
	for (unsigned i = 0; i < req->nprotocols; i++) {
		fields[i].p = req->protocols[i].p;
		fields[i].n = req->protocols[i].n;
	}
	if (subproto_select(fields, req->nprotocols,
	    (const char *const *)route->subprotocols, route->nsubprotocols,
	    route->require_subprotocol, &ch, &why) != 0) {
		snprintf(res->msg, sizeof(res->msg), "Sec-WebSocket-Protocol: "
		    "%s (the route accepts %s%s)", why,
		    route->nsubprotocols > 0 ? route->subprotocols[0] : "none",
		    route->nsubprotocols > 1 ? ", ..." : "");
		return admit_answer(res, 400, res->msg);
	}
	if (ch.p != NULL && ch.n < sizeof(res->subprotocol_buf)) {
		memcpy(res->subprotocol_buf, ch.p, ch.n);
		res->subprotocol_buf[ch.n] = '\0';
		res->subprotocol = res->subprotocol_buf;
	}
	return 0;
}

/* allowed_client_cns; 0, or -1 with the 403. */
static int
admit_client_cert(const struct route *route, const struct admit_conn *conn,
    struct admit_result *res)
{
	char who[256];
	int ok;

	if (route->nclient_cns == 0)
		return 0;
	ok = conn->client_cert != NULL ? conn->client_cert(
	    conn->client_cert_arg, route->client_cns, route->nclient_cns,
	    who, sizeof(who)) : -1;
	if (ok < 0) {
		admit_answer(res, 403, "this route needs a client "
		    "certificate (allowed_client_cns)");
		res->reject = METRICS_REJ_CLIENT_CERT;
		return -1;
	}
	log_escape(res->cert_name, sizeof(res->cert_name), who, strlen(who));
	if (ok == 0) {
		snprintf(res->msg, sizeof(res->msg), "client certificate CN=%s "
		    "matches no allowed_client_cns name", res->cert_name);
		res->cert_name[0] = '\0';
		admit_answer(res, 403, res->msg);
		res->reject = METRICS_REJ_CLIENT_CERT;
		return -1;
	}
	return 0;
}

/* Slots are taken before they are checked, so that workers racing for
 * the last one cannot both win it. */
static int
admit_take_slots(const struct route *route, struct admit_slots *slots,
    struct admit_result *res)
{
	unsigned max = atomic_load(&slots->max);

	if (atomic_fetch_add(&slots->used, 1) >= max && max != 0) {
		atomic_fetch_sub(&slots->used, 1);
		return admit_answer(res, 503, "gateway max_connections "
		    "reached");
	}
	if (!route_count_take(route->count, route->max_connections)) {
		atomic_fetch_sub(&slots->used, 1);
		return admit_answer(res, 503, "route max_connections reached");
	}
	res->holds_slots = true;
	return 0;
}

int
admit_request(const struct hs_request *req, const struct config *cfg,
    const struct admit_conn *conn, struct admit_result *res)
{
	const struct route *route;
	const char *why;
	int status;

	res->status = 0;
	res->why = NULL;
	res->subprotocol = NULL;
	res->holds_slots = false;
	res->holds_client = false;
	res->cert_name[0] = '\0';
	res->msg[0] = '\0';
	if (admit_route(req, cfg, conn, res) != 0)
		return -1;
	route = res->route;
	if (handshake_check_upgrade(req, &status, &why) != 0)
		return admit_answer(res, status, why);
	if (admit_client_cert(route, conn, res) != 0)
		return -1;
	if (!req->has_origin) {
		if (!route->allow_missing_origin)
			return admit_answer(res, 403, "no Origin header and "
			    "the route has allow_missing_origin = no");
	} else if (!route_origin_allowed(route, req->origin.p,
	    req->origin.n)) {
		return admit_answer(res, 403, "origin not allowed for this "
		    "route");
	}
	if (admit_subprotocol(req, route, res) != 0)
		return -1;
	if (conn->draining) {
		admit_answer(res, 503, "gateway is shutting down");
		res->reject = METRICS_REJ_DRAINING;
		return -1;
	}
	if (admit_computed(route) &&
	    admit_token_target(req, route, conn, res) != 0)
		return -1;
	if (admit_take_slots(route, conn->slots, res) != 0)
		return -1;
	if (handshake_accept_key(req->key.p, req->key.n, res->accept) != 0) {
		admit_release(conn->slots, route);
		res->holds_slots = false;
		return admit_answer(res, 500, "cannot compute "
		    "Sec-WebSocket-Accept");
	}
	if (!admit_computed(route)) {
		admit_target(&res->target, route);
		admit_target_backends(&res->target, route);
	}
	return 0;
}

void
admit_release(struct admit_slots *slots, const struct route *route)
{
	atomic_fetch_sub(&slots->used, 1);
	route_count_give(route->count);
}
