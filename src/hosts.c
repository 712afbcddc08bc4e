/* hosts.c -- looking a name up in the text of an /etc/hosts file */
#include "hosts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Longer than any address or DNS name (253 characters). */
#define HOSTS_TOKEN_MAX 256

static int
hosts_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The next blank-separated word of [p, end); NULL at the end. */
static const char *
hosts_word(const char *p, const char *end, size_t *n)
{
	const char *w;

	while (p < end && hosts_blank(*p))
		p++;
	if (p == end)
		return NULL;
	for (w = p; p < end && !hosts_blank(*p); p++)
		;
	*n = (size_t)(p - w);
	return w;
}

static int
hosts_parse_addr(const char *w, size_t n, struct hosts_addr *a)
{
	char buf[HOSTS_TOKEN_MAX];

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, w, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->bytes) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* Whether the names of one line, [p, end), include name. */
static int
hosts_line_names(const char *p, const char *end, const char *name,
    size_t namelen)
{
	const char *w;
	size_t n;

	while ((w = hosts_word(p, end, &n)) != NULL) {
		if (n == namelen && strncasecmp(w, name, n) == 0)
			return 1;
		p = w + n;
	}
	return 0;
}

size_t
hosts_lookup(const char *text, size_t len, const char *name,
    struct hosts_addr *out, size_t max)
{
	const char *p = text, *end = text + len;
	size_t namelen = strlen(name), found = 0;

	if (namelen == 0)
		return 0;
	while (p < end && found < max) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *hash, *w;
		size_t n;

		if (eol == NULL)
			eol = end;
		hash = memchr(p, '#', (size_t)(eol - p));
		w = hosts_word(p, hash != NULL ? hash : eol, &n);
		if (w != NULL && hosts_line_names(w + n,
		    hash != NULL ? hash : eol, name, namelen) &&
		    hosts_parse_addr(w, n, &out[found]) == 0)
			found++;
		p = eol < end ? eol + 1 : end;
	}
	return found;
}
