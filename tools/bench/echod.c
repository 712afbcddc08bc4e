/* echod.c -- lean TCP echo backend for `make bench` (one thread, epoll) */

/*
 *   echod [-a ADDR] [-p PORT] [-C OFFSET] [-s]
 *
 * Everything read is written straight back from one shared buffer; only a
 * short write allocates, to hold the rest, and reading from that client
 * stops until it is written.  So an echo costs one read(2) and one
 * write(2), and an idle connection costs a few dozen bytes.
 *
 * -s: a source instead (the `fairness` bench's streaming backend): every
 * connection is sent bytes as fast as it takes them, and what it sends is
 * read and dropped.
 *
 * Prints "LISTENING <port>" on stdout when ready (port 0: any free port).
 * Exits on SIGTERM or SIGINT.  -C flips one bit of the byte at stream
 * offset OFFSET of every connection, so tests can check that a client
 * notices corrupted echoes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (256u * 1024)

struct echo_conn {
	int		 fd;
	uint64_t	 offset;	/* stream bytes echoed so far */
	uint8_t		*pend;		/* not yet written back */
	size_t		 pend_off, pend_len;
};

static int			 epfd;
static uint8_t			 buf[BUF_SIZE];
static long long		 corrupt_at = -1;
static int			 source;	/* -s */
static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
echo_free(struct echo_conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pend);
	free(c);
}

static void
echo_wait(struct echo_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write p[0..n); keep what does not fit.  -1 on a dead peer. */
static int
echo_write(struct echo_conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c->fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->pend = malloc(n);
			if (c->pend == NULL)
				return -1;
			memcpy(c->pend, p, n);
			c->pend_off = 0;
			c->pend_len = n;
			echo_wait(c, EPOLLOUT);	/* and stop reading */
			return 0;
		} else {
			return -1;
		}
	}
	return 0;
}

/* -s: fill the socket, read and drop; a few calls per wake-up each. */
static void
source_event(struct echo_conn *c, uint32_t events)
{
	for (int i = 0; i < 4 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP));
	    i++) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)) {
			echo_free(c);
			return;
		}
		if (n < (ssize_t)sizeof(buf))
			break;
	}
	for (int i = 0; i < 4 && (events & EPOLLOUT); i++) {
		ssize_t n = write(c->fd, buf, sizeof(buf));

		if (n < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			echo_free(c);
			return;
		}
		if (n < (ssize_t)sizeof(buf))
			break;
	}
}

static void
echo_event(struct echo_conn *c, uint32_t events)
{
	if (source) {
		source_event(c, events);
		return;
	}
	if (c->pend != NULL) {
		uint8_t *p = c->pend;
		size_t off = c->pend_off, len = c->pend_len;

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		c->pend = NULL;
		if (echo_write(c, p + off, len - off) < 0) {
			free(p);
			echo_free(c);
			return;
		}
		free(p);
		if (c->pend != NULL)
			return;
		echo_wait(c, EPOLLIN);
	}
	for (int i = 0; i < 4 && c->pend == NULL; i++) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n == 0) {
			echo_free(c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				echo_free(c);
			return;
		}
		if (corrupt_at >= 0 && (uint64_t)corrupt_at >= c->offset &&
		    (uint64_t)corrupt_at < c->offset + (uint64_t)n)
			buf[corrupt_at - (long long)c->offset] ^= 0x01;
		c->offset += (uint64_t)n;
		if (echo_write(c, buf, (size_t)n) < 0) {
			echo_free(c);
			return;
		}
		if ((size_t)n < sizeof(buf))
			return;
	}
}

static void
echo_accept(int lfd)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct echo_conn *c;
		struct epoll_event ev;
		int one = 1;

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.events = source ? EPOLLIN | EPOLLOUT : EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct epoll_event ev, evs[256];
	struct rlimit rl;
	const char *addr = "127.0.0.1";
	int lfd, ch, one = 1, port = 0;

	while ((ch = getopt(argc, argv, "a:p:C:s")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'C':
			corrupt_at = atoll(optarg);
			break;
		case 's':
			source = 1;
			break;
		default:
			fprintf(stderr, "usage: echod [-a ADDR] [-p PORT] "
			    "[-C OFFSET] [-s]\n");
			return 2;
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "echod: bad address %s\n", addr);
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		perror("echod");
		return 1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	printf("LISTENING %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	while (!stop) {
		int n = epoll_wait(epfd, evs, 256, 500);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				echo_accept(lfd);
			else
				echo_event(evs[i].data.ptr, evs[i].events);
		}
	}
	return 0;
}
