/* json.c -- pure: JSON strings (RFC 8259) from untrusted bytes, written in printable ASCII */
#include "json.h"

#include "sink.h"

static const char hex[] = "0123456789abcdef";

size_t
json_utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;	/* continuation byte, C0/C1, F5-FF */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* RFC 3629 3: no overlong forms, no surrogates, nothing past
	 * U+10FFFF. */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

static size_t
put_u(char *o, uint32_t u)
{
	o[0] = '\\';
	o[1] = 'u';
	o[2] = hex[(u >> 12) & 15];
	o[3] = hex[(u >> 8) & 15];
	o[4] = hex[(u >> 4) & 15];
	o[5] = hex[u & 15];
	return 6;
}

size_t
json_escape_char(const unsigned char *p, size_t n, char out[12],
    size_t *step)
{
	unsigned char c = p[0];
	uint32_t cp;

	*step = 1;
	if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		out[0] = (char)c;
		return 1;
	}
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
		out[0] = '\\';
		out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' :
		    c == '\b' ? 'b' : 'f';
		return 2;
	}
	if (c < 0x80)
		return put_u(out, c);	/* the other C0 controls, DEL */
	if ((*step = json_utf8_next(p, n, &cp)) == 0) {
		*step = 1;
		return put_u(out, 0xfffd);
	}
	if (cp < 0x10000)
		return put_u(out, cp);
	cp -= 0x10000;
	put_u(out, 0xd800 | cp >> 10);
	return 6 + put_u(out + 6, 0xdc00 | (cp & 0x3ff));
}

size_t
json_escape(char *dst, size_t room, const char *src, size_t len,
    size_t *used)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, o = 0;

	while (i < len) {
		char e[12];
		size_t step, en = json_escape_char(p + i, len - i, e, &step);

		if (en > room - o)
			break;
		for (size_t k = 0; k < en; k++)
			dst[o++] = e[k];
		i += step;
	}
	*used = i;
	return o;
}

void
json_sink_string(struct sink *s, const char *src, size_t len)
{
	char buf[512];

	sink_write(s, "\"", 1);
	while (len > 0) {
		size_t used, n = json_escape(buf, sizeof(buf), src, len, &used);

		sink_write(s, buf, n);
		src += used;
		len -= used;
	}
	sink_write(s, "\"", 1);
}
