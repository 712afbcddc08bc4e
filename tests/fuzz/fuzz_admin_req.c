/* fuzz_admin_req.c -- libFuzzer target: the metrics listener's requests; bounds of every result, and a round trip */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "admin_req.h"
#include "utf8.h"

#include "fuzz.h"

/*
 * Input: one byte choosing the method (of the list below), then the
 * request target.  Checked: an error is 400, 404 or 405 (with Allow) and
 * says why; a success has every field in range (limit, route, id, close
 * code, reason: UTF-8, no control characters, at most 123 bytes); and a
 * success written again as a target (%-escaping every byte) parses to the
 * same request.
 */

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "get", "", "GETS",
};

static void
escape(char *out, size_t room, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(out);

	for (size_t i = 0; i < n && o + 4 < room; i++) {
		unsigned char c = (unsigned char)p[i];

		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	const char *m = methods[fuzz_byte(&in) % 7];
	uint8_t *t = fuzz_dup(in.p, in.n);
	struct admin_req r, again;
	static char t2[2048];
	const char *why = NULL;
	int status = 0, rc;

	rc = admin_req_parse(m, strlen(m), (const char *)t, in.n, &r, &status,
	    &why);
	free(t);
	if (rc != 0) {
		FUZZ_CHECK(rc == CODEC_ERROR && why != NULL);
		FUZZ_CHECK(status == 400 || status == 404 || status == 405);
		FUZZ_CHECK(status != 405 || r.allow != NULL);
		return 0;
	}
	FUZZ_CHECK(r.head == (strcmp(m, "HEAD") == 0));
	switch (r.endpoint) {
	case ADMIN_METRICS:
	case ADMIN_HEALTHZ:
	case ADMIN_READYZ:
		return 0;
	case ADMIN_SESSIONS:
		FUZZ_CHECK(r.limit >= 1 && r.limit <= ADMIN_SESSIONS_MAX);
		FUZZ_CHECK(strlen(r.route) <= ADMIN_ROUTE_MAX);
		snprintf(t2, sizeof(t2), "/sessions?limit=%zu&route=", r.limit);
		escape(t2, sizeof(t2), r.route, strlen(r.route));
		break;
	case ADMIN_SESSION_CLOSE:
		FUZZ_CHECK(strcmp(m, "POST") == 0 && r.id != 0);
		FUZZ_CHECK(admin_close_code_valid(r.code));
		FUZZ_CHECK(r.reason_len <= ADMIN_REASON_MAX &&
		    r.reason[r.reason_len] == '\0' &&
		    strlen(r.reason) == r.reason_len);
		FUZZ_CHECK(utf8_valid((const uint8_t *)r.reason, r.reason_len));
		for (size_t i = 0; i < r.reason_len; i++)
			FUZZ_CHECK((unsigned char)r.reason[i] >= 0x20 &&
			    r.reason[i] != 0x7f);
		snprintf(t2, sizeof(t2), "/sessions/%llu/close?reason=",
		    (unsigned long long)r.id);
		escape(t2, sizeof(t2), r.reason, r.reason_len);
		snprintf(t2 + strlen(t2), sizeof(t2) - strlen(t2), "&code=%u",
		    r.code);
		break;
	default:
		FUZZ_CHECK(0);
	}
	rc = admin_req_parse(m, strlen(m), t2, strlen(t2), &again, &status,
	    &why);
	FUZZ_CHECK(rc == 0 && again.endpoint == r.endpoint);
	FUZZ_CHECK(again.limit == r.limit && strcmp(again.route, r.route) == 0);
	FUZZ_CHECK(again.id == r.id && again.code == r.code);
	FUZZ_CHECK(again.reason_len == r.reason_len &&
	    memcmp(again.reason, r.reason, r.reason_len) == 0);
	return 0;
}
