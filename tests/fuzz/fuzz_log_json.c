/* fuzz_log_json.c -- libFuzzer target: log lines as JSON objects; always one valid object, and the text again from it */
#include <stdbool.h>
#include <string.h>

#include "log_json.h"

#include "fuzz.h"

/*
 * Input: one byte for the output size (0: 8192, else LOG_JSON_MIN + 4 *
 * byte), then the message.  Checked:
 *   - at most size bytes, ending "}\n", printable ASCII before that;
 *   - one JSON object (checked strictly here) of strings, numbers and
 *     true, keys unique, "ts" then "level" first;
 *   - when the message is printable ASCII without '\' and the object was
 *     not cut, the message is exactly event, " key=value" for each field
 *     (quoted or not, as it was) and " msg": nothing lost or invented.
 */

#define MAXF 80

struct kv {
	char key[40];
	char val[8192];
	size_t vlen;
	bool number;
};

static struct kv kvs[MAXF];

/* A string at *p, decoded into out (only \" \\ \u00XX-free texts are
 * decoded exactly; other escapes are checked, not decoded). */
static bool
jstring(const char **pp, const char *end, char *out, size_t room,
    size_t *n)
{
	const char *p = *pp;
	size_t o = 0;

	if (p >= end || *p++ != '"')
		return false;
	while (p < end && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			if (p >= end)
				return false;
			c = *p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, p++)
					if (p >= end ||
					    !strchr("0123456789abcdef", *p))
						return false;
				c = '?';
			} else if (c == 'n' || c == 'r' || c == 't' ||
			    c == 'b' || c == 'f') {
				c = '?';
			} else if (c != '"' && c != '\\') {
				return false;
			}
		}
		if (o < room)
			out[o++] = c;
	}
	if (p >= end)
		return false;
	*pp = p + 1;
	*n = o;
	return true;
}

static size_t
parse_object(const char *p, const char *end, bool *cut)
{
	size_t n = 0;

	*cut = false;
	FUZZ_CHECK(p < end && *p++ == '{');
	for (;;) {
		struct kv *f = &kvs[n];
		size_t kl;

		FUZZ_CHECK(n < MAXF);
		FUZZ_CHECK(jstring(&p, end, f->key, sizeof(f->key) - 1, &kl));
		f->key[kl] = '\0';
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(strcmp(kvs[i].key, f->key) != 0);
		FUZZ_CHECK(p < end && *p++ == ':');
		f->number = false;
		if (p < end && *p == '"') {
			FUZZ_CHECK(jstring(&p, end, f->val, sizeof(f->val),
			    &f->vlen));
		} else if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			FUZZ_CHECK(strcmp(f->key, "truncated") == 0);
			*cut = true;
			p += 4;
			f->vlen = 0;
		} else {
			const char *s = p;

			if (p < end && *p == '-')
				p++;
			FUZZ_CHECK(p < end && *p >= '0' && *p <= '9');
			FUZZ_CHECK(*p != '0' || p + 1 >= end || p[1] < '0' ||
			    p[1] > '9');
			while (p < end && ((*p >= '0' && *p <= '9') ||
			    *p == '.'))
				p++;
			f->number = true;
			f->vlen = (size_t)(p - s);
			memcpy(f->val, s, f->vlen);
		}
		n++;
		FUZZ_CHECK(p < end);
		if (*p == '}')
			break;
		FUZZ_CHECK(*p++ == ',');
	}
	FUZZ_CHECK(end - p == 2 && p[1] == '\n');
	return n;
}

static bool
plain_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\')
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[8192 + 16];
	struct fuzz_in in = { data, size };
	uint8_t sb = fuzz_byte(&in);
	size_t osize = sb == 0 ? 8192 : LOG_JSON_MIN + 4u * sb;
	uint8_t *msg = fuzz_dup(in.p, in.n);
	size_t n, nf, at = 0, i = 2;
	bool cut;

	memset(out, 'Z', sizeof(out));
	n = log_json(out, osize, "2026-01-01T00:00:00.000Z", "info",
	    (const char *)msg, in.n);
	FUZZ_CHECK(n <= osize && n >= 2);
	FUZZ_CHECK(out[osize] == 'Z');
	for (size_t k = 0; k + 1 < n; k++)
		FUZZ_CHECK(out[k] >= 0x20 && out[k] < 0x7f);
	nf = parse_object(out, out + n, &cut);
	FUZZ_CHECK(nf >= 2 && strcmp(kvs[0].key, "ts") == 0 &&
	    strcmp(kvs[1].key, "level") == 0);
	if (cut || !plain_text(msg, in.n)) {
		free(msg);
		return 0;
	}
	/* Rebuild the message from the object. */
	if (i < nf && strcmp(kvs[i].key, "event") == 0) {
		FUZZ_CHECK(kvs[i].vlen <= in.n &&
		    memcmp(msg, kvs[i].val, kvs[i].vlen) == 0);
		at = kvs[i].vlen;
		for (i++; i < nf && strcmp(kvs[i].key, "msg") != 0; i++) {
			size_t kl = strlen(kvs[i].key);

			FUZZ_CHECK(in.n - at >= kl + 2 && msg[at] == ' ' &&
			    memcmp(msg + at + 1, kvs[i].key, kl) == 0 &&
			    msg[at + 1 + kl] == '=');
			at += kl + 2;
			if (at < in.n && msg[at] == '"') {
				FUZZ_CHECK(!kvs[i].number);
				FUZZ_CHECK(in.n - at >= kvs[i].vlen + 2 &&
				    memcmp(msg + at + 1, kvs[i].val,
				    kvs[i].vlen) == 0 &&
				    msg[at + 1 + kvs[i].vlen] == '"');
				at += kvs[i].vlen + 2;
			} else {
				FUZZ_CHECK(in.n - at >= kvs[i].vlen &&
				    memcmp(msg + at, kvs[i].val,
				    kvs[i].vlen) == 0);
				at += kvs[i].vlen;
			}
		}
		if (i < nf) {
			FUZZ_CHECK(at < in.n && msg[at] == ' ');
			at++;
		}
	}
	if (i < nf) {
		FUZZ_CHECK(strcmp(kvs[i].key, "msg") == 0 && i + 1 == nf);
		FUZZ_CHECK(in.n - at == kvs[i].vlen &&
		    memcmp(msg + at, kvs[i].val, kvs[i].vlen) == 0);
		at = in.n;
	}
	FUZZ_CHECK(at == in.n);
	free(msg);
	return 0;
}
