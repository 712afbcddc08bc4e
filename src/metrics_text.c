/* metrics_text.c -- pure: a metrics scrape in the Prometheus text exposition format 0.0.4 */
#include "metrics_text.h"

#include <string.h>

#include "json.h"
#include "metrics.h"
#include "sink.h"

void
metrics_text_label(struct sink *out, const char *value, size_t len)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t i = 0, start = 0;

	while (i < len) {
		const char *esc = NULL;
		size_t step = 1;
		uint32_t cp;

		if (p[i] == '\\')
			esc = "\\\\";
		else if (p[i] == '"')
			esc = "\\\"";
		else if (p[i] == '\n')
			esc = "\\n";
		else if (p[i] >= 0x80 &&
		    (step = json_utf8_next(p + i, len - i, &cp)) == 0)
			esc = "\xef\xbf\xbd";	/* U+FFFD */
		if (esc == NULL) {
			i += step;
			continue;
		}
		sink_write(out, value + start, i - start);
		sink_puts(out, esc);
		i++;
		start = i;
	}
	sink_write(out, value + start, len - start);
}

static void
label_str(struct sink *out, const char *value)
{
	metrics_text_label(out, value != NULL ? value : "",
	    value != NULL ? strlen(value) : 0);
}

/* "# HELP" and "# TYPE": help texts are constants here, with no '\' or
 * newline to escape. */
