/* log_json.c -- pure: one log line's text ("event key=value ...") as one JSON object (log_format = json) */
#include "log_json.h"

#include <stdbool.h>
#include <string.h>

#include "json.h"

#define TAIL_CUT ",\"truncated\":true}\n"

/* The output: lim keeps room for a closing quote and TAIL_CUT. */
struct jout {
	char *p;
	size_t n, lim;
	bool cut;
};

/* All of s or nothing (then the object is cut). */
static bool
put(struct jout *o, const char *s, size_t n)
{
	if (o->cut || o->n > o->lim || n > o->lim - o->n) {
		o->cut = true;
		return false;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	return true;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* The byte at raw[*i] after undoing "\xNN"; moves *i past it. */
static unsigned char
decode_one(const char *raw, size_t n, size_t *i)
{
	size_t k = *i;

	if (raw[k] == '\\' && n - k >= 4 && raw[k + 1] == 'x' &&
	    hexval(raw[k + 2]) >= 0 && hexval(raw[k + 3]) >= 0) {
		*i = k + 4;
		return (unsigned char)(hexval(raw[k + 2]) << 4 |
		    hexval(raw[k + 3]));
	}
	*i = k + 1;
	return (unsigned char)raw[k];
}

/*
 * prefix (',"key":', at most 40 bytes) and raw[0..n) with "\xNN" undone,
 * as a JSON string.  The prefix and the opening quote go together or not
 * at all; the closing quote always fits (lim kept room for it); text that
 * does not fit is cut at a whole escape.  Decoding runs four bytes ahead,
 * enough for json_escape_char() to see a whole UTF-8 sequence however it
 * was written.
 */
static void
put_string(struct jout *o, const char *prefix, const char *raw, size_t n)
{
	char start[48];
	size_t plen = strlen(prefix), i = 0;

	memcpy(start, prefix, plen);
	start[plen] = '"';
	if (!put(o, start, plen + 1))
		return;
	while (i < n) {
		unsigned char b[4];
		size_t at[5], nb = 0, q = i, step, en;
		char e[12];

		while (nb < 4 && q < n) {
			at[nb] = q;
			b[nb++] = decode_one(raw, n, &q);
		}
		at[nb] = q;
		en = json_escape_char(b, nb, e, &step);
		if (!put(o, e, en))
			break;
		i = at[step];
	}
	o->p[o->n++] = '"';
}

static size_t
word_len(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || p[0] < 'a' || p[0] > 'z')
		return 0;
	for (i = 1; i < n && i < 32; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			break;
	/* A 33rd word character makes it no word. */
	if (i < n && i == 32 && ((p[i] >= 'a' && p[i] <= 'z') ||
	    (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
		return 0;
	return i;
}

static bool
is_number(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > LOG_JSON_NUMBER_MAX)
		return false;
	if (p[i] == '-')
		i++;
	if (i == n || p[i] < '0' || p[i] > '9')
		return false;
	if (p[i] == '0')
		i++;
	else
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	if (i < n && p[i] == '.') {
		if (++i == n || p[i] < '0' || p[i] > '9')
			return false;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return i == n;
}

struct field {
	const char *key, *val;
	size_t klen, vlen;
	bool quoted;
	size_t end;		/* offset just past the value */
};

/* A field at msg[at..n), ended by a space or the end; false if none. */
static bool
parse_field(const char *msg, size_t n, size_t at, struct field *f)
{
	size_t i;

	f->klen = word_len(msg + at, n - at);
	if (f->klen == 0 || at + f->klen >= n || msg[at + f->klen] != '=')
		return false;
	f->key = msg + at;
	i = at + f->klen + 1;
	if (i < n && msg[i] == '"') {
		const char *q = memchr(msg + i + 1, '"', n - i - 1);

		if (q == NULL)
			return false;
		f->quoted = true;
		f->val = msg + i + 1;
		f->vlen = (size_t)(q - f->val);
		f->end = (size_t)(q - msg) + 1;
	} else {
		size_t j = i;

		while (j < n && msg[j] != ' ' && msg[j] != '"')
			j++;
		if (j < n && msg[j] == '"')
			return false;
		f->quoted = false;
		f->val = msg + i;
		f->vlen = j - i;
		f->end = j;
	}
	return f->end == n || msg[f->end] == ' ';
}

static bool
reserved(const char *k, size_t n)
{
	static const char *const names[] = {
		"ts", "level", "event", "msg", "truncated",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0)
			return true;
	return false;
}

/* ',"key":' (keys are words: nothing to escape). */
static void
key_prefix(char out[40], const char *k, size_t n)
{
	out[0] = ',';
	out[1] = '"';
	memcpy(out + 2, k, n);
	memcpy(out + 2 + n, "\":", 3);
}

/* One pass, keeping tail bytes for the end of the object (and 1 for a
 * string's closing quote); *cut says whether something was left out. */
static size_t
convert(char *dst, size_t size, size_t tail, const char *ts,
    const char *level, const char *msg, size_t len, bool *cut)
{
	struct jout o = { dst, 0, size - tail - 1, false };
	/* Zeroed for cppcheck, which cannot see nkeys guard them. */
	const char *keys[LOG_JSON_FIELDS_MAX] = { 0 };
	size_t klens[LOG_JSON_FIELDS_MAX] = { 0 }, nkeys = 0;
	size_t at = 0, w = word_len(msg, len);
	struct field f;
	bool rest = true;
	char prefix[40];

	put_string(&o, "{\"ts\":", ts, strlen(ts));
	put_string(&o, ",\"level\":", level, strlen(level));
	if (w > 0 && w < len && msg[w] == ' ' &&
	    parse_field(msg, len, w + 1, &f)) {
		put_string(&o, ",\"event\":", msg, w);
		at = w + 1;
		for (;;) {
			bool dup = false;

			if (nkeys == LOG_JSON_FIELDS_MAX ||
			    !parse_field(msg, len, at, &f) ||
			    reserved(f.key, f.klen))
				break;
			for (size_t k = 0; k < nkeys && !dup; k++)
				dup = klens[k] == f.klen &&
				    memcmp(keys[k], f.key, f.klen) == 0;
			if (dup)
				break;
			keys[nkeys] = f.key;
			klens[nkeys++] = f.klen;
			key_prefix(prefix, f.key, f.klen);
			if (!f.quoted && is_number(f.val, f.vlen)) {
				char num[40 + LOG_JSON_NUMBER_MAX];
				size_t pl = strlen(prefix);

				memcpy(num, prefix, pl);
				memcpy(num + pl, f.val, f.vlen);
				put(&o, num, pl + f.vlen);
			} else {
				put_string(&o, prefix, f.val, f.vlen);
			}
			if (f.end == len) {
				rest = false;
				break;
			}
			at = f.end + 1;
		}
	}
	if (rest)
		put_string(&o, ",\"msg\":", msg + at, len - at);
	*cut = o.cut;
	if (o.cut) {
		if (tail < sizeof(TAIL_CUT) - 1)
			return 0;	/* not kept room for: try again */
		memcpy(o.p + o.n, TAIL_CUT, sizeof(TAIL_CUT) - 1);
		return o.n + sizeof(TAIL_CUT) - 1;
	}
	memcpy(o.p + o.n, "}\n", 2);
	return o.n + 2;
}

/* The whole object if it fits with its plain end; else again, with room
 * kept for the longer end of a cut one (rare: lines are short). */
size_t
log_json(char *dst, size_t size, const char *ts, const char *level,
    const char *msg, size_t len)
{
	bool cut;
	size_t n = convert(dst, size, 2, ts, level, msg, len, &cut);

	if (!cut)
		return n;
	return convert(dst, size, sizeof(TAIL_CUT) - 1, ts, level, msg, len,
	    &cut);
}
