/* test_metrics_text.c -- unit tests for the Prometheus text exposition of a scrape: exact output, escaping, empty state */
#include "metrics.h"
#include "metrics_text.h"
#include "sink.h"
#include "testlib.h"

static struct metrics_route_sample routes[2];

/* The known state of the exact-output test. */
static void
known_state(struct metrics_scrape *s)
{
	struct metrics_counts *t = &s->total;

	memset(s, 0, sizeof(*s));
	memset(routes, 0, sizeof(routes));
	s->version = "1.2.3";
	s->libevent = "2.1.12-stable";
	s->openssl = "OpenSSL 3.0.11 19 Sep 2023";
	s->start_ms = 1764132914682ull;
	s->open_fds = 17;
	s->max_fds = 1024;
	s->last_reload_ok = 1;
	s->reloads_ok = 1;
	s->last_reload_success_ms = 1764133000005ull;
	metrics_add(&t->accepted, 7);
	metrics_add(&t->in_handshake, 2);
	metrics_add(&t->rejects[metrics_status_index(403)][METRICS_REJ_ORIGIN],
	    2);
	metrics_add(&t->rejects[metrics_status_index(404)]
	    [METRICS_REJ_NO_ROUTE], 1);
	metrics_add(&t->rejects[metrics_status_index(418)]
	    [METRICS_REJ_BAD_REQUEST], 1);
	metrics_add(&t->closes[metrics_code_index(1000)][METRICS_BY_CLIENT],
	    2);
	metrics_add(&t->closes[metrics_code_index(1006)][METRICS_BY_CLIENT],
	    1);
	metrics_add(&t->closes[metrics_code_index(4001)][METRICS_BY_BACKEND],
	    1);
	metrics_add(&t->connect_buckets[0], 1);		/* 400 us */
	metrics_add(&t->connect_buckets[2], 1);		/* 2 ms */
	metrics_add(&t->connect_buckets[METRICS_NBUCKETS], 1);	/* 20 s */
	metrics_add(&t->connect_sum_us, 400 + 2000 + 20000000);
	metrics_add(&t->tls_handshakes, 5);
	metrics_add(&t->tls_failures[METRICS_TLS_PROTOCOL_VERSION], 1);
	metrics_add(&t->web[metrics_status_index(200)], 3);
	metrics_add(&t->web[metrics_status_index(404)], 1);
	routes[0].name = (char *)"echo";
	routes[0].sessions[METRICS_H1] = 3;
	routes[0].sessions[METRICS_H2] = 2;
	routes[0].open[METRICS_H2] = 1;
	routes[0].bytes[METRICS_UP] = 100;
	routes[0].bytes[METRICS_DOWN] = 200;
	routes[0].messages[METRICS_UP] = 2;
	routes[0].messages[METRICS_DOWN] = 4;
	routes[0].connect_failures[METRICS_CF_REFUSED] = 1;
	routes[1].name = (char *)"vnc";
	s->routes = routes;
	s->nroutes = 2;
}

