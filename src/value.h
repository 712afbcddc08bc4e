/* value.h -- pure parsers for config values: sizes, booleans, addresses (durations: duration.h) */
#ifndef WSGATE_VALUE_H
#define WSGATE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "16M", "64k", "1G", "4096": binary multiples (k = 1024). */
int value_size(const char *s, uint64_t *out);
/* yes/no, true/false, on/off, 1/0 (any case). */
int value_bool(const char *s, bool *out);
/* Decimal integer in [min, max]. */
int value_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/* What an address is for: a listener binds, so "*" (any address), an
 * IPv6 scope id and port 0 make sense there; a backend is connected to. */
enum hostport_use {
	HOSTPORT_BACKEND,	/* a DNS name, IPv4 or [IPv6[%zone]]; 1-65535 */
	HOSTPORT_LISTEN,	/* also "*", "[v6%zone]"; port 0: any free */
};

/*
 * "host:port" or "[v6addr]:port".  host and port are copied out
 * NUL-terminated (brackets removed).  Port must be 1-65535, or 0 for
 * HOSTPORT_LISTEN ("any free port", reported in the log).  A backend
 * host must be something a connect can reach: a DNS name (labels of 1-63
 * characters), a dotted-quad IPv4 address, or an IPv6 address in
 * brackets (a %zone allowed there only).  On error *why says what is
 * wrong.
 */
int value_hostport(const char *s, enum hostport_use use, char *host,
    size_t hostsize, char *port, size_t portsize, const char **why);

#endif
