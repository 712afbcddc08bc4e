/* test_admin_req.c -- unit tests for the metrics listener's requests: endpoints, methods, /sessions and close queries */
#include "admin_req.h"
#include "testlib.h"

static struct admin_req req;
static int status;
static const char *why;

static int
parse(const char *method, const char *target)
{
	status = 0;
	why = NULL;
	return admin_req_parse(method, strlen(method), target, strlen(target),
	    &req, &status, &why);
}

#define OK(m, t) CHECK_INT(parse((m), (t)), 0)
#define ERR(m, t, st)                                                         \
	do {                                                                  \
		CHECK_INT(parse((m), (t)), CODEC_ERROR);                      \
		CHECK_INT(status, (st));                                      \
		CHECK(why != NULL);                                           \
	} while (0)

static void
test_endpoints(void)
{
	OK("GET", "/metrics");
	CHECK_INT(req.endpoint, ADMIN_METRICS);
	CHECK(!req.head);
	OK("HEAD", "/metrics");
	CHECK(req.head);
	OK("GET", "/metrics?name[]=x&%zz");	/* a scraper's query: ignored */
	OK("GET", "/healthz");
	CHECK_INT(req.endpoint, ADMIN_HEALTHZ);
	OK("GET", "/readyz");
	CHECK_INT(req.endpoint, ADMIN_READYZ);
	OK("GET", "/sessions");
	CHECK_INT(req.endpoint, ADMIN_SESSIONS);
	CHECK_INT(req.limit, ADMIN_SESSIONS_DEFAULT);
	CHECK_STR(req.route, "");
	OK("POST", "/sessions/42/close");
	CHECK_INT(req.endpoint, ADMIN_SESSION_CLOSE);
	CHECK_INT(req.id, 42);
	CHECK_INT(req.code, 1000);
	CHECK_STR(req.reason, "");
	CHECK_INT(req.reason_len, 0);
	OK("POST", "/sessions/18446744073709551615/close");
	CHECK(req.id == UINT64_MAX);
	/* Exact paths only. */
	ERR("GET", "/metrics/", 404);
	ERR("GET", "/Metrics", 404);
	ERR("GET", "/%6detrics", 404);
	ERR("GET", "/", 404);
	ERR("GET", "/sessions/", 404);
	ERR("GET", "/sessions/42", 404);
	ERR("POST", "/sessions//close", 404);
	ERR("POST", "/sessions/0/close", 404);
	ERR("POST", "/sessions/042/close", 404);
	ERR("POST", "/sessions/-1/close", 404);
	ERR("POST", "/sessions/+1/close", 404);
	ERR("POST", "/sessions/1x/close", 404);
	ERR("POST", "/sessions/18446744073709551616/close", 404);
	ERR("POST", "/sessions/123456789012345678901/close", 404);
	ERR("POST", "/sessions/1/close/", 404);
	ERR("POST", "/sessions/1/closed", 404);
	ERR("GET", "", 400);
	ERR("GET", "*", 400);
	ERR("GET", "http://h/metrics", 400);
}

static void
test_methods(void)
{
	ERR("POST", "/metrics", 405);
	CHECK_STR(req.allow, "GET, HEAD");
	CHECK_INT(req.endpoint, ADMIN_METRICS);
	ERR("get", "/healthz", 405);	/* methods are case-sensitive */
	ERR("DELETE", "/sessions", 405);
	ERR("GET", "/sessions/1/close", 405);
	CHECK_STR(req.allow, "POST");
	ERR("HEAD", "/sessions/1/close", 405);
	/* A path that is not there is 404 whatever the method. */
	ERR("BREW", "/coffee", 404);
}

