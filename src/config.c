/* config.c -- INI files (inih) to struct config: defaults, per-route merge, cross-checks, file:line errors */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "allow.h"
#include "cidr.h"
#include "duration.h"
#include "file.h"
#include "ipaddr.h"
#include "htpasswd.h"
#include "route.h"
#include "sni.h"
#include "subproto.h"
#include "suggest.h"
#include "value.h"

enum section_kind {
	SEC_NONE,	/* before the first section header */
	SEC_IGNORED,	/* a bad header, already reported */
	SEC_GATEWAY,
	SEC_ROUTE,
	SEC_TLS,	/* [tls:NAME] */
};

enum key_type {
	KT_LISTEN,	/* list of listen specs */
	KT_DIR,		/* directory, relative to the main file */
	KT_URLPATH,	/* "/..." */
	KT_SECONDS,
	KT_SIZE,
	KT_UINT,
	KT_BOOL,
	KT_BACKEND,
	KT_ORIGINS,	/* list */
	KT_FILE,	/* readable file, relative to the main file */
	KT_STRING,	/* struct config_str */
	KT_TLSVER,	/* 1.2 or 1.3 */
	KT_VERIFY,	/* off, optional, required */
	KT_WORKERS,	/* auto or 1-256 */
	KT_NAMES,	/* server_names: list of DNS names / wildcards */
	KT_CNS,		/* allowed_client_cns: comma-separated list */
	KT_DNS,		/* dns_servers: list of address[:port] */
	KT_CHOICE,	/* one word of choices[] below, stored as its index */
	KT_METRICS,	/* metrics_listen: list of host:port */
	KT_CIDRS,	/* struct cidr_list: CIDR ranges, commas or blanks */
	KT_RATE,	/* struct config_rate: "N/s", "N/m" or "N/h" [burst] */
	KT_HOSTS,	/* hosts: list of DNS names / wildcards */
	KT_SUBPROTOS,	/* subprotocols: list of tokens */
	KT_HTPASSWD,	/* auth_basic_file: read and parsed at load time */
	KT_PATH,	/* file or directory, relative to the main file */
	KT_ALLOW,	/* allowed_targets: list of allow.h entries */
};

#define SC_GATEWAY 1u
#define SC_ROUTE 2u
#define SC_INHERIT 4u	/* a route without it takes the [gateway] value */
#define SC_TLS 8u
#define NO_OFFSET ((size_t)-1)

struct key_def {
	const char *name;
	enum key_type type;
	unsigned scope;
	size_t gw_off;		/* into struct config */
	size_t sec_off;		/* into struct route, tls_cert_spec */
	double min, max;	/* for seconds, sizes and integers */
};

#define GW(f) offsetof(struct config, f)
#define RT(f) offsetof(struct route, f)
#define TL(f) offsetof(struct tls_cert_spec, f)
#define BOTH (SC_GATEWAY | SC_ROUTE)
#define LIMIT (SC_GATEWAY | SC_ROUTE | SC_INHERIT)

static const struct key_def keys[] = {
	{ "listen", KT_LISTEN, SC_GATEWAY, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "routes_dir", KT_DIR, SC_GATEWAY, GW(routes_dir), NO_OFFSET, 0, 0 },
	{ "web_root", KT_DIR, SC_GATEWAY, GW(web_root), NO_OFFSET, 0, 0 },
	{ "health_path", KT_URLPATH, SC_GATEWAY, GW(health_path), NO_OFFSET,
	  0, 0 },
	{ "handshake_timeout", KT_SECONDS, SC_GATEWAY, GW(handshake_timeout),
	  NO_OFFSET, 0.001, 3600 },
	{ "drain_timeout", KT_SECONDS, SC_GATEWAY, GW(drain_timeout),
	  NO_OFFSET, 0, 86400 },
	{ "send_timeout", KT_SECONDS, SC_GATEWAY, GW(send_timeout),
	  NO_OFFSET, 0.001, 3600 },
	{ "keepalive_requests", KT_UINT, SC_GATEWAY, GW(keepalive_requests),
	  NO_OFFSET, 1, 100000 },
	{ "keepalive_timeout", KT_SECONDS, SC_GATEWAY, GW(keepalive_timeout),
	  NO_OFFSET, 0, 3600 },
	{ "web_cache_control", KT_STRING, SC_GATEWAY, GW(web_cache_control),
	  NO_OFFSET, 0, 0 },
	{ "max_request_bytes", KT_SIZE, SC_GATEWAY, GW(max_request_bytes),
	  NO_OFFSET, 1024, 65536 },
	{ "max_headers", KT_UINT, SC_GATEWAY, GW(max_headers), NO_OFFSET,
	  1, 1000 },
	{ "h2_max_concurrent_streams", KT_UINT, SC_GATEWAY,
	  GW(h2_max_concurrent_streams), NO_OFFSET, 1, 10000 },
	{ "h2_stream_window", KT_SIZE, SC_GATEWAY, GW(h2_stream_window),
	  NO_OFFSET, 16384, 16u << 20 },
	{ "h2_max_resets", KT_UINT, SC_GATEWAY, GW(h2_max_resets), NO_OFFSET,
	  1, 100000 },
	{ "h2_max_continuations", KT_UINT, SC_GATEWAY, GW(h2_max_continuations),
	  NO_OFFSET, 1, 1000 },
	{ "h2_max_control_frames", KT_UINT, SC_GATEWAY,
	  GW(h2_max_control_frames), NO_OFFSET, 10, 1000000 },
	{ "h2_max_memory", KT_SIZE, SC_GATEWAY, GW(h2_max_memory), NO_OFFSET,
	  65536, 1ull << 32 },
	{ "max_connections", KT_UINT, BOTH, GW(max_connections),
	  RT(max_connections), 0, 10000000 },
	{ "max_handshakes", KT_UINT, SC_GATEWAY, GW(max_handshakes),
	  NO_OFFSET, 0, 10000000 },
	{ "max_handshakes_per_client", KT_UINT, SC_GATEWAY,
	  GW(max_handshakes_per_client), NO_OFFSET, 0, 10000000 },
	{ "max_message_size", KT_SIZE, LIMIT, GW(limits.max_message_size),
	  RT(limits.max_message_size), 0, (double)(1ull << 62) },
	{ "max_buffer", KT_SIZE, LIMIT, GW(limits.max_buffer),
	  RT(limits.max_buffer), 4096, (double)(1ull << 32) },
	{ "backend_connect_timeout", KT_SECONDS, LIMIT,
	  GW(limits.backend_connect_timeout),
	  RT(limits.backend_connect_timeout), 0.001, 3600 },
	{ "idle_timeout", KT_SECONDS, LIMIT, GW(limits.idle_timeout),
	  RT(limits.idle_timeout), 0, 86400 },
	{ "close_timeout", KT_SECONDS, LIMIT, GW(limits.close_timeout),
	  RT(limits.close_timeout), 0.001, 3600 },
	{ "ping_interval", KT_SECONDS, LIMIT, GW(limits.ping_interval),
	  RT(limits.ping_interval), 0, 86400 },
	{ "pong_timeout", KT_SECONDS, LIMIT, GW(limits.pong_timeout),
	  RT(limits.pong_timeout), 0.001, 3600 },
	{ "max_session_duration", KT_SECONDS, LIMIT,
	  GW(limits.max_session_duration), RT(limits.max_session_duration),
	  0, 366 * 86400 },
	{ "send_as", KT_CHOICE, LIMIT, GW(limits.send_as), RT(limits.send_as),
	  0, 0 },
	{ "text_frames", KT_CHOICE, LIMIT, GW(limits.text_frames),
	  RT(limits.text_frames), 0, 0 },
	{ "subprotocols", KT_SUBPROTOS, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "require_subprotocol", KT_BOOL, SC_ROUTE, NO_OFFSET,
	  RT(require_subprotocol), 0, 0 },
	{ "auth_basic_file", KT_HTPASSWD, BOTH, GW(auth_basic_file),
	  RT(auth_basic_file), 0, 0 },
	{ "auth_basic_realm", KT_STRING, BOTH, GW(auth_basic_realm),
	  RT(auth_basic_realm), 0, 0 },
	{ "record", KT_DIR, SC_ROUTE, NO_OFFSET, RT(record_dir), 0, 0 },
	{ "record_max_bytes", KT_SIZE, SC_ROUTE, NO_OFFSET,
	  RT(record_max_bytes), 1024, (double)(1ull << 40) },
	{ "record_dir_max_bytes", KT_SIZE, SC_ROUTE, NO_OFFSET,
	  RT(record_dir_max_bytes), 1 << 20, (double)(1ull << 50) },
	{ "path", KT_URLPATH, SC_ROUTE, NO_OFFSET, RT(path), 0, 0 },
	{ "backend", KT_BACKEND, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "origins", KT_ORIGINS, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "allow_missing_origin", KT_BOOL, SC_ROUTE, NO_OFFSET,
	  RT(allow_missing_origin), 0, 0 },
	{ "tls_cert", KT_FILE, SC_GATEWAY | SC_TLS, GW(tls_default.cert),
	  TL(cert), 0, 0 },
	{ "tls_key", KT_FILE, SC_GATEWAY | SC_TLS, GW(tls_default.key),
	  TL(key), 0, 0 },
	{ "server_names", KT_NAMES, SC_TLS, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "tls_min_version", KT_TLSVER, SC_GATEWAY, GW(tls_min_version),
	  NO_OFFSET, 0, 0 },
	{ "tls_ciphers", KT_STRING, SC_GATEWAY, GW(tls_ciphers), NO_OFFSET,
	  0, 0 },
	{ "tls_ciphersuites", KT_STRING, SC_GATEWAY, GW(tls_ciphersuites),
	  NO_OFFSET, 0, 0 },
	{ "tls_client_ca", KT_FILE, SC_GATEWAY, GW(tls_client_ca), NO_OFFSET,
	  0, 0 },
	{ "workers", KT_WORKERS, SC_GATEWAY, GW(workers), NO_OFFSET, 1, 256 },
	{ "log_level", KT_CHOICE, SC_GATEWAY, GW(log_level), NO_OFFSET, 0, 0 },
	{ "log_format", KT_CHOICE, SC_GATEWAY, GW(log_format), NO_OFFSET, 0, 0 },
	{ "log_target", KT_CHOICE, SC_GATEWAY, GW(log_target), NO_OFFSET, 0, 0 },
	{ "dns_servers", KT_DNS, SC_GATEWAY, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "dns_timeout", KT_SECONDS, SC_GATEWAY, GW(dns_timeout), NO_OFFSET,
	  0.1, 60 },
	{ "tls_verify_client", KT_VERIFY, SC_GATEWAY, GW(tls_verify_client),
	  NO_OFFSET, 0, 0 },
	{ "tls_session_tickets", KT_BOOL, SC_GATEWAY, GW(tls_session_tickets),
	  NO_OFFSET, 0, 0 },
	{ "tls_ticket_lifetime", KT_SECONDS, SC_GATEWAY,
	  GW(tls_ticket_lifetime), NO_OFFSET, 1, 86400 },
	{ "tls_ticket_key_file", KT_FILE, SC_GATEWAY, GW(tls_ticket_key_file),
	  NO_OFFSET, 0, 0 },
	{ "run_once", KT_BOOL, SC_GATEWAY, GW(run_once), NO_OFFSET, 0, 0 },
	{ "exit_after", KT_SECONDS, SC_GATEWAY, GW(exit_after), NO_OFFSET,
	  0, 31536000 },
	{ "exit_when_idle", KT_SECONDS, SC_GATEWAY, GW(exit_when_idle),
	  NO_OFFSET, 0, 31536000 },
	{ "allowed_client_cns", KT_CNS, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "backend_tls", KT_BOOL, SC_ROUTE, NO_OFFSET, RT(backend_tls), 0, 0 },
	{ "backend_tls_verify", KT_BOOL, SC_ROUTE, NO_OFFSET,
	  RT(backend_tls_verify), 0, 0 },
	{ "backend_tls_ca", KT_FILE, SC_ROUTE, NO_OFFSET, RT(backend_tls_ca),
	  0, 0 },
	{ "backend_tls_cert", KT_FILE, SC_ROUTE, NO_OFFSET,
	  RT(backend_tls_cert), 0, 0 },
	{ "backend_tls_key", KT_FILE, SC_ROUTE, NO_OFFSET,
	  RT(backend_tls_key), 0, 0 },
	{ "backend_tls_name", KT_STRING, SC_ROUTE, NO_OFFSET,
	  RT(backend_tls_name), 0, 0 },
	{ "metrics_listen", KT_METRICS, SC_GATEWAY, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "metrics_allow", KT_CIDRS, SC_GATEWAY, GW(metrics_allow), NO_OFFSET,
	  0, 0 },
	{ "trusted_proxies", KT_CIDRS, SC_GATEWAY, GW(trusted_proxies),
	  NO_OFFSET, 0, 0 },
	{ "proxy_protocol", KT_CHOICE, SC_ROUTE, NO_OFFSET,
	  RT(proxy_protocol), 0, 0 },
	{ "max_connections_per_client", KT_UINT, SC_GATEWAY,
	  GW(max_connections_per_client), NO_OFFSET, 0, 10000000 },
	{ "new_connections_per_client", KT_RATE, SC_GATEWAY,
	  GW(new_connections_per_client), NO_OFFSET, 0, 1000000 },
	{ "client_ipv6_prefix", KT_UINT, SC_GATEWAY, GW(client_ipv6_prefix),
	  NO_OFFSET, 1, 128 },
	{ "hosts", KT_HOSTS, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "balance", KT_CHOICE, SC_ROUTE, NO_OFFSET, RT(balance), 0, 0 },
	{ "backend_retry_after", KT_SECONDS, LIMIT, GW(backend_retry_after),
	  RT(backend_retry_after), 0, 3600 },
	{ "targets", KT_PATH, SC_ROUTE, NO_OFFSET, RT(targets), 0, 0 },
	{ "targets_format", KT_CHOICE, SC_ROUTE, NO_OFFSET,
	  RT(targets_format), 0, 0 },
	{ "token_source", KT_CHOICE, SC_ROUTE, NO_OFFSET, RT(token_source),
	  0, 0 },
	{ "jwt_key", KT_FILE, SC_ROUTE, NO_OFFSET, RT(jwt_key), 0, 0 },
	{ "jwt_algorithm", KT_CHOICE, SC_ROUTE, NO_OFFSET, RT(jwt_algorithm),
	  0, 0 },
	{ "jwt_leeway", KT_SECONDS, SC_ROUTE, NO_OFFSET, RT(jwt_leeway), 0,
	  3600 },
	{ "jwt_audience", KT_STRING, SC_ROUTE, NO_OFFSET, RT(jwt_audience),
	  0, 0 },
	{ "jwt_issuer", KT_STRING, SC_ROUTE, NO_OFFSET, RT(jwt_issuer), 0, 0 },
	{ "allowed_targets", KT_ALLOW, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
/* The keys given in a section are a bit set (struct sec_parse). */
/* The keys given in a section: a bit per key (more than 64 keys). */
struct keyset {
	uint64_t w[2];
};
static_assert(NKEYS <= 128, "more keys than bits in struct keyset");

static bool
keyset_has(const struct keyset *set, size_t i)
{
	return (set->w[i / 64] >> (i % 64)) & 1;
}

static void
keyset_add(struct keyset *set, size_t i)
{
	set->w[i / 64] |= UINT64_C(1) << (i % 64);
}

/* KT_CHOICE keys: their words, in the order of the numbers stored (the
 * enums of log.h). */
static const struct {
	const char *key;
	const char *words[4];
} choices[] = {
	{ "log_level", { "error", "warn", "info", "debug" } },
	{ "log_format", { "text", "json" } },
	{ "proxy_protocol", { "none", "v1", "v2" } },	/* target.h's */
	{ "log_target", { "stderr", "syslog" } },
	{ "balance", { "failover", "round_robin" } },	/* enum route_balance */
	{ "send_as", { "binary", "text" } },		/* enum send_as */
	{ "text_frames", { "accept", "reject" } },	/* enum text_frames */
	/* enum targets_format (targets.h) */
	{ "targets_format", { "tokenfile", "filename", "unix_socket_dir" } },
	{ "token_source", { "query", "host" } },
	{ "jwt_algorithm", { "HS256", "RS256", "ES256" } },
};

static size_t
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS && strcmp(keys[i].name, name) != 0; i++)
		;
	return i;
}

