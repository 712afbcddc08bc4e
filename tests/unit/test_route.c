/* test_route.c -- unit tests for route lookup and Origin normalisation/allowlists */
#include "config.h"
#include "route.h"
#include "testlib.h"

struct norm_case {
	const char *in;
	const char *out;	/* NULL: must fail */
	const char *why;	/* on failure, a substring of *why */
};

static void
check_norm(const struct norm_case *c)
{
	char out[ORIGIN_MAX];
	const char *why = "unset";
	int rc;

	strcpy(out, "untouched");
	rc = origin_normalize(c->in, strlen(c->in), out, sizeof(out), &why);
	if (c->out != NULL) {
		if (rc != 0 || strcmp(out, c->out) != 0) {
			fprintf(stderr, "    \"%s\": rc %d \"%s\", want \"%s\" "
			    "(%s)\n", c->in, rc, out, c->out,
			    why != NULL ? why : "");
			CHECK(0);
		}
		return;
	}
	if (rc != -1 || why == NULL || strstr(why, c->why) == NULL) {
		fprintf(stderr, "    \"%s\": rc %d why \"%s\", want \"%s\"\n",
		    c->in, rc, why ? why : "(null)", c->why);
		CHECK(0);
	}
}

static void
test_normalize_ok(void)
{
	static const struct norm_case cases[] = {
		{ "http://example.com", "http://example.com", NULL },
		{ "HTTP://Example.COM", "http://example.com", NULL },
		{ "hTtPs://ExAmPlE.cOm", "https://example.com", NULL },
		/* RFC 6454 4: default ports are not part of the origin */
		{ "http://example.com:80", "http://example.com", NULL },
		{ "ws://example.com:80", "ws://example.com", NULL },
		{ "https://example.com:443", "https://example.com", NULL },
		{ "wss://example.com:443", "wss://example.com", NULL },
		{ "HTTPS://EXAMPLE.COM:443", "https://example.com", NULL },
		{ "WS://h:80", "ws://h", NULL },
		/* ... only for their own scheme */
		{ "http://example.com:443", "http://example.com:443", NULL },
		{ "https://example.com:80", "https://example.com:80", NULL },
		{ "ws://h:443", "ws://h:443", NULL },
		{ "wss://h:80", "wss://h:80", NULL },
		{ "ftp://h:80", "ftp://h:80", NULL },
		{ "httpx://h:80", "httpx://h:80", NULL },
		{ "http://example.com:8080", "http://example.com:8080", NULL },
		{ "http://h:1", "http://h:1", NULL },
		{ "http://h:65535", "http://h:65535", NULL },
		/* leading zeros */
		{ "http://h:0080", "http://h", NULL },
		{ "http://h:08080", "http://h:8080", NULL },
		{ "https://h:00443", "https://h", NULL },
		{ "http://h:0443", "http://h:443", NULL },
		/* IPv6 literals keep their brackets */
		{ "http://[::1]:8080", "http://[::1]:8080", NULL },
		{ "http://[::1]:80", "http://[::1]", NULL },
		{ "http://[::1]", "http://[::1]", NULL },
		{ "HTTP://[FE80::AB:1]", "http://[fe80::ab:1]", NULL },
		{ "http://[::ffff:127.0.0.1]", "http://[::ffff:127.0.0.1]",
		  NULL },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080", NULL },
		{ "chrome-extension://abcdefgh", "chrome-extension://abcdefgh",
		  NULL },
		{ "app+x.y-z://h", "app+x.y-z://h", NULL },
		{ "http://my_host.local", "http://my_host.local", NULL },
		/* RFC 6454 7.3: opaque origins serialise as "null" */
		{ "null", "null", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_norm(&cases[i]);
}

static void
test_normalize_rejects(void)
{
	static const struct norm_case cases[] = {
		{ "http://example.com/", NULL, "no path" },
		{ "http://example.com/app", NULL, "no path" },
		{ "http://example.com:8080/", NULL, "no path" },
		{ "http://[::1]/", NULL, "no path" },
		{ "", NULL, "scheme://host" },
		{ "example.com", NULL, "scheme://host" },
		{ "example.com:80", NULL, "scheme://host" },
		{ "http:/example.com", NULL, "scheme://host" },
		{ "http//example.com", NULL, "scheme://host" },
		{ "http:example.com", NULL, "scheme://host" },
		{ "://example.com", NULL, "scheme://host" },
		{ "1http://h", NULL, "scheme://host" },
		{ "ht tp://h", NULL, "scheme://host" },
		{ "http://", NULL, "scheme://host" },
		{ "http://:80", NULL, "scheme://host" },
		{ "http://h y", NULL, "scheme://host" },
		{ "http://user@h", NULL, "scheme://host" },
		{ "http://user:pw@h", NULL, "port" },
		{ "http://h?q", NULL, "scheme://host" },
		{ "http://h#f", NULL, "scheme://host" },
		{ "http://ex%41mple.com", NULL, "scheme://host" },
		{ "http://ex\xc3\xa4mple.com", NULL, "scheme://host" },
		{ " http://h", NULL, "scheme://host" },
		{ "http://h ", NULL, "scheme://host" },
		{ "http://h,http://i", NULL, "scheme://host" },
		{ "*", NULL, "scheme://host" },
		{ "nul", NULL, "scheme://host" },
		{ "null ", NULL, "scheme://host" },
		{ "http://[::1", NULL, "scheme://host" },
		{ "http://[zz::1]", NULL, "scheme://host" },
		{ "http://[::1]x", NULL, "scheme://host" },
		{ "http://[]", NULL, "scheme://host" },
		{ "http://h:", NULL, "port" },
		{ "http://h:abc", NULL, "port" },
		{ "http://h:-1", NULL, "port" },
		{ "http://h:123456", NULL, "port" },
		{ "http://h:000080", NULL, "port" },
		{ "http://h:80:80", NULL, "scheme://host" },
		{ "http://h:8080x", NULL, "scheme://host" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_norm(&cases[i]);
}

static void
test_normalize_port_range(void)
{
	static const struct norm_case cases[] = {
		{ "http://h:65536", NULL, "port" },
		{ "http://h:99999", NULL, "port" },
		{ "http://h:070000", NULL, "port" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_norm(&cases[i]);
}

static void
test_normalize_sizes(void)
{
	char out[32];
	const char *why;

	/* "http://abc" + NUL = 11 bytes */
	CHECK_INT(origin_normalize("http://abc", 10, out, 11, &why), 0);
	CHECK_STR(out, "http://abc");
	CHECK_INT(origin_normalize("http://abc", 10, out, 10, &why), -1);
	CHECK(why != NULL && strstr(why, "too long") != NULL);
	CHECK_INT(origin_normalize("http://abc:81", 13, out, 14, &why), 0);
	CHECK_INT(origin_normalize("http://abc:81", 13, out, 13, &why), -1);
	/* Dropped default port does not count. */
	CHECK_INT(origin_normalize("http://abc:80", 13, out, 11, &why), 0);
	CHECK_STR(out, "http://abc");
	CHECK_INT(origin_normalize("null", 4, out, 5, &why), 0);
	CHECK_STR(out, "null");
	CHECK_INT(origin_normalize("null", 4, out, 4, &why), -1);
	/* Only len bytes are read. */
	CHECK_INT(origin_normalize("http://abc/def", 10, out, sizeof(out),
	    &why), 0);
	CHECK_STR(out, "http://abc");
	CHECK_INT(origin_normalize("nullx", 4, out, sizeof(out), &why), 0);
	CHECK_STR(out, "null");
}

/* A route as config.c builds it: origins already normalised. */
static void
make_route(struct route *r, char **origins, size_t n, bool any)
{
	memset(r, 0, sizeof(*r));
	r->name = "test";
	r->path = "/test";
	r->origins = origins;
	r->norigins = n;
	r->origin_any = any;
}

static bool
allowed(const struct route *r, const char *origin)
{
	return route_origin_allowed(r, origin, strlen(origin));
}

static void
test_origin_allowed(void)
{
	char *list[] = { "http://example.com", "https://app.example.com:8443",
		"http://[::1]:8080" };
	char *with_null[] = { "null" };
	struct route r;

	make_route(&r, list, 3, false);
	CHECK(allowed(&r, "http://example.com"));
	CHECK(allowed(&r, "HTTP://EXAMPLE.COM"));
	CHECK(allowed(&r, "http://example.com:80"));
	CHECK(allowed(&r, "http://example.com:0080"));
	CHECK(allowed(&r, "https://app.example.com:8443"));
	CHECK(allowed(&r, "https://APP.example.com:08443"));
	CHECK(allowed(&r, "http://[::1]:8080"));

	/* Other port, scheme or host */
	CHECK(!allowed(&r, "http://example.com:8080"));
	CHECK(!allowed(&r, "http://example.com:443"));
	CHECK(!allowed(&r, "https://example.com"));
	CHECK(!allowed(&r, "ws://example.com"));
	CHECK(!allowed(&r, "https://app.example.com"));
	CHECK(!allowed(&r, "http://app.example.com:8443"));
	CHECK(!allowed(&r, "http://www.example.com"));
	CHECK(!allowed(&r, "http://example.com.evil.net"));
	CHECK(!allowed(&r, "http://evilexample.com"));
	CHECK(!allowed(&r, "http://example.co"));
	CHECK(!allowed(&r, "http://example.comm"));
	CHECK(!allowed(&r, "http://[::1]"));
	CHECK(!allowed(&r, "http://[::2]:8080"));
	CHECK(!allowed(&r, "http://localhost:8080"));

	/* Malformed request origins never match. */
	CHECK(!allowed(&r, ""));
	CHECK(!allowed(&r, "example.com"));
	CHECK(!allowed(&r, "http://example.com/"));
	CHECK(!allowed(&r, "http://example.com/path"));
	CHECK(!allowed(&r, "http://example.com "));
	CHECK(!allowed(&r, " http://example.com"));
	CHECK(!allowed(&r, "http://example.com, http://evil.net"));
	CHECK(!allowed(&r, "http://user@example.com"));
	CHECK(!allowed(&r, "http://example.com:99999"));
	CHECK(!allowed(&r, "null"));
	CHECK(!route_origin_allowed(&r, "http://example.com\0x", 20));
	/* The header value is exactly len bytes. */
	CHECK(route_origin_allowed(&r, "http://example.com.evil.net", 18));
	{
		char long_origin[600];

		memset(long_origin, 'a', sizeof(long_origin));
		memcpy(long_origin, "http://", 7);
		CHECK(!route_origin_allowed(&r, long_origin,
		    sizeof(long_origin)));
	}

	/* "null" only when listed */
	make_route(&r, with_null, 1, false);
	CHECK(allowed(&r, "null"));
	CHECK(!allowed(&r, "http://example.com"));

	/* Empty list: nothing. "*": everything, even malformed values. */
	make_route(&r, NULL, 0, false);
	CHECK(!allowed(&r, "http://example.com"));
	CHECK(!allowed(&r, "null"));
	make_route(&r, NULL, 0, true);
	CHECK(allowed(&r, "http://example.com"));
	CHECK(allowed(&r, "null"));
	CHECK(allowed(&r, "garbage"));
	CHECK(allowed(&r, ""));
}

static void
test_route_find(void)
{
	static const char ini[] =
	    "[gateway]\n"
	    "listen = 127.0.0.1:0\n"
	    "[route:root]\n"
	    "path = /\n"
	    "backend = 127.0.0.1:1\n"
	    "origins = *\n"
	    "[route:chat]\n"
	    "path = /chat\n"
	    "backend = 127.0.0.1:2\n"
	    "origins = *\n"
	    "[route:chatx]\n"
	    "path = /chat/x\n"
	    "backend = 127.0.0.1:3\n"
	    "origins = *\n"
	    "[route:vnc]\n"
	    "path = /VNC\n"
	    "backend = 127.0.0.1:4\n"
	    "origins = *\n";
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("route.ini", ini, &errs);
	struct route *r;

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "    %s\n", errs.msgs[i]);
		config_errors_free(&errs);
		return;
	}
#define FIND(p) route_find(cfg, (p), strlen(p))
	r = FIND("/chat");
	CHECK(r != NULL && strcmp(r->name, "chat") == 0);
	r = FIND("/");
	CHECK(r != NULL && strcmp(r->name, "root") == 0);
	r = FIND("/chat/x");
	CHECK(r != NULL && strcmp(r->name, "chatx") == 0);
	r = FIND("/VNC");
	CHECK(r != NULL && strcmp(r->name, "vnc") == 0);
	/* Exact only: no prefixes, no trailing slash, case matters. */
	CHECK(FIND("/chat/") == NULL);
	CHECK(FIND("/cha") == NULL);
	CHECK(FIND("/chatx") == NULL);
	CHECK(FIND("/chat/x/") == NULL);
	CHECK(FIND("/chat/y") == NULL);
	CHECK(FIND("/CHAT") == NULL);
	CHECK(FIND("/vnc") == NULL);
	CHECK(FIND("//") == NULL);
	CHECK(FIND("/chat?x") == NULL);
	CHECK(FIND("") == NULL);
	CHECK(route_find(cfg, "/chatroom", 5) == FIND("/chat"));
	CHECK(route_find(cfg, "/chat\0x", 7) == NULL);
#undef FIND
	config_unref(cfg);
	config_errors_free(&errs);
}

/* A Host value as hosts compares it: no port, no case, no final dot. */
static void
test_host_name(void)
{
	char out[ROUTE_HOST_MAX], big[300];

#define HOST(in) route_host_name((in), strlen(in), out, sizeof(out))
	CHECK_INT(HOST("VM1.Example.COM:8443"), 15);
	CHECK_STR(out, "vm1.example.com");
	CHECK_INT(HOST("a.example."), 9);
	CHECK_STR(out, "a.example");
	CHECK_INT(HOST("a.example.:80"), 9);
	CHECK_STR(out, "a.example");
	CHECK_INT(HOST("[::1]:80"), 5);
	CHECK_STR(out, "[::1]");
	CHECK_INT(HOST("[::1]"), 5);
	CHECK_INT(HOST("[::1"), 4);	/* no match for it, but no crash */
	CHECK_INT(HOST("127.0.0.1:8080"), 9);
	CHECK_STR(out, "127.0.0.1");
	/* Nothing left: no name. */
	CHECK_INT(HOST(""), 0);
	CHECK_INT(HOST(":80"), 0);
	CHECK_INT(HOST("."), 0);
	CHECK_INT(HOST(".:80"), 0);
	/* Longer than any DNS name: none either (and out not overrun). */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(HOST(big), 0);
	big[ROUTE_HOST_MAX - 1] = '\0';
	CHECK_INT(HOST(big), ROUTE_HOST_MAX - 1);
	big[ROUTE_HOST_MAX] = '\0';
	big[ROUTE_HOST_MAX - 1] = 'a';
	CHECK_INT(HOST(big), 0);
#undef HOST
}

int
main(void)
{
	RUN(test_normalize_ok);
	RUN(test_normalize_rejects);
	RUN(test_normalize_port_range);
	RUN(test_normalize_sizes);
	RUN(test_origin_allowed);
	RUN(test_route_find);
	RUN(test_host_name);
	return tl_summary("unit/route");
}
