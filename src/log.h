/* log.h -- one line per event on stderr (or syslog), with timestamp and level */
#ifndef WSGATE_LOG_H
#define WSGATE_LOG_H

#include <stddef.h>

enum log_level {
	LL_ERROR = 0,
	LL_WARN,
	LL_INFO,
	LL_DEBUG,
};

enum log_format {
	LOG_FORMAT_TEXT = 0,	/* "2026-...Z info close client=... ..." */
	LOG_FORMAT_JSON,	/* one object per line: log_json.h */
};

enum log_target {
	LOG_TARGET_STDERR = 0,
	/* syslog(3): facility LOG_DAEMON, ident "wsgate", the pid; the
	 * level becomes the priority, syslog adds the time. */
	LOG_TARGET_SYSLOG,
};

/*
 * The command line's level (-v, -q): it holds from then on, over the
 * configuration's log_level at start and after every reload.  The
 * default, until a command line option or log_configure() says
 * otherwise, is info.
 */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Forget the command line's level (tests). */
void log_clear_level(void);
void log_set_format(enum log_format format);
/* log_target: openlog() on the first switch to syslog. */
void log_set_target(enum log_target target);
enum log_target log_get_target(void);
enum log_format log_get_format(void);

struct config;
/*
 * Apply the configuration's log_level (unless the command line gave
 * one) and log_format: main.c calls it once the configuration is loaded
 * and again when a reload has been accepted.  Any thread may log
 * meanwhile (the settings are atomics).
 */
void log_configure(const struct config *cfg);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Copy untrusted bytes (paths, origins, server names, certificate names,
 * anything a peer chose) into dst as printable ASCII, escaping the rest
 * and '"' and '\\' as \xNN, so a hostile client can neither forge a log
 * line nor close a quoted field.  Always NUL-terminates; truncates with
 * "...".  Every client-supplied string goes through it before log_msg()
 * (tests/log_sources.py checks the call sites); log_msg() itself also
 * writes any byte outside printable ASCII as \xNN, as a last resort.
 */
const char *log_escape(char *dst, size_t dstsize, const char *src, size_t len);
/* The same for a C string; NULL gives "-". */
const char *log_escape_str(char *dst, size_t dstsize, const char *src);

#define log_error(...) log_msg(LL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...)                                                        \
	do {                                                                  \
		if (log_enabled(LL_DEBUG))                                    \
			log_msg(LL_DEBUG, __VA_ARGS__);                       \
	} while (0)

#endif