bool
config_key_known(const char *name)
{
	return key_index(name) < NKEYS;
}

static bool
key_given(struct keyset set, const char *name)
{
	return keyset_has(&set, key_index(name));
}

/* Per-section parse state kept beside cfg->routes and cfg->tls_sni (same
 * index). */
struct sec_parse {
	struct keyset set;		/* bit i: keys[i] given */
	int line[NKEYS];
	bool bad_origin;		/* one was refused: already reported */
};

struct parse {
	struct config *cfg;
	struct config_errors *errs;
	const char *text;		/* the file being parsed, whole */
	size_t len, pos;
	const char *file;		/* cfg->files[...] */
	char *dir;			/* directory of the main file */
	int line;
	bool route_file;		/* routes_dir file: routes only */
	bool have_key;			/* a key line seen in this section */
	bool continuation;		/* current line continues a value */

	enum section_kind kind;
	char section[128];
	size_t route;			/* index when kind == SEC_ROUTE */
	size_t tls;			/* index when kind == SEC_TLS */
	struct config_where gw_where;	/* the [gateway] header */
	bool gw_seen;
	struct keyset gw_set;
	int gw_line[NKEYS];
	struct sec_parse *rp;		/* parallel to cfg->routes */
	size_t route_cap;		/* room in cfg->routes and rp */
	struct sec_parse *tp;		/* parallel to cfg->tls_sni */
	void *route_names;		/* struct taken tree */
	void *tls_names;		/* struct taken tree: "tls:NAME" */
};

/*
 * Names already taken (routes, paths, [tls:NAME] sections, server names)
 * and the index of their first holder.  A tsearch(3) tree keeps each
 * duplicate check O(log n): a scan made 50,000 routes take seconds.
 */
struct taken {
	const char *name;	/* owned by the config */
	size_t index;
};

static int
taken_cmp(const void *a, const void *b)
{
	return strcmp(((const struct taken *)a)->name,
	    ((const struct taken *)b)->name);
}

/* The first holder of name, or NULL. */
static const struct taken *
taken_find(void *const *tree, const char *name)
{
	struct taken key = { name, 0 };
	void *node = tfind(&key, tree, taken_cmp);

	return node != NULL ? *(const struct taken **)node : NULL;
}

/* Record name for index unless taken: returns the first holder, or NULL
 * (also when out of memory: the check is then skipped). */
static const struct taken *
taken_claim(void **tree, const char *name, size_t index)
{
	struct taken *t = malloc(sizeof(*t));
	const struct taken *holder;
	void *node;

	if (t == NULL)
		return NULL;
	t->name = name;
	t->index = index;
	node = tsearch(t, tree, taken_cmp);
	holder = node != NULL ? *(const struct taken **)node : NULL;
	if (holder != t) {
		free(t);
		return holder;
	}
	return NULL;
}

static void
taken_free(void **tree)
{
	tdestroy(*tree, free);
	*tree = NULL;
}

static void
add_error(struct config_errors *errs, char *msg)
{
	char **m = realloc(errs->msgs, (errs->n + 1) * sizeof(*m));

	if (m == NULL) {
		free(msg);
		return;
	}
	errs->msgs = m;
	errs->msgs[errs->n++] = msg;
}

/* "file:line: [section] key: message" (parts omitted when empty). */
static void __attribute__((format(printf, 6, 0)))
verrorf(struct config_errors *errs, const char *file, int line,
    const char *section, const char *key, const char *fmt, va_list ap)
{
	/* Room for a 200-byte line quoted twice (value and suggested fix). */
	char msg[1024], *out;
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (section != NULL && section[0] != '\0')
		n = asprintf(&out, "%s:%d: [%s]%s%s: %s", file, line, section,
		    key != NULL ? " " : "", key != NULL ? key : "", msg);
	else
		n = asprintf(&out, "%s:%d: %s%s%s", file, line,
		    key != NULL ? key : "", key != NULL ? ": " : "", msg);
	if (n >= 0)
		add_error(errs, out);
}

static void __attribute__((format(printf, 6, 7)))
errorf(struct parse *ps, const char *file, int line, const char *section,
    const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf(ps->errs, file, line, section, key, fmt, ap);
	va_end(ap);
}

void
config_error_at(struct config_errors *errs, const struct config_where *where,
    const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf(errs, where->file != NULL ? where->file : "?", where->line,
	    section, key, fmt, ap);
	va_end(ap);
}

#define HERE(ps) (ps)->file, (ps)->line, (ps)->section

static const char *
remember_file(struct config *cfg, const char *path)
{
	char **f = realloc(cfg->files, (cfg->nfiles + 1) * sizeof(*f));
	char *copy = strdup(path);

	if (f == NULL || copy == NULL) {
		free(copy);
		if (f != NULL)
			cfg->files = f;
		return path;
	}
	cfg->files = f;
	cfg->files[cfg->nfiles++] = copy;
	return copy;
}

static void
limits_defaults(struct limits *l)
{
	l->max_message_size = 16u << 20;
	l->max_buffer = 256u << 10;
	l->backend_connect_timeout = 5;
	l->idle_timeout = 0;
	l->close_timeout = 5;
	l->ping_interval = 0;
	l->pong_timeout = 30;
	l->max_session_duration = 0;
	l->send_as = SEND_AS_BINARY;
	l->text_frames = TEXT_FRAMES_ACCEPT;
}

static struct config *
config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	atomic_init(&cfg->refcnt, 1);
	cfg->handshake_timeout = 10;
	cfg->drain_timeout = 30;
	cfg->send_timeout = 30;
	cfg->keepalive_requests = 100;
	cfg->keepalive_timeout = 15;
	cfg->max_request_bytes = 8192;
	cfg->max_headers = 64;
	cfg->h2_max_concurrent_streams = 100;
	cfg->h2_stream_window = 64u << 10;
	cfg->h2_max_resets = 100;
	cfg->h2_max_continuations = 8;
	cfg->h2_max_control_frames = 1000;
	cfg->h2_max_memory = 1u << 20;
	cfg->dns_timeout = 4;
	cfg->backend_retry_after = 10;
	cfg->max_handshakes_per_client = 32;
	cfg->client_ipv6_prefix = 64;
	cfg->log_level = 2;	/* info */
	limits_defaults(&cfg->limits);
	cfg->tls_min_version = 12;
	cfg->tls_session_tickets = true;
	cfg->tls_ticket_lifetime = 3600;
	cfg->tls_default.section = strdup("gateway");
	if (cfg->tls_default.section == NULL) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

/* A [route:NAME] or [tls:NAME] name: letters, digits, '-', '_', '.'. */
static bool
section_name_ok(struct parse *ps, const char *kind, const char *name)
{
	if (name[0] == '\0') {
		errorf(ps, HERE(ps), NULL, "%s needs a name: [%s:NAME]", kind,
		    kind);
		return false;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' &&
		    *c != '.') {
			errorf(ps, HERE(ps), NULL, "%s name may only contain "
			    "letters, digits, '-', '_' and '.'", kind);
			return false;
		}
	}
	return true;
}

static void
tls_section_begin(struct parse *ps, const char *tname)
{
	struct config *cfg = ps->cfg;
	struct tls_cert_spec *specs, *t;
	const struct taken *first;
	struct sec_parse *tp;

	if (ps->route_file) {
		errorf(ps, HERE(ps), NULL, "only [route:NAME] sections belong "
		    "in routes_dir files; move this to the main file");
		return;
	}
	if (!section_name_ok(ps, "tls", tname))
		return;
	first = taken_find(&ps->tls_names, ps->section);
	if (first != NULL) {
		const struct tls_cert_spec *o = &cfg->tls_sni[first->index];

		errorf(ps, HERE(ps), NULL, "section declared twice (first at "
		    "%s:%d)", o->where.file, o->where.line);
		return;
	}
	specs = realloc(cfg->tls_sni, (cfg->ntls_sni + 1) * sizeof(*specs));
	if (specs == NULL)
		return;
	cfg->tls_sni = specs;
	tp = realloc(ps->tp, (cfg->ntls_sni + 1) * sizeof(*tp));
	if (tp == NULL)
		return;
	ps->tp = tp;
	t = &cfg->tls_sni[cfg->ntls_sni];
	memset(t, 0, sizeof(*t));
	memset(&ps->tp[cfg->ntls_sni], 0, sizeof(*tp));
	t->section = strdup(ps->section);
	if (t->section == NULL)
		return;
	t->where.file = ps->file;
	t->where.line = ps->line;
	taken_claim(&ps->tls_names, t->section, cfg->ntls_sni);
	ps->tls = cfg->ntls_sni++;
	ps->kind = SEC_TLS;
}

/* "[gatway]", "[rout:vnc]", "[route]": name the section meant. */
static void
unknown_section(struct parse *ps)
{
	static const char *const kinds[] = { "gateway", "route", "tls" };
	const char *colon = strchr(ps->section, ':');
	const char *rest = colon != NULL && colon[1] != '\0' ? colon + 1 :
	    "NAME";
	char word[sizeof(ps->section)];
	const char *pick;

	snprintf(word, sizeof(word), "%.*s", colon != NULL ?
	    (int)(colon - ps->section) : (int)strlen(ps->section),
	    ps->section);
	pick = suggest_closest(word, kinds, sizeof(kinds) / sizeof(*kinds));
	if (pick == NULL)
		errorf(ps, HERE(ps), NULL, "unknown section; expected "
		    "[gateway], [route:NAME] or [tls:NAME]");
	else if (pick == kinds[0])
		errorf(ps, HERE(ps), NULL, "unknown section; did you mean "
		    "[gateway]?");
	else
		errorf(ps, HERE(ps), NULL, "unknown section; did you mean "
		    "[%s:%s]?", pick, rest);
}

