/* test_config.c -- unit tests for config loading: golden error files, values, routes_dir */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "file.h"
#include "target.h"
#include "testlib.h"

/*
 * The golden files live in tests/unit/config: NAME.ini and NAME.err, the
 * exact errors expected, one per line (an empty .err: loads fine).  The
 * Makefile passes the source directory; argv[1] overrides it.
 */
#ifndef UNIT_SRCDIR
#define UNIT_SRCDIR "tests/unit"
#endif

static const char *unit_dir = UNIT_SRCDIR;
static char golden_dir[PATH_MAX];

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (fp == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = n + 8192);

			if (nb == NULL) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		k = fread(buf + n, 1, 4096, fp);
		n += k;
	} while (k > 0);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fputs(text, fp);
	fclose(fp);
}

static void
print_errors(const char *title, const struct config_errors *errs)
{
	fprintf(stderr, "      %s (%zu):\n", title, errs->n);
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "        %s\n", errs->msgs[i]);
}

/* errs must be exactly the lines of want ("" for none). */
static bool
same_errors(const struct config_errors *errs, const char *want)
{
	const char *p = want;
	size_t i = 0;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (i >= errs->n || strlen(errs->msgs[i]) != len ||
		    memcmp(errs->msgs[i], p, len) != 0)
			return false;
		i++;
		p += len;
		if (*p == '\n')
			p++;
	}
	return i == errs->n;
}

#define CHECK_ERRORS(errs, want)                                              \
	do {                                                                  \
		if (!same_errors((errs), (want))) {                           \
			fprintf(stderr, "    %s:%d: errors differ; want:\n%s",\
			    __FILE__, __LINE__, (want));                      \
			print_errors("got", (errs));                          \
			tl_check_failures++;                                  \
		}                                                             \
	} while (0)

static int
ini_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".ini") == 0;
}

/* One golden case, loaded from its file and from memory. */
static bool
run_golden(const char *name)
{
	char errname[NAME_MAX + 1];
	char *want, *text;
	struct config_errors errs = { 0 };
	struct config *cfg;
	bool ok = true;

	snprintf(errname, sizeof(errname), "%.*s.err",
	    (int)(strlen(name) - 4), name);
	want = read_file(errname, NULL);
	text = read_file(name, NULL);
	if (want == NULL || text == NULL) {
		fprintf(stderr, "    golden %s: cannot read %s\n", name,
		    want == NULL ? errname : name);
		free(want);
		free(text);
		return false;
	}

	cfg = config_load(name, &errs);
	if (!same_errors(&errs, want) || (cfg == NULL) != (want[0] != '\0')) {
		fprintf(stderr, "    golden %s: config_load %s; want:\n%s", name,
		    cfg != NULL ? "succeeded" : "failed", want);
		print_errors("got", &errs);
		ok = false;
	}
	config_unref(cfg);
	config_errors_free(&errs);

	cfg = config_load_string(name, text, &errs);
	if (!same_errors(&errs, want) || (cfg == NULL) != (want[0] != '\0')) {
		fprintf(stderr, "    golden %s: config_load_string differs\n",
		    name);
		print_errors("got", &errs);
		ok = false;
	}
	config_unref(cfg);
	config_errors_free(&errs);
	free(want);
	free(text);
	return ok;
}

