/* probe.c -- wsgate --probe URL: a blocking HTTP/1.1 GET with one deadline, for container health checks */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "log.h"
#include "probe.h"
#include "probe_http.h"

#define PROBE_DEFAULT_TIMEOUT 5.0

enum { PROBE_OK = 0, PROBE_FAILED = 1, PROBE_USAGE = 2 };

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out. */
static int
wait_fd(int fd, short events, double deadline)
{
	struct pollfd p = { fd, events, 0 };

	for (;;) {
		double left = deadline - now();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return 1;	/* let the next call report it */
	}
}

/* A connected non-blocking socket to one of host:port's addresses, or -1
 * with the reason in err. */
static int
probe_connect(const struct probe_url *u, double deadline, char *err,
    size_t errsize)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	/* getaddrinfo() cannot be given the deadline: give the probe an
	 * address, as a health check does, not a name. */
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsize, "%s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errsize, "connect %s: no address", u->authority);
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(err, errsize, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno != EINPROGRESS)
			soerr = errno;
		else if (!wait_fd(fd, POLLOUT, deadline))
			soerr = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
		    &len) != 0)
			soerr = errno;
		if (soerr != 0) {
			snprintf(err, errsize, "connect %s: %s", u->authority,
			    strerror(soerr));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, double deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			if (!wait_fd(fd, POLLOUT, deadline)) {
				errno = ETIMEDOUT;
				return -1;
			}
		} else {
			return -1;
		}
	}
	return 0;
}

int
probe_main(int argc, char **argv)
{
	struct probe_url u;
	double timeout = PROBE_DEFAULT_TIMEOUT, deadline;
	char req[2048], buf[PROBE_STATUS_MAX], err[512], reason[128];
	size_t have = 0, roff = 0, rlen = 0;
	const char *why;
	int fd, rc = CODEC_NEED_MORE, status = 0;

	if (argc < 1 || argc > 2) {
		fprintf(stderr, "usage: wsgate --probe URL [TIMEOUT]\n");
		return PROBE_USAGE;
	}
	if (probe_http_url(argv[0], &u, &why) != 0) {
		fprintf(stderr, "wsgate: --probe %s: %s\n", argv[0], why);
		return PROBE_USAGE;
	}
	if (argc == 2) {
		uint64_t us = 0;

		/* The config's durations: "2", "500ms", "1m"; up to a day. */
		if (duration_parse(argv[1], UINT64_C(86400000000), &us,
		    &why) != 0 || us == 0) {
			fprintf(stderr, "wsgate: --probe: timeout \"%s\": "
			    "%s; expected a duration above 0 and up to 1d, "
			    "e.g. 2, 500ms or 1m\n", argv[1],
			    why != NULL ? why : "zero");
			return PROBE_USAGE;
		}
		timeout = (double)us / 1e6;
	}
	if (probe_http_request(&u, req, sizeof(req)) < 0) {
		fprintf(stderr, "wsgate: --probe %s: URL too long\n", argv[0]);
		return PROBE_USAGE;
	}
	deadline = now() + timeout;

	fd = probe_connect(&u, deadline, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "wsgate: probe %s: %s\n", argv[0], err);
		return PROBE_FAILED;
	}
	if (send_all(fd, req, strlen(req), deadline) != 0) {
		fprintf(stderr, "wsgate: probe %s: sending the request: %s\n",
		    argv[0], strerror(errno));
		close(fd);
		return PROBE_FAILED;
	}
	/* Read only as far as the status line, at most PROBE_STATUS_MAX
	 * bytes: whatever the server sends, the probe's work is bounded. */
	snprintf(err, sizeof(err), "no answer within %gs", timeout);
	while (rc == CODEC_NEED_MORE && have < sizeof(buf)) {
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);

		if (n > 0) {
			have += (size_t)n;
			rc = probe_http_status(buf, have, &status, &roff,
			    &rlen, &why);
			if (rc == CODEC_ERROR)
				snprintf(err, sizeof(err), "%s", why);
		} else if (n == 0) {
			snprintf(err, sizeof(err), "the server closed the "
			    "connection %s", have == 0 ? "without an answer" :
			    "inside the status line");
			break;
		} else if (errno == EAGAIN || errno == EINTR) {
			if (!wait_fd(fd, POLLIN, deadline))
				break;
		} else {
			snprintf(err, sizeof(err), "%s", strerror(errno));
			break;
		}
	}
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "wsgate: probe %s: %s\n", argv[0], err);
		return PROBE_FAILED;
	}
	/* The reason phrase is the server's: escaped. */
	log_escape(reason, sizeof(reason), buf + roff, rlen);
	fprintf(status / 100 == 2 ? stdout : stderr, "wsgate: probe %s: %d "
	    "%s\n", argv[0], status, reason);
	return status / 100 == 2 ? PROBE_OK : PROBE_FAILED;
}