static void
section_begin(struct parse *ps, const char *name, size_t len)
{
	struct config *cfg = ps->cfg;

	snprintf(ps->section, sizeof(ps->section), "%.*s", (int)len, name);
	ps->have_key = false;
	ps->kind = SEC_IGNORED;
	if (len >= sizeof(ps->section)) {
		errorf(ps, ps->file, ps->line, NULL, NULL, "section name "
		    "longer than %zu bytes", sizeof(ps->section) - 1);
		return;
	}

	if (strcmp(ps->section, "gateway") == 0) {
		if (ps->route_file) {
			errorf(ps, HERE(ps), NULL, "only [route:NAME] sections "
			    "belong in routes_dir files; move this to the main "
			    "file");
		} else if (ps->gw_seen) {
			errorf(ps, HERE(ps), NULL, "section declared twice "
			    "(first at %s:%d)", ps->gw_where.file,
			    ps->gw_where.line);
		} else {
			ps->gw_seen = true;
			ps->gw_where.file = ps->file;
			ps->gw_where.line = ps->line;
			ps->kind = SEC_GATEWAY;
		}
		return;
	}
	if (strncmp(ps->section, "route:", 6) == 0) {
		const char *rname = ps->section + 6;
		const struct taken *first;
		struct route *r;

		if (!section_name_ok(ps, "route", rname))
			return;
		first = taken_find(&ps->route_names, rname);
		if (first != NULL) {
			const struct route *o = &cfg->routes[first->index];

			errorf(ps, HERE(ps), NULL, "route declared twice "
			    "(first at %s:%d)", o->where.file, o->where.line);
			return;
		}
		if (cfg->nroutes == ps->route_cap) {
			/* Doubling: one route at a time would copy them all
			 * each time. */
			size_t cap = ps->route_cap ? ps->route_cap * 2 : 8;
			struct route *routes = realloc(cfg->routes,
			    cap * sizeof(*routes));
			struct sec_parse *rp;

			if (routes == NULL)
				return;
			cfg->routes = routes;
			rp = realloc(ps->rp, cap * sizeof(*rp));
			if (rp == NULL)
				return;
			ps->rp = rp;
			ps->route_cap = cap;
		}
		r = &cfg->routes[cfg->nroutes];
		memset(r, 0, sizeof(*r));
		memset(&ps->rp[cfg->nroutes], 0, sizeof(*ps->rp));
		r->name = strdup(rname);
		if (r->name == NULL)
			return;
		r->where.file = ps->file;
		r->where.line = ps->line;
		r->backend_tls_verify = true;
		r->jwt_leeway = 30;
		taken_claim(&ps->route_names, r->name, cfg->nroutes);
		ps->route = cfg->nroutes++;
		ps->kind = SEC_ROUTE;
		return;
	}
	if (strncmp(ps->section, "tls:", 4) == 0) {
		tls_section_begin(ps, ps->section + 4);
		return;
	}
	unknown_section(ps);
}

/* inih's test for "key = value": '=' or ':' before any inline comment
 * (';' after a blank); inih rejects the line otherwise. */
static bool
has_key_separator(const char *s)
{
	bool was_space = false;

	for (; *s != '\0'; s++) {
		if (*s == '=' || *s == ':')
			return true;
		if (*s == ';' && was_space)
			return false;
		was_space = isspace((unsigned char)*s);
	}
	return false;
}

/* fgets(3) on the file in memory: up to num - 1 bytes, through '\n'. */
static char *
text_gets(struct parse *ps, char *str, int num)
{
	const char *p = ps->text + ps->pos;
	size_t n = ps->len - ps->pos;
	const char *nl;

	if (n == 0 || num < 2)
		return NULL;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	nl = memchr(p, '\n', n);
	if (nl != NULL)
		n = (size_t)(nl - p) + 1;
	memcpy(str, p, n);
	str[n] = '\0';
	ps->pos += n;
	return str;
}

/*
 * inih reader: counts lines (Debian's libinih gives handlers no line
 * numbers), sees every section header (inih skips empty sections), and
 * catches what inih would silently mangle (over-long lines) or report only
 * once (syntax errors), so every problem gets its own file:line.
 */
static char *
config_reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	char *s;
	size_t n;

	if (text_gets(ps, str, num) == NULL)
		return NULL;
	ps->line++;
	ps->continuation = false;
	n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' &&
	    ps->pos < ps->len) {
		while (ps->pos < ps->len && ps->text[ps->pos++] != '\n')
			;
		errorf(ps, ps->file, ps->line, NULL, NULL, "line longer than "
		    "%d bytes; split long lists over repeated keys "
		    "(e.g. one \"origins = ...\" per line)", num - 3);
		strcpy(str, "\n");
		return str;
	}
	s = str;
	if (ps->line == 1 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\r' || *s == '\n' || *s == ';' || *s == '#')
		return str;
	/* inih's order: an indented line after a key continues its value. */
	if (s > str && ps->have_key) {
		ps->continuation = true;
		return str;
	}
	if (*s == '[') {
		char *close = strchr(s, ']');

		if (close == NULL) {
			errorf(ps, ps->file, ps->line, NULL, NULL,
			    "section header without ']'");
			ps->kind = SEC_IGNORED;
			strcpy(str, "\n");
			return str;
		}
		section_begin(ps, s + 1, (size_t)(close - s - 1));
		return str;
	}
	if (!has_key_separator(s)) {
		errorf(ps, ps->file, ps->line, NULL, NULL, "syntax error: "
		    "expected \"key = value\", \"[section]\" or a comment");
		strcpy(str, "\n");
		return str;
	}
	ps->have_key = true;
	return str;
}

/* The key name in scope; else NULL with *other_scope = the scopes where
 * it does belong (0 if unknown). */
static const struct key_def *
key_find(const char *name, unsigned scope, unsigned *other_scope)
{
	*other_scope = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (keys[i].scope & scope)
			return &keys[i];
		*other_scope |= keys[i].scope;
	}
	return NULL;
}

static const char *
scope_text(unsigned scope)
{
	switch (scope & (SC_GATEWAY | SC_ROUTE | SC_TLS)) {
	case SC_GATEWAY:
		return "[gateway]";
	case SC_ROUTE:
		return "a [route:NAME] section";
	case SC_TLS:
		return "a [tls:NAME] section";
	case SC_GATEWAY | SC_TLS:
		return "[gateway] or a [tls:NAME] section";
	default:
		return "[gateway] or a [route:NAME] section";
	}
}

/* A typo gets the key meant: one of this section's first, else one that
 * belongs elsewhere (said so, or the fix would be the next error). */
static void
unknown_key(struct parse *ps, const char *name, unsigned scope)
{
	const char *names[NKEYS], *pick = NULL;

	for (int pass = 0; pass < 2 && pick == NULL; pass++) {
		for (size_t i = 0; i < NKEYS; i++) {
			bool here = (keys[i].scope & scope) != 0;

			names[i] = here == (pass == 0) ? keys[i].name : NULL;
		}
		pick = suggest_closest(name, names, NKEYS);
		if (pick != NULL && pass == 1) {
			unsigned other;

			key_find(pick, 0, &other);
			errorf(ps, HERE(ps), name, "unknown key; did you mean "
			    "%s? (it belongs in %s)", pick, scope_text(other));
			return;
		}
	}
	if (pick != NULL)
		errorf(ps, HERE(ps), name, "unknown key; did you mean %s?",
		    pick);
	else
		errorf(ps, HERE(ps), name, "unknown key");
}

/* Split a list value on commas and blanks; stops at an inline comment. */
static const char *
list_next(const char *p, size_t *len)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (*p == '\0' || *p == ';' || *p == '#')
		return NULL;
	*len = strcspn(p, " \t,");
	return p;
}

/*
 * inih (r55) starts an inline comment at " ;" only, so "idle_timeout = 5m
 * # five minutes" hands over "5m # five minutes".  A key of one value
 * refuses a '#' after a blank and shows the line to write; lists end at a
 * word starting with '#' instead (list_next).  Returns whether reported.
 */
