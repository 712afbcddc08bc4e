/* log.c -- one line per event on stderr (or syslog), with timestamp and level */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log_json.h"

/* Set by the main thread (command line, log_configure), read by every
 * thread that logs: relaxed atomics, since a line logged at the old
 * level just before a reload is as good as one at the new. */
static atomic_int current_level = LL_INFO;
static atomic_int current_format = LOG_FORMAT_TEXT;
static atomic_bool level_pinned;	/* by the command line */
static atomic_int current_target = LOG_TARGET_STDERR;
static atomic_bool syslog_opened;

static const char *const level_names[] = {
	[LL_ERROR] = "error",
	[LL_WARN] = "warn",
	[LL_INFO] = "info",
	[LL_DEBUG] = "debug",
};

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, level, memory_order_relaxed);
	atomic_store_explicit(&level_pinned, true, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&current_level,
	    memory_order_relaxed);
}

void
log_clear_level(void)
{
	atomic_store_explicit(&level_pinned, false, memory_order_relaxed);
	atomic_store_explicit(&current_level, LL_INFO, memory_order_relaxed);
}

void
log_set_format(enum log_format format)
{
	atomic_store_explicit(&current_format, format, memory_order_relaxed);
}

enum log_format
log_get_format(void)
{
	return (enum log_format)atomic_load_explicit(&current_format,
	    memory_order_relaxed);
}

/* config.c stores log_level and log_format as the index of their word:
 * the same numbers as the enums here. */
_Static_assert(LL_ERROR == 0 && LL_WARN == 1 && LL_INFO == 2 &&
    LL_DEBUG == 3, "log_level words are error, warn, info, debug");
_Static_assert(LOG_FORMAT_TEXT == 0 && LOG_FORMAT_JSON == 1,
    "log_format words are text, json");

_Static_assert(LOG_TARGET_STDERR == 0 && LOG_TARGET_SYSLOG == 1,
    "log_target words are stderr, syslog");

void
log_set_target(enum log_target target)
{
	/* LOG_NDELAY: the socket is opened now, not by a worker later. */
	if (target == LOG_TARGET_SYSLOG &&
	    !atomic_exchange(&syslog_opened, true))
		openlog("wsgate", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store_explicit(&current_target, (int)target,
	    memory_order_relaxed);
}

enum log_target
log_get_target(void)
{
	return (enum log_target)atomic_load_explicit(&current_target,
	    memory_order_relaxed);
}

void
log_configure(const struct config *cfg)
{
	if (!atomic_load_explicit(&level_pinned, memory_order_relaxed) &&
	    cfg->log_level <= LL_DEBUG)
		atomic_store_explicit(&current_level, (int)cfg->log_level,
		    memory_order_relaxed);
	if (cfg->log_format <= LOG_FORMAT_JSON)
		log_set_format((enum log_format)cfg->log_format);
	if (cfg->log_target <= LOG_TARGET_SYSLOG)
		log_set_target((enum log_target)cfg->log_target);
}

static const int syslog_priority[] = {
	[LL_ERROR] = LOG_ERR,
	[LL_WARN] = LOG_WARNING,
	[LL_INFO] = LOG_INFO,
	[LL_DEBUG] = LOG_DEBUG,
};

int
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&current_level,
	    memory_order_relaxed);
}

/*
 * Copy src[0..len) to dst (room bytes, no NUL) with every byte outside
 * printable ASCII written as \xNN, so that one call is one line whatever
 * a format argument held; returns bytes written.  Quotes stay: the
 * format's own fields use them.  Call sites still escape client strings
 * with log_escape(), which also escapes quotes and backslashes.
 */
static size_t
log_printable(char *dst, size_t room, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 > room)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 > room)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	return o;
}

/* One JSON object per line (log_json.h): worst case some 6 bytes out per
 * byte of msg, so a long line of control bytes may be cut (marked). */
static void
log_write_json(const char *ts, enum log_level level, const char *msg,
    size_t len)
{
	char out[8192];
	size_t n = log_json(out, sizeof(out), ts, level_names[level], msg,
	    len);

	if (log_get_target() == LOG_TARGET_SYSLOG) {
		/* One object per message, without its newline. */
		syslog(syslog_priority[level], "%.*s",
		    (int)(n > 0 && out[n - 1] == '\n' ? n - 1 : n), out);
		return;
	}
	if (write(STDERR_FILENO, out, n) < 0)
		return;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048], msg[2048];
	struct timeval tv;
	struct tm tm;
	size_t n, mlen;
	va_list ap;
	int r;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ",
	    (long)(tv.tv_usec / 1000));
	if (r > 0)
		n += (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mlen = r <= 0 ? 0 : (size_t)r < sizeof(msg) ? (size_t)r :
	    sizeof(msg) - 1;
	if (log_get_format() == LOG_FORMAT_JSON) {
		line[n] = '\0';
		log_write_json(line, level, msg, mlen);
		return;
	}
	if (log_get_target() == LOG_TARGET_SYSLOG) {
		/* syslog stamps the time and keeps the level as priority. */
		n = log_printable(line, sizeof(line) - 1, msg, mlen);
		line[n] = '\0';
		syslog(syslog_priority[level], "%s", line);
		return;
	}
	r = snprintf(line + n, sizeof(line) - n, " %s ", level_names[level]);
	if (r > 0)
		n += (size_t)r;
	n += log_printable(line + n, sizeof(line) - 1 - n, msg, mlen);
	line[n++] = '\n';
	/* One write(2) per line keeps lines whole when workers log at once. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

const char *
log_escape(char *dst, size_t dstsize, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	size_t i;

	if (dstsize == 0)
		return dst;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
		    ? 1 : 4;

		if (o + need + 4 > dstsize) {
			if (dstsize >= 4) {
				o = o + 3 < dstsize ? o : dstsize - 4;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

const char *
log_escape_str(char *dst, size_t dstsize, const char *src)
{
	if (src == NULL) {
		if (dstsize > 0)
			snprintf(dst, dstsize, "-");
		return dst;
	}
	return log_escape(dst, dstsize, src, strlen(src));
}
