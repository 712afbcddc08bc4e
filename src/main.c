/* main.c -- command line, signals, event loop: wires config, listeners and sessions */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "admin.h"
#include "clientlimit.h"
#include "auth.h"
#include "cli.h"
#include "config.h"
#include "file.h"
#include "gateway.h"
#include "htpasswd.h"
#include "jwt_verify.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify.h"
#include "probe.h"
#include "ratelimit.h"
#include "recorder.h"
#include "route_count.h"
#include "route_targets.h"
#include "targets.h"
#include "tls.h"
#include "unmask.h"
#include "worker.h"
#include "version.h"

/* The Makefile passes $(DOCDIR)/examples. */
#ifndef WSGATE_EXAMPLES_DIR
#define WSGATE_EXAMPLES_DIR "/usr/share/doc/wsgate/examples"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,	/* configuration invalid */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_STARTUP = 3,	/* cannot listen, no memory, ... */
};

#define USAGE_LINES \
	"usage: wsgate [-c FILE] [-t] [-v | -q] [-V] [-h]\n" \
	"       wsgate [options] [source_addr:]source_port " \
	"[target_addr:target_port]\n" \
	"       wsgate --probe URL [TIMEOUT]\n"

static void
usage(FILE *f)
{
	fprintf(f,
	    USAGE_LINES
	    "\n"
	    "WebSocket-to-TCP gateway: accepts WebSocket upgrades (RFC 6455)\n"
	    "and relays each connection's messages to the route's TCP "
	    "backend.\n"
	    "\n"
	    "  -c, --config FILE  configuration file\n"
	    "                     (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -t, --check        check the configuration, print every "
	    "problem, exit\n"
	    "  -v, --verbose      log debug events too\n"
	    "  -q, --quiet        log only warnings and errors\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n"
	    "  --probe URL        GET an http:// URL (e.g. health_path), "
	    "exit 0 on a\n"
	    "                     2xx answer within TIMEOUT (default 5s), "
	    "else 1\n"
	    "\n"
	    "websockify's form (no -c): one route, any path, to the target;\n"
	    "any Origin, as websockify.  Its options, same meaning:\n"
	    "  --cert FILE [--key FILE] [--ssl-only]  TLS (wss://) on the "
	    "port\n"
	    "  --ssl-version tlsv1_2|tlsv1_3, --ssl-ciphers LIST\n"
	    "  --verify-client --cafile FILE  require client certificates\n"
	    "  --ssl-target       TLS to the target (certificate not "
	    "checked)\n"
	    "  --key-password PW  decrypt --key with PW (ps shows it until "
	    "read)\n"
	    "  --web DIR          serve DIR's files to plain GETs\n"
	    "  --auth-plugin ExpectOrigin --auth-source 'ORIGIN ...'\n"
	    "  --auth-plugin ClientCertCNAuth --auth-source 'CN ...'\n"
	    "  --auth-plugin BasicHTTPAuth --auth-source USER:PASS [--web-auth]\n"
	    "                     hashed at startup (ps shows it until then: "
	    "prefer\n"
	    "                     auth_basic_file in an INI file)\n"
	    "  --token-plugin TokenFile --token-source FILE [--host-token]\n"
	    "  --token-plugin JWTTokenApi --token-source KEY  signed tokens; "
	    "the key\n"
	    "                     file says the algorithm (RS256, ES256, "
	    "HS256)\n"
	    "                     the token picks the target (no target "
	    "argument);\n"
	    "                     --allowed-targets LIST: where it may lead\n"
	    "  --unix-target PATH the target is a unix socket (no target "
	    "argument)\n"
	    "  --inetd            the listening socket is stdin (no "
	    "source_port)\n"
	    "  --heartbeat T      ping the client every T seconds\n"
	    "  --record FILE      record sessions into FILE's directory "
	    "(.wsrec files)\n"
	    "  --run-once         exit after one WebSocket session\n"
	    "  --timeout T        stop accepting T seconds after start\n"
	    "  --idle-timeout T   exit after T seconds with no connection\n"
	    "  --log-file FILE, --traffic (as -v), -6 (no effect: every "
	    "address)\n"
	    "  --syslog /dev/log  log through syslog(3) (facility daemon)\n"
	    "  --print-config     print the INI these options amount to, "
	    "exit\n"
	    "Others are refused with what to use instead; see wsgate(8).\n"
	    "\n"
	    "Signals: SIGTERM drains (stop accepting, let sessions finish for\n"
	    "drain_timeout, then close them with 1001); SIGINT closes all\n"
	    "sessions with 1001 at once; SIGHUP reloads the configuration\n"
	    "and re-reads the TLS certificates.\n"
	    "\n"
	    "Exit status: 0 clean exit or valid configuration, 1 invalid\n"
	    "configuration, 2 bad command line, 3 startup failure (e.g. a\n"
	    "listen address in use).\n"
	    "\n"
	    "Logs go to stderr, one line per event.  Documentation: wsgate(8),\n"
	    "wsgate.ini(5); commented examples in " WSGATE_EXAMPLES_DIR "\n"
	    "(etc/ in the source tree).\n");
}

/* No file where the configuration was looked for: say how to get one. */
static void
no_config(const char *path, bool given)
{
	char cwd[512];

	fprintf(stderr, "wsgate: no configuration file at %s", path);
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		fprintf(stderr, " (in %s)", cwd);
	fprintf(stderr, "%s\n"
	    "  Point wsgate at one with -c FILE, and check it with "
	    "wsgate -t -c FILE.\n"
	    "  Commented examples: " WSGATE_EXAMPLES_DIR "/ (etc/ in the "
	    "source tree);\n"
	    "  every key is described in wsgate.ini(5).\n"
	    "  Or give websockify's arguments: wsgate 6080 localhost:5900\n",
	    given ? "" : " (the default)");
}

static void
libevent_log_cb(int severity, const char *msg)
{
	log_msg(severity >= EVENT_LOG_WARN ? LL_WARN : LL_DEBUG,
	    "libevent: %s", msg);
}

/*
 * websockify's BasicHTTPAuth: the hashed password, in memory only, becomes
 * each loaded configuration's table for its route (and [gateway]'s, for
 * web_root, with --web-auth): the same as an auth_basic_file of one line.
 */
static int
attach_basic_auth(struct config *cfg, const struct cli *cli)
{
	const char *text = cli->htpasswd;
	struct htpasswd_error herr;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];

		htpasswd_free(r->auth_basic);
		r->auth_basic = htpasswd_parse(text, strlen(text), &herr);
		if (r->auth_basic == NULL)
			return -1;
	}
	if (cli->web_auth) {
		htpasswd_free(cfg->auth_basic);
		cfg->auth_basic = htpasswd_parse(text, strlen(text), &herr);
		if (cfg->auth_basic == NULL)
			return -1;
	}
	return 0;
}

/* Hash BasicHTTPAuth's password, then wipe it from argv: ps shows it no
 * longer (it did until now: hence the warning). */
static int
hash_basic_password(struct cli *cli)
{
	const char *why;

	cli->htpasswd = htpasswd_make_line(cli->basic_user,
	    cli->basic_user_len, cli->basic_pass, &why);
	if (cli->htpasswd == NULL) {
		fprintf(stderr, "wsgate: --auth-source: %s\n", why);
		return -1;
	}
	/* argv's own bytes, writable (cli keeps const pointers to them). */
	explicit_bzero((char *)cli->basic_pass, strlen(cli->basic_pass));
	return 0;
}

