/* echod.c -- lean TCP (or WebSocket) echo backend for `make bench` (one thread, epoll) */

/*
 *   echod [-a ADDR] [-p PORT] [-C OFFSET] [-s | -w]
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
 * -w: a WebSocket echo server instead, for gateways that relay the
 * WebSocket bytes as they are (HAProxy in TCP mode, terminating TLS): it
 * answers the upgrade (RFC 6455 4.2.2), then sends every data frame back
 * unmasked with the same opcode, FIN bit and length, streaming (no frame
 * is held whole); a ping gets its pong, a close frame its echo, and then
 * the connection is closed.  Nothing else is checked: the client checks.
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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#define BUF_SIZE (256u * 1024)
#define WS_REQ_MAX 8192			/* -w: the upgrade request */

/* -w: where a connection is in the WebSocket byte stream. */
struct ws_state {
	char		*req;		/* upgrade request so far; NULL after */
	size_t		 req_len;
	uint8_t		 hdr[14];	/* frame header (RFC 6455 5.2) */
	size_t		 hdr_len;
	uint64_t	 left;		/* payload bytes left in the frame */
	uint8_t		 mask[4];
	size_t		 mpos;		/* payload bytes unmasked so far % 4 */
	uint8_t		 ctl[125];	/* a control frame's payload */
	size_t		 ctl_len;
	int		 opcode;
	bool		 in_frame;	/* header read, payload to come */
	bool		 closing;	/* close echoed: end once written */
};

struct echo_conn {
	int		 fd;
	uint64_t	 offset;	/* stream bytes echoed so far */
	uint8_t		*pend;		/* not yet written back */
	size_t		 pend_off, pend_len;
	struct ws_state	*ws;		/* -w */
};

static int			 epfd;
static uint8_t			 buf[BUF_SIZE];
static long long		 corrupt_at = -1;
static int			 source;	/* -s */
static int			 websocket;	/* -w */
static uint8_t			 wbuf[BUF_SIZE + 1024];	/* -w: replies */
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
	if (c->ws != NULL)
		free(c->ws->req);
	free(c->ws);
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

/* -w: the 101 answer to a complete upgrade request; its length, or 0 for
 * a request without a key. */
static size_t
ws_upgrade(const char *req, uint8_t *out)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char cat[128], accept[64];
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const char *k = strcasestr(req, "\r\nSec-WebSocket-Key:");
	size_t klen;
	int n;

	if (k == NULL)
		return 0;
	k += 20;
	while (*k == ' ' || *k == '\t')
		k++;
	klen = strcspn(k, " \t\r\n");
	if (klen == 0 || klen > 64)
		return 0;
	/* RFC 6455 4.2.2: base64(SHA-1(key + GUID)) */
	n = snprintf(cat, sizeof(cat), "%.*s%s", (int)klen, k, guid);
	if (EVP_Digest(cat, (size_t)n, digest, &dlen, EVP_sha1(), NULL) != 1)
		return 0;
	EVP_EncodeBlock((unsigned char *)accept, digest, (int)dlen);
	n = snprintf((char *)out, 256, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	return (size_t)n;
}

/* -w: an unmasked frame header for opcode/fin and length n at out. */
static size_t
ws_header(uint8_t *out, uint8_t b0, uint64_t n)
{
	size_t h = 0;

	out[h++] = b0;
	if (n < 126) {
		out[h++] = (uint8_t)n;
	} else if (n <= 0xffff) {
		out[h++] = 126;
		out[h++] = (uint8_t)(n >> 8);
		out[h++] = (uint8_t)n;
	} else {
		out[h++] = 127;
		for (int i = 7; i >= 0; i--)
			out[h++] = (uint8_t)(n >> (8 * i));
	}
	return h;
}

/*
 * -w: the reply to in[0..n) of c's stream into wbuf; its length, or -1
 * to drop the connection.  Data frames are echoed as they stream in.
 */
