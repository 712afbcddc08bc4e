/* config.h -- loading the configuration: INI files to the structs of config_types.h, errors as file:line */
#ifndef WSGATE_CONFIG_H
#define WSGATE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config_types.h"

/* The Makefile passes $(SYSCONFDIR)/wsgate/wsgate.ini. */
#ifndef CONFIG_DEFAULT_PATH
#define CONFIG_DEFAULT_PATH "/etc/wsgate/wsgate.ini"
#endif
/* Each file is read whole, up to FILE_MAX_SIZE (file.h); the listing of
 * routes_dir is kept in memory, so it is bounded too. */
#define CONFIG_MAX_ROUTE_FILES 16384u

/* Problems found while loading, each "file:line: [section] key: what". */
struct config_errors {
	char **msgs;
	size_t n;
};

/*
 * Load path (and its routes_dir).  Returns a config with one reference,
 * or NULL with every problem found appended to errs.
 */
struct config *config_load(const char *path, struct config_errors *errs);

/* Same, from memory (fuzzing, unit tests); includes routes_dir if set. */
struct config *config_load_string(const char *name, const char *text,
    struct config_errors *errs);

struct config *config_ref(struct config *cfg);
void config_unref(struct config *cfg);

void config_errors_free(struct config_errors *errs);

/* Append "file:line: [section] key: message" to errs (for tls.c, which
 * finds certificate problems after parsing). */
void config_error_at(struct config_errors *errs,
    const struct config_where *where, const char *section, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Whether name is a key of the configuration (cli.c maps websockify's
 * options only onto keys this build has). */
bool config_key_known(const char *name);

/* Whether some listener has the word tls. */
bool config_has_tls_listener(const struct config *cfg);
/* Whether sa is a loopback address (127.0.0.0/8, ::1, IPv4-mapped too):
 * the metrics listener's peers when metrics_allow is not given. */
bool config_is_loopback(const struct sockaddr *sa);

#endif
