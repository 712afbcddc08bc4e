/* config.c -- INI files (inih) to struct config: defaults, per-route merge, cross-checks, file:line errors */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "route.h"
#include "value.h"

enum section_kind {
	SEC_NONE,	/* before the first section header */
	SEC_IGNORED,	/* a bad header, already reported */
	SEC_GATEWAY,
	SEC_ROUTE,
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
};

#define SC_GATEWAY 1u
#define SC_ROUTE 2u
#define SC_INHERIT 4u	/* a route without it takes the [gateway] value */
#define NO_OFFSET ((size_t)-1)

struct key_def {
	const char *name;
	enum key_type type;
	unsigned scope;
	size_t gw_off;		/* into struct config */
	size_t route_off;	/* into struct route */
	double min, max;	/* for seconds, sizes and integers */
};

#define GW(f) offsetof(struct config, f)
#define RT(f) offsetof(struct route, f)
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
	{ "max_request_bytes", KT_SIZE, SC_GATEWAY, GW(max_request_bytes),
	  NO_OFFSET, 1024, 65536 },
	{ "max_headers", KT_UINT, SC_GATEWAY, GW(max_headers), NO_OFFSET,
	  1, 1000 },
	{ "max_connections", KT_UINT, BOTH, GW(max_connections),
	  RT(max_connections), 0, 10000000 },
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
	{ "path", KT_URLPATH, SC_ROUTE, NO_OFFSET, RT(path), 0, 0 },
	{ "backend", KT_BACKEND, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "origins", KT_ORIGINS, SC_ROUTE, NO_OFFSET, NO_OFFSET, 0, 0 },
	{ "allow_missing_origin", KT_BOOL, SC_ROUTE, NO_OFFSET,
	  RT(allow_missing_origin), 0, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static size_t
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS && strcmp(keys[i].name, name) != 0; i++)
		;
	return i;
}

static bool
key_given(unsigned long long set, const char *name)
{
	return (set >> key_index(name)) & 1;
}

/* Per-route parse state kept beside cfg->routes (same index). */
struct route_parse {
	unsigned long long set;		/* bit i: keys[i] given */
	int line[NKEYS];
};

struct parse {
	struct config *cfg;
	struct config_errors *errs;
	FILE *fp;
	const char *file;		/* cfg->files[...] */
	char *dir;			/* directory of the main file */
	int line;
	bool route_file;		/* routes_dir file: routes only */
	bool have_key;			/* a key line seen in this section */
	bool continuation;		/* current line continues a value */

