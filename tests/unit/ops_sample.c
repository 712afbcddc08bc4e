/* ops_sample.c -- prints a known /metrics, /sessions and JSON log sample for tests/integration/test_ops_formats.py */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "metrics_text.h"
#include "route_count.h"
#include "sessions_json.h"
#include "sink.h"

/*
 * ops-sample metrics|sessions|log: the pure writers on a known state,
 * written to stdout (log: stderr, as log_msg writes), so that strict
 * parsers other than ours (Debian's python3-prometheus-client, Python's
 * json) read them.  The state is what the Python test expects.
 */

static int
out_write(void *arg, const char *p, size_t n)
{
	return fwrite(p, 1, n, arg) == n ? 0 : -1;
}

struct collect {
	struct metrics_scrape *s;
	const struct metrics *m;
};

static void
collect_cb(void *arg, const char *name, unsigned slot, unsigned active)
{
	struct collect *c = arg;

	(void)active;
	metrics_scrape_route(c->s, c->m, name, slot);
}

static int
sample_metrics(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("sample.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:echo]\npath = /echo\nbackend = 127.0.0.1:1\norigins = *\n"
	    "[route:vnc.1]\npath = /vnc\nbackend = 127.0.0.1:2\n"
	    "origins = *\n", &errs);
	struct route_counts *t = route_counts_new();
	struct metrics *m = metrics_new(2);
	struct metrics_scrape s;
	struct collect c;
	struct sink out = { out_write, stdout, false };

	if (cfg == NULL || t == NULL || m == NULL)
		return 1;
	if (route_counts_attach(t, cfg) != 0 ||
	    route_counts_on_new_slot(t, metrics_route_slot_new, m) != 0)
		return 1;
	for (unsigned i = 0; i < 2; i++) {
		struct metrics_worker *w = metrics_worker(m, i);
		struct metrics_route *echo = metrics_route(w,
		    route_count_slot(cfg->routes[0].count));

		metrics_add(&w->c.accepted, 5);
		metrics_add(&w->c.in_handshake, 1);
		metrics_add(&echo->sessions[METRICS_H1], 2);
		metrics_add(&echo->sessions[METRICS_H2], 1);
		metrics_add(&echo->open[METRICS_H2], 1);
		metrics_add(&echo->bytes[METRICS_UP], 1000);
		metrics_add(&echo->bytes[METRICS_DOWN], 2000);
		metrics_add(&echo->messages[METRICS_UP], 10);
		metrics_add(&echo->messages[METRICS_DOWN], 20);
		metrics_connect_failed(echo, METRICS_CF_TIMEOUT);
		metrics_reject(w, 403, METRICS_REJ_ORIGIN);
		metrics_reject(w, 418, METRICS_REJ_BAD_REQUEST);
		metrics_close(w, 1000, METRICS_BY_CLIENT);
		metrics_close(w, 4000, METRICS_BY_GATEWAY);
		metrics_connect_time(w, 300);
		metrics_connect_time(w, 75000);
		metrics_connect_time(w, 60000000);
		metrics_add(&w->c.tls_handshakes, 3);
		metrics_tls_failed(w, METRICS_TLS_NOT_TLS);
		metrics_web(w, 200);
		metrics_web(w, 304);
	}
	metrics_reload(m, true, 1764133000250ull);
	metrics_reload(m, false, 1764133001000ull);
	memset(&s, 0, sizeof(s));
	s.start_ms = 1764132914682ull;
	s.open_fds = 12;
	s.max_fds = 65536;
	s.version = "1.0 \"quoted\" \\ back";
	s.libevent = "2.1.12-stable";
	s.openssl = "OpenSSL 3.0.11 19 Sep 2023";
	metrics_scrape_begin(&s, m);
	c.s = &s;
	c.m = m;
	route_counts_foreach(t, collect_cb, &c);
	/* A name a configuration cannot have today, for the escaping. */
	metrics_scrape_route(&s, m, "we\"ird\\\nname \xc3\xa9\xff",
	    route_count_slot(cfg->routes[1].count));
	metrics_scrape_sort(&s);
	if (s.failed)
		return 1;
	metrics_text_write(&out, &s);
	metrics_scrape_free(&s);
	config_unref(cfg);
	route_counts_free(t);
	metrics_free(m);
	config_errors_free(&errs);
	return out.failed;
}

static int
sample_sessions(void)
{
	struct membuf w0 = { 0 }, w1 = { 0 };
	struct sink o0 = { membuf_write, &w0, false };
	struct sink o1 = { membuf_write, &w1, false };
	struct sink out = { out_write, stdout, false };
	struct session_info a, b, c;

	memset(&a, 0, sizeof(a));
	a.id = 1;
	a.state = SESSION_INFO_OPEN;
	a.age_ms = 61001;
	a.bytes_up = 5;
	a.bytes_down = 7;
	strcpy(a.route, "echo");
	strcpy(a.client, "127.0.0.1:40000");
	strcpy(a.target, "127.0.0.1:7000");
	strcpy(a.tls_version, "TLSv1.3");
	strcpy(a.sni, "caf\xc3\xa9.example \"q\" \\ \x01\x1b[2J\xe2\x80\xae"
	    "\xf0\x9f\x98\x80\xff\xc3");
	b = a;
	b.id = 2;
	b.state = SESSION_INFO_CONNECTING;
	b.tls_version[0] = '\0';
	b.sni[0] = '\0';
	c = a;
	c.id = 3;
	c.worker = 1;
	c.state = SESSION_INFO_CLOSING;
	c.protocol = SESSION_INFO_H2;
	strcpy(c.client, "[2001:db8::1]:443");
	sessions_json_entry(&o0, &a, true);
	sessions_json_entry(&o0, &b, false);
	sessions_json_entry(&o1, &c, true);
	sessions_json_begin(&out);
	sink_write(&out, w0.p, w0.n);
	sink_puts(&out, ",\n");
	sink_write(&out, w1.p, w1.n);
	sessions_json_end(&out, 3, true);
	membuf_free(&w0);
	membuf_free(&w1);
	return out.failed;
}

static int
sample_log(void)
{
	char epath[256];
	static const char path[] = "/a\"b\\c\n\x1b[31m\xc3\xa9\xff";

	log_set_format(LOG_FORMAT_JSON);
	log_escape(epath, sizeof(epath), path, sizeof(path) - 1);
	log_msg(LL_INFO, "close client=127.0.0.1:1 route=echo up=17 down=0 "
	    "duration=1.280s code=1000 by=client reason=\"client sent close\"");
	log_msg(LL_WARN, "reject client=[::1]:2 status=503 path=\"%s\" "
	    "origin=\"\" route=- reason=\"gateway is shutting down\"", epath);
	log_msg(LL_INFO, "tls client=127.0.0.1:3 handshake failed: "
	    "unsupported protocol");
	log_msg(LL_ERROR, "listening on %s", "127.0.0.1:8080");
	log_msg(LL_INFO, "e a=1 level=debug ts=0");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "metrics") == 0)
		return sample_metrics();
	if (argc == 2 && strcmp(argv[1], "sessions") == 0)
		return sample_sessions();
	if (argc == 2 && strcmp(argv[1], "log") == 0)
		return sample_log();
	fprintf(stderr, "usage: ops-sample metrics|sessions|log\n");
	return 2;
}
