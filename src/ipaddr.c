/* ipaddr.c -- pure: strict IP address and port text, and IPv4-mapped IPv6 */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <string.h>

int
ipaddr_parse4(const char *s, size_t len, struct in_addr *out)
{
	uint8_t b[4];
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			start = ++i;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return -1;
		b[part] = (uint8_t)v;
	}
	if (i != len)
		return -1;
	memcpy(&out->s_addr, b, 4);
	return 0;
}

int
ipaddr_parse6(const char *s, size_t len, struct in6_addr *out)
{
	char text[IPADDR_V6_TEXT_MAX + 1];
	size_t dot = len;

	if (len < 2 || len > IPADDR_V6_TEXT_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (dot == len)
				dot = i;
		} else if (!(c == ':' || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return -1;
		}
	}
	/*
	 * inet_pton() does the grouping and the "::" arithmetic; the dotted
	 * tail is checked here too, so the rule on leading zeros does not
	 * depend on the C library.
	 */
	if (dot != len) {
		size_t start = dot;
		struct in_addr v4;

		while (start > 0 && s[start - 1] != ':')
			start--;
		if (ipaddr_parse4(s + start, len - start, &v4) != 0)
			return -1;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

int
ipaddr_parse(const char *s, size_t len, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (memchr(s, ':', len) != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		sin6->sin6_family = AF_INET6;
		return ipaddr_parse6(s, len, &sin6->sin6_addr);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		sin->sin_family = AF_INET;
		return ipaddr_parse4(s, len, &sin->sin_addr);
	}
}

int
ipaddr_parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

bool
ipaddr_is_mapped(const struct in6_addr *a)
{
	static const uint8_t prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return memcmp(a->s6_addr, prefix, sizeof(prefix)) == 0;
}

void
ipaddr_unmap(const struct sockaddr_storage *in, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)in;
	struct sockaddr_in sin;

	if (in->ss_family != AF_INET6 || !ipaddr_is_mapped(&sin6->sin6_addr)) {
		if (out != in)
			memcpy(out, in, sizeof(*out));
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, sin6->sin6_addr.s6_addr + 12, 4);
	memset(out, 0, sizeof(*out));
	memcpy(out, &sin, sizeof(sin));
}
