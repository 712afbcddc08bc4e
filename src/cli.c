/* cli.c -- the command line, pure: wsgate's options and websockify 0.10's form (argv) to a struct and an INI text */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "htpasswd.h"
#include "suggest.h"

/*
 * websockify's form becomes an INI text that config.c loads like any
 * file, so the command line gets the same checks as a file, and
 * --print-config can print what it amounts to.  Options that need Python
 * (plugins, wrapping a program, daemonizing) are refused with a line
 * naming what does the job instead.
 */

enum opt_id {
	O_CONFIG, O_CHECK, O_VERBOSE, O_QUIET, O_VERSION, O_HELP, O_PRINT,
	O_TRAFFIC, O_CERT, O_KEY, O_SSL_ONLY, O_SSL_TARGET, O_VERIFY,
	O_CAFILE, O_SSL_VERSION, O_CIPHERS, O_WEB, O_PREFER_V6,
	O_AUTH_PLUGIN, O_AUTH_SOURCE, O_LOG_FILE, O_RUN_ONCE, O_TIMEOUT,
	O_IDLE_TIMEOUT, O_TOKEN_PLUGIN, O_TOKEN_SOURCE, O_TARGET_CONFIG,
	O_HOST_TOKEN, O_ALLOWED_TARGETS, O_HEARTBEAT, O_RECORD, O_WEB_AUTH,
	O_UNIX_TARGET, O_KEY_PASSWORD, O_SYSLOG, O_LEGACY_SYSLOG, O_INETD,
	O_REFUSED,
};

struct opt_def {
	const char *name;	/* "--long", or NULL */
	char shortc;		/* or 0 */
	bool arg;
	enum opt_id id;
	const char *refusal;	/* O_REFUSED: why, and what does it instead */
};

#define NOT_YET "not supported yet by wsgate's command line"

static const struct opt_def opts[] = {
	{ "--config", 'c', true, O_CONFIG, NULL },
	{ "--check", 't', false, O_CHECK, NULL },
	{ "--verbose", 'v', false, O_VERBOSE, NULL },
	{ "--quiet", 'q', false, O_QUIET, NULL },
	{ "--version", 'V', false, O_VERSION, NULL },
	{ "--help", 'h', false, O_HELP, NULL },
	{ "--print-config", 0, false, O_PRINT, NULL },
	{ "--traffic", 0, false, O_TRAFFIC, NULL },
	{ "--cert", 0, true, O_CERT, NULL },
	{ "--key", 0, true, O_KEY, NULL },
	{ "--ssl-only", 0, false, O_SSL_ONLY, NULL },
	{ "--ssl-target", 0, false, O_SSL_TARGET, NULL },
	{ "--verify-client", 0, false, O_VERIFY, NULL },
	{ "--cafile", 0, true, O_CAFILE, NULL },
	{ "--ssl-version", 0, true, O_SSL_VERSION, NULL },
	{ "--ssl-ciphers", 0, true, O_CIPHERS, NULL },
	{ "--web", 0, true, O_WEB, NULL },
	{ "--prefer-ipv6", '6', false, O_PREFER_V6, NULL },
	{ "--auth-plugin", 0, true, O_AUTH_PLUGIN, NULL },
	{ "--auth-source", 0, true, O_AUTH_SOURCE, NULL },
	{ "--log-file", 0, true, O_LOG_FILE, NULL },
	{ "--key-password", 0, true, O_KEY_PASSWORD, NULL },
	{ "--daemon", 'D', false, O_REFUSED,
	  "wsgate does not daemonize: run it under systemd "
	  "(deploy/systemd/wsgate.service) or Docker, which also restart "
	  "it and keep its log" },
	{ "--libserver", 0, false, O_REFUSED,
	  "Python's SocketServer engine has no meaning for wsgate: leave "
	  "it out" },
	{ "--wrap-mode", 0, true, O_REFUSED,
	  "wsgate does not start or wrap programs: run the program by "
	  "itself (systemd, Docker) and give its host:port as the target" },
	{ "--inetd", 0, false, O_INETD, NULL },
	{ "--syslog", 0, true, O_SYSLOG, NULL },
	{ "--legacy-syslog", 0, false, O_LEGACY_SYSLOG, NULL },
	{ "--record", 0, true, O_RECORD, NULL },
	{ "--heartbeat", 0, true, O_HEARTBEAT, NULL },
	{ "--run-once", 0, false, O_RUN_ONCE, NULL },
	{ "--timeout", 0, true, O_TIMEOUT, NULL },
	{ "--idle-timeout", 0, true, O_IDLE_TIMEOUT, NULL },
	{ "--unix-target", 0, true, O_UNIX_TARGET, NULL },
	{ "--web-auth", 0, false, O_WEB_AUTH, NULL },
	{ "--token-plugin", 0, true, O_TOKEN_PLUGIN, NULL },
	{ "--token-source", 0, true, O_TOKEN_SOURCE, NULL },
	{ "--target-config", 0, true, O_TARGET_CONFIG, NULL },
	{ "--host-token", 0, false, O_HOST_TOKEN, NULL },
	{ "--allowed-targets", 0, true, O_ALLOWED_TARGETS, NULL },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* What the options said, before the INI is written. */
struct parsed {
	const char *source, *target;
	const char *cert, *key, *cafile, *ssl_version, *ciphers, *web;
	const char *auth_plugin, *auth_source;
	const char *exit_after, *exit_when_idle;
	const char *token_plugin, *token_source, *allowed_targets;
	const char *heartbeat, *unix_target, *record, *syslog;
	bool legacy_syslog;
	bool inetd;		/* the listening socket is stdin: fd:0 */
	const char *key_password;
	bool host_token, web_auth;
	bool ssl_only, ssl_target, verify, prefer_v6, traffic, run_once;
	const char *first_ws_opt;	/* a websockify-only option seen */
};

/* The INI being written. */
struct gen {
	struct cli *cli;
	char *buf;
	size_t len, cap;
	int line;		/* lines written so far */
	const char *cwd;
	const char *jwt_algorithm;	/* JWTTokenApi's, inferred */
	char *err;
	size_t errsize;
	bool failed;
};

static int
fail(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct opt_def *
find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].name != NULL && strlen(opts[i].name) == len &&
		    memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static const struct opt_def *
find_short(char c)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].shortc == c)
			return &opts[i];
	return NULL;
}