static void
test_golden_files(void)
{
	struct dirent **names;
	int cwd = open(".", O_RDONLY | O_DIRECTORY);
	int n, failed = 0;

	CHECK(cwd >= 0);
	if (chdir(golden_dir) != 0) {
		fprintf(stderr, "    %s: %s\n", golden_dir, strerror(errno));
		CHECK(0);
		close(cwd);
		return;
	}
	n = scandir(".", &names, ini_only, alphasort);
	CHECK(n >= 20);
	for (int i = 0; i < n; i++) {
		if (!run_golden(names[i]->d_name))
			failed++;
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	printf("     (%d golden cases, %d failed)\n", n, failed);
	CHECK_INT(failed, 0);
	CHECK(fchdir(cwd) == 0);
	close(cwd);
}

static struct config *
load_golden(const char *name)
{
	char path[PATH_MAX];
	struct config_errors errs = { 0 };
	struct config *cfg;

	if (snprintf(path, sizeof(path), "%s/%s", golden_dir, name) >=
	    (int)sizeof(path))
		abort();
	cfg = config_load(path, &errs);
	if (cfg == NULL || errs.n != 0) {
		fprintf(stderr, "    %s did not load\n", path);
		print_errors("errors", &errs);
		CHECK(0);
	}
	config_errors_free(&errs);
	return cfg;
}

static bool
close_to(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static void
check_limits(const struct limits *l, uint64_t msg, uint64_t buf,
    double connect, double idle, double close)
{
	CHECK_INT(l->max_message_size, msg);
	CHECK_INT(l->max_buffer, buf);
	CHECK(close_to(l->backend_connect_timeout, connect));
	CHECK(close_to(l->idle_timeout, idle));
	CHECK(close_to(l->close_timeout, close));
}

static void
test_valid_full_values(void)
{
	struct config *cfg = load_golden("valid_full.ini");
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const struct route *r;

	if (cfg == NULL)
		return;
	CHECK_INT(cfg->nlisteners, 2);
	if (cfg->nlisteners == 2) {
		CHECK_STR(cfg->listeners[0].text, "127.0.0.1:8080");
		CHECK_STR(cfg->listeners[0].host, "127.0.0.1");
		CHECK_STR(cfg->listeners[0].port, "8080");
		CHECK(!cfg->listeners[0].tls);
		CHECK_INT(cfg->listeners[0].where.line, 3);
		CHECK_STR(cfg->listeners[1].host, "::1");
		CHECK_STR(cfg->listeners[1].port, "8081");
		CHECK_INT(cfg->listeners[1].where.line, 4);
		CHECK(strstr(cfg->listeners[1].where.file, "valid_full.ini")
		    != NULL);
	}
	CHECK_STR(cfg->health_path, "/healthz");
	CHECK(cfg->routes_dir == NULL);
	CHECK(cfg->web_root == NULL);
	CHECK(close_to(cfg->handshake_timeout, 2.5));
	CHECK(close_to(cfg->drain_timeout, 0));
	CHECK_INT(cfg->max_request_bytes, 4096);
	CHECK_INT(cfg->max_headers, 32);
	CHECK_INT(cfg->max_connections, 100);
	CHECK_INT(cfg->max_handshakes, 200);
	CHECK_INT(cfg->max_handshakes_per_client, 8);
	check_limits(&cfg->limits, 1 << 20, 64 << 10, 0.25, 60, 1);

	CHECK_INT(cfg->nroutes, 3);
	if (cfg->nroutes != 3) {
		config_unref(cfg);
		return;
	}
	r = &cfg->routes[0];
	CHECK_STR(r->name, "echo");
	CHECK_STR(r->path, "/echo");
	CHECK_STR(r->backend, "127.0.0.1:7000");
	CHECK_STR(r->backend_host, "127.0.0.1");
	CHECK_STR(r->backend_port, "7000");
	sin = (const struct sockaddr_in *)&r->backend_addr;
	CHECK_INT(r->backend_addrlen, sizeof(struct sockaddr_in));
	CHECK_INT(sin->sin_family, AF_INET);
	CHECK_INT(ntohs(sin->sin_port), 7000);
	CHECK_INT(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	CHECK_INT(r->norigins, 2);
	if (r->norigins == 2) {
		CHECK_STR(r->origins[0], "http://example.com");
		CHECK_STR(r->origins[1], "https://app.example.com:8443");
	}
	CHECK(!r->origin_any);
	CHECK(r->allow_missing_origin);
	CHECK_INT(r->max_connections, 0);
	CHECK_INT(r->where.line, 19);
	/* Every limit from [gateway]. */
	check_limits(&r->limits, 1 << 20, 64 << 10, 0.25, 60, 1);

	r = &cfg->routes[1];
	CHECK_STR(r->name, "vnc");
	CHECK_STR(r->backend_host, "::1");
	CHECK_STR(r->backend_port, "5900");
	sin6 = (const struct sockaddr_in6 *)&r->backend_addr;
	CHECK_INT(r->backend_addrlen, sizeof(struct sockaddr_in6));
	CHECK_INT(sin6->sin6_family, AF_INET6);
	CHECK_INT(ntohs(sin6->sin6_port), 5900);
	CHECK(r->origin_any);
	CHECK_INT(r->norigins, 0);
	CHECK(!r->allow_missing_origin);
	CHECK_INT(r->max_connections, 2);
	CHECK_INT(r->where.line, 25);
	/* Overrides merged with what it inherits. */
	check_limits(&r->limits, 64 << 10, 64 << 10, 0.25, 0, 0.5);

	r = &cfg->routes[2];
	CHECK_STR(r->name, "named");
	CHECK_STR(r->backend_host, "localhost");
	CHECK_INT(r->backend_addrlen, 0);	/* resolved per connection */
	CHECK_INT(r->norigins, 1);
	check_limits(&r->limits, 1 << 20, 1 << 20, 0.25, 60, 1);

	/* Reference counting */
	CHECK(config_ref(cfg) == cfg);
	CHECK_INT(atomic_load(&cfg->refcnt), 2);
	config_unref(cfg);
	CHECK_INT(atomic_load(&cfg->refcnt), 1);
	config_unref(cfg);
	config_unref(NULL);
}

/* "tls http1_only" (any blanks between the words); the h2_* keys and
 * their ranges. */
static void
test_h2_keys(void)
{
	struct config_errors errs = { 0 };
	/* The loader wants the certificate files to exist (tls.c reads
	 * them): any file will do. */
	struct config *cfg = config_load_string("h2.ini",
	    "[gateway]\nlisten = 127.0.0.1:0 tls\n"
	    "listen = 127.0.0.1:1 tls \t http1_only\n"
	    "tls_cert = " UNIT_SRCDIR "/test_config.c\n"
	    "tls_key = " UNIT_SRCDIR "/test_config.c\n"
	    "h2_max_concurrent_streams = 7\nh2_stream_window = 1M\n"
	    "h2_max_resets = 5\nh2_max_continuations = 2\n"
	    "h2_max_control_frames = 20\nh2_max_memory = 128k\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "    %s\n", errs.msgs[i]);
	config_errors_free(&errs);
	if (cfg != NULL) {
		CHECK(cfg->listeners[0].tls && !cfg->listeners[0].http1_only);
		CHECK(cfg->listeners[1].tls && cfg->listeners[1].http1_only);
		CHECK_INT(cfg->h2_max_concurrent_streams, 7);
		CHECK_INT(cfg->h2_stream_window, 1u << 20);
		CHECK_INT(cfg->h2_max_resets, 5);
		CHECK_INT(cfg->h2_max_continuations, 2);
		CHECK_INT(cfg->h2_max_control_frames, 20);
		CHECK_INT(cfg->h2_max_memory, 128u << 10);
	}
	config_unref(cfg);
	for (const char *bad = "http1_only\0h2_stream_window = 1k\0"
	    "h2_max_concurrent_streams = 0\0h2_max_memory = 1k\0"
	    "h2_max_control_frames = 1\0"; *bad != '\0';
	    bad += strlen(bad) + 1) {
		char text[256];

		errs = (struct config_errors){ 0 };
		if (strcmp(bad, "http1_only") == 0)
			snprintf(text, sizeof(text), "[gateway]\nlisten = "
			    "127.0.0.1:0 http1_only\n");
		else
			snprintf(text, sizeof(text), "[gateway]\nlisten = "
			    "127.0.0.1:0\n%s\n", bad);
		cfg = config_load_string("h2bad.ini", text, &errs);
		CHECK(cfg == NULL);
		CHECK(errs.n > 0);
		config_unref(cfg);
		config_errors_free(&errs);
	}
}

static void
test_defaults(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("min.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg == NULL)
		return;
	CHECK_STR(cfg->listeners[0].port, "0");
	CHECK(close_to(cfg->handshake_timeout, 10));
	CHECK(close_to(cfg->drain_timeout, 30));
	CHECK_INT(cfg->max_request_bytes, 8192);
	CHECK_INT(cfg->max_headers, 64);
	CHECK_INT(cfg->max_connections, 0);
	CHECK_INT(cfg->max_handshakes, 0);
	CHECK_INT(cfg->max_handshakes_per_client, 32);
	CHECK_INT(cfg->h2_max_concurrent_streams, 100);
	CHECK_INT(cfg->h2_stream_window, 65536);
	CHECK_INT(cfg->h2_max_resets, 100);
	CHECK_INT(cfg->h2_max_continuations, 8);
	CHECK_INT(cfg->h2_max_control_frames, 1000);
	CHECK_INT(cfg->h2_max_memory, 1u << 20);
	CHECK(cfg->health_path == NULL);
	CHECK_INT(cfg->keepalive_requests, 100);
	CHECK(close_to(cfg->keepalive_timeout, 15));
	CHECK(cfg->web_cache_control.s == NULL);
	check_limits(&cfg->limits, 16 << 20, 256 << 10, 5, 0, 5);
	check_limits(&cfg->routes[0].limits, 16 << 20, 256 << 10, 5, 0, 5);
	CHECK(!cfg->routes[0].allow_missing_origin);
	CHECK_INT(cfg->routes[0].max_connections, 0);
	CHECK_STR(cfg->path, "min.ini");
	config_unref(cfg);
}

/* web_root's keys: values, ranges, and no control character in a
 * header value. */
static void
test_web_keys(void)
{
	static const char route[] = "[route:a]\npath = /a\n"
	    "backend = 127.0.0.1:1\norigins = *\n";
	struct config_errors errs = { 0 };
	struct config *cfg;
	char text[512];

	snprintf(text, sizeof(text), "[gateway]\nlisten = 127.0.0.1:0\n"
	    "keepalive_requests = 1\nkeepalive_timeout = 0\n"
	    "web_cache_control = max-age=60, public\n%s", route);
	cfg = config_load_string("w.ini", text, &errs);
	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg != NULL) {
		CHECK_INT(cfg->keepalive_requests, 1);
		CHECK(close_to(cfg->keepalive_timeout, 0));
		CHECK_STR(cfg->web_cache_control.s, "max-age=60, public");
		config_unref(cfg);
	}
	snprintf(text, sizeof(text), "[gateway]\nlisten = 127.0.0.1:0\n"
	    "keepalive_requests = 0\nkeepalive_timeout = 2h\n"
	    "web_cache_control = no-\001cache\n%s", route);
	cfg = config_load_string("w.ini", text, &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 3);
	if (errs.n == 3) {
		CHECK(strstr(errs.msgs[0], "w.ini:3: [gateway] "
		    "keepalive_requests:") != NULL);
		CHECK(strstr(errs.msgs[1], "w.ini:4: [gateway] "
		    "keepalive_timeout:") != NULL);
		CHECK(strstr(errs.msgs[2], "w.ini:5: [gateway] "
		    "web_cache_control: control character") != NULL);
	}
	config_errors_free(&errs);
}

/* An empty name: the main file's directory is ".".  (It was made by
 * copying "." into a copy of the name: one byte too many.) */
static void
test_empty_name(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("",
	    "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg != NULL)
		CHECK_STR(cfg->path, "");
	config_unref(cfg);
	cfg = config_load_string("", "[gateway]\nlisten = 127.0.0.1:0\n"
	    "tls_cert = no-such.pem\n", &errs);
	CHECK(cfg == NULL);
	CHECK(errs.n >= 1 && strcmp(errs.msgs[0], ":3: [gateway] tls_cert: "
	    "./no-such.pem: No such file or directory") == 0);
	config_errors_free(&errs);
}

/* A route may come before [gateway] and still inherit from it. */
static void
test_inherit_order(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("order.ini",
	    "[route:early]\npath = /early\nbackend = 127.0.0.1:1\n"
	    "origins = *\nclose_timeout = 2\n"
	    "[gateway]\nlisten = 127.0.0.1:1\nmax_message_size = 1k\n"
	    "close_timeout = 9\nidle_timeout = 30\n"
	    "[route:late]\npath = /late\nbackend = 127.0.0.1:1\n"
	    "origins = *\nidle_timeout = 0\nmax_message_size = 0\n",
	    &errs);

	CHECK(cfg != NULL);
	if (cfg == NULL) {
		print_errors("errors", &errs);
		config_errors_free(&errs);
		return;
	}
	check_limits(&cfg->routes[0].limits, 1024, 256 << 10, 5, 30, 2);
	/* 0 given explicitly is not "unset". */
	check_limits(&cfg->routes[1].limits, 0, 256 << 10, 5, 0, 9);
	config_unref(cfg);
}

static void
test_origin_lists(void)
{
	struct config *cfg = load_golden("continuation.ini");
	static const char *const want[] = { "http://a.example",
		"http://b.example", "http://c.example", "http://d.example",
		"http://e.example", "https://f.example" };

	if (cfg == NULL)
		return;
	CHECK_INT(cfg->nlisteners, 3);
	if (cfg->nlisteners == 3) {
		CHECK_STR(cfg->listeners[1].port, "8081");
		CHECK_INT(cfg->listeners[1].where.line, 3);
		CHECK_STR(cfg->listeners[2].host, "::1");
		CHECK_INT(cfg->listeners[2].where.line, 4);
	}
	CHECK_INT(cfg->routes[0].norigins, 6);
	for (size_t i = 0; i < 6 && i < cfg->routes[0].norigins; i++)
		CHECK_STR(cfg->routes[0].origins[i], want[i]);
	config_unref(cfg);
}

/* The libinih line limit: lines are cut at 199 bytes by fgets(). */
static void
test_line_length_boundary(void)
{
	for (size_t len = 190; len <= 260; len++) {
		char line[300], text[600];
		struct config_errors errs = { 0 };
		struct config *cfg;
		size_t n;

		n = (size_t)snprintf(line, sizeof(line), "origins = "
		    "http://a.example");
		memset(line + n, ' ', len - n);
		line[len] = '\0';
		for (int crlf = 0; crlf < 2; crlf++) {
			const char *eol = crlf ? "\r\n" : "\n";

			snprintf(text, sizeof(text), "[gateway]%slisten = "
			    "127.0.0.1:1%s[route:a]%spath = /a%sbackend = "
			    "127.0.0.1:1%s%s%s", eol, eol, eol, eol, eol, line,
			    eol);
			cfg = config_load_string("len.ini", text, &errs);
			/* 197 bytes always fit; from 199 never. */
			if (len + strlen(eol) <= 199) {
				CHECK(cfg != NULL);
			} else {
				CHECK(cfg == NULL);
				CHECK(errs.n >= 1 &&
				    strncmp(errs.msgs[0], "len.ini:6: line "
				    "longer than ", 28) == 0);
			}
			if (tl_check_failures > 0) {
				fprintf(stderr, "    line of %zu bytes + %s\n",
				    len, crlf ? "CRLF" : "LF");
				print_errors("errors", &errs);
				config_unref(cfg);
				config_errors_free(&errs);
				return;
			}
			config_unref(cfg);
			config_errors_free(&errs);
		}
	}
}

/* A line inih itself rejects must be reported too, even among others. */
static void
test_inih_only_syntax_error(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	cfg = config_load_string("x.ini", "[gateway]\nlisten = 127.0.0.1:1\n"
	    "max_headers = x\nlisten ; = 127.0.0.1:2\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n",
	    &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs,
	    "x.ini:3: [gateway] max_headers: \"x\" is not a whole number "
	    "from 1 to 1000\n"
	    "x.ini:4: syntax error: expected \"key = value\", \"[section]\" "
	    "or a comment\n");
	config_errors_free(&errs);
}

/* ---- routes_dir ---- */

static char tmp_root[PATH_MAX];

static void
tmp_path(char *out, const char *rel)
{
	if (snprintf(out, PATH_MAX, "%s/%s", tmp_root, rel) >= PATH_MAX)
		abort();
}

static void
tmp_write(const char *rel, const char *text)
{
	char path[PATH_MAX];

	tmp_path(path, rel);
	write_file(path, text);
}

static void
tmp_mkdir(const char *rel)
{
	char path[PATH_MAX];

	tmp_path(path, rel);
	CHECK(mkdir(path, 0700) == 0);
}

/* Replace every tmp_root in s with "TMP" so expectations are fixed. */
static void
untmp(struct config_errors *errs)
{
	size_t rlen = strlen(tmp_root);

	for (size_t i = 0; i < errs->n; i++) {
		char *m = errs->msgs[i], *p;

		while ((p = strstr(m, tmp_root)) != NULL) {
			memcpy(p, "TMP", 3);
			memmove(p + 3, p + rlen, strlen(p + rlen) + 1);
		}
	}
}

static struct config *
load_tmp(const char *rel, struct config_errors *errs)
{
	char path[PATH_MAX];
	struct config *cfg;

	tmp_path(path, rel);
	cfg = config_load(path, errs);
	untmp(errs);
	return cfg;
}

static const char main_ini[] =
    "[gateway]\n"
    "listen = 127.0.0.1:1\n"
    "routes_dir = routes.d\n"
    "[route:main]\n"
    "path = /main\n"
    "backend = 127.0.0.1:1\n"
    "origins = *\n";

static void
test_routes_dir_order(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	char path[PATH_MAX];

	tmp_mkdir("order");
	tmp_mkdir("order/routes.d");
	tmp_write("order/main.ini", main_ini);
	tmp_write("order/routes.d/20-b.ini", "; b\n[route:b]\npath = /b\n"
	    "backend = 127.0.0.1:2\norigins = *\n");
	tmp_write("order/routes.d/10-a.ini", "[route:a]\npath = /a\n"
	    "backend = 127.0.0.1:3\norigins = http://a.example\n"
	    "idle_timeout = 7\n");
	tmp_write("order/routes.d/9-c.ini", "\n\n[route:c]\npath = /c\n"
	    "backend = 127.0.0.1:4\norigins = *\n");
	/* Not routes files: ignored, or they would be errors. */
	tmp_write("order/routes.d/README", "garbage\n");
	tmp_write("order/routes.d/.hidden.ini", "garbage\n");
	tmp_write("order/routes.d/old.ini.bak", "garbage\n");
	tmp_write("order/routes.d/.ini", "garbage\n");

	cfg = load_tmp("order/main.ini", &errs);
	CHECK(cfg != NULL);
	CHECK_ERRORS(&errs, "");
	if (cfg == NULL)
		return;
	CHECK_INT(cfg->nroutes, 4);
	CHECK_INT(cfg->nfiles, 4);
	if (cfg->nroutes == 4) {
		CHECK_STR(cfg->routes[0].name, "main");
		CHECK_STR(cfg->routes[1].name, "a");
		CHECK_STR(cfg->routes[2].name, "b");
		CHECK_STR(cfg->routes[3].name, "c");	/* "9-" > "20-" */
		tmp_path(path, "order/routes.d/10-a.ini");
		CHECK(strcmp(cfg->routes[1].where.file, path) == 0);
		CHECK_INT(cfg->routes[1].where.line, 1);
		CHECK_INT(cfg->routes[2].where.line, 2);
		CHECK_INT(cfg->routes[3].where.line, 3);
		CHECK_STR(cfg->routes[1].origins[0], "http://a.example");
		CHECK(close_to(cfg->routes[1].limits.idle_timeout, 7));
		CHECK(close_to(cfg->routes[2].limits.idle_timeout, 0));
	}
	tmp_path(path, "order/routes.d");
	CHECK(cfg->routes_dir != NULL && strcmp(cfg->routes_dir, path) == 0);
	config_unref(cfg);

	/* The same from memory: routes_dir relative to the name's dir. */
	tmp_path(path, "order/main.ini");
	cfg = config_load_string(path, main_ini, &errs);
	CHECK(cfg != NULL && cfg->nroutes == 4);
	config_unref(cfg);
	config_errors_free(&errs);

	/* An absolute routes_dir, and an empty one. */
	tmp_mkdir("order/empty.d");
	tmp_path(path, "order/empty.d");
	{
		char text[PATH_MAX + 200];

		snprintf(text, sizeof(text), "[gateway]\nlisten = 127.0.0.1:1"
		    "\nroutes_dir = %s\n", path);
		cfg = config_load_string("abs.ini", text, &errs);
		untmp(&errs);
		CHECK(cfg == NULL);
		CHECK_ERRORS(&errs, "abs.ini:1: no routes: add a [route:NAME] "
		    "section (here or in routes_dir)\n");
		config_errors_free(&errs);
	}
}

static void
test_routes_dir_errors(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	tmp_mkdir("errs");
	tmp_mkdir("errs/routes.d");
	tmp_write("errs/main.ini", main_ini);
	tmp_write("errs/routes.d/a.ini",
	    "; routes only\n"
	    "[gateway]\n"
	    "listen = 127.0.0.1:2\n"
	    "[route:a]\n"
	    "path = /main\n"
	    "backend = 127.0.0.1:1\n"
	    "origins = *\n");
	tmp_write("errs/routes.d/b.ini",
	    "max_headers = 5\n"
	    "[route:main]\n"
	    "path = /x\n"
	    "[route:b]\n"
	    "path = /b\n"
	    "backend = 127.0.0.1:1\n"
	    "origins = *\n"
	    "bad = 1\n");
	cfg = load_tmp("errs/main.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs,
	    "TMP/errs/routes.d/a.ini:2: [gateway]: only [route:NAME] sections "
	    "belong in routes_dir files; move this to the main file\n"
	    "TMP/errs/routes.d/b.ini:1: max_headers: key outside any section; "
	    "put it under [gateway] or [route:NAME]\n"
	    "TMP/errs/routes.d/b.ini:2: [route:main]: route declared twice "
	    "(first at TMP/errs/main.ini:4)\n"
	    "TMP/errs/routes.d/b.ini:8: [route:b] bad: unknown key\n"
	    "TMP/errs/routes.d/a.ini:5: [route:a] path: \"/main\" is already "
	    "used by [route:main] at TMP/errs/main.ini:4\n");
	config_errors_free(&errs);
}

static void
test_routes_dir_unusable(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	struct rlimit rl, low;
	char path[PATH_MAX];
	int fd;

	tmp_mkdir("bad");
	tmp_write("bad/main.ini", main_ini);
	cfg = load_tmp("bad/main.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "TMP/bad/main.ini:3: [gateway] routes_dir: "
	    "TMP/bad/routes.d: No such file or directory\n");
	config_errors_free(&errs);

	tmp_write("bad/routes.d", "a file\n");
	cfg = load_tmp("bad/main.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "TMP/bad/main.ini:3: [gateway] routes_dir: "
	    "TMP/bad/routes.d is not a directory\n");
	config_errors_free(&errs);

	/* A directory that cannot be listed.  Root reads anything, so run
	 * out of descriptors instead: the main file comes from memory, the
	 * directory listing needs one. */
	tmp_path(path, "bad/routes.d");
	CHECK(unlink(path) == 0);
	tmp_mkdir("bad/routes.d");
	fd = dup(0);
	CHECK(fd >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0);
	close(fd);
	low = rl;
	low.rlim_cur = (rlim_t)fd;
	tmp_path(path, "bad/main.ini");
	if (setrlimit(RLIMIT_NOFILE, &low) == 0) {
		cfg = config_load_string(path, main_ini, &errs);
		setrlimit(RLIMIT_NOFILE, &rl);
		untmp(&errs);
		CHECK(cfg == NULL);
		CHECK_ERRORS(&errs, "TMP/bad/main.ini:3: [gateway] routes_dir: "
		    "TMP/bad/routes.d: Too many open files\n");
		config_errors_free(&errs);
	} else {
		CHECK(0);
	}
	if (geteuid() != 0) {
		tmp_path(path, "bad/routes.d");
		CHECK(chmod(path, 0) == 0);
		cfg = load_tmp("bad/main.ini", &errs);
		CHECK(cfg == NULL);
		CHECK_ERRORS(&errs, "TMP/bad/main.ini:3: [gateway] routes_dir: "
		    "TMP/bad/routes.d: Permission denied\n");
		config_errors_free(&errs);
		CHECK(chmod(path, 0700) == 0);
	}
}

/* A file of size bytes, sparse: no time spent writing zeros. */
static void
tmp_sized(const char *rel, off_t size)
{
	char path[PATH_MAX];
	int fd;

	tmp_path(path, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, size) == 0);
	if (fd >= 0)
		close(fd);
}

static void
tmp_special(const char *rel, const char *link_to, bool fifo)
{
	char path[PATH_MAX];

	tmp_path(path, rel);
	if (fifo)
		CHECK(mkfifo(path, 0600) == 0);
	else
		CHECK(symlink(link_to, path) == 0);
}

/*
 * Only regular files are read, of at most FILE_MAX_SIZE bytes: a FIFO
 * would block (the old code never returned), /dev/zero never ends.  Each
 * is refused by name without being read; a symbolic link to a regular
 * file is fine.
 */
static void
test_routes_dir_special_files(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	char target[PATH_MAX];

	tmp_mkdir("special");
	tmp_mkdir("special/routes.d");
	tmp_mkdir("special/routes.d/sub.ini");
	tmp_write("special/main.ini", main_ini);
	tmp_write("special/elsewhere", "[route:l]\npath = /l\n"
	    "backend = 127.0.0.1:1\norigins = *\n");
	tmp_path(target, "special/elsewhere");
	tmp_special("special/routes.d/link.ini", target, false);
	tmp_special("special/routes.d/fifo.ini", NULL, true);
	tmp_special("special/routes.d/zero.ini", "/dev/zero", false);
	tmp_special("special/routes.d/dangling.ini", "/nonexistent/x", false);
	tmp_sized("special/routes.d/big.ini", (off_t)FILE_MAX_SIZE + 1);
	/* The limit itself is fine: zeros are blank lines to inih. */
	tmp_sized("special/routes.d/max.ini", (off_t)FILE_MAX_SIZE);

	cfg = load_tmp("special/main.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs,
	    "TMP/special/routes.d/big.ini:0: cannot read: larger than 16 MiB "
	    "(the limit per configuration file); split the routes over "
	    "several files in routes_dir\n"
	    "TMP/special/routes.d/dangling.ini:0: cannot open: No such file "
	    "or directory\n"
	    "TMP/special/routes.d/fifo.ini:0: cannot read: a FIFO, not a "
	    "regular file; routes_dir reads regular .ini files only: remove "
	    "it or rename it without .ini\n"
	    "TMP/special/routes.d/sub.ini:0: cannot read: a directory, not a "
	    "regular file; routes_dir reads regular .ini files only: remove "
	    "it or rename it without .ini\n"
	    "TMP/special/routes.d/zero.ini:0: cannot read: a character "
	    "device, not a regular file; routes_dir reads regular .ini files "
	    "only: remove it or rename it without .ini\n");
	config_errors_free(&errs);

	/* The main file itself, and certificate files (read later by
	 * tls.c, checked now so that -t tells). */
	tmp_special("special/fifo-main.ini", NULL, true);
	cfg = load_tmp("special/fifo-main.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "TMP/special/fifo-main.ini:0: cannot read: a FIFO, "
	    "not a regular file; the configuration must be a regular file (or "
	    "a symbolic link to one)\n");
	config_errors_free(&errs);

	tmp_special("special/cert-fifo.pem", NULL, true);
	tmp_special("special/key-zero.pem", "/dev/zero", false);
	tmp_sized("special/ca-big.pem", (off_t)FILE_MAX_SIZE + 1);
	tmp_write("special/tls.ini", "[gateway]\n"
	    "listen = 127.0.0.1:1 tls\n"
	    "tls_cert = cert-fifo.pem\n"
	    "tls_key = key-zero.pem\n"
	    "tls_client_ca = ca-big.pem\n"
	    "tls_verify_client = optional\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n");
	cfg = load_tmp("special/tls.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs,
	    "TMP/special/tls.ini:3: [gateway] tls_cert: "
	    "TMP/special/cert-fifo.pem: a FIFO, not a regular file; give the "
	    "path of the PEM file itself\n"
	    "TMP/special/tls.ini:4: [gateway] tls_key: "
	    "TMP/special/key-zero.pem: a character device, not a regular "
	    "file; give the path of the PEM file itself\n"
	    "TMP/special/tls.ini:5: [gateway] tls_client_ca: "
	    "TMP/special/ca-big.pem: larger than 16 MiB (the limit for files "
	    "wsgate reads); is it the right file?\n");
	config_errors_free(&errs);
}

/* routes_dir may hold CONFIG_MAX_ROUTE_FILES .ini files, no more: the
 * listing is kept in memory.  Other names do not count. */
static void
test_routes_dir_file_count(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	char dir[PATH_MAX], path[PATH_MAX + 32];

	tmp_mkdir("many");
	tmp_mkdir("many/routes.d");
	tmp_write("many/main.ini", main_ini);
	tmp_path(dir, "many/routes.d");
	for (unsigned i = 0; i < CONFIG_MAX_ROUTE_FILES; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%05u.ini", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			CHECK(fd >= 0);
			return;
		}
		close(fd);
	}
	tmp_write("many/routes.d/not-a-route-file.txt", "x\n");
	cfg = load_tmp("many/main.ini", &errs);
	CHECK(cfg != NULL);
	CHECK_ERRORS(&errs, "");
	config_unref(cfg);

	tmp_write("many/routes.d/one-more.ini", "");
	cfg = load_tmp("many/main.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "TMP/many/main.ini:3: [gateway] routes_dir: "
	    "TMP/many/routes.d holds more than 16384 .ini files; put several "
	    "routes in each file\n");
	config_errors_free(&errs);
}

/* web_root: relative to the main file; enough without any route. */
/* dns_servers: normalised for evdns, in order; the defaults. */
static void
test_dns_keys(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("dns.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\n"
	    "dns_servers = 10.0.0.53 10.0.0.54:5353, [2001:db8::53]\n"
	    "dns_servers = ::1 [::2]:54\ndns_timeout = 1.5\n"
	    "[route:a]\npath = /a\nbackend = b.example:1\norigins = *\n",
	    &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg == NULL)
		return;
	CHECK_INT(cfg->ndns_servers, 5);
	if (cfg->ndns_servers == 5) {
		CHECK_STR(cfg->dns_servers[0], "10.0.0.53:53");
		CHECK_STR(cfg->dns_servers[1], "10.0.0.54:5353");
		CHECK_STR(cfg->dns_servers[2], "[2001:db8::53]:53");
		CHECK_STR(cfg->dns_servers[3], "[::1]:53");
		CHECK_STR(cfg->dns_servers[4], "[::2]:54");
	}
	CHECK(close_to(cfg->dns_timeout, 1.5));
	config_unref(cfg);

	cfg = config_load_string("dns.ini", "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:a]\npath = /a\nbackend = b.example:1\norigins = *\n",
	    &errs);
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_INT(cfg->ndns_servers, 0);	/* resolv.conf's */
		CHECK(close_to(cfg->dns_timeout, 4));
	}
	config_unref(cfg);
	config_errors_free(&errs);
}

/* log_level and log_format: words, any case, stored as log.h's enums;
 * info and text by default. */
static void
test_log_keys(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("log.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\nlog_level = Debug\n"
	    "log_format = JSON\nlog_target = Syslog\n"
	    "[route:a]\npath = /a\nbackend = b.example:1\norigins = *\n",
	    &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	if (cfg != NULL) {
		CHECK_INT(cfg->log_level, 3);
		CHECK_INT(cfg->log_format, 1);
		CHECK_INT(cfg->log_target, 1);
	}
	config_unref(cfg);
	cfg = config_load_string("log.ini", "[gateway]\nlisten = 127.0.0.1:0\n"
	    "log_level = error\nlog_format = text\n"
	    "[route:a]\npath = /a\nbackend = b.example:1\norigins = *\n",
	    &errs);
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_INT(cfg->log_level, 0);
		CHECK_INT(cfg->log_format, 0);
	}
	config_unref(cfg);
	cfg = config_load_string("log.ini", "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[route:a]\npath = /a\nbackend = b.example:1\norigins = *\n",
	    &errs);
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_INT(cfg->log_level, 2);
		CHECK_INT(cfg->log_format, 0);
		CHECK_INT(cfg->log_target, 0);	/* stderr */
	}
	config_unref(cfg);
	CHECK_INT(errs.n, 0);
	config_errors_free(&errs);
}

static void
test_web_root(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	char path[PATH_MAX];

	tmp_mkdir("web");
	tmp_mkdir("web/www");
	tmp_write("web/ok.ini", "[gateway]\nlisten = 127.0.0.1:1\n"
	    "web_root = www\n");
	tmp_write("web/bad.ini", "[gateway]\nlisten = 127.0.0.1:1\n\n"
	    "web_root = nowhere\n");
	cfg = load_tmp("web/ok.ini", &errs);
	CHECK(cfg != NULL);
	CHECK_ERRORS(&errs, "");
	tmp_path(path, "web/www");
	if (cfg != NULL)
		CHECK(cfg->web_root != NULL &&
		    strcmp(cfg->web_root, path) == 0);
	config_unref(cfg);

	cfg = load_tmp("web/bad.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "TMP/web/bad.ini:4: [gateway] web_root: "
	    "TMP/web/nowhere: No such file or directory\n"
	    "TMP/web/bad.ini:1: no routes: add a [route:NAME] section (here "
	    "or in routes_dir)\n");
	config_errors_free(&errs);
}

/* send_timeout: [gateway] only, never 0 (a stalled download must end). */
static void
test_send_timeout(void)
{
	static const char base[] = "[gateway]\nlisten = 127.0.0.1:1\n%s\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n%s";
	struct config_errors errs = { 0 };
	struct config *cfg;
	char text[512];

	snprintf(text, sizeof(text), base, "", "");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && close_to(cfg->send_timeout, 30));
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "send_timeout = 2.5", "");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && close_to(cfg->send_timeout, 2.5));
	config_unref(cfg);
	CHECK_ERRORS(&errs, "");

	snprintf(text, sizeof(text), base, "send_timeout = 0",
	    "send_timeout = 5\n");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "t.ini:3: [gateway] send_timeout: \"0\" is "
	    "shorter than 1ms: write a duration from 1ms to 1h\n"
	    "t.ini:8: [route:a] send_timeout: this key belongs in [gateway]\n");
	config_errors_free(&errs);
	config_unref(cfg);
}

