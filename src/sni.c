/* sni.c -- pure: server_names patterns and choosing a certificate by SNI name */
#include "sni.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

bool
sni_pattern_valid(const char *p, size_t len, const char **why)
{
	size_t label = 0;

	*why = NULL;
	if (len == 0 || len > SNI_NAME_MAX) {
		*why = "a server name has 1 to 253 characters";
		return false;
	}
	if (len >= 2 && p[0] == '*' && p[1] == '.') {
		p += 2;
		len -= 2;
		if (len == 0) {
			*why = "a wildcard needs a domain after \"*.\"";
			return false;
		}
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				break;
			label = 0;
			continue;
		}
		if (c == '*') {
			*why = "\"*\" is only allowed as the whole first label "
			    "(*.example.com)";
			return false;
		}
		if (!isalnum(c) && c != '-' && c != '_') {
			*why = "a server name has only letters, digits, '-', "
			    "'_' and dots";
			return false;
		}
		if (++label > 63) {
			*why = "a label is longer than 63 characters";
			return false;
		}
	}
	if (label == 0) {
		*why = "empty label (leading, trailing or double dot)";
		return false;
	}
	return true;
}

bool
sni_match(const char *pattern, const char *name)
{
	const char *dot;

	if (pattern[0] != '*')
		return strcasecmp(pattern, name) == 0;
	/* "*.rest": name must be "label.rest" with a non-empty label. */
	dot = strchr(name, '.');
	if (dot == NULL || dot == name)
		return false;
	return strcasecmp(pattern + 1, dot) == 0;
}

int
sni_select(const struct tls_cert_spec *specs, size_t n, const char *name)
{
	int wild = -1;

	if (name == NULL || name[0] == '\0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < specs[i].nserver_names; j++) {
			const char *p = specs[i].server_names[j];

			if (!sni_match(p, name))
				continue;
			if (p[0] != '*')
				return (int)i;
			if (wild < 0)
				wild = (int)i;
		}
	}
	return wild;
}

int
sni_from_extension(const unsigned char *ext, size_t len, char *out,
    size_t outsize)
{
	size_t list, name;

	/* struct { opaque list<1..2^16-1> } of { u8 type; opaque
	 * host<1..2^16-1> }: one entry, so the name ends the list. */
	if (outsize <= SNI_HOST_MAX || len < 2)
		return CODEC_ERROR;
	list = (size_t)ext[0] << 8 | ext[1];
	if (list != len - 2 || list < 3 || ext[2] != 0)
		return CODEC_ERROR;
	name = (size_t)ext[3] << 8 | ext[4];
	if (name != list - 3 || name == 0 || name > SNI_HOST_MAX ||
	    memchr(ext + 5, '\0', name) != NULL)
		return CODEC_ERROR;
	memcpy(out, ext + 5, name);
	out[name] = '\0';
	return 0;
}