/* cli: websockify's form, whose INI is the configuration (else path
 * is); running: the configuration in use when reloading, else NULL;
 * counts: the running gateway's route counters (NULL for -t). */
static struct config *
load_config(const char *path, const struct cli *cli,
    const struct config *running, struct route_counts *counts)
{
	struct config_errors errs = { NULL, 0 };
	struct config *cfg = cli != NULL && cli->websockify ?
	    config_load_string(CLI_CONFIG_NAME, cli->ini, &errs) :
	    config_load(path, &errs);

	if (cfg != NULL && cli != NULL && cli->htpasswd != NULL &&
	    attach_basic_auth(cfg, cli) != 0) {
		fprintf(stderr, "wsgate: out of memory\n");
		config_unref(cfg);
		cfg = NULL;
	}
	/* Certificates are read now, so -t and SIGHUP check them too. */
	if (cfg != NULL && tls_config_load(cfg, running, &errs) != 0) {
		config_unref(cfg);
		cfg = NULL;
	}
	/* Token files and JWT keys too (a reload keeps unchanged sources). */
	if (cfg != NULL && route_targets_load(cfg, &errs) != 0) {
		config_unref(cfg);
		cfg = NULL;
	}
	if (cfg != NULL && counts != NULL &&
	    route_counts_attach(counts, cfg) != 0) {
		fprintf(stderr, "wsgate: out of memory\n");
		config_unref(cfg);
		cfg = NULL;
	}

	for (size_t i = 0; i < errs.n; i++) {
		char msg[1024];

		if (cli != NULL && cli->websockify) {
			cli_explain(cli, errs.msgs[i], msg, sizeof(msg));
			fprintf(stderr, "wsgate: %s\n", msg);
		} else {
			fprintf(stderr, "%s\n", errs.msgs[i]);
		}
	}
	if (cfg == NULL)
		fprintf(stderr, "wsgate: %s: configuration invalid (%zu "
		    "problem%s)\n", cli != NULL && cli->websockify ?
		    "command line" : path, errs.n, errs.n == 1 ? "" : "s");
	config_errors_free(&errs);
	return cfg;
}

/*
 * Descriptors: 64 are kept for the process itself (listeners, pipes,
 * logs, DNS), pending connections (max_handshakes) hold one each, and
 * sessions two (client and backend).  The automatic values share the open
 * file limit so that pending connections can never take the descriptors
 * that sessions need for their backends.
 */
#define FD_RESERVE 64
/* Automatic max_handshakes: a quarter of the descriptors, at most this
 * many (a TLS handshake in progress holds some 40 KiB). */
#define AUTO_HANDSHAKES_MAX 1024

/* Descriptors for connections: the open file limit less FD_RESERVE; 0
 * when unlimited. */
static unsigned long
fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return rl.rlim_cur > FD_RESERVE + 4 ? rl.rlim_cur - FD_RESERVE : 4;
}

/* max_handshakes = 0 means: a quarter of the descriptor budget, at most
 * AUTO_HANDSHAKES_MAX. */
static unsigned
effective_max_handshakes(const struct config *cfg)
{
	unsigned long fds = fd_budget();

	if (cfg->max_handshakes != 0)
		return cfg->max_handshakes;
	if (fds == 0 || fds / 4 > AUTO_HANDSHAKES_MAX)
		return AUTO_HANDSHAKES_MAX;
	return (unsigned)(fds / 4);
}

/* max_connections = 0 means: two descriptors per session from what
 * pending connections leave. */
static unsigned
effective_max_connections(const struct config *cfg)
{
	unsigned long fds = fd_budget();
	unsigned long hs = effective_max_handshakes(cfg);

	if (cfg->max_connections != 0)
		return cfg->max_connections;
	if (fds == 0)
		return 0;
	return fds > hs + 2 ? (unsigned)((fds - hs) / 2) : 1;
}

/* Entries of the new_connections_per_client table (ratelimit.h): 48
 * bytes each, 3 MiB; the clients limited at one time. */
#define RATE_ENTRIES 65536

/* max_connections_per_client, new_connections_per_client: the table of
 * token buckets is made the first time a configuration asks for one and
 * keeps its state across reloads (ratelimit_set_rate). */
static void
apply_client_limits(struct shared *sh, const struct config *cfg)
{
	const struct config_rate *r = &cfg->new_connections_per_client;
	bool on = r->per_second > 0;

	atomic_store(&sh->max_per_client_sessions,
	    cfg->max_connections_per_client);
	atomic_store(&sh->ipv6_prefix, cfg->client_ipv6_prefix);
	pthread_mutex_lock(&sh->rate_lock);
	if (on && sh->rate == NULL)
		sh->rate = ratelimit_new(RATE_ENTRIES, r->per_second,
		    r->burst, NULL);
	else if (on && ratelimit_set_rate(sh->rate, r->per_second,
	    r->burst) != 0)
		on = false;
	if (on && sh->rate == NULL) {
		log_error("new_connections_per_client: out of memory; not "
		    "limited");
		on = false;
	}
	atomic_store(&sh->rate_on, on);
	pthread_mutex_unlock(&sh->rate_lock);
}

/* The limits a (re)loaded configuration asks for; a warning when they
 * can need more descriptors than the process may open. */
static void
apply_limits(struct shared *sh, const struct config *cfg)
{
	unsigned conns = effective_max_connections(cfg);
	unsigned hs = effective_max_handshakes(cfg);
	unsigned long fds = fd_budget();

	atomic_store(&sh->slots.max, conns);
	atomic_store(&sh->pending.max, hs);
	atomic_store(&sh->pending.max_per_client,
	    cfg->max_handshakes_per_client);
	apply_client_limits(sh, cfg);
	/* Automatic values always fit; configured ones may not. */
	if (fds != 0 && 2ul * conns + hs > fds)
		log_warn("max_connections %u and max_handshakes %u can need "
		    "%lu descriptors, more than the %lu that the open file "
		    "limit leaves (less %d for the process): raise the limit "
		    "(ulimit -n) or lower them", conns, hs, 2ul * conns + hs,
		    fds, FD_RESERVE);
}

static void
raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Append a configuration word to buf (blank-separated, cut to fit). */
static void
append_word(char *buf, size_t size, size_t *len, const char *word)
{
	int w = snprintf(buf + *len, size - *len, "%s%s", *len > 0 ? " " : "",
	    word);

	if (w > 0)
		*len = *len + (size_t)w < size ? *len + (size_t)w : size - 1;
}

/* What a route adds to its line: its hosts, its several backends. */
static void
log_route_routing(const struct route *r)
{
	static const char *const balance[] = { "failover", "round_robin" };
	char rhosts[512], rbackends[512];
	size_t hn = 0, bn = 0;

	rhosts[0] = rbackends[0] = '\0';
	for (size_t i = 0; i < r->nhosts; i++)
		append_word(rhosts, sizeof(rhosts), &hn, r->hosts[i]);
	for (size_t i = 0; i < r->nbackends; i++)
		append_word(rbackends, sizeof(rbackends), &bn,
		    r->backends[i].text);
	if (r->nhosts > 0)
		log_info("route %s: hosts %s", r->name, rhosts);
	if (r->nbackends > 1)
		log_info("route %s: backends %s (balance %s, a failed one "
		    "tried last for %gs)", r->name, rbackends,
		    balance[r->balance != 0], r->backend_retry_after);
}