static const char expected[] =
"# HELP wsgate_build_info Versions of wsgate and of the libraries it runs with; the value is always 1.\n"
"# TYPE wsgate_build_info gauge\n"
"wsgate_build_info{version=\"1.2.3\",libevent=\"2.1.12-stable\",openssl=\"OpenSSL 3.0.11 19 Sep 2023\"} 1\n"
"# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
"# TYPE process_start_time_seconds gauge\n"
"process_start_time_seconds 1764132914.682\n"
"# HELP process_open_fds Number of open file descriptors.\n"
"# TYPE process_open_fds gauge\n"
"process_open_fds 17\n"
"# HELP process_max_fds Maximum number of open file descriptors.\n"
"# TYPE process_max_fds gauge\n"
"process_max_fds 1024\n"
"# HELP wsgate_draining 1 while the gateway drains (SIGTERM: no new connections, sessions closing), else 0.\n"
"# TYPE wsgate_draining gauge\n"
"wsgate_draining 0\n"
"# HELP wsgate_connections_accepted_total TCP connections accepted, on every listener.\n"
"# TYPE wsgate_connections_accepted_total counter\n"
"wsgate_connections_accepted_total 7\n"
"# HELP wsgate_connections_in_handshake Connections that are not WebSocket sessions (yet): in their TLS handshake, sending their request, or being answered.\n"
"# TYPE wsgate_connections_in_handshake gauge\n"
"wsgate_connections_in_handshake 2\n"
"# HELP wsgate_handshake_rejections_total Requests answered with an HTTP error instead of an upgrade, by status and reason class.\n"
"# TYPE wsgate_handshake_rejections_total counter\n"
"wsgate_handshake_rejections_total{status=\"403\",reason=\"origin\"} 2\n"
"wsgate_handshake_rejections_total{status=\"404\",reason=\"no_route\"} 1\n"
"wsgate_handshake_rejections_total{status=\"other\",reason=\"bad_request\"} 1\n"
"# HELP wsgate_sessions_open WebSocket sessions open (upgraded and not yet closed), by route and protocol (h1: HTTP/1.1 upgrade, h2: HTTP/2 stream).\n"
"# TYPE wsgate_sessions_open gauge\n"
"wsgate_sessions_open{route=\"echo\",proto=\"h1\"} 0\n"
"wsgate_sessions_open{route=\"echo\",proto=\"h2\"} 1\n"
"wsgate_sessions_open{route=\"vnc\",proto=\"h1\"} 0\n"
"wsgate_sessions_open{route=\"vnc\",proto=\"h2\"} 0\n"
"# HELP wsgate_sessions_total WebSocket sessions opened (upgrades accepted), by route and protocol (h1: HTTP/1.1 upgrade, h2: HTTP/2 stream).\n"
"# TYPE wsgate_sessions_total counter\n"
"wsgate_sessions_total{route=\"echo\",proto=\"h1\"} 3\n"
"wsgate_sessions_total{route=\"echo\",proto=\"h2\"} 2\n"
"wsgate_sessions_total{route=\"vnc\",proto=\"h1\"} 0\n"
"wsgate_sessions_total{route=\"vnc\",proto=\"h2\"} 0\n"
"# HELP wsgate_session_closes_total WebSocket sessions closed, by close code (1006: no close frame) and by who closed.\n"
"# TYPE wsgate_session_closes_total counter\n"
"wsgate_session_closes_total{code=\"1000\",side=\"client\"} 2\n"
"wsgate_session_closes_total{code=\"1006\",side=\"client\"} 1\n"
"wsgate_session_closes_total{code=\"4xxx\",side=\"backend\"} 1\n"
"# HELP wsgate_payload_bytes_total WebSocket payload bytes relayed, by route and direction (up: client to backend, down: backend to client).\n"
"# TYPE wsgate_payload_bytes_total counter\n"
"wsgate_payload_bytes_total{route=\"echo\",direction=\"up\"} 100\n"
"wsgate_payload_bytes_total{route=\"echo\",direction=\"down\"} 200\n"
"wsgate_payload_bytes_total{route=\"vnc\",direction=\"up\"} 0\n"
"wsgate_payload_bytes_total{route=\"vnc\",direction=\"down\"} 0\n"
"# HELP wsgate_messages_total WebSocket messages relayed, by route and direction (up: from the client, down: to the client).\n"
"# TYPE wsgate_messages_total counter\n"
"wsgate_messages_total{route=\"echo\",direction=\"up\"} 2\n"
"wsgate_messages_total{route=\"echo\",direction=\"down\"} 4\n"
"wsgate_messages_total{route=\"vnc\",direction=\"up\"} 0\n"
"wsgate_messages_total{route=\"vnc\",direction=\"down\"} 0\n"
"# HELP wsgate_backend_connect_failures_total Backend connections that failed, by route and reason.\n"
"# TYPE wsgate_backend_connect_failures_total counter\n"
"wsgate_backend_connect_failures_total{route=\"echo\",reason=\"refused\"} 1\n"
"# HELP wsgate_backend_connect_duration_seconds Time from the upgrade request to a connected backend (name lookup, TCP and backend TLS), for connections that succeeded.\n"
"# TYPE wsgate_backend_connect_duration_seconds histogram\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.0005\"} 1\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.001\"} 1\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.0025\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.005\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.01\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.025\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.05\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.1\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.25\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"0.5\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"1\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"2.5\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"5\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"10\"} 2\n"
"wsgate_backend_connect_duration_seconds_bucket{le=\"+Inf\"} 3\n"
"wsgate_backend_connect_duration_seconds_sum 20.002400\n"
"wsgate_backend_connect_duration_seconds_count 3\n"
"# HELP wsgate_tls_handshakes_total Client TLS handshakes completed.\n"
"# TYPE wsgate_tls_handshakes_total counter\n"
"wsgate_tls_handshakes_total 5\n"
"# HELP wsgate_tls_handshake_failures_total Client TLS handshakes that failed, by reason class.\n"
"# TYPE wsgate_tls_handshake_failures_total counter\n"
"wsgate_tls_handshake_failures_total{reason=\"protocol_version\"} 1\n"
"# HELP wsgate_web_responses_total Answers from web_root, by status.\n"
"# TYPE wsgate_web_responses_total counter\n"
"wsgate_web_responses_total{status=\"200\"} 3\n"
"wsgate_web_responses_total{status=\"404\"} 1\n"
"# HELP wsgate_config_reloads_total Configuration reloads (SIGHUP), by result.\n"
"# TYPE wsgate_config_reloads_total counter\n"
"wsgate_config_reloads_total{result=\"ok\"} 1\n"
"wsgate_config_reloads_total{result=\"failed\"} 0\n"
"# HELP wsgate_config_last_reload_successful 1 if the last reload was accepted (or none was tried), 0 if it was refused.\n"
"# TYPE wsgate_config_last_reload_successful gauge\n"
"wsgate_config_last_reload_successful 1\n"
"# HELP wsgate_config_last_reload_success_timestamp_seconds When the configuration in use was loaded (the last accepted reload, or the start), since unix epoch in seconds.\n"
"# TYPE wsgate_config_last_reload_success_timestamp_seconds gauge\n"
"wsgate_config_last_reload_success_timestamp_seconds 1764133000.005\n";