static void
warn(struct cli *cli, const char *msg)
{
	if (cli->nwarnings < CLI_MAX_WARNINGS)
		cli->warnings[cli->nwarnings++] = msg;
}

/* A build without Basic auth refuses what needs it. */
#define BASIC_AUTH_NOT_YET NOT_YET ": Basic auth is coming as the key " \
	"auth_basic_file (an htpasswd file of hashed passwords)"

/* One option with its value (NULL when it takes none). */
static int
apply(struct cli *cli, struct parsed *p, const struct opt_def *o,
    const char *val, char *err, size_t errsize)
{
	switch (o->id) {
	case O_CONFIG:
		cli->config_path = val;
		return 0;
	case O_CHECK:
		if (cli->action == CLI_RUN)
			cli->action = CLI_CHECK;
		return 0;
	case O_VERBOSE:
		cli->verbosity = 1;
		return 0;
	case O_QUIET:
		cli->verbosity = -1;
		return 0;
	case O_VERSION:
		cli->action = CLI_VERSION;
		return 0;
	case O_HELP:
		cli->action = CLI_HELP;
		return 0;
	case O_PRINT:
		if (cli->action == CLI_RUN || cli->action == CLI_CHECK)
			cli->action = CLI_PRINT_CONFIG;
		return 0;
	case O_LOG_FILE:
		cli->log_file = val;
		return 0;
	case O_REFUSED:
		return fail(err, errsize, "%s: %s", o->name, o->refusal);
	default:
		break;
	}
	/* The rest only have a meaning in websockify's form. */
	if (p->first_ws_opt == NULL)
		p->first_ws_opt = o->name;
	switch (o->id) {
	case O_TRAFFIC:
		p->traffic = true;
		cli->verbosity = 1;
		break;
	case O_CERT: p->cert = val; break;
	case O_KEY: p->key = val; break;
	case O_SSL_ONLY: p->ssl_only = true; break;
	case O_SSL_TARGET: p->ssl_target = true; break;
	case O_VERIFY: p->verify = true; break;
	case O_CAFILE: p->cafile = val; break;
	case O_SSL_VERSION: p->ssl_version = val; break;
	case O_CIPHERS: p->ciphers = val; break;
	case O_WEB: p->web = val; break;
	case O_PREFER_V6: p->prefer_v6 = true; break;
	case O_AUTH_PLUGIN: p->auth_plugin = val; break;
	case O_AUTH_SOURCE: p->auth_source = val; break;
	case O_RUN_ONCE: p->run_once = true; break;
	case O_TIMEOUT: p->exit_after = val; break;
	case O_IDLE_TIMEOUT: p->exit_when_idle = val; break;
	case O_TOKEN_PLUGIN: p->token_plugin = val; break;
	case O_TOKEN_SOURCE: p->token_source = val; break;
	case O_TARGET_CONFIG:
		/* websockify: the same as --token-plugin TokenFile. */
		p->token_plugin = "TokenFile";
		p->token_source = val;
		break;
	case O_HOST_TOKEN: p->host_token = true; break;
	case O_ALLOWED_TARGETS: p->allowed_targets = val; break;
	case O_HEARTBEAT: p->heartbeat = val; break;
	case O_UNIX_TARGET: p->unix_target = val; break;
	case O_WEB_AUTH: p->web_auth = true; break;
	case O_RECORD: p->record = val; break;
	case O_SYSLOG: p->syslog = val; break;
	case O_KEY_PASSWORD: p->key_password = val; break;
	case O_LEGACY_SYSLOG: p->legacy_syslog = true; break;
	case O_INETD: p->inetd = true; break;
	default: break;
	}
	return 0;
}

static int
positional(struct parsed *p, const char *arg, char *err, size_t errsize)
{
	if (p->source == NULL)
		p->source = arg;
	else if (p->target == NULL)
		p->target = arg;
	else
		return fail(err, errsize, "unexpected argument \"%s\" (the "
		    "form is [source_addr:]source_port "
		    "target_addr:target_port)", arg);
	return 0;
}

static int
unknown_long(const char *a, size_t len, char *err, size_t errsize)
{
	const char *names[NOPTS];
	char word[SUGGEST_LEN_MAX + 1];
	const char *near;

	for (size_t i = 0; i < NOPTS; i++)
		names[i] = opts[i].name;
	snprintf(word, sizeof(word), "%.*s",
	    (int)(len > SUGGEST_LEN_MAX ? SUGGEST_LEN_MAX : len), a);
	near = len <= SUGGEST_LEN_MAX ? suggest_closest(word, names, NOPTS) :
	    NULL;
	if (near != NULL)
		return fail(err, errsize, "unknown option \"%s\"; did you "
		    "mean %s?", word, near);
	return fail(err, errsize, "unknown option \"%s\" (wsgate --help "
	    "lists them)", word);
}

