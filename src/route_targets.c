/* route_targets.c -- a route's token source and JWT key: opened after the configuration loads, closed with it */
#include "route_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "file.h"
#include "jwt_verify.h"
#include "targets.h"

static int
load_jwt_key(struct route *r, const char *sec, struct config_errors *errs)
{
	/* jwt_algorithm's words, in config.c's order. */
	static const enum jwt_alg algs[] = { JWT_ALG_HS256, JWT_ALG_RS256,
	    JWT_ALG_ES256 };
	enum jwt_alg alg = r->jwt_algorithm < 3 ? algs[r->jwt_algorithm] :
	    JWT_ALG_UNSUPPORTED;
	const char *why;
	char *buf;
	size_t len;
	mode_t mode;

	if (alg == JWT_ALG_HS256 && file_world_readable(r->jwt_key.s, &mode)) {
		config_error_at(errs, &r->jwt_key.where, sec, "jwt_key",
		    "%s: HS256 secret readable by every user (mode %04o): "
		    "anyone who reads it can sign tokens; run chmod 600 (or "
		    "640 for a group) on it", r->jwt_key.s, (unsigned)mode);
		return -1;
	}
	if (file_read(r->jwt_key.s, &buf, &len, &why) != FILE_OK) {
		config_error_at(errs, &r->jwt_key.where, sec, "jwt_key",
		    "%s: %s", r->jwt_key.s, why);
		return -1;
	}
	r->jwt = jwt_key_new(alg, buf, len, &why);
	/* A secret: do not leave it in freed memory. */
	memset(buf, 0, len);
	free(buf);
	if (r->jwt == NULL) {
		config_error_at(errs, &r->jwt_key.where, sec, "jwt_key",
		    "%s: not a %s key: %s", r->jwt_key.s, jwt_alg_name(alg),
		    why);
		return -1;
	}
	return 0;
}

static void
route_targets_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nroutes; i++) {
		targets_close(cfg->routes[i].tokens);
		cfg->routes[i].tokens = NULL;
		jwt_key_free(cfg->routes[i].jwt);
		cfg->routes[i].jwt = NULL;
	}
}

int
route_targets_load(struct config *cfg, struct config_errors *errs)
{
	int rc = 0;

	cfg->targets_free = route_targets_free;
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];
		char sec[300], err[600];

		if (r->targets.s == NULL && r->jwt_key.s == NULL)
			continue;
		snprintf(sec, sizeof(sec), "route:%s", r->name);
		if (r->jwt_key.s != NULL && load_jwt_key(r, sec, errs) != 0)
			rc = -1;
		if (r->targets.s == NULL)
			continue;
		r->tokens = targets_open(r->targets.s,
		    (enum targets_format)r->targets_format, err, sizeof(err));
		if (r->tokens == NULL) {
			config_error_at(errs, &r->targets.where, sec,
			    "targets", "%s", err);
			rc = -1;
		}
	}
	return rc;
}