/* Line by line, so a difference names its line. */
static void
check_text(const char *got, const char *want)
{
	int line = 1;

	while (*got != '\0' || *want != '\0') {
		size_t g = strcspn(got, "\n"), w = strcspn(want, "\n");

		if (g != w || memcmp(got, want, g) != 0) {
			fprintf(stderr, "    line %d:\n    got  %.*s\n    want "
			    "%.*s\n", line, (int)g, got, (int)w, want);
			CHECK(0);
			return;
		}
		got += g + (got[g] == '\n');
		want += w + (want[w] == '\n');
		line++;
	}
}

static void
test_exact_output(void)
{
	struct metrics_scrape s;
	struct membuf b = { 0 };
	struct sink out = { membuf_write, &b, false };

	known_state(&s);
	metrics_text_write(&out, &s);
	CHECK(!out.failed);
	CHECK(b.p != NULL);
	if (b.p != NULL)
		check_text(b.p, expected);
	membuf_free(&b);
}

/* Nothing counted yet: every family still has HELP and TYPE; no reload
 * yet is "successful" at the start time; unknown fds are left out. */
static void
test_empty(void)
{
	struct metrics_scrape s = { 0 };
	struct membuf b = { 0 };
	struct sink out = { membuf_write, &b, false };
	int helps = 0, types = 0;

	s.last_reload_ok = -1;
	s.start_ms = 5;
	s.open_fds = s.max_fds = -1;
	metrics_text_write(&out, &s);
	CHECK(b.p != NULL);
	if (b.p == NULL)
		return;
	for (const char *p = b.p; (p = strstr(p, "# HELP ")) != NULL; p++)
		helps++;
	for (const char *p = b.p; (p = strstr(p, "# TYPE ")) != NULL; p++)
		types++;
	CHECK_INT(helps, 19);
	CHECK_INT(types, 19);
	CHECK(strstr(b.p, "process_open_fds") == NULL);
	CHECK(strstr(b.p, "wsgate_build_info{version=\"\",libevent=\"\","
	    "openssl=\"\"} 1\n") != NULL);
	CHECK(strstr(b.p, "\nwsgate_config_last_reload_successful 1\n") != NULL);
	CHECK(strstr(b.p, "\nwsgate_config_last_reload_success_timestamp_"
	    "seconds 0.005\n") != NULL);
	CHECK(strstr(b.p, "_bucket{le=\"+Inf\"} 0\n") != NULL);
	CHECK(strstr(b.p, "_sum 0.000000\n") != NULL);
	CHECK(strstr(b.p, "wsgate_sessions_open{") == NULL);
	CHECK(strstr(b.p, "wsgate_handshake_rejections_total{") == NULL);
	/* A refused reload says 0. */
	membuf_free(&b);
	s.last_reload_ok = 0;
	metrics_text_write(&out, &s);
	CHECK(b.p != NULL && strstr(b.p, "\nwsgate_config_last_reload_"
	    "successful 0\n") != NULL);
	membuf_free(&b);
}

