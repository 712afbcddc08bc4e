/* webresp.h -- pure: how a web_root file is answered (validators, conditional requests, HEAD, precompressed siblings), apart from any transport */
#ifndef WSGATE_WEBRESP_H
#define WSGATE_WEBRESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The representations a file may have on disk: the file itself and the
 * precompressed siblings "file.br" and "file.gz" (never made at run time).
 */
enum webresp_enc {
	WEBRESP_IDENTITY,
	WEBRESP_BR,
	WEBRESP_GZIP,
	WEBRESP_NENC
};

/* One representation's metadata (from fstat), or !exists. */
struct webresp_file {
	bool exists;		/* a regular file */
	uint64_t size;
	uint64_t ino, dev;
	int64_t mtime_sec;
	long mtime_nsec;
};

/* The request's say in the answer: views into the caller's buffer. */
struct webresp_req {
	bool head;		/* HEAD: the headers of a GET, no body */
	const char *if_none_match;	/* NULL: absent */
	size_t if_none_match_len;
	const char *if_modified_since;	/* NULL: absent */
	size_t if_modified_since_len;
	const char *accept_encoding;	/* NULL: absent (identity only) */
	size_t accept_encoding_len;
};

#define WEBRESP_ETAG_MAX 64
#define WEBRESP_DATE_LEN 29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * The answer, for any transport (HTTP/1.1 here, HTTP/2 alike): a status,
 * its headers, and whether the chosen representation's bytes follow.
 */
struct webresp {
	int status;			/* 200 or 304 */
	enum webresp_enc enc;		/* the representation chosen */
	const char *content_encoding;	/* "br", "gzip" or NULL */
	bool vary;			/* Vary: Accept-Encoding */
	uint64_t length;		/* Content-Length (also for HEAD) */
	bool body;			/* the file's bytes follow (GET 200) */
	char etag[WEBRESP_ETAG_MAX];	/* strong, quoted */
	char last_modified[WEBRESP_DATE_LEN + 1];
};

/* Bit (1u << enc) for each encoding Accept-Encoding allows with q > 0
 * (RFC 9110 12.5.3; "*" covers those not named; identity unless refused;
 * x-gzip is gzip).  Absent: identity only. */
unsigned webresp_accepts(const char *p, size_t n);

/* The strong ETag of a representation: inode, size and modification time
 * in nanoseconds.  Returns its length (quotes included), 0 if size is
 * short. */
size_t webresp_etag(const struct webresp_file *f, char *out, size_t size);

/* RFC 9110 13.1.2: whether an If-None-Match list (or "*") matches etag,
 * by the weak comparison. */
bool webresp_none_match(const char *p, size_t n, const char *etag);

/* RFC 9110 5.6.7: an HTTP-date (IMF-fixdate, RFC 850 or asctime) to
 * seconds since the epoch.  0, or -1 if it is none. */
int webresp_parse_date(const char *p, size_t n, int64_t *t);

/* IMF-fixdate of t into out (WEBRESP_DATE_LEN + 1 bytes). */
void webresp_format_date(int64_t t, char out[WEBRESP_DATE_LEN + 1]);

/*
 * Decide the answer for a request to a file whose representations are
 * files[] (files[WEBRESP_IDENTITY] must exist).  A sibling serves only
 * when it is accepted and not older than the file itself (a stale build
 * is never sent).  304 when the chosen representation matches
 * If-None-Match, or, without If-None-Match, has not been modified since
 * If-Modified-Since (RFC 9110 13.1.3, 13.2.2).
 */
void webresp_decide(const struct webresp_req *req,
    const struct webresp_file files[WEBRESP_NENC], struct webresp *a);

/* One header field of an answer: its name as HTTP/1.1 spells it, in
 * lower case (HTTP/2, RFC 9113 8.2.1), and its value. */
struct webresp_field {
	const char *name;
	const char *lname;
	const char *value;
};

#define WEBRESP_FIELDS_MAX 10

/* An answer's header fields, for any transport; values point into the
 * answer, the arguments and this struct (date, length). */
struct webresp_fields {
	struct webresp_field v[WEBRESP_FIELDS_MAX];
	size_t n;
	char date[WEBRESP_DATE_LEN + 1];
	char length[24];
};

/* The fields of answer a (status 200 or 304): content_type is the
 * original file's, cache_control the web_root's (NULL: none), now the
 * Date.  Connection-specific fields (Connection) are the transport's. */
void webresp_fields(const struct webresp *a, const char *content_type,
    const char *cache_control, int64_t now, struct webresp_fields *f);

/* The short text body of an error ("404 Not Found: detail\n"); returns
 * its length (truncated to size - 1). */
size_t webresp_error_body(int status, const char *detail, char *out,
    size_t size);

/*
 * Render an answer's HTTP/1.1 head into out (webresp_fields): content_type is the
 * original file's, cache_control the web_root's, now the Date.  Returns
 * the length, or 0 if size is short.
 */
size_t webresp_write_head(const struct webresp *a, const char *content_type,
    const char *cache_control, int64_t now, bool keep_alive, char *out,
    size_t size);

/*
 * An error or redirect for a plain request, as HTTP/1.1: status, a short
 * text body ("404 Not Found: detail") unless head, location for a 301
 * (a directory's path, sent with "/" appended; NULL otherwise),
 * Cache-Control: no-store.  Returns the length,
 * or 0 if size is short.
 */
size_t webresp_write_error(int status, const char *detail, const char *location,
    size_t location_len, bool head, bool keep_alive, char *out, size_t size);

#endif
