/* admit.c -- admission: an upgrade request and what is known of its connection become an HTTP answer, or a route and its target */
#include "admit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_types.h"
#include "log.h"
#include "route.h"
#include "route_count.h"

static int
admit_answer(struct admit_result *res, int status, const char *why)
{
	res->status = status;
	res->why = why;
	return -1;
}

/* Where a route sends its sessions: its one backend. */
static void
admit_target(struct target *t, const struct route *r)
{
	memset(t, 0, sizeof(*t));
	t->kind = TARGET_TCP;
	t->proxy = TARGET_PROXY_NONE;
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
	t->display = r->backend;
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
	if (ok < 0)
		return admit_answer(res, 403, "this route needs a client "
		    "certificate (allowed_client_cns)");
	log_escape(res->cert_name, sizeof(res->cert_name), who, strlen(who));
	if (ok == 0) {
		snprintf(res->msg, sizeof(res->msg), "client certificate CN=%s "
		    "matches no allowed_client_cns name", res->cert_name);
		res->cert_name[0] = '\0';
		return admit_answer(res, 403, res->msg);
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
	res->cert_name[0] = '\0';
	res->msg[0] = '\0';
	res->route = route = route_find(cfg, req->path.p, req->path.n);
	if (route == NULL)
		return admit_answer(res, 404, "no route for this path");
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
	if (conn->draining)
		return admit_answer(res, 503, "gateway is shutting down");
	if (admit_take_slots(route, conn->slots, res) != 0)
		return -1;
	if (handshake_accept_key(req->key.p, req->key.n, res->accept) != 0) {
		admit_release(conn->slots, route);
		res->holds_slots = false;
		return admit_answer(res, 500, "cannot compute "
		    "Sec-WebSocket-Accept");
	}
	admit_target(&res->target, route);
	return 0;
}

void
admit_release(struct admit_slots *slots, const struct route *route)
{
	atomic_fetch_sub(&slots->used, 1);
	route_count_give(route->count);
}
