/* config_types.h -- the loaded configuration's types: plain structs, immutable once loaded (the loader is config.h) */
#ifndef WSGATE_CONFIG_TYPES_H
#define WSGATE_CONFIG_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Where a setting came from, for error messages: "file:line". */
struct config_where {
	const char *file;	/* owned by struct config (files[]) */
	int line;
};

/* A value whose problems may be found after parsing (certificates are
 * read by tls.c), so it keeps the place it was set. */
struct config_str {
	char *s;		/* NULL when not given */
	struct config_where where;
};

struct listen_spec {
	char *text;		/* as written, for logs */
	char host[256];
	char port[8];
	bool tls;
	/* "listen = ADDR proxy_protocol": every connection starts with a
	 * PROXY v1 or v2 header (proxy_proto.h), required. */
	bool proxy_protocol;
	bool http1_only;	/* "tls http1_only": ALPN offers no h2 */
	/* listen = unix:/path [mode=0660]: a unix stream socket. */
	bool unix_path;
	char path[108];		/* sizeof(sun_path) */
	unsigned mode;		/* its permissions */
	/* listen = fd:N: a listening socket inherited as descriptor N
	 * (websockify's --inetd passes it as stdin, fd 0). */
	bool from_fd;
	int fd;
	struct config_where where;
};

/* Settings a route may override; the [gateway] value applies otherwise. */
struct limits {
	uint64_t max_message_size;	/* bytes, 0 = unlimited */
	uint64_t max_buffer;		/* per direction, bytes */
	double backend_connect_timeout;
	double idle_timeout;		/* 0 = off */
	double close_timeout;
	/* Heartbeats: ping a client heard nothing from for ping_interval
	 * (0 = off); no pong (or anything) within pong_timeout closes it. */
	double ping_interval;
	double pong_timeout;
	double max_session_duration;	/* from the 101; 0 = off */
	unsigned send_as;		/* enum send_as: backend -> client */
	unsigned text_frames;		/* enum text_frames: client text */
};

/* send_as: the frames backend bytes become (text: valid UTF-8 only). */
enum send_as {
	SEND_AS_BINARY,
	SEND_AS_TEXT,
};

/* text_frames: what a client's text message does. */
enum text_frames {
	TEXT_FRAMES_ACCEPT,
	TEXT_FRAMES_REJECT,	/* closed with 1003, as websockify does */
};

enum tls_verify {
	TLS_VERIFY_OFF,		/* no client certificate asked for */
	TLS_VERIFY_OPTIONAL,	/* asked for; checked if sent */
	TLS_VERIFY_REQUIRED,	/* handshake fails without a valid one */
};

/* One certificate for TLS listeners: the [gateway] pair (the default) or
 * a [tls:NAME] section chosen by SNI server name. */
struct tls_cert_spec {
	char *section;		/* "gateway" or "tls:NAME" */
	struct config_str cert;	/* PEM chain, leaf 1st */
	struct config_str key;	/* PEM private key */
	char **server_names;	/* lower case; "*.example" wildcards */
	size_t nserver_names;
	struct config_where where;	/* the section header */
};

/* new_connections_per_client: a token bucket; per_second 0 = off. */
struct config_rate {
	double per_second;
	unsigned burst;
};

/* A list of CIDR ranges (cidr.h), e.g. metrics_allow, trusted_proxies. */
struct cidr;
struct cidr_list {
	struct cidr *v;
	size_t n;
	bool given;
};

/* backend = ...: at most this many per route (a fixed array in struct
 * target's attempt order). */
#define ROUTE_BACKENDS_MAX 16