static void
test_sessions_query(void)
{
	OK("GET", "/sessions?limit=5");
	CHECK_INT(req.limit, 5);
	OK("GET", "/sessions?limit=10000&route=echo");
	CHECK_INT(req.limit, 10000);
	CHECK_STR(req.route, "echo");
	OK("GET", "/sessions?route=a%2Db+c&&");
	CHECK_STR(req.route, "a-b c");
	OK("GET", "/sessions?route=");
	CHECK_STR(req.route, "");
	OK("GET", "/sessions?");
	ERR("GET", "/sessions?limit=0", 400);
	ERR("GET", "/sessions?limit=10001", 400);
	ERR("GET", "/sessions?limit=-1", 400);
	ERR("GET", "/sessions?limit=", 400);
	ERR("GET", "/sessions?limit=05", 400);
	ERR("GET", "/sessions?limit=99999999999999999999999", 400);
	ERR("GET", "/sessions?limit=1&limit=2", 400);
	ERR("GET", "/sessions?Limit=1", 400);
	ERR("GET", "/sessions?code=1000", 400);
	ERR("GET", "/sessions?route=a%00b", 400);
	ERR("GET", "/sessions?route=%4", 400);
	ERR("GET", "/sessions?route=%g0", 400);
}

static void
test_close_query(void)
{
	char t[600];

	OK("POST", "/sessions/7/close?code=4000&reason=maintenance+window");
	CHECK_INT(req.code, 4000);
	CHECK_STR(req.reason, "maintenance window");
	CHECK_INT(req.reason_len, 18);
	OK("POST", "/sessions/7/close?reason=caf%C3%A9%20%E2%82%AC");
	CHECK_STR(req.reason, "caf\xc3\xa9 \xe2\x82\xac");
	CHECK_INT(req.code, 1000);
	/* RFC 6455 7.4: the codes an endpoint may choose to send. */
	static const unsigned good[] = { 1000, 1001, 1008, 3000, 3999, 4000,
	    4999 };
	static const unsigned bad[] = { 0, 999, 1002, 1003, 1004, 1005, 1006,
	    1007, 1009, 1010, 1011, 1012, 1015, 1016, 2999, 5000, 65535 };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(t, sizeof(t), "/sessions/1/close?code=%u", good[i]);
		OK("POST", t);
		CHECK_INT(req.code, good[i]);
		CHECK(admin_close_code_valid(good[i]));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(t, sizeof(t), "/sessions/1/close?code=%u", bad[i]);
		ERR("POST", t, 400);
		CHECK(!admin_close_code_valid(bad[i]));
	}
	ERR("POST", "/sessions/1/close?code=04000", 400);
	ERR("POST", "/sessions/1/close?code=4000x", 400);
	ERR("POST", "/sessions/1/close?code=", 400);
	ERR("POST", "/sessions/1/close?code=1000&code=1000", 400);
	ERR("POST", "/sessions/1/close?limit=1", 400);
	/* reason: 123 bytes once decoded, UTF-8, no controls. */
	memcpy(t, "/sessions/1/close?reason=", 25);
	memset(t + 25, 'r', 123);
	t[25 + 123] = '\0';
	OK("POST", t);
	CHECK_INT(req.reason_len, 123);
	CHECK_INT(strlen(req.reason), 123);
	t[25 + 123] = 'r';
	t[25 + 124] = '\0';
	ERR("POST", t, 400);
	/* 41 three-byte characters, %-escaped: 123 bytes decoded. */
	strcpy(t, "/sessions/1/close?reason=");
	for (int i = 0; i < 41; i++)
		strcat(t, "%E2%82%AC");
	OK("POST", t);
	CHECK_INT(req.reason_len, 123);
	strcat(t, "x");
	ERR("POST", t, 400);
	ERR("POST", "/sessions/1/close?reason=%FF", 400);
	ERR("POST", "/sessions/1/close?reason=%C3", 400);
	ERR("POST", "/sessions/1/close?reason=%C0%AF", 400);
	ERR("POST", "/sessions/1/close?reason=%ED%A0%80", 400);
	ERR("POST", "/sessions/1/close?reason=a%0Ab", 400);
	ERR("POST", "/sessions/1/close?reason=a%00b", 400);
	ERR("POST", "/sessions/1/close?reason=a%7F", 400);
	ERR("POST", "/sessions/1/close?reason=50%", 400);
	OK("POST", "/sessions/1/close?reason=");
	OK("POST", "/sessions/1/close?reason");
	CHECK_INT(req.reason_len, 0);
	OK("POST", "/sessions/1/close?reason=a%3Db%26c%2Bd");
	CHECK_STR(req.reason, "a=b&c+d");
}

int
main(void)
{
	RUN(test_endpoints);
	RUN(test_methods);
	RUN(test_sessions_query);
	RUN(test_close_query);
	return tl_summary("unit/admin_req");
}
