/* fuzz_config.c -- libFuzzer target: config_load_string() on any text, with a real routes_dir and web_root beside it */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "route.h"

#include "fuzz.h"

/*
 * The config names a main file inside a scratch directory holding
 * routes.d/ (one valid route file), bad.d/ (a route file breaking the
 * routes_dir rules) and web/, so "routes_dir = routes.d" and "web_root =
 * web" load for real.  Other paths just give errors.
 * Loading must never crash or leak; a config comes back exactly when
 * there are no errors, and what it holds obeys the documented rules.
 */

static char root[64];
static char main_file[96];
static char route_file[96];
static char web_dir[96];
static char routes_dir[96];
static char bad_dir[96];
static char bad_file[96];

static const char route_ini[] =
    "[route:vnc]\n"
    "path = /websockify\n"
    "backend = 127.0.0.1:5900\n"
    "origins = http://127.0.0.1:8080\n"
    "allow_missing_origin = no\n"
    "idle_timeout = 3600\n";

static const char bad_ini[] =
    "[gateway]\n"
    "listen = 127.0.0.1:1\n"
    "[route:vnc]\n"
    "path = /echo\n"
    "backend = 127.0.0.1:5900\n"
    "origins = *\n";

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	FUZZ_CHECK(fp != NULL);
	fputs(text, fp);
	FUZZ_CHECK(fclose(fp) == 0);
}

static void
cleanup(void)
{
	unlink(route_file);
	unlink(bad_file);
	rmdir(routes_dir);
	rmdir(bad_dir);
	rmdir(web_dir);
	rmdir(root);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "/tmp/wsgate-fuzz-config.XXXXXX");
	FUZZ_CHECK(mkdtemp(root) != NULL);
	snprintf(main_file, sizeof(main_file), "%s/wsgate.ini", root);
	snprintf(routes_dir, sizeof(routes_dir), "%s/routes.d", root);
	snprintf(route_file, sizeof(route_file), "%s/vnc.ini", routes_dir);
	snprintf(bad_dir, sizeof(bad_dir), "%s/bad.d", root);
	snprintf(bad_file, sizeof(bad_file), "%s/x.ini", bad_dir);
	snprintf(web_dir, sizeof(web_dir), "%s/web", root);
	FUZZ_CHECK(mkdir(routes_dir, 0700) == 0 && mkdir(bad_dir, 0700) == 0 &&
	    mkdir(web_dir, 0700) == 0);
	write_file(route_file, route_ini);
	write_file(bad_file, bad_ini);
	atexit(cleanup);
	return 0;
}

static void
check_config(const struct config *cfg)
{
	FUZZ_CHECK(cfg->nlisteners > 0);
	FUZZ_CHECK(cfg->nroutes > 0 || cfg->web_root != NULL);
	FUZZ_CHECK(cfg->nfiles > 0 && strcmp(cfg->files[0], main_file) == 0);
	FUZZ_CHECK(cfg->max_request_bytes >= 1024 &&
	    cfg->max_request_bytes <= 65536);
	FUZZ_CHECK(cfg->max_headers >= 1 && cfg->max_headers <= 1000);
	/* Durations, whatever their units, stay in their key's range. */
	FUZZ_CHECK(cfg->handshake_timeout >= 0.001 &&
	    cfg->handshake_timeout <= 3600);
	FUZZ_CHECK(cfg->drain_timeout >= 0 && cfg->drain_timeout <= 86400);
	FUZZ_CHECK(cfg->dns_timeout >= 0.1 && cfg->dns_timeout <= 60);
	for (size_t i = 0; i < cfg->nlisteners; i++)
		FUZZ_CHECK(cfg->listeners[i].text != NULL &&
		    cfg->listeners[i].host[0] != '\0');
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		FUZZ_CHECK(r->name != NULL && r->path != NULL &&
		    r->backend != NULL);
		FUZZ_CHECK(r->path[0] == '/');
		/* A path (with one of its hosts, if it lists any) is
		 * unique, so each route is found by its own. */
		for (size_t j = 0; j <= r->nhosts; j++) {
			bool routed;
			const char *host = j < r->nhosts ? r->hosts[j] : NULL;

			if (host != NULL && host[0] == '*')
				continue;
			if (host == NULL && r->nhosts > 0)
				continue;
			FUZZ_CHECK(route_find_host(cfg, r->path,
			    strlen(r->path), host, &routed) == r);
			FUZZ_CHECK(routed == (r->nhosts > 0) ||
			    r->nhosts == 0);
		}
		FUZZ_CHECK(r->nbackends >= 1 &&
		    r->nbackends <= ROUTE_BACKENDS_MAX);
		FUZZ_CHECK((r->nbackends > 1) == (r->health != NULL));
		/* A backend is something to connect to: none of the forms
		 * only listen understands. */
		FUZZ_CHECK(strchr(r->backend_host, '*') == NULL);
		FUZZ_CHECK(strchr(r->backend_host, '%') == NULL ||
		    r->backend[0] == '[');
		FUZZ_CHECK(atoi(r->backend_port) > 0 ||
		    r->backends[0].unix_path);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->routes[j].name, r->name) != 0);
		FUZZ_CHECK(r->limits.max_buffer >= 4096);
		FUZZ_CHECK(r->limits.close_timeout > 0 &&
		    r->limits.close_timeout <= 3600);
		FUZZ_CHECK(r->limits.idle_timeout >= 0 &&
		    r->limits.idle_timeout <= 86400);
		for (size_t j = 0; j < r->norigins; j++) {
			char norm[ORIGIN_MAX];
			const char *why;

			/* Stored origins are normalised already. */
			FUZZ_CHECK(origin_normalize(r->origins[j],
			    strlen(r->origins[j]), norm, sizeof(norm),
			    &why) == 0);
			FUZZ_CHECK(strcmp(norm, r->origins[j]) == 0);
			FUZZ_CHECK(route_origin_allowed(r, r->origins[j],
			    strlen(r->origins[j])));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = { NULL, 0 };
	struct config *cfg;
	char *text = malloc(size + 1);

	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	cfg = config_load_string(main_file, text, &errs);
	free(text);

	/* A config, or at least one reason why not. */
	FUZZ_CHECK((cfg != NULL) == (errs.n == 0));
	for (size_t i = 0; i < errs.n; i++) {
		FUZZ_CHECK(errs.msgs[i] != NULL);
		/* "file:line: ..." */
		FUZZ_CHECK(strchr(errs.msgs[i], ':') != NULL);
	}
	config_errors_free(&errs);
	if (cfg != NULL) {
		check_config(cfg);
		FUZZ_CHECK(config_ref(cfg) == cfg);
		config_unref(cfg);
		config_unref(cfg);
	}
	return 0;
}
