/* fuzz_probe.c -- libFuzzer target: wsgate --probe's URL and status line parsers */
#include <string.h>

#include "probe_http.h"

#include "fuzz.h"

/*
 * Input: the first line is a URL for probe_http_url(); the rest is what a
 * server answers, for probe_http_status(), whole and as every prefix up
 * to the line end.
 */

static void
check_url(const char *line, size_t len)
{
	char *url = malloc(len + 1);
	struct probe_url u;
	char req[2048];
	const char *why = NULL;

	FUZZ_CHECK(url != NULL);
	memcpy(url, line, len);
	url[len] = '\0';
	if (probe_http_url(url, &u, &why) == 0) {
		FUZZ_CHECK(why == NULL);
		FUZZ_CHECK(u.host[0] != '\0' && u.port[0] != '\0');
		FUZZ_CHECK(u.path[0] == '/');
		/* Nothing that could end the request line or add a header. */
		for (const char *p = u.path; *p != '\0'; p++)
			FUZZ_CHECK(*p > ' ' && *p < 0x7f && *p != '#');
		for (const char *p = u.authority; *p != '\0'; p++)
			FUZZ_CHECK(*p > ' ' && *p < 0x7f && *p != '/');
		FUZZ_CHECK(probe_http_request(&u, req, sizeof(req)) > 0);
	} else {
		FUZZ_CHECK(why != NULL);
	}
	free(url);
}

static void
check_status(const uint8_t *data, size_t len)
{
	char *buf = (char *)fuzz_dup(data, len);
	size_t off = 0, rlen = 0;
	int status = 0, rc;
	const char *why = NULL;

	rc = probe_http_status(buf, len, &status, &off, &rlen, &why);
	if (rc >= 0) {
		FUZZ_CHECK((size_t)rc <= len && rc <= PROBE_STATUS_MAX);
		FUZZ_CHECK(buf[rc - 1] == '\n');
		FUZZ_CHECK(status >= 100 && status <= 999);
		FUZZ_CHECK(off + rlen < (size_t)rc);
		FUZZ_CHECK(memchr(buf + off, '\n', rlen) == NULL);
		/* A shorter prefix is never a success. */
		for (size_t n = 0; n < (size_t)rc; n++)
			FUZZ_CHECK(probe_http_status(buf, n, &status, &off,
			    &rlen, &why) < 0);
	} else if (rc == CODEC_NEED_MORE) {
		FUZZ_CHECK(len < PROBE_STATUS_MAX);
	} else {
		FUZZ_CHECK(rc == CODEC_ERROR && why != NULL);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ulen = nl != NULL ? (size_t)(nl - data) : size;

	if (memchr(data, '\0', ulen) == NULL)
		check_url((const char *)data, ulen);
	if (nl != NULL)
		check_status(nl + 1, size - ulen - 1);
	return 0;
}
