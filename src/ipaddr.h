/* ipaddr.h -- pure: strict IP address and port text, and IPv4-mapped IPv6 */
#ifndef WSGATE_IPADDR_H
#define WSGATE_IPADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define IPADDR_V6_TEXT_MAX 45	/* INET6_ADDRSTRLEN - 1: "ffff:...:255.255.255.255" */

/*
 * "192.0.2.1": exactly four decimal numbers 0-255 joined by single dots,
 * no leading zeros (the PROXY protocol spec 2.1: they could be read as
 * octal).  s[0..len) need not be NUL-terminated.  0, or -1.
 */
int ipaddr_parse4(const char *s, size_t len, struct in_addr *out);

/*
 * "2001:db8::1", "::ffff:192.0.2.1": hex groups of 1-4 digits (either
 * case), at most one "::", an optional dotted IPv4 tail as in
 * ipaddr_parse4, 128 bits in all.  No brackets, no zone ("%eth0").
 * 0, or -1.
 */
int ipaddr_parse6(const char *s, size_t len, struct in6_addr *out);

/* Either of the above into *out (ss_family AF_INET/AF_INET6, port 0). */
int ipaddr_parse(const char *s, size_t len, struct sockaddr_storage *out);

/* "0" to "65535" without leading zeros.  0, or -1. */
int ipaddr_parse_port(const char *s, size_t len, uint16_t *out);

/* Whether a is an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2). */
bool ipaddr_is_mapped(const struct in6_addr *a);

/*
 * out = in, with an IPv4-mapped IPv6 address (and its port) turned into
 * the AF_INET address it stands for.  Other families are copied as they
 * are (sockaddr_storage's size).  in and out may be the same.
 */
void ipaddr_unmap(const struct sockaddr_storage *in,
    struct sockaddr_storage *out);

#endif