static long
ws_process(struct ws_state *w, const uint8_t *in, size_t n)
{
	size_t i = 0, o = 0;

	if (w->req != NULL) {
		size_t take = WS_REQ_MAX - w->req_len;
		char *end;

		if (take > n)
			take = n;
		memcpy(w->req + w->req_len, in, take);
		w->req_len += take;
		w->req[w->req_len] = '\0';
		end = strstr(w->req, "\r\n\r\n");
		if (end == NULL)
			return w->req_len >= WS_REQ_MAX ? -1 : 0;
		i = (size_t)(end + 4 - w->req) - (w->req_len - take);
		o = ws_upgrade(w->req, wbuf);
		free(w->req);
		w->req = NULL;
		if (o == 0)
			return -1;
	}
	while (i < n && !w->closing) {
		if (!w->in_frame) {
			uint8_t l7;
			size_t need;
			uint64_t len;

			w->hdr[w->hdr_len++] = in[i++];
			if (w->hdr_len < 2)
				continue;
			if (!(w->hdr[1] & 0x80))
				return -1;	/* clients mask (5.3) */
			l7 = w->hdr[1] & 0x7f;
			need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + 4;
			if (w->hdr_len < need)
				continue;
			len = l7;
			if (l7 >= 126) {
				len = 0;
				for (size_t k = 2; k < need - 4; k++)
					len = len << 8 | w->hdr[k];
			}
			memcpy(w->mask, w->hdr + need - 4, 4);
			w->opcode = w->hdr[0] & 0x0f;
			w->left = len;
			w->mpos = 0;
			w->ctl_len = 0;
			w->hdr_len = 0;
			w->in_frame = true;
			if (w->opcode >= 8 && len > 125)
				return -1;
			if (w->opcode < 8)
				o += ws_header(wbuf + o, w->hdr[0], len);
		}
		if (w->left > 0 && i < n) {
			size_t k = n - i;

			if (k > w->left)
				k = (size_t)w->left;
			for (size_t j = 0; j < k; j++) {
				uint8_t b = in[i + j] ^ w->mask[w->mpos++ & 3];

				if (w->opcode >= 8)
					w->ctl[w->ctl_len++] = b;
				else
					wbuf[o++] = b;
			}
			i += k;
			w->left -= k;
		}
		if (w->left == 0) {
			/* The frame is complete: answer a control frame. */
			if (w->opcode == 9 || w->opcode == 8) {
				o += ws_header(wbuf + o, (uint8_t)(0x80 |
				    (w->opcode == 9 ? 10 : 8)), w->ctl_len);
				memcpy(wbuf + o, w->ctl, w->ctl_len);
				o += w->ctl_len;
				w->closing = w->opcode == 8;
			}
			w->in_frame = false;
		}
	}
	return (long)o;
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
		if (c->ws != NULL && c->ws->closing) {
			echo_free(c);
			return;
		}
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
		if (c->ws != NULL) {
			long o = ws_process(c->ws, buf, (size_t)n);

			if (o < 0 || echo_write(c, wbuf, (size_t)o) < 0 ||
			    (c->ws->closing && c->pend == NULL)) {
				echo_free(c);
				return;
			}
		} else if (echo_write(c, buf, (size_t)n) < 0) {
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
		if (websocket && ((c->ws = calloc(1, sizeof(*c->ws))) == NULL ||
		    (c->ws->req = malloc(WS_REQ_MAX + 1)) == NULL)) {
			if (c->ws != NULL)
				free(c->ws);
			close(fd);
			free(c);
			continue;
		}
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

	while ((ch = getopt(argc, argv, "a:p:C:sw")) != -1) {
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
		case 'w':
			websocket = 1;
			break;
		default:
			fprintf(stderr, "usage: echod [-a ADDR] [-p PORT] "
			    "[-C OFFSET] [-s | -w]\n");
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
