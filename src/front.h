/* front.h -- the HTTP front door: the TLS peek, the request, plain answers (health, web_root files, 426, errors), admission and the 101 */
#ifndef WSGATE_FRONT_H
#define WSGATE_FRONT_H

#include <stdbool.h>
#include <stdint.h>

struct admit_result;
struct config;
struct front;
struct gateway;
struct sockaddr;
struct side;
struct timeval;

/* How often a download is checked for a client that stopped reading
 * (front_send_check). */
#define FRONT_SEND_CHECK 1.0

enum front_event {
	FRONT_ANSWERED,		/* an answer is queued (or sent): linger */
	FRONT_SENDING,		/* a web_root file goes out as the client
				 * takes it: call front_send_check */
	FRONT_IDLE,		/* answered, and kept alive: wait for the
				 * next request for keepalive_timeout */
	FRONT_READING,		/* the next request began: it has
				 * handshake_timeout */
	FRONT_ADMITTED,		/* the upgrade passed admission: connect */
	FRONT_GONE,		/* the client left: close it now */
	FRONT_H2,		/* ALPN chose h2: the connection is
				 * h2_conn.c's from now on */
};

/*
 * The front door's one report, as listener.c's acceptor_fn.  res is
 * admission's verdict when the request got that far (FRONT_ADMITTED
 * always; FRONT_ANSWERED when admission answered), else NULL; it is valid
 * during the call.  The session may free the front in it.
 */
typedef void (*front_fn)(void *arg, enum front_event ev,
    const struct admit_result *res);

/*
 * The HTTP phase of a connection from sa accepted on fd (taken; closed on
 * failure too), on a TLS listener if tls (listener.h's LISTEN_*: with
 * LISTEN_H2, ALPN offers h2, and a client that takes it is reported as
 * FRONT_H2 once its TLS handshake is done).  It holds a max_handshakes slot
 * (pending.h) until its request is admitted: when the worker's share is
 * spent, an older connection gives way (its front reports FRONT_GONE), or
 * this one is refused at once.  The client side, the peer's address text
 * (SOCKADDR_STRLEN bytes; rewritten with the client's address when a
 * trusted proxy names it: trusted_proxies)
 * and the connection's start (on the monotonic clock) are the session's,
 * which outlives the front.  NULL on failure or refusal.  Nothing is read
 * before front_start.
 */
struct front *front_new(struct gateway *gw, const struct config *cfg,
    struct side *client, char *peer, const struct timeval *started,
    int fd, const struct sockaddr *sa, unsigned tls, front_fn fn,
    void *arg);
void front_free(struct front *f);

/*
 * Wait for the request (on a TLS listener the first byte decides: a TLS
 * handshake, or a plain request answered 400 "use https/wss"), and read
 * it at once if it is already there: this may report before returning.
 */
void front_start(struct front *f);

/*
 * handshake_timeout: answer 408 (true), or nothing when not a byte of a
 * request came (false: the client just goes; a browser's speculative
 * connection).
 */
bool front_timeout(struct front *f);

/* A kept-alive connection waiting for its next request, with nothing of
 * it read yet (a drain closes it at once). */
bool front_idle(const struct front *f);

/* Answer an admitted request after all (its backend failed): status and
 * why, logged with its path and Origin. */
void front_fail(struct front *f, int status, const char *why);

/* The backend is up: queue the 101 (Sec-WebSocket-Accept, and the
 * subprotocol admission chose). */
void front_upgraded(struct front *f);

/* Hand the connection's max_connections_per_client place (its bucket in
 * *bucket) to the caller, who gives it back once with clientlimit_give():
 * an HTTP/2 connection's session keeps it while its streams come and go.
 * false: the front holds none (no limit, a trusted proxy's connection). */
bool front_client_hand(struct front *f, uint32_t *bucket);

/* The subprotocol the 101 selects (NUL-terminated), or NULL. */
const char *front_subprotocol(const struct front *f);

/*
 * The session's timer while SENDING: seconds until the next check, or 0
 * when the client took nothing for send_timeout (logged, and the
 * connection set to reset): close it.
 */
double front_send_check(struct front *f);

/* Cut a download short (a shutdown): logged; what is queued still goes
 * out, then linger. */
void front_send_cut(struct front *f, const char *why);

#endif