/* metrics_listen and metrics_allow: off by default; lists repeat and
 * continue; a public address is allowed once metrics_allow is given. */
static void
test_metrics_keys(void)
{
	static const char base[] = "[gateway]\nlisten = 127.0.0.1:1\n%s\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n";
	struct config_errors errs = { 0 };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct config *cfg;
	char text[512];

	snprintf(text, sizeof(text), base, "");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && cfg->nmetrics_listen == 0 &&
	    !cfg->metrics_allow.given && cfg->metrics_allow.n == 0);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "metrics_listen = 0.0.0.0:9100, "
	    "[::]:9100\nmetrics_allow = 10.0.0.0/8 192.0.2.7 ; scrapers\n"
	    "    2001:db8::/32\nmetrics_allow = ::ffff:172.16.0.0/108");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK_ERRORS(&errs, "");
	CHECK(cfg != NULL && cfg->nmetrics_listen == 2 &&
	    cfg->metrics_allow.given && cfg->metrics_allow.n == 4);
	if (cfg != NULL && cfg->nmetrics_listen == 2 &&
	    cfg->metrics_allow.n == 4) {
		CHECK(strcmp(cfg->metrics_listen[0].host, "0.0.0.0") == 0 &&
		    strcmp(cfg->metrics_listen[0].port, "9100") == 0);
		CHECK(strcmp(cfg->metrics_listen[1].text, "[::]:9100") == 0);
		CHECK(cfg->metrics_allow.v[0].prefix == 8 &&
		    cfg->metrics_allow.v[2].family == CIDR_V6 &&
		    cfg->metrics_allow.v[3].family == CIDR_V4 &&
		    cfg->metrics_allow.v[3].prefix == 12);
	}
	config_unref(cfg);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.3.2.1", &sin.sin_addr);
	CHECK(config_is_loopback((struct sockaddr *)&sin));
	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	CHECK(!config_is_loopback((struct sockaddr *)&sin));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	CHECK(config_is_loopback((struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	CHECK(config_is_loopback((struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "::2", &sin6.sin6_addr);
	CHECK(!config_is_loopback((struct sockaddr *)&sin6));
}

/* listen's word proxy_protocol, and a route's proxy_protocol. */
static void
test_proxy_protocol_keys(void)
{
	static const char base[] = "[gateway]\nlisten = 127.0.0.1:1\n%s\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n%s\n";
	struct config_errors errs = { 0 };
	struct config *cfg;
	char text[512];

	snprintf(text, sizeof(text), base, "listen = 127.0.0.1:2   "
	    "proxy_protocol", "proxy_protocol = v2");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK_ERRORS(&errs, "");
	CHECK(cfg != NULL && cfg->nlisteners == 2 &&
	    !cfg->listeners[0].proxy_protocol &&
	    cfg->listeners[1].proxy_protocol && !cfg->listeners[1].tls &&
	    cfg->routes[0].proxy_protocol == TARGET_PROXY_V2);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "", "");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && cfg->routes[0].proxy_protocol ==
	    TARGET_PROXY_NONE);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "", "proxy_protocol = v1");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && cfg->routes[0].proxy_protocol ==
	    TARGET_PROXY_V1);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "listen = 127.0.0.1:2 proxy",
	    "proxy_protocol = v3");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg == NULL);
	CHECK(errs.n == 2);
	config_errors_free(&errs);
}

