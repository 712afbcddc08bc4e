/* upstream.c -- connecting a session to its route's backend */
#include "upstream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/util.h>

#include "config_types.h"
#include "gateway.h"
#include "log.h"
#include "resolve.h"
#include "session.h"
#include "sockaddr.h"
#include "tls.h"

/*
 * A session's way to its backend while it is CONNECTING: the name lookup,
 * then the addresses tried in turn.  The session's one timer
 * (backend_connect_timeout) bounds the whole of it.
 */
struct upstream {
	struct session *s;
	struct resolve_wait *wait;	/* the lookup, until it answers */
	struct resolve_result addrs;
	size_t next;			/* the address to try next */
};

static void upstream_event_cb(struct bufferevent *bev, short what,
    void *arg);

static void
upstream_done(struct session *s)
{
	struct upstream *up = s->upstream;

	s->upstream = NULL;
	resolve_cancel(up->wait);
	free(up);
}

void
upstream_abort(struct session *s)
{
	if (s->upstream != NULL)
		upstream_done(s);
}

static void
upstream_failed(struct session *s, int status, const char *why)
{
	if (s->upstream != NULL)
		upstream_done(s);
	session_backend_failed(s, status, why);
}

static void
upstream_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	char why[256], msg[300];

	if (what & BEV_EVENT_CONNECTED) {
		session_backend_connected(s);
		return;
	}
	snprintf(msg, sizeof(msg), "TLS handshake failed: %s",
	    tls_error(bev, what, why, sizeof(why)));
	session_backend_failed(s, 502, msg);
}

/* TCP is up: run TLS over the same socket.  Doing TCP first keeps the
 * errors apart: "connection refused" vs "certificate verify failed". */
static void
upstream_start_tls(struct session *s)
{
	int fd = bufferevent_getfd(s->backend);
	struct bufferevent *tls;

	/* Detach the socket so that freeing the TCP bufferevent leaves it
	 * open for the TLS one. */
	bufferevent_setfd(s->backend, -1);
	bufferevent_free(s->backend);
	s->backend = NULL;
	tls = tls_backend_new(s->gw->base, &s->target, fd);
	if (tls == NULL) {
		session_backend_failed(s, 502, "cannot start TLS");
		return;
	}
	s->backend = tls;
	s->backend_tls = true;
	bufferevent_setcb(tls, NULL, NULL, upstream_tls_event_cb, s);
}

/*
 * Connect to the next address that takes a connect attempt.  A socket
 * whose connect failed cannot be used again: then a fresh bufferevent
 * replaces it.  Returns -1 with every address tried; errno-style text in
 * *why.
 */
static int
upstream_try_next(struct session *s, const char **why)
{
	struct upstream *up = s->upstream;

	while (up->next < up->addrs.naddrs) {
		const union resolve_sockaddr *a = &up->addrs.addrs[up->next++];
		socklen_t len = a->sa.sa_family == AF_INET ?
		    sizeof(a->sin) : sizeof(a->sin6);

		if (bufferevent_getfd(s->backend) >= 0) {
			struct bufferevent *bev = bufferevent_socket_new(
			    s->gw->base, -1, BEV_OPT_CLOSE_ON_FREE);

			if (bev == NULL) {
				*why = "out of memory";
				return -1;
			}
			bufferevent_free(s->backend);
			s->backend = bev;
		}
		bufferevent_setcb(s->backend, NULL, NULL, upstream_event_cb, s);
		if (bufferevent_socket_connect(s->backend, &a->sa, (int)len) ==
		    0)
			return 0;
		*why = evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
	}
	return -1;
}

static void
upstream_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	struct upstream *up;
	const char *why;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one));
		if (s->upstream != NULL)
			upstream_done(s);
		if (s->target.tls)
			upstream_start_tls(s);
		else
			session_backend_connected(s);
		return;
	}
	why = evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
	up = s->upstream;
	if (up != NULL && up->next < up->addrs.naddrs) {
		char addr[SOCKADDR_STRLEN];

		log_debug("client=%s route=%s: backend %s: %s; trying its "
		    "next address", s->peer, s->route->name,
		    sockaddr_format(&up->addrs.addrs[up->next - 1].sa, addr,
		    sizeof(addr)), why);
		if (upstream_try_next(s, &why) == 0)
			return;
	}
	upstream_failed(s, 502, why);
}

static void
upstream_resolved(struct session *s, const struct resolve_result *res)
{
	const char *why;

	if (res->status != RESOLVE_OK) {
		upstream_failed(s, res->status == RESOLVE_BUSY ? 503 : 502,
		    res->why);
		return;
	}
	s->upstream->addrs = *res;
	s->upstream->next = 0;
	if (upstream_try_next(s, &why) != 0)
		upstream_failed(s, 502, why);
}

static void
upstream_resolved_cb(const struct resolve_result *res, void *arg)
{
	struct session *s = arg;

	s->upstream->wait = NULL;	/* the resolver frees it */
	upstream_resolved(s, res);
}

int
upstream_connect(struct session *s)
{
	const struct target *t = &s->target;
	struct resolve_result res;
	struct upstream *up;

	/* The session owns s->backend from here on, connected or not; the
	 * first connect attempt gives it its socket. */
	s->backend = bufferevent_socket_new(s->gw->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	up = calloc(1, sizeof(*up));
	if (s->backend == NULL || up == NULL) {
		free(up);
		return -1;
	}
	up->s = s;
	s->upstream = up;
	if (t->addrlen != 0) {
		memset(&res, 0, sizeof(res));
		res.status = RESOLVE_OK;
		res.naddrs = 1;
		memcpy(&res.addrs[0], &t->addr, t->addrlen);
	} else {
		up->wait = resolve_start(s->gw->resolver, t->host, t->port,
		    upstream_resolved_cb, s, &res);
		if (up->wait != NULL)
			return 0;
	}
	upstream_resolved(s, &res);
	return 0;
}