/* argv to cli and p: every option, in any order with the positionals. */
static int
scan(struct cli *cli, struct parsed *p, int argc, char *const argv[],
    char *err, size_t errsize)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt_def *o;

		if (strcmp(a, "--") == 0) {
			if (p->source != NULL && i + 1 < argc)
				return fail(err, errsize, "-- %s: wsgate does "
				    "not start or wrap programs (websockify's "
				    "WRAP_COMMAND_LINE): run the program by "
				    "itself and give its host:port as the "
				    "target", argv[i + 1]);
			for (i++; i < argc; i++)
				if (positional(p, argv[i], err, errsize) != 0)
					return -1;
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a, '=');
			size_t len = eq != NULL ? (size_t)(eq - a) : strlen(a);
			const char *val = NULL;

			o = find_long(a, len);
			if (o == NULL)
				return unknown_long(a, len, err, errsize);
			if (o->arg && eq != NULL)
				val = eq + 1;
			else if (o->arg && i + 1 < argc)
				val = argv[++i];
			else if (o->arg && o->id != O_REFUSED)
				return fail(err, errsize, "%s needs a value",
				    o->name);
			else if (!o->arg && eq != NULL)
				return fail(err, errsize, "%s takes no value",
				    o->name);
			if (apply(cli, p, o, val, err, errsize) != 0)
				return -1;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (positional(p, a, err, errsize) != 0)
				return -1;
			continue;
		}
		/* A cluster of short options: -tv, -cFILE, -c FILE. */
		for (const char *s = a + 1; *s != '\0'; s++) {
			const char *val = NULL;

			o = find_short(*s);
			if (o == NULL)
				return fail(err, errsize, "unknown option "
				    "\"-%c\" (wsgate --help lists them)", *s);
			if (o->arg) {
				if (s[1] != '\0')
					val = s + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return fail(err, errsize, "-%c needs a "
					    "value", *s);
			}
			if (o->id == O_REFUSED)
				return fail(err, errsize, "-%c (%s): %s", *s,
				    o->name, o->refusal);
			if (apply(cli, p, o, val, err, errsize) != 0)
				return -1;
			if (val != NULL)
				break;
		}
	}
	return 0;
}

/* ---- writing the INI ---- */

static int
gen_fail(struct gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
gen_fail(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->failed) {
		va_start(ap, fmt);
		vsnprintf(g->err, g->errsize, fmt, ap);
		va_end(ap);
	}
	g->failed = true;
	return -1;
}

/* A value goes into one INI line as it is: no control characters (a
 * newline would start a line of its own), no " ;" (a comment), no blanks
 * at either end (inih strips them). */
static int
check_value(struct gen *g, const char *opt, const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return gen_fail(g, "%s: empty value", opt);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return gen_fail(g, "%s: the value has a control "
			    "character (byte %zu)", opt, i + 1);
		if (c == ';' && i > 0 && (v[i - 1] == ' ' ||
		    v[i - 1] == '\t'))
			return gen_fail(g, "%s \"%s\": \" ;\" would start a "
			    "comment in the configuration", opt, v);
	}
	if (v[0] == ' ' || v[n - 1] == ' ')
		return gen_fail(g, "%s \"%s\": blanks at either end", opt, v);
	return 0;
}

/* Append a line; opt/val: where it came from (NULL for none). */
static int
line(struct gen *g, const char *opt, const char *val, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
line(struct gen *g, const char *opt, const char *val, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->failed)
		return -1;
	for (;;) {
		size_t room = g->cap - g->len;

		va_start(ap, fmt);
		n = room > 0 ? vsnprintf(g->buf + g->len, room, fmt, ap) : -1;
		va_end(ap);
		if (n < 0 && room > 0)
			return gen_fail(g, "out of memory");
		if (n >= 0 && (size_t)n + 2 <= room)
			break;
		size_t cap = g->cap * 2 + (n > 0 ? (size_t)n : 0) + 256;
		char *b = realloc(g->buf, cap);

		if (b == NULL)
			return gen_fail(g, "out of memory");
		g->buf = b;
		g->cap = cap;
	}
	g->len += (size_t)n;
	g->buf[g->len++] = '\n';
	g->buf[g->len] = '\0';
	g->line++;
	if (g->line <= CLI_MAX_LINES) {
		g->cli->line_opt[g->line] = opt;
		g->cli->line_val[g->line] = val;
	}
	return 0;
}

/* key = PREFIXpath, the path made absolute against cwd. */
static int
prefixed_path_line(struct gen *g, const char *key, const char *prefix,
    const char *opt, const char *v)
{
	if (check_value(g, opt, v) != 0)
		return -1;
	if (v[0] == '/' || g->cwd == NULL)
		return line(g, opt, v, "%s = %s%s", key, prefix, v);
	if (strcmp(v, ".") == 0)
		return line(g, opt, v, "%s = %s%s", key, prefix, g->cwd);
	return line(g, opt, v, "%s = %s%s%s%s", key, prefix, g->cwd,
	    g->cwd[strlen(g->cwd) - 1] == '/' ? "" : "/",
	    v[0] == '.' && v[1] == '/' ? v + 2 : v);
}

static int
path_line(struct gen *g, const char *key, const char *opt, const char *v)
{
	return prefixed_path_line(g, key, "", opt, v);
}

