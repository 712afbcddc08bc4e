/* upstream.c -- connecting a session to its route's backend */
#include "upstream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/util.h>

#include "config.h"
#include "gateway.h"
#include "session.h"
#include "tls.h"

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
	tls = tls_backend_new(s->gw->base, s->route, fd);
	if (tls == NULL) {
		session_backend_failed(s, 502, "cannot start TLS");
		return;
	}
	s->backend = tls;
	s->backend_tls = true;
	bufferevent_setcb(tls, NULL, NULL, upstream_tls_event_cb, s);
}

static void
upstream_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	int one = 1;
	int dnserr;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one));
		if (s->route->backend_tls)
			upstream_start_tls(s);
		else
			session_backend_connected(s);
		return;
	}
	dnserr = bufferevent_socket_get_dns_error(bev);
	if (dnserr != 0)
		session_backend_failed(s, 502, evutil_gai_strerror(dnserr));
	else
		session_backend_failed(s, 502,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

int
upstream_connect(struct session *s)
{
	const struct route *r = s->route;
	struct bufferevent *bev;
	int rc;

	bev = bufferevent_socket_new(s->gw->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return -1;
	s->backend = bev;
	bufferevent_setcb(bev, NULL, NULL, upstream_event_cb, s);
	if (r->backend_addrlen != 0)
		rc = bufferevent_socket_connect(bev,
		    (const struct sockaddr *)&r->backend_addr,
		    (int)r->backend_addrlen);
	else
		rc = bufferevent_socket_connect_hostname(bev, s->gw->dns,
		    AF_UNSPEC, r->backend_host, atoi(r->backend_port));
	/* A name answered from /etc/hosts can fail synchronously, inside
	 * the call; then the session has already been answered. */
	if (s->backend != bev)
		return 0;
	return rc == 0 ? 0 : -1;
}
