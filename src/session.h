/* session.h -- one client connection: its state, its one timer, and the decision how it ends */
#ifndef WSGATE_SESSION_H
#define WSGATE_SESSION_H

#include <stdbool.h>
#include <sys/socket.h>

struct gateway;

/* Takes ownership of fd (closed on failure too).  On a TLS listener
 * (tls), the first byte decides: a TLS handshake, or a plain HTTP request
 * answered 400 "use https/wss".  0, or -1 (not even a session). */
int session_new(struct gateway *gw, int fd, const struct sockaddr *sa,
    socklen_t salen, unsigned tls);

/* A shutdown begins: HTTP/2 connections send GOAWAY (RFC 9113 6.8) and
 * take no new streams; their open ones go on, as HTTP/1.1 sessions do,
 * until session_close_all. */
void session_drain_all(struct gateway *gw);

/*
 * Close every open WebSocket for a shutdown, losing nothing already
 * read: stop reading the client, write what it sent to the backend, shut
 * the backend's write side, relay what the backend still sends until its
 * EOF (or close_timeout), then close with 1001.
 */
void session_close_all(struct gateway *gw);

/* Close the kept-alive connections waiting for a next request (a drain):
 * they hold nothing. */
void session_close_idle(struct gateway *gw);

/* Free every session at once, without goodbyes (forced exit). */
void session_abort_all(struct gateway *gw);

#endif