/* websockify's split of "[host:]port": at the last colon, then the
 * brackets of an IPv6 address off. */
static void
split_hostport(const char *arg, const char **host, size_t *hlen,
    const char **port)
{
	const char *colon = strrchr(arg, ':');

	if (colon == NULL) {
		*host = arg;
		*hlen = 0;
		*port = arg;
		return;
	}
	*host = arg;
	*hlen = (size_t)(colon - arg);
	*port = colon + 1;
	if (*hlen >= 2 && arg[0] == '[' && arg[*hlen - 1] == ']') {
		(*host)++;
		*hlen -= 2;
	}
}

static bool
is_port(const char *s, bool zero_ok)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 6; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	return i > 0 && s[i] == '\0' && v <= 65535 && (zero_ok || v > 0);
}

/* host:port for the INI, with brackets for an IPv6 address. */
static int
hostport_line(struct gen *g, const char *key, const char *opt,
    const char *arg, const char *host, size_t hlen, const char *port,
    const char *suffix)
{
	bool v6 = memchr(host, ':', hlen) != NULL;

	return line(g, opt, arg, "%s = %s%.*s%s:%s%s", key, v6 ? "[" : "",
	    (int)hlen, host, v6 ? "]" : "", port, suffix);
}

static bool
loopback(const char *host, size_t hlen)
{
	return (hlen == 9 && strncmp(host, "localhost", 9) == 0) ||
	    (hlen >= 4 && strncmp(host, "127.", 4) == 0) ||
	    (hlen == 3 && strncmp(host, "::1", 3) == 0);
}

/* The words of websockify's --auth-source, joined with ", ". */
static int
list_line(struct gen *g, const char *key, const char *src)
{
	char joined[512];
	size_t n = 0;
	const char *p = src;

	while (*p != '\0') {
		size_t w;

		while (*p == ' ' || *p == '\t')
			p++;
		w = strcspn(p, " \t");
		if (w == 0)
			break;
		if (memchr(p, ',', w) != NULL)
			return gen_fail(g, "--auth-source \"%s\": a name with "
			    "a comma cannot be listed", src);
		if (n + w + 3 > sizeof(joined))
			return gen_fail(g, "--auth-source: too long (at most "
			    "%zu bytes)", sizeof(joined) - 3);
		if (n > 0) {
			memcpy(joined + n, ", ", 2);
			n += 2;
		}
		memcpy(joined + n, p, w);
		n += w;
		p += w;
	}
	joined[n] = '\0';
	if (n == 0)
		return gen_fail(g, "--auth-source: empty");
	/* What the words carry goes into the line as it is. */
	if (check_value(g, "--auth-source", joined) != 0)
		return -1;
	return line(g, "--auth-source", src, "%s = %s", key, joined);
}

/* Which of websockify's auth plugins (with or without its module). */
static const char *
plugin_name(const char *v)
{
	static const char prefix[] = "websockify.auth_plugins.";

	if (strncmp(v, prefix, sizeof(prefix) - 1) == 0)
		return v + sizeof(prefix) - 1;
	return v;
}