static bool
hash_comment(struct parse *ps, const char *key, const char *value)
{
	const char *h = value;
	size_t n;

	while ((h = strchr(h, '#')) != NULL && h > value &&
	    h[-1] != ' ' && h[-1] != '\t')
		h++;
	if (h == NULL)
		return false;
	n = (size_t)(h - value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (n == 0)
		errorf(ps, HERE(ps), key, "\"%s\": after \"=\" only \" ;\" "
		    "starts a comment, so this is the value; give a value, or "
		    "put '#' first on the line to comment it out", value);
	else
		errorf(ps, HERE(ps), key, "\"%s\": after a value only \" ;\" "
		    "starts a comment, so \"%s\" is part of the value; write "
		    "%s = %.*s ;%s", value, h, key, (int)n, value, h + 1);
	return true;
}

/* Whether s is a host:port value_hostport takes (to suggest it). */
static bool
hostport_ok(const char *s, enum hostport_use use)
{
	char host[256], port[8];
	const char *why;

	return value_hostport(s, use, host, sizeof(host), port, sizeof(port),
	    &why) == 0;
}

/* A listen or backend value value_hostport refused: what a first
 * configuration gets wrong (a port alone, no port, a URL) gets the line to
 * write; anything else value_hostport's reason. */
static void
hostport_error(struct parse *ps, const char *key, const char *s,
    const char *why)
{
	bool listen = strcmp(key, "listen") == 0;
	enum hostport_use use = listen ? HOSTPORT_LISTEN : HOSTPORT_BACKEND;
	const char *scheme = strstr(s, "://");
	const char *port = s[0] == ':' ? s + 1 : s;
	char fix[300];

	snprintf(fix, sizeof(fix), "127.0.0.1:%s", port);
	if (port[0] != '\0' && port[strspn(port, "0123456789")] == '\0') {
		if (!hostport_ok(fix, use))
			errorf(ps, HERE(ps), key, "\"%s\": %s", s, why);
		else if (listen)
			errorf(ps, HERE(ps), key, "\"%s\": a port needs an "
			    "address: write *:%s (every address) or "
			    "127.0.0.1:%s (this machine only)", s, port, port);
		else
			errorf(ps, HERE(ps), key, "\"%s\": a port needs a "
			    "host: write host:%s, e.g. backend = "
			    "127.0.0.1:%s", s, port, port);
		return;
	}
	if (scheme != NULL) {
		snprintf(fix, sizeof(fix), "%.*s", (int)strcspn(scheme + 3,
		    "/?#"), scheme + 3);
		if (hostport_ok(fix, use)) {
			errorf(ps, HERE(ps), key, "\"%s\": only host:port, "
			    "no scheme or path: write %s = %s", s, key, fix);
			return;
		}
	}
	if (strchr(s, ':') == NULL || (s[0] == '[' && s[strlen(s) - 1] ==
	    ']')) {
		snprintf(fix, sizeof(fix), "%s:%s", s, listen ? "8080" :
		    "5900");
		if (hostport_ok(fix, use)) {
			errorf(ps, HERE(ps), key, "\"%s\": no port: write "
			    "%s:PORT, e.g. %s = %s", s, s, key, fix);
			return;
		}
	}
	errorf(ps, HERE(ps), key, "\"%s\": %s", s, why);
}

/* An origin refused with a path: the part to keep is the origin. */
static void
origin_error(struct parse *ps, const char *p, size_t len, const char *why)
{
	const char *scheme = memmem(p, len, "://", 3);
	const char *slash = scheme == NULL ? NULL :
	    memchr(scheme + 3, '/', len - (size_t)(scheme + 3 - p));
	char norm[ORIGIN_MAX];
	const char *why2;

	if (slash != NULL && origin_normalize(p, (size_t)(slash - p), norm,
	    sizeof(norm), &why2) == 0) {
		errorf(ps, HERE(ps), "origins", "\"%.*s\": an origin has no "
		    "path%s: write %.*s", (int)len, p,
		    slash == p + len - 1 ? ", not even \"/\"" : "",
		    (int)(slash - p), p);
		return;
	}
	errorf(ps, HERE(ps), "origins", "\"%.*s\": %s", (int)len, p, why);
}

static char *
resolve_dir(struct parse *ps, const char *key, const char *value)
{
	char joined[PATH_MAX], real[PATH_MAX];
	struct stat st;
	char *out;

	if (value[0] == '/')
		snprintf(joined, sizeof(joined), "%s", value);
	else
		snprintf(joined, sizeof(joined), "%s/%s", ps->dir, value);
	if (realpath(joined, real) == NULL || stat(real, &st) != 0) {
		errorf(ps, HERE(ps), key, "%s: %s", joined, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		errorf(ps, HERE(ps), key, "%s is not a directory", joined);
		return NULL;
	}
	out = strdup(real);
	return out;
}

/* A unix socket path as log lines can show it unquoted: no blank, quote,
 * backslash or control character. */
static bool
unix_path_ok(struct parse *ps, const char *key, const char *word,
    const char *path)
{
	for (const char *c = path; *c != '\0'; c++) {
		if ((unsigned char)*c > 0x20 && *c != 0x7f && *c != '"' &&
		    *c != '\\')
			continue;
		errorf(ps, HERE(ps), key, "\"%s\": a unix socket path may "
		    "not contain quotes, backslashes or control characters "
		    "(log lines show it as it is)", word);
		return false;
	}
	return true;
}

/* listen's words after the address: "tls", "mode=0660" (unix only). */
static int
listen_options(struct parse *ps, struct listen_spec *spec, const char *rest)
{
	const char *p = rest;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		const char *start = p;
		unsigned long mode;
		char word[32];

		snprintf(word, sizeof(word), "%.*s", (int)len, p);
		p += len;
		if (strcmp(word, "tls") == 0) {
			spec->tls = true;
			continue;
		}
		if (strcmp(word, "proxy_protocol") == 0) {
			spec->proxy_protocol = true;
			continue;
		}
		/* ALPN offers http/1.1 alone: no HTTP/2 (h2_conn.c). */
		if (strcmp(word, "http1_only") == 0 && spec->tls) {
			spec->http1_only = true;
			continue;
		}
		if (strncmp(word, "mode=", 5) == 0 && spec->unix_path) {
			char *end;

			errno = 0;
			mode = strtoul(word + 5, &end, 8);
			if (word[5] != '\0' && *end == '\0' && errno == 0 &&
			    mode <= 0777) {
				spec->mode = (unsigned)mode;
				continue;
			}
			errorf(ps, HERE(ps), "listen", "\"%s\": expected an "
			    "octal mode from 0 to 0777, e.g. mode=0660", word);
			return -1;
		}
		errorf(ps, HERE(ps), "listen", "unexpected \"%s\" after the "
		    "address (one address per listen line; optional %s)",
		    start, spec->unix_path ? "words: tls, proxy_protocol, "
		    "mode=0660" : "words: tls, or tls http1_only, "
		    "proxy_protocol");
		return -1;
	}
	return 0;
}

/* listen = unix:/path: absolute, and fits a sockaddr_un. */
static int
listen_unix(struct parse *ps, struct listen_spec *spec, const char *addr)
{
	const char *path = addr + 5;

	if (path[0] != '/') {
		errorf(ps, HERE(ps), "listen", "\"%s\": a unix socket path "
		    "must be absolute, e.g. listen = unix:/run/wsgate/"
		    "wsgate.sock", addr);
		return -1;
	}
	if (strlen(path) >= sizeof(spec->path)) {
		errorf(ps, HERE(ps), "listen", "\"%s\": a unix socket path is "
		    "at most %zu bytes", addr, sizeof(spec->path) - 1);
		return -1;
	}
	if (!unix_path_ok(ps, "listen", addr, path))
		return -1;
	memcpy(spec->path, path, strlen(path) + 1);
	snprintf(spec->host, sizeof(spec->host), "unix");
	spec->unix_path = true;
	spec->mode = 0660;
	return 0;
}

/* listen = fd:N: a descriptor number, 0-1023 (whether it is a listening
 * socket is only known when wsgate starts: listener.c). */
static int
listen_fd(struct parse *ps, struct listen_spec *spec, const char *addr)
{
	const char *d = addr + 3;
	size_t n = strspn(d, "0123456789");

	if (n == 0 || n > 4 || d[n] != '\0' || atoi(d) > 1023) {
		errorf(ps, HERE(ps), "listen", "\"%s\": fd:N takes a descriptor "
		    "number 0-1023 (fd:0 is stdin, as inetd passes it)", addr);
		return -1;
	}
	spec->from_fd = true;
	spec->fd = atoi(d);
	snprintf(spec->host, sizeof(spec->host), "fd");
	return 0;
}

static void
set_listen(struct parse *ps, const char *value)
{
	struct config *cfg = ps->cfg;
	struct listen_spec *ls, spec;
	char addr[300];
	const char *why;
	size_t alen = strcspn(value, " \t");

	if (hash_comment(ps, "listen", value))
		return;
	memset(&spec, 0, sizeof(spec));
	if (alen >= sizeof(addr)) {
		errorf(ps, HERE(ps), "listen", "address too long");
		return;
	}
	memcpy(addr, value, alen);
	addr[alen] = '\0';
	if (strncmp(addr, "unix:", 5) == 0) {
		if (listen_unix(ps, &spec, addr) != 0)
			return;
	} else if (strncmp(addr, "fd:", 3) == 0) {
		if (listen_fd(ps, &spec, addr) != 0)
			return;
	} else if (value_hostport(addr, HOSTPORT_LISTEN, spec.host,
	    sizeof(spec.host), spec.port, sizeof(spec.port), &why) != 0) {
		if (listen_options(ps, &spec, value + alen) == 0)
			hostport_error(ps, "listen", addr, why);
		return;
	}
	if (listen_options(ps, &spec, value + alen) != 0)
		return;
	spec.text = strdup(addr);
	spec.where.file = ps->file;
	spec.where.line = ps->line;
	ls = realloc(cfg->listeners, (cfg->nlisteners + 1) * sizeof(*ls));
	if (spec.text == NULL || ls == NULL) {
		free(spec.text);
		if (ls != NULL)
			cfg->listeners = ls;
		return;
	}
	cfg->listeners = ls;
	cfg->listeners[cfg->nlisteners++] = spec;
}

/* One backend: host:port, or unix:/path (an absolute path that fits a
 * sockaddr_un). */
static bool
parse_backend(struct parse *ps, struct route_backend *b, const char *word)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&b->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&b->addr;
	struct sockaddr_un *sun = (struct sockaddr_un *)&b->addr;
	const char *why;

	memset(b, 0, sizeof(*b));
	if (strncmp(word, "unix:", 5) == 0) {
		const char *path = word + 5;
		size_t n = strlen(path);

		if (path[0] != '/') {
			errorf(ps, HERE(ps), "backend", "\"%s\": a unix socket "
			    "path must be absolute, e.g. backend = "
			    "unix:/run/vnc/console.sock", word);
			return false;
		}
		if (n >= sizeof(sun->sun_path)) {
			errorf(ps, HERE(ps), "backend", "\"%s\": a unix socket "
			    "path is at most %zu bytes", word,
			    sizeof(sun->sun_path) - 1);
			return false;
		}
		if (!unix_path_ok(ps, "backend", word, path))
			return false;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, n + 1);
		b->addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + n + 1);
		b->unix_path = true;
	} else if (value_hostport(word, HOSTPORT_BACKEND, b->host,
	    sizeof(b->host), b->port, sizeof(b->port), &why) != 0) {
		hostport_error(ps, "backend", word, why);
		return false;
	} else if (inet_pton(AF_INET, b->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(b->port));
		b->addrlen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, b->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)atoi(b->port));
		b->addrlen = sizeof(*sin6);
	}
	b->text = strdup(word);
	return b->text != NULL;
}

/* backend = a list (several per line, repeated or continued lines); the
 * first is also kept in the route's single-backend fields. */
static void
set_backend(struct parse *ps, struct route *r, const char *value)
{
	const char *p = value;
	size_t len;

	if (hash_comment(ps, "backend", value))
		return;
	while ((p = list_next(p, &len)) != NULL) {
		char word[300];
		struct route_backend b, *bs;

		snprintf(word, sizeof(word), "%.*s", (int)len, p);
		p += len;
		if (r->nbackends == ROUTE_BACKENDS_MAX) {
			errorf(ps, HERE(ps), "backend", "\"%s\": more than %d "
			    "backends in one route; split them over several "
			    "routes (hosts or paths)", word,
			    ROUTE_BACKENDS_MAX);
			return;
		}
		if (!parse_backend(ps, &b, word))
			continue;
		for (size_t i = 0; i < r->nbackends; i++) {
			if (strcmp(r->backends[i].text, b.text) == 0) {
				errorf(ps, HERE(ps), "backend", "\"%s\" is "
				    "listed twice", word);
				free(b.text);
				b.text = NULL;
				break;
			}
		}
		if (b.text == NULL)
			continue;
		bs = realloc(r->backends, (r->nbackends + 1) * sizeof(*bs));
		if (bs == NULL) {
			free(b.text);
			return;
		}
		r->backends = bs;
		r->backends[r->nbackends++] = b;
		if (r->nbackends > 1)
			continue;
		r->backend = strdup(b.text);
		memcpy(r->backend_host, b.host, sizeof(r->backend_host));
		memcpy(r->backend_port, b.port, sizeof(r->backend_port));
		memcpy(&r->backend_addr, &b.addr, sizeof(r->backend_addr));
		r->backend_addrlen = b.addrlen;
	}
}

static void
add_origins(struct parse *ps, struct route *r, const char *value)
{
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		char norm[ORIGIN_MAX];
		const char *why;
		char **o;

		if (len == 1 && *p == '*') {
			r->origin_any = true;
		} else if (origin_normalize(p, len, norm, sizeof(norm),
		    &why) != 0) {
			origin_error(ps, p, len, why);
			ps->rp[ps->route].bad_origin = true;
		} else {
			o = realloc(r->origins,
			    (r->norigins + 1) * sizeof(*o));
			if (o == NULL)
				return;
			r->origins = o;
			r->origins[r->norigins] = strdup(norm);
			if (r->origins[r->norigins] != NULL)
				r->norigins++;
		}
		p += len;
	}
}

static bool
add_string(char ***list, size_t *n, const char *p, size_t len)
{
	char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (l == NULL)
		return false;
	*list = l;
	l[*n] = strndup(p, len);
	if (l[*n] == NULL)
		return false;
	(*n)++;
	return true;
}

static void
add_server_names(struct parse *ps, struct tls_cert_spec *t,
    const char *value)
{
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		const char *why;

		if (!sni_pattern_valid(p, len, &why)) {
			errorf(ps, HERE(ps), "server_names", "\"%.*s\": %s",
			    (int)len, p, why);
		} else if (add_string(&t->server_names, &t->nserver_names, p,
		    len)) {
			char *n = t->server_names[t->nserver_names - 1];

			/* DNS names compare without case (RFC 4343). */
			for (; *n != '\0'; n++)
				*n = (char)tolower((unsigned char)*n);
		}
		p += len;
	}
}

/* hosts: the Host names a route answers for, as server_names. */
static void
add_hosts(struct parse *ps, struct route *r, const char *value)
{
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		const char *why;
		const char *colon = memchr(p, ':', len);

		if (colon != NULL && colon > p && sni_pattern_valid(p,
		    (size_t)(colon - p), &why)) {
			errorf(ps, HERE(ps), "hosts", "\"%.*s\": a name "
			    "without its port (a Host's port is ignored): "
			    "write %.*s", (int)len, p, (int)(colon - p), p);
		} else if (!sni_pattern_valid(p, len, &why)) {
			errorf(ps, HERE(ps), "hosts", "\"%.*s\": %s", (int)len,
			    p, why);
		} else if (add_string(&r->hosts, &r->nhosts, p, len)) {
			char *n = r->hosts[r->nhosts - 1];

			/* DNS names compare without case (RFC 4343). */
			for (; *n != '\0'; n++)
				*n = (char)tolower((unsigned char)*n);
		}
		p += len;
	}
}

/* dns_servers: IPv4 or IPv6 addresses, each with an optional port (53),
 * kept as "a.b.c.d:port" / "[v6]:port" for evdns. */
static void
add_dns_servers(struct parse *ps, const char *value)
{
	struct config *cfg = ps->cfg;
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		char tok[80], host[80], norm[96];
		const char *port = "53", *end;
		unsigned char a[16];
		unsigned long v;
		bool v6;

		snprintf(tok, sizeof(tok), "%.*s", (int)len, p);
		p += len;
		snprintf(host, sizeof(host), "%s", tok);
		if (tok[0] == '[' && (end = strchr(tok, ']')) != NULL) {
			snprintf(host, sizeof(host), "%.*s",
			    (int)(end - tok - 1), tok + 1);
			port = end[1] == ':' ? end + 2 :
			    end[1] == '\0' ? "53" : end + 1;
		} else if ((end = strchr(tok, ':')) != NULL &&
		    strchr(end + 1, ':') == NULL) {
			snprintf(host, sizeof(host), "%.*s", (int)(end - tok),
			    tok);
			port = end + 1;
		}
		v6 = inet_pton(AF_INET6, host, a) == 1;
		if (len >= sizeof(tok) || (!v6 && inet_pton(AF_INET, host,
		    a) != 1) || (tok[0] == '[' && !v6) ||
		    value_uint(port, 1, 65535, &v) != 0) {
			errorf(ps, HERE(ps), "dns_servers", "\"%s\": expected "
			    "an IP address with an optional port (10.0.0.53, "
			    "10.0.0.53:5353, [2001:db8::53]:53); not a name",
			    tok);
			continue;
		}
		snprintf(norm, sizeof(norm), v6 ? "[%s]:%lu" : "%s:%lu", host,
		    v);
		add_string(&cfg->dns_servers, &cfg->ndns_servers, norm,
		    strlen(norm));
	}
}