/*
 * Token files are looked at about once a second by a thread of their own,
 * off the workers' loops (targets.h), from the first configuration with a
 * targets route on; its sources come and go with the routes.  A thread
 * that cannot start leaves the tokens as read at load (logged).
 */
static void
watch_targets(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nroutes; i++) {
		if (cfg->routes[i].targets.s != NULL) {
			targets_watch_start();
			return;
		}
	}
}

static void
log_routes(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];
		/* A token route has no backend: where its tokens come from. */
		const char *route_to = r->backend != NULL ? r->backend :
		    r->targets.s != NULL ? r->targets.s : r->jwt_key.s;

		log_info("route %s: %s -> %s%s (%s%zu origin%s%s)", r->name,
		    r->path, r->backend != NULL ? "" : r->targets.s != NULL ?
		    "targets " : "jwt_key ", route_to,
		    r->origin_any ? "any origin, " : "",
		    r->norigins, r->norigins == 1 ? "" : "s",
		    r->allow_missing_origin ? ", missing Origin allowed" : "");
		log_route_routing(r);
	}
}

/*
 * A reload reads and checks every file, and builds the TLS contexts, in a
 * thread of its own: with several workers the main thread accepts for
 * them, and a big configuration took seconds to load.  The thread only
 * builds; the main thread applies the result when the loader says it is
 * done (RELOAD_DONE on the notify pipe), so the running configuration
 * and the workers are still touched by the main thread alone.
 */
#define RELOAD_DONE 'L'		/* beside WORKER_ACK_* on the notify pipe */

struct reload_job {
	pthread_t thread;
	char *path;
	const struct cli *cli;		/* websockify's form: its INI */
	struct config *old;	/* reference: what a new one is judged by */
	struct config *cfg;	/* result: a reference, or NULL */
	struct route_counts *counts;	/* the gateway's; locked inside */
	int notify_fd;
};

/*
 * The main thread: it owns the listening sockets and the configuration,
 * starts the workers, turns signals into worker commands, and collects
 * their answers from one notify pipe.
 */
struct control {
	struct event_base *base;
	struct shared shared;
	struct route_counts *counts;	/* every configuration's routes' */
	struct metrics *metrics;	/* every worker's counters */
	struct admin *admin;		/* the metrics listener */
	struct config *cfg;		/* the running configuration */
	const struct cli *cli;		/* its source when no file */
	struct listener **listeners;
	size_t nlisteners;
	struct gateway **workers;
	size_t nworkers;
	/* With several workers each accepts from a TCP socket of its own
	 * (SO_REUSEPORT); from a unix or fd: listener the main thread
	 * accepts and deals the connections out in turn: waking every
	 * worker on each connection lets one of them win most of the time. */
	struct acceptor **acceptors;
	size_t nacceptors;
	size_t next_worker;
	/* A connection no worker had room for waits here while accepting
	 * is paused (see control_accept_cb); -1 when none. */
	int held_fd;
	unsigned held_tls;
	int held_salen;
	struct sockaddr_storage held_sa;
	struct event *retry;		/* try the held connection again */
	/* A worker stuck in a callback: its heartbeat (metrics.h) older
	 * than CONTROL_STUCK_MS.  The main thread then also accepts from
	 * its own sockets (control_start_accepting). */
	bool *stuck;
	struct event *watch;		/* checks the heartbeats */
	struct timespec full_warned;	/* last "queues full" warning */
	size_t running;			/* workers not yet exited */
	size_t reload_acks;		/* outstanding WORKER_ACK_RELOAD */
	struct reload_job *loading;	/* a reload in progress, or NULL */
	bool reload_again;		/* SIGHUP while loading */
	size_t drain_acks;		/* outstanding WORKER_ACK_DRAIN */
	bool draining;
	bool drain_unbounded;		/* no drain_timeout armed yet */
	/* run_once, exit_after, exit_when_idle: as read at start (a reload
	 * does not change them). */
	bool run_once;
	double exit_after, exit_when_idle;
	struct event *lifecycle;
	struct timespec started, idle_since;
	bool idle;
	int notify_fd[2];
	struct event *notify_ev;
	struct event *term, *intr, *hup;
	struct event *drain;		/* drain_timeout expiry */
	struct event *deadline;		/* give up on stragglers */
	struct event *unlisten;		/* stopping: end of the grace */
	bool unlisten_pending;		/* listeners not yet given up */
};

static void
control_send_all(struct control *ctl, enum worker_cmd cmd,
    struct config *cfg)
{
	for (size_t i = 0; i < ctl->nworkers; i++)
		worker_send(ctl->workers[i], cmd, cfg);
}

static void
control_stop_accepting(struct control *ctl)
{
	for (size_t i = 0; i < ctl->nacceptors; i++)
		acceptor_free(ctl->acceptors[i]);
	ctl->nacceptors = 0;
}

static void control_accept_cb(int fd, const struct sockaddr *sa, int salen,
    unsigned tls, void *arg);

/*
 * With several workers the main thread accepts from the listeners that
 * have one socket (unix, fd:); the workers from their own copies of the
 * others, and the main thread too from a stuck worker's copies: the
 * kernel puts a share of the new connections in each worker's socket
 * (SO_REUSEPORT) and would leave that share waiting, where the hand-off
 * passes a worker whose queue stays full.  Nothing to do if it already
 * accepts.
 */
static int
control_start_accepting(struct control *ctl)
{
	if (ctl->nacceptors > 0)
		return 0;
	if (ctl->acceptors == NULL)
		ctl->acceptors = calloc(ctl->nlisteners * (ctl->nworkers + 1) +
		    1, sizeof(*ctl->acceptors));
	if (ctl->acceptors == NULL)
		return -1;
	for (size_t i = 0; i < ctl->nlisteners; i++) {
		size_t copies = listener_copies(ctl->listeners[i]);

		for (size_t c = 0; c < copies; c++) {
			struct acceptor *a;

			if (copies > 1 && (ctl->stuck == NULL ||
			    c >= ctl->nworkers || !ctl->stuck[c]))
				continue;
			a = acceptor_new(ctl->base, ctl->listeners[i], c,
			    control_accept_cb, ctl);
			if (a == NULL)
				return -1;
			ctl->acceptors[ctl->nacceptors++] = a;
		}
	}
	return 0;
}

/* Give fd to a worker, in turn, passing over any whose queue is full
 * (stuck, or busy for a long while).  0, or -1 when every queue is. */
static int
control_deal(struct control *ctl, int fd, const struct sockaddr *sa,
    int salen, unsigned tls)
{
	for (size_t i = 0; i < ctl->nworkers; i++) {
		struct gateway *gw =
		    ctl->workers[ctl->next_worker++ % ctl->nworkers];

		if (worker_hand_off(gw, fd, sa, salen, tls) == 0)
			return 0;
	}
	return -1;
}

/*
 * Accepting never waits for a worker.  When every worker's queue is full,
 * the connection just accepted is held here and accepting pauses: the
 * next ones wait in the kernel's listen backlog, not in this thread,
 * which stays free for signals.  A timer retries every few milliseconds.
 */
