/* sessions_json.h -- pure: live sessions as the JSON answer to GET /sessions */
#ifndef WSGATE_SESSIONS_JSON_H
#define WSGATE_SESSIONS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sink;

enum session_info_state {
	SESSION_INFO_CONNECTING,	/* upgrade accepted, backend connecting */
	SESSION_INFO_OPEN,
	SESSION_INFO_CLOSING,		/* a close frame sent or received */
};

enum session_info_proto {
	SESSION_INFO_H1,	/* HTTP/1.1 Upgrade (RFC 6455) */
	SESSION_INFO_H2,	/* extended CONNECT (RFC 8441) */
};

/* Room for each text, NUL included: a route name (a section name on an
 * INI line of at most 200 bytes), an address (sockaddr.h), a target
 * (host:port, or a unix socket path), a TLS version name, a server name
 * (at most 253 bytes, RFC 1035). */
#define SESSION_INFO_NAME 256
#define SESSION_INFO_ADDR 64
#define SESSION_INFO_TARGET 320
#define SESSION_INFO_TLS 16
#define SESSION_INFO_SNI 256

/*
 * One session as a worker copies it (plain bytes: it can cross threads).
 * Texts are NUL-terminated and may hold any other bytes: client, sni
 * and the route's target come from clients or the configuration.  An
 * empty tls_version (a plain connection) or sni (none sent) is written as
 * null.
 */
struct session_info {
	uint64_t id;
	unsigned worker;
	enum session_info_state state;
	enum session_info_proto protocol;
	uint64_t age_ms;
	uint64_t bytes_up, bytes_down;	/* payload, as the close line */
	char route[SESSION_INFO_NAME];
	char client[SESSION_INFO_ADDR];
	char target[SESSION_INFO_TARGET];
	char tls_version[SESSION_INFO_TLS];
	char sni[SESSION_INFO_SNI];
};

/*
 * API: the answer is
 *
 *   {"sessions":[
 *   {"id":7,"worker":0,"route":"echo","client":"127.0.0.1:5000",
 *    "target":"127.0.0.1:7000","state":"open","protocol":"h1",
 *    "tls_version":"TLSv1.3","sni":"ws.example","age_seconds":12.345,
 *    "bytes_up":10,"bytes_down":20},
 *   ...
 *   ],"count":N,"truncated":false}
 *
 * (each session on one line).  sessions_json_begin() writes the head,
 * sessions_json_entry() one session, with ",\n" before it unless first,
 * sessions_json_end() the tail: count is the sessions written, truncated
 * says more matched than the request's limit.  So each worker can write
 * its own sessions (first = its first) into a buffer of its own, and the
 * glue join the non-empty ones with ",\n" between begin and end.
 *
 * Strings go through json_escape() (json.h): printable ASCII, control
 * characters and non-ASCII as \u escapes, invalid UTF-8 as U+FFFD.
 * Numbers are integers, and age_seconds exact decimal seconds from
 * milliseconds; ids above 2^53 lose precision in JavaScript readers.
 */
void sessions_json_begin(struct sink *out);
void sessions_json_entry(struct sink *out, const struct session_info *si,
    bool first);
void sessions_json_end(struct sink *out, size_t count, bool truncated);

#endif
