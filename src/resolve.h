/* resolve.h -- backend names to addresses per worker: /etc/hosts, then DNS, one lookup per name, cached */
#ifndef WSGATE_RESOLVE_H
#define WSGATE_RESOLVE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnscache.h"

/*
 * Per worker.  A name has at most one lookup in flight (an A and an AAAA
 * query); sessions that want it meanwhile wait on that lookup.  Bounding
 * lookups below evdns's own in-flight limit is what keeps a name whose
 * DNS server never answers from holding up every other name.
 */
#define RESOLVE_MAX_LOOKUPS 64		/* names being looked up at once */
#define RESOLVE_MAX_WAITERS 1024	/* sessions waiting for one name */
#define RESOLVE_CACHE_SIZE 1024		/* names remembered */

struct config;
struct event_base;
struct resolver;
struct resolve_wait;

enum resolve_status {
	RESOLVE_OK,
	RESOLVE_FAILED,		/* the name does not resolve (502) */
	RESOLVE_BUSY,		/* a lookup bound is reached (503) */
};

union resolve_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct resolve_result {
	enum resolve_status status;
	const char *why;		/* not OK: static text */
	size_t naddrs;			/* OK: at least 1; IPv4 first */
	union resolve_sockaddr addrs[DNSCACHE_MAX_ADDRS];
};

typedef void (*resolve_fn)(const struct resolve_result *res, void *arg);

/*
 * A resolver on base, set up from cfg (dns_servers, dns_timeout) and
 * /etc/resolv.conf, /etc/hosts.  NULL with a message in err.
 */
struct resolver *resolver_new(struct event_base *base,
    const struct config *cfg, char *err, size_t errsize);
/* A reload: apply cfg, read /etc/hosts and /etc/resolv.conf again, and
 * forget cached answers (lookups in flight go on). */
void resolver_reload(struct resolver *r, const struct config *cfg);
/* Drops lookups in flight without calling anyone back. */
void resolver_free(struct resolver *r);

/*
 * The addresses of host, with port.  Answered at once (a cached answer,
 * /etc/hosts, a numeric address, or a failure): fills *res and returns
 * NULL.  Otherwise returns a wait, and cb(res, arg) is called once, later,
 * from the event loop, unless resolve_cancel(wait) comes first.
 */
struct resolve_wait *resolve_start(struct resolver *r, const char *host,
    uint16_t port, resolve_fn cb, void *arg, struct resolve_result *res);
/* No answer wanted any more; the lookup itself goes on for the cache. */
void resolve_cancel(struct resolve_wait *w);

#endif
