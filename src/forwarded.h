/* forwarded.h -- pure: the client address from Forwarded (RFC 7239) or X-Forwarded-For, past trusted proxies */
#ifndef WSGATE_FORWARDED_H
#define WSGATE_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "cidr.h"
#include "codec.h"

#define FORWARDED_MAX_HOPS 32	/* list entries examined at most */
#define FORWARDED_NODE_MAX 64	/* a for= value, unquoted */

/* One header field's value as received; every instance, in order. */
struct forwarded_field {
	const char *p;
	size_t n;
};

enum forwarded_kind {
	FORWARDED_NONE,		/* no entry at all: the peer is the client */
	FORWARDED_CLIENT,	/* addr is the client */
	FORWARDED_HIDDEN,	/* the client is "unknown" or obfuscated */
};

struct forwarded_result {
	enum forwarded_kind kind;
	/*
	 * CLIENT: the first untrusted entry from the right; when every entry
	 * is trusted, the leftmost (all_trusted).  HIDDEN: the last trusted
	 * entry walked past (the proxy that saw the hidden client), or
	 * AF_UNSPEC when the first entry was hidden: use the peer.  The port
	 * is set only when the entry gave one.
	 */
	struct sockaddr_storage addr;
	unsigned hops;		/* trusted entries walked past */
	bool all_trusted;
};

/*
 * Walk the entries of the given header instances from the right (the
 * entry the nearest proxy added) to the left, past entries whose address
 * is in trusted[0..ntrusted), and stop at the first that is not.  The
 * caller checks first that the peer itself is a trusted proxy: otherwise
 * the headers are the client's own words and must be ignored.
 *
 * Returns 0 with *res, or CODEC_ERROR with *why (static text) when an
 * entry the walk reaches is malformed, or more than FORWARDED_MAX_HOPS
 * entries would be examined.  Every entry the walk reaches was written by
 * a trusted proxy, so an error means a proxy wrote it wrong (answer 400:
 * guessing could credit a client with a proxy's address).
 *
 * forwarded_rfc7239: Forwarded, its for= parameters (RFC 7239 4-6):
 * quoted strings, "[v6]:port", "unknown" and "_obfuscated" identifiers
 * (both HIDDEN), an element without for= (HIDDEN).  Each instance is
 * parsed whole (quoting can only be read left to right), so a malformed
 * instance is an error wherever the walk stops; instances to the left of
 * where it stops are never read.
 *
 * forwarded_xff: X-Forwarded-For, comma-separated addresses ("192.0.2.1",
 * "2001:db8::1", "[2001:db8::1]:443", "192.0.2.1:443"; "unknown" is
 * HIDDEN).  Only the entries the walk reaches are parsed.
 */
int forwarded_rfc7239(const struct forwarded_field *fields, size_t nfields,
    const struct cidr *trusted, size_t ntrusted,
    struct forwarded_result *res, const char **why);
int forwarded_xff(const struct forwarded_field *fields, size_t nfields,
    const struct cidr *trusted, size_t ntrusted,
    struct forwarded_result *res, const char **why);

#endif
