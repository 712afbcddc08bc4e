/* allow.c -- pure: allowed_targets, where computed targets (tokens, JWTs) may lead */
#include "allow.h"

#include <ctype.h>
#include <netinet/in.h>
#include <string.h>

#include "ipaddr.h"
#include "sni.h"

/* "5900", "5900-5999" or "*" into [lo, hi]; port 0 is never a target. */
static int
allow_ports(const char *p, size_t len, uint16_t *lo, uint16_t *hi,
    const char **why)
{
	const char *dash = memchr(p, '-', len);

	if (len == 1 && p[0] == '*') {
		*lo = 1;
		*hi = 65535;
		return 0;
	}
	if (dash == NULL) {
		if (ipaddr_parse_port(p, len, lo) != 0 || *lo == 0)
			goto bad;
		*hi = *lo;
		return 0;
	}
	if (ipaddr_parse_port(p, (size_t)(dash - p), lo) != 0 ||
	    ipaddr_parse_port(dash + 1, len - (size_t)(dash - p) - 1, hi) !=
	    0 || *lo == 0)
		goto bad;
	if (*lo > *hi) {
		*why = "a port range goes from low to high (5900-5999)";
		return -1;
	}
	return 0;
bad:
	*why = "the port is 1-65535, a range such as 5900-5999, or * for any "
	    "port";
	return -1;
}

/* An absolute, normalised directory: no empty, "." or ".." component. */
static int
allow_dir(const char *p, size_t len, struct allow_rule *out,
    const char **why)
{
	size_t i = 0;

	while (len > 1 && p[len - 1] == '/')
		len--;
	if (len == 0 || p[0] != '/') {
		*why = "a unix socket directory is an absolute path "
		    "(unix:/run/vnc)";
		return -1;
	}
	if (len == 1) {
		*why = "unix:/ would allow every socket on the machine: name "
		    "the directory that holds the backends' sockets";
		return -1;
	}
	if (len > ALLOW_PATH_MAX) {
		*why = "a unix socket directory has at most 107 bytes";
		return -1;
	}
	while (i < len) {
		size_t start = ++i;	/* past the '/' */

		while (i < len && p[i] != '/')
			i++;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.')) {
			*why = "write the directory without \"//\", \".\" or "
			    "\"..\" (unix:/run/vnc)";
			return -1;
		}
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			*why = "a control character in the path";
			return -1;
		}
	}
	memcpy(out->path, p, len);
	out->path[len] = '\0';
	out->kind = ALLOW_UNIX;
	return 0;
}

int
allow_parse(const char *p, size_t len, struct allow_rule *out,
    const char **why)
{
	const char *colon, *host;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len >= 5 && strncmp(p, "unix:", 5) == 0)
		return allow_dir(p + 5, len - 5, out, why);
	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);
		const char *slash;
		char text[IPADDR_V6_TEXT_MAX + 5];

		if (close == NULL) {
			*why = "an IPv6 range is written [2001:db8::]/32:PORT";
			return -1;
		}
		colon = close + 1;
		slash = NULL;
		if (colon < p + len && *colon == '/') {
			slash = colon;
			while (colon < p + len && *colon != ':')
				colon++;
		}
		if (colon >= p + len || *colon != ':') {
			*why = "a port is needed: [2001:db8::]/32:5900 (or :* "
			    "for any port)";
			return -1;
		}
		hlen = (size_t)(close - p - 1) +
		    (slash != NULL ? (size_t)(colon - slash) : 0);
		if (hlen >= sizeof(text)) {
			*why = "not an IPv6 address or range";
			return -1;
		}
		memcpy(text, p + 1, (size_t)(close - p - 1));
		if (slash != NULL)
			memcpy(text + (close - p - 1), slash,
			    (size_t)(colon - slash));
		if (cidr_parse(text, hlen, &out->range, why) != 0)
			return -1;
		out->kind = ALLOW_RANGE;
		return allow_ports(colon + 1, len - (size_t)(colon + 1 - p),
		    &out->port_lo, &out->port_hi, why);
	}
	colon = NULL;
	for (size_t i = 0; i < len; i++)
		if (p[i] == ':')
			colon = p + i;
	if (colon == NULL) {
		*why = "a port is needed: HOST:PORT, RANGE:PORT or unix:DIR "
		    "(:* for any port)";
		return -1;
	}
	if (memchr(p, ':', (size_t)(colon - p)) != NULL) {
		*why = "write IPv6 in brackets: [2001:db8::1]:5900 or "
		    "[2001:db8::]/32:5900";
		return -1;
	}
	host = p;
	hlen = (size_t)(colon - p);
	if (allow_ports(colon + 1, len - hlen - 1, &out->port_lo,
	    &out->port_hi, why) != 0)
		return -1;
	if (hlen > 0 && (isdigit((unsigned char)host[0]) ||
	    memchr(host, '/', hlen) != NULL)) {
		bool digits = true;

		for (size_t i = 0; i < hlen && digits; i++)
			digits = isdigit((unsigned char)host[i]) ||
			    host[i] == '.' || host[i] == '/';
		if (digits) {
			if (cidr_parse(host, hlen, &out->range, why) != 0)
				return -1;
			out->kind = ALLOW_RANGE;
			return 0;
		}
	}
	if (hlen == 1 && host[0] == '*') {
		*why = "* would allow any host: list host names, *.domain "
		    "wildcards or address ranges";
		return -1;
	}
	if (!sni_pattern_valid(host, hlen, why))
		return -1;
	for (size_t i = 0; i < hlen; i++)
		out->name[i] = (char)tolower((unsigned char)host[i]);
	out->name[hlen] = '\0';
	out->kind = ALLOW_NAME;
	return 0;
}

