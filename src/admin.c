/* admin.c -- the metrics listener (metrics_listen): /metrics, /healthz, /readyz, /sessions, POST /sessions/ID/close, on the main thread's loop */
#include "admin.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "admin_gather.h"
#include "admin_req.h"
#include "cidr.h"
#include "config_types.h"
#include "config.h"
#include "handshake.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "metrics_text.h"
#include "monotime.h"
#include "route_count.h"
#include "sessions_json.h"
#include "sink.h"
#include "sockaddr.h"
#include "version.h"

/*
 * The listener is for scrapers and operators, not clients: a handful of
 * connections at a time, each one request, answered and closed.  Its
 * limits are its own, so no WebSocket client can use them up, and a
 * scraper that hangs holds one of these, never a client's place.
 */
#define ADMIN_CONNS_MAX 32
#define ADMIN_REQUEST_MAX 8192		/* request line and headers */
#define ADMIN_HEADERS_MAX 64
#define ADMIN_DEADLINE 10		/* seconds for a whole exchange */
/* /healthz: a worker whose heartbeat (every second) is older than this is
 * stuck in a callback. */
#define ADMIN_ALIVE_MS 5000
/* Open descriptors are counted only up to this (/proc/self/fd). */
#define ADMIN_FDS_MAX 1000000

struct admin_wait;

struct admin_conn {
	struct admin *a;
	struct admin_conn *prev, *next;
	struct bufferevent *bev;
	struct event *deadline;
	struct admin_wait *wait;	/* a gather being answered, or NULL */
	bool head;			/* HEAD: no body */
	bool answered;			/* writing the answer, then close */
	char peer[SOCKADDR_STRLEN];
};

/* A gather sent to the workers; it outlives the connection that asked
 * (conn NULL) until every worker has answered. */
struct admin_wait {
	struct admin_wait *next;
	struct admin_conn *conn;
	struct admin_gather *g;
};

struct admin_sock {
	char *text;			/* metrics_listen value */
	struct listener *l;
	struct acceptor *acc;
};

struct admin {
	struct event_base *base;
	struct metrics *m;
	struct route_counts *counts;
	unsigned nworkers;
	admin_send_fn send;
	void *arg;
	struct config *cfg;		/* reference: metrics_allow */
	struct admin_sock *socks;
	size_t nsocks;
	struct admin_conn *conns;
	unsigned nconns;
	struct admin_wait *waits;
	bool ready, draining;
	unsigned long long start_ms;	/* unix time */
	time_t full_warned;
};

static unsigned long long
admin_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000;
}

/* ---- connections ---- */

static void
admin_conn_free(struct admin_conn *c)
{
	struct admin *a = c->a;

	if (c->wait != NULL)
		c->wait->conn = NULL;	/* the workers may still be at it */
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	a->nconns--;
	free(c);
}

static int
admin_evbuffer_write(void *arg, const char *p, size_t n)
{
	return evbuffer_add(arg, p, n);
}

/* Queue the answer (body: NULL or an evbuffer, taken) and close once it
 * is written. */
static void
admin_answer(struct admin_conn *c, int status, const char *type,
    struct evbuffer *body, const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = body != NULL ? evbuffer_get_length(body) : 0;
	struct timeval tv = { ADMIN_DEADLINE, 0 };

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n%sConnection: close\r\n\r\n",
	    status, handshake_status_text(status), type, len,
	    extra != NULL ? extra : "");
	if (body != NULL) {
		if (!c->head)
			evbuffer_add_buffer(out, body);
		evbuffer_free(body);
	}
	c->answered = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
	evtimer_add(c->deadline, &tv);
}

static void
admin_answer_text(struct admin_conn *c, int status, const char *text,
    const char *extra)
{
	struct evbuffer *body = evbuffer_new();

	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", text);
	admin_answer(c, status, "text/plain; charset=utf-8", body, extra);
}

/* ---- /metrics ---- */

struct admin_scrape_ctx {
	struct metrics_scrape *s;
	const struct metrics *m;
};

static void
admin_scrape_route(void *arg, const char *name, unsigned slot,
    unsigned active)
{
	struct admin_scrape_ctx *x = arg;

	(void)active;
	metrics_scrape_route(x->s, x->m, name, slot);
}

