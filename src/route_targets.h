/* route_targets.h -- a route's token source and JWT key: opened after the configuration loads, closed with it */
#ifndef WSGATE_ROUTE_TARGETS_H
#define WSGATE_ROUTE_TARGETS_H

struct config;
struct config_errors;

/*
 * For each route with targets = PATH, open its token source (targets.h:
 * read now, shared with the running configuration's route of the same
 * PATH and format, so a SIGHUP with unchanged files re-reads nothing and
 * the watcher keeps one index per source); for each route with jwt_key,
 * read the key (an HS256 secret is refused when every user can read it,
 * as tls_key is).  Returns 0, or -1 with every problem appended to errs
 * as "file:line: [route:NAME] key: problem".  What is opened belongs to
 * cfg and is closed by config_unref: a source no configuration uses any
 * more is freed, and the watcher no longer looks at it.
 */
int route_targets_load(struct config *cfg, struct config_errors *errs);

#endif
