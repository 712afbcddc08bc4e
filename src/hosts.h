/* hosts.h -- looking a name up in the text of an /etc/hosts file */
#ifndef WSGATE_HOSTS_H
#define WSGATE_HOSTS_H

#include <stddef.h>

/* One address: family AF_INET (4 bytes used) or AF_INET6 (16). */
struct hosts_addr {
	int family;
	unsigned char bytes[16];
};

/*
 * The addresses hosts(5) text lists for name, in file order, at most max
 * of them; returns how many were found (0: the name is not listed).
 * Names compare without case (RFC 4343).  Lines are "address name
 * [alias...]", '#' starts a comment; lines whose address does not parse
 * (such as "fe80::1%eth0") are skipped.  text need not end in a newline
 * nor be NUL-terminated.
 */
size_t hosts_lookup(const char *text, size_t len, const char *name,
    struct hosts_addr *out, size_t max);

#endif