/* Per-client limits: off by default; rates with units and a burst. */
static void
test_client_limit_keys(void)
{
	static const char base[] = "[gateway]\nlisten = 127.0.0.1:1\n%s\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n";
	struct config_errors errs = { 0 };
	struct config *cfg;
	char text[512];

	snprintf(text, sizeof(text), base, "");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && cfg->max_connections_per_client == 0 &&
	    cfg->new_connections_per_client.per_second == 0 &&
	    cfg->client_ipv6_prefix == 64);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "max_connections_per_client = 10\n"
	    "new_connections_per_client = 600/m\nclient_ipv6_prefix = 56");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK_ERRORS(&errs, "");
	CHECK(cfg != NULL && cfg->max_connections_per_client == 10 &&
	    close_to(cfg->new_connections_per_client.per_second, 10) &&
	    cfg->new_connections_per_client.burst == 10 &&
	    cfg->client_ipv6_prefix == 56);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "new_connections_per_client = "
	    "1/h 3");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg != NULL && close_to(cfg->new_connections_per_client
	    .per_second, 1.0 / 3600) &&
	    cfg->new_connections_per_client.burst == 3);
	config_unref(cfg);
	snprintf(text, sizeof(text), base, "new_connections_per_client = 5\n"
	    "client_ipv6_prefix = 0");
	cfg = config_load_string("t.ini", text, &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "t.ini:3: [gateway] new_connections_per_client: "
	    "\"5\": expected a rate and an optional burst, e.g. 20/s, 600/m "
	    "50 or 1000/h (burst 1 to 1000000; 0 = off)\n"
	    "t.ini:4: [gateway] client_ipv6_prefix: \"0\" is not a whole "
	    "number from 1 to 128\n");
	config_errors_free(&errs);
}

