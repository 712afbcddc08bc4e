/* cidr.h -- pure: CIDR ranges and address lists: parse, match, per-client keys */
#ifndef WSGATE_CIDR_H
#define WSGATE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CIDR_V4 4
#define CIDR_V6 6
#define CIDR_STRLEN 50		/* IPv6 text (45), "/128", NUL */

/*
 * A range, or a per-client key (cidr_group).  All bytes are defined (no
 * padding, unused address bytes zero), so two equal ranges compare equal
 * with memcmp and a key can be hashed as its bytes.
 */
struct cidr {
	uint8_t addr[16];	/* network address, host bits zero; IPv4: [0..3] */
	uint8_t family;		/* CIDR_V4 or CIDR_V6 */
	uint8_t prefix;		/* 0-32 or 0-128 */
};

/*
 * "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.1" is /32,
 * "::1" /128).  Addresses as ipaddr_parse4/6 read them.  An IPv4-mapped
 * range (::ffff:10.0.0.0/104) becomes the IPv4 range it stands for, since
 * cidr_contains() sees mapped addresses as IPv4.  Returns 0, or -1 with
 * *why.  Set host bits ("10.0.0.1/8") are an error, as they are usually
 * a typo; *out then holds the network the text would stand for
 * (10.0.0.0/8), so the caller can suggest it with cidr_format().
 */
int cidr_parse(const char *s, size_t len, struct cidr *out, const char **why);

struct cidr_error {
	const char *why;	/* as from cidr_parse */
	size_t at, len;		/* the offending entry within the list */
};

/*
 * A list of ranges separated by commas and/or white space, as a config
 * value ("10.0.0.0/8, 192.168.0.0/16 ::1").  Stores the first max ranges
 * in out (out may be NULL when max is 0) and sets *n to how many the list
 * holds, so a caller can count first and then allocate.  Returns 0, or
 * -1 with *err (the first bad entry; *n is then meaningless).
 */
int cidr_list_parse(const char *s, size_t len, struct cidr *out, size_t max,
    size_t *n, struct cidr_error *err);

/*
 * Whether sa is in c.  IPv4-mapped IPv6 addresses are taken as IPv4;
 * families other than AF_INET/AF_INET6 are never in any range.
 */
bool cidr_contains(const struct cidr *c, const struct sockaddr *sa);

/* Whether sa is in any of list[0..n); O(n). */
bool cidr_match(const struct cidr *list, size_t n, const struct sockaddr *sa);

/*
 * The key grouping sa with its neighbours for per-client limits: the
 * address cut to prefix4 bits for IPv4 (and mapped IPv6), to prefix6 bits
 * for IPv6 (one customer commonly owns a /64, RFC 6177).  The port is
 * ignored.  Returns 0, or -1 when sa is not AF_INET/AF_INET6 or a prefix
 * is out of range (prefix4 0-32, prefix6 0-128).
 */
int cidr_group(const struct sockaddr *sa, unsigned prefix4, unsigned prefix6,
    struct cidr *key);

/* "10.0.0.0/8", "2001:db8::/32" into out (CIDR_STRLEN bytes suffice). */
const char *cidr_format(const struct cidr *c, char *out, size_t outsize);

#endif
