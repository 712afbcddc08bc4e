/* worker.c -- the worker threads: one event loop each, commanded through a pipe */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "config.h"
#include "gateway.h"
#include "listener.h"
#include "admin_gather.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "relay.h"
#include "resolve.h"
#include "session.h"

#define WORKER_MAX 256

/*
 * Connections handed to a worker wait in its command pipe (a few hundred
 * fit in the default 64 KiB).  They may fill it only down to this much
 * free room, so that a command (reload, drain, stop) always fits: two
 * pages, since a pipe fills page by page.
 */
#define WORKER_PIPE_RESERVE 8192
/* Messages a worker takes from its pipe per wakeup: a burst of new
 * connections (each read and often answered at once) is served in turns
 * with the sessions it already has. */
#define WORKER_CMD_BUDGET 16

/* Smaller than PIPE_BUF, so always written and read whole. */
struct worker_msg {
	enum worker_cmd cmd;
	struct config *cfg;		/* WORKER_RELOAD */
	struct admin_gather *gather;	/* WORKER_ADMIN */
	int fd;				/* WORKER_CONNECTION */
	unsigned tls;			/* listener.h's LISTEN_* */
	socklen_t salen;
	struct sockaddr_storage sa;
};

/*
 * Sessions switch reading and writing on and off many times in one loop
 * iteration (upgrade, relay, close); with epoll's change list those turn
 * into one epoll_ctl per descriptor per iteration instead of one each.
 */
static struct event_base *
worker_new_base(void)
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

static void
worker_notify(struct gateway *gw, char what)
{
	/* One byte on a pipe: atomic, and the main thread drains it. */
	while (write(gw->notify_fd, &what, 1) < 0 && errno == EINTR)
		;
}

static void
worker_stop_accepting(struct gateway *gw)
{
	for (size_t i = 0; i < gw->nacceptors; i++)
		acceptor_free(gw->acceptors[i]);
	gw->nacceptors = 0;
}

static void
worker_drained_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;

	(void)fd;
	(void)what;
	worker_notify(gw, WORKER_ACK_DRAIN);
	/* Kept-alive connections between requests would only wait out
	 * keepalive_timeout: nothing is lost by closing them now. */
	session_close_idle(gw);
	if (gw->nsessions == 0)
		event_base_loopexit(gw->base, NULL);
}

static void
worker_cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct worker_msg m;

	(void)what;
	/* The pipe stays readable while more wait: the loop comes back. */
	for (int i = 0; i < WORKER_CMD_BUDGET &&
	    read(fd, &m, sizeof(m)) == (ssize_t)sizeof(m); i++) {
		switch (m.cmd) {
		case WORKER_RELOAD:
			/* Sessions keep the configuration they started with
			 * (each holds a reference); new ones take this. */
			config_unref(gw->cfg);
			gw->cfg = m.cfg;
			resolver_reload(gw->resolver, gw->cfg);
			worker_notify(gw, WORKER_ACK_RELOAD);
			break;
		case WORKER_DRAIN: {
			/* Not zero: libevent runs a zero timeout at once,
			 * before the loop has applied any change. */
			struct timeval next = { 0, 1 };

			/* Connections the kernel completed before the main
			 * thread stopped new handshakes (listener_refuse_new)
			 * are served, not reset when the sockets close. */
			for (size_t k = 0; k < gw->nacceptors; k++)
				acceptor_take_all(gw->acceptors[k]);
			gw->draining = true;
			worker_stop_accepting(gw);
			session_drain_all(gw);
			/* The change list removes the listening sockets from
			 * epoll in the next loop iteration: answer only then,
			 * for the main thread closes them on this answer. */
			event_base_once(gw->base, -1, EV_TIMEOUT,
			    worker_drained_cb, gw, &next);
			break;
		}
		case WORKER_CLOSE_ALL:
			session_close_all(gw);
			break;
		case WORKER_STOP:
			event_base_loopbreak(gw->base);
			break;
		case WORKER_ADMIN:
			session_admin(gw, m.gather);
			/* The release that hands the part over. */
			atomic_fetch_sub(&m.gather->pending, 1);
			worker_notify(gw, WORKER_ACK_ADMIN);
			break;
		case WORKER_CONNECTION:
			/* Even when draining: it was connected, and gets an
			 * answer (503) rather than a reset. */
			gw->stats.accepted++;
			metrics_add(&gw->metrics->c.accepted, 1);
			/* session_new closes fd itself when it fails. */
			session_new(gw, m.fd, (struct sockaddr *)&m.sa,
			    m.salen, m.tls);
			break;
		}
	}
}

