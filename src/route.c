/* route.c -- pure route selection and Origin allowlist matching */
#include "route.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sni.h"

struct route *
route_find(const struct config *cfg, const char *path, size_t len)
{
	struct route *any = NULL;

	/* Few routes per gateway: a scan beats a hash on cache behaviour. */
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];

		if (strlen(r->path) == len && memcmp(r->path, path, len) == 0)
			return r;
		if (route_any_path(r))
			any = r;
	}
	return any;
}

bool
route_any_path(const struct route *r)
{
	return r->path[0] == '*';
}

size_t
route_host_name(const char *host, size_t len, char *out, size_t outsize)
{
	size_t n = len;

	if (len > 0 && host[0] == '[') {
		const char *close = memchr(host, ']', len);

		n = close != NULL ? (size_t)(close - host) + 1 : len;
	} else {
		const char *colon = memchr(host, ':', len);

		if (colon != NULL)
			n = (size_t)(colon - host);
	}
	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n >= outsize)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[n] = '\0';
	return n;
}

/* How well route r's hosts match host: 3 the name itself, 2 a wildcard,
 * 1 no hosts (any), 0 not at all. */
static int
route_host_rank(const struct route *r, const char *host)
{
	int best = 0;

	if (r->nhosts == 0)
		return 1;
	if (host == NULL)
		return 0;
	for (size_t i = 0; i < r->nhosts && best < 3; i++) {
		if (r->hosts[i][0] != '*' && strcmp(r->hosts[i], host) == 0)
			best = 3;
		else if (r->hosts[i][0] == '*' && best < 2 &&
		    sni_match(r->hosts[i], host))
			best = 2;
	}
	return best;
}

/* Among the routes of path[0..len) (any: those of "*"), the one whose
 * hosts match host best; *taken: there is some route of that path. */
static struct route *
route_best_host(const struct config *cfg, const char *path, size_t len,
    bool any, const char *host, bool *host_routed, bool *taken)
{
	struct route *best = NULL;
	int rank = 0;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];
		int k;

		if (any ? !route_any_path(r) : strlen(r->path) != len ||
		    memcmp(r->path, path, len) != 0)
			continue;
		*taken = true;
		if (r->nhosts > 0)
			*host_routed = true;
		k = route_host_rank(r, host);
		if (k > rank) {
			best = r;
			rank = k;
		}
	}
	return best;
}

struct route *
route_find_host(const struct config *cfg, const char *path, size_t len,
    const char *host, bool *host_routed)
{
	bool taken = false;
	struct route *r;

	*host_routed = false;
	r = route_best_host(cfg, path, len, false, host, host_routed, &taken);
	/* A path no route has: the routes of "*" take it. */
	if (!taken)
		r = route_best_host(cfg, path, len, true, host, host_routed,
		    &taken);
	return r;
}

static bool
default_port(const char *scheme, size_t slen, const char *port, size_t plen)
{
	if (plen == 2 && memcmp(port, "80", 2) == 0)
		return (slen == 4 && strncasecmp(scheme, "http", 4) == 0) ||
		    (slen == 2 && strncasecmp(scheme, "ws", 2) == 0);
	if (plen == 3 && memcmp(port, "443", 3) == 0)
		return (slen == 5 && strncasecmp(scheme, "https", 5) == 0) ||
		    (slen == 3 && strncasecmp(scheme, "wss", 3) == 0);
	return false;
}

int
origin_normalize(const char *in, size_t len, char *out, size_t outsize,
    const char **why)
{
	const char *p = in, *end = in + len;
	const char *host, *hend, *port = NULL;
	size_t slen, hlen, plen = 0, o = 0;

	*why = "not an origin: expected scheme://host[:port]";
	if (len == 4 && strncasecmp(in, "null", 4) == 0) {
		if (outsize < 5)
			return -1;
		memcpy(out, "null", 5);
		return 0;
	}
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (p == end || !isalpha((unsigned char)*p))
		return -1;
	while (p < end && (isalnum((unsigned char)*p) || *p == '+' ||
	    *p == '-' || *p == '.'))
		p++;
	slen = (size_t)(p - in);
	if (end - p < 3 || memcmp(p, "://", 3) != 0)
		return -1;
	host = p + 3;
	if (host < end && *host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (hend == NULL || hend == host + 1)
			return -1;
		for (const char *c = host + 1; c < hend; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':' &&
			    *c != '.')
				return -1;
		hend++;
	} else {
		hend = host;
		while (hend < end && (isalnum((unsigned char)*hend) ||
		    *hend == '-' || *hend == '.' || *hend == '_'))
			hend++;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0)
		return -1;
	p = hend;
	if (p < end && *p == ':') {
		port = ++p;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		plen = (size_t)(p - port);
		if (plen == 0 || plen > 5) {
			*why = "origin has an invalid port";
			return -1;
		}
		/* Drop leading zeros so ":08080" equals ":8080". */
		while (plen > 1 && *port == '0') {
			port++;
			plen--;
		}
		/* Same length, so a string compare is a numeric one. */
		if (plen == 5 && memcmp(port, "65535", 5) > 0) {
			*why = "origin has an invalid port";
			return -1;
		}
	}
	if (p != end) {
		*why = (*p == '/') ? "an origin has no path: write only "
				     "scheme://host[:port]"
				   : "not an origin: expected "
				     "scheme://host[:port]";
		return -1;
	}
	if (port != NULL && default_port(in, slen, port, plen))
		port = NULL;
	if (slen + 3 + hlen + (port != NULL ? 1 + plen : 0) + 1 > outsize) {
		*why = "origin too long";
		return -1;
	}
	for (size_t i = 0; i < slen; i++)
		out[o++] = (char)tolower((unsigned char)in[i]);
	memcpy(out + o, "://", 3);
	o += 3;
	for (size_t i = 0; i < hlen; i++)
		out[o++] = (char)tolower((unsigned char)host[i]);
	if (port != NULL) {
		out[o++] = ':';
		memcpy(out + o, port, plen);
		o += plen;
	}
	out[o] = '\0';
	*why = NULL;
	return 0;
}

bool
route_origin_allowed(const struct route *r, const char *origin, size_t len)
{
	char norm[ORIGIN_MAX];
	const char *why;

	if (r->origin_any)
		return true;
	if (origin_normalize(origin, len, norm, sizeof(norm), &why) != 0)
		return false;
	for (size_t i = 0; i < r->norigins; i++)
		if (strcmp(r->origins[i], norm) == 0)
			return true;
	return false;
}