#define CONTROL_RETRY_US 5000

static void
control_accept_cb(int fd, const struct sockaddr *sa, int salen, unsigned tls,
    void *arg)
{
	struct control *ctl = arg;
	struct timeval retry = { 0, CONTROL_RETRY_US };
	struct timespec now;

	if (control_deal(ctl, fd, sa, salen, tls) == 0)
		return;
	if (ctl->draining && !ctl->unlisten_pending) {
		/* Taking the last connections (stop_listening): nowhere to
		 * hold them, and the acceptor must stay. */
		log_warn("stopping: every worker's queue of new connections "
		    "is full; closing a connection unanswered");
		close(fd);
		return;
	}
	ctl->held_fd = fd;
	ctl->held_tls = tls;
	ctl->held_salen = salen < (int)sizeof(ctl->held_sa) ? salen
	    : (int)sizeof(ctl->held_sa);
	memcpy(&ctl->held_sa, sa, (size_t)ctl->held_salen);
	control_stop_accepting(ctl);	/* from inside its callback: allowed */
	evtimer_add(ctl->retry, &retry);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ctl->full_warned.tv_sec == 0 ||
	    now.tv_sec > ctl->full_warned.tv_sec + 10) {
		log_warn("every worker's queue of new connections is full: "
		    "accepting paused until one has room");
		ctl->full_warned = now;
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval retry = { 0, CONTROL_RETRY_US };

	(void)fd;
	(void)what;
	if (ctl->held_fd >= 0) {
		if (control_deal(ctl, ctl->held_fd,
		    (struct sockaddr *)&ctl->held_sa, ctl->held_salen,
		    ctl->held_tls) != 0) {
			evtimer_add(ctl->retry, &retry);
			return;
		}
		ctl->held_fd = -1;
	}
	if (ctl->draining && !ctl->unlisten_pending)
		return;
	if (control_start_accepting(ctl) != 0) {
		log_error("cannot watch the listening sockets: out of memory; "
		    "trying again");
		control_stop_accepting(ctl);
		evtimer_add(ctl->retry, &retry);
	}
}

/* Stopping (drain): a connection still held gets one more try, else
 * goes unanswered. */
static void
control_drop_held(struct control *ctl)
{
	if (ctl->retry != NULL)
		evtimer_del(ctl->retry);
	if (ctl->held_fd >= 0 && (!ctl->draining || control_deal(ctl,
	    ctl->held_fd, (struct sockaddr *)&ctl->held_sa, ctl->held_salen,
	    ctl->held_tls) != 0))
		close(ctl->held_fd);
	ctl->held_fd = -1;
}

/*
 * Workers beat every second (worker.c): one silent for longer than this
 * is stuck in a callback, and the main thread takes the connections its
 * sockets receive (control_start_accepting).  One that is only late costs
 * nothing but a few connections dealt by the main thread.
 */
#define CONTROL_STUCK_MS 2500
#define CONTROL_WATCH_US 250000

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval tick = { 0, CONTROL_WATCH_US };
	uint64_t now = monotime_ms();
	bool changed = false;

	(void)fd;
	(void)what;
	if (ctl->draining)
		return;
	for (size_t i = 0; i < ctl->nworkers; i++) {
		const struct metrics_worker *w =
		    metrics_worker(ctl->metrics, (unsigned)i);
		bool stuck = ctl->workers[i]->started &&
		    !metrics_worker_alive(w, now, CONTROL_STUCK_MS);

		if (stuck == ctl->stuck[i])
			continue;
		ctl->stuck[i] = stuck;
		changed = true;
		if (stuck)
			log_warn("worker %zu has not run its loop for %.1fs: the "
			    "main thread accepts the connections its sockets "
			    "receive until it does", i, (double)(now -
			    metrics_get(&w->heartbeat_ms)) / 1000.0);
		else
			log_info("worker %zu runs again", i);
	}
	/* Paused (a connection held): the retry starts accepting anew. */
	if (changed && ctl->held_fd < 0) {
		control_stop_accepting(ctl);
		if (control_start_accepting(ctl) != 0)
			log_error("cannot watch the listening sockets: out of "
			    "memory");
	}
	evtimer_add(ctl->watch, &tick);
}

/* Only with several workers and a listener with a socket each. */
static int
watch_start(struct control *ctl)
{
	struct timeval tick = { 0, CONTROL_WATCH_US };
	bool copies = false;

	for (size_t i = 0; i < ctl->nlisteners; i++)
		copies |= listener_copies(ctl->listeners[i]) > 1;
	if (ctl->nworkers < 2 || !copies)
		return 0;
	ctl->stuck = calloc(ctl->nworkers, sizeof(*ctl->stuck));
	ctl->watch = evtimer_new(ctl->base, watch_cb, ctl);
	if (ctl->stuck == NULL || ctl->watch == NULL)
		return -1;
	return evtimer_add(ctl->watch, &tick);
}

static void
close_listeners(struct control *ctl)
{
	for (size_t i = 0; i < ctl->nlisteners; i++)
		listener_free(ctl->listeners[i]);
	ctl->nlisteners = 0;
}

static unsigned
open_sessions(struct control *ctl)
{
	return atomic_load(&ctl->shared.nsessions);
}

static void reload_finish(struct control *ctl);

/* After RELOADING=1: READY=1 once no reload is loading nor being taken up
 * by the workers, whether it was taken or refused. */
static void
notify_ready_if_idle(const struct control *ctl)
{
	if (ctl->loading == NULL && ctl->reload_acks == 0 && !ctl->draining)
		notify_ready();
}

static void
notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	char buf[64];
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (buf[i]) {
			case WORKER_ACK_RELOAD:
				if (ctl->reload_acks > 0 &&
				    --ctl->reload_acks == 0) {
					log_info("configuration reloaded: "
					    "%zu route%s%s", ctl->cfg->nroutes,
					    ctl->cfg->nroutes == 1 ? "" : "s",
					    ctl->cfg->tls != NULL ?
					    "; TLS certificates re-read (new "
					    "handshakes use them)" : "");
					notify_ready_if_idle(ctl);
				}
				break;
			case WORKER_ACK_DRAIN:
				/* No worker watches them any more. */
				if (ctl->drain_acks > 0 &&
				    --ctl->drain_acks == 0) {
					close_listeners(ctl);
					log_info("draining: listening sockets "
					    "closed");
				}
				break;
			case WORKER_EXITED:
				if (ctl->running > 0 && --ctl->running == 0)
					event_base_loopexit(ctl->base, NULL);
				break;
			case RELOAD_DONE:
				reload_finish(ctl);
				break;
			case WORKER_ACK_ADMIN:
				admin_gathered(ctl->admin);
				break;
			}
		}
	}
}

/*
 * Stopping: new handshakes are held back (listener_refuse_new) for this
 * long before the listeners close, while the connections the kernel
 * completes are still accepted and served: one whose SYN-ACK was on its
 * way when the filter came gets a round trip to finish.
 */
#define UNLISTEN_GRACE_US 200000