static void
worker_accept_cb(int fd, const struct sockaddr *sa, int salen, unsigned tls,
    void *arg)
{
	struct gateway *gw = arg;

	gw->stats.accepted++;
	metrics_add(&gw->metrics->c.accepted, 1);
	/* session_new closes fd itself when it fails. */
	session_new(gw, fd, sa, (socklen_t)salen, tls);
}

/* /healthz: the loop runs (metrics_alive). */
static void
worker_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;

	(void)fd;
	(void)what;
	metrics_heartbeat(gw->metrics, monotime_ms());
}

static void *
worker_main(void *arg)
{
	struct gateway *gw = arg;
	struct timeval second = { 1, 0 };

	worker_heartbeat_cb(-1, 0, gw);
	gw->heartbeat = event_new(gw->base, -1, EV_PERSIST,
	    worker_heartbeat_cb, gw);
	if (gw->heartbeat != NULL)
		event_add(gw->heartbeat, &second);
	event_base_dispatch(gw->base);
	if (gw->heartbeat != NULL)
		event_free(gw->heartbeat);
	gw->heartbeat = NULL;
	/* After a forced stop: what is left goes without goodbyes. */
	gw->draining = false;
	session_abort_all(gw);
	worker_stop_accepting(gw);
	worker_notify(gw, WORKER_EXITED);
	return NULL;
}

struct gateway *
worker_new(unsigned id, struct shared *shared, struct config *cfg,
    struct listener **listeners, size_t nlisteners, int notify_fd, char *err,
    size_t errsize)
{
	struct gateway *gw = calloc(1, sizeof(*gw));

	if (gw == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	gw->id = id;
	gw->shared = shared;
	gw->pending.index = id;
	gw->cfg = config_ref(cfg);
	gw->notify_fd = notify_fd;
	gw->cmd_fd[0] = gw->cmd_fd[1] = -1;
	gw->base = worker_new_base();
	if (gw->base == NULL) {
		snprintf(err, errsize, "cannot create an event loop");
		goto fail;
	}
	gw->resolver = resolver_new(gw->base, cfg, err, errsize);
	if (gw->resolver == NULL)
		goto fail;
	gw->scratch_size = RELAY_SCRATCH_SIZE;
	gw->scratch = malloc(gw->scratch_size);
	gw->acceptors = calloc(nlisteners + 1, sizeof(*gw->acceptors));
	if (gw->scratch == NULL || gw->acceptors == NULL ||
	    relay_loop_init(gw) != 0) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	if (pipe2(gw->cmd_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errsize, "pipe: %s", strerror(errno));
		goto fail;
	}
	gw->cmd_pipe_size = fcntl(gw->cmd_fd[1], F_GETPIPE_SZ);
	if (gw->cmd_pipe_size < 0)
		gw->cmd_pipe_size = 4096;	/* POSIX's minimum */
	gw->cmd_ev = event_new(gw->base, gw->cmd_fd[0], EV_READ | EV_PERSIST,
	    worker_cmd_cb, gw);
	if (gw->cmd_ev == NULL || event_add(gw->cmd_ev, NULL) != 0) {
		snprintf(err, errsize, "cannot watch the command pipe");
		goto fail;
	}
	for (size_t i = 0; i < nlisteners; i++) {
		/* A socket per worker (SO_REUSEPORT), or the only one. */
		size_t copy = listener_copies(listeners[i]) > 1 ? id : 0;

		gw->acceptors[i] = acceptor_new(gw->base, listeners[i], copy,
		    worker_accept_cb, gw);
		if (gw->acceptors[i] == NULL) {
			snprintf(err, errsize, "cannot watch %s",
			    listener_describe(listeners[i]));
			goto fail;
		}
		gw->nacceptors++;
	}
	return gw;
fail:
	worker_free(gw);
	return NULL;
}

int
worker_start(struct gateway *gw)
{
	char name[16];
	int rc = pthread_create(&gw->thread, NULL, worker_main, gw);

	if (rc != 0) {
		log_error("worker %u: cannot start a thread: %s", gw->id,
		    strerror(rc));
		return -1;
	}
	gw->started = true;
	/* For top -H, ps -L and debuggers. */
	snprintf(name, sizeof(name), "wsgate-w%u", gw->id);
	pthread_setname_np(gw->thread, name);
	return 0;
}

/* Write one message to the worker's pipe, waiting up to a second if it
 * is full (a stuck worker must not stall the main thread for ever). */
static int
worker_write(struct gateway *gw, const struct worker_msg *m)
{
	for (int tries = 0; tries < 100; tries++) {
		ssize_t n = write(gw->cmd_fd[1], m, sizeof(*m));
		struct pollfd p = { gw->cmd_fd[1], POLLOUT, 0 };

		if (n == (ssize_t)sizeof(*m))
			return 0;
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
		poll(&p, 1, 10);
	}
	return -1;
}

void
worker_send(struct gateway *gw, enum worker_cmd cmd, struct config *cfg)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	m.cfg = cfg != NULL ? config_ref(cfg) : NULL;
	m.fd = -1;
	if (worker_write(gw, &m) != 0) {
		log_error("worker %u: cannot send a command: %s", gw->id,
		    strerror(errno));
		config_unref(m.cfg);
	}
}