/* metrics_listen: host:port list (blanks or commas), repeatable. */
static void
add_metrics_listen(struct parse *ps, const char *value)
{
	struct config *cfg = ps->cfg;
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		struct listen_spec spec, *ls;
		char addr[300];
		const char *why;

		memset(&spec, 0, sizeof(spec));
		if (len >= sizeof(addr)) {
			errorf(ps, HERE(ps), "metrics_listen", "address too "
			    "long");
			return;
		}
		memcpy(addr, p, len);
		addr[len] = '\0';
		p += len;
		if (value_hostport(addr, HOSTPORT_LISTEN, spec.host,
		    sizeof(spec.host), spec.port, sizeof(spec.port),
		    &why) != 0) {
			hostport_error(ps, "metrics_listen", addr, why);
			continue;
		}
		spec.text = strdup(addr);
		spec.where.file = ps->file;
		spec.where.line = ps->line;
		ls = realloc(cfg->metrics_listen, (cfg->nmetrics_listen + 1) *
		    sizeof(*ls));
		if (spec.text == NULL || ls == NULL) {
			free(spec.text);
			if (ls != NULL)
				cfg->metrics_listen = ls;
			return;
		}
		cfg->metrics_listen = ls;
		cfg->metrics_listen[cfg->nmetrics_listen++] = spec;
	}
}

/* A CIDR list key (metrics_allow, trusted_proxies): appended to, so it
 * may repeat or continue on indented lines. */
static void
add_cidrs(struct parse *ps, const char *key, struct cidr_list *list,
    const char *value)
{
	struct cidr_error err;
	struct cidr *v;
	size_t n, len = 0;

	list->given = true;
	/* Ends at a comment, as the other lists (list_next). */
	while (value[len] != '\0' && value[len] != ';' &&
	    !(value[len] == '#' && (len == 0 || value[len - 1] == ' ' ||
	    value[len - 1] == '\t')))
		len++;
	if (cidr_list_parse(value, len, NULL, 0, &n, &err) != 0) {
		struct cidr net;
		char fix[CIDR_STRLEN];
		const char *why;

		if (cidr_parse(value + err.at, err.len, &net, &why) != 0 &&
		    net.family != 0 && strstr(err.why, "host") != NULL)
			errorf(ps, HERE(ps), key, "\"%.*s\": %s; did you mean "
			    "%s?", (int)err.len, value + err.at, err.why,
			    cidr_format(&net, fix, sizeof(fix)));
		else
			errorf(ps, HERE(ps), key, "\"%.*s\": %s",
			    (int)err.len, value + err.at, err.why);
		return;
	}
	if (n == 0)
		return;
	v = realloc(list->v, (list->n + n) * sizeof(*v));
	if (v == NULL)
		return;
	list->v = v;
	cidr_list_parse(value, len, v + list->n, n, &n, &err);
	list->n += n;
}

/* Comma-separated: a subject CN may contain blanks ("Jane Doe"). */
static void
add_client_cns(struct parse *ps, struct route *r, const char *value)
{
	const char *p = value;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		size_t end = len;
		const char *start = p;

		while (start < p + len && (*start == ' ' || *start == '\t'))
			start++;
		while (end > (size_t)(start - p) &&
		    (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end > (size_t)(start - p)) {
			size_t n = end - (size_t)(start - p);

			if (n > 255)
				errorf(ps, HERE(ps), "allowed_client_cns",
				    "\"%.*s...\": a name is at most 255 "
				    "characters", 20, start);
			else
				add_string(&r->client_cns, &r->nclient_cns,
				    start, n);
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

/* subprotocols: names the route accepts (subproto.h), in its order. */
static void
add_subprotocols(struct parse *ps, struct route *r, const char *value)
{
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		bool dup = false;

		for (size_t i = 0; i < r->nsubprotocols; i++)
			dup |= strlen(r->subprotocols[i]) == len &&
			    strncasecmp(r->subprotocols[i], p, len) == 0;
		if (!subproto_name_valid(p, len)) {
			errorf(ps, HERE(ps), "subprotocols", "\"%.*s\": a name "
			    "is 1 to %d token characters (letters, digits, "
			    "and !#$%%&'*+-.^_`|~)", (int)(len > 80 ? 80 : len),
			    p, SUBPROTO_NAME_MAX);
		} else if (len == 6 && strncasecmp(p, "base64", 6) == 0) {
			/* websockify's base64 encodes every message; wsgate
			 * relays bytes as they are, so selecting it would
			 * hand the client bytes it decodes as base64. */
			errorf(ps, HERE(ps), "subprotocols", "\"base64\" "
			    "(websockify's encoded mode for browsers without "
			    "binary frames) is not supported: list binary");
		} else if (dup) {
			errorf(ps, HERE(ps), "subprotocols", "\"%.*s\" is "
			    "listed twice", (int)len, p);
		} else if (r->nsubprotocols >= SUBPROTO_NAMES_MAX) {
			errorf(ps, HERE(ps), "subprotocols", "more than %d "
			    "names", SUBPROTO_NAMES_MAX);
			return;
		} else {
			add_string(&r->subprotocols, &r->nsubprotocols, p,
			    len);
		}
		p += len;
	}
}

/* A file the gateway will read (certificates, keys): resolved against the
 * main file's directory and checked now (readable, regular, not too big),
 * so that -t says so. */
static void
set_file(struct parse *ps, const struct key_def *k, struct config_str *f,
    const char *value)
{
	char joined[PATH_MAX];
	const char *why;
	int n;

	if (value[0] == '\0') {
		errorf(ps, HERE(ps), k->name, "empty file name");
		return;
	}
	if (value[0] == '/')
		n = snprintf(joined, sizeof(joined), "%s", value);
	else
		n = snprintf(joined, sizeof(joined), "%s/%s", ps->dir, value);
	if (n < 0 || (size_t)n >= sizeof(joined)) {
		errorf(ps, HERE(ps), k->name, "path too long");
		return;
	}
	switch (file_check(joined, &why)) {
	case FILE_OK:
		break;
	case FILE_ERR_TYPE:
		errorf(ps, HERE(ps), k->name, "%s: %s; give the path of the "
		    "%s itself", joined, why, k->type == KT_HTPASSWD ?
		    "htpasswd file" : "PEM file");
		return;
	case FILE_ERR_SIZE:
		errorf(ps, HERE(ps), k->name, "%s: %s (the limit for files "
		    "wsgate reads); is it the right file?", joined, why);
		return;
	default:
		errorf(ps, HERE(ps), k->name, "%s: %s", joined, why);
		return;
	}
	f->s = strdup(joined);
	f->where.file = ps->file;
	f->where.line = ps->line;
}

/* A bound in the grammar it is written in: 5400 s is "1h30m", 0.1 s
 * "100ms", so an error message shows values that can be copied. */
static const char *
duration_text(char *buf, size_t size, uint64_t us)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
		{ "d", UINT64_C(86400000000) }, { "h", UINT64_C(3600000000) },
		{ "m", UINT64_C(60000000) }, { "s", UINT64_C(1000000) },
		{ "ms", UINT64_C(1000) },
	};
	size_t n = 0;

	if (us == 0)
		return "0";
	if (us % 1000 != 0) {
		snprintf(buf, size, "%gs", (double)us / 1e6);
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		int w;

		if (us < units[i].us)
			continue;
		w = snprintf(buf + n, size - n, "%llu%s",
		    (unsigned long long)(us / units[i].us), units[i].unit);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
		us %= units[i].us;
	}
	return buf;
}

/* A file or directory read later (targets): resolved against the main
 * file's directory; whether it reads is said by its loader, with this
 * place. */
static void
set_path(struct parse *ps, const struct key_def *k, struct config_str *f,
    const char *value)
{
	char joined[PATH_MAX];
	int n;

	if (value[0] == '\0') {
		errorf(ps, HERE(ps), k->name, "empty path");
		return;
	}
	if (value[0] == '/')
		n = snprintf(joined, sizeof(joined), "%s", value);
	else
		n = snprintf(joined, sizeof(joined), "%s/%s", ps->dir, value);
	if (n < 0 || (size_t)n >= sizeof(joined)) {
		errorf(ps, HERE(ps), k->name, "path too long");
		return;
	}
	f->s = strdup(joined);
	f->where.file = ps->file;
	f->where.line = ps->line;
}

/* allowed_targets: allow.h entries, separated by blanks or commas;
 * repeat the key (or continue the line) for more. */
static void
add_allowed_targets(struct parse *ps, struct route *r, const char *value)
{
	const char *p = value;
	size_t len;

	while ((p = list_next(p, &len)) != NULL) {
		struct allow_rule rule, *a;
		const char *why;

		if (allow_parse(p, len, &rule, &why) != 0) {
			errorf(ps, HERE(ps), "allowed_targets", "\"%.*s\": %s",
			    (int)len, p, why);
		} else if ((a = realloc(r->allow, (r->nallow + 1) *
		    sizeof(*a))) != NULL) {
			r->allow = a;
			r->allow[r->nallow++] = rule;
		}
		p += len;
	}
}

/* Durations with units (duration.h); each key keeps its own range. */
static void
set_duration(struct parse *ps, const struct key_def *k, char *field,
    const char *value)
{
	uint64_t us, lo = (uint64_t)(k->min * 1e6 + 0.5);
	uint64_t hi = (uint64_t)(k->max * 1e6 + 0.5);
	char lbuf[32], hbuf[32];
	const char *lt = duration_text(lbuf, sizeof(lbuf), lo);
	const char *ht = duration_text(hbuf, sizeof(hbuf), hi);
	const char *why;
	double v;

	if (duration_parse(value, DURATION_MAX_US, &us, &why) != 0) {
		errorf(ps, HERE(ps), k->name, "\"%s\": %s; %s takes %s to "
		    "%s", value, why, k->name, lt, ht);
		return;
	}
	if (us < lo || us > hi) {
		errorf(ps, HERE(ps), k->name, "\"%s\" is %s than %s: write a "
		    "duration from %s to %s", value, us < lo ? "shorter" :
		    "longer", us < lo ? lt : ht, lt, ht);
		return;
	}
	v = (double)us / 1e6;
	memcpy(field, &v, sizeof(v));
}

/* A KT_RATE value: "20/s", "600/m", "1000/h", then an optional burst
 * (default: a second's worth, at least 1); "0" is off. */
static void
set_rate(struct parse *ps, const struct key_def *k, struct config_rate *r,
    const char *value)
{
	char num[32], unit, extra;
	unsigned long burst = 0;
	double n;
	int got;

	if (strcmp(value, "0") == 0) {
		r->per_second = 0;
		r->burst = 0;
		return;
	}
	got = sscanf(value, "%31[0-9.]/%c %lu %c", num, &unit, &burst,
	    &extra);
	n = got >= 2 ? strtod(num, NULL) : 0;
	if (got < 2 || got > 3 || n <= 0 || n > k->max ||
	    strchr("smh", unit) == NULL || (got == 3 && (burst < 1 ||
	    burst > 1000000))) {
		errorf(ps, HERE(ps), k->name, "\"%s\": expected a rate and "
		    "an optional burst, e.g. 20/s, 600/m 50 or 1000/h (burst "
		    "1 to 1000000; 0 = off)", value);
		return;
	}
	r->per_second = n / (unit == 's' ? 1 : unit == 'm' ? 60 : 3600);
	r->burst = got == 3 ? (unsigned)burst : r->per_second < 1 ? 1 :
	    (unsigned)(r->per_second + 0.5);
}

/* A KT_CHOICE value: the index of its word (case-insensitive). */
static void
set_choice(struct parse *ps, const struct key_def *k, char *field,
    const char *value)
{
	char list[128] = "";

	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		if (strcmp(choices[i].key, k->name) != 0)
			continue;
		for (unsigned w = 0; w < 4 && choices[i].words[w]; w++) {
			if (strcasecmp(value, choices[i].words[w]) == 0) {
				memcpy(field, &w, sizeof(w));
				return;
			}
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", w == 0 ? "" : ", ",
			    choices[i].words[w]);
		}
	}
	errorf(ps, HERE(ps), k->name, "\"%s\": expected one of %s", value,
	    list);
}

