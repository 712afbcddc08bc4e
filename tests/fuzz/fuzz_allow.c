/* fuzz_allow.c -- libFuzzer target: allowed_targets lists and what they let through */
#include <arpa/inet.h>
#include <string.h>

#include "allow.h"

#include "fuzz.h"

/*
 * Input: a list value (allow_list_parse).  Checked for a list that
 * parses: counting and storing agree; every rule lets its own example
 * through (a name rule its name when not a wildcard, a range rule its
 * network address, a unix rule a socket in its directory) and only at
 * ports inside its range; a unix rule never lets through the directory
 * itself or a sibling whose name merely starts the same.
 */

#define MAX_RULES 32

static void
check_rule(const struct allow_rule *all, size_t n, const struct allow_rule *r)
{
	char path[ALLOW_PATH_MAX + 8];
	struct sockaddr_storage ss;

	if (r->kind != ALLOW_UNIX)
		FUZZ_CHECK(r->port_lo >= 1 && r->port_lo <= r->port_hi);
	switch (r->kind) {
	case ALLOW_NAME:
		if (r->name[0] != '*')
			FUZZ_CHECK(allow_host(r, 1, r->name, r->port_hi));
		if (r->port_lo > 1)
			FUZZ_CHECK(!allow_host(r, 1, r->name,
			    (uint16_t)(r->port_lo - 1)));
		break;
	case ALLOW_RANGE:
		memset(&ss, 0, sizeof(ss));
		if (r->range.family == CIDR_V4) {
			struct sockaddr_in *s = (struct sockaddr_in *)&ss;

			s->sin_family = AF_INET;
			memcpy(&s->sin_addr, r->range.addr, 4);
			s->sin_port = htons(r->port_lo);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

			s->sin6_family = AF_INET6;
			memcpy(&s->sin6_addr, r->range.addr, 16);
			s->sin6_port = htons(r->port_lo);
		}
		FUZZ_CHECK(allow_address(r, 1, (struct sockaddr *)&ss));
		FUZZ_CHECK(allow_address(all, n, (struct sockaddr *)&ss));
		break;
	case ALLOW_UNIX:
		FUZZ_CHECK(r->path[0] == '/' && strlen(r->path) > 1);
		snprintf(path, sizeof(path), "%s/s", r->path);
		FUZZ_CHECK(allow_unix(r, 1, path));
		FUZZ_CHECK(!allow_unix(r, 1, r->path));
		snprintf(path, sizeof(path), "%sx/s", r->path);
		FUZZ_CHECK(!allow_unix(r, 1, path));
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct allow_rule rules[MAX_RULES];
	const char *s = (const char *)data, *why = NULL;
	size_t n = 0, counted = 0, at = 0, atlen = 0;
	int rc;

	rc = allow_list_parse(s, size, NULL, 0, &counted, &why, &at, &atlen);
	if (rc != 0) {
		FUZZ_CHECK(why != NULL && at + atlen <= size && atlen > 0);
		return 0;
	}
	FUZZ_CHECK(allow_list_parse(s, size, rules, MAX_RULES, &n, &why, &at,
	    &atlen) == 0);
	FUZZ_CHECK(n == counted);
	for (size_t i = 0; i < n && i < MAX_RULES; i++)
		check_rule(rules, n < MAX_RULES ? n : MAX_RULES, &rules[i]);
	return 0;
}
