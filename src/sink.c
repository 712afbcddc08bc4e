/* sink.c -- pure: where the text writers (metrics, /sessions) put their output, and a bounded memory buffer */
#include "sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sink_write(struct sink *s, const char *p, size_t n)
{
	if (s->failed || n == 0)
		return;
	if (s->write(s->arg, p, n) != 0)
		s->failed = true;
}

void
sink_puts(struct sink *s, const char *str)
{
	sink_write(s, str, strlen(str));
}

void
sink_printf(struct sink *s, const char *fmt, ...)
{
	char line[1024], *big;
	va_list ap;
	int r;

	if (s->failed)
		return;
	va_start(ap, fmt);
	r = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r < 0) {
		s->failed = true;
		return;
	}
	if ((size_t)r < sizeof(line)) {
		sink_write(s, line, (size_t)r);
		return;
	}
	big = malloc((size_t)r + 1);
	if (big == NULL) {
		s->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)r + 1, fmt, ap);
	va_end(ap);
	sink_write(s, big, (size_t)r);
	free(big);
}

int
membuf_write(void *arg, const char *p, size_t n)
{
	struct membuf *b = arg;

	if (b->max != 0 && (n > b->max || b->n > b->max - n))
		return -1;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		char *q;

		while (cap < b->n + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

void
membuf_free(struct membuf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}