int
allow_list_parse(const char *s, size_t len, struct allow_rule *out,
    size_t max, size_t *n, const char **why, size_t *at, size_t *atlen)
{
	size_t i = 0;

	*n = 0;
	while (i < len) {
		struct allow_rule r;
		size_t start;

		while (i < len && (s[i] == ',' || s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && s[i] != ',' && s[i] != ' ' && s[i] != '\t')
			i++;
		if (allow_parse(s + start, i - start, &r, why) != 0) {
			*at = start;
			*atlen = i - start;
			return -1;
		}
		if (*n < max)
			out[*n] = r;
		(*n)++;
	}
	return 0;
}

static bool
allow_port_in(const struct allow_rule *r, uint16_t port)
{
	return port >= r->port_lo && port <= r->port_hi;
}

bool
allow_address(const struct allow_rule *rules, size_t n,
    const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	uint16_t port;

	if (sa->sa_family == AF_INET) {
		memcpy(&ss, sa, sizeof(struct sockaddr_in));
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&ss, sa, sizeof(struct sockaddr_in6));
		ipaddr_unmap(&ss, &ss);
	} else {
		return false;
	}
	port = ss.ss_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)&ss)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	for (size_t i = 0; i < n; i++)
		if (rules[i].kind == ALLOW_RANGE &&
		    allow_port_in(&rules[i], port) &&
		    cidr_contains(&rules[i].range, (struct sockaddr *)&ss))
			return true;
	return false;
}

bool
allow_host(const struct allow_rule *rules, size_t n, const char *host,
    uint16_t port)
{
	struct sockaddr_storage ss;
	size_t hlen = strlen(host);

	if (ipaddr_parse(host, hlen, &ss) == 0) {
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		return allow_address(rules, n, (struct sockaddr *)&ss);
	}
	for (size_t i = 0; i < n; i++)
		if (rules[i].kind == ALLOW_NAME &&
		    allow_port_in(&rules[i], port) &&
		    sni_match(rules[i].name, host))
			return true;
	return false;
}

bool
allow_unix(const struct allow_rule *rules, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (rules[i].kind != ALLOW_UNIX)
			continue;
		len = strlen(rules[i].path);
		/* In the directory or below it: a prefix ending at a '/'
		 * (/run/vnc allows /run/vnc/a.sock, not /run/vnc2/a.sock).
		 * Callers pass normalised paths, so ".." cannot climb out. */
		if (strncmp(path, rules[i].path, len) == 0 &&
		    path[len] == '/' && path[len + 1] != '\0')
			return true;
	}
	return false;
}
