/* admin_req.c -- pure: the requests of the metrics listener (/metrics, /healthz, /readyz, /sessions, POST /sessions/ID/close) */
#include "admin_req.h"

#include <string.h>

#include "utf8.h"

static bool
is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(p, word, n) == 0;
}

bool
admin_close_code_valid(unsigned long code)
{
	return code == 1000 || code == 1001 || code == 1008 ||
	    (code >= 3000 && code <= 4999);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %-decode p[0..n) into out (room bytes); its length, or -1 for a bad
 * escape or no room. */
static long
decode(const char *p, size_t n, char *out, size_t room)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = hexval(p[i + 1])) < 0 ||
			    (lo = hexval(p[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o == room)
			return -1;
		out[o++] = c;
	}
	return (long)o;
}

/* A decimal number of 1-digits digits, no leading zero (but "0"), no
 * sign; -1 otherwise or above max. */
static int
number(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 20 || (p[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

#define FAIL(st, w)                                                           \
	do {                                                                  \
		*status = (st);                                               \
		*why = (w);                                                   \
		return CODEC_ERROR;                                           \
	} while (0)

/* One query parameter of /sessions or /sessions/ID/close. */
static int
take_param(struct admin_req *out, const char *name, size_t nlen,
    const char *val, size_t vlen, unsigned *seen, int *status,
    const char **why)
{
	char buf[ADMIN_ROUTE_MAX + 1] = "";
	unsigned bit = 0;
	uint64_t v;
	long n;

	if (out->endpoint == ADMIN_SESSIONS && is(name, nlen, "limit"))
		bit = 1;
	else if (out->endpoint == ADMIN_SESSIONS && is(name, nlen, "route"))
		bit = 2;
	else if (out->endpoint == ADMIN_SESSION_CLOSE && is(name, nlen, "code"))
		bit = 4;
	else if (out->endpoint == ADMIN_SESSION_CLOSE &&
	    is(name, nlen, "reason"))
		bit = 8;
	else
		FAIL(400, "unknown query parameter");
	if (*seen & bit)
		FAIL(400, "query parameter given twice");
	*seen |= bit;
	n = decode(val, vlen, buf, bit == 8 ? ADMIN_REASON_MAX :
	    ADMIN_ROUTE_MAX);
	if (n < 0)
		FAIL(400, bit == 8 ? "reason: longer than 123 bytes or a bad "
		    "%-escape" : "bad %-escape or value too long");
	switch (bit) {
	case 1:
		if (number(buf, (size_t)n, ADMIN_SESSIONS_MAX, &v) != 0 ||
		    v == 0)
			FAIL(400, "limit: expected a number from 1 to 10000");
		out->limit = (size_t)v;
		return 0;
	case 2:
		if (memchr(buf, '\0', (size_t)n) != NULL)
			FAIL(400, "route: NUL byte");
		memcpy(out->route, buf, (size_t)n);
		out->route[n] = '\0';
		return 0;
	case 4:
		if (number(buf, (size_t)n, 4999, &v) != 0 ||
		    !admin_close_code_valid((unsigned long)v))
			FAIL(400, "code: expected 1000, 1001, 1008 or "
			    "3000-4999");
		out->code = (unsigned)v;
		return 0;
	default:
		if (!utf8_valid((const uint8_t *)buf, (size_t)n))
			FAIL(400, "reason: not UTF-8");
		for (long i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
				FAIL(400, "reason: control character");
		memcpy(out->reason, buf, (size_t)n);
		out->reason[n] = '\0';
		out->reason_len = (size_t)n;
		return 0;
	}
}

static int
parse_query(struct admin_req *out, const char *q, size_t n, int *status,
    const char **why)
{
	unsigned seen = 0;
	size_t i = 0;

	while (i < n) {
		const char *pair = q + i, *amp = memchr(pair, '&', n - i);
		size_t plen = amp != NULL ? (size_t)(amp - pair) : n - i;
		const char *eq = memchr(pair, '=', plen);
		size_t nlen = eq != NULL ? (size_t)(eq - pair) : plen;

		/* Empty pairs ("a=1&&b=2", a trailing '&') are nothing. */
		if (plen > 0 && take_param(out, pair, nlen,
		    eq != NULL ? eq + 1 : pair + plen,
		    eq != NULL ? plen - nlen - 1 : 0, &seen, status, why) != 0)
			return CODEC_ERROR;
		i += plen + 1;
	}
	return 0;
}

int
admin_req_parse(const char *method, size_t mlen, const char *target,
    size_t tlen, struct admin_req *out, int *status, const char **why)
{
	const char *q = memchr(target, '?', tlen);
	size_t plen = q != NULL ? (size_t)(q - target) : tlen;
	bool get = is(method, mlen, "GET"), head = is(method, mlen, "HEAD");
	bool post = is(method, mlen, "POST");

	memset(out, 0, sizeof(*out));
	out->limit = ADMIN_SESSIONS_DEFAULT;
	out->code = 1000;
	if (tlen == 0 || target[0] != '/')
		FAIL(400, "the request target must be a path");
	if (is(target, plen, "/metrics")) {
		out->endpoint = ADMIN_METRICS;
	} else if (is(target, plen, "/healthz")) {
		out->endpoint = ADMIN_HEALTHZ;
	} else if (is(target, plen, "/readyz")) {
		out->endpoint = ADMIN_READYZ;
	} else if (is(target, plen, "/sessions")) {
		out->endpoint = ADMIN_SESSIONS;
	} else if (plen > 16 && memcmp(target, "/sessions/", 10) == 0 &&
	    memcmp(target + plen - 6, "/close", 6) == 0) {
		if (number(target + 10, plen - 16, UINT64_MAX, &out->id) != 0 ||
		    out->id == 0)
			FAIL(404, "not a session id");
		out->endpoint = ADMIN_SESSION_CLOSE;
	} else {
		FAIL(404, "no such path");
	}
	if (out->endpoint == ADMIN_SESSION_CLOSE ? !post : !get && !head) {
		out->allow = out->endpoint == ADMIN_SESSION_CLOSE ? "POST" :
		    "GET, HEAD";
		FAIL(405, "method not allowed");
	}
	out->head = head;
	if (q == NULL || out->endpoint == ADMIN_METRICS ||
	    out->endpoint == ADMIN_HEALTHZ || out->endpoint == ADMIN_READYZ)
		return 0;
	return parse_query(out, q + 1, tlen - plen - 1, status, why);
}