/*
 * The end of the grace: take every connection still queued (the main
 * thread from its listeners, each worker from its own sockets on
 * WORKER_DRAIN), then the workers drain; the listeners close once every
 * worker has stopped watching them (WORKER_ACK_DRAIN).  Closing a socket
 * with connections in its queue would reset them.
 */
static void
stop_listening(struct control *ctl)
{
	if (!ctl->unlisten_pending)
		return;
	ctl->unlisten_pending = false;
	evtimer_del(ctl->unlisten);
	if (ctl->nworkers > 1) {
		control_drop_held(ctl);
		if (control_start_accepting(ctl) != 0)
			log_error("stopping: cannot watch the listening "
			    "sockets: out of memory; connections still queued "
			    "are reset");
		for (size_t i = 0; i < ctl->nacceptors; i++)
			acceptor_take_all(ctl->acceptors[i]);
		control_stop_accepting(ctl);
	}
	ctl->drain_acks = ctl->nworkers;
	control_send_all(ctl, WORKER_DRAIN, NULL);
}

static void
unlisten_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stop_listening(arg);
}

static void
drain_expired_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval tv = { 0, 0 };
	unsigned n = open_sessions(ctl);

	double wait = ctl->cfg->limits.close_timeout;

	(void)fd;
	(void)what;
	/* Before the sessions close: the last ones accepted close too. */
	stop_listening(ctl);
	log_info("closing %u session%s with 1001", n, n == 1 ? "" : "s");
	control_send_all(ctl, WORKER_CLOSE_ALL, NULL);
	/* close_timeout for the backends' last bytes, again for the close
	 * handshake (session_close_all). */
	for (size_t i = 0; i < ctl->cfg->nroutes; i++)
		if (ctl->cfg->routes[i].limits.close_timeout > wait)
			wait = ctl->cfg->routes[i].limits.close_timeout;
	tv.tv_sec = (time_t)(2 * wait) + 1;
	evtimer_add(ctl->deadline, &tv);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	unsigned n = open_sessions(ctl);

	(void)fd;
	(void)what;
	log_warn("%u session%s still open after the close timeout; exiting",
	    n, n == 1 ? "" : "s");
	control_send_all(ctl, WORKER_STOP, NULL);
}

/* wait < 0: no limit (run_once, exit_after: the sessions end by
 * themselves); a stop signal then sets one. */
static void
begin_drain(struct control *ctl, double wait)
{
	struct timeval tv;
	unsigned n = open_sessions(ctl);

	if (ctl->draining && ctl->drain_unbounded && wait >= 0) {
		ctl->drain_unbounded = false;
		log_info("draining: %u session%s open; waiting up to %.1fs", n,
		    n == 1 ? "" : "s", wait);
		tv.tv_sec = (time_t)wait;
		tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
		evtimer_add(ctl->drain, &tv);
		return;
	}
	if (ctl->draining) {
		log_warn("second stop signal: exiting now");
		control_send_all(ctl, WORKER_STOP, NULL);
		return;
	}
	ctl->draining = true;
	admin_set_draining(ctl->admin);
	notify_stopping();
	for (size_t i = 0; i < ctl->nlisteners; i++)
		if (listener_refuse_new(ctl->listeners[i]) != 0)
			log_warn("stopping: cannot hold back new connections on "
			    "%s (%s): some may be reset when it closes",
			    listener_describe(ctl->listeners[i]),
			    strerror(errno));
	ctl->unlisten_pending = true;
	if (wait == 0) {
		stop_listening(ctl);
	} else {
		struct timeval grace = { 0, UNLISTEN_GRACE_US };

		evtimer_add(ctl->unlisten, &grace);
	}
	if (wait < 0) {
		ctl->drain_unbounded = true;
		log_info("draining: stopped accepting; %u session%s open; "
		    "exiting when %s", n, n == 1 ? "" : "s",
		    n == 1 ? "it ends" : "they end");
		return;
	}
	log_info("draining: stopped accepting; %u session%s open; waiting "
	    "up to %.1fs", n, n == 1 ? "" : "s", wait);
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	evtimer_add(ctl->drain, &tv);
}

/* A new configuration must keep what only a restart can change. */
static bool
reload_acceptable(const struct config *old, const struct config *cfg)
{
	for (size_t i = 0; i < old->nlisteners; i++) {
		if (old->listeners[i].tls && cfg->tls == NULL) {
			log_error("reload failed: listener %s is TLS (until a "
			    "restart) but the new configuration has no "
			    "tls_cert; keeping the running configuration",
			    old->listeners[i].text);
			return false;
		}
	}
	if (cfg->nlisteners != old->nlisteners)
		log_warn("listen changes take effect after a restart; "
		    "keeping the current listeners");
	else
		for (size_t i = 0; i < cfg->nlisteners; i++)
			if (strcmp(cfg->listeners[i].text,
			    old->listeners[i].text) != 0 ||
			    cfg->listeners[i].tls != old->listeners[i].tls ||
			    cfg->listeners[i].proxy_protocol !=
			    old->listeners[i].proxy_protocol ||
			    cfg->listeners[i].http1_only !=
			    old->listeners[i].http1_only) {
				log_warn("listen changes take effect after a "
				    "restart; keeping the current listeners");
				break;
			}
	if (cfg->workers != old->workers)
		log_warn("workers changes take effect after a restart");
	if (cfg->run_once != old->run_once ||
	    cfg->exit_after != old->exit_after ||
	    cfg->exit_when_idle != old->exit_when_idle)
		log_warn("run_once, exit_after and exit_when_idle changes take "
		    "effect after a restart");
	return true;
}

static void
reload_job_free(struct reload_job *job)
{
	if (job == NULL)
		return;
	config_unref(job->old);
	config_unref(job->cfg);
	free(job->path);
	free(job);
}

/* The loader thread: everything slow a reload does, and its log lines
 * (one per route: thousands, for some). */