static int
gen_gateway(struct gen *g, const struct parsed *p, int verbosity)
{
	const char *host, *port;
	size_t hlen;

	line(g, NULL, NULL, "[gateway]");
	if (p->inetd) {
		/* websockify's --inetd: inetd ("wait") or a service manager
		 * passes the listening socket as stdin. */
		line(g, "--inetd", NULL, "listen = fd:0%s",
		    p->cert != NULL ? " tls" : "");
	} else {
		split_hostport(p->source, &host, &hlen, &port);
		if (!is_port(port, true))
			return gen_fail(g, "\"%s\": not [source_addr:]"
			    "source_port (a port is 1-65535, or 0 for any "
			    "free one)", p->source);
		if (hlen == 0 || (hlen == 1 && host[0] == '*')) {
			/* websockify binds "" (every IPv4 address, or IPv6
			 * with -6); "*" is every address of both. */
			host = "*";
			hlen = 1;
		}
		if (check_value(g, "source_addr", p->source) != 0)
			return -1;
		hostport_line(g, "listen", "[source_addr:]source_port",
		    p->source, host, hlen, port,
		    p->cert != NULL ? " tls" : "");
		if (p->cert == NULL && !loopback(host, hlen))
			warn(g->cli, "plain ws:// (no TLS) on an address "
			    "other machines can reach: add --cert FILE (and "
			    "--key FILE), or listen on 127.0.0.1 behind a TLS "
			    "proxy");
	}
	if (p->web != NULL)
		path_line(g, "web_root", "--web", p->web);
	if (p->run_once)
		line(g, "--run-once", NULL, "run_once = yes");
	if (p->exit_after != NULL && check_value(g, "--timeout",
	    p->exit_after) == 0)
		line(g, "--timeout", p->exit_after, "exit_after = %s",
		    p->exit_after);
	/* Not idle_timeout: that one closes an idle session. */
	if (p->exit_when_idle != NULL && check_value(g, "--idle-timeout",
	    p->exit_when_idle) == 0)
		line(g, "--idle-timeout", p->exit_when_idle,
		    "exit_when_idle = %s", p->exit_when_idle);
	if (p->syslog != NULL) {
		/* syslog(3) speaks to the local socket only. */
		if (strcmp(p->syslog, "/dev/log") != 0)
			return gen_fail(g, "--syslog %s: wsgate logs through "
			    "the local syslog socket only: give --syslog "
			    "/dev/log and let the syslog daemon forward (rsyslog:"
			    " *.* @HOST:PORT)", p->syslog);
		line(g, "--syslog", p->syslog, "log_target = syslog");
	} else if (p->legacy_syslog) {
		return gen_fail(g, "--legacy-syslog needs --syslog /dev/log");
	}
	if (verbosity != 0)
		line(g, verbosity > 0 ? (p->traffic ? "--traffic" : "-v") :
		    "-q", NULL, "log_level = %s",
		    verbosity > 0 ? "debug" : "warn");
	if (p->cert == NULL) {
		const char *need = p->key != NULL ? "--key" :
		    p->key_password != NULL ? "--key-password" :
		    p->ssl_only ? "--ssl-only" : p->verify ?
		    "--verify-client" : p->ssl_version != NULL ?
		    "--ssl-version" : p->ciphers != NULL ? "--ssl-ciphers" :
		    NULL;

		if (need != NULL)
			return gen_fail(g, "%s needs --cert FILE", need);
		return g->failed ? -1 : 0;
	}
	path_line(g, "tls_cert", "--cert", p->cert);
	if (p->key_password != NULL) {
		if (p->key_password[0] == '\0')
			return gen_fail(g, "--key-password: empty");
		g->cli->key_password = p->key_password;
		line(g, NULL, NULL, "; --key-password: the key below is "
		    "encrypted; an INI file takes an unencrypted one (openssl "
		    "pkey -in KEY -out PLAIN.key)");
		warn(g->cli, "--key-password: the password was visible in the "
		    "process list (ps) until wsgate read it: decrypt the key "
		    "once instead (openssl pkey -in KEY -out PLAIN.key; chmod "
		    "600 PLAIN.key) and give --key PLAIN.key");
	}
	/* websockify: the key is in the certificate file unless given. */
	path_line(g, "tls_key", p->key != NULL ? "--key" : "--cert",
	    p->key != NULL ? p->key : p->cert);
	if (p->ssl_version != NULL) {
		const char *v = p->ssl_version;

		if (strcmp(v, "tlsv1_1") == 0) {
			warn(g->cli, "--ssl-version tlsv1_1: wsgate's lowest "
			    "is TLS 1.2 (RFC 8996 deprecates 1.0 and 1.1)");
			line(g, "--ssl-version", v, "tls_min_version = 1.2");
		} else if (strcmp(v, "tlsv1_2") == 0 ||
		    strcmp(v, "default") == 0) {
			line(g, "--ssl-version", v, "tls_min_version = 1.2");
		} else if (strcmp(v, "tlsv1_3") == 0) {
			line(g, "--ssl-version", v, "tls_min_version = 1.3");
		} else {
			return gen_fail(g, "--ssl-version \"%s\": one of "
			    "default, tlsv1_1, tlsv1_2, tlsv1_3", v);
		}
	}
	if (p->ciphers != NULL && check_value(g, "--ssl-ciphers",
	    p->ciphers) == 0)
		line(g, "--ssl-ciphers", p->ciphers, "tls_ciphers = %s",
		    p->ciphers);
	if (p->verify) {
		if (p->cafile == NULL)
			return gen_fail(g, "--verify-client needs --cafile "
			    "FILE (wsgate does not take the system's CAs as "
			    "signers of client certificates)");
		line(g, "--verify-client", NULL,
		    "tls_verify_client = required");
		path_line(g, "tls_client_ca", "--cafile", p->cafile);
	} else if (p->cafile != NULL) {
		warn(g->cli, "--cafile has no effect without --verify-client "
		    "(as in websockify)");
	}
	return g->failed ? -1 : 0;
}

/*
 * websockify's token plugins: the route's target comes from the token.
 * wsgate never lets a token lead anywhere: without --allowed-targets,
 * private and loopback addresses (or the socket directory) only.
 */
#define PRIVATE_TARGETS "127.0.0.0/8:* 10.0.0.0/8:* 172.16.0.0/12:* " \
	"192.168.0.0/16:* [::1]/128:* [fc00::]/7:*"

static int
gen_tokens(struct gen *g, const struct parsed *p)
{
	static const char tp[] = "websockify.token_plugins.";
	const char *plugin = p->token_plugin, *format;

	if (strncmp(plugin, tp, sizeof(tp) - 1) == 0)
		plugin += sizeof(tp) - 1;
	if (strcmp(plugin, "TokenFile") == 0 ||
	    strcmp(plugin, "ReadOnlyTokenFile") == 0)
		format = "tokenfile";
	else if (strcmp(plugin, "TokenFileName") == 0)
		format = "filename";
	else if (strcmp(plugin, "UnixDomainSocketDirectory") == 0)
		format = "unix_socket_dir";
	else if (strcmp(plugin, "JWTTokenApi") == 0)
		format = NULL;
	else
		return gen_fail(g, "--token-plugin \"%s\": wsgate runs no "
		    "Python plugins; it reads TokenFile, ReadOnlyTokenFile, "
		    "TokenFileName and UnixDomainSocketDirectory sources",
		    p->token_plugin);
	if (!config_key_known("targets"))
		return gen_fail(g, "--token-plugin: %s: token files are "
		    "coming as the route keys targets, targets_format and "
		    "token_source; meanwhile give each target a [route:NAME] "
		    "with its own path in an INI file", NOT_YET);
	if (p->token_source == NULL)
		return gen_fail(g, "--token-plugin %s needs --token-source "
		    "PATH", plugin);
	if (format == NULL) {
		path_line(g, "jwt_key", "--token-source", p->token_source);
		line(g, NULL, NULL, "; websockify takes what the key allows; "
		    "wsgate pins the one the key file says");
		line(g, "--token-source", p->token_source,
		    "jwt_algorithm = %s", g->jwt_algorithm);
		format = "jwt";
	} else {
		path_line(g, "targets", "--token-source", p->token_source);
		line(g, "--token-plugin", p->token_plugin,
		    "targets_format = %s", format);
	}
	if (p->host_token)
		line(g, "--host-token", NULL, "token_source = host");
	if (p->allowed_targets != NULL) {
		if (check_value(g, "--allowed-targets", p->allowed_targets) ==
		    0)
			line(g, "--allowed-targets", p->allowed_targets,
			    "allowed_targets = %s", p->allowed_targets);
	} else if (strcmp(format, "unix_socket_dir") == 0) {
		/* The sockets of that directory, as websockify reaches. */
		prefixed_path_line(g, "allowed_targets", "unix:",
		    "--token-source", p->token_source);
	} else {
		line(g, NULL, NULL, "; websockify lets a token lead anywhere; "
		    "wsgate: private addresses only");
		line(g, "--token-plugin", p->token_plugin,
		    "allowed_targets = " PRIVATE_TARGETS);
		warn(g->cli, "tokens may lead to loopback and private "
		    "addresses only (websockify: anywhere): list where with "
		    "--allowed-targets '10.0.0.0/8:5900-5999 ...'");
	}
	return g->failed ? -1 : 0;
}

