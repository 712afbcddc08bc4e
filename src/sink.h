/* sink.h -- pure: where the text writers (metrics, /sessions) put their output, and a bounded memory buffer */
#ifndef WSGATE_SINK_H
#define WSGATE_SINK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * API: a writer calls sink_write(), sink_puts() or sink_printf() as it
 * goes; the owner says where the bytes go (the glue: an evbuffer; tests:
 * a struct membuf).  A write that fails (write returns -1: out of
 * memory, over a size limit) sets failed, and every later write is
 * skipped, so a writer need not check each call: the owner looks at
 * failed once, at the end, and answers 500 instead of a cut-short body.
 */
struct sink {
	int (*write)(void *arg, const char *p, size_t n);	/* 0 / -1 */
	void *arg;
	bool failed;
};

void sink_write(struct sink *s, const char *p, size_t n);
void sink_puts(struct sink *s, const char *str);
/* Lines of up to 1 KiB are formatted on the stack; longer ones are
 * formatted again on the heap (nothing is cut). */
void sink_printf(struct sink *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A growing memory buffer, NUL-terminated, of at most max bytes (0: no
 * limit): membuf_write is a sink's write.  membuf_free(NULL-filled) is a
 * no-op; the buffer starts zeroed ({ 0 } or memset).
 */
struct membuf {
	char *p;
	size_t n, cap, max;
};

int membuf_write(void *arg, const char *p, size_t n);
void membuf_free(struct membuf *b);

#endif
