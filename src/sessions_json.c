/* sessions_json.c -- pure: live sessions as the JSON answer to GET /sessions */
#include "sessions_json.h"

#include <string.h>

#include "json.h"
#include "sink.h"

static const char *const state_names[] = {
	[SESSION_INFO_CONNECTING] = "connecting",
	[SESSION_INFO_OPEN] = "open",
	[SESSION_INFO_CLOSING] = "closing",
};

static const char *const proto_names[] = {
	[SESSION_INFO_H1] = "h1",
	[SESSION_INFO_H2] = "h2",
};

/* ,"key":"text" for a NUL-terminated array of at most size bytes; an
 * empty one as null when null_if_empty. */
static void
field(struct sink *out, const char *key, const char *text, size_t size,
    bool null_if_empty)
{
	size_t n = strnlen(text, size);

	sink_printf(out, ",\"%s\":", key);
	if (n == 0 && null_if_empty)
		sink_puts(out, "null");
	else
		json_sink_string(out, text, n);
}

void
sessions_json_begin(struct sink *out)
{
	sink_puts(out, "{\"sessions\":[\n");
}

void
sessions_json_entry(struct sink *out, const struct session_info *si,
    bool first)
{
	unsigned st = (unsigned)si->state, pr = (unsigned)si->protocol;

	if (!first)
		sink_puts(out, ",\n");
	sink_printf(out, "{\"id\":%llu,\"worker\":%u",
	    (unsigned long long)si->id, si->worker);
	field(out, "route", si->route, sizeof(si->route), false);
	field(out, "client", si->client, sizeof(si->client), false);
	field(out, "target", si->target, sizeof(si->target), false);
	sink_printf(out, ",\"state\":\"%s\",\"protocol\":\"%s\"",
	    st < sizeof(state_names) / sizeof(state_names[0]) ?
	    state_names[st] : "unknown",
	    pr < sizeof(proto_names) / sizeof(proto_names[0]) ?
	    proto_names[pr] : "unknown");
	field(out, "tls_version", si->tls_version, sizeof(si->tls_version),
	    true);
	field(out, "sni", si->sni, sizeof(si->sni), true);
	sink_printf(out, ",\"age_seconds\":%llu.%03llu,\"bytes_up\":%llu,"
	    "\"bytes_down\":%llu}", (unsigned long long)(si->age_ms / 1000),
	    (unsigned long long)(si->age_ms % 1000),
	    (unsigned long long)si->bytes_up,
	    (unsigned long long)si->bytes_down);
}

void
sessions_json_end(struct sink *out, size_t count, bool truncated)
{
	sink_printf(out, "\n],\"count\":%zu,\"truncated\":%s}\n", count,
	    truncated ? "true" : "false");
}