static void *
reload_thread(void *arg)
{
	struct reload_job *job = arg;
	struct config *cfg = load_config(job->path, job->cli, job->old,
	    job->counts);
	char done = RELOAD_DONE;

	if (cfg == NULL) {
		log_error("reload failed; keeping the running configuration");
	} else if (!reload_acceptable(job->old, cfg)) {
		config_unref(cfg);
		cfg = NULL;
	} else {
		log_routes(cfg);
		tls_log_certificates(cfg);
	}
	job->cfg = cfg;
	while (write(job->notify_fd, &done, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* why: what asked for it, for the log. */
static void
reload_start(struct control *ctl, const char *why)
{
	struct reload_job *job;
	sigset_t block, old;
	int rc;

	if (ctl->loading != NULL) {
		/* The files may have changed after the loader read them. */
		if (!ctl->reload_again)
			log_info("SIGHUP received while reloading: reloading "
			    "again when this one is done");
		ctl->reload_again = true;
		return;
	}
	log_info("%s: reloading %s", why, ctl->cfg->path);
	job = calloc(1, sizeof(*job));
	if (job == NULL || (job->path = strdup(ctl->cfg->path)) == NULL) {
		free(job);
		log_error("reload failed: out of memory; keeping the running "
		    "configuration");
		return;
	}
	job->old = config_ref(ctl->cfg);
	job->cli = ctl->cli;
	job->counts = ctl->counts;
	job->notify_fd = ctl->notify_fd[1];
	/* Signals are for the main thread's loop, as in the workers. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&job->thread, NULL, reload_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("reload failed: cannot start a thread: %s; keeping "
		    "the running configuration", strerror(rc));
		reload_job_free(job);
		return;
	}
	ctl->loading = job;
}

static uint64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The loader is done (RELOAD_DONE): use what it built, if anything. */
static void
reload_finish(struct control *ctl)
{
	struct reload_job *job = ctl->loading;
	struct config *cfg;

	if (job == NULL)
		return;
	pthread_join(job->thread, NULL);
	ctl->loading = NULL;
	cfg = job->cfg;
	job->cfg = NULL;
	reload_job_free(job);
	metrics_reload(ctl->metrics, cfg != NULL, unix_ms());
	if (cfg != NULL) {
		/* Kept, closed or bound as the new metrics_listen says. */
		admin_configure(ctl->admin, cfg);
		config_unref(ctl->cfg);
		ctl->cfg = cfg;
		log_configure(cfg);
		apply_limits(&ctl->shared, cfg);
		watch_targets(cfg);
		/* "reloaded" is logged once every worker uses it
		 * (notify_cb). */
		ctl->reload_acks += ctl->nworkers;
		control_send_all(ctl, WORKER_RELOAD, cfg);
	}
	if (ctl->reload_again) {
		ctl->reload_again = false;
		reload_start(ctl, "SIGHUP received during the last reload");
	}
	notify_ready_if_idle(ctl);	/* refused, or nothing to wait for */
}

/*
 * websockify's process options, checked a few times a second: a
 * counter polled by the main thread keeps the workers' paths free of
 * them.
 */
#define LIFECYCLE_TICK_US 50000

static double
seconds_since(const struct timespec *then, const struct timespec *now)
{
	return (double)(now->tv_sec - then->tv_sec) +
	    (double)(now->tv_nsec - then->tv_nsec) / 1e9;
}

static void
lifecycle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval tick = { 0, LIFECYCLE_TICK_US };
	struct timespec now;
	unsigned n = open_sessions(ctl);

	(void)fd;
	(void)what;
	if (ctl->draining)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ctl->run_once && atomic_load(&ctl->shared.upgraded) > 0) {
		log_info("run_once: a WebSocket session began; stopping "
		    "accepting, exiting when it ends");
		begin_drain(ctl, -1);
		return;
	}
	if (ctl->exit_after > 0 &&
	    seconds_since(&ctl->started, &now) >= ctl->exit_after) {
		log_info("exit_after %.3gs reached", ctl->exit_after);
		begin_drain(ctl, -1);
		return;
	}
	if (ctl->exit_when_idle > 0) {
		if (n > 0) {
			ctl->idle = false;
		} else if (!ctl->idle) {
			ctl->idle = true;
			ctl->idle_since = now;
		} else if (seconds_since(&ctl->idle_since, &now) >=
		    ctl->exit_when_idle) {
			log_info("exit_when_idle: no connection for %.3gs",
			    ctl->exit_when_idle);
			begin_drain(ctl, -1);
			return;
		}
	}
	evtimer_add(ctl->lifecycle, &tick);
}

static int
lifecycle_start(struct control *ctl)
{
	struct timeval tick = { 0, LIFECYCLE_TICK_US };
	const struct config *cfg = ctl->cfg;

	ctl->run_once = cfg->run_once;
	ctl->exit_after = cfg->exit_after;
	ctl->exit_when_idle = cfg->exit_when_idle;
	if (!ctl->run_once && ctl->exit_after <= 0 &&
	    ctl->exit_when_idle <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ctl->started);
	ctl->idle_since = ctl->started;
	ctl->idle = true;
	ctl->lifecycle = evtimer_new(ctl->base, lifecycle_cb, ctl);
	if (ctl->lifecycle == NULL)
		return -1;
	return evtimer_add(ctl->lifecycle, &tick);
}

static void
signal_cb(evutil_socket_t signo, short what, void *arg)
{
	struct control *ctl = arg;

	(void)what;
	if (signo == SIGTERM) {
		log_info("SIGTERM received");
		begin_drain(ctl, ctl->cfg->drain_timeout);
	} else if (signo == SIGINT) {
		log_info("SIGINT received");
		begin_drain(ctl, 0);
	} else if (signo == SIGHUP) {
		if (!ctl->draining)
			notify_reloading();
		reload_start(ctl, "SIGHUP received");
		notify_ready_if_idle(ctl);	/* it could not even start */
	}
}

/* Bind every listen address, a TCP one once per worker (copies);
 * logs and returns -1 on the first failure. */
static int
control_listen(struct control *ctl, size_t copies)
{
	const struct config *cfg = ctl->cfg;

	ctl->listeners = calloc(cfg->nlisteners + 1,
	    sizeof(*ctl->listeners));
	if (ctl->listeners == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct listen_spec *ls = &cfg->listeners[i];
		char err[256];

		ctl->listeners[i] = listener_new(ls, copies, err,
		    sizeof(err));
		if (ctl->listeners[i] == NULL) {
			log_error("%s:%d: listen = %s: %s", ls->where.file,
			    ls->where.line, ls->text, err);
			return -1;
		}
		ctl->nlisteners++;
		log_info("listening on %s", listener_describe(ctl->listeners[i]));
	}
	return 0;
}

/* admin.h's way to the workers: how many could not be asked. */
static unsigned
control_admin_send(void *arg, struct admin_gather *g)
{
	struct control *ctl = arg;
	unsigned unsent = 0;

	for (size_t i = 0; i < ctl->nworkers; i++)
		if (!ctl->workers[i]->started ||
		    worker_send_admin(ctl->workers[i], g) != 0)
			unsent++;
	return unsent;
}

/* Make and start the workers, with the stop signals blocked in their
 * threads so that only the main thread's loop sees them. */
static int
control_start_workers(struct control *ctl, unsigned n)
{
	sigset_t block, old;
	int rc = 0;

	struct listener **own;
	size_t nown = 0;

	ctl->workers = calloc(n, sizeof(*ctl->workers));
	own = calloc(ctl->nlisteners + 1, sizeof(*own));
	if (ctl->workers == NULL || own == NULL) {
		free(own);
		return -1;
	}
	/* A single worker accepts from every listener itself; several each
	 * from their own sockets of the TCP ones, and are handed the
	 * connections of the others. */
	for (size_t i = 0; i < ctl->nlisteners; i++)
		if (n == 1 || listener_copies(ctl->listeners[i]) > 1)
			own[nown++] = ctl->listeners[i];
	for (unsigned i = 0; i < n; i++) {
		char err[256];

		ctl->workers[i] = worker_new(i, &ctl->shared, ctl->cfg, own,
		    nown, ctl->notify_fd[1], err, sizeof(err));
		if (ctl->workers[i] == NULL) {
			free(own);
			log_error("worker %u: %s", i, err);
			return -1;
		}
		worker_set_metrics(ctl->workers[i],
		    metrics_worker(ctl->metrics, i));
		ctl->nworkers++;
	}
	free(own);
	if (n > 1 && control_start_accepting(ctl) != 0)
		return -1;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (size_t i = 0; i < ctl->nworkers && rc == 0; i++) {
		rc = worker_start(ctl->workers[i]);
		if (rc == 0)
			ctl->running++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
control_init(struct control *ctl)
{
	ctl->base = event_base_new();
	if (ctl->base == NULL || pipe2(ctl->notify_fd, O_CLOEXEC) != 0 ||
	    fcntl(ctl->notify_fd[0], F_SETFL, O_NONBLOCK) != 0)
		return -1;
	ctl->notify_ev = event_new(ctl->base, ctl->notify_fd[0],
	    EV_READ | EV_PERSIST, notify_cb, ctl);
	ctl->term = evsignal_new(ctl->base, SIGTERM, signal_cb, ctl);
	ctl->intr = evsignal_new(ctl->base, SIGINT, signal_cb, ctl);
	ctl->hup = evsignal_new(ctl->base, SIGHUP, signal_cb, ctl);
	ctl->drain = evtimer_new(ctl->base, drain_expired_cb, ctl);
	ctl->deadline = evtimer_new(ctl->base, deadline_cb, ctl);
	ctl->retry = evtimer_new(ctl->base, retry_cb, ctl);
	ctl->unlisten = evtimer_new(ctl->base, unlisten_cb, ctl);
	if (ctl->notify_ev == NULL || ctl->term == NULL || ctl->intr == NULL ||
	    ctl->hup == NULL || ctl->drain == NULL || ctl->deadline == NULL ||
	    ctl->retry == NULL || ctl->unlisten == NULL)
		return -1;
	event_add(ctl->notify_ev, NULL);
	evsignal_add(ctl->term, NULL);
	evsignal_add(ctl->intr, NULL);
	evsignal_add(ctl->hup, NULL);
	return 0;
}

/* Free everything, so that a sanitizer build reports real leaks only. */
static void
control_free(struct control *ctl)
{
	struct gateway_stats total = { 0, 0, 0 };

	/* A reload still loading: its files are bounded, so this ends. */
	if (ctl->loading != NULL) {
		pthread_join(ctl->loading->thread, NULL);
		reload_job_free(ctl->loading);
		ctl->loading = NULL;
	}

	/* A worker that never started has nothing to say: stop waiting. */
	control_send_all(ctl, WORKER_STOP, NULL);
	for (size_t i = 0; i < ctl->nworkers; i++) {
		struct gateway *gw = ctl->workers[i];

		if (gw->started) {
			pthread_join(gw->thread, NULL);
			gw->started = false;
		}
		total.accepted += gw->stats.accepted;
		total.upgraded += gw->stats.upgraded;
		total.rejected += gw->stats.rejected;
		worker_free(gw);
	}
	auth_pool_stop();	/* after the workers: their checks are gone */
	recorder_stop();	/* after the workers: every recording ended */
	if (ctl->nworkers > 0)
		log_info("stopped: %llu connections, %llu upgraded, %llu "
		    "rejected", (unsigned long long)total.accepted,
		    (unsigned long long)total.upgraded,
		    (unsigned long long)total.rejected);
	control_stop_accepting(ctl);
	control_drop_held(ctl);
	free(ctl->acceptors);
	free(ctl->stuck);
	free(ctl->workers);
	close_listeners(ctl);
	free(ctl->listeners);
	struct event *evs[] = { ctl->notify_ev, ctl->term, ctl->intr,
		ctl->hup, ctl->drain, ctl->deadline, ctl->retry,
		ctl->lifecycle, ctl->unlisten, ctl->watch };
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	for (int i = 0; i < 2; i++)
		if (ctl->notify_fd[i] >= 0)
			close(ctl->notify_fd[i]);
	/* Its gathers may have been with the workers: after them. */
	admin_free(ctl->admin);
	if (ctl->base != NULL)
		event_base_free(ctl->base);
	pending_budget_fini(&ctl->shared.pending);
	targets_watch_stop();
	clientlimit_free(ctl->shared.clients);
	ratelimit_free(ctl->shared.rate);
	pthread_mutex_destroy(&ctl->shared.rate_lock);
	config_unref(ctl->cfg);
	route_counts_free(ctl->counts);
	metrics_free(ctl->metrics);
}

/*
 * Relayed data lives in libevent chains of up to 128 KiB (a 64 KiB frame
 * and its header round up to that), which glibc serves by mmap(2) at its
 * default 128 KiB threshold (and its dynamic threshold stops just short):
 * each chain a TLS bufferevent wrote and freed cost an mmap, an munmap
 * and the page faults in between, a quarter of a wss gateway's CPU.  Keep
 * such chains in the heap, and freed heap in the process below 4 MiB.
 */
static void
malloc_tune(void)
{
	(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 4 << 20);
}

/* --log-file: stderr (every log line) goes to the end of path. */
static int
open_log_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0640);
	struct stat st;

	if (fd < 0) {
		fprintf(stderr, "wsgate: --log-file %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "wsgate: --log-file %s: not a regular file\n",
		    path);
		close(fd);
		return -1;
	}
	if (dup2(fd, STDERR_FILENO) < 0) {
		fprintf(stderr, "wsgate: --log-file %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * websockify's JWTTokenApi takes whatever the key allows; wsgate pins one
 * algorithm, the one the key file is for.  cli.c reads no file, so the
 * key is read here and the command line parsed again with it.
 */
static int
infer_jwt_algorithm(struct cli *cli, int argc, char **argv, const char *cwd,
    char *err, size_t errsize)
{
	const char *file = cli->jwt_key_file, *why, *alg;
	char *data;
	size_t len;

	if (file_read(file, &data, &len, &why) != FILE_OK) {
		snprintf(err, errsize, "--token-source %s: %s", file, why);
		return -1;
	}
	alg = jwt_key_infer_alg(data, len, &why);
	OPENSSL_cleanse(data, len);
	free(data);
	if (alg == NULL) {
		snprintf(err, errsize, "--token-source %s: %s", file, why);
		return -1;
	}
	cli_free(cli);
	return cli_parse_jwt(cli, argc, argv, cwd, alg, err, errsize);
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH, *cwd;
	struct control ctl;
	struct cli cli;
	char err[1024], cwdbuf[4096];
	uint64_t key;
	unsigned nworkers;
	int rc;

	/* A health check client, for images without curl: its own words. */
	if (argc >= 2 && strcmp(argv[1], "--probe") == 0)
		return probe_main(argc - 2, argv + 2);
	cwd = getcwd(cwdbuf, sizeof(cwdbuf));
	if (cli_parse(&cli, argc, argv, cwd, err, sizeof(err)) != 0) {
		fprintf(stderr, "wsgate: %s\n" USAGE_LINES "(wsgate --help "
		    "lists the options; wsgate(8) says more)\n", err);
		return EXIT_USAGE;
	}
	if (cli.ini == NULL && cli.jwt_key_file != NULL &&
	    infer_jwt_algorithm(&cli, argc, argv, cwd, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "wsgate: %s\n", err);
		cli_free(&cli);
		return EXIT_CONFIG;
	}
	if (cli.key_password != NULL) {
		/* tls.c keeps a copy; argv's bytes are writable: ps shows the
		 * password no longer (it did until now: the warning). */
		tls_set_key_password(cli.key_password);
		explicit_bzero((char *)cli.key_password,
		    strlen(cli.key_password));
	}
	if (cli.basic_pass != NULL && hash_basic_password(&cli) != 0) {
		cli_free(&cli);
		return EXIT_CONFIG;
	}
	if (cli.action == CLI_HELP) {
		usage(stdout);
		return EXIT_OK;
	}
	if (cli.action == CLI_VERSION) {
		printf("wsgate %s (libevent %s, %s)\n", WSGATE_VERSION,
		    event_get_version(), OpenSSL_version(OPENSSL_VERSION));
		return EXIT_OK;
	}
	if (cli.verbosity > 0)
		log_set_level(LL_DEBUG);
	else if (cli.verbosity < 0)
		log_set_level(LL_WARN);
	if (cli.config_path != NULL)
		path = cli.config_path;

	malloc_tune();
	memset(&ctl, 0, sizeof(ctl));
	ctl.notify_fd[0] = ctl.notify_fd[1] = -1;
	ctl.held_fd = -1;
	ctl.cli = &cli;
	if (!cli.websockify && access(path, F_OK) != 0 && errno == ENOENT) {
		no_config(path, cli.config_path != NULL);
		return EXIT_CONFIG;
	}
	if (cli.action == CLI_RUN && (ctl.counts = route_counts_new()) ==
	    NULL) {
		fprintf(stderr, "wsgate: out of memory\n");
		cli_free(&cli);
		return EXIT_STARTUP;
	}
	ctl.cfg = load_config(path, &cli, NULL, ctl.counts);
	if (ctl.cfg == NULL) {
		route_counts_free(ctl.counts);
		cli_free(&cli);
		return EXIT_CONFIG;
	}
	if (cli.action == CLI_PRINT_CONFIG) {
		for (size_t i = 0; i < cli.nwarnings; i++)
			fprintf(stderr, "wsgate: warning: %s\n",
			    cli.warnings[i]);
		fputs(cli.ini, stdout);
		if (cli.key_password != NULL)
			fprintf(stderr, "wsgate: warning: --key-password is "
			    "not in this INI: its tls_key must be an "
			    "unencrypted key (openssl pkey -in KEY -out "
			    "PLAIN.key)\n");
		if (cli.htpasswd != NULL) {
			fprintf(stderr, "wsgate: warning: --auth-plugin "
			    "BasicHTTPAuth is not in this INI: put the hashed "
			    "line printed at its end in an htpasswd file\n");
			printf("\n; --auth-plugin BasicHTTPAuth: put this line "
			    "(the password hashed) in a file, chmod 600, and\n"
			    "; add auth_basic_file = FILE to [route:websockify]"
			    "%s\n; %s", cli.web_auth ? " and [gateway]" : "",
			    cli.htpasswd);
		}
		config_unref(ctl.cfg);
		cli_free(&cli);
		return EXIT_OK;
	}
	if (cli.action == CLI_CHECK) {
		for (size_t i = 0; i < cli.nwarnings; i++)
			fprintf(stderr, "wsgate: warning: %s\n",
			    cli.warnings[i]);
		printf("wsgate: %s: configuration OK (%zu listener%s, %zu "
		    "route%s)\n", cli.websockify ? "command line" : path,
		    ctl.cfg->nlisteners,
		    ctl.cfg->nlisteners == 1 ? "" : "s", ctl.cfg->nroutes,
		    ctl.cfg->nroutes == 1 ? "" : "s");
		config_unref(ctl.cfg);
		cli_free(&cli);
		return EXIT_OK;
	}
	if (cli.log_file != NULL && open_log_file(cli.log_file) != 0) {
		config_unref(ctl.cfg);
		route_counts_free(ctl.counts);
		cli_free(&cli);
		return EXIT_STARTUP;
	}
	log_configure(ctl.cfg);	/* log_level, log_format; -v/-q win */
	for (size_t i = 0; i < cli.nwarnings; i++)
		log_warn("%s", cli.warnings[i]);
	if (cli.htpasswd != NULL)
		log_info("--auth-plugin BasicHTTPAuth: user \"%.*s\", its "
		    "password hashed in memory (yescrypt)%s",
		    (int)cli.basic_user_len, cli.basic_user, cli.web_auth ?
		    "; --web-auth: the --web pages ask too" : "");
	if (cli.jwt_algorithm != NULL)
		log_info("--token-plugin JWTTokenApi: %s is a key for %s: "
		    "jwt_algorithm = %s (websockify takes what the key "
		    "allows; wsgate accepts this algorithm only)",
		    cli.jwt_key_file, cli.jwt_algorithm, cli.jwt_algorithm);

	signal(SIGPIPE, SIG_IGN);
	raise_nofile_limit();
	event_set_log_callback(libevent_log_cb);
	unmask_init();		/* before threads: they share its choice */
	atomic_init(&ctl.shared.nsessions, 0);
	atomic_init(&ctl.shared.upgraded, 0);
	atomic_init(&ctl.shared.slots.used, 0);
	atomic_init(&ctl.shared.slots.max, 0);
	rc = EXIT_STARTUP;
	if (getrandom(&key, sizeof(key), 0) != (ssize_t)sizeof(key))
		key = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	nworkers = ctl.cfg->workers != 0 ? ctl.cfg->workers :
	    worker_auto_count();
	pthread_mutex_init(&ctl.shared.rate_lock, NULL);
	ctl.shared.clients = clientlimit_new(key ^ 0x9e3779b97f4a7c15ull);
	if (ctl.shared.clients == NULL ||
	    pending_budget_init(&ctl.shared.pending, key, nworkers) != 0) {
		log_error("out of memory");
		goto out;
	}
	apply_limits(&ctl.shared, ctl.cfg);
	if (control_init(&ctl) != 0) {
		log_error("cannot set up the main event loop");
		goto out;
	}
	ctl.metrics = metrics_new(nworkers);
	if (ctl.metrics == NULL || route_counts_on_new_slot(ctl.counts,
	    metrics_route_slot_new, ctl.metrics) != 0 ||
	    (ctl.admin = admin_new(ctl.base, ctl.metrics, ctl.counts,
	    nworkers, control_admin_send, &ctl)) == NULL) {
		log_error("out of memory");
		goto out;
	}
	if (control_listen(&ctl, nworkers > 1 ? nworkers : 1) != 0 ||
	    admin_configure(ctl.admin, ctl.cfg) != 0)
		goto out;
	if (control_start_workers(&ctl, nworkers) != 0)
		goto out;
	if (watch_start(&ctl) != 0) {
		log_error("cannot start watching the workers: out of memory");
		goto out;
	}
	if (lifecycle_start(&ctl) != 0) {
		log_error("cannot start the run_once/exit_after/exit_when_idle "
		    "timer");
		goto out;
	}
	watch_targets(ctl.cfg);
	/* "ready" only once the signals are handled: until then SIGTERM or
	 * SIGHUP would kill the process (the default action). */
	log_routes(ctl.cfg);
	tls_log_certificates(ctl.cfg);
	log_info("wsgate %s ready (%zu worker%s, max_connections %u, "
	    "max_handshakes %u)", WSGATE_VERSION, ctl.nworkers,
	    ctl.nworkers == 1 ? "" : "s",
	    atomic_load(&ctl.shared.slots.max),
	    atomic_load(&ctl.shared.pending.max));
	notify_ready();
	admin_set_ready(ctl.admin, true);

	event_base_dispatch(ctl.base);
	rc = EXIT_OK;
out:
	control_free(&ctl);
	cli_free(&cli);
	return rc;
}
