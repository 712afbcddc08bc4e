/* main.c -- command line, signals, event loop: wires config, listeners and sessions */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "config.h"
#include "frame.h"
#include "gateway.h"
#include "listener.h"
#include "log.h"
#include "relay.h"
#include "session.h"
#include "tls.h"
#include "version.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,	/* configuration invalid */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_STARTUP = 3,	/* cannot listen, no memory, ... */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wsgate [-c FILE] [-t] [-v | -q] [-V] [-h]\n"
	    "\n"
	    "WebSocket-to-TCP gateway: accepts WebSocket upgrades (RFC 6455)\n"
	    "and relays each connection's messages to the route's TCP "
	    "backend.\n"
	    "\n"
	    "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -t       check the configuration, print every problem, exit\n"
	    "  -v       verbose: log debug events too\n"
	    "  -q       quiet: log only warnings and errors\n"
	    "  -V       print the version and exit\n"
	    "  -h       print this help and exit\n"
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
	    "Logs go to stderr, one line per event.  Documentation: README.md\n"
	    "and the commented examples in etc/.\n");
}

static void
libevent_log_cb(int severity, const char *msg)
{
	log_msg(severity >= EVENT_LOG_WARN ? LL_WARN : LL_DEBUG,
	    "libevent: %s", msg);
}

static struct config *
load_config(const char *path)
{
	struct config_errors errs = { NULL, 0 };
	struct config *cfg = config_load(path, &errs);

	/* Certificates are read now, so -t and SIGHUP check them too. */
	if (cfg != NULL && tls_config_load(cfg, &errs) != 0) {
		config_unref(cfg);
		cfg = NULL;
	}

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	if (cfg == NULL)
		fprintf(stderr, "wsgate: %s: configuration invalid (%zu "
		    "problem%s)\n", path, errs.n, errs.n == 1 ? "" : "s");
	config_errors_free(&errs);
	return cfg;
}

/* max_connections = 0 means: as many as the open file limit allows,
 * two descriptors per session and some to spare. */
static unsigned
effective_max_connections(const struct config *cfg)
{
	struct rlimit rl;

	if (cfg->max_connections != 0)
		return cfg->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return rl.rlim_cur > 64 ? (unsigned)((rl.rlim_cur - 64) / 2) : 1;
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

static void
log_routes(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		log_info("route %s: %s -> %s (%s%zu origin%s%s)", r->name,
		    r->path, r->backend, r->origin_any ? "any origin, " : "",
		    r->norigins, r->norigins == 1 ? "" : "s",
		    r->allow_missing_origin ? ", missing Origin allowed" : "");
	}
}

struct signals {
	struct gateway *gw;
	struct event *term, *intr, *hup;
	struct event *drain;		/* drain_timeout expiry */
	struct event *deadline;		/* give up on stragglers */
};

static void
stop_listening(struct gateway *gw)
{
	for (size_t i = 0; i < gw->nlisteners; i++)
		listener_free(gw->listeners[i]);
	gw->nlisteners = 0;
}

static void
drain_expired_cb(evutil_socket_t fd, short what, void *arg)
{
	struct signals *sig = arg;
	struct timeval tv = { 0, 0 };

	(void)fd;
	(void)what;
	log_info("closing %u session%s with 1001", sig->gw->nsessions,
	    sig->gw->nsessions == 1 ? "" : "s");
	session_close_all(sig->gw, WS_CLOSE_GOING_AWAY, "server shutting "
	    "down");
	tv.tv_sec = (time_t)sig->gw->cfg->limits.close_timeout + 1;
	evtimer_add(sig->deadline, &tv);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct signals *sig = arg;

	(void)fd;
	(void)what;
	log_warn("%u session%s still open after the close timeout; exiting",
	    sig->gw->nsessions, sig->gw->nsessions == 1 ? "" : "s");
	event_base_loopbreak(sig->gw->base);
}

static void
begin_drain(struct signals *sig, double wait)
{
	struct gateway *gw = sig->gw;
	struct timeval tv;

	if (gw->draining) {
		log_warn("second stop signal: exiting now");
		event_base_loopbreak(gw->base);
		return;
	}
	gw->draining = true;
	stop_listening(gw);
	log_info("draining: stopped accepting; %u session%s open; waiting "
	    "up to %.1fs", gw->nsessions, gw->nsessions == 1 ? "" : "s",
	    wait);
	if (gw->nsessions == 0) {
		event_base_loopexit(gw->base, NULL);
		return;
	}
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	evtimer_add(sig->drain, &tv);
}

static void
signal_cb(evutil_socket_t signo, short what, void *arg)
{
	struct signals *sig = arg;
	struct gateway *gw = sig->gw;

	(void)what;
	if (signo == SIGTERM) {
		log_info("SIGTERM received");
		begin_drain(sig, gw->cfg->drain_timeout);
	} else if (signo == SIGINT) {
		log_info("SIGINT received");
		begin_drain(sig, 0);
	} else if (signo == SIGHUP) {
		struct config *cfg;

		log_info("SIGHUP received: reloading %s", gw->cfg->path);
		cfg = load_config(gw->cfg->path);
		if (cfg == NULL) {
			log_error("reload failed; keeping the running "
			    "configuration");
			return;
		}
		for (size_t i = 0; i < gw->nlisteners; i++) {
			if (listener_is_tls(gw->listeners[i]) &&
			    cfg->tls == NULL) {
				log_error("reload failed: listener %s is TLS "
				    "(until a restart) but the new "
				    "configuration has no tls_cert; keeping "
				    "the running configuration",
				    listener_describe(gw->listeners[i]));
				config_unref(cfg);
				return;
			}
		}
		if (cfg->nlisteners != gw->cfg->nlisteners)
			log_warn("listen changes take effect after a "
			    "restart; keeping the current listeners");
		for (size_t i = 0; i < cfg->nlisteners &&
		    i < gw->cfg->nlisteners; i++)
			if (strcmp(cfg->listeners[i].text,
			    gw->cfg->listeners[i].text) != 0 ||
			    cfg->listeners[i].tls != gw->cfg->listeners[i].tls)
				log_warn("listen changes take effect after a "
				    "restart; keeping the current listeners");
		config_unref(gw->cfg);
		gw->cfg = cfg;
		gw->max_connections = effective_max_connections(cfg);
		log_routes(cfg);
		tls_log_certificates(cfg);
		log_info("configuration reloaded: %zu route%s%s", cfg->nroutes,
		    cfg->nroutes == 1 ? "" : "s", cfg->tls != NULL ?
		    "; TLS certificates re-read (new handshakes use them)" :
		    "");
	}
}