/*
 * websockify's --record FILE writes FILE.1, FILE.2, ... (one per
 * session): wsgate records into the directory FILE is in (record = DIR,
 * which must exist), in its own format and names.
 */
static int
record_line(struct gen *g, const char *v)
{
	const char *slash;
	int n;

	if (!config_key_known("record"))
		return gen_fail(g, "--record: %s: session recording is coming "
		    "as the route key record = DIR", NOT_YET);
	if (check_value(g, "--record", v) != 0)
		return -1;
	slash = strrchr(v, '/');
	n = slash == NULL ? 0 : slash == v ? 1 : (int)(slash - v);
	warn(g->cli, "--record: wsgate writes one file per session into the "
	    "directory of FILE, named START-ROUTE-N.wsrec, in its own format "
	    "(docs/record-format.md; wsgate-record dump FILE reads one), not "
	    "websockify's FILE.N");
	line(g, NULL, NULL, "; --record FILE: the sessions go into FILE's "
	    "directory, one .wsrec file each");
	if (v[0] == '/' || g->cwd == NULL)
		return line(g, "--record", v, "record = %.*s",
		    n > 0 ? n : 1, n > 0 ? v : ".");
	if (n == 0 || (n == 1 && v[0] == '.'))
		return line(g, "--record", v, "record = %s", g->cwd);
	if (v[0] == '.' && v[1] == '/') {
		v += 2;
		n -= 2;
	}
	return line(g, "--record", v, "record = %s%s%.*s", g->cwd,
	    g->cwd[strlen(g->cwd) - 1] == '/' ? "" : "/", n, v);
}

/*
 * websockify's BasicHTTPAuth: USER:PASS in clear.  The INI gets no
 * password: the caller hashes it into an in-memory htpasswd table.
 */
