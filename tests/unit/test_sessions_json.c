/* test_sessions_json.c -- unit tests for the /sessions JSON: exact output, hostile strings, joining workers' parts */
#include "sessions_json.h"
#include "sink.h"
#include "testlib.h"

static void
fill(struct session_info *si, uint64_t id, const char *route,
    const char *client, const char *target, const char *tls,
    const char *sni)
{
	memset(si, 0, sizeof(*si));
	si->id = id;
	snprintf(si->route, sizeof(si->route), "%s", route);
	snprintf(si->client, sizeof(si->client), "%s", client);
	snprintf(si->target, sizeof(si->target), "%s", target);
	snprintf(si->tls_version, sizeof(si->tls_version), "%s", tls);
	snprintf(si->sni, sizeof(si->sni), "%s", sni);
}

static void
test_exact(void)
{
	struct membuf b = { 0 };
	struct sink out = { membuf_write, &b, false };
	struct session_info a, c;

	fill(&a, 7, "echo", "127.0.0.1:5000", "127.0.0.1:7000", "TLSv1.3",
	    "ws.example");
	a.state = SESSION_INFO_OPEN;
	a.age_ms = 12345;
	a.bytes_up = 10;
	a.bytes_down = 20;
	/* A client's server name: quotes, backslash, controls, a bidi
	 * override, invalid UTF-8. */
	fill(&c, 18446744073709551615ull, "vnc", "[2001:db8::1]:443",
	    "/run/vnc.sock", "", "a\"b\\c\n\x1b\xe2\x80\xae\xff");
	c.worker = 3;
	c.state = SESSION_INFO_CONNECTING;
	c.protocol = SESSION_INFO_H2;
	c.age_ms = 5;
	sessions_json_begin(&out);
	sessions_json_entry(&out, &a, true);
	sessions_json_entry(&out, &c, false);
	sessions_json_end(&out, 2, true);
	CHECK(!out.failed);
	CHECK_STR(b.p, "{\"sessions\":[\n"
	    "{\"id\":7,\"worker\":0,\"route\":\"echo\",\"client\":"
	    "\"127.0.0.1:5000\",\"target\":\"127.0.0.1:7000\",\"state\":"
	    "\"open\",\"protocol\":\"h1\",\"tls_version\":\"TLSv1.3\","
	    "\"sni\":\"ws.example\",\"age_seconds\":12.345,\"bytes_up\":10,"
	    "\"bytes_down\":20},\n"
	    "{\"id\":18446744073709551615,\"worker\":3,\"route\":\"vnc\","
	    "\"client\":\"[2001:db8::1]:443\",\"target\":\"/run/vnc.sock\","
	    "\"state\":\"connecting\",\"protocol\":\"h2\",\"tls_version\":"
	    "null,\"sni\":\"a\\\"b\\\\c\\n\\u001b\\u202e\\ufffd\","
	    "\"age_seconds\":0.005,\"bytes_up\":0,\"bytes_down\":0}\n"
	    "],\"count\":2,\"truncated\":true}\n");
	membuf_free(&b);
}

/* No sessions; a text that fills its array (no NUL) stops at its size;
 * an out-of-range state is "unknown", not a crash. */
static void
test_edges(void)
{
	struct membuf b = { 0 };
	struct sink out = { membuf_write, &b, false };
	struct session_info s;

	sessions_json_begin(&out);
	sessions_json_end(&out, 0, false);
	CHECK_STR(b.p, "{\"sessions\":[\n\n],\"count\":0,\"truncated\":false}\n");
	membuf_free(&b);
	fill(&s, 1, "r", "c", "t", "", "");
	memset(s.sni, 'x', sizeof(s.sni));
	s.state = (enum session_info_state)9;
	sessions_json_entry(&out, &s, true);
	CHECK(b.p != NULL && strstr(b.p, "\"sni\":\"xxxx") != NULL);
	CHECK(b.p != NULL && strstr(b.p, "\"state\":\"unknown\"") != NULL);
	CHECK(b.p != NULL && strstr(b.p, "\"tls_version\":null") != NULL);
	if (b.p != NULL) {
		const char *q = strstr(b.p, "\"sni\":\"") + 7;

		CHECK_INT(strcspn(q, "\""), sizeof(s.sni));
	}
	membuf_free(&b);
}

/* Each worker writes its own part; the glue joins the non-empty parts
 * with ",\n": the same text as written at once. */
static void
test_join(void)
{
	struct membuf whole = { 0 }, w1 = { 0 }, w2 = { 0 }, joined = { 0 };
	struct sink o = { membuf_write, &whole, false };
	struct sink o1 = { membuf_write, &w1, false };
	struct sink o2 = { membuf_write, &w2, false };
	struct sink oj = { membuf_write, &joined, false };
	struct session_info s[3];

	for (int i = 0; i < 3; i++)
		fill(&s[i], (uint64_t)i + 1, "r", "c", "t", "", "");
	sessions_json_begin(&o);
	for (int i = 0; i < 3; i++)
		sessions_json_entry(&o, &s[i], i == 0);
	sessions_json_end(&o, 3, false);
	sessions_json_entry(&o1, &s[0], true);
	sessions_json_entry(&o1, &s[1], false);
	sessions_json_entry(&o2, &s[2], true);
	sessions_json_begin(&oj);
	sink_write(&oj, w1.p, w1.n);
	sink_puts(&oj, ",\n");
	sink_write(&oj, w2.p, w2.n);
	sessions_json_end(&oj, 3, false);
	CHECK_STR(joined.p, whole.p);
	membuf_free(&whole);
	membuf_free(&w1);
	membuf_free(&w2);
	membuf_free(&joined);
}

int
main(void)
{
	RUN(test_exact);
	RUN(test_edges);
	RUN(test_join);
	return tl_summary("unit/sessions_json");
}