static void
family(struct sink *out, const char *name, const char *type,
    const char *help)
{
	sink_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
plain(struct sink *out, const char *name, unsigned long long v)
{
	sink_printf(out, "%s %llu\n", name, v);
}

/* Seconds from milliseconds, exactly. */
static void
seconds_ms(struct sink *out, const char *name, unsigned long long ms)
{
	sink_printf(out, "%s %llu.%03llu\n", name, ms / 1000, ms % 1000);
}

/* name{route="R"[,key="value"]} v */
static void
route_sample(struct sink *out, const char *name, const char *route,
    const char *key, const char *value, unsigned long long v)
{
	sink_printf(out, "%s{route=\"", name);
	label_str(out, route);
	if (key != NULL)
		sink_printf(out, "\",%s=\"%s", key, value);
	sink_printf(out, "\"} %llu\n", v);
}

static void
write_process(struct sink *out, const struct metrics_scrape *s)
{
	family(out, "wsgate_build_info", "gauge", "Versions of wsgate and "
	    "of the libraries it runs with; the value is always 1.");
	sink_puts(out, "wsgate_build_info{version=\"");
	label_str(out, s->version);
	sink_puts(out, "\",libevent=\"");
	label_str(out, s->libevent);
	sink_puts(out, "\",openssl=\"");
	label_str(out, s->openssl);
	sink_puts(out, "\"} 1\n");
	family(out, "process_start_time_seconds", "gauge", "Start time of "
	    "the process since unix epoch in seconds.");
	seconds_ms(out, "process_start_time_seconds", s->start_ms);
	if (s->open_fds >= 0) {
		family(out, "process_open_fds", "gauge",
		    "Number of open file descriptors.");
		plain(out, "process_open_fds",
		    (unsigned long long)s->open_fds);
	}
	if (s->max_fds >= 0) {
		family(out, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.");
		plain(out, "process_max_fds", (unsigned long long)s->max_fds);
	}
	family(out, "wsgate_draining", "gauge", "1 while the gateway drains "
	    "(SIGTERM: no new connections, sessions closing), else 0.");
	plain(out, "wsgate_draining", s->draining ? 1 : 0);
}

static void
write_connections(struct sink *out, const struct metrics_scrape *s)
{
	const struct metrics_counts *t = &s->total;

	family(out, "wsgate_connections_accepted_total", "counter",
	    "TCP connections accepted, on every listener.");
	plain(out, "wsgate_connections_accepted_total",
	    metrics_get(&t->accepted));
	family(out, "wsgate_connections_in_handshake", "gauge", "Connections "
	    "that are not WebSocket sessions (yet): in their TLS handshake, "
	    "sending their request, or being answered.");
	plain(out, "wsgate_connections_in_handshake",
	    metrics_get(&t->in_handshake));
	family(out, "wsgate_handshake_rejections_total", "counter",
	    "Requests answered with an HTTP error instead of an upgrade, by "
	    "status and reason class.");
	for (unsigned i = 0; i < METRICS_NSTATUS; i++)
		for (unsigned r = 0; r < METRICS_NREJECTS; r++) {
			unsigned long long v = metrics_get(&t->rejects[i][r]);
			int st = metrics_status_at(i);

			if (v == 0)
				continue;
			if (st != 0)
				sink_printf(out, "wsgate_handshake_rejections_"
				    "total{status=\"%d\",reason=\"%s\"} %llu\n",
				    st, metrics_reject_names[r], v);
			else
				sink_printf(out, "wsgate_handshake_rejections_"
				    "total{status=\"other\",reason=\"%s\"} "
				    "%llu\n", metrics_reject_names[r], v);
		}
}

static void
write_sessions(struct sink *out, const struct metrics_scrape *s)
{
	const struct metrics_counts *t = &s->total;

	/* Both protocols always, 0 or not: a rate() needs the series
	 * before its first increment. */
	family(out, "wsgate_sessions_open", "gauge", "WebSocket sessions "
	    "open (upgraded and not yet closed), by route and protocol "
	    "(h1: HTTP/1.1 upgrade, h2: HTTP/2 stream).");
	for (size_t i = 0; i < s->nroutes; i++)
		for (unsigned p = 0; p < METRICS_NPROTOS; p++)
			route_sample(out, "wsgate_sessions_open",
			    s->routes[i].name, "proto", metrics_proto_names[p],
			    s->routes[i].open[p]);
	family(out, "wsgate_sessions_total", "counter", "WebSocket sessions "
	    "opened (upgrades accepted), by route and protocol (h1: HTTP/1.1 "
	    "upgrade, h2: HTTP/2 stream).");
	for (size_t i = 0; i < s->nroutes; i++)
		for (unsigned p = 0; p < METRICS_NPROTOS; p++)
			route_sample(out, "wsgate_sessions_total",
			    s->routes[i].name, "proto", metrics_proto_names[p],
			    s->routes[i].sessions[p]);
	family(out, "wsgate_session_closes_total", "counter", "WebSocket "
	    "sessions closed, by close code (1006: no close frame) and by "
	    "who closed.");
	for (unsigned c = 0; c < METRICS_NCODES; c++)
		for (unsigned by = 0; by < METRICS_NSIDES; by++) {
			unsigned long long v = metrics_get(&t->closes[c][by]);

			if (v != 0)
				sink_printf(out, "wsgate_session_closes_total{"
				    "code=\"%s\",side=\"%s\"} %llu\n",
				    metrics_code_label(c),
				    metrics_side_names[by], v);
		}
	family(out, "wsgate_payload_bytes_total", "counter", "WebSocket "
	    "payload bytes relayed, by route and direction (up: client to "
	    "backend, down: backend to client).");
	for (size_t i = 0; i < s->nroutes; i++)
		for (unsigned d = 0; d < METRICS_NDIRS; d++)
			route_sample(out, "wsgate_payload_bytes_total",
			    s->routes[i].name, "direction",
			    metrics_dir_names[d], s->routes[i].bytes[d]);
	family(out, "wsgate_messages_total", "counter", "WebSocket messages "
	    "relayed, by route and direction (up: from the client, down: to "
	    "the client).");
	for (size_t i = 0; i < s->nroutes; i++)
		for (unsigned d = 0; d < METRICS_NDIRS; d++)
			route_sample(out, "wsgate_messages_total",
			    s->routes[i].name, "direction",
			    metrics_dir_names[d], s->routes[i].messages[d]);
}

static void
write_backends(struct sink *out, const struct metrics_scrape *s)
{
	const struct metrics_counts *t = &s->total;
	unsigned long long cum = 0, us;

	family(out, "wsgate_backend_connect_failures_total", "counter",
	    "Backend connections that failed, by route and reason.");
	for (size_t i = 0; i < s->nroutes; i++)
		for (unsigned k = 0; k < METRICS_NCF; k++)
			if (s->routes[i].connect_failures[k] != 0)
				route_sample(out,
				    "wsgate_backend_connect_failures_total",
				    s->routes[i].name, "reason",
				    metrics_connect_fail_names[k],
				    s->routes[i].connect_failures[k]);
	family(out, "wsgate_backend_connect_duration_seconds", "histogram",
	    "Time from the upgrade request to a connected backend (name "
	    "lookup, TCP and backend TLS), for connections that succeeded.");
	for (unsigned i = 0; i < METRICS_NBUCKETS; i++) {
		cum += metrics_get(&t->connect_buckets[i]);
		sink_printf(out, "wsgate_backend_connect_duration_seconds_"
		    "bucket{le=\"%s\"} %llu\n", metrics_bucket_le[i], cum);
	}
	cum += metrics_get(&t->connect_buckets[METRICS_NBUCKETS]);
	sink_printf(out, "wsgate_backend_connect_duration_seconds_bucket{"
	    "le=\"+Inf\"} %llu\n", cum);
	us = metrics_get(&t->connect_sum_us);
	sink_printf(out, "wsgate_backend_connect_duration_seconds_sum "
	    "%llu.%06llu\n", us / 1000000, us % 1000000);
	plain(out, "wsgate_backend_connect_duration_seconds_count", cum);
}

static void
write_tls_web(struct sink *out, const struct metrics_scrape *s)
{
	const struct metrics_counts *t = &s->total;

	family(out, "wsgate_tls_handshakes_total", "counter",
	    "Client TLS handshakes completed.");
	plain(out, "wsgate_tls_handshakes_total",
	    metrics_get(&t->tls_handshakes));
	family(out, "wsgate_tls_handshake_failures_total", "counter",
	    "Client TLS handshakes that failed, by reason class.");
	for (unsigned k = 0; k < METRICS_NTLS; k++) {
		unsigned long long v = metrics_get(&t->tls_failures[k]);

		if (v != 0)
			sink_printf(out, "wsgate_tls_handshake_failures_total{"
			    "reason=\"%s\"} %llu\n", metrics_tls_fail_names[k],
			    v);
	}
	family(out, "wsgate_web_responses_total", "counter",
	    "Answers from web_root, by status.");
	for (unsigned i = 0; i < METRICS_NSTATUS; i++) {
		unsigned long long v = metrics_get(&t->web[i]);
		int st = metrics_status_at(i);

		if (v == 0)
			continue;
		if (st != 0)
			sink_printf(out, "wsgate_web_responses_total{status="
			    "\"%d\"} %llu\n", st, v);
		else
			sink_printf(out, "wsgate_web_responses_total{status="
			    "\"other\"} %llu\n", v);
	}
}

static void
write_reloads(struct sink *out, const struct metrics_scrape *s)
{
	family(out, "wsgate_config_reloads_total", "counter",
	    "Configuration reloads (SIGHUP), by result.");
	sink_printf(out, "wsgate_config_reloads_total{result=\"ok\"} %llu\n",
	    s->reloads_ok);
	sink_printf(out, "wsgate_config_reloads_total{result=\"failed\"} "
	    "%llu\n", s->reloads_failed);
	family(out, "wsgate_config_last_reload_successful", "gauge",
	    "1 if the last reload was accepted (or none was tried), 0 if it "
	    "was refused.");
	plain(out, "wsgate_config_last_reload_successful",
	    s->last_reload_ok != 0 ? 1 : 0);
	family(out, "wsgate_config_last_reload_success_timestamp_seconds",
	    "gauge", "When the configuration in use was loaded (the last "
	    "accepted reload, or the start), since unix epoch in seconds.");
	seconds_ms(out, "wsgate_config_last_reload_success_timestamp_seconds",
	    s->last_reload_success_ms != 0 ? s->last_reload_success_ms :
	    s->start_ms);
}

void
metrics_text_write(struct sink *out, const struct metrics_scrape *s)
{
	write_process(out, s);
	write_connections(out, s);
	write_sessions(out, s);
	write_backends(out, s);
	write_tls_web(out, s);
	write_reloads(out, s);
}