	enum section_kind kind;
	char section[128];
	size_t route;			/* index when kind == SEC_ROUTE */
	struct config_where gw_where;	/* the [gateway] header */
	bool gw_seen;
	unsigned long long gw_set;
	int gw_line[NKEYS];
	struct route_parse *rp;		/* parallel to cfg->routes */
};

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
static void __attribute__((format(printf, 6, 7)))
errorf(struct parse *ps, const char *file, int line, const char *section,
    const char *key, const char *fmt, ...)
{
	char msg[512], *out;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (section != NULL && section[0] != '\0')
		n = asprintf(&out, "%s:%d: [%s]%s%s: %s", file, line, section,
		    key != NULL ? " " : "", key != NULL ? key : "", msg);
	else
		n = asprintf(&out, "%s:%d: %s%s%s", file, line,
		    key != NULL ? key : "", key != NULL ? ": " : "", msg);
	if (n >= 0)
		add_error(ps->errs, out);
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
	cfg->max_request_bytes = 8192;
	cfg->max_headers = 64;
	limits_defaults(&cfg->limits);
	return cfg;
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
		struct route *routes;
		struct route_parse *rp;
		struct route *r;

		if (rname[0] == '\0') {
			errorf(ps, HERE(ps), NULL, "route needs a name: "
			    "[route:NAME]");
			return;
		}
		for (const char *c = rname; *c != '\0'; c++) {
			if (!isalnum((unsigned char)*c) && *c != '-' &&
			    *c != '_' && *c != '.') {
				errorf(ps, HERE(ps), NULL, "route name may "
				    "only contain letters, digits, '-', '_' "
				    "and '.'");
				return;
			}
		}
		for (size_t i = 0; i < cfg->nroutes; i++) {
			if (strcmp(cfg->routes[i].name, rname) == 0) {
				errorf(ps, HERE(ps), NULL, "route declared "
				    "twice (first at %s:%d)",
				    cfg->routes[i].where.file,
				    cfg->routes[i].where.line);
				return;
			}
		}
		routes = realloc(cfg->routes,
		    (cfg->nroutes + 1) * sizeof(*routes));
		if (routes == NULL)
			return;
		cfg->routes = routes;
		rp = realloc(ps->rp, (cfg->nroutes + 1) * sizeof(*rp));
		if (rp == NULL)
			return;
		ps->rp = rp;
		r = &cfg->routes[cfg->nroutes];
		memset(r, 0, sizeof(*r));
		memset(&ps->rp[cfg->nroutes], 0, sizeof(*rp));
		r->name = strdup(rname);
		if (r->name == NULL)
			return;
		r->where.file = ps->file;
		r->where.line = ps->line;
		atomic_init(&r->active, 0);
		ps->route = cfg->nroutes++;
		ps->kind = SEC_ROUTE;
		return;
	}
	errorf(ps, HERE(ps), NULL, "unknown section; expected [gateway] or "
	    "[route:NAME]");
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

	if (fgets(str, num, ps->fp) == NULL)
		return NULL;
	ps->line++;
	ps->continuation = false;
	n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(ps->fp)) {
		int c;

		while ((c = getc(ps->fp)) != EOF && c != '\n')
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

static const struct key_def *
key_find(const char *name, unsigned scope, bool *other_scope)
{
	*other_scope = false;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (keys[i].scope & scope)
			return &keys[i];
		*other_scope = true;
	}
	return NULL;
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

static void
set_listen(struct parse *ps, const char *value)
{
	struct config *cfg = ps->cfg;
	struct listen_spec *ls, spec;
	char addr[300];
	const char *why, *rest;
	size_t alen = strcspn(value, " \t");

	memset(&spec, 0, sizeof(spec));
	rest = value + alen;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (strcmp(rest, "tls") == 0) {
		spec.tls = true;
	} else if (*rest != '\0') {
		errorf(ps, HERE(ps), "listen", "unexpected \"%s\" after the "
		    "address (one address per listen line; optional word: "
		    "tls)", rest);
		return;
	}
	if (alen >= sizeof(addr)) {
		errorf(ps, HERE(ps), "listen", "address too long");
		return;
	}
	memcpy(addr, value, alen);
	addr[alen] = '\0';
	if (value_hostport(addr, true, spec.host, sizeof(spec.host), spec.port,
	    sizeof(spec.port), &why) != 0) {
		errorf(ps, HERE(ps), "listen", "\"%s\": %s", addr, why);
		return;
	}
	if (spec.tls) {
		errorf(ps, HERE(ps), "listen", "TLS listeners are not "
		    "supported by this build yet");
		return;
	}
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

static void
set_backend(struct parse *ps, struct route *r, const char *value)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->backend_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->backend_addr;
	const char *why;

	if (value_hostport(value, false, r->backend_host, sizeof(r->backend_host),
	    r->backend_port, sizeof(r->backend_port), &why) != 0) {
		errorf(ps, HERE(ps), "backend", "\"%s\": %s", value, why);
		return;
	}
	r->backend = strdup(value);
	memset(&r->backend_addr, 0, sizeof(r->backend_addr));
	if (inet_pton(AF_INET, r->backend_host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(r->backend_port));
		r->backend_addrlen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, r->backend_host, &sin6->sin6_addr) ==
	    1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)atoi(r->backend_port));
		r->backend_addrlen = sizeof(*sin6);
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
			errorf(ps, HERE(ps), "origins", "\"%.*s\": %s",
			    (int)len, p, why);
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

