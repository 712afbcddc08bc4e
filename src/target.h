/* target.h -- where an admitted session goes: its backend's address or unix path, backend TLS, PROXY mode and limits */
#ifndef WSGATE_TARGET_H
#define WSGATE_TARGET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct backend_health;
struct allow_rule;
struct limits;
struct route_backend;
struct tls_client;

enum target_kind {
	TARGET_TCP,		/* host and port */
	TARGET_UNIX,		/* a unix socket: addr.sun */
};

/* The PROXY protocol header written to the backend before any client
 * byte (proxy_proto.h). */
enum target_proxy {
	TARGET_PROXY_NONE,
	TARGET_PROXY_V1,
	TARGET_PROXY_V2,
};

#define TARGET_HOST_MAX 256	/* a DNS name (253) or an address, NUL */
#define TARGET_DISPLAY_MAX (TARGET_HOST_MAX + 16)	/* [host]:port */
#define TARGET_BACKENDS_MAX 16	/* a route's backends (ROUTE_BACKENDS_MAX) */

union target_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
};

/*
 * What a session connects to: decided by admission (admit.h), then copied
 * by value into the session's connection attempt (upstream.h), which owns
 * it until the backend is up; nothing of it is needed after that, so an
 * open session carries none of it.  Its pointers lead only into the
 * configuration the session holds a reference to: a target computed from
 * a token must copy what it needs here, never point into a token file or
 * a request that a reload, a file swap or the next read can free.
 */
struct target {
	enum target_kind kind;
	enum target_proxy proxy;
	char host[TARGET_HOST_MAX];	/* TCP: the name or address */
	uint16_t port;			/* TCP */
	/* A numeric host, or the unix path: connect without a lookup.
	 * addrlen 0: look host up (resolve.h). */
	union target_addr addr;
	socklen_t addrlen;
	/* Backend TLS: the route's context (built by tls.c), the name the
	 * backend must prove (NULL: host), whether its certificate is
	 * checked. */
	bool tls;
	const struct tls_client *tls_client;
	const char *tls_name;
	bool tls_verify;
	/* proxy: the client's (real) address and the one it connected to,
	 * for the header (front.c fills them once admitted). */
	struct sockaddr_storage proxy_src, proxy_dst;
	const struct limits *limits;	/* the route's */
	/*
	 * A host name a token named that no name entry of the route's
	 * allowed_targets lists: every address it resolves to must be in a
	 * range entry (allow_address), checked before connecting.  NULL: no
	 * such check.
	 */
	const struct allow_rule *allow;
	size_t nallow;
	/* backend= in log lines: the route's backend as written, or the
	 * target a token named ("host:port", "unix:/path"), copied. */
	char display[TARGET_DISPLAY_MAX];
	/*
	 * A route's several backends (nbackends > 1; else 0): the attempt
	 * (upstream.c) tries them in the order balance_order() gives for
	 * balance (enum route_balance) and their health, loading each in
	 * turn into kind, host, port, addr and display above; a failed one
	 * is marked in health for retry_after seconds.
	 */
	const struct route_backend *backends;
	unsigned nbackends;
	unsigned balance;
	struct backend_health *health;
	double retry_after;
};

#endif
