/* notify.c -- the sd_notify(3) protocol in a few lines: one datagram per state change */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/*
 * $NOTIFY_SOCKET as an address: "/path", or "@name" for a socket in the
 * abstract namespace (the leading NUL of sun_path, and the length, not a
 * terminator, ends the name).  Returns the address length, or 0.
 */
static socklen_t
notify_address(const char *s, struct sockaddr_un *sun)
{
	size_t n = strlen(s);

	if ((s[0] != '/' && s[0] != '@') || n < 2 ||
	    n >= sizeof(sun->sun_path))
		return 0;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s, n);
	if (s[0] == '@') {
		sun->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (socklen_t)sizeof(*sun);
}

static void
notify_send(const char *msg)
{
	const char *env = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	ssize_t sent;
	int fd;

	if (env == NULL || env[0] == '\0')
		return;
	len = notify_address(env, &sun);
	if (len == 0) {
		log_warn("NOTIFY_SOCKET: not a unix socket path or @name; "
		    "the service manager is not told of this state change");
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("NOTIFY_SOCKET: socket: %s", strerror(errno));
		return;
	}
	/* A datagram socket never blocks for long, but a full queue at
	 * the manager must not stall the gateway: drop instead. */
	sent = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&sun, len);
	if (sent < 0)
		log_warn("NOTIFY_SOCKET: cannot send: %s", strerror(errno));
	close(fd);
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	/* systemd (Type=notify-reload) wants the time the reload began. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000ull);
	notify_send(msg);
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}
