/* cidr.c -- pure: CIDR ranges and address lists: parse, match, per-client keys */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ipaddr.h"

/* Clear the bits after prefix; whether any was set. */
static bool
mask(uint8_t addr[16], unsigned prefix)
{
	bool had = false;

	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 :
		    prefix > 8 * i ? prefix - 8 * i : 0;
		uint8_t m = (uint8_t)(0xff00u >> keep);

		if (addr[i] & ~m)
			had = true;
		addr[i] &= m;
	}
	return had;
}

/* The family and bytes of an IP socket address (mapped IPv6 as IPv4). */
static int
key_of(const struct sockaddr *sa, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		memcpy(addr, &sin->sin_addr, 4);
		*family = CIDR_V4;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		if (ipaddr_is_mapped(&sin6->sin6_addr)) {
			memcpy(addr, sin6->sin6_addr.s6_addr + 12, 4);
			*family = CIDR_V4;
		} else {
			memcpy(addr, &sin6->sin6_addr, 16);
			*family = CIDR_V6;
		}
	} else {
		return -1;
	}
	return 0;
}

int
cidr_parse(const char *s, size_t len, struct cidr *out, const char **why)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	struct sockaddr_storage ss;
	unsigned prefix, max;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		*why = "empty address range";
		return -1;
	}
	if (ipaddr_parse(s, alen, &ss) != 0) {
		*why = "not an IPv4 or IPv6 address (a range is written "
		    "ADDRESS/PREFIX, as 10.0.0.0/8 or 2001:db8::/32)";
		return -1;
	}
	max = ss.ss_family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		uint16_t v;

		/* Same digits rule as a port: decimal, no leading zeros. */
		if (ipaddr_parse_port(slash + 1, len - alen - 1, &v) != 0 ||
		    v > max) {
			*why = max == 32 ? "prefix length is not a number "
			    "0-32 (IPv4)" : "prefix length is not a number "
			    "0-128 (IPv6)";
			return -1;
		}
		prefix = v;
	}
	key_of((const struct sockaddr *)&ss, &out->family, out->addr);
	if (max == 128 && out->family == CIDR_V4) {
		/* ::ffff:a.b.c.d/p covers IPv4 addresses only if p >= 96. */
		if (prefix < 96) {
			memcpy(out->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr,
			    16);
			out->family = CIDR_V6;
		} else {
			prefix -= 96;
		}
	}
	out->prefix = (uint8_t)prefix;
	if (mask(out->addr, prefix)) {
		*why = "host bits are set after the prefix length (write the "
		    "network address)";
		return -1;
	}
	return 0;
}

static bool
list_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
cidr_list_parse(const char *s, size_t len, struct cidr *out, size_t max,
    size_t *n, struct cidr_error *err)
{
	size_t i = 0;

	*n = 0;
	memset(err, 0, sizeof(*err));
	while (i < len) {
		size_t start;
		struct cidr c;

		while (i < len && list_sep(s[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !list_sep(s[i]))
			i++;
		if (cidr_parse(s + start, i - start, &c, &err->why) != 0) {
			err->at = start;
			err->len = i - start;
			return -1;
		}
		if (*n < max)
			out[*n] = c;
		(*n)++;
	}
	return 0;
}

bool
cidr_contains(const struct cidr *c, const struct sockaddr *sa)
{
	uint8_t addr[16], family;

	if (key_of(sa, &family, addr) != 0 || family != c->family)
		return false;
	mask(addr, c->prefix);
	return memcmp(addr, c->addr, 16) == 0;
}

bool
cidr_match(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&list[i], sa))
			return true;
	return false;
}

int
cidr_group(const struct sockaddr *sa, unsigned prefix4, unsigned prefix6,
    struct cidr *key)
{
	memset(key, 0, sizeof(*key));
	if (prefix4 > 32 || prefix6 > 128 ||
	    key_of(sa, &key->family, key->addr) != 0)
		return -1;
	key->prefix = (uint8_t)(key->family == CIDR_V4 ? prefix4 : prefix6);
	mask(key->addr, key->prefix);
	return 0;
}

const char *
cidr_format(const struct cidr *c, char *out, size_t outsize)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(c->family == CIDR_V4 ? AF_INET : AF_INET6, c->addr, host,
	    sizeof(host));
	snprintf(out, outsize, "%s/%u", host, c->prefix);
	return out;
}