/* One backend of a route: host:port, or unix:/path. */
struct route_backend {
	char *text;		/* as written, for logs */
	bool unix_path;		/* addr is the socket's sockaddr_un */
	char host[256];		/* TCP */
	char port[8];
	/* A numeric host or the unix path: connect without a lookup. */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* A route's balance: how its backends are tried. */
enum route_balance {
	BALANCE_FAILOVER,	/* in order; the next on failure */
	BALANCE_ROUND_ROBIN,	/* each session starts at the next one */
};

/*
 * Passive health of a route with several backends, shared by every
 * worker: written by connection attempts (upstream.c), so the only
 * mutable part of a loaded route.
 */
struct backend_health {
	atomic_uint next;		/* round robin */
	/* Monotonic milliseconds until which backend i is skipped. */
	_Atomic int64_t down_until[ROUTE_BACKENDS_MAX];
};

struct tls_server;	/* tls.c: contexts for TLS listeners */
struct tls_client;	/* tls.c: context for one route's backend */
struct route_count;	/* route_count.c: open sessions by route name */
struct allow_rule;	/* allow.h: allowed_targets */
struct targets;		/* targets.h: a token source, shared */
struct jwt_key;		/* jwt_verify.h */
struct htpasswd;	/* htpasswd.c: an auth_basic_file's users */

struct route {
	char *name;
	char *path;
	char *backend;		/* as written (the first backend) */
	char backend_host[256];
	char backend_port[8];
	/* Set when backend_host is a numeric address: connect without DNS. */
	struct sockaddr_storage backend_addr;
	socklen_t backend_addrlen;
	/* Every backend, the first one too (backend = a:1 b:2 ...). */
	struct route_backend *backends;
	size_t nbackends;
	unsigned balance;		/* enum route_balance */
	double backend_retry_after;	/* a failed backend is skipped */
	struct backend_health *health;	/* nbackends > 1 only */
	/* Host names (lower case; "*.example" wildcards) this route
	 * answers for; none: any Host. */
	char **hosts;
	size_t nhosts;

	char **origins;		/* normalised scheme://host[:port] */
	size_t norigins;
	bool origin_any;	/* "*" */
	bool allow_missing_origin;
	unsigned max_connections;	/* 0 = unlimited */
	struct limits limits;

	/* Sec-WebSocket-Protocol names the route accepts, in its order of
	 * preference (subproto.h); default "binary". */
	char **subprotocols;
	size_t nsubprotocols;
	bool require_subprotocol;

	/* Basic auth (auth_basic_file): the users, read and checked at load
	 * time (htpasswd.h), shared read-only by every worker; NULL: none. */
	struct htpasswd *auth_basic;
	struct config_str auth_basic_file;	/* the resolved path */
	struct config_str auth_basic_realm;	/* NULL: "wsgate" */

	/* Session recordings (recorder.h): the directory (resolved), NULL:
	 * none; a file's cap and the directory's. */
	char *record_dir;
	uint64_t record_max_bytes;
	uint64_t record_dir_max_bytes;

	/* Client certificate names (subject CN or DNS SAN) allowed to use
	 * the route; none = no certificate needed. */
	char **client_cns;
	size_t nclient_cns;

	/* TLS to the backend. */
	bool backend_tls;
	bool backend_tls_verify;	/* default yes */
	struct config_str backend_tls_ca;	/* NULL: system store */
	struct config_str backend_tls_cert;	/* client certificate */
	struct config_str backend_tls_key;
	struct config_str backend_tls_name;	/* NULL: backend_host */
	struct tls_client *tls;		/* built by tls_config_load */
	/* A PROXY header to the backend: target.h's enum target_proxy
	 * (none, v1, v2). */
	unsigned proxy_protocol;

	/* Computed targets (issue 11): the request's token names the
	 * backend, through a token file (targets) or its own signed claims
	 * (jwt_key); no backend then.  route_targets.c opens tokens and jwt
	 * after loading; both belong to this route. */
	struct config_str targets;	/* PATH: a file or directory */
	unsigned targets_format;	/* enum targets_format */
	unsigned token_source;		/* 0: query then cookie, 1: Host */
	struct config_str jwt_key;
	unsigned jwt_algorithm;		/* 0 HS256, 1 RS256, 2 ES256 */
	double jwt_leeway;		/* seconds (30) */
	struct config_str jwt_audience;
	struct config_str jwt_issuer;
	struct allow_rule *allow;	/* allowed_targets */
	size_t nallow;
	struct targets *tokens;
	struct jwt_key *jwt;

	struct config_where where;	/* the [route:NAME] line */
	/* Open sessions under this route's name, across reloads (set by
	 * route_counts_attach; NULL for a configuration only checked). */
	struct route_count *count;
};

struct config {
	atomic_int refcnt;
	char *path;			/* main file */
	char **files;			/* every file read, for config_where */
	size_t nfiles;

	struct listen_spec *listeners;
	size_t nlisteners;
	struct route *routes;
	size_t nroutes;