/* Every time key takes units; the golden file says it loads, this what
 * each value became (routes inherit what they do not set). */
static void
test_duration_units(void)
{
	struct config *cfg = load_golden("durations.ini");

	if (cfg == NULL)
		return;
	CHECK(close_to(cfg->handshake_timeout, 60));
	CHECK(close_to(cfg->drain_timeout, 5400));
	CHECK(close_to(cfg->send_timeout, 90));
	CHECK(close_to(cfg->dns_timeout, 1.5));
	check_limits(&cfg->limits, 16 << 20, 256 << 10, 0.25, 86400, 2.5);
	CHECK_INT(cfg->nroutes, 2);
	if (cfg->nroutes == 2) {
		check_limits(&cfg->routes[0].limits, 16 << 20, 256 << 10, 60,
		    300, 0.5);
		check_limits(&cfg->routes[1].limits, 16 << 20, 256 << 10, 0.25,
		    0, 2.5);
	}
	config_unref(cfg);
}

/* A word starting with '#' ends a list, as a comment: what comes before
 * it is kept (scalar keys refuse it: golden hash_comment). */
static void
test_hash_ends_lists(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("h.ini",
	    "[gateway]\nlisten = 127.0.0.1:1\n"
	    "dns_servers = 10.0.0.53 # ours\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\n"
	    "origins = https://a.example, https://b.example # ,https://c\n"
	    "  https://d.example #https://e.example\n", &errs);

	CHECK_ERRORS(&errs, "");
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_INT(cfg->ndns_servers, 1);
		CHECK_INT(cfg->routes[0].norigins, 3);
		if (cfg->routes[0].norigins == 3)
			CHECK_STR(cfg->routes[0].origins[2],
			    "https://d.example");
	}
	config_errors_free(&errs);
	config_unref(cfg);
}

