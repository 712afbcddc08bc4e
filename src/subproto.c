/* subproto.c -- pure: Sec-WebSocket-Protocol negotiation (RFC 6455 4.2.2) against a route's list */
#include "subproto.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool
subproto_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > SUBPROTO_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
subproto_select(const struct subproto_field *fields, size_t nfields,
    const char *const *names, size_t nnames, bool require,
    struct subproto_choice *out, const char **why)
{
	unsigned elements = 0;

	out->p = NULL;
	out->n = 0;
	out->index = -1;
	out->offered = 0;
	*why = NULL;
	if (nfields > SUBPROTO_FIELDS_MAX) {
		*why = "too many Sec-WebSocket-Protocol headers";
		return CODEC_ERROR;
	}
	for (size_t f = 0; f < nfields; f++) {
		const char *p = fields[f].p, *end;

		if (p == NULL)
			continue;
		end = p + fields[f].n;
		while (p <= end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			const char *e = comma != NULL ? comma : end;
			const char *b = p;

			if (++elements > SUBPROTO_OFFERS_MAX) {
				*why = "too many subprotocols offered";
				return CODEC_ERROR;
			}
			while (b < e && is_blank(*b))
				b++;
			while (e > b && is_blank(e[-1]))
				e--;
			if (b < e && subproto_name_valid(b, (size_t)(e - b))) {
				size_t len = (size_t)(e - b);

				out->offered++;
				/* The earliest in the route's list wins. */
				for (size_t i = 0; i < nnames; i++) {
					if (out->index >= 0 &&
					    (size_t)out->index <= i)
						break;
					if (strlen(names[i]) == len &&
					    strncasecmp(names[i], b, len) == 0) {
						out->p = b;
						out->n = len;
						out->index = (int)i;
						break;
					}
				}
			}
			if (comma == NULL)
				break;
			p = comma + 1;
		}
	}
	if (out->index < 0 && require) {
		*why = out->offered == 0 ?
		    "no subprotocol offered (require_subprotocol)" :
		    "no offered subprotocol is one this route accepts "
		    "(require_subprotocol)";
		return CODEC_ERROR;
	}
	return 0;
}
