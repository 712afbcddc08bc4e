/* probe_http.c -- pure parts of wsgate --probe: the URL, the request, the status line */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe_http.h"
#include "value.h"

int
probe_http_url(const char *url, struct probe_url *u, const char **why)
{
	const char *a = url, *end;
	size_t alen, plen;
	char hp[sizeof(u->authority) + 4];

	memset(u, 0, sizeof(*u));
	if (strncasecmp(a, "http://", 7) != 0) {
		*why = strncasecmp(a, "https://", 8) == 0 ?
		    "https:// is not supported: probe a plain listener" :
		    "expected http://host[:port][/path]";
		return -1;
	}
	a += 7;
	alen = strcspn(a, "/?#");
	end = a + alen;
	if (alen == 0) {
		*why = "missing host after http://";
		return -1;
	}
	if (alen >= sizeof(u->authority)) {
		*why = "host and port too long";
		return -1;
	}
	if (memchr(a, '@', alen) != NULL) {
		*why = "user names and passwords are not supported";
		return -1;
	}
	memcpy(u->authority, a, alen);
	/* No port: 80 ("host" or "[v6]", but "[::1]:" is an error). */
	if (a[alen - 1] == ']' || (a[0] != '[' &&
	    memchr(a, ':', alen) == NULL))
		snprintf(hp, sizeof(hp), "%s:80", u->authority);
	else
		snprintf(hp, sizeof(hp), "%s", u->authority);
	if (value_hostport(hp, HOSTPORT_BACKEND, u->host, sizeof(u->host),
	    u->port, sizeof(u->port), why) != 0)
		return -1;

	/* The path goes into the request line: printable, no blanks. */
	plen = strcspn(end, "#");
	/* A query alone ("?a=b") gets a '/' in front. */
	if (plen + (end[0] == '/' ? 1 : 2) > sizeof(u->path)) {
		*why = "path too long";
		return -1;
	}
	for (size_t i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)end[i];

		if (c <= ' ' || c >= 0x7f) {
			*why = "the path has a blank or a control character: "
			       "percent-encode it";
			return -1;
		}
	}
	if (plen == 0 || end[0] == '?')
		u->path[0] = '/';
	memcpy(u->path + strlen(u->path), end, plen);
	*why = NULL;
	return 0;
}

int
probe_http_request(const struct probe_url *u, char *buf, size_t size)
{
	int n = snprintf(buf, size, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: wsgate-probe\r\nAccept: */*\r\n"
	    "Connection: close\r\n\r\n", u->path, u->authority);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int
probe_http_status(const char *buf, size_t len, int *status,
    size_t *reason_off, size_t *reason_len, const char **why)
{
	static const char proto[] = "HTTP/1.";
	const char *nl;
	size_t n, i;

	/* Judge what has come so far, so garbage fails at once. */
	n = len < sizeof(proto) - 1 ? len : sizeof(proto) - 1;
	if (memcmp(buf, proto, n) != 0) {
		*why = "the answer is not HTTP/1.x";
		return CODEC_ERROR;
	}
	nl = memchr(buf, '\n', len < PROBE_STATUS_MAX ? len :
	    PROBE_STATUS_MAX);
	if (nl == NULL) {
		if (len >= PROBE_STATUS_MAX) {
			*why = "status line too long";
			return CODEC_ERROR;
		}
		return CODEC_NEED_MORE;
	}
	n = (size_t)(nl - buf);		/* the line without its LF */
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	/* "HTTP/1.x NNN" then a blank or the line end. */
	if (n < 12 || buf[7] < '0' || buf[7] > '9' || buf[8] != ' ' ||
	    (n > 12 && buf[12] != ' ')) {
		*why = "malformed status line";
		return CODEC_ERROR;
	}
	*status = 0;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9') {
			*why = "malformed status code";
			return CODEC_ERROR;
		}
		*status = *status * 10 + (buf[i] - '0');
	}
	if (*status < 100) {
		*why = "malformed status code";
		return CODEC_ERROR;
	}
	*reason_off = n > 12 ? 13 : 12;
	*reason_len = n - *reason_off;
	*why = NULL;
	return (int)(nl - buf) + 1;
}
