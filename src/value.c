/* value.c -- pure parsers for config values: sizes, booleans, addresses (durations: duration.c) */
#include "value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
value_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
value_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0') {
		end++;
		/* Accept "16MB"/"16MiB" too: users write them. */
		if ((end[0] == 'i' || end[0] == 'I') &&
		    (end[1] == 'b' || end[1] == 'B'))
			end += 2;
		else if (*end == 'b' || *end == 'B')
			end++;
		if (*end != '\0')
			return -1;
	}
	if (v > (UINT64_MAX >> 1) >> shift)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int
value_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
copy_part(char *dst, size_t dstsize, const char *src, size_t len)
{
	if (len >= dstsize)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* "[v6]" or "[v6%zone]": what libevent's resolver reads as an address
 * (a zone is an interface name or number). */
static bool
bracketed_ok(const char *h, size_t n, const char **why)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	const char *pct = memchr(h, '%', n);
	size_t alen = pct != NULL ? (size_t)(pct - h) : n;

	*why = "not an IPv6 address between the brackets";
	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, h, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return false;
	if (pct == NULL)
		return true;
	*why = "the zone after '%' must be an interface name or number, "
	       "e.g. [fe80::1%eth0]:port";
	if (n - alen - 1 == 0 || n - alen - 1 >= IF_NAMESIZE)
		return false;
	for (const char *c = pct + 1; c < h + n; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' &&
		    *c != '_')
			return false;
	return true;
}

/*
 * A backend host outside brackets: something a connect can reach.  What
 * only binding understands ("*", a zone) would pass a -t check and then
 * answer every upgrade with 502.  Names as the resolver takes them
 * (RFC 1035 2.3.4): labels of 1-63 characters, 253 in all, a final dot
 * allowed; all digits and dots must be a dotted-quad IPv4 address.
 */
static bool
backend_host_ok(const char *h, size_t n, const char **why)
{
	unsigned char addr[4];
	char buf[16];
	size_t label = 0;

	if (memchr(h, '*', n) != NULL) {
		*why = "\"*\" (any address) is for listen; a backend needs a "
		       "host name or an address to connect to";
		return false;
	}
	if (memchr(h, '%', n) != NULL) {
		*why = "a zone ('%') belongs to an IPv6 address in brackets, "
		       "e.g. [fe80::1%eth0]:port";
		return false;
	}
	if (strspn(h, "0123456789.") >= n) {
		*why = "not an IPv4 address (four numbers from 0 to 255, "
		       "e.g. 192.0.2.1)";
		if (n >= sizeof(buf))
			return false;
		memcpy(buf, h, n);
		buf[n] = '\0';
		return inet_pton(AF_INET, buf, addr) == 1;
	}
	if (n - (h[n - 1] == '.') > 253) {
		*why = "host name longer than 253 characters";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (h[i] != '.') {
			if (++label > 63) {
				*why = "a host name label (between dots) is at "
				       "most 63 characters";
				return false;
			}
			continue;
		}
		if (label == 0) {
			*why = "empty label in the host name (a leading dot "
			       "or \"..\")";
			return false;
		}
		label = 0;
	}
	return true;
}

int
value_hostport(const char *s, enum hostport_use use, char *host,
    size_t hostsize, char *port, size_t portsize, const char **why)
{
	bool allow_zero = use == HOSTPORT_LISTEN;
	bool bracketed = false;
	const char *colon, *h;
	size_t hlen;
	unsigned long p;

	*why = "expected host:port or [ipv6]:port";
	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		bracketed = true;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		h = s;
		hlen = (size_t)(colon - s);
		if (memchr(h, ':', hlen) != NULL) {
			*why = "IPv6 addresses must be written in brackets: "
			       "[::1]:port";
			return -1;
		}
	}
	if (hlen == 0) {
		*why = "missing host before ':'";
		return -1;
	}
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!(isalnum(c) || c == '.' || c == '-' || c == '_' ||
		    c == ':' || c == '*' || c == '%')) {
			*why = "host contains an invalid character";
			return -1;
		}
	}
	if (use == HOSTPORT_BACKEND && !(bracketed ?
	    bracketed_ok(h, hlen, why) : backend_host_ok(h, hlen, why)))
		return -1;
	if (value_uint(colon + 1, allow_zero ? 0 : 1, 65535, &p) != 0) {
		*why = allow_zero ? "port must be a number from 0 to 65535"
				  : "port must be a number from 1 to 65535";
		return -1;
	}
	if (copy_part(host, hostsize, h, hlen) != 0) {
		*why = "host name too long";
		return -1;
	}
	if (copy_part(port, portsize, colon + 1, strlen(colon + 1)) != 0) {
		*why = "port too long (leading zeros?)";
		return -1;
	}
	*why = NULL;
	return 0;
}