static void
test_missing_file(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load("/nonexistent/wsgate.ini", &errs);

	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "/nonexistent/wsgate.ini:0: cannot open: No such "
	    "file or directory\n");
	config_errors_free(&errs);

	/* A directory is not read at all. */
	cfg = config_load(tmp_root, &errs);
	untmp(&errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs, "TMP:0: cannot read: a directory, not a regular "
	    "file; the configuration must be a regular file (or a symbolic "
	    "link to one)\n");
	config_errors_free(&errs);
}

static void
rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char sub[PATH_MAX];

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* hosts, unix sockets and several backends, as loaded. */
static void
test_routing_values(void)
{
	struct config *cfg = load_golden("routing_valid.ini");
	const struct route *r;

	if (cfg == NULL)
		return;
	CHECK(close_to(cfg->backend_retry_after, 2));
	CHECK_INT(cfg->nlisteners, 3);
	if (cfg->nlisteners == 3) {
		CHECK(!cfg->listeners[0].unix_path);
		CHECK(cfg->listeners[1].unix_path);
		CHECK_STR(cfg->listeners[1].path, "/run/wsgate/wsgate.sock");
		CHECK_STR(cfg->listeners[1].text,
		    "unix:/run/wsgate/wsgate.sock");
		CHECK_INT(cfg->listeners[1].mode, 0660);	/* default */
		CHECK_INT(cfg->listeners[2].mode, 0666);
		CHECK(!cfg->listeners[2].tls);
	}
	CHECK_INT(cfg->nroutes, 4);
	if (cfg->nroutes != 4) {
		config_unref(cfg);
		return;
	}
	/* Lower case, in order; one backend: no health, the defaults. */
	r = &cfg->routes[0];
	CHECK_INT(r->nhosts, 2);
	CHECK_STR(r->hosts[0], "a.example.com");
	CHECK_STR(r->hosts[1], "*.vm.example.com");
	CHECK_INT(r->nbackends, 1);
	CHECK(r->health == NULL);
	CHECK_INT(r->balance, BALANCE_FAILOVER);
	/* A unix socket, also in the single-backend fields. */
	r = &cfg->routes[1];
	CHECK_INT(r->nbackends, 1);
	CHECK(r->backends[0].unix_path);
	CHECK_STR(r->backend, "unix:/run/vnc/b.sock");
	CHECK_STR(((const struct sockaddr_un *)&r->backend_addr)->sun_path,
	    "/run/vnc/b.sock");
	/* Two on a line; the [gateway] retry_after inherited. */
	r = &cfg->routes[2];
	CHECK_INT(r->nhosts, 0);
	CHECK_INT(r->nbackends, 2);
	CHECK(r->health != NULL);
	CHECK_STR(r->backends[1].text, "10.0.0.2:5900");
	CHECK_INT(r->backends[1].addrlen, sizeof(struct sockaddr_in));
	CHECK(close_to(r->backend_retry_after, 2));
	/* Repeated and continued lines; a name, looked up per session. */
	r = &cfg->routes[3];
	CHECK_INT(r->nbackends, 3);
	if (r->nbackends == 3) {
		CHECK(r->backends[0].unix_path);
		CHECK_STR(r->backends[1].host, "::1");
		CHECK_STR(r->backends[1].port, "5901");
		CHECK_STR(r->backends[2].host, "vnc.example");
		CHECK_INT(r->backends[2].addrlen, 0);
	}
	CHECK_INT(r->balance, BALANCE_ROUND_ROBIN);
	CHECK(close_to(r->backend_retry_after, 0));
	config_unref(cfg);
}