static const char *
label(struct membuf *b, const char *v, size_t len)
{
	struct sink out = { membuf_write, b, false };

	membuf_free(b);
	metrics_text_label(&out, v, len);
	return b->p != NULL ? b->p : "";
}

/* Backslash, double quote and newline escaped; invalid UTF-8 as U+FFFD;
 * the rest (valid UTF-8 included) as it is. */
static void
test_label_escaping(void)
{
	struct membuf b = { 0 };
	struct metrics_scrape s = { 0 };
	struct metrics_route_sample r = { 0 };
	struct sink out = { membuf_write, &b, false };

#define L(s) label(&b, (s), sizeof(s) - 1)
	CHECK_STR(L("echo"), "echo");
	CHECK_STR(L("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
	CHECK_STR(L("\\\\\"\"\n\n"), "\\\\\\\\\\\"\\\"\\n\\n");
	CHECK_STR(L("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
	CHECK_STR(L("x\xffy\xc3"), "x\xef\xbf\xbdy\xef\xbf\xbd");
	CHECK_STR(L("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_STR(L("tab\there} {x=\"1\"}"), "tab\there} {x=\\\"1\\\"}");
	CHECK_STR(label(&b, "a\0b", 3), "a");
	CHECK(b.n == 3 && b.p[1] == '\0');	/* NUL kept: length rules */
#undef L
	/* In a sample, and in build info. */
	membuf_free(&b);
	r.name = (char *)"we\"ird\\\n";
	s.routes = &r;
	s.nroutes = 1;
	s.version = "v\"1\"";
	s.open_fds = s.max_fds = -1;
	metrics_text_write(&out, &s);
	CHECK(b.p != NULL && strstr(b.p, "\nwsgate_sessions_total{route=\""
	    "we\\\"ird\\\\\\n\",proto=\"h1\"} 0\n") != NULL);
	CHECK(b.p != NULL && strstr(b.p, "wsgate_build_info{version=\""
	    "v\\\"1\\\"\",") != NULL);
	membuf_free(&b);
}

int
main(void)
{
	RUN(test_exact_output);
	RUN(test_empty);
	RUN(test_label_escaping);
	return tl_summary("unit/metrics_text");
}