static long long
admin_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long long n = 0;

	if (d == NULL)
		return -1;
	while (n < ADMIN_FDS_MAX && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

static void
admin_metrics(struct admin_conn *c)
{
	struct admin *a = c->a;
	struct metrics_scrape s;
	struct admin_scrape_ctx x = { &s, a->m };
	struct evbuffer *body = evbuffer_new();
	struct sink out = { admin_evbuffer_write, body, false };
	struct rlimit rl;

	memset(&s, 0, sizeof(s));
	s.start_ms = a->start_ms;
	s.open_fds = admin_open_fds();
	s.max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY ? (long long)rl.rlim_cur : -1;
	s.draining = a->draining;
	s.version = WSGATE_VERSION;
	s.libevent = event_get_version();
	s.openssl = OpenSSL_version(OPENSSL_VERSION);
	metrics_scrape_begin(&s, a->m);
	route_counts_foreach(a->counts, admin_scrape_route, &x);
	metrics_scrape_sort(&s);
	if (body != NULL && !s.failed)
		metrics_text_write(&out, &s);
	metrics_scrape_free(&s);
	if (body == NULL || s.failed || out.failed) {
		if (body != NULL)
			evbuffer_free(body);
		admin_answer_text(c, 500, "out of memory", NULL);
		return;
	}
	admin_answer(c, 200, METRICS_TEXT_CONTENT_TYPE, body, NULL);
}

/* ---- /sessions: every worker answers for its own ---- */

static void
admin_gather_free(struct admin_gather *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < g->nparts; i++)
		free(g->parts[i].v);
	free(g);
}

static void
admin_sessions_answer(struct admin_conn *c, const struct admin_gather *g)
{
	struct evbuffer *body = evbuffer_new();
	struct sink out = { admin_evbuffer_write, body, false };
	size_t count = 0;
	bool truncated = false;

	if (body == NULL) {
		admin_answer_text(c, 500, "out of memory", NULL);
		return;
	}
	sessions_json_begin(&out);
	for (unsigned w = 0; w < g->nparts; w++) {
		const struct admin_part *p = &g->parts[w];

		truncated |= p->more;
		for (size_t i = 0; i < p->n; i++) {
			if (count == g->req.limit) {
				truncated = true;
				break;
			}
			sessions_json_entry(&out, &p->v[i], count == 0);
			count++;
		}
	}
	sessions_json_end(&out, count, truncated);
	if (out.failed) {
		evbuffer_free(body);
		admin_answer_text(c, 500, "out of memory", NULL);
		return;
	}
	admin_answer(c, 200, "application/json", body, NULL);
}

static void
admin_close_answer(struct admin_conn *c, const struct admin_gather *g)
{
	char text[160];
	bool found = false, closed = false;

	for (unsigned w = 0; w < g->nparts; w++) {
		found |= g->parts[w].found;
		closed |= g->parts[w].closed;
	}
	if (closed) {
		struct evbuffer *body = evbuffer_new();

		if (body != NULL)
			evbuffer_add_printf(body, "{\"id\":%llu,\"closing\":true,"
			    "\"code\":%u}\n", (unsigned long long)g->req.id,
			    g->req.code);
		log_info("metrics: client=%s closed session %llu with %u",
		    c->peer, (unsigned long long)g->req.id, g->req.code);
		admin_answer(c, 200, "application/json", body, NULL);
		return;
	}
	snprintf(text, sizeof(text), found ? "session %llu is not open "
	    "(connecting or already closing)" : "no session %llu",
	    (unsigned long long)g->req.id);
	admin_answer_text(c, found ? 409 : 404, text, NULL);
}

static void
admin_wait_done(struct admin_wait *w)
{
	struct admin_conn *c = w->conn;

	if (c == NULL)
		return;
	c->wait = NULL;
	if (w->g->req.endpoint == ADMIN_SESSIONS)
		admin_sessions_answer(c, w->g);
	else
		admin_close_answer(c, w->g);
}

void
admin_gathered(struct admin *a)
{
	struct admin_wait **pw = &a->waits;

	while (*pw != NULL) {
		struct admin_wait *w = *pw;

		if (atomic_load(&w->g->pending) != 0) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		admin_wait_done(w);
		admin_gather_free(w->g);
		free(w);
	}
}

static void
admin_gather_start(struct admin_conn *c, const struct admin_req *req)
{
	struct admin *a = c->a;
	struct admin_wait *w = calloc(1, sizeof(*w));
	struct admin_gather *g = calloc(1, sizeof(*g) +
	    a->nworkers * sizeof(g->parts[0]));
	unsigned unsent;

	if (w == NULL || g == NULL) {
		free(w);
		free(g);
		admin_answer_text(c, 500, "out of memory", NULL);
		return;
	}
	g->req = *req;
	g->nparts = a->nworkers;
	atomic_init(&g->pending, a->nworkers);
	w->g = g;
	w->conn = c;
	c->wait = w;
	w->next = a->waits;
	a->waits = w;
	unsent = a->send(a->arg, g);
	if (unsent != 0)
		atomic_fetch_sub(&g->pending, unsent);
	admin_gathered(a);	/* nothing sent: answer now */
}