/* Store a scalar value through the key table; reports its own errors. */
static void
set_scalar(struct parse *ps, const struct key_def *k, void *base,
    size_t off, const char *value)
{
	char *field = (char *)base + off;

	if (hash_comment(ps, k->name, value))
		return;
	switch (k->type) {
	case KT_SECONDS:
		set_duration(ps, k, field, value);
		return;
	case KT_SIZE: {
		uint64_t v;

		if (value_size(value, &v) != 0 || (double)v < k->min ||
		    (double)v > k->max) {
			errorf(ps, HERE(ps), k->name, "\"%s\" is not a size "
			    "from %.0f to %.0f bytes (suffixes k, M, G)",
			    value, k->min, k->max);
			return;
		}
		memcpy(field, &v, sizeof(v));
		return;
	}
	case KT_UINT: {
		unsigned long v;
		unsigned u;

		if (value_uint(value, (unsigned long)k->min,
		    (unsigned long)k->max, &v) != 0) {
			errorf(ps, HERE(ps), k->name, "\"%s\" is not a whole "
			    "number from %.0f to %.0f", value, k->min,
			    k->max);
			return;
		}
		u = (unsigned)v;
		memcpy(field, &u, sizeof(u));
		return;
	}
	case KT_BOOL: {
		bool v;

		if (value_bool(value, &v) != 0) {
			errorf(ps, HERE(ps), k->name, "\"%s\" is not yes or "
			    "no", value);
			return;
		}
		memcpy(field, &v, sizeof(v));
		return;
	}
	case KT_URLPATH: {
		char *copy;

		/* A route's "*": any path no other route has (websockify's
		 * command line). */
		if (strcmp(value, "*") == 0 && strcmp(k->name, "path") == 0) {
			copy = strdup(value);
			memcpy(field, &copy, sizeof(copy));
			return;
		}
		if (value[0] != '/' || strpbrk(value, " \t?#") != NULL) {
			errorf(ps, HERE(ps), k->name, "\"%s\" must start with "
			    "'/' and contain no spaces, '?' or '#'", value);
			return;
		}
		copy = strdup(value);
		memcpy(field, &copy, sizeof(copy));
		return;
	}
	case KT_DIR: {
		char *dir = resolve_dir(ps, k->name, value);

		if (dir != NULL)
			memcpy(field, &dir, sizeof(dir));
		return;
	}
	case KT_FILE:
		set_file(ps, k, (struct config_str *)(void *)field, value);
		return;
	case KT_STRING: {
		struct config_str *str = (struct config_str *)(void *)field;

		if (value[0] == '\0') {
			errorf(ps, HERE(ps), k->name, "empty value");
			return;
		}
		str->s = strdup(value);
		str->where.file = ps->file;
		str->where.line = ps->line;
		return;
	}
	case KT_TLSVER: {
		unsigned v;

		if (strcasecmp(value, "1.2") == 0 ||
		    strcasecmp(value, "TLSv1.2") == 0) {
			v = 12;
		} else if (strcasecmp(value, "1.3") == 0 ||
		    strcasecmp(value, "TLSv1.3") == 0) {
			v = 13;
		} else {
			errorf(ps, HERE(ps), k->name, "\"%s\": expected 1.2 "
			    "or 1.3 (TLS 1.0 and 1.1 are deprecated by "
			    "RFC 8996 and not supported)", value);
			return;
		}
		memcpy(field, &v, sizeof(v));
		return;
	}
	case KT_VERIFY: {
		enum tls_verify v;

		if (strcasecmp(value, "off") == 0) {
			v = TLS_VERIFY_OFF;
		} else if (strcasecmp(value, "optional") == 0) {
			v = TLS_VERIFY_OPTIONAL;
		} else if (strcasecmp(value, "required") == 0) {
			v = TLS_VERIFY_REQUIRED;
		} else {
			errorf(ps, HERE(ps), k->name, "\"%s\": expected off, "
			    "optional or required", value);
			return;
		}
		memcpy(field, &v, sizeof(v));
		return;
	}
	case KT_WORKERS: {
		unsigned long v = 0;
		unsigned u;

		if (strcasecmp(value, "auto") != 0 &&
		    value_uint(value, (unsigned long)k->min,
		    (unsigned long)k->max, &v) != 0) {
			errorf(ps, HERE(ps), k->name, "\"%s\": expected auto "
			    "or a number from %.0f to %.0f", value, k->min,
			    k->max);
			return;
		}
		u = (unsigned)v;	/* 0: auto */
		memcpy(field, &u, sizeof(u));
		return;
	}
	case KT_CHOICE:
		set_choice(ps, k, field, value);
		return;
	case KT_RATE:
		set_rate(ps, k, (struct config_rate *)(void *)field, value);
		return;
	case KT_HTPASSWD:
		set_file(ps, k, (struct config_str *)(void *)field, value);
		return;
	case KT_PATH:
		set_path(ps, k, (struct config_str *)(void *)field, value);
		return;
	default:
		return;
	}
}

/*
 * Debian's inih (r55) strips an inline comment (";" after a blank) from a
 * key's first line but not from its continuation lines; do it here so
 * "    127.0.0.1:8081 ; backup" means the same on either.
 */
static const char *
strip_inline_comment(char *buf, size_t size, const char *value)
{
	size_t n;

	for (n = 0; value[n] != '\0' && n + 1 < size; n++) {
		if (value[n] == ';' && n > 0 &&
		    isspace((unsigned char)value[n - 1]))
			break;
		buf[n] = value[n];
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return buf;
}

static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse *ps = user;
	const struct key_def *k;
	struct keyset *set;
	int *lines;
	struct route *r = NULL;
	void *base = ps->cfg;
	unsigned scope = SC_GATEWAY, other;
	char vbuf[INI_MAX_LINE];
	size_t ki;

	(void)section;	/* ps->section is the same, seen by the reader */
	if (ps->continuation)
		value = strip_inline_comment(vbuf, sizeof(vbuf), value);
	switch (ps->kind) {
	case SEC_NONE:
		errorf(ps, ps->file, ps->line, NULL, name, "key outside any "
		    "section; put it under [gateway] or [route:NAME]");
		return 1;
	case SEC_IGNORED:
		return 1;
	case SEC_GATEWAY:
		set = &ps->gw_set;
		lines = ps->gw_line;
		break;
	case SEC_ROUTE:
		r = &ps->cfg->routes[ps->route];
		base = r;
		scope = SC_ROUTE;
		set = &ps->rp[ps->route].set;
		lines = ps->rp[ps->route].line;
		break;
	case SEC_TLS:
		base = &ps->cfg->tls_sni[ps->tls];
		scope = SC_TLS;
		set = &ps->tp[ps->tls].set;
		lines = ps->tp[ps->tls].line;
		break;
	default:
		return 1;
	}
	k = key_find(name, scope, &other);
	if (k == NULL) {
		if (other != 0)
			errorf(ps, HERE(ps), name, "this key belongs in %s",
			    scope_text(other));
		else
			unknown_key(ps, name, scope);
		return 1;
	}
	ki = (size_t)(k - keys);

	if (k->type == KT_LISTEN) {
		set_listen(ps, value);
	} else if (k->type == KT_ORIGINS) {
		add_origins(ps, r, value);
	} else if (k->type == KT_NAMES) {
		add_server_names(ps, base, value);
	} else if (k->type == KT_CNS) {
		add_client_cns(ps, r, value);
	} else if (k->type == KT_SUBPROTOS) {
		add_subprotocols(ps, r, value);
	} else if (k->type == KT_DNS) {
		add_dns_servers(ps, value);
	} else if (k->type == KT_BACKEND) {
		set_backend(ps, r, value);
	} else if (k->type == KT_HOSTS) {
		add_hosts(ps, r, value);
	} else if (k->type == KT_METRICS) {
		add_metrics_listen(ps, value);
	} else if (k->type == KT_CIDRS) {
		add_cidrs(ps, k->name, (struct cidr_list *)((char *)base +
		    k->gw_off), value);
	} else if (k->type == KT_ALLOW) {
		add_allowed_targets(ps, r, value);
	} else if (ps->continuation) {
		errorf(ps, HERE(ps), name, "indented continuation line: only "
		    "list keys (listen, origins, server_names, "
		    "allowed_client_cns, allowed_targets, metrics_listen, "
		    "metrics_allow, trusted_proxies) take several values");
		return 1;
	} else if (keyset_has(set, ki)) {
		errorf(ps, HERE(ps), name, "given twice (first at line %d)",
		    lines[ki]);
		return 1;
	} else {
		set_scalar(ps, k, base, scope == SC_GATEWAY ? k->gw_off :
		    k->sec_off, value);
	}
	if (!keyset_has(set, ki))
		lines[ki] = ps->line;
	keyset_add(set, ki);
	return 1;
}

static void
parse_text(struct parse *ps, const char *text, size_t len, const char *file)
{
	int rc;

	ps->text = text;
	ps->len = len;
	ps->pos = 0;
	ps->file = remember_file(ps->cfg, file);
	ps->line = 0;
	ps->kind = SEC_NONE;
	ps->section[0] = '\0';
	ps->have_key = false;
	rc = ini_parse_stream(config_reader, ps, config_handler, ps);
	/* The reader reports syntax itself; inih's own count is a backstop. */
	if (rc > 0 && ps->errs->n == 0)
		errorf(ps, file, rc, NULL, NULL, "syntax error");
	else if (rc < 0)
		errorf(ps, file, 0, NULL, NULL, "cannot parse");
	ps->text = NULL;
}

/* Returns -1 if the file could not be read at all. */
static int
parse_file(struct parse *ps, const char *path)
{
	const char *why;
	char *text;
	size_t len;

	switch (file_read(path, &text, &len, &why)) {
	case FILE_OK:
		break;
	case FILE_ERR_TYPE:
		errorf(ps, path, 0, NULL, NULL, "cannot read: %s; %s", why,
		    ps->route_file ? "routes_dir reads regular .ini files "
		    "only: remove it or rename it without .ini" :
		    "the configuration must be a regular file (or a "
		    "symbolic link to one)");
		return -1;
	case FILE_ERR_SIZE:
		errorf(ps, path, 0, NULL, NULL, "cannot read: %s (the limit "
		    "per configuration file); split the routes over several "
		    "files in routes_dir", why);
		return -1;
	default:
		errorf(ps, path, 0, NULL, NULL, "cannot open: %s", why);
		return -1;
	}
	parse_text(ps, text, len, path);
	free(text);
	return 0;
}

static bool
ini_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".ini") == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The routes_dir/NAME.ini files, sorted; NULL (reported) on failure. */
static char **
routes_dir_list(struct parse *ps, size_t *count)
{
	const char *dir = ps->cfg->routes_dir;
	const char *file = ps->gw_where.file;
	int line = ps->gw_line[key_index("routes_dir")];
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool complete = false;
	struct dirent *d;
	DIR *dp = opendir(dir);

	*count = 0;
	if (dp == NULL) {
		errorf(ps, file, line, "gateway", "routes_dir", "%s: %s", dir,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		errno = 0;
		d = readdir(dp);
		if (d == NULL) {
			if (errno != 0)
				errorf(ps, file, line, "gateway", "routes_dir",
				    "%s: %s", dir, strerror(errno));
			complete = errno == 0;
			break;
		}
		if (!ini_name(d->d_name))
			continue;
		if (n == CONFIG_MAX_ROUTE_FILES) {
			errorf(ps, file, line, "gateway", "routes_dir",
			    "%s holds more than %u .ini files; put several "
			    "routes in each file", dir,
			    CONFIG_MAX_ROUTE_FILES);
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (nn != NULL) {
				names = nn;
				cap = ncap;
			}
		}
		if (n == cap || (names[n] = strdup(d->d_name)) == NULL) {
			errorf(ps, file, line, "gateway", "routes_dir",
			    "%s: out of memory", dir);
			break;
		}
		n++;
	}
	closedir(dp);
	if (!complete) {
		/* Stopped early: reading part of the routes would only
		 * add noise ("path missing" for a route moved away). */
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return NULL;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*count = n;
	return names;
}

static void
parse_routes_dir(struct parse *ps)
{
	size_t n;
	char **names = routes_dir_list(ps, &n);

	ps->route_file = true;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", ps->cfg->routes_dir,
		    names[i]);
		parse_file(ps, path);
		free(names[i]);
	}
	free(names);
	ps->route_file = false;
}

bool
config_has_tls_listener(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nlisteners; i++)
		if (cfg->listeners[i].tls)
			return true;
	return false;
}

/* tls_cert and tls_key come together. */
static void
check_cert_pair(struct parse *ps, const struct tls_cert_spec *t,
    struct keyset set, const int *lines)
{
	const char *mainf = ps->cfg->files != NULL ? ps->cfg->files[0] :
	    ps->cfg->path;
	const char *file = t->where.file != NULL ? t->where.file : mainf;

	if (key_given(set, "tls_cert") && !key_given(set, "tls_key"))
		errorf(ps, file, lines[key_index("tls_cert")], t->section,
		    "tls_key", "missing; the private key of tls_cert (PEM)");
	if (key_given(set, "tls_key") && !key_given(set, "tls_cert"))
		errorf(ps, file, lines[key_index("tls_key")], t->section,
		    "tls_cert", "missing; the certificate chain for tls_key "
		    "(PEM, server certificate first)");
}

