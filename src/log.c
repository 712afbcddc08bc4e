/* log.c -- one line per event on stderr, with timestamp and level */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LL_INFO;

static const char *const level_names[] = {
	[LL_ERROR] = "error",
	[LL_WARN] = "warn",
	[LL_INFO] = "info",
	[LL_DEBUG] = "debug",
};

void
log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level
log_get_level(void)
{
	return current_level;
}

int
log_enabled(enum log_level level)
{
	return level <= current_level;
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

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048], msg[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	va_list ap;
	int r;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ",
	    (long)(tv.tv_usec / 1000), level_names[level]);
	if (r > 0)
		n += (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r > 0)
		n += log_printable(line + n, sizeof(line) - 1 - n, msg,
		    (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1);
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
