/* webroot.c -- serving static files (the demo page, noVNC) for plain GETs and HEADs: finds the file and its precompressed siblings */
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

#include <event2/http.h>

#include "handshake.h"
#include "webresp.h"

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

static void
fail(struct webroot_answer *a, int status, const char *detail,
    const char *why)
{
	a->status = status;
	a->detail = detail;
	a->why = why;
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

/* Open path as a representation: a regular file, or none. */
static int
open_file(const char *path, struct stat *st, struct webresp_file *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	f->exists = true;
	f->size = (uint64_t)st->st_size;
	f->ino = (uint64_t)st->st_ino;
	f->dev = (uint64_t)st->st_dev;
	f->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	f->mtime_nsec = st->st_mtim.tv_nsec;
	return fd;
}

/*
 * The file's precompressed siblings, opened (not just looked up), so that
 * what was judged is what is sent.  Whether the client takes them or not:
 * Vary says whether the answer could differ.
 */
static void
open_siblings(const char *full,
    int fds[WEBRESP_NENC], struct stat sts[WEBRESP_NENC],
    struct webresp_file files[WEBRESP_NENC])
{
	static const char *const suffix[WEBRESP_NENC] = {
		[WEBRESP_BR] = ".br", [WEBRESP_GZIP] = ".gz",
	};
	char sib[PATH_MAX * 2 + 4];

	for (int e = WEBRESP_BR; e < WEBRESP_NENC; e++) {
		fds[e] = -1;
		memset(&files[e], 0, sizeof(files[e]));
		if ((size_t)snprintf(sib, sizeof(sib), "%s%s", full,
		    suffix[e]) >= sizeof(sib))
			continue;
		fds[e] = open_file(sib, &sts[e], &files[e]);
	}
}

void
webroot_answer(const char *root, const struct hs_request *req,
    struct webroot_answer *a)
{
	const char *path = req->path.p;
	size_t pathlen = req->path.n;
	char raw[PATH_MAX], full[PATH_MAX * 2];
	char *decoded;
	size_t dlen = 0;
	int fds[WEBRESP_NENC];
	struct stat sts[WEBRESP_NENC];
	struct webresp_file files[WEBRESP_NENC];
	struct webresp_req wr;
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	if (pathlen >= sizeof(raw)) {
		fail(a, 404, "not found", "path too long");
		return;
	}
	memcpy(raw, path, pathlen);
	raw[pathlen] = '\0';
	decoded = evhttp_uridecode(raw, 0, &dlen);
	if (decoded == NULL) {
		fail(a, 500, NULL, "out of memory");
		return;
	}
	if (!path_safe(decoded, dlen)) {
		free(decoded);
		fail(a, 404, "not found", "path escapes web_root");
		return;
	}
	snprintf(full, sizeof(full), "%s%s%s", root, decoded,
	    decoded[dlen - 1] == '/' ? "index.html" : "");
	free(decoded);

	fds[WEBRESP_IDENTITY] = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fds[WEBRESP_IDENTITY] < 0 ||
	    fstat(fds[WEBRESP_IDENTITY], &st) != 0) {
		int err = errno;

		if (fds[WEBRESP_IDENTITY] >= 0)
			close(fds[WEBRESP_IDENTITY]);
		fail(a, err == EACCES ? 403 : 404, "not found", strerror(err));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fds[WEBRESP_IDENTITY]);
		/* "//app/" would be a protocol-relative URL: host "app"
		 * (RFC 3986 4.2).  One leading '/' keeps it a path. */
		while (pathlen > 1 && path[1] == '/') {
			path++;
			pathlen--;
		}
		/* Send the browser to "dir/" so relative links resolve. */
		a->status = 301;
		a->location = path;
		a->location_len = pathlen;
		a->why = "directory";
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fds[WEBRESP_IDENTITY]);
		fail(a, 404, "not found", "not a regular file");
		return;
	}
	sts[WEBRESP_IDENTITY] = st;
	files[WEBRESP_IDENTITY] = (struct webresp_file){
		.exists = true,
		.size = (uint64_t)st.st_size,
		.ino = (uint64_t)st.st_ino,
		.dev = (uint64_t)st.st_dev,
		.mtime_sec = (int64_t)st.st_mtim.tv_sec,
		.mtime_nsec = st.st_mtim.tv_nsec,
	};
	open_siblings(full, fds, sts, files);
	wr = (struct webresp_req){
		.head = req->head,
		.if_none_match = req->has_if_none_match ?
		    req->if_none_match.p : NULL,
		.if_none_match_len = req->if_none_match.n,
		.if_modified_since = req->has_if_modified_since ?
		    req->if_modified_since.p : NULL,
		.if_modified_since_len = req->if_modified_since.n,
		.accept_encoding = req->has_accept_encoding ?
		    req->accept_encoding.p : NULL,
		.accept_encoding_len = req->accept_encoding.n,
	};
	webresp_decide(&wr, files, &a->web);
	a->status = a->web.status;
	a->content_type = mime_type(full);
	for (int e = 0; e < WEBRESP_NENC; e++) {
		if (fds[e] < 0)
			continue;
		if (e == (int)a->web.enc && a->web.body) {
			a->fd = fds[e];	/* the caller sends it (download.c) */
			a->st = sts[e];
		} else {
			close(fds[e]);
		}
	}
}
