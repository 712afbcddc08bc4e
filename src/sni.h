/* sni.h -- pure: server_names patterns and choosing a certificate by SNI name */
#ifndef WSGATE_SNI_H
#define WSGATE_SNI_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"
#include "config_types.h"

#define SNI_NAME_MAX 253	/* RFC 1035 2.3.4, without the final dot */

/*
 * Whether p[0..len) is a valid server_names entry: a DNS name
 * ("a.example") or a wildcard whose first label is exactly "*"
 * ("*.b.example").  On error *why says what is wrong.
 */
bool sni_pattern_valid(const char *p, size_t len, const char **why);

/*
 * Whether name (as sent in the TLS server_name extension) matches
 * pattern, ignoring ASCII case.  A wildcard stands for exactly one whole,
 * non-empty label (RFC 6125 6.4.3): "*.b.example" matches "x.b.example"
 * but neither "b.example" nor "y.x.b.example".
 */
bool sni_match(const char *pattern, const char *name);

/*
 * The index in specs[0..n) of the certificate for name: a section listing
 * the name itself wins over one listing a matching wildcard, and among
 * equals the first section wins.  -1 when none matches (or name is NULL):
 * use the default certificate.
 */
int sni_select(const struct tls_cert_spec *specs, size_t n,
    const char *name);

/*
 * The host name of a ClientHello's server_name extension body (RFC 6066
 * 3), read as OpenSSL reads it: a list of exactly one host_name entry of
 * 1 to SNI_HOST_MAX bytes, none of them NUL.  Copied into out
 * (NUL-terminated; outsize > SNI_HOST_MAX).  0, or CODEC_ERROR for
 * anything else (OpenSSL then fails the handshake itself).
 */
#define SNI_HOST_MAX 255
int sni_from_extension(const unsigned char *ext, size_t len, char *out,
    size_t outsize);

#endif
