/* notify.h -- tell a service manager (systemd's NOTIFY_SOCKET) about start, reload and stop */
#ifndef WSGATE_NOTIFY_H
#define WSGATE_NOTIFY_H

/*
 * Each sends one datagram to the socket named by $NOTIFY_SOCKET (a path,
 * or "@name" for an abstract socket; see sd_notify(3)), and does nothing
 * when it is unset.  A failure is logged as a warning and otherwise
 * ignored: the gateway runs the same with or without a manager.
 */
void notify_ready(void);	/* READY=1: listening, signals handled */
void notify_reloading(void);	/* RELOADING=1 and MONOTONIC_USEC */
void notify_stopping(void);	/* STOPPING=1 */

#endif
