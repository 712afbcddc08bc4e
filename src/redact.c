/* redact.c -- pure: secrets kept out of log lines (token query parameters, credential headers, bearer subprotocols) */
#include "redact.h"

#include <string.h>

static const char *const parts[] = {
	"token", "secret", "pass", "auth", "key", "signature", "credential",
	"sess", "cookie", "jwt", "ticket", "bearer",
};

static const char *const shorts[] = {
	"sig", "sid", "pwd", "code", "otp",
};

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

/* Lower case, '-' as '_', %XX and '+' decoded; -1 if longer than
 * REDACT_NAME_MAX. */
static long
fold(const char *p, size_t n, char out[REDACT_NAME_MAX])
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '%' && n - i >= 3 && hexval(p[i + 1]) >= 0 &&
		    hexval(p[i + 2]) >= 0) {
			c = (char)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '-')
			c = '_';
		if (o == REDACT_NAME_MAX)
			return -1;
		out[o++] = c;
	}
	return (long)o;
}

static bool
contains(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(h + i, needle, k) == 0)
			return true;
	return false;
}

bool
redact_name(const char *name, size_t len, const char *const *extra,
    size_t nextra)
{
	char f[REDACT_NAME_MAX];
	long n = fold(name, len, f);

	if (n < 0)
		return true;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (contains(f, (size_t)n, parts[i]))
			return true;
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		if (strlen(shorts[i]) == (size_t)n &&
		    memcmp(f, shorts[i], (size_t)n) == 0)
			return true;
	for (size_t i = 0; i < nextra; i++) {
		char e[REDACT_NAME_MAX];
		long en = fold(extra[i], strlen(extra[i]), e);

		if (en == n && memcmp(e, f, (size_t)n) == 0)
			return true;
	}
	return false;
}

/* Bounded output: like log_escape, keeps room for "..." and cuts. */
struct out {
	char *p;
	size_t n, size;
	bool cut;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->cut)
		return;
	if (o->n + n + 4 > o->size) {
		/* o->n + 4 <= size held until now: what still fits, then
		 * "..." */
		if (o->size >= 4) {
			size_t room = o->size - 4 - o->n;

			memcpy(o->p + o->n, s, room);
			o->n += room;
			memcpy(o->p + o->n, "...", 3);
			o->n += 3;
		}
		o->cut = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static const char *
finish(struct out *o)
{
	if (o->size > 0)
		o->p[o->n < o->size ? o->n : o->size - 1] = '\0';
	return o->p;
}

const char *
redact_target(char *dst, size_t size, const char *target, size_t len,
    const char *const *extra, size_t nextra)
{
	struct out o = { dst, 0, size, false };
	const char *hash = memchr(target, '#', len);
	const char *q;
	size_t i;

	if (hash != NULL)
		len = (size_t)(hash - target);
	q = memchr(target, '?', len);
	if (q == NULL) {
		put(&o, target, len);
		return finish(&o);
	}
	put(&o, target, (size_t)(q - target) + 1);
	i = (size_t)(q - target) + 1;
	while (i <= len) {
		size_t j = i, eq;

		while (j < len && target[j] != '&' && target[j] != ';')
			j++;
		for (eq = i; eq < j && target[eq] != '='; eq++)
			;
		if (eq < j && redact_name(target + i, eq - i, extra, nextra)) {
			put(&o, target + i, eq - i + 1);
			put(&o, REDACTED, strlen(REDACTED));
		} else {
			put(&o, target + i, j - i);
		}
		if (j < len)
			put(&o, target + j, 1);
		i = j + 1;
	}
	return finish(&o);
}

const char *
redact_subprotocols(char *dst, size_t size, const char *value, size_t len)
{
	struct out o = { dst, 0, size, false };
	size_t i = 0;

	while (i <= len) {
		size_t j = i, b = i, e;
		char f[REDACT_NAME_MAX];
		long n;
		bool secret = false;

		while (j < len && value[j] != ',')
			j++;
		while (b < j && (value[b] == ' ' || value[b] == '\t'))
			b++;
		e = j;
		while (e > b && (value[e - 1] == ' ' || value[e - 1] == '\t'))
			e--;
		/* A long element is a token more often than not. */
		n = fold(value + b, e - b, f);
		if (n < 0) {
			secret = true;
		} else {
			for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]);
			    k++)
				if (contains(f, (size_t)n, parts[k]))
					secret = true;
		}
		put(&o, value + i, b - i);
		if (secret)
			put(&o, REDACTED, strlen(REDACTED));
		else
			put(&o, value + b, e - b);
		put(&o, value + e, j - e);
		if (j < len)
			put(&o, ",", 1);
		i = j + 1;
	}
	return finish(&o);
}
