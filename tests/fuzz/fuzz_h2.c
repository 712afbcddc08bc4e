/* fuzz_h2.c -- libFuzzer target: HTTP/2 frames from a client into the real glue (h2_conn.c, h2_stream.c: nghttp2's callbacks, h2_req.c, admission), with streams that open, get data, are answered, reset and released */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "config.h"
#include "gateway.h"
#include "tls.h"
#include "h2_conn.h"
#include "h2_stream.h"
#include "log.h"
#include "route_count.h"
#include "side.h"

#include "fuzz.h"

/*
 * The client's side is one end of a bufferevent pair; the input, behind
 * the connection preface, is written into the other end, and the loop is
 * run until it is quiet.  A stream admitted to the route "/echo" gets a
 * stand-in session: the first byte of the input says which streams are
 * answered 200 at once, which get a 502 (backend failed) and which are
 * held open; what reaches a session's end is echoed back.  At the end
 * every session is released (or was reset) and the connection freed:
 * nothing may crash, leak, or touch freed memory (ASan), and every slot
 * taken is given back.
 */

/* tls.c and the parts of it side.c needs: no TLS here. */
int tls_close_notify(struct bufferevent *bev);
int tls_peer_name_allowed(struct bufferevent *bev, char *const *names,
    size_t n, char *who, size_t whosize);
const char *tls_server_name(struct bufferevent *bev);

const char *
tls_server_name(struct bufferevent *bev)
{
	(void)bev;
	return "localhost";
}

int
tls_close_notify(struct bufferevent *bev)
{
	(void)bev;
	return -1;
}

int
tls_peer_name_allowed(struct bufferevent *bev, char *const *names, size_t n,
    char *who, size_t whosize)
{
	(void)bev;
	(void)names;
	(void)n;
	if (whosize > 0)
		who[0] = '\0';
	return -1;
}

/* side.c reads and writes a TLS side's SSL through these (tls.h); with no
 * TLS bufferevent here, tls_io_begin finds none and the rest are never
 * reached. */
struct ssl_st *
tls_io_begin(struct bufferevent *bev)
{
	(void)bev;
	return NULL;
}

void
tls_io_end(struct ssl_st *ssl)
{
	(void)ssl;
}

enum tls_io
tls_io_read(struct ssl_st *ssl, void *buf, size_t cap, size_t *got)
{
	(void)ssl;
	(void)buf;
	(void)cap;
	*got = 0;
	return TLS_IO_ERROR;
}

enum tls_io
tls_io_write(struct ssl_st *ssl, const void *buf, size_t len)
{
	(void)ssl;
	(void)buf;
	(void)len;
	return TLS_IO_ERROR;
}

bool
tls_io_pending(struct ssl_st *ssl)
{
	(void)ssl;
	return false;
}

#define MAX_SESSIONS 256

struct fake_session {
	struct h2_stream *st;
	struct bufferevent *bev;
	const struct route *route;
	bool used;
};

static struct event_base *base;
static struct config *cfg;
static struct route_counts *counts;
static struct shared shared;
static struct gateway gw;
static struct fake_session sessions[MAX_SESSIONS];
static unsigned policy;
static unsigned nopen;
static bool conn_done;

static void
fake_end(struct fake_session *s)
{
	if (!s->used)
		return;
	s->used = false;
	if (s->st != NULL)
		h2_stream_released(s->st);
	bufferevent_free(s->bev);
	admit_release(&shared.slots, s->route);
}

static void
fake_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	/* Echo, as a relay would write frames. */
	bufferevent_write_buffer(bev, in);
}

static void *
fake_open(void *arg, struct h2_stream *st, struct bufferevent *bev,
    const struct admit_result *res)
{
	struct fake_session *s = NULL;
	unsigned what = policy >> (2 * (nopen++ % 4)) & 3;

	(void)arg;
	FUZZ_CHECK(res->holds_slots);
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (!sessions[i].used) {
			s = &sessions[i];
			break;
		}
	if (s == NULL || what == 3) {
		/* Out of memory, as the session layer may be. */
		bufferevent_free(bev);
		admit_release(&shared.slots, res->route);
		return NULL;
	}
	s->used = true;
	s->st = st;
	s->bev = bev;
	s->route = res->route;
	bufferevent_setcb(bev, fake_read_cb, NULL, NULL, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (what == 0) {
		h2_stream_upgraded(st, res->subprotocol);
	} else if (what == 1) {
		h2_stream_answer(st, 502, "backend down");
		fake_end(s);
	}
	return s;
}

static void
fake_reset(void *handle, const char *why)
{
	struct fake_session *s = handle;

	(void)why;
	s->st = NULL;	/* the stream knows */
	fake_end(s);
}

static void
fake_done(void *arg, const char *why)
{
	(void)arg;
	(void)why;
	conn_done = true;
}

static const struct h2_conn_ops ops = {
	.stream_open = fake_open,
	.stream_reset = fake_reset,
	.done = fake_done,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char ini[] =
	    "[gateway]\n"
	    "listen = 127.0.0.1:1\n"
	    "max_connections = 64\n"
	    "h2_max_concurrent_streams = 16\n"
	    "h2_max_memory = 256k\n"
	    "health_path = /healthz\n"
	    "[route:echo]\n"
	    "path = /echo\n"
	    "backend = 127.0.0.1:9\n"
	    "origins = https://ok.example\n"
	    "allow_missing_origin = yes\n";
	struct config_errors errs = { 0 };

	(void)argc;
	(void)argv;
	log_set_level(LL_ERROR);
	base = event_base_new();
	FUZZ_CHECK(base != NULL);
	cfg = config_load_string("fuzz.ini", ini, &errs);
	FUZZ_CHECK(cfg != NULL);
	counts = route_counts_new();
	FUZZ_CHECK(counts != NULL && route_counts_attach(counts, cfg) == 0);
	atomic_init(&shared.slots.max, 64);
	gw.shared = &shared;
	gw.base = base;
	gw.cfg = cfg;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct bufferevent *pair[2];
	struct side client;
	struct h2_conn *c;

	if (size < 1)
		return 0;
	policy = data[0];
	nopen = 0;
	conn_done = false;
	memset(&client, 0, sizeof(client));
	FUZZ_CHECK(bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS,
	    pair) == 0);
	side_attach(&client, pair[0], true);
	c = h2_conn_new(&gw, cfg, &client, "fuzz", &ops, NULL);
	FUZZ_CHECK(c != NULL);
	bufferevent_write(pair[1], preface, sizeof(preface) - 1);
	bufferevent_write(pair[1], data + 1, size - 1);
	bufferevent_enable(pair[1], EV_READ);
	h2_conn_start(c);
	for (int i = 0; i < 64 && !conn_done; i++) {
		/* What the gateway sent is read and dropped. */
		evbuffer_drain(bufferevent_get_input(pair[1]),
		    evbuffer_get_length(bufferevent_get_input(pair[1])));
		if (event_base_loop(base, EVLOOP_NONBLOCK) != 0)
			break;
	}
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		fake_end(&sessions[i]);
	h2_conn_free(c);
	side_free(&client);
	bufferevent_free(pair[1]);
	/* Deferred callbacks of the freed bufferevents run and free them. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	FUZZ_CHECK(atomic_load(&shared.slots.used) == 0);
	return 0;
}
