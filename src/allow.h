/* allow.h -- pure: allowed_targets, where computed targets (tokens, JWTs) may lead */
#ifndef WSGATE_ALLOW_H
#define WSGATE_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"

/*
 * A route whose target is computed from what the client sends (a token
 * looked up in a file, the claims of a signed token) must never become
 * an open proxy: a writable token file or a leaked signing key would
 * otherwise reach anything on the network.  allowed_targets lists what
 * such targets may be; the default is nothing.
 *
 * Entries (one per list element):
 *   10.0.0.0/8:5900-5999     addresses in a range, ports in a range
 *   [2001:db8::]/32:5900     IPv6 ranges in brackets, prefix outside
 *   192.0.2.7:22             one address (a /32 or /128), one port
 *   *.vm.example.com:5900    host names: exact or one-label wildcard
 *   vm1.example.com:*        any port (also for ranges: 10.0.0.0/8:*)
 *   unix:/run/vnc            unix sockets in that directory or below
 *
 * A host name target is allowed when a name entry matches it (the
 * operator's DNS is trusted for names the operator listed), or, failing
 * that, when every address it resolves to is in a range entry (checked
 * after the lookup, before connecting: allow_address).  A numeric target
 * is judged by range entries only.
 */

#define ALLOW_NAME_MAX 253
#define ALLOW_PATH_MAX 107	/* sun_path, less its NUL */

enum allow_kind {
	ALLOW_RANGE,		/* a CIDR range and ports */
	ALLOW_NAME,		/* a host name pattern and ports */
	ALLOW_UNIX,		/* a directory of unix sockets */
};

struct allow_rule {
	enum allow_kind kind;
	uint16_t port_lo, port_hi;	/* inclusive; 1-65535 */
	struct cidr range;		/* ALLOW_RANGE */
	char name[ALLOW_NAME_MAX + 1];	/* ALLOW_NAME, lower case */
	char path[ALLOW_PATH_MAX + 1];	/* ALLOW_UNIX, no final '/' */
};

/*
 * Parse one entry p[0..len).  Returns 0, or -1 with *why (static text
 * that says what to write instead).
 */
int allow_parse(const char *p, size_t len, struct allow_rule *out,
    const char **why);

/*
 * A list value: entries separated by commas and/or blanks.  Stores the
 * first max rules in out and sets *n to how many the list holds (count
 * with max 0, then allocate).  Returns 0, or -1 with *why and the bad
 * entry at *at, *atlen.
 */
int allow_list_parse(const char *s, size_t len, struct allow_rule *out,
    size_t max, size_t *n, const char **why, size_t *at, size_t *atlen);

/* Whether host:port is allowed before any lookup: a name entry matches
 * the name, or the host is a numeric address inside a range entry. */
bool allow_host(const struct allow_rule *rules, size_t n, const char *host,
    uint16_t port);

/* Whether a resolved address (with its port) is inside a range entry. */
bool allow_address(const struct allow_rule *rules, size_t n,
    const struct sockaddr *sa);

/* Whether a unix socket path (absolute, normalised) lies in a unix
 * entry's directory. */
bool allow_unix(const struct allow_rule *rules, size_t n, const char *path);

#endif
