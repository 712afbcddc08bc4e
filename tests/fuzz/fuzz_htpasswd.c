/* fuzz_htpasswd.c -- libFuzzer target: htpasswd files parsed into tables, checked line by line against a reference split */
#include <stdbool.h>
#include <string.h>

#include "htpasswd.h"

#include "fuzz.h"

/*
 * The input is a file.  No crypt(3) runs here (too slow to fuzz); the
 * parser's side is checked:
 *  - a refusal names a line within the file (or 0 with a file-wide
 *    reason), and a "listed twice" refusal an earlier first line;
 *  - a table holds exactly the users of the file's entry lines (split
 *    here the simple way: lines, blanks trimmed, '#' comments skipped,
 *    user before the first ':', hash up to the next), each with its
 *    hash, which htpasswd_check_hash accepts;
 *  - every line of the input is also tried as a lone hash, and a hash
 *    the checker accepts makes a one-user file that parses.
 */

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
check_table(const struct htpasswd *t, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	size_t entries = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		const char *colon, *hend, *hash;
		enum htpasswd_kind k, k2;
		const char *why;

		if (e > p && e[-1] == '\r')
			e--;
		while (p < e && blank(*p))
			p++;
		while (e > p && blank(e[-1]))
			e--;
		if (p < e && *p != '#') {
			colon = memchr(p, ':', (size_t)(e - p));
			FUZZ_CHECK(colon != NULL && colon > p);
			hend = memchr(colon + 1, ':', (size_t)(e - colon - 1));
			if (hend == NULL)
				hend = e;
			hash = htpasswd_lookup(t, p, (size_t)(colon - p), &k);
			FUZZ_CHECK(hash != NULL);
			FUZZ_CHECK(strlen(hash) == (size_t)(hend - colon - 1));
			FUZZ_CHECK(memcmp(hash, colon + 1, strlen(hash)) == 0);
			FUZZ_CHECK(htpasswd_check_hash(hash, strlen(hash), &k2,
			    &why) == 0 && k2 == k);
			entries++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	FUZZ_CHECK(htpasswd_count(t) == entries);
}

static void
lines_as_hashes(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int tried = 0;

	while (p < end && tried++ < 16) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		enum htpasswd_kind k;
		const char *why = NULL;

		if (htpasswd_check_hash(p, n, &k, &why) == 0) {
			char file[HTPASSWD_HASH_MAX + 8] = "u:";
			struct htpasswd_error err;
			struct htpasswd *t;

			FUZZ_CHECK(why == NULL && n <= HTPASSWD_HASH_MAX);
			memcpy(file + 2, p, n);
			t = htpasswd_parse(file, n + 2, &err);
			FUZZ_CHECK(t != NULL && htpasswd_count(t) == 1);
			FUZZ_CHECK(strlen(htpasswd_lookup(t, "u", 1, NULL)) == n);
			htpasswd_free(t);
		} else {
			FUZZ_CHECK(why != NULL);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = (char *)fuzz_dup(data, size);
	struct htpasswd_error err;
	struct htpasswd *t = htpasswd_parse(buf, size, &err);
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (t == NULL) {
		char msg[256];

		FUZZ_CHECK(err.why != NULL && err.why[0] != '\0');
		FUZZ_CHECK(err.line <= lines);
		if (err.first_line != 0)
			FUZZ_CHECK(err.first_line < err.line);
		htpasswd_error_format(&err, msg, sizeof(msg));
		FUZZ_CHECK(msg[0] != '\0');
	} else {
		check_table(t, buf, size);
		htpasswd_free(t);
	}
	lines_as_hashes(buf, size);
	free(buf);
	return 0;
}
