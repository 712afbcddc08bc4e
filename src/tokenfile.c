/* tokenfile.c -- pure: websockify token files (token: host:port lines) */
#include "tokenfile.h"

#include <string.h>

/* ASCII whitespace as Python's str.strip() and re's \s see it. */
static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static void
strip(const char **p, const char **e)
{
	while (*p < *e && is_ws(**p))
		(*p)++;
	while (*e > *p && is_ws((*e)[-1]))
		(*e)--;
}

/* One line without its newline: an entry, nothing, or an error. */
static int
parse_line(const char *p, const char *e, struct tokenfile_entry *ent,
    const char **why)
{
	const char *sep = NULL, *t;

	ent->token = NULL;
	ent->token_len = 0;
	if (memchr(p, '\0', (size_t)(e - p)) != NULL) {
		*why = "NUL byte in the line";
		return CODEC_ERROR;
	}
	/*
	 * Python reads a lone CR as a line end (universal newlines), so
	 * websockify would see two lines where this parser sees one: refuse
	 * rather than read the file differently.  CRLF is fine.
	 */
	if (e - p > 1 && memchr(p, '\r', (size_t)(e - p - 1)) != NULL) {
		*why = "carriage return inside a line (end lines with LF or "
		       "CRLF)";
		return CODEC_ERROR;
	}
	strip(&p, &e);
	if (p == e || *p == '#') {
		*why = NULL;
		return 0;
	}
	/* re.split(':\s', line) must give exactly two parts. */
	for (const char *c = p; c + 1 < e; c++) {
		if (c[0] != ':' || !is_ws(c[1]))
			continue;
		if (sep != NULL) {
			*why = "more than one ': ' in the line (the token is "
			       "what comes before the only ': ')";
			return CODEC_ERROR;
		}
		sep = c;
	}
	if (sep == NULL) {
		*why = "expected 'token: host:port' or "
		       "'token: unix_socket:/path'";
		return CODEC_ERROR;
	}
	if (!token_valid(p, (size_t)(sep - p), why))
		return CODEC_ERROR;
	t = sep + 2;
	strip(&t, &e);
	if (token_target_parse(t, (size_t)(e - t), &ent->target, why) != 0)
		return CODEC_ERROR;
	ent->token = p;
	ent->token_len = (size_t)(sep - p);
	return 0;
}

int
tokenfile_parse(const char *buf, size_t len, bool eof,
    struct tokenfile_entry *e, const char **why)
{
	size_t scan = len < TOKENFILE_LINE_MAX + 1 ? len : TOKENFILE_LINE_MAX + 1;
	const char *nl = memchr(buf, '\n', scan);
	size_t linelen, used;

	*why = NULL;
	e->token = NULL;
	e->token_len = 0;
	if (nl != NULL) {
		linelen = (size_t)(nl - buf);
		used = linelen + 1;
	} else if (len > TOKENFILE_LINE_MAX) {
		*why = "line longer than 4096 bytes";
		return CODEC_ERROR;
	} else if (!eof) {
		return CODEC_NEED_MORE;
	} else {
		if (len == 0)
			return 0;
		linelen = used = len;
	}
	if (parse_line(buf, buf + linelen, e, why) != 0)
		return CODEC_ERROR;
	return (int)used;
}

void
tokenfile_reader_init(struct tokenfile_reader *r, const char *buf,
    size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->line = 0;
	r->unterminated = false;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		r->off = 3;
}

int
tokenfile_next(struct tokenfile_reader *r, struct tokenfile_entry *e,
    const char **why)
{
	for (;;) {
		int n = tokenfile_parse(r->buf + r->off, r->len - r->off, true,
		    e, why);

		if (n == 0)
			return 0;
		r->line++;
		if (n < 0)
			return CODEC_ERROR;
		if (r->buf[r->off + (size_t)n - 1] != '\n')
			r->unterminated = true;
		r->off += (size_t)n;
		if (e->token_len != 0)
			return 1;
	}
}

int
tokenfile_parse_content(const char *buf, size_t len, struct token_target *t,
    const char **why)
{
	const char *p = buf, *e = buf + len;

	strip(&p, &e);
	if (p == e) {
		*why = "empty file: expected host:port or unix_socket:/path";
		return CODEC_ERROR;
	}
	if (memchr(p, '\n', (size_t)(e - p)) != NULL ||
	    memchr(p, '\0', (size_t)(e - p)) != NULL) {
		*why = "expected one line: host:port or unix_socket:/path";
		return CODEC_ERROR;
	}
	return token_target_parse(p, (size_t)(e - p), t, why);
}