static int
basic_auth(struct gen *g, const struct parsed *p)
{
	const char *src = p->auth_source, *colon;
	struct cli *cli = g->cli;

	if (!config_key_known("auth_basic_file"))
		return gen_fail(g, "--auth-plugin BasicHTTPAuth: %s",
		    BASIC_AUTH_NOT_YET);
	if (src == NULL || (colon = strchr(src, ':')) == NULL ||
	    colon == src || colon[1] == '\0')
		return gen_fail(g, "--auth-plugin BasicHTTPAuth needs "
		    "--auth-source USER:PASSWORD");
	if ((size_t)(colon - src) > HTPASSWD_USER_MAX)
		return gen_fail(g, "--auth-source: the user name is longer "
		    "than %d bytes", HTPASSWD_USER_MAX);
	if (strlen(colon + 1) > HTPASSWD_PASS_MAX)
		return gen_fail(g, "--auth-source: the password is longer "
		    "than %d bytes", HTPASSWD_PASS_MAX);
	for (const char *c = src; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return gen_fail(g, "--auth-source: a control "
			    "character (byte %zu)", (size_t)(c - src) + 1);
	cli->basic_user = src;
	cli->basic_user_len = (size_t)(colon - src);
	cli->basic_pass = colon + 1;
	line(g, NULL, NULL, "; --auth-plugin BasicHTTPAuth: the password "
	    "is hashed in memory, never written here; for an INI file make "
	    "an htpasswd file and set auth_basic_file = FILE");
	warn(cli, "--auth-source: the password was visible in the process "
	    "list (ps) until wsgate hashed it: keep the hashes in a file "
	    "instead (htpasswd -B -c FILE USER; auth_basic_file = FILE in an "
	    "INI file, which wsgate --print-config starts)");
	return g->failed ? -1 : 0;
}

static int
gen_route(struct gen *g, const struct parsed *p)
{
	const char *host, *port, *plugin = NULL;
	size_t hlen;

	line(g, NULL, NULL, "%s", "");
	line(g, NULL, NULL, "[route:websockify]");
	line(g, NULL, NULL, "; websockify answers a WebSocket on any path");
	line(g, NULL, NULL, "path = *");
	if (p->token_plugin == NULL && (p->token_source != NULL ||
	    p->host_token || p->allowed_targets != NULL))
		return gen_fail(g, "%s needs --token-plugin",
		    p->token_source != NULL ? "--token-source" :
		    p->host_token ? "--host-token" : "--allowed-targets");
	if (p->token_plugin != NULL) {
		if (gen_tokens(g, p) != 0)
			return -1;
	} else if (p->unix_target != NULL) {
		prefixed_path_line(g, "backend", "unix:", "--unix-target",
		    p->unix_target);
	} else {
		split_hostport(p->target, &host, &hlen, &port);
		if (host == port || hlen == 0 || !is_port(port, false))
			return gen_fail(g, "\"%s\": not target_addr:"
			    "target_port (e.g. localhost:5900)", p->target);
		if (check_value(g, "target", p->target) != 0)
			return -1;
		hostport_line(g, "backend", "target_addr:target_port",
		    p->target, host, hlen, port, "");
	}
	if (p->heartbeat != NULL) {
		if (!config_key_known("ping_interval"))
			return gen_fail(g, "--heartbeat: %s: pings are coming "
			    "as the route key ping_interval (with "
			    "pong_timeout)", NOT_YET);
		if (check_value(g, "--heartbeat", p->heartbeat) == 0)
			line(g, "--heartbeat", p->heartbeat,
			    "ping_interval = %s", p->heartbeat);
	}
	if (p->record != NULL && record_line(g, p->record) != 0)
		return -1;
	if (p->ssl_target) {
		line(g, "--ssl-target", NULL, "backend_tls = yes");
		line(g, NULL, NULL, "; as websockify: any certificate; "
		    "better: backend_tls_verify = yes with backend_tls_ca");
		line(g, "--ssl-target", NULL, "backend_tls_verify = no");
		warn(g->cli, "--ssl-target: the backend's certificate is not "
		    "checked (as in websockify); an INI file can check it "
		    "(backend_tls_verify = yes, backend_tls_ca)");
	}
	if (p->auth_plugin != NULL)
		plugin = plugin_name(p->auth_plugin);
	if (plugin == NULL && p->auth_source != NULL)
		return gen_fail(g, "--auth-source needs --auth-plugin");
	if (p->web_auth && (plugin == NULL ||
	    strcmp(plugin, "BasicHTTPAuth") != 0))
		return gen_fail(g, "--web-auth asks for the password of "
		    "--auth-plugin BasicHTTPAuth on the --web pages too: it "
		    "needs that plugin");
	if (p->web_auth && p->web == NULL)
		return gen_fail(g, "--web-auth needs --web DIR (the pages it "
		    "protects)");
	g->cli->web_auth = p->web_auth;
	if (plugin != NULL && strcmp(plugin, "ExpectOrigin") == 0) {
		if (p->auth_source == NULL)
			return gen_fail(g, "--auth-plugin ExpectOrigin needs "
			    "--auth-source 'https://host ...'");
		list_line(g, "origins", p->auth_source);
		line(g, "--auth-plugin", p->auth_plugin,
		    "allow_missing_origin = no");
		return g->failed ? -1 : 0;
	}
	line(g, NULL, NULL, "; as websockify: any page may connect; "
	    "better: origins = https://your.host");
	line(g, NULL, NULL, "origins = *");
	line(g, NULL, NULL, "allow_missing_origin = yes");
	if (plugin == NULL) {
		warn(g->cli, "any web page may connect (as in websockify): "
		    "restrict it with --auth-plugin ExpectOrigin "
		    "--auth-source 'https://your.host'");
	} else if (strcmp(plugin, "ClientCertCNAuth") == 0) {
		if (p->auth_source == NULL)
			return gen_fail(g, "--auth-plugin ClientCertCNAuth "
			    "needs --auth-source 'CN ...'");
		if (!p->verify)
			return gen_fail(g, "--auth-plugin ClientCertCNAuth "
			    "needs --verify-client (and --cafile)");
		list_line(g, "allowed_client_cns", p->auth_source);
	} else if (strcmp(plugin, "BasicHTTPAuth") == 0) {
		return basic_auth(g, p);
	} else {
		return gen_fail(g, "--auth-plugin \"%s\": wsgate runs no "
		    "Python plugins; it has ExpectOrigin (the origins key) "
		    "and ClientCertCNAuth (allowed_client_cns)",
		    p->auth_plugin);
	}
	return g->failed ? -1 : 0;
}

static int
generate(struct cli *cli, const struct parsed *p, const char *cwd,
    char *err, size_t errsize)
{
	struct gen g = { .cli = cli, .cwd = cwd, .err = err,
		.errsize = errsize, .jwt_algorithm = cli->jwt_algorithm };

	line(&g, NULL, NULL, "; wsgate configuration from websockify's "
	    "command line (wsgate --print-config)");
	if (gen_gateway(&g, p, cli->verbosity) == 0)
		gen_route(&g, p);
	if (g.failed) {
		free(g.buf);
		return -1;
	}
	cli->ini = g.buf;
	return 0;
}

static bool
is_jwt_plugin(const char *v)
{
	static const char tp[] = "websockify.token_plugins.";

	if (v == NULL)
		return false;
	if (strncmp(v, tp, sizeof(tp) - 1) == 0)
		v += sizeof(tp) - 1;
	return strcmp(v, "JWTTokenApi") == 0;
}

static int
parse(struct cli *cli, int argc, char *const argv[], const char *cwd,
    const char *jwt_algorithm, char *err, size_t errsize)
{
	struct parsed p;

	memset(cli, 0, sizeof(*cli));
	memset(&p, 0, sizeof(p));
	if (errsize > 0)
		err[0] = '\0';
	if (scan(cli, &p, argc, argv, err, errsize) != 0)
		return -1;
	if (cli->action == CLI_HELP || cli->action == CLI_VERSION)
		return 0;
	if (p.inetd) {
		/* websockify's --inetd: no source port, the socket is
		 * stdin; the one positional left is the target. */
		if (p.target != NULL)
			return fail(err, errsize, "--inetd: the listening "
			    "socket comes on stdin, so only "
			    "target_addr:target_port follows the options, not "
			    "\"%s\" and \"%s\"", p.source, p.target);
		p.target = p.source;
		p.source = "fd:0";
	}
	if (p.source != NULL && cli->config_path != NULL)
		return fail(err, errsize, "either -c FILE or websockify's "
		    "[source_addr:]source_port target_addr:target_port, not "
		    "both");
	if (p.source == NULL) {
		if (p.first_ws_opt != NULL)
			return fail(err, errsize, "%s is websockify's: it "
			    "needs [source_addr:]source_port "
			    "target_addr:target_port after the options (in "
			    "an INI file, see wsgate.ini(5))", p.first_ws_opt);
		if (cli->action == CLI_PRINT_CONFIG)
			return fail(err, errsize, "--print-config prints "
			    "what websockify's arguments amount to: wsgate "
			    "--print-config [options] [source_addr:]"
			    "source_port target_addr:target_port");
		if (cli->log_file != NULL)
			return fail(err, errsize, "--log-file is websockify's: "
			    "it needs [source_addr:]source_port "
			    "target_addr:target_port (a service manager keeps "
			    "the log of wsgate -c FILE)");
		return 0;
	}
	if (p.target == NULL && p.token_plugin == NULL &&
	    p.unix_target == NULL)
		return fail(err, errsize, "\"%s\": a target is needed after "
		    "it: wsgate [options] [source_addr:]source_port "
		    "target_addr:target_port (or --unix-target PATH, or "
		    "--token-plugin with --token-source)", p.source);
	if (p.unix_target != NULL && (p.target != NULL ||
	    p.token_plugin != NULL))
		return fail(err, errsize, "--unix-target and %s: one target "
		    "only", p.target != NULL ? p.target : "--token-plugin");
	if (p.target != NULL && p.token_plugin != NULL)
		return fail(err, errsize, "\"%s\" and --token-plugin: with a "
		    "token plugin the token names the target; leave one out",
		    p.target);
	if (p.syslog != NULL && cli->log_file != NULL)
		return fail(err, errsize, "--syslog and --log-file: one place "
		    "for the log");
	cli->websockify = true;
	if (is_jwt_plugin(p.token_plugin)) {
		if (p.token_source == NULL)
			return fail(err, errsize, "--token-plugin JWTTokenApi "
			    "needs --token-source FILE (the key: a secret, or "
			    "a PEM public key or certificate)");
		cli->jwt_key_file = p.token_source;
		if (jwt_algorithm == NULL)
			return 0;	/* the caller reads the key */
		if (strcmp(jwt_algorithm, "HS256") != 0 &&
		    strcmp(jwt_algorithm, "RS256") != 0 &&
		    strcmp(jwt_algorithm, "ES256") != 0)
			return fail(err, errsize, "--token-source %s: the "
			    "algorithm is HS256, RS256 or ES256, not \"%s\"",
			    p.token_source, jwt_algorithm);
		cli->jwt_algorithm = jwt_algorithm;
	}
	return generate(cli, &p, cwd, err, errsize);
}

int
cli_parse(struct cli *cli, int argc, char *const argv[], const char *cwd,
    char *err, size_t errsize)
{
	return parse(cli, argc, argv, cwd, NULL, err, errsize);
}

int
cli_parse_jwt(struct cli *cli, int argc, char *const argv[], const char *cwd,
    const char *jwt_algorithm, char *err, size_t errsize)
{
	return parse(cli, argc, argv, cwd, jwt_algorithm, err, errsize);
}

void
cli_free(struct cli *cli)
{
	if (cli == NULL)
		return;
	free(cli->ini);
	cli->ini = NULL;
	if (cli->htpasswd != NULL) {
		/* Hashes only, but wiped like the key of jwt_verify.c. */
		explicit_bzero(cli->htpasswd, strlen(cli->htpasswd));
		free(cli->htpasswd);
		cli->htpasswd = NULL;
	}
}

void
cli_explain(const struct cli *cli, const char *msg, char *out,
    size_t outsize)
{
	static const char name[] = CLI_CONFIG_NAME ":";
	const char *p = msg + sizeof(name) - 1;
	char *end;
	long n;

	if (outsize == 0)
		return;
	if (strncmp(msg, name, sizeof(name) - 1) != 0 || *p < '0' ||
	    *p > '9') {
		snprintf(out, outsize, "%s", msg);
		return;
	}
	n = strtol(p, &end, 10);
	if (*end != ':' || n < 1 || n > CLI_MAX_LINES ||
	    cli->line_opt[n] == NULL) {
		snprintf(out, outsize, "%s", msg);
		return;
	}
	end++;
	while (*end == ' ')
		end++;
	if (cli->line_val[n] != NULL)
		snprintf(out, outsize, "%s %s: %s", cli->line_opt[n],
		    cli->line_val[n], end);
	else
		snprintf(out, outsize, "%s: %s", cli->line_opt[n], end);
}
