/* fuzz_hosts.c -- libFuzzer target: /etc/hosts lookups stay in bounds and agree with a line-by-line reading */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "hosts.h"

#include "fuzz.h"

/*
 * Input: the name looked up, a newline, then the hosts text (given to
 * hosts_lookup in a buffer of exactly its size, without a NUL).
 */

#define MAX_FOUND 16
#define BLANKS " \t\r\f\v"

/* The same rules, the slow way: strsep the lines, strtok the words.
 * text has no NUL. */
static size_t
reference(const char *text, size_t len, const char *name,
    struct hosts_addr *out, size_t max)
{
	char *copy = strndup(text, len), *rest = copy, *line;
	size_t found = 0;

	FUZZ_CHECK(copy != NULL);
	while (found < max && (line = strsep(&rest, "\n")) != NULL) {
		char *w, *save, *hash = strchr(line, '#');
		struct hosts_addr a;

		if (hash != NULL)
			*hash = '\0';
		w = strtok_r(line, BLANKS, &save);
		if (w == NULL || strlen(w) >= 256)
			continue;
		memset(&a, 0, sizeof(a));
		if (inet_pton(AF_INET, w, a.bytes) == 1)
			a.family = AF_INET;
		else if (inet_pton(AF_INET6, w, a.bytes) == 1)
			a.family = AF_INET6;
		else
			continue;
		while ((w = strtok_r(NULL, BLANKS, &save)) != NULL) {
			if (strcasecmp(w, name) == 0) {
				out[found++] = a;
				break;
			}
		}
	}
	free(copy);
	return found;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct hosts_addr got[MAX_FOUND], want[MAX_FOUND], one[1];
	size_t namelen, len, n, m;
	char name[300], upper[300];
	char *text;

	if (nl == NULL)
		return 0;
	namelen = (size_t)(nl - (const char *)data);
	if (namelen >= sizeof(name) || memchr(data, '\0', namelen) != NULL)
		return 0;
	memcpy(name, data, namelen);
	name[namelen] = '\0';
	len = size - namelen - 1;
	text = (char *)fuzz_dup(nl + 1, len);

	n = hosts_lookup(text, len, name, got, MAX_FOUND);
	FUZZ_CHECK(n <= MAX_FOUND);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(got[i].family == AF_INET ||
		    got[i].family == AF_INET6);
	/* A name with a blank or '#' in it is never on a line. */
	if (namelen == 0 || strpbrk(name, BLANKS "#") != NULL)
		FUZZ_CHECK(n == 0);
	else if (memchr(text, '\0', len) == NULL)
		FUZZ_CHECK(reference(text, len, name, want, MAX_FOUND) == n &&
		    memcmp(got, want, n * sizeof(got[0])) == 0);
	/* max bounds the answer, and the first answer does not change. */
	m = hosts_lookup(text, len, name, one, 1);
	FUZZ_CHECK(m == (n > 0 ? 1u : 0u));
	FUZZ_CHECK(m == 0 || memcmp(&one[0], &got[0], sizeof(one[0])) == 0);
	/* Names compare without case. */
	for (size_t i = 0; i <= namelen; i++)
		upper[i] = (char)toupper((unsigned char)name[i]);
	m = hosts_lookup(text, len, upper, want, MAX_FOUND);
	FUZZ_CHECK(m == n && memcmp(got, want, n * sizeof(got[0])) == 0);
	free(text);
	return 0;
}
