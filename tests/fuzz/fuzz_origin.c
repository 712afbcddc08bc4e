/* fuzz_origin.c -- libFuzzer target: Origin normalisation is idempotent and the allowlist agrees with it; Host names as routes compare them */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "route.h"

#include "fuzz.h"

/*
 * Input: lines.  The first is the Origin a client sends; the others make
 * a route's allowlist, normalised as config.c does ("*" allows any).
 */

#define MAX_ALLOW 8

/* Normalise into a buffer of exactly outsize bytes (ASan sees overruns). */
static int
norm(const char *in, size_t len, size_t outsize, char *res,
    const char **why)
{
	char *out = malloc(outsize != 0 ? outsize : 1);
	int rc;

	FUZZ_CHECK(out != NULL);
	*why = NULL;
	rc = origin_normalize(in, len, out, outsize, why);
	if (rc == 0) {
		FUZZ_CHECK(memchr(out, '\0', outsize) != NULL);
		FUZZ_CHECK(strlen(out) < ORIGIN_MAX);
		strcpy(res, out);
	} else {
		FUZZ_CHECK(rc == -1 && *why != NULL);
	}
	free(out);
	return rc;
}

static void
check_origin(const char *in, size_t len)
{
	char a[ORIGIN_MAX], b[ORIGIN_MAX], up[ORIGIN_MAX], *upper;
	const char *why;
	size_t n;

	if (norm(in, len, ORIGIN_MAX, a, &why) != 0)
		return;
	n = strlen(a);
	/* Idempotent: a normalised origin is its own normal form. */
	FUZZ_CHECK(norm(a, n, ORIGIN_MAX, b, &why) == 0);
	FUZZ_CHECK(strcmp(a, b) == 0);
	/* Fits exactly in n + 1 bytes, not in n. */
	FUZZ_CHECK(norm(in, len, n + 1, b, &why) == 0 && strcmp(a, b) == 0);
	FUZZ_CHECK(norm(in, len, n, b, &why) == -1);
	/* Lower case throughout, no default port left. */
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(!isupper((unsigned char)a[i]));
	FUZZ_CHECK(n < 3 || strcmp(a + n - 3, ":80") != 0 ||
	    (strncmp(a, "http://", 7) != 0 && strncmp(a, "ws://", 5) != 0));
	FUZZ_CHECK(n < 4 || strcmp(a + n - 4, ":443") != 0 ||
	    (strncmp(a, "https://", 8) != 0 && strncmp(a, "wss://", 6) != 0));
	/* Scheme and host are case-insensitive (RFC 6454 4). */
	upper = (char *)fuzz_dup(in, len);
	for (size_t i = 0; i < len; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	FUZZ_CHECK(norm(upper, len, ORIGIN_MAX, up, &why) == 0);
	FUZZ_CHECK(strcmp(a, up) == 0);
	free(upper);
}

/* route_host_name: a client's Host value, as hosts compares it. */
static void
check_host(const char *in, size_t len)
{
	char *out = malloc(ROUTE_HOST_MAX), again[ROUTE_HOST_MAX + 8];
	size_t n;

	FUZZ_CHECK(out != NULL);
	n = route_host_name(in, len, out, ROUTE_HOST_MAX);
	if (n == 0) {
		free(out);
		return;
	}
	FUZZ_CHECK(n < ROUTE_HOST_MAX && strlen(out) <= n && n <= len);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(!isupper((unsigned char)out[i]));
	/* No port is left outside brackets, and the name is its own
	 * normal form, with or without a port added (one final dot is
	 * dropped: "a.." is "a.", then "a"). */
	if (memchr(out, '\0', n) == NULL && out[0] != '[' &&
	    out[n - 1] != '.') {
		FUZZ_CHECK(memchr(out, ':', n) == NULL);
		FUZZ_CHECK(route_host_name(out, n, again, sizeof(again)) ==
		    n && memcmp(again, out, n) == 0);
		memcpy(again, out, n);
		memcpy(again + n, ":443", 4);
		FUZZ_CHECK(route_host_name(again, n + 4, again,
		    sizeof(again)) == n && memcmp(again, out, n) == 0);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *lines[1 + MAX_ALLOW];
	size_t lens[1 + MAX_ALLOW], nlines = 0;
	char *storage[MAX_ALLOW];
	struct route r;
	char norm_origin[ORIGIN_MAX];
	bool origin_ok, want;
	const char *why;

	while (nlines < 1 + MAX_ALLOW) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		lines[nlines] = p;
		lens[nlines] = (size_t)((nl != NULL ? nl : end) - p);
		nlines++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (size_t i = 0; i < nlines; i++) {
		check_origin(lines[i], lens[i]);
		check_host(lines[i], lens[i]);
	}

	memset(&r, 0, sizeof(r));
	r.origins = storage;
	for (size_t i = 1; i < nlines; i++) {
		char tmp[ORIGIN_MAX];

		if (lens[i] == 1 && lines[i][0] == '*')
			r.origin_any = true;
		else if (norm(lines[i], lens[i], ORIGIN_MAX, tmp, &why) == 0)
			storage[r.norigins++] = strdup(tmp);
	}
	for (size_t i = 0; i < r.norigins; i++)
		FUZZ_CHECK(storage[i] != NULL);

	origin_ok = norm(lines[0], lens[0], ORIGIN_MAX, norm_origin,
	    &why) == 0;
	want = r.origin_any;
	for (size_t i = 0; origin_ok && i < r.norigins; i++)
		want = want || strcmp(storage[i], norm_origin) == 0;
	FUZZ_CHECK(route_origin_allowed(&r, lines[0], lens[0]) == want);
	/* Every listed origin is allowed as written and normalised. */
	for (size_t i = 1; i < nlines; i++) {
		char tmp[ORIGIN_MAX];

		if (norm(lines[i], lens[i], ORIGIN_MAX, tmp, &why) == 0) {
			FUZZ_CHECK(route_origin_allowed(&r, lines[i],
			    lens[i]));
			FUZZ_CHECK(route_origin_allowed(&r, tmp,
			    strlen(tmp)));
		}
	}
	for (size_t i = 0; i < r.norigins; i++)
		free(storage[i]);
	return 0;
}
