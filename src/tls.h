/* tls.h -- TLS through OpenSSL: contexts built from the config, TLS bufferevents for clients and backends */
#ifndef WSGATE_TLS_H
#define WSGATE_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct config;
struct config_errors;
struct event_base;
struct ssl_st;
struct target;

/*
 * Read every certificate and key cfg names and build its TLS contexts:
 * one per listener certificate ([gateway] and each [tls:NAME], chosen by
 * SNI) and one per route with backend_tls.  A listener certificate's
 * chain must build; on a reload (running: the configuration in use, or
 * NULL) it must also not stop short of where the running one of the same
 * section went (a file caught half-written), and a change of its length
 * is logged as a warning.  Returns 0, or -1 with every problem appended
 * to errs as "file:line: [section] key: problem".  The contexts belong to
 * cfg and are freed with it.
 */
int tls_config_load(struct config *cfg, const struct config *running,
    struct config_errors *errs);

/*
 * websockify's --key-password: the passphrase of the listener keys
 * (tls_key), kept (a copy) for every load, reloads too; NULL forgets it.
 * Call before any thread starts.  backend_tls_key never takes it.
 */
void tls_set_key_password(const char *password);

/* Log each listener certificate's name and expiry (warn when expired or
 * close to it). */
void tls_log_certificates(const struct config *cfg);

/*
 * A server-side TLS bufferevent for an accepted connection on a TLS
 * listener, using cfg's certificates (cfg must outlive it: the session
 * holds a reference); its ALPN offers h2 as well as http/1.1 if h2.  The handshake runs first; BEV_EVENT_CONNECTED
 * reports its end.  Callbacks are deferred.  Takes fd (closed on failure
 * too); NULL on failure.
 */
struct bufferevent *tls_accept(struct event_base *base,
    const struct config *cfg, int fd, bool h2);

/* Whether the client's ALPN chose h2 (a finished handshake). */
bool tls_alpn_h2(struct bufferevent *bev);

/*
 * A client-side TLS bufferevent for target t's backend on fd, a connected
 * socket.  The handshake starts at once; BEV_EVENT_CONNECTED comes after
 * it and the certificate checks.  Callbacks are deferred.  Takes fd
 * (closed on failure too); NULL on failure.
 */
struct bufferevent *tls_backend_new(struct event_base *base,
    const struct target *t, int fd);

/*
 * Reading and writing a TLS connection's SSL directly, past its
 * bufferevent (side.c does, while the relay runs): tls_io_begin gives the
 * SSL of a TLS bufferevent whose handshake is done (NULL: not one), and
 * readies it for tls_io_read/tls_io_write; tls_io_end gives it back to
 * the bufferevent as it was.  The bufferevent's own reading and writing
 * must be off meanwhile.
 */
struct ssl_st *tls_io_begin(struct bufferevent *bev);
void tls_io_end(struct ssl_st *ssl);

/* What stopped a tls_io_read or tls_io_write. */
enum tls_io {
	TLS_IO_DONE,		/* nothing: it did what was asked */
	TLS_IO_WANT_READ,	/* the socket must be readable first */
	TLS_IO_WANT_WRITE,	/* the socket must be writable first */
	TLS_IO_EOF,		/* the peer closed (with close_notify, or,
				 * as bufferevent_openssl allows, without) */
	TLS_IO_ERROR,		/* a TLS or socket error: the end */
};

/*
 * One SSL_read: up to cap plaintext bytes into buf (*got; one record's at
 * most), after whatever records that are not application data come first
 * (a KeyUpdate, a session ticket).  Having processed one of those, it may
 * return TLS_IO_WANT_READ with more still buffered: see tls_io_pending.
 */
enum tls_io tls_io_read(struct ssl_st *ssl, void *buf, size_t cap,
    size_t *got);

/* One SSL_write of all len bytes.  After TLS_IO_WANT_*, the same write
 * must be made again (the same bytes first, len no shorter; the buffer
 * may move) before any other. */
enum tls_io tls_io_write(struct ssl_st *ssl, const void *buf, size_t len);

/* Whether plaintext or unprocessed records are buffered inside ssl, which
 * the socket's readiness will not announce. */
bool tls_io_pending(struct ssl_st *ssl);

/* Send close_notify (RFC 8446 6.1) if the handshake has finished; 0 if
 * it was queued to the socket, -1 otherwise. */
int tls_close_notify(struct bufferevent *bev);

/* Why a TLS bufferevent failed, e.g. "certificate verify failed
 * (hostname mismatch)", or "connection closed" when OpenSSL saw nothing
 * wrong; what is the event callback's flags. */
const char *tls_error(struct bufferevent *bev, short what, char *buf,
    size_t size);

/* tls_error, and its class for the metrics: an enum metrics_tls_fail
 * (metrics.h). */
const char *tls_error_class(struct bufferevent *bev, short what, char *buf,
    size_t size, int *cls);

/* The TLS version ("TLSv1.3") and the server name the client sent, raw
 * (NUL-terminated; "" when none, or not TLS), for GET /sessions. */
void tls_facts(struct bufferevent *bev, char *version, size_t vsize,
    char *sni, size_t snisize);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384 sni=a.example alpn=http/1.1", for debug
 * logs: the client's server name escaped (log_escape), "-" for none; and
 * " resumed" at the end for a resumed session. */
const char *tls_describe(struct bufferevent *bev, char *buf, size_t size);

/*
 * Whether the peer sent a verified certificate whose subject CN equals
 * one of names[0..n) or which lists one of them as a DNS subjectAltName
 * (without case).  1: yes (who = the matching name); 0: no (who = the
 * certificate's CN, or "(no CN)"); -1: no certificate (who = "").
 */
int tls_peer_name_allowed(struct bufferevent *bev, char *const *names,
    size_t n, char *who, size_t whosize);

/* The server name (SNI) a TLS client sent, as OpenSSL keeps it (not
 * escaped); NULL: none, or not a TLS connection.  Valid while bev is. */
const char *tls_server_name(struct bufferevent *bev);

#endif