int
worker_send_admin(struct gateway *gw, struct admin_gather *g)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = WORKER_ADMIN;
	m.gather = g;
	m.fd = -1;
	return worker_write(gw, &m);
}

void
worker_set_metrics(struct gateway *gw, struct metrics_worker *mw)
{
	gw->metrics = mw;
	/* A first beat now: /healthz may be asked before the thread has
	 * run at all, and a worker not yet scheduled is not stuck. */
	metrics_heartbeat(mw, monotime_ms());
}

int
worker_hand_off(struct gateway *gw, int fd, const struct sockaddr *sa,
    int salen, unsigned tls)
{
	struct worker_msg m;
	int queued = 0;
	ssize_t n;

	/* Never wait: a worker that is not taking connections is passed
	 * over, and the reserve keeps room for commands.  (FIONREAD on a
	 * pipe counts the bytes in it, from either end.) */
	if (ioctl(gw->cmd_fd[1], FIONREAD, &queued) != 0 ||
	    (size_t)queued + sizeof(m) + WORKER_PIPE_RESERVE >
	    (size_t)gw->cmd_pipe_size)
		return -1;
	memset(&m, 0, sizeof(m));
	m.cmd = WORKER_CONNECTION;
	m.fd = fd;
	m.tls = tls;
	m.salen = (socklen_t)salen < sizeof(m.sa) ? (socklen_t)salen
	    : (socklen_t)sizeof(m.sa);
	memcpy(&m.sa, sa, m.salen);
	do
		n = write(gw->cmd_fd[1], &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(m) ? 0 : -1;
}

void
worker_free(struct gateway *gw)
{
	struct worker_msg m;

	if (gw == NULL)
		return;
	if (gw->started)
		pthread_join(gw->thread, NULL);
	/* Commands sent after the worker had stopped listening. */
	while (gw->cmd_fd[0] >= 0 &&
	    read(gw->cmd_fd[0], &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		config_unref(m.cfg);
		if (m.cmd == WORKER_CONNECTION)
			close(m.fd);
	}
	worker_stop_accepting(gw);
	free(gw->acceptors);
	if (gw->cmd_ev != NULL)
		event_free(gw->cmd_ev);
	for (int i = 0; i < 2; i++)
		if (gw->cmd_fd[i] >= 0)
			close(gw->cmd_fd[i]);
	/* After the sessions (their waits) and before the event base. */
	resolver_free(gw->resolver);
	auth_worker_free(gw);
	relay_loop_free(gw);
	if (gw->base != NULL)
		event_base_free(gw->base);
	free(gw->scratch);
	config_unref(gw->cfg);
	free(gw);
}

unsigned
worker_auto_count(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > WORKER_MAX ? WORKER_MAX : (unsigned)n;
}