/* Issue 12's session keys: defaults, [gateway] inheritance, values and
 * the errors that say how to fix them. */
static void
test_session_keys(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_string("s.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\nping_interval = 20s\n"
	    "send_as = TEXT\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n"
	    "[route:b]\npath = /b\nbackend = 127.0.0.1:1\norigins = *\n"
	    "ping_interval = 0\npong_timeout = 250ms\nsend_as = binary\n"
	    "text_frames = reject\nmax_session_duration = 1h30m\n"
	    "subprotocols = vnc.rfb, Binary\n    chat\n"
	    "require_subprotocol = yes\n", &errs);
	const struct route *a, *b;

	CHECK(cfg != NULL);
	if (cfg == NULL) {
		print_errors("errors", &errs);
		config_errors_free(&errs);
		return;
	}
	a = &cfg->routes[0];
	b = &cfg->routes[1];
	CHECK(close_to(a->limits.ping_interval, 20));
	CHECK(close_to(a->limits.pong_timeout, 30));
	CHECK(close_to(a->limits.max_session_duration, 0));
	CHECK_INT(a->limits.send_as, SEND_AS_TEXT);
	CHECK_INT(a->limits.text_frames, TEXT_FRAMES_ACCEPT);
	CHECK_INT(a->nsubprotocols, 1);
	CHECK_STR(a->subprotocols[0], "binary");
	CHECK(!a->require_subprotocol);
	CHECK(close_to(b->limits.ping_interval, 0));
	CHECK(close_to(b->limits.pong_timeout, 0.25));
	CHECK(close_to(b->limits.max_session_duration, 5400));
	CHECK_INT(b->limits.send_as, SEND_AS_BINARY);
	CHECK_INT(b->limits.text_frames, TEXT_FRAMES_REJECT);
	CHECK_INT(b->nsubprotocols, 3);
	if (b->nsubprotocols == 3) {
		CHECK_STR(b->subprotocols[0], "vnc.rfb");
		CHECK_STR(b->subprotocols[1], "Binary");
		CHECK_STR(b->subprotocols[2], "chat");
	}
	CHECK(b->require_subprotocol);
	config_unref(cfg);

	cfg = config_load_string("bad.ini",
	    "[gateway]\nlisten = 127.0.0.1:0\nsend_as = hex\n"
	    "pong_timeout = 0\n"
	    "[route:a]\npath = /a\nbackend = 127.0.0.1:1\norigins = *\n"
	    "subprotocols = binary, base64, bin/ary, BINARY\n"
	    "text_frames = drop\n"
	    "[route:b]\npath = /b\nbackend = 127.0.0.1:1\norigins = *\n"
	    "require_subprotocol = yes\nsubprotocols = ; none\n", &errs);
	CHECK(cfg == NULL);
	CHECK_ERRORS(&errs,
	    "bad.ini:3: [gateway] send_as: \"hex\": expected one of binary, "
	    "text\n"
	    "bad.ini:4: [gateway] pong_timeout: \"0\" is shorter than 1ms: "
	    "write a duration from 1ms to 1h\n"
	    "bad.ini:9: [route:a] subprotocols: \"base64\" (websockify's "
	    "encoded mode for browsers without binary frames) is not "
	    "supported: list binary\n"
	    "bad.ini:9: [route:a] subprotocols: \"bin/ary\": a name is 1 to "
	    "64 token characters (letters, digits, and !#$%&'*+-.^_`|~)\n"
	    "bad.ini:9: [route:a] subprotocols: \"BINARY\" is listed twice\n"
	    "bad.ini:10: [route:a] text_frames: \"drop\": expected one of "
	    "accept, reject\n"
	    "bad.ini:15: [route:b] require_subprotocol: no subprotocols "
	    "listed; list the names the backend speaks (subprotocols = "
	    "binary)");
	config_errors_free(&errs);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/dev/shm/wsgate-unit-config-XXXXXX";
	int rc;

	if (argc > 1)
		unit_dir = argv[1];
	snprintf(golden_dir, sizeof(golden_dir), "%s/config", unit_dir);
	/* tmpfs if there is one: test_routes_dir_file_count makes 16,384
	 * files, which takes seconds on a busy disk. */
	if (access("/dev/shm", W_OK) != 0)
		memcpy(tmpl, "/tmp/wsgate-unit-config-XXXXXX",
		    sizeof("/tmp/wsgate-unit-config-XXXXXX"));
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, tmp_root) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	RUN(test_golden_files);
	RUN(test_valid_full_values);
	RUN(test_defaults);
	RUN(test_web_keys);
	RUN(test_empty_name);
	RUN(test_inherit_order);
	RUN(test_origin_lists);
	RUN(test_line_length_boundary);
	RUN(test_inih_only_syntax_error);
	RUN(test_routes_dir_order);
	RUN(test_routes_dir_errors);
	RUN(test_routes_dir_unusable);
	RUN(test_routes_dir_special_files);
	RUN(test_routes_dir_file_count);
	RUN(test_dns_keys);
	RUN(test_log_keys);
	RUN(test_web_root);
	RUN(test_send_timeout);
	RUN(test_metrics_keys);
	RUN(test_proxy_protocol_keys);
	RUN(test_client_limit_keys);
	RUN(test_duration_units);
	RUN(test_hash_ends_lists);
	RUN(test_missing_file);
	RUN(test_h2_keys);
	RUN(test_routing_values);
	RUN(test_session_keys);
	rc = tl_summary("unit/config");
	rm_rf(tmp_root);
	return rc;
}
