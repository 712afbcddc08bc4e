/* proxy_proto.h -- pure: HAProxy PROXY protocol v1/v2 header decoder and encoder */
#ifndef WSGATE_PROXY_PROTO_H
#define WSGATE_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "codec.h"

/*
 * The specification is haproxy's doc/proxy-protocol.txt (versions 1 & 2,
 * 2020/03/05); section numbers below refer to it.
 */
#define PROXY_V1_MAX 107	/* 2.1: longest v1 line, CRLF included */
#define PROXY_V2_MIN 16		/* 2.2: the fixed part of a v2 header */
/*
 * Our bound on a whole v2 header, TLVs included.  The format allows
 * 16 + 65535; senders keep it under one MSS (2: "designed to fit in 536
 * bytes"), and a header is held in memory before it is judged.
 */
#define PROXY_HEADER_MAX 4096
#define PROXY_AUTHORITY_MAX 255	/* PP2_TYPE_AUTHORITY: a host name (as HAProxy) */
#define PROXY_ALPN_MAX 255	/* PP2_TYPE_ALPN: one protocol id (RFC 7301 3.1) */
#define PROXY_UNIQUE_ID_MAX 128	/* 2.2.5 */

enum proxy_command {
	PROXY_CMD_LOCAL,	/* v2 LOCAL, v1 UNKNOWN: no addresses */
	PROXY_CMD_PROXY,	/* relayed on behalf of a client */
};

enum proxy_transport {
	PROXY_TRANS_UNSPEC,
	PROXY_TRANS_STREAM,	/* TCP, unix stream */
	PROXY_TRANS_DGRAM,	/* UDP, unix datagram */
};

/* PP2_TYPE_SSL client bits (2.2.6). */
#define PROXY_SSL_CLIENT_SSL 0x01
#define PROXY_SSL_CLIENT_CERT_CONN 0x02
#define PROXY_SSL_CLIENT_CERT_SESS 0x04

/*
 * A decoded header.  The rule for the caller: when src.ss_family is
 * AF_UNSPEC (v2 LOCAL, v1 UNKNOWN, v2 PROXY with the UNSPEC family) keep
 * the connection's own addresses (2.1, 2.2).  Otherwise src is the client
 * (AF_INET, AF_INET6 or AF_UNIX) and dst the address it connected to;
 * ports in network order as in any sockaddr.  The TLV values are copies:
 * the input buffer may be drained once the call returns.
 */
struct proxy_header {
	int version;			/* 1 or 2 */
	enum proxy_command command;
	enum proxy_transport transport;
	struct sockaddr_storage src;
	struct sockaddr_storage dst;
	size_t length;			/* header bytes, TLVs included */
	/* v2 TLVs (2.2.1-2.2.6); each at most once. */
	bool has_authority, has_alpn, has_crc32c, has_unique_id, has_ssl;
	char authority[PROXY_AUTHORITY_MAX + 1];	/* NUL-terminated */
	size_t authority_len;
	uint8_t alpn[PROXY_ALPN_MAX];
	size_t alpn_len;
	uint8_t unique_id[PROXY_UNIQUE_ID_MAX];
	size_t unique_id_len;
	uint8_t ssl_client;		/* PROXY_SSL_CLIENT_* bits */
	uint32_t ssl_verify;		/* 0: client certificate verified */
};

/*
 * Decode the PROXY header at the start of buf[0..len): the bytes that
 * have arrived so far, fed again from the start with more on each call.
 * Version 1 or 2, told apart by the first bytes.  Returns the header's
 * length (bytes to drop before the application data), CODEC_NEED_MORE,
 * or CODEC_ERROR with *why (static text): anything that is not exactly a
 * header as the spec writes it, a v1 line without CRLF in its first 107
 * bytes, a v2 header longer than PROXY_HEADER_MAX, a TLV that overruns,
 * a CRC32C TLV that does not match.  Errors are reported as early as the
 * bytes allow (2.1: "abort the connection as soon as possible").  Work
 * per call is bounded by PROXY_HEADER_MAX; a v2 header is examined once
 * whole, a v1 line at most 107 bytes at a time.
 */
int proxy_proto_decode(const uint8_t *buf, size_t len,
    struct proxy_header *out, const char **why);

/* Optional v2 TLVs for the encoder (HAProxy's proxy-v2-options). */
struct proxy_v2_tlvs {
	bool crc32c;			/* add PP2_TYPE_CRC32C */
	const char *authority;		/* PP2_TYPE_AUTHORITY, or NULL */
	size_t authority_len;		/* 1..PROXY_AUTHORITY_MAX */
};

/*
 * Write the v1 line HAProxy's send-proxy writes for a connection from
 * src to dst: "PROXY TCP4 ..." when both are IPv4, "PROXY TCP6 ..." when
 * either is IPv6 (IPv4 shown as ::ffff:a.b.c.d), else "PROXY UNKNOWN"
 * (src or dst NULL, unix sockets).  Returns the length (at most
 * PROXY_V1_MAX; no NUL is written), or 0 if outsize is too small.
 */
size_t proxy_proto_encode_v1(const struct sockaddr *src,
    const struct sockaddr *dst, uint8_t *out, size_t outsize);

/*
 * Write the v2 header HAProxy's send-proxy-v2 writes: PROXY over TCP/IPv4
 * when both are IPv4, TCP/IPv6 when either is IPv6 (IPv4 mapped), else
 * LOCAL with the UNSPEC family and no address.  tlvs may be NULL (no TLV,
 * as HAProxy by default); the CRC32C TLV comes first, as in HAProxy.
 * Returns the length, or 0 if outsize is too small or a TLV is invalid.
 */
size_t proxy_proto_encode_v2(const struct sockaddr *src,
    const struct sockaddr *dst, const struct proxy_v2_tlvs *tlvs,
    uint8_t *out, size_t outsize);

#endif