static void
finish_tls(struct parse *ps)
{
	struct config *cfg = ps->cfg;
	const char *mainf = cfg->files != NULL ? cfg->files[0] : cfg->path;
	bool need = config_has_tls_listener(cfg);
	void *names = NULL;	/* server names: struct taken tree */

	check_cert_pair(ps, &cfg->tls_default, ps->gw_set, ps->gw_line);
	if (!key_given(ps->gw_set, "tls_cert") &&
	    !key_given(ps->gw_set, "tls_key")) {
		for (size_t i = 0; i < cfg->nlisteners; i++) {
			const struct listen_spec *ls = &cfg->listeners[i];

			if (!ls->tls)
				continue;
			errorf(ps, ls->where.file, ls->where.line, "gateway",
			    "listen", "\"%s tls\" needs the default "
			    "certificate: tls_cert and tls_key in [gateway]",
			    ls->text);
			break;
		}
		if (cfg->ntls_sni > 0)
			errorf(ps, cfg->tls_sni[0].where.file,
			    cfg->tls_sni[0].where.line, cfg->tls_sni[0].section,
			    NULL, "needs the default certificate too: "
			    "tls_cert and tls_key in [gateway]");
	}
	for (size_t i = 0; i < cfg->ntls_sni; i++) {
		struct tls_cert_spec *t = &cfg->tls_sni[i];
		struct keyset set = ps->tp[i].set;

		check_cert_pair(ps, t, set, ps->tp[i].line);
		if (!key_given(set, "tls_cert") && !key_given(set, "tls_key"))
			errorf(ps, t->where.file, t->where.line, t->section,
			    "tls_cert", "missing; with tls_key, the "
			    "certificate for server_names");
		if (!key_given(set, "server_names"))
			errorf(ps, t->where.file, t->where.line, t->section,
			    "server_names", "missing; e.g. server_names = "
			    "example.com *.example.com");
		/* The same name in two sections: which one was meant? */
		for (size_t j = 0; j < t->nserver_names; j++) {
			const struct taken *first = taken_claim(&names,
			    t->server_names[j], i);
			const struct tls_cert_spec *o;

			if (first == NULL || first->index == i)
				continue;
			o = &cfg->tls_sni[first->index];
			errorf(ps, t->where.file,
			    ps->tp[i].line[key_index("server_names")],
			    t->section, "server_names", "\"%s\" is already "
			    "listed in [%s] at %s:%d", t->server_names[j],
			    o->section, o->where.file, o->where.line);
		}
	}
	taken_free(&names);
	if (cfg->tls_verify_client != TLS_VERIFY_OFF) {
		int line = ps->gw_line[key_index("tls_verify_client")];

		if (cfg->tls_client_ca.s == NULL &&
		    !key_given(ps->gw_set, "tls_client_ca"))
			errorf(ps, mainf, line, "gateway", "tls_verify_client",
			    "needs tls_client_ca: the CA certificates (PEM) "
			    "that sign client certificates");
		if (!need)
			errorf(ps, mainf, line, "gateway", "tls_verify_client",
			    "no listener has the word tls, so no client "
			    "certificate can ever be sent");
	} else if (key_given(ps->gw_set, "tls_client_ca")) {
		errorf(ps, mainf, ps->gw_line[key_index("tls_client_ca")],
		    "gateway", "tls_client_ca", "client certificates are not "
		    "asked for: set tls_verify_client = optional or required "
		    "(or remove tls_client_ca)");
	}
	if (!cfg->tls_session_tickets &&
	    key_given(ps->gw_set, "tls_ticket_key_file"))
		errorf(ps, mainf, ps->gw_line[key_index("tls_ticket_key_file")],
		    "gateway", "tls_ticket_key_file", "session tickets are "
		    "off (tls_session_tickets = no): remove the key file or "
		    "turn them on");
}

/* Route keys about client certificates and backend TLS. */
static void
finish_route_tls(struct parse *ps, struct route *r, const char *sec,
    const struct sec_parse *rp)
{
	static const char *const needs_tls[] = { "backend_tls_verify",
	    "backend_tls_ca", "backend_tls_cert", "backend_tls_key",
	    "backend_tls_name" };
	struct config *cfg = ps->cfg;
	const char *file = r->where.file;

	if (r->nclient_cns > 0 && cfg->tls_verify_client == TLS_VERIFY_OFF)
		errorf(ps, file, rp->line[key_index("allowed_client_cns")],
		    sec, "allowed_client_cns", "client certificates are not "
		    "asked for: set tls_verify_client = optional or required "
		    "and tls_client_ca in [gateway]");
	if (!r->backend_tls) {
		for (size_t i = 0; i < sizeof(needs_tls) / sizeof(*needs_tls);
		    i++)
			if (key_given(rp->set, needs_tls[i]))
				errorf(ps, file,
				    rp->line[key_index(needs_tls[i])], sec,
				    needs_tls[i], "only used with backend_tls "
				    "= yes");
		return;
	}
	if (key_given(rp->set, "backend_tls_cert") &&
	    !key_given(rp->set, "backend_tls_key"))
		errorf(ps, file, rp->line[key_index("backend_tls_cert")], sec,
		    "backend_tls_key", "missing; the private key of "
		    "backend_tls_cert (PEM)");
	if (key_given(rp->set, "backend_tls_key") &&
	    !key_given(rp->set, "backend_tls_cert"))
		errorf(ps, file, rp->line[key_index("backend_tls_key")], sec,
		    "backend_tls_cert", "missing; the client certificate for "
		    "backend_tls_key (PEM)");
	if (r->backend_tls_name.s != NULL) {
		const char *why;

		if (!sni_pattern_valid(r->backend_tls_name.s,
		    strlen(r->backend_tls_name.s), &why) ||
		    r->backend_tls_name.s[0] == '*')
			errorf(ps, file, r->backend_tls_name.where.line, sec,
			    "backend_tls_name", "\"%s\": %s",
			    r->backend_tls_name.s, why != NULL ? why :
			    "a name, not a wildcard");
	}
}

/* Several backends: their shared health; keys only they use. */
static void
finish_route_backends(struct parse *ps, struct route *r, const char *sec,
    const struct sec_parse *rp)
{
	static const char *const needs_several[] = { "balance",
	    "backend_retry_after" };

	for (size_t i = 0; i < r->nbackends && r->backend_tls &&
	    r->backend_tls_name.s == NULL; i++) {
		if (!r->backends[i].unix_path)
			continue;
		errorf(ps, r->where.file, rp->line[key_index("backend_tls")],
		    sec, "backend_tls", "%s has no host name for its "
		    "certificate: set backend_tls_name", r->backends[i].text);
		break;
	}
	if (r->nbackends > 1) {
		r->health = calloc(1, sizeof(*r->health));
		return;
	}
	for (size_t i = 0; i < sizeof(needs_several) /
	    sizeof(*needs_several); i++)
		if (key_given(rp->set, needs_several[i]))
			errorf(ps, r->where.file,
			    rp->line[key_index(needs_several[i])], sec,
			    needs_several[i], "only used with several "
			    "backends (backend = host1:port host2:port)");
}

/* Strings owned for a while (the keys of a struct taken tree). */
struct strings {
	char **s;
	size_t n;
};

static void strings_free(char **list, size_t n);

/*
 * Routes may share a path when their hosts differ: each (path, host)
 * pair is claimed, as a path alone is for a route without hosts (which
 * then takes the Hosts no route of that path lists).
 */
static void
finish_route_hosts(struct parse *ps, void **paths, struct strings *pk,
    size_t i, const char *sec)
{
	const struct route *r = &ps->cfg->routes[i];

	for (size_t h = 0; h < r->nhosts; h++) {
		const struct taken *first;
		const struct route *o;
		char *key;

		if (asprintf(&key, "%s\n%s", r->path, r->hosts[h]) < 0)
			return;
		if (!add_string(&pk->s, &pk->n, key, strlen(key))) {
			free(key);
			return;
		}
		free(key);
		first = taken_claim(paths, pk->s[pk->n - 1], i);
		if (first == NULL || first->index == i)
			continue;
		o = &ps->cfg->routes[first->index];
		errorf(ps, r->where.file, ps->rp[i].line[key_index("hosts")],
		    sec, "hosts", "\"%s\" on path \"%s\" is already "
		    "[route:%s]'s (%s:%d); two routes may share a path only "
		    "for different hosts", r->hosts[h], r->path, o->name,
		    o->where.file, o->where.line);
	}
}

/* Routes whose target a token computes (targets, jwt_key): the keys
 * that go with them, and never an open proxy. */
static void
finish_route_targets(struct parse *ps, struct route *r, const char *sec,
    const struct sec_parse *rp)
{
	static const char *const needs_computed[] = { "allowed_targets",
	    "token_source" };
	static const char *const needs_jwt[] = { "jwt_algorithm",
	    "jwt_leeway", "jwt_audience", "jwt_issuer" };
	const char *file = r->where.file;
	bool tf = key_given(rp->set, "targets");
	bool jw = key_given(rp->set, "jwt_key");

#define LINE(k) rp->line[key_index(k)]
	if (!tf && key_given(rp->set, "targets_format"))
		errorf(ps, file, LINE("targets_format"), sec,
		    "targets_format", "only used with targets = PATH");
	if (!jw)
		for (size_t i = 0; i < sizeof(needs_jwt) / sizeof(*needs_jwt);
		    i++)
			if (key_given(rp->set, needs_jwt[i]))
				errorf(ps, file, LINE(needs_jwt[i]), sec,
				    needs_jwt[i], "only used with jwt_key = "
				    "FILE");
	if (!tf && !jw) {
		for (size_t i = 0; i < sizeof(needs_computed) /
		    sizeof(*needs_computed); i++)
			if (key_given(rp->set, needs_computed[i]))
				errorf(ps, file, LINE(needs_computed[i]), sec,
				    needs_computed[i], "only used with targets "
				    "or jwt_key (a target named by a token)");
		return;
	}
	if (tf && jw)
		errorf(ps, file, LINE("jwt_key"), sec, "jwt_key", "a route "
		    "takes its target from targets or from jwt_key, not "
		    "both: make two routes with their own paths");
	if (key_given(rp->set, "backend"))
		errorf(ps, file, LINE("backend"), sec, "backend", "a route "
		    "with %s has no backend: the token names it; remove this "
		    "line (or the %s line for a fixed backend)",
		    tf ? "targets" : "jwt_key", tf ? "targets" : "jwt_key");
	if (jw && !key_given(rp->set, "jwt_algorithm"))
		errorf(ps, file, LINE("jwt_key"), sec, "jwt_algorithm",
		    "missing; the algorithm the tokens are signed with is "
		    "pinned here: jwt_algorithm = HS256 (a shared secret), "
		    "RS256 or ES256 (a public key)");
	if (key_given(rp->set, "allowed_targets") && r->nallow == 0)
		errorf(ps, file, LINE("allowed_targets"), sec,
		    "allowed_targets", "no valid entry: a token could lead "
		    "nowhere; e.g. allowed_targets = 10.0.0.0/8:5900-5999");
	if (!key_given(rp->set, "allowed_targets"))
		errorf(ps, file, LINE(tf ? "targets" : "jwt_key"), sec,
		    "allowed_targets", "missing; a token must not lead "
		    "anywhere on the network: list where it may, e.g. "
		    "allowed_targets = 10.0.0.0/8:5900-5999 "
		    "*.vm.example.com:5900 unix:/run/vnc");
#undef LINE
}

/* A route without key k takes the [gateway] value, copied as set_scalar
 * stored it. */
static void
inherit(const struct key_def *k, struct route *r, const struct config *cfg)
{
	char *to = (char *)r + k->sec_off;
	const char *from = (const char *)cfg + k->gw_off;

	switch (k->type) {
	case KT_SECONDS:
		memcpy(to, from, sizeof(double));
		return;
	case KT_SIZE:
		memcpy(to, from, sizeof(uint64_t));
		return;
	case KT_UINT:
		memcpy(to, from, sizeof(unsigned));
		return;
	case KT_BOOL:
		memcpy(to, from, sizeof(bool));
		return;
	case KT_CHOICE:
		memcpy(to, from, sizeof(unsigned));
		return;
	default:
		/* Strings and lists would need a copy of their own. */
		assert(!"an inherited key of a type inherit() cannot copy");
		return;
	}
}

bool
config_is_loopback(const struct sockaddr *sa)
{
	struct cidr lo4, lo6;
	const char *why;

	cidr_parse("127.0.0.0/8", 11, &lo4, &why);
	cidr_parse("::1", 3, &lo6, &why);
	return cidr_contains(&lo4, sa) || cidr_contains(&lo6, sa);
}

/* The metrics listener shows every session: a public address needs
 * metrics_allow said out loud. */