/* ---- requests ---- */

static void
admin_request(struct admin_conn *c, const struct hs_request *hreq)
{
	struct admin *a = c->a;
	struct admin_req req;
	const char *why;
	char allow[64];
	int status;

	if (admin_req_parse(hreq->method.p, hreq->method.n, hreq->target.p,
	    hreq->target.n, &req, &status, &why) != 0) {
		if (status == 405) {
			snprintf(allow, sizeof(allow), "Allow: %s\r\n",
			    req.allow);
			admin_answer_text(c, 405, why, allow);
		} else {
			admin_answer_text(c, status, why, NULL);
		}
		return;
	}
	c->head = req.head;
	switch (req.endpoint) {
	case ADMIN_METRICS:
		admin_metrics(c);
		return;
	case ADMIN_HEALTHZ:
		if (metrics_alive(a->m, monotime_ms(), ADMIN_ALIVE_MS))
			admin_answer_text(c, 200, "ok", NULL);
		else
			admin_answer_text(c, 503, "a worker's event loop has "
			    "not run for 5 seconds", NULL);
		return;
	case ADMIN_READYZ:
		if (a->ready && !a->draining)
			admin_answer_text(c, 200, "ready", NULL);
		else
			admin_answer_text(c, 503, a->draining ? "draining" :
			    "starting", NULL);
		return;
	case ADMIN_SESSIONS:
	case ADMIN_SESSION_CLOSE:
		/*
		 * A POST without a body is a "simple" request that any web
		 * page the operator opens may send to 127.0.0.1 without
		 * asking; browsers always add Origin to it, curl and
		 * scripts do not.
		 */
		if (req.endpoint == ADMIN_SESSION_CLOSE && hreq->has_origin) {
			log_warn("metrics: client=%s: POST with an Origin "
			    "header refused (a web page's request)", c->peer);
			admin_answer_text(c, 403, "a request from a web page "
			    "(Origin header) may not close sessions", NULL);
			return;
		}
		if (req.endpoint == ADMIN_SESSION_CLOSE)
			log_info("metrics: client=%s asks to close session "
			    "%llu", c->peer, (unsigned long long)req.id);
		admin_gather_start(c, &req);
		return;
	}
}

static void
admin_read_cb(struct bufferevent *bev, void *arg)
{
	struct admin_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	size_t n = len < ADMIN_REQUEST_MAX ? len : ADMIN_REQUEST_MAX;
	struct hs_limits lim = { ADMIN_REQUEST_MAX, ADMIN_HEADERS_MAX };
	struct hs_request req;
	const char *why = "", *buf;
	int status = 400, rc;

	if (c->answered || c->wait != NULL)
		return;
	buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	rc = handshake_parse(buf, n, &lim, &req, &status, &why);
	if (rc == CODEC_NEED_MORE)
		return;
	/* Any method reaches admin_req, which knows which path takes which
	 * (handshake_parse judges only GET). */
	if (rc == CODEC_ERROR && status != 405) {
		admin_answer_text(c, status, why, NULL);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	admin_request(c, &req);
}

static void
admin_write_cb(struct bufferevent *bev, void *arg)
{
	struct admin_conn *c = arg;

	if (c->answered &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		admin_conn_free(c);
}

static void
admin_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	admin_conn_free(arg);	/* EOF or error: nothing more to do */
}

static void
admin_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct admin_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->answered) {
		admin_conn_free(c);	/* not taking its answer */
		return;
	}
	if (c->wait != NULL) {
		c->wait->conn = NULL;
		c->wait = NULL;
		admin_answer_text(c, 503, "the workers did not answer in time",
		    NULL);
		return;
	}
	admin_answer_text(c, 408, "request not complete in time", NULL);
}

