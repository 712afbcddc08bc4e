/* config.h -- the loaded configuration: plain structs, immutable once loaded */
#ifndef WSGATE_CONFIG_H
#define WSGATE_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONFIG_DEFAULT_PATH "/etc/wsgate/wsgate.ini"

/* Where a setting came from, for error messages: "file:line". */
struct config_where {
	const char *file;	/* owned by struct config (files[]) */
	int line;
};

struct listen_spec {
	char *text;		/* as written, for logs */
	char host[256];
	char port[8];
	bool tls;
	struct config_where where;
};

/* Settings a route may override; the [gateway] value applies otherwise. */
struct limits {
	uint64_t max_message_size;	/* bytes, 0 = unlimited */
	uint64_t max_buffer;		/* per direction, bytes */
	double backend_connect_timeout;
	double idle_timeout;		/* 0 = off */
	double close_timeout;
};

struct route {
	char *name;
	char *path;
	char *backend;		/* as written */
	char backend_host[256];
	char backend_port[8];
	/* Set when backend_host is a numeric address: connect without DNS. */
	struct sockaddr_storage backend_addr;
	socklen_t backend_addrlen;

	char **origins;		/* normalised scheme://host[:port] */
	size_t norigins;
	bool origin_any;	/* "*" */
	bool allow_missing_origin;
	unsigned max_connections;	/* 0 = unlimited */
	struct limits limits;

	struct config_where where;	/* the [route:NAME] line */
	/* Live connection count: the one mutable field, shared by the
	 * sessions that hold this config generation. */
	atomic_uint active;
};

struct config {
	atomic_int refcnt;
	char *path;			/* main file */
	char **files;			/* every file read, for config_where */
	size_t nfiles;

	struct listen_spec *listeners;
	size_t nlisteners;
	struct route *routes;
	size_t nroutes;

	char *routes_dir;		/* resolved path, or NULL */
	char *web_root;			/* static files for plain GET, or NULL */
	double handshake_timeout;
	double drain_timeout;
	uint64_t max_request_bytes;
	unsigned max_headers;
	unsigned max_connections;	/* whole gateway, 0 = unlimited */
	char *health_path;		/* plain GET answered 200/503, or NULL */
	struct limits limits;		/* defaults for routes */
};

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

#endif
