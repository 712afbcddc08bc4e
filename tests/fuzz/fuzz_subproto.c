/* fuzz_subproto.c -- libFuzzer target: Sec-WebSocket-Protocol selection against a plain reference */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "subproto.h"

#include "fuzz.h"

/*
 * Input: one flag byte (bit 0: require; bits 1-3: how many of the names
 * below the route lists), then the header instances, one per line.
 * Checked against a reference written from the header comment: elements
 * split on ',' over all instances, blanks trimmed, non-tokens skipped,
 * the earliest route name offered wins, answered in the client's
 * spelling (a pointer into the input); errors only for the limits or
 * `require` with nothing chosen.
 */

static const char *const all_names[] = {
	"binary", "base64", "chat", "v2.bin.example", "Binary2", "x", "~|`",
};

static bool
tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_byte(&in);
	bool require = flags & 1;
	size_t nnames = (flags >> 1) & 7;
	struct subproto_field f[SUBPROTO_FIELDS_MAX + 4];
	size_t nf = 0;
	uint8_t *copy = fuzz_dup(in.p, in.n);
	const char *p = (const char *)copy, *end = p + in.n;
	struct subproto_choice c;
	const char *why = NULL;
	int r;
	/* Reference. */
	size_t elements = 0, offered = 0;
	int best = -1;
	const char *best_p = NULL;
	bool too_many = false;

	if (nnames > sizeof(all_names) / sizeof(all_names[0]))
		nnames = sizeof(all_names) / sizeof(all_names[0]);
	while (p <= end && nf < SUBPROTO_FIELDS_MAX + 4) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;

		f[nf].p = p;
		f[nf].n = (size_t)(e - p);
		nf++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (size_t i = 0; i < nf && i < SUBPROTO_FIELDS_MAX; i++) {
		const char *q = f[i].p, *fe = f[i].p + f[i].n;

		for (;;) {
			const char *b = q, *e = q;

			while (e < fe && *e != ',')
				e++;
			if (++elements > SUBPROTO_OFFERS_MAX)
				too_many = true;
			if (too_many)
				break;
			while (b < e && (*b == ' ' || *b == '\t'))
				b++;
			{
				const char *t = e;
				bool tok = true;

				while (t > b && (t[-1] == ' ' || t[-1] == '\t'))
					t--;
				for (const char *x = b; x < t; x++)
					if (!tchar((unsigned char)*x))
						tok = false;
				if (t > b && tok && (size_t)(t - b) <=
				    SUBPROTO_NAME_MAX) {
					offered++;
					for (size_t k = 0; k < nnames; k++) {
						if (strlen(all_names[k]) ==
						    (size_t)(t - b) &&
						    strncasecmp(all_names[k], b,
						    (size_t)(t - b)) == 0 &&
						    (best < 0 || (int)k < best)) {
							best = (int)k;
							best_p = b;
						}
					}
				}
			}
			if (e == fe)
				break;
			q = e + 1;
		}
	}

	r = subproto_select(f, nf, all_names, nnames, require, &c, &why);
	if (nf > SUBPROTO_FIELDS_MAX || too_many) {
		FUZZ_CHECK(r == CODEC_ERROR && why != NULL);
	} else if (best < 0 && require) {
		FUZZ_CHECK(r == CODEC_ERROR && why != NULL);
		FUZZ_CHECK(c.offered == offered);
	} else {
		FUZZ_CHECK(r == 0 && why == NULL);
		FUZZ_CHECK(c.offered == offered);
		FUZZ_CHECK(c.index == best);
		FUZZ_CHECK(c.p == best_p);
		if (best >= 0) {
			FUZZ_CHECK(c.n == strlen(all_names[best]));
			FUZZ_CHECK(subproto_name_valid(c.p, c.n));
		}
	}
	free(copy);
	return 0;
}
