/* admit.h -- admission: an upgrade request and what is known of its connection become an HTTP answer, or a route and its target */
#ifndef WSGATE_ADMIT_H
#define WSGATE_ADMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"
#include "metrics.h"
#include "subproto.h"
#include "target.h"

struct config;
struct route;

/* The gateway's max_connections: the sessions holding a slot, and the
 * limit (0 = none).  One for every worker (struct shared). */
struct admit_slots {
	atomic_uint used;
	atomic_uint max;
};

/*
 * allowed_client_cns: whether the client's verified certificate names
 * one of names[0..n), as tls_peer_name_allowed() answers: 1 yes (who =
 * the name), 0 no (who = its CN), -1 no certificate (who = "").
 */
typedef int (*admit_cert_fn)(void *arg, char *const *names, size_t n,
    char *who, size_t whosize);

/* What is known of the connection, besides its request. */
struct admit_conn {
	bool draining;			/* the gateway is shutting down */
	struct admit_slots *slots;
	admit_cert_fn client_cert;	/* NULL: the client has no TLS */
	void *client_cert_arg;
	/* The TLS server name (SNI) the client sent; NULL: none, or no
	 * TLS.  A Host that routes must agree with it (421). */
	const char *sni;
	int64_t now;			/* wall clock, seconds: JWT exp/nbf */
};

/* Admission's verdict. */
struct admit_result {
	/*
	 * 0: admitted.  Otherwise the HTTP answer: its status, and why
	 * (static text, or msg below), said to the client for a 4xx and
	 * logged.  (Headers an answer will carry, WWW-Authenticate or
	 * Retry-After, belong here too.)
	 */
	int status;
	const char *why;
	enum metrics_reject reject;	/* the answer's class, for metrics */
	const struct route *route;	/* the path's route; NULL: 404 */

	/* Admitted: */
	struct target target;
	const char *subprotocol;	/* to select in the 101, or NULL */
	char subprotocol_buf[SUBPROTO_NAME_MAX + 1];
	char accept[HS_ACCEPT_LEN + 1];	/* Sec-WebSocket-Accept */
	bool holds_slots;		/* admit_release gives them back */
	/* A max_connections_per_client place (clientlimit.h), taken by
	 * front.c after admission: the session gives it back. */
	bool holds_client;
	uint32_t client_bucket;
	/* The client certificate name allowed_client_cns matched, escaped
	 * for logs; "" when the route asks for none. */
	char cert_name[300];

	char msg[400];
};

/*
 * Judge an upgrade request (req: a handshake_parse() result) against
 * cfg's routes: the route its path (and, where routes list hosts, its
 * Host) names, the WebSocket rules
 * (handshake_check_upgrade), the client certificate, the Origin, a
 * shutdown, the target a token names (routes with targets or jwt_key:
 * 404 for a missing or unknown token, 403 for a bad signed token or a
 * target outside allowed_targets; the reason names the token by
 * token_log_tag, never by itself), then a max_connections slot of the
 * gateway's and one of the route's.  Returns 0 with the target filled
 * from the route or the token, or -1 with the answer.  No I/O, nothing
 * logged (a token lookup reads an index in memory: targets.h).
 */
int admit_request(const struct hs_request *req, const struct config *cfg,
    const struct admit_conn *conn, struct admit_result *res);

/* The class of an answer by its status alone (metrics.h), where the
 * caller knows no better: 404 no route, 426 not a WebSocket, 403 origin,
 * 401 auth, 429 and 503 limits, 408 timeout, 502 and 504 backend, other
 * 5xx internal, other 4xx bad request. */
enum metrics_reject admit_reject_class(int status);

/* Give back the slots an admitted request holds (route: res->route). */
void admit_release(struct admit_slots *slots, const struct route *route);

#endif
