/* fuzz_forwarded.c -- libFuzzer target: Forwarded / X-Forwarded-For walks and the CIDR lists that drive them */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "cidr.h"
#include "forwarded.h"

#include "fuzz.h"

/*
 * Input: lines.  The first is a trusted_proxies list (cidr_list_parse);
 * the others are header instances, given to both forwarded_rfc7239 and
 * forwarded_xff.  Checked:
 *  - ranges print and parse back to themselves and hold their network;
 *  - a result is consistent with the trusted list: the client is
 *    untrusted unless every entry was, a hidden client's proxy is
 *    trusted, at most FORWARDED_MAX_HOPS hops;
 *  - what lies left of where the walk stops is never read: a garbage
 *    instance put in front changes nothing (nor, for X-Forwarded-For,
 *    garbage entries in front of the first instance).
 */

#define MAX_RANGES 16
#define MAX_FIELDS 8

typedef int (*walk_fn)(const struct forwarded_field *, size_t,
    const struct cidr *, size_t, struct forwarded_result *, const char **);

static void
check_ranges(const struct cidr *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char text[CIDR_STRLEN];
		struct cidr back;
		struct sockaddr_storage ss;
		const char *why;

		cidr_format(&list[i], text, sizeof(text));
		FUZZ_CHECK(cidr_parse(text, strlen(text), &back, &why) == 0);
		FUZZ_CHECK(memcmp(&back, &list[i], sizeof(back)) == 0);
		/* The network address is in its own range. */
		memset(&ss, 0, sizeof(ss));
		if (list[i].family == CIDR_V4) {
			struct sockaddr_in *s = (struct sockaddr_in *)&ss;

			s->sin_family = AF_INET;
			memcpy(&s->sin_addr, list[i].addr, 4);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

			s->sin6_family = AF_INET6;
			memcpy(&s->sin6_addr, list[i].addr, 16);
		}
		FUZZ_CHECK(cidr_contains(&list[i], (struct sockaddr *)&ss));
	}
}

static bool
same_result(const struct forwarded_result *a,
    const struct forwarded_result *b)
{
	return a->kind == b->kind && a->hops == b->hops &&
	    a->all_trusted == b->all_trusted &&
	    memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

static void
run(walk_fn fn, const struct forwarded_field *f, size_t nf,
    const struct cidr *trusted, size_t nt)
{
	struct forwarded_result res, again;
	struct forwarded_field more[MAX_FIELDS + 1];
	const struct sockaddr *addr = (const struct sockaddr *)&res.addr;
	const char *why = NULL;
	int r = fn(f, nf, trusted, nt, &res, &why);

	if (r != 0) {
		FUZZ_CHECK(r == CODEC_ERROR && why != NULL && why[0] != '\0');
		return;
	}
	FUZZ_CHECK(res.hops <= FORWARDED_MAX_HOPS);
	switch (res.kind) {
	case FORWARDED_NONE:
		FUZZ_CHECK(res.hops == 0 && res.addr.ss_family == AF_UNSPEC);
		return;
	case FORWARDED_CLIENT:
		FUZZ_CHECK(res.addr.ss_family == AF_INET ||
		    res.addr.ss_family == AF_INET6);
		FUZZ_CHECK(cidr_match(trusted, nt, addr) == res.all_trusted);
		if (res.all_trusted)
			return;		/* the walk read every entry */
		break;
	case FORWARDED_HIDDEN:
		FUZZ_CHECK(!res.all_trusted);
		FUZZ_CHECK((res.addr.ss_family == AF_UNSPEC) ==
		    (res.hops == 0));
		if (res.hops > 0)
			FUZZ_CHECK(cidr_match(trusted, nt, addr));
		break;
	default:
		FUZZ_CHECK(!"unknown kind");
	}
	/* The stop was reached before the leftmost instance's start: an
	 * instance in front is never read. */
	more[0].p = "\"<garbage, for=\"\\";
	more[0].n = strlen(more[0].p);
	memcpy(more + 1, f, nf * sizeof(*f));
	FUZZ_CHECK(fn(more, nf + 1, trusted, nt, &again, &why) == 0);
	FUZZ_CHECK(same_result(&res, &again));
	/* Same result when called again: no hidden state. */
	FUZZ_CHECK(fn(f, nf, trusted, nt, &again, &why) == 0);
	FUZZ_CHECK(same_result(&res, &again));
	{
		struct cidr key;

		if (res.addr.ss_family != AF_UNSPEC) {
			FUZZ_CHECK(cidr_group(addr, 32, 64, &key) == 0);
			FUZZ_CHECK(cidr_contains(&key, addr));
		}
	}
}

/* X-Forwarded-For only: junk entries before the first instance's own. */
static void
run_xff_prefixed(const struct forwarded_field *f, size_t nf,
    const struct cidr *trusted, size_t nt)
{
	struct forwarded_result res, again;
	struct forwarded_field more[MAX_FIELDS];
	const char *why;
	char *joined;

	if (nf == 0 || forwarded_xff(f, nf, trusted, nt, &res, &why) != 0 ||
	    res.kind == FORWARDED_NONE ||
	    (res.kind == FORWARDED_CLIENT && res.all_trusted))
		return;
	joined = malloc(f[0].n + 16);
	FUZZ_CHECK(joined != NULL);
	memcpy(joined, "x y z, [::1", 11);
	joined[11] = ',';
	memcpy(joined + 12, f[0].p, f[0].n);
	memcpy(more, f, nf * sizeof(*f));
	more[0].p = joined;
	more[0].n = f[0].n + 12;
	FUZZ_CHECK(forwarded_xff(more, nf, trusted, nt, &again, &why) == 0);
	FUZZ_CHECK(same_result(&res, &again));
	free(joined);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *nl = memchr(p, '\n', size);
	struct cidr trusted[MAX_RANGES];
	struct forwarded_field f[MAX_FIELDS];
	struct cidr_error err;
	size_t nt = 0, nf = 0, first = nl != NULL ? (size_t)(nl - p) : size;
	char *copy;

	if (cidr_list_parse(p, first, trusted, MAX_RANGES, &nt, &err) != 0) {
		FUZZ_CHECK(err.why != NULL && err.at + err.len <= first &&
		    err.len > 0);
		nt = 0;
	} else if (nt > MAX_RANGES) {
		nt = MAX_RANGES;
	}
	check_ranges(trusted, nt);
	if (nl == NULL)
		return 0;
	/* The header values, each in a buffer of its own exact size. */
	copy = (char *)fuzz_dup(nl + 1, (size_t)(end - nl - 1));
	p = copy;
	end = copy + (end - nl - 1);
	while (nf < MAX_FIELDS) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		f[nf].p = p;
		f[nf].n = (size_t)((e != NULL ? e : end) - p);
		nf++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	run(forwarded_rfc7239, f, nf, trusted, nt);
	run(forwarded_xff, f, nf, trusted, nt);
	run_xff_prefixed(f, nf, trusted, nt);
	free(copy);
	return 0;
}