static void
admin_accept_cb(int fd, const struct sockaddr *sa, int salen,
    unsigned lflags, void *arg)
{
	struct admin *a = arg;
	const struct cidr_list *allow = &a->cfg->metrics_allow;
	struct timeval tv = { ADMIN_DEADLINE, 0 };
	struct admin_conn *c;
	char peer[SOCKADDR_STRLEN];
	bool ok;

	(void)salen;
	(void)lflags;
	sockaddr_format(sa, peer, sizeof(peer));
	if (allow->given)
		ok = cidr_match(allow->v, allow->n, sa);
	else	/* loopback only */
		ok = sa->sa_family == AF_UNIX || config_is_loopback(sa);
	if (!ok) {
		static const char refuse[] = "HTTP/1.1 403 Forbidden\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n";

		log_warn("metrics: client=%s refused: not in metrics_allow",
		    peer);
		/* A best effort on a fresh socket: the answer fits. */
		if (write(fd, refuse, sizeof(refuse) - 1) < 0)
			(void)0;
		close(fd);
		return;
	}
	if (a->nconns >= ADMIN_CONNS_MAX) {
		if (a->full_warned != time(NULL))
			log_warn("metrics: client=%s closed: %d connections "
			    "to the metrics listener already", peer,
			    ADMIN_CONNS_MAX);
		a->full_warned = time(NULL);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->a = a;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->bev = bufferevent_socket_new(a->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(a->base, admin_deadline_cb, c);
	c->next = a->conns;
	if (a->conns != NULL)
		a->conns->prev = c;
	a->conns = c;
	a->nconns++;
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev == NULL)
			close(fd);
		admin_conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, admin_read_cb, admin_write_cb,
	    admin_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, ADMIN_REQUEST_MAX);
	bufferevent_enable(c->bev, EV_READ);
	evtimer_add(c->deadline, &tv);
}

/* ---- the listening sockets ---- */

static void
admin_sock_close(struct admin_sock *s)
{
	acceptor_free(s->acc);
	listener_free(s->l);
	free(s->text);
}

int
admin_configure(struct admin *a, struct config *cfg)
{
	struct admin_sock *socks = calloc(cfg->nmetrics_listen + 1,
	    sizeof(*socks));
	size_t n = 0;
	int rc = 0;

	if (socks == NULL) {
		log_error("metrics_listen: out of memory");
		return -1;
	}
	config_unref(a->cfg);
	a->cfg = config_ref(cfg);
	for (size_t i = 0; i < cfg->nmetrics_listen; i++) {
		const struct listen_spec *ls = &cfg->metrics_listen[i];
		struct admin_sock *s = &socks[n];
		char err[256];

		/* Kept: the same text as a socket already open. */
		for (size_t k = 0; k < a->nsocks; k++) {
			if (a->socks[k].text != NULL &&
			    strcmp(a->socks[k].text, ls->text) == 0) {
				*s = a->socks[k];
				memset(&a->socks[k], 0, sizeof(a->socks[k]));
				break;
			}
		}
		if (s->l != NULL) {
			n++;
			continue;
		}
		s->text = strdup(ls->text);
		s->l = listener_new(ls, 1, err, sizeof(err));
		if (s->text == NULL || s->l == NULL) {
			log_error("%s:%d: metrics_listen = %s: %s",
			    ls->where.file, ls->where.line, ls->text,
			    s->l == NULL ? err : "out of memory");
			admin_sock_close(s);
			memset(s, 0, sizeof(*s));
			rc = -1;
			continue;
		}
		s->acc = acceptor_new(a->base, s->l, 0, admin_accept_cb, a);
		if (s->acc == NULL) {
			log_error("metrics_listen = %s: cannot watch it",
			    ls->text);
			admin_sock_close(s);
			memset(s, 0, sizeof(*s));
			rc = -1;
			continue;
		}
		log_info("metrics: serving on %s", listener_describe(s->l));
		n++;
	}
	for (size_t k = 0; k < a->nsocks; k++) {
		if (a->socks[k].l != NULL)
			log_info("metrics: no longer serving on %s",
			    listener_describe(a->socks[k].l));
		admin_sock_close(&a->socks[k]);
	}
	free(a->socks);
	a->socks = socks;
	a->nsocks = n;
	return rc;
}

struct admin *
admin_new(struct event_base *base, struct metrics *m,
    struct route_counts *counts, unsigned nworkers, admin_send_fn send,
    void *arg)
{
	struct admin *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->base = base;
	a->m = m;
	a->counts = counts;
	a->nworkers = nworkers;
	a->send = send;
	a->arg = arg;
	a->start_ms = admin_unix_ms();
	return a;
}

void
admin_set_ready(struct admin *a, bool ready)
{
	a->ready = ready;
}

void
admin_set_draining(struct admin *a)
{
	a->draining = true;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	while (a->conns != NULL)
		admin_conn_free(a->conns);
	while (a->waits != NULL) {
		struct admin_wait *w = a->waits;

		a->waits = w->next;
		admin_gather_free(w->g);
		free(w);
	}
	for (size_t k = 0; k < a->nsocks; k++)
		admin_sock_close(&a->socks[k]);
	free(a->socks);
	config_unref(a->cfg);
	free(a);
}