	char *routes_dir;		/* resolved path, or NULL */
	char *web_root;			/* static files for plain GET, or NULL */
	double handshake_timeout;
	double drain_timeout;
	double send_timeout;		/* web_root: client took nothing */
	/* Plain requests (web_root, health) on one HTTP/1.1 connection:
	 * at most keepalive_requests, keepalive_timeout idle between them
	 * (0: one request per connection). */
	unsigned keepalive_requests;
	double keepalive_timeout;
	struct config_str web_cache_control;	/* NULL: "no-cache" */
	uint64_t max_request_bytes;
	unsigned max_headers;
	/* HTTP/2 on TLS listeners (h2_conn.c), per connection. */
	unsigned h2_max_concurrent_streams;
	uint64_t h2_stream_window;	/* bytes a stream may send unread */
	unsigned h2_max_resets;		/* client resets, burst; 1/10 a second */
	unsigned h2_max_continuations;	/* per header block */
	unsigned h2_max_control_frames;	/* SETTINGS, PING, empty: a second */
	uint64_t h2_max_memory;		/* nghttp2's allocations */
	unsigned max_connections;	/* whole gateway, 0 = unlimited */
	unsigned max_handshakes;	/* connections not yet sessions, 0 = auto */
	unsigned max_handshakes_per_client;	/* 0 = no limit */
	unsigned max_connections_per_client;	/* sessions; 0 = no limit */
	struct config_rate new_connections_per_client;
	unsigned client_ipv6_prefix;	/* per-client limits' IPv6 group */
	unsigned workers;		/* event loop threads, 0 = auto */
	unsigned log_level;		/* log.h enum log_level (info) */
	unsigned log_format;		/* log.h enum log_format (text) */
	unsigned log_target;		/* log.h enum log_target (stderr) */
	char *health_path;		/* plain GET answered 200/503, or NULL */
	/* Basic auth for web_root files ([gateway] auth_basic_file); the
	 * health_path is never behind it.  NULL: none. */
	struct htpasswd *auth_basic;
	struct config_str auth_basic_file;
	struct config_str auth_basic_realm;
	char **dns_servers;		/* "addr:port"; none: resolv.conf's */
	size_t ndns_servers;
	double dns_timeout;		/* one name lookup, all tries */
	double backend_retry_after;	/* routes' default */
	struct limits limits;		/* defaults for routes */
	/* The metrics listener (admin.c): its addresses (none: off) and the
	 * peers it answers (not given: loopback only). */
	struct listen_spec *metrics_listen;
	size_t nmetrics_listen;
	struct cidr_list metrics_allow;
	/* Peers whose Forwarded / X-Forwarded-For name the client. */
	struct cidr_list trusted_proxies;

	/* TLS listeners: [gateway] tls_* keys and [tls:NAME] sections. */
	struct tls_cert_spec tls_default;	/* section "gateway" */
	struct tls_cert_spec *tls_sni;	/* [tls:NAME], in order */
	size_t ntls_sni;
	unsigned tls_min_version;	/* 12 (TLS 1.2) or 13 */
	struct config_str tls_ciphers;	/* TLS 1.2, OpenSSL syntax */
	struct config_str tls_ciphersuites;	/* TLS 1.3 */
	struct config_str tls_client_ca;
	enum tls_verify tls_verify_client;
	bool tls_session_tickets;	/* resumption (default yes) */
	double tls_ticket_lifetime;	/* seconds; key rotation too */
	struct config_str tls_ticket_key_file;	/* NULL: keys in memory */
	/* websockify's process options, read at start: exit after one
	 * session; stop accepting this long after start; exit after this
	 * long with no connection (0 = off). */
	bool run_once;
	double exit_after;
	double exit_when_idle;
	struct tls_server *tls;		/* built by tls_config_load */
	/*
	 * Frees tls and the routes' tls (set by tls.c).  A hook rather than
	 * a call keeps config.c free of OpenSSL, so the unit tests and fuzz
	 * targets link it alone.
	 */
	void (*tls_free)(struct config *cfg);
	/* Gives the routes' counters back (set by route_count.c). */
	void (*counts_free)(struct config *cfg);
	/* Closes the routes' token sources and JWT keys (route_targets.c). */
	void (*targets_free)(struct config *cfg);
};

#endif