/*
 * Sessions switch reading and writing on and off many times in one loop
 * iteration (upgrade, relay, close); with epoll's change list those turn
 * into one epoll_ctl per descriptor per iteration instead of one each.
 */
static struct event_base *
new_event_base(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	bool check_only = false;
	struct gateway gw;
	struct signals sig;
	int c;

	while ((c = getopt(argc, argv, "c:tvqVh")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'v':
			log_set_level(LL_DEBUG);
			break;
		case 'q':
			log_set_level(LL_WARN);
			break;
		case 'V':
			printf("wsgate %s (libevent %s, %s)\n", WSGATE_VERSION,
			    event_get_version(),
			    OpenSSL_version(OPENSSL_VERSION));
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wsgate: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	memset(&gw, 0, sizeof(gw));
	gw.cfg = load_config(path);
	if (gw.cfg == NULL)
		return EXIT_CONFIG;
	if (check_only) {
		printf("wsgate: %s: configuration OK (%zu listener%s, %zu "
		    "route%s)\n", path, gw.cfg->nlisteners,
		    gw.cfg->nlisteners == 1 ? "" : "s", gw.cfg->nroutes,
		    gw.cfg->nroutes == 1 ? "" : "s");
		config_unref(gw.cfg);
		return EXIT_OK;
	}

	signal(SIGPIPE, SIG_IGN);
	raise_nofile_limit();
	event_set_log_callback(libevent_log_cb);
	gw.base = new_event_base();
	if (gw.base == NULL) {
		log_error("cannot create the event loop");
		config_unref(gw.cfg);
		return EXIT_STARTUP;
	}
	gw.dns = evdns_base_new(gw.base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (gw.dns == NULL)
		gw.dns = evdns_base_new(gw.base,
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	gw.max_connections = effective_max_connections(gw.cfg);
	gw.scratch_size = RELAY_SCRATCH_SIZE;
	gw.scratch = malloc(gw.scratch_size);
	if (gw.scratch == NULL) {
		log_error("out of memory");
		goto startup_failed;
	}

	gw.listeners = calloc(gw.cfg->nlisteners, sizeof(*gw.listeners));
	for (size_t i = 0; gw.listeners != NULL && i < gw.cfg->nlisteners;
	    i++) {
		const struct listen_spec *ls = &gw.cfg->listeners[i];
		char err[256];

		gw.listeners[i] = listener_new(&gw, ls, err, sizeof(err));
		if (gw.listeners[i] == NULL) {
			log_error("%s:%d: listen = %s: %s", ls->where.file,
			    ls->where.line, ls->text, err);
			goto startup_failed;
		}
		gw.nlisteners++;
		log_info("listening on %s",
		    listener_describe(gw.listeners[i]));
	}
	if (gw.listeners == NULL)
		goto startup_failed;
	memset(&sig, 0, sizeof(sig));
	sig.gw = &gw;
	sig.term = evsignal_new(gw.base, SIGTERM, signal_cb, &sig);
	sig.intr = evsignal_new(gw.base, SIGINT, signal_cb, &sig);
	sig.hup = evsignal_new(gw.base, SIGHUP, signal_cb, &sig);
	sig.drain = evtimer_new(gw.base, drain_expired_cb, &sig);
	sig.deadline = evtimer_new(gw.base, deadline_cb, &sig);
	evsignal_add(sig.term, NULL);
	evsignal_add(sig.intr, NULL);
	evsignal_add(sig.hup, NULL);
	/* "ready" only once the signals are handled: until then SIGTERM or
	 * SIGHUP would kill the process (the default action). */
	log_routes(gw.cfg);
	tls_log_certificates(gw.cfg);
	log_info("wsgate %s ready (max_connections %u)", WSGATE_VERSION,
	    gw.max_connections);

	event_base_dispatch(gw.base);

	log_info("stopped: %llu connections, %llu upgraded, %llu rejected",
	    (unsigned long long)gw.stats.accepted,
	    (unsigned long long)gw.stats.upgraded,
	    (unsigned long long)gw.stats.rejected);
	stop_listening(&gw);
	/* Only after a forced exit: free what is left. */
	gw.draining = false;
	session_abort_all(&gw);
	event_free(sig.term);
	event_free(sig.intr);
	event_free(sig.hup);
	event_free(sig.drain);
	event_free(sig.deadline);
	free(gw.listeners);
	evdns_base_free(gw.dns, 0);
	event_base_free(gw.base);
	free(gw.scratch);
	config_unref(gw.cfg);
	return EXIT_OK;

startup_failed:
	/* Free it all, so that a sanitizer build reports real leaks only. */
	stop_listening(&gw);
	free(gw.listeners);
	if (gw.dns != NULL)
		evdns_base_free(gw.dns, 0);
	event_base_free(gw.base);
	free(gw.scratch);
	config_unref(gw.cfg);
	return EXIT_STARTUP;
}