/* Store a scalar value through the key table; reports its own errors. */
static void
set_scalar(struct parse *ps, const struct key_def *k, void *base,
    size_t off, const char *value)
{
	char *field = (char *)base + off;

	switch (k->type) {
	case KT_SECONDS: {
		double v;

		if (value_seconds(value, &v) != 0 || v < k->min ||
		    v > k->max) {
			errorf(ps, HERE(ps), k->name, "\"%s\" is not a "
			    "duration from %g to %g seconds", value, k->min,
			    k->max);
			return;
		}
		memcpy(field, &v, sizeof(v));
		return;
	}
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
	unsigned long long *set;
	int *lines;
	struct route *r = NULL;
	char vbuf[INI_MAX_LINE];
	bool other;
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
		set = &ps->rp[ps->route].set;
		lines = ps->rp[ps->route].line;
		break;
	default:
		return 1;
	}
	k = key_find(name, r != NULL ? SC_ROUTE : SC_GATEWAY, &other);
	if (k == NULL) {
		if (other)
			errorf(ps, HERE(ps), name, "this key belongs in %s",
			    r != NULL ? "[gateway]" : "a [route:NAME] section");
		else
			errorf(ps, HERE(ps), name, "unknown key");
		return 1;
	}
	ki = (size_t)(k - keys);

	if (k->type == KT_LISTEN) {
		set_listen(ps, value);
	} else if (k->type == KT_ORIGINS) {
		add_origins(ps, r, value);
	} else if (ps->continuation) {
		errorf(ps, HERE(ps), name, "indented continuation line: only "
		    "list keys (listen, origins) take several values");
		return 1;
	} else if (*set & (1ull << ki)) {
		errorf(ps, HERE(ps), name, "given twice (first at line %d)",
		    lines[ki]);
		return 1;
	} else if (k->type == KT_BACKEND) {
		set_backend(ps, r, value);
	} else {
		set_scalar(ps, k, r != NULL ? (void *)r : (void *)ps->cfg,
		    r != NULL ? k->route_off : k->gw_off, value);
	}
	if (!(*set & (1ull << ki)))
		lines[ki] = ps->line;
	*set |= 1ull << ki;
	return 1;
}

static void
parse_stream(struct parse *ps, FILE *fp, const char *file)
{
	int rc;

	ps->fp = fp;
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
}

/* Returns -1 if the file could not be read at all. */
static int
parse_file(struct parse *ps, const char *path)
{
	FILE *fp = fopen(path, "r");
	int rc = 0;

	if (fp == NULL) {
		errorf(ps, path, 0, NULL, NULL, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	parse_stream(ps, fp, path);
	if (ferror(fp)) {
		/* e.g. a directory: fopen() works, reading does not */
		errorf(ps, path, 0, NULL, NULL, "cannot read: %s",
		    strerror(errno));
		rc = -1;
	}
	fclose(fp);
	return rc;
}

static int
ini_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".ini") == 0;
}

static void
parse_routes_dir(struct parse *ps)
{
	struct dirent **names;
	int n;

	n = scandir(ps->cfg->routes_dir, &names, ini_filter, alphasort);
	if (n < 0) {
		errorf(ps, ps->gw_where.file,
		    ps->gw_line[key_index("routes_dir")], "gateway",
		    "routes_dir", "%s: %s", ps->cfg->routes_dir,
		    strerror(errno));
		return;
	}
	ps->route_file = true;
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", ps->cfg->routes_dir,
		    names[i]->d_name);
		parse_file(ps, path);
		free(names[i]);
	}
	free(names);
	ps->route_file = false;
}

/* After every file: inherit [gateway] limits, then check what is missing
 * or contradictory across sections. */
