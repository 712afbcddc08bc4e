/* webroot.c -- serving static files (the demo page, noVNC) for plain GETs */
#include "webroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "handshake.h"

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".htm", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".gif", "image/gif" },
	{ ".ico", "image/x-icon" },
	{ ".wasm", "application/wasm" },
	{ ".woff", "font/woff" },
	{ ".woff2", "font/woff2" },
	{ ".ttf", "font/ttf" },
	{ ".oga", "audio/ogg" },
	{ ".ogg", "audio/ogg" },
	{ ".mp3", "audio/mpeg" },
};

static const char *
mime_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot != NULL && strchr(dot, '/') == NULL) {
		for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]);
		    i++)
			if (strcasecmp(dot, mime_types[i].ext) == 0)
				return mime_types[i].type;
	}
	return "application/octet-stream";
}

static int
answer(struct evbuffer *out, int status, const char *detail)
{
	char buf[1024];
	size_t n = handshake_write_error(buf, sizeof(buf), status, detail);

	evbuffer_add(out, buf, n);
	return status;
}

/* No "." or ".." segment, NUL or backslash: the path stays under root. */
static bool
path_safe(const char *p, size_t n)
{
	const char *end = p + n;

	if (n == 0 || p[0] != '/' || memchr(p, '\0', n) != NULL ||
	    memchr(p, '\\', n) != NULL)
		return false;
	while (p < end) {
		const char *seg = p + 1;
		const char *e = memchr(seg, '/', (size_t)(end - seg));
		size_t len;

		if (e == NULL)
			e = end;
		len = (size_t)(e - seg);
		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		p = e;
	}
	return true;
}

int
webroot_respond(const char *root, const char *path, size_t pathlen,
    struct evbuffer *out, int *body, struct stat *st, const char **why)
{
	char raw[PATH_MAX], full[PATH_MAX * 2];
	char hdr[512];
	char *decoded;
	size_t dlen = 0;
	int fd, status;
	size_t n;

	*body = -1;
	if (pathlen >= sizeof(raw)) {
		*why = "path too long";
		return answer(out, 404, "not found");
	}
	memcpy(raw, path, pathlen);
	raw[pathlen] = '\0';
	decoded = evhttp_uridecode(raw, 0, &dlen);
	if (decoded == NULL) {
		*why = "out of memory";
		return answer(out, 500, NULL);
	}
	if (!path_safe(decoded, dlen)) {
		free(decoded);
		*why = "path escapes web_root";
		return answer(out, 404, "not found");
	}
	snprintf(full, sizeof(full), "%s%s%s", root, decoded,
	    decoded[dlen - 1] == '/' ? "index.html" : "");
	free(decoded);

	fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, st) != 0) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return answer(out, errno == EACCES ? 403 : 404, "not found");
	}
	if (S_ISDIR(st->st_mode)) {
		int r;

		close(fd);
		/* "//app/" would be a protocol-relative URL: host "app"
		 * (RFC 3986 4.2).  One leading '/' keeps it a path. */
		while (pathlen > 1 && path[1] == '/') {
			path++;
			pathlen--;
		}
		/* Send the browser to "dir/" so relative links resolve. */
		r = snprintf(hdr, sizeof(hdr), "HTTP/1.1 301 Moved "
		    "Permanently\r\nLocation: %.*s/\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n", (int)pathlen, path);
		if (r > 0 && (size_t)r < sizeof(hdr))
			evbuffer_add(out, hdr, (size_t)r);
		*why = "directory";
		return 301;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		*why = "not a regular file";
		return answer(out, 404, "not found");
	}
	status = 200;
	n = handshake_write_response(hdr, sizeof(hdr), status,
	    mime_type(full), (size_t)st->st_size, false);
	evbuffer_add(out, hdr, n);
	if (st->st_size == 0)
		close(fd);
	else
		*body = fd;	/* the caller sends it (download.c) */
	return status;
}