static void
check_metrics_listen(struct parse *ps)
{
	const struct config *cfg = ps->cfg;
	struct sockaddr_storage ss;

	if (cfg->metrics_allow.given)
		return;
	for (size_t i = 0; i < cfg->nmetrics_listen; i++) {
		const struct listen_spec *ls = &cfg->metrics_listen[i];

		if (strcmp(ls->host, "localhost") == 0 ||
		    (ipaddr_parse(ls->host, strlen(ls->host), &ss) == 0 &&
		    config_is_loopback((struct sockaddr *)&ss)))
			continue;
		errorf(ps, ls->where.file, ls->where.line, "gateway",
		    "metrics_listen", "%s is not a loopback address, and the "
		    "metrics listener shows every session and can close them: "
		    "set metrics_allow = CIDR,... to the addresses that may "
		    "scrape it (e.g. metrics_allow = 10.0.0.0/8), or listen "
		    "on 127.0.0.1", ls->text);
	}
}

/* auth_basic_file: read it now (regular, bounded), so that -t and SIGHUP
 * refuse a plain-text password or a broken line with its line number. */
static void
load_htpasswd(struct parse *ps, const struct config_str *file,
    struct htpasswd **out, const char *sec)
{
	const struct config_where *w = &file->where;
	struct htpasswd_error herr;
	char msg[256];
	const char *why;
	char *data;
	size_t len;

	if (file->s == NULL)
		return;
	if (file_read(file->s, &data, &len, &why) != FILE_OK) {
		errorf(ps, w->file, w->line, sec, "auth_basic_file", "%s: %s",
		    file->s, why);
		return;
	}
	if (len > HTPASSWD_FILE_MAX) {
		errorf(ps, w->file, w->line, sec, "auth_basic_file", "%s: %zu "
		    "bytes: an htpasswd file is at most %d bytes", file->s, len,
		    HTPASSWD_FILE_MAX);
	} else if ((*out = htpasswd_parse(data, len, &herr)) == NULL) {
		errorf(ps, w->file, w->line, sec, "auth_basic_file", "%s: %s",
		    file->s, htpasswd_error_format(&herr, msg, sizeof(msg)));
	} else if (htpasswd_count(*out) == 0) {
		errorf(ps, w->file, w->line, sec, "auth_basic_file", "%s: no "
		    "users; add lines user:hash (mkpasswd -m yescrypt, or "
		    "htpasswd -B)", file->s);
	}
	free(data);
}

/* A realm goes into WWW-Authenticate: realm="...": printable ASCII, no
 * quote or backslash (no escaping needed), at most 64 characters. */
static void
check_realm(struct parse *ps, const struct config_str *realm,
    const struct config_str *file, const char *sec)
{
	const char *s = realm->s;
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			n = 65;
	}
	if (n > 64)
		errorf(ps, realm->where.file, realm->where.line, sec,
		    "auth_basic_realm", "at most 64 printable ASCII "
		    "characters, without '\"' or '\\'");
	if (file->s == NULL)
		errorf(ps, realm->where.file, realm->where.line, sec,
		    "auth_basic_realm", "needs auth_basic_file");
}

/* The session features' defaults and cross-checks. */
static void
finish_route_session(struct parse *ps, struct route *r, const char *sec,
    const struct sec_parse *sp)
{
	/* What wsgate always did: "binary" when the client offers it. */
	if (!key_given(sp->set, "subprotocols"))
		add_string(&r->subprotocols, &r->nsubprotocols, "binary", 6);
	load_htpasswd(ps, &r->auth_basic_file, &r->auth_basic, sec);
	check_realm(ps, &r->auth_basic_realm, &r->auth_basic_file, sec);
	if (!key_given(sp->set, "record_max_bytes"))
		r->record_max_bytes = 64u << 20;
	if (!key_given(sp->set, "record_dir_max_bytes"))
		r->record_dir_max_bytes = 1ull << 30;
	if (r->require_subprotocol && r->nsubprotocols == 0)
		errorf(ps, r->where.file,
		    sp->line[key_index("require_subprotocol")], sec,
		    "require_subprotocol", "no subprotocols listed; list the "
		    "names the backend speaks (subprotocols = binary)");
}

/* After every file: inherit [gateway] limits, then check what is missing
 * or contradictory across sections. */
static void
finish(struct parse *ps)
{
	struct config *cfg = ps->cfg;
	const char *mainf = cfg->files != NULL ? cfg->files[0] : cfg->path;
	int gwline = ps->gw_seen ? ps->gw_where.line : 1;
	void *paths = NULL;	/* struct taken tree */
	struct strings pkeys = { NULL, 0 };	/* its path+host keys */

	if (cfg->nlisteners == 0 && !key_given(ps->gw_set, "listen"))
		errorf(ps, mainf, gwline, "gateway", "listen", "missing; add "
		    "at least one, e.g. listen = 127.0.0.1:8080");
	check_metrics_listen(ps);
	load_htpasswd(ps, &cfg->auth_basic_file, &cfg->auth_basic, "gateway");
	if (cfg->auth_basic_file.s != NULL && cfg->web_root == NULL)
		errorf(ps, cfg->auth_basic_file.where.file,
		    cfg->auth_basic_file.where.line, "gateway",
		    "auth_basic_file", "in [gateway] it protects web_root's "
		    "files, and there is no web_root; for a WebSocket route, "
		    "put it in its [route:NAME]");
	check_realm(ps, &cfg->auth_basic_realm, &cfg->auth_basic_file,
	    "gateway");
	if (cfg->nroutes == 0 && cfg->web_root == NULL)
		errorf(ps, mainf, gwline, NULL, NULL, "no routes: add a "
		    "[route:NAME] section (here or in routes_dir)");
	/* It goes into every web_root answer's head as it is. */
	if (cfg->web_cache_control.s != NULL &&
	    strpbrk(cfg->web_cache_control.s, "\x01\x02\x03\x04\x05\x06"
	    "\x07\x08\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	    "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != NULL)
		errorf(ps, cfg->web_cache_control.where.file,
		    cfg->web_cache_control.where.line, "gateway",
		    "web_cache_control", "control character in the value; "
		    "write directives only, e.g. web_cache_control = "
		    "no-cache");

	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];
		const struct taken *first;
		char sec[160];

		struct keyset set = ps->rp[i].set;

		snprintf(sec, sizeof(sec), "route:%s", r->name);
		for (size_t k = 0; k < NKEYS; k++) {
			if ((keys[k].scope & SC_INHERIT) &&
			    !keyset_has(&set, k))
				inherit(&keys[k], r, cfg);
		}
		/* Keys given but invalid were reported where they stand. */
		if (!key_given(set, "path"))
			errorf(ps, r->where.file, r->where.line, sec, "path",
			    "missing; e.g. path = /%s", r->name);
		if (!key_given(set, "backend") && !key_given(set, "targets") &&
		    !key_given(set, "jwt_key"))
			errorf(ps, r->where.file, r->where.line, sec,
			    "backend", "missing; e.g. backend = "
			    "127.0.0.1:5900");
		finish_route_targets(ps, r, sec, &ps->rp[i]);
		if (key_given(set, "origins") && r->norigins == 0 &&
		    !r->origin_any && !ps->rp[i].bad_origin)
			errorf(ps, r->where.file,
			    ps->rp[i].line[key_index("origins")], sec,
			    "origins", "no origin listed; list the page origins "
			    "allowed to connect, or \"*\" to allow any");
		if (!key_given(set, "origins"))
			errorf(ps, r->where.file, r->where.line, sec,
			    "origins", "missing; list the page origins "
			    "allowed to connect (scheme://host[:port]), or "
			    "\"*\" to allow any");
		finish_route_tls(ps, r, sec, &ps->rp[i]);
		finish_route_backends(ps, r, sec, &ps->rp[i]);
		finish_route_session(ps, r, sec, &ps->rp[i]);
		if (r->path == NULL)
			continue;
		if (cfg->health_path != NULL &&
		    strcmp(cfg->health_path, r->path) == 0)
			errorf(ps, r->where.file, r->where.line, sec, "path",
			    "\"%s\" is also the health_path", r->path);
		if (r->nhosts > 0) {
			finish_route_hosts(ps, &paths, &pkeys, i, sec);
			continue;
		}
		first = taken_claim(&paths, r->path, i);
		if (first != NULL) {
			const struct route *o = &cfg->routes[first->index];

			errorf(ps, r->where.file,
			    ps->rp[i].line[key_index("path")], sec, "path",
			    "\"%s\" is already used by [route:%s] at %s:%d",
			    r->path, o->name, o->where.file, o->where.line);
		}
	}
	taken_free(&paths);
	strings_free(pkeys.s, pkeys.n);
}

static struct config *
load(const char *path, const char *text, struct config_errors *errs)
{
	struct parse ps;
	struct config *cfg = config_new();
	const char *slash = strrchr(path, '/');

	if (cfg == NULL)
		return NULL;
	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	ps.errs = errs;
	cfg->path = strdup(path);
	/* The main file's directory: "." for "x.ini" (or ""), "/" for
	 * "/x.ini". */
	if (slash == NULL)
		ps.dir = strdup(".");
	else
		ps.dir = strndup(path, slash == path ? 1 :
		    (size_t)(slash - path));
	if (cfg->path == NULL || ps.dir == NULL) {
		free(ps.dir);
		config_unref(cfg);
		return NULL;
	}

	size_t before = errs->n;
	if (text != NULL)
		parse_text(&ps, text, strlen(text), path);
	else if (parse_file(&ps, path) != 0)
		goto done;	/* what is "missing" would only be noise */
	if (cfg->routes_dir != NULL)
		parse_routes_dir(&ps);
	finish(&ps);
	finish_tls(&ps);
done:
	taken_free(&ps.route_names);
	taken_free(&ps.tls_names);
	free(ps.rp);
	free(ps.tp);
	free(ps.dir);
	if (errs->n != before) {
		config_unref(cfg);
		return NULL;
	}
	return cfg;
}

struct config *
config_load(const char *path, struct config_errors *errs)
{
	return load(path, NULL, errs);
}

struct config *
config_load_string(const char *name, const char *text,
    struct config_errors *errs)
{
	return load(name, text != NULL ? text : "", errs);
}

struct config *
config_ref(struct config *cfg)
{
	atomic_fetch_add(&cfg->refcnt, 1);
	return cfg;
}

static void
strings_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void
route_free_fields(struct route *r)
{
	free(r->name);
	free(r->path);
	free(r->backend);
	for (size_t i = 0; i < r->nbackends; i++)
		free(r->backends[i].text);
	free(r->backends);
	free(r->health);
	strings_free(r->hosts, r->nhosts);
	strings_free(r->origins, r->norigins);
	strings_free(r->client_cns, r->nclient_cns);
	strings_free(r->subprotocols, r->nsubprotocols);
	htpasswd_free(r->auth_basic);
	free(r->record_dir);
	free(r->auth_basic_file.s);
	free(r->auth_basic_realm.s);
	free(r->backend_tls_ca.s);
	free(r->backend_tls_cert.s);
	free(r->backend_tls_key.s);
	free(r->backend_tls_name.s);
	free(r->targets.s);
	free(r->jwt_key.s);
	free(r->jwt_audience.s);
	free(r->jwt_issuer.s);
	free(r->allow);
}

static void
tls_spec_free_fields(struct tls_cert_spec *t)
{
	free(t->section);
	free(t->cert.s);
	free(t->key.s);
	strings_free(t->server_names, t->nserver_names);
}

void
config_unref(struct config *cfg)
{
	if (cfg == NULL || atomic_fetch_sub(&cfg->refcnt, 1) != 1)
		return;
	if (cfg->tls_free != NULL)
		cfg->tls_free(cfg);
	if (cfg->counts_free != NULL)
		cfg->counts_free(cfg);
	if (cfg->targets_free != NULL)
		cfg->targets_free(cfg);
	for (size_t i = 0; i < cfg->nlisteners; i++)
		free(cfg->listeners[i].text);
	free(cfg->listeners);
	for (size_t i = 0; i < cfg->nroutes; i++)
		route_free_fields(&cfg->routes[i]);
	free(cfg->routes);
	for (size_t i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	free(cfg->routes_dir);
	free(cfg->web_root);
	free(cfg->health_path);
	for (size_t i = 0; i < cfg->ndns_servers; i++)
		free(cfg->dns_servers[i]);
	free(cfg->dns_servers);
	for (size_t i = 0; i < cfg->nmetrics_listen; i++)
		free(cfg->metrics_listen[i].text);
	free(cfg->metrics_listen);
	free(cfg->metrics_allow.v);
	free(cfg->trusted_proxies.v);
	tls_spec_free_fields(&cfg->tls_default);
	for (size_t i = 0; i < cfg->ntls_sni; i++)
		tls_spec_free_fields(&cfg->tls_sni[i]);
	free(cfg->tls_sni);
	free(cfg->tls_ciphers.s);
	free(cfg->web_cache_control.s);
	free(cfg->tls_ciphersuites.s);
	free(cfg->tls_client_ca.s);
	free(cfg->tls_ticket_key_file.s);
	htpasswd_free(cfg->auth_basic);
	free(cfg->auth_basic_file.s);
	free(cfg->auth_basic_realm.s);
	free(cfg);
}

void
config_errors_free(struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
}