static void
finish(struct parse *ps)
{
	struct config *cfg = ps->cfg;
	const char *mainf = cfg->files != NULL ? cfg->files[0] : cfg->path;
	int gwline = ps->gw_seen ? ps->gw_where.line : 1;

	if (cfg->nlisteners == 0 && !key_given(ps->gw_set, "listen"))
		errorf(ps, mainf, gwline, "gateway", "listen", "missing; add "
		    "at least one, e.g. listen = 127.0.0.1:8080");
	if (cfg->nroutes == 0 && cfg->web_root == NULL)
		errorf(ps, mainf, gwline, NULL, NULL, "no routes: add a "
		    "[route:NAME] section (here or in routes_dir)");

	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];
		char sec[160];

		unsigned long long set = ps->rp[i].set;

		snprintf(sec, sizeof(sec), "route:%s", r->name);
		for (size_t k = 0; k < NKEYS; k++) {
			if (!(keys[k].scope & SC_INHERIT) ||
			    (set & (1ull << k)))
				continue;
			/* struct limits holds only 8-byte fields. */
			memcpy((char *)r + keys[k].route_off,
			    (char *)cfg + keys[k].gw_off, sizeof(uint64_t));
		}
		/* Keys given but invalid were reported where they stand. */
		if (!key_given(set, "path"))
			errorf(ps, r->where.file, r->where.line, sec, "path",
			    "missing; e.g. path = /%s", r->name);
		if (!key_given(set, "backend"))
			errorf(ps, r->where.file, r->where.line, sec,
			    "backend", "missing; e.g. backend = "
			    "127.0.0.1:5900");
		if (key_given(set, "origins") && r->norigins == 0 &&
		    !r->origin_any)
			errorf(ps, r->where.file,
			    ps->rp[i].line[key_index("origins")], sec,
			    "origins", "no origin listed; list the page origins "
			    "allowed to connect, or \"*\" to allow any");
		if (!key_given(set, "origins"))
			errorf(ps, r->where.file, r->where.line, sec,
			    "origins", "missing; list the page origins "
			    "allowed to connect (scheme://host[:port]), or "
			    "\"*\" to allow any");
		if (r->path == NULL)
			continue;
		if (cfg->health_path != NULL &&
		    strcmp(cfg->health_path, r->path) == 0)
			errorf(ps, r->where.file, r->where.line, sec, "path",
			    "\"%s\" is also the health_path", r->path);
		for (size_t j = 0; j < i; j++) {
			if (cfg->routes[j].path != NULL &&
			    strcmp(cfg->routes[j].path, r->path) == 0) {
				errorf(ps, r->where.file,
				    ps->rp[i].line[key_index("path")], sec,
				    "path",
				    "\"%s\" is already used by [route:%s] at "
				    "%s:%d", r->path, cfg->routes[j].name,
				    cfg->routes[j].where.file,
				    cfg->routes[j].where.line);
				break;
			}
		}
	}
}

static struct config *
load(const char *path, FILE *fp, struct config_errors *errs)
{
	struct parse ps;
	struct config *cfg = config_new();
	char *slash;

	if (cfg == NULL)
		return NULL;
	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	ps.errs = errs;
	cfg->path = strdup(path);
	ps.dir = strdup(path);
	if (cfg->path == NULL || ps.dir == NULL) {
		free(ps.dir);
		config_unref(cfg);
		return NULL;
	}
	slash = strrchr(ps.dir, '/');
	if (slash == NULL)
		strcpy(ps.dir, ".");
	else if (slash == ps.dir)
		slash[1] = '\0';
	else
		*slash = '\0';

	size_t before = errs->n;
	if (fp != NULL)
		parse_stream(&ps, fp, path);
	else if (parse_file(&ps, path) != 0)
		goto done;	/* what is "missing" would only be noise */
	if (cfg->routes_dir != NULL)
		parse_routes_dir(&ps);
	finish(&ps);
done:
	free(ps.rp);
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
	struct config *cfg;
	FILE *fp = fmemopen((void *)text, strlen(text), "r");

	if (fp == NULL)
		return NULL;
	cfg = load(name, fp, errs);
	fclose(fp);
	return cfg;
}

struct config *
config_ref(struct config *cfg)
{
	atomic_fetch_add(&cfg->refcnt, 1);
	return cfg;
}

static void
route_free_fields(struct route *r)
{
	free(r->name);
	free(r->path);
	free(r->backend);
	for (size_t i = 0; i < r->norigins; i++)
		free(r->origins[i]);
	free(r->origins);
}

void
config_unref(struct config *cfg)
{
	if (cfg == NULL || atomic_fetch_sub(&cfg->refcnt, 1) != 1)
		return;
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
