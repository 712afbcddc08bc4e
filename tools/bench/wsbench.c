/* wsbench.c -- load generator for `make bench`: WebSocket or raw TCP echo */

/*
 * One thread, plain epoll.  In WebSocket mode (-P ws, the default) it does
 * the HTTP/1.1 upgrade itself and checks Sec-WebSocket-Accept (RFC 6455
 * 4.2.2), and sends every message as one binary frame masked with a fresh
 * random key, as a browser does (RFC 6455 5.3).  With -P tcp it sends the
 * same payload bytes unframed, for plain TCP relays such as HAProxy.
 *
 * With -L 1.3 or -L 1.2 every connection speaks TLS first (OpenSSL, no
 * certificate check: the load generator measures, it does not trust):
 * TLS 1.3 offers only TLS_AES_128_GCM_SHA256, TLS 1.2 only ECDHE with
 * AES-128-GCM, X25519 first.  With -R each new connection offers the
 * session (ticket) the server last gave its slot's previous connection,
 * each once, as browsers use TLS 1.3 tickets (RFC 8446 C.4); the result
 * counts the handshakes that resumed.
 *
 * Every byte that comes back is compared with what was sent.  The payload
 * is a window into a fixed random pattern whose period (a prime) is not a
 * multiple of any message size, so lost, repeated or reordered messages
 * show up, not only flipped bits.  The echo is compared as a byte stream:
 * a gateway may split or merge messages on the way back.
 *
 * Scenarios (-s):
 *   tput  C connections keep up to W bytes of S-byte messages in flight;
 *         round-tripped payload bytes/s after a warm-up.
 *   lat   C connections ping-pong one S-byte message at a time;
 *         round-trip percentiles.
 *   rate  C slots loop: connect, upgrade, echo one message, close
 *         handshake, wait for the server to close; sessions/s.
 *   idle  open C connections (at most K handshakes at a time), each echoes
 *         one message and then stays open; prints "READY ok failed", then
 *         holds them until a line (or EOF) on stdin or -T seconds.
 *   flood C connections each send the flood -m as fast as the server takes
 *         it, and read and count what comes back: zero (one binary frame
 *         with FIN=0, then masked 0-byte continuation frames), frag1
 *         (1-byte fragments, 4,096 to a message), pong (unsolicited
 *         125-byte pongs), read (send nothing, read as fast as the server
 *         sends: for a streaming backend).  Frames/s and MB/s sent and
 *         received in the window, which SIGTERM ends early.  Nothing is
 *         verified: the `fairness` bench measures a victim next to it.
 *
 * stdout: "MARK start" and "MARK end" around the measurement window (so a
 * driver can sample the gateway's CPU time), then one JSON object on the
 * last line.  Exit status 0 when no errors were counted, 1 otherwise,
 * 2 for a bad command line.
 *
 * Everything is bounded: run time (-d, hold -T), samples, connect and
 * handshake time (-C), close handshake time (2 s), failures (-F).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#define MAX_MSG (1u << 20)		/* largest -S */
#define PAT_PERIOD 65521u		/* prime: no message size divides it */
#define RBUF_SIZE (256u * 1024)		/* one recv(2) at most */
#define HS_MAX 8192			/* largest upgrade response */
#define CLOSE_WAIT_NS (2 * NS)		/* server must finish a close in 2 s */
#define MAX_SAMPLES (1u << 22)		/* latency samples kept */
#define NS 1000000000ull

enum scenario { SC_TPUT, SC_LAT, SC_RATE, SC_IDLE, SC_FLOOD };
static const char *const scenario_names[] = { "tput", "lat", "rate", "idle",
	"flood" };
#define NSCENARIOS 5

enum flood { FLOOD_ZERO, FLOOD_FRAG1, FLOOD_PONG, FLOOD_READ };
static const char *const flood_names[] = { "zero", "frag1", "pong", "read" };
#define FLOOD_FRAGS 4096		/* frag1: fragments per message */

enum conn_state {
	CONN_CONNECTING,
	CONN_TLS,	/* TLS handshake (-L) */
	CONN_HANDSHAKE,
	CONN_OPEN,
	CONN_CLOSING,	/* we sent a close frame (or shut down writing) */
};

struct conn {
	int		 fd;
	SSL		*ssl;		/* -L: the TLS connection */
	bool		 read_wants_write; /* SSL_read wants the socket writable */
	size_t		 slot;
	enum conn_state	 state;
	uint32_t	 events;	/* what epoll waits for */
	uint64_t	 t_start;	/* connect(2) called */
	uint64_t	 t_mark;	/* lat: sent; closing: close sent */
	uint64_t	 tx;		/* payload bytes queued so far */
	uint64_t	 rx;		/* payload bytes received so far */
	uint8_t		*out;		/* bytes not yet written */
	size_t		 out_off, out_len, out_cap;
	char		*hs;		/* upgrade response so far */
	size_t		 hs_len;
	char		 accept[32];	/* expected Sec-WebSocket-Accept */
	/* server frame parser (RFC 6455 5.2) */
	uint8_t		 hdr[14];
	size_t		 hdr_len, hdr_need;
	uint64_t	 left;		/* payload bytes left in this frame */
	int		 opcode;
	bool		 fin;
	bool		 in_message;	/* a fragmented message is open */
	uint8_t		 ctl[125];
	size_t		 ctl_len;
	bool		 close_got;	/* server's close frame seen */
	bool		 ready;		/* idle: upgraded and echoed once */
	size_t		 flood_off;	/* flood: next byte of the block */
};

static struct {
	enum scenario	 scenario;
	bool		 ws;
	struct sockaddr_in dst;
	char		 hostport[64];
	char		 path[256];
	char		 origin[256];
	char		 subproto[64];
	int		 conns;
	size_t		 size;
	size_t		 window;
	double		 duration;
	double		 warmup;
	double		 hold;
	double		 conn_timeout;
	long		 max_count;
	int		 nsrc;
	int		 pending_max;
	int		 max_fail;
	long		 mem_floor_mb;	/* idle: stop opening below this */
	enum flood	 flood;
	uint64_t	 seed;
	int		 tls;		/* 0, 12 or 13 (-L) */
	bool		 resume;	/* -R */
	char		 sni[256];	/* -H */
} opt = {
	.scenario = SC_TPUT,
	.ws = true,
	.path = "/",
	.origin = "http://127.0.0.1",
	.conns = 1,
	.size = 64,
	.window = 256 * 1024,
	.duration = 3,
	.warmup = 0.3,
	.hold = 60,
	.conn_timeout = 10,
	.pending_max = 64,
	.max_fail = 200,
	.sni = "localhost",
};

static struct stats {
	uint64_t	 bytes;		/* round-tripped in the window (flood:
					 * payload received) */
	uint64_t	 sent;		/* flood: bytes sent in the window */
	uint64_t	 sessions;
	uint64_t	 verify_errors;
	uint64_t	 connect_errors;
	uint64_t	 handshake_errors;
	uint64_t	 protocol_errors;
	uint64_t	 lost;
	uint64_t	 close_timeouts;
	uint64_t	 close_unclean;
	uint64_t	 tls_full;	/* TLS handshakes done in full */
	uint64_t	 tls_resumed;	/* ... and resumed (-R) */
	uint32_t	*rtt;		/* ns, capped */
	size_t		 nrtt;
	uint32_t	*hs;		/* handshake times, ns */
	size_t		 nhs;
} st;

static int		 epfd;
static struct conn	**slots;
static size_t		 nslots;
static uint8_t		*pattern;	/* PAT_PERIOD + MAX_MSG + RBUF_SIZE */
static uint8_t		*rbuf;
static uint8_t		*flood_block;	/* whole frames, sent over and over */
static size_t		 flood_len, flood_frames;
static bool		 started;	/* tput, lat: all connections open */
static bool		 measuring;	/* inside the measurement window */
static bool		 draining;	/* window over: send nothing new */
static int		 open_now;	/* upgraded and not yet closed */
static int		 ready_now;	/* idle: connections ready */
static int		 failed_now;	/* idle: failed before ready */
static size_t		 idle_next;	/* idle: next slot to open */
static int		 idle_lost_ready; /* idle: lost after being ready */
static volatile sig_atomic_t stop;
static uint64_t		 rng = 0x243f6a8885a308d3ull;
static SSL_CTX		*tls_ctx;	/* -L */
static SSL_SESSION	**tls_sessions;	/* -R: per slot, the newest one */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: masks and keys need to be unpredictable to intermediaries,
 * not cryptographically strong, for a benchmark (RFC 6455 10.3). */
static uint64_t
rand64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
push_sample(uint32_t **arr, size_t *n, uint64_t ns)
{
	if (*arr == NULL || *n >= MAX_SAMPLES)
		return;
	(*arr)[(*n)++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile in microseconds of sorted samples. */
static double
percentile_us(const uint32_t *a, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return -1;
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return a[i] / 1000.0;
}

/* ------------------------------------------------------------------ I/O */

/*
 * send(2) or SSL_write: bytes written, or -1 with errno (EAGAIN when the
 * socket or TLS needs to wait; TLS errors read as EPIPE).
 */
static ssize_t
io_send(struct conn *c, const void *buf, size_t n)
{
	int r;

	if (c->ssl == NULL)
		return send(c->fd, buf, n, MSG_NOSIGNAL);
	ERR_clear_error();
	r = SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		break;
	default:
		errno = EPIPE;
	}
	return -1;
}

/* recv(2) or SSL_read: bytes, 0 at the end (close_notify or, as the
 * gateways do, a bare TCP close), or -1 with errno as io_send. */
static ssize_t
io_recv(struct conn *c, void *buf, size_t n)
{
	int r;

	if (c->ssl == NULL)
		return recv(c->fd, buf, n, 0);
	ERR_clear_error();
	c->read_wants_write = false;
	r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->read_wants_write = true;
		/* FALLTHROUGH */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	default:
		errno = ECONNRESET;
		return -1;
	}
}

static void
conn_events(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = events;
}

/* Room for n more output bytes, compacting first; false if none. */
static bool
out_reserve(struct conn *c, size_t n)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_cap - c->out_len >= n)
		return true;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return c->out_cap - c->out_len >= n;
}

/* dst = src XOR the 4-byte key, eight bytes at a time. */
static void
mask_copy(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t key[4])
{
	uint64_t k8;
	size_t i = 0;

	memcpy(&k8, key, 4);
	memcpy((uint8_t *)&k8 + 4, key, 4);
	for (; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, src + i, 8);
		v ^= k8;
		memcpy(dst + i, &v, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i] ^ key[i & 3];
}

/* Write one masked frame with a fresh key at p; its length. */
static size_t
put_frame(uint8_t *p, bool fin, int opcode, const uint8_t *payload, size_t n)
{
	size_t h = 0;
	uint32_t key;

	p[h++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (n < 126) {
		p[h++] = (uint8_t)(0x80 | n);
	} else if (n <= 0xffff) {
		p[h++] = 0x80 | 126;
		p[h++] = (uint8_t)(n >> 8);
		p[h++] = (uint8_t)n;
	} else {
		p[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			p[h++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	key = (uint32_t)(rand64() >> 16);
	memcpy(p + h, &key, 4);
	mask_copy(p + h + 4, payload, n, p + h);
	return h + 4 + n;
}

/*
 * Queue one frame (or, in TCP mode, the bare payload).  RFC 6455 5.1/5.3:
 * a client masks every frame with a new key.  False when there is no room.
 */
static bool
queue_frame_fin(struct conn *c, bool fin, int opcode, const uint8_t *payload,
    size_t n)
{
	uint8_t *p;

	if (!out_reserve(c, n + (opt.ws ? 14 : 0)))
		return false;
	p = c->out + c->out_len;
	if (!opt.ws) {
		memcpy(p, payload, n);
		c->out_len += n;
		return true;
	}
	c->out_len += put_frame(p, fin, opcode, payload, n);
	return true;
}

static bool
queue_frame(struct conn *c, int opcode, const uint8_t *payload, size_t n)
{
	return queue_frame_fin(c, true, opcode, payload, n);
}

/*
 * flood: the block sent over and over, whole frames that leave a message
 * open where they found it (zero, frag1: after the opening frame that
 * flood_start queues).  Different masks in every frame of it.
 */
static int
flood_init(void)
{
	static const uint8_t p125[125] = { 0 };
	size_t cap = 64 * 1024, n = 0;

	flood_block = malloc(cap + 2 * FLOOD_FRAGS * 7);
	if (flood_block == NULL)
		return -1;
	switch (opt.flood) {
	case FLOOD_ZERO:
		while (n < cap) {
			n += put_frame(flood_block + n, false, 0,
			    (const uint8_t *)"", 0);
			flood_frames++;
		}
		break;
	case FLOOD_FRAG1:
		for (int m = 0; m < 2; m++) {
			for (int i = 0; i < FLOOD_FRAGS - 2; i++)
				n += put_frame(flood_block + n, false, 0,
				    (const uint8_t *)"y", 1);
			n += put_frame(flood_block + n, true, 0,
			    (const uint8_t *)"y", 1);
			n += put_frame(flood_block + n, false, 2,
			    (const uint8_t *)"y", 1);
			flood_frames += FLOOD_FRAGS;
		}
		break;
	case FLOOD_PONG:
		while (n < cap) {
			n += put_frame(flood_block + n, true, 10, p125, 125);
			flood_frames++;
		}
		break;
	case FLOOD_READ:
		break;
	}
	flood_len = n;
	return 0;
}

/* flood: open the message the block's continuation frames belong to. */
static void
flood_start(struct conn *c)
{
	if (opt.flood == FLOOD_ZERO || opt.flood == FLOOD_FRAG1)
		queue_frame_fin(c, false, 2, (const uint8_t *)"x", 1);
}

static bool
flooding(const struct conn *c)
{
	return opt.scenario == SC_FLOOD && flood_len > 0 && started &&
	    !draining && !stop && c->state == CONN_OPEN;
}

/* flood: keep the socket full of the block, a few sends per wake-up (the
 * socket then stays writable, and epoll comes back). */
static int
flood_write(struct conn *c)
{
	for (int i = 0; i < 16; i++) {
		ssize_t n = send(c->fd, flood_block + c->flood_off,
		    flood_len - c->flood_off, MSG_NOSIGNAL);

		if (n > 0) {
			c->flood_off = (c->flood_off + (size_t)n) % flood_len;
			if (measuring)
				st.sent += (uint64_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			return -1;
		}
	}
	conn_events(c, EPOLLIN | EPOLLOUT);
	return 0;
}

/* Queue the next S-byte message of this connection's stream. */
static bool
queue_message(struct conn *c)
{
	if (!queue_frame(c, 2, pattern + c->tx % PAT_PERIOD, opt.size))
		return false;
	c->tx += opt.size;
	return true;
}

/* Write what is queued; -1 on a broken connection. */
static int
conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = io_send(c, c->out + c->out_off,
		    c->out_len - c->out_off);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_events(c, EPOLLIN | EPOLLOUT);
			return 0;
		} else {
			return -1;
		}
	}
	c->out_off = c->out_len = 0;
	if (flooding(c))
		return flood_write(c);
	conn_events(c, c->read_wants_write ? EPOLLIN | EPOLLOUT : EPOLLIN);
	return 0;
}

/* tput: keep up to the window in flight, always at least one message. */
static void
conn_pump(struct conn *c)
{
	if (opt.scenario != SC_TPUT || c->state != CONN_OPEN || !started ||
	    draining)
		return;
	if (!opt.ws) {
		/* Unframed messages are just consecutive stream bytes: copy
		 * as many as fit at once, so raw TCP targets do not pay for
		 * per-message work they do not need. */
		uint64_t inflight = c->tx - c->rx, k = 0;

		if (inflight < opt.window)
			k = (opt.window - inflight) / opt.size;
		if (k == 0 && inflight == 0)
			k = 1;
		out_reserve(c, opt.size);	/* compacts */
		if (k > (c->out_cap - c->out_len) / opt.size)
			k = (c->out_cap - c->out_len) / opt.size;
		if (k > MAX_MSG / opt.size)
			k = MAX_MSG / opt.size;
		if (k == 0)
			return;
		memcpy(c->out + c->out_len, pattern + c->tx % PAT_PERIOD,
		    k * opt.size);
		c->out_len += k * opt.size;
		c->tx += k * opt.size;
		return;
	}
	while (c->tx == c->rx || c->tx - c->rx + opt.size <= opt.window)
		if (!queue_message(c))
			break;
}

/* ------------------------------------------------------- connections */

static void conn_start(size_t slot);

static void
conn_free(struct conn *c)
{
	if (c->state == CONN_OPEN || c->state == CONN_CLOSING)
		open_now--;
	if (c->ready) {
		ready_now--;
		idle_lost_ready++;
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl != NULL) {
		/* Marked shut down, so OpenSSL keeps the session resumable
		 * (an SSL freed mid-session would spoil it). */
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
		SSL_free(c->ssl);
	}
	close(c->fd);
	slots[c->slot] = NULL;
	free(c->out);
	free(c->hs);
	free(c);
}

/*
 * The connection is over, well or badly.  rate reuses the slot at once
 * after an upgraded session; after a failed connect or handshake the next
 * sweep does, so a refusing server cannot make this recurse or spin.
 */
static void
conn_end(struct conn *c, uint64_t *counter)
{
	size_t slot = c->slot;
	bool again = c->state == CONN_OPEN || c->state == CONN_CLOSING;

	if (counter != NULL)
		(*counter)++;
	if (opt.scenario == SC_IDLE && !c->ready && counter != NULL)
		failed_now++;
	conn_free(c);
	if (opt.scenario == SC_RATE && again && !draining && !stop &&
	    (opt.max_count == 0 || (long)st.sessions < opt.max_count))
		conn_start(slot);
}

static void
conn_fail(struct conn *c)
{
	if (c->state == CONN_CONNECTING)
		conn_end(c, &st.connect_errors);
	else if (c->state == CONN_HANDSHAKE || c->state == CONN_TLS)
		conn_end(c, &st.handshake_errors);
	else if (c->state == CONN_CLOSING && opt.scenario == SC_RATE)
		conn_end(c, &st.close_unclean);
	else
		conn_end(c, &st.lost);
}

static void
conn_send_close(struct conn *c, const uint8_t *payload, size_t n)
{
	c->state = CONN_CLOSING;
	c->t_mark = now_ns();
	if (opt.scenario == SC_FLOOD && flood_len > 0) {
		/* Finish the flood frame a short send left half-sent (the
		 * block's frames are all one size). */
		size_t fsize = flood_len / flood_frames;
		size_t rest = (fsize - c->flood_off % fsize) % fsize;

		if (out_reserve(c, rest)) {
			memcpy(c->out + c->out_len, flood_block + c->flood_off,
			    rest);
			c->out_len += rest;
		}
	}
	if (opt.ws)
		queue_frame(c, 8, payload, n);
	else {
		if (c->ssl != NULL)
			SSL_shutdown(c->ssl);	/* close_notify first */
		shutdown(c->fd, SHUT_WR);
	}
}

/* The connection is upgraded (or, in TCP mode, connected). */
static void
conn_opened(struct conn *c)
{
	c->state = CONN_OPEN;
	open_now++;
	if (opt.scenario == SC_RATE || opt.scenario == SC_IDLE)
		push_sample(&st.hs, &st.nhs, now_ns() - c->t_start);
	if (opt.scenario == SC_RATE || opt.scenario == SC_IDLE ||
	    (opt.scenario == SC_LAT && started)) {
		queue_message(c);
		c->t_mark = now_ns();
	}
}

/* Some echo arrived (tput counts bytes in conn_payload). */
static void
conn_progress(struct conn *c)
{
	static const uint8_t normal[2] = { 0x03, 0xe8 };	/* 1000 */

	if (c->rx < c->tx || c->state != CONN_OPEN)
		return;
	switch (opt.scenario) {
	case SC_LAT:
		if (measuring)
			push_sample(&st.rtt, &st.nrtt, now_ns() - c->t_mark);
		if (draining || (opt.max_count > 0 &&
		    (long)st.nrtt >= opt.max_count))
			break;
		queue_message(c);
		c->t_mark = now_ns();
		break;
	case SC_RATE:
		conn_send_close(c, normal, sizeof(normal));
		break;
	case SC_IDLE:
		if (!c->ready) {
			c->ready = true;
			ready_now++;
		}
		break;
	case SC_TPUT:
	case SC_FLOOD:
		break;
	}
}

/* Echoed payload: compare with what was sent at the same offset. */
static void
conn_payload(struct conn *c, const uint8_t *p, size_t n)
{
	if (opt.scenario == SC_FLOOD) {
		if (measuring)
			st.bytes += n;
		return;
	}
	if (c->rx + n > c->tx ||
	    memcmp(p, pattern + c->rx % PAT_PERIOD, n) != 0)
		st.verify_errors++;
	c->rx += n;
	if (measuring)
		st.bytes += n;
}

static const char *const ws_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int
conn_send_upgrade(struct conn *c)
{
	uint8_t key[16], digest[EVP_MAX_MD_SIZE];
	char key64[32], cat[96], req[1024];
	unsigned int dlen = 0;
	int n;

	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rand64();

		memcpy(key + i, &r, 8);
	}
	EVP_EncodeBlock((unsigned char *)key64, key, 16);
	/* RFC 6455 4.2.2: accept = base64(SHA-1(key + GUID)) */
	n = snprintf(cat, sizeof(cat), "%s%s", key64, ws_guid);
	if (EVP_Digest(cat, (size_t)n, digest, &dlen, EVP_sha1(), NULL) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)c->accept, digest, (int)dlen);
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "\r\n",
	    opt.path, opt.hostport, key64,
	    opt.origin[0] ? "Origin: " : "", opt.origin,
	    opt.origin[0] ? "\r\n" : "",
	    opt.subproto[0] ? "Sec-WebSocket-Protocol: " : "", opt.subproto,
	    opt.subproto[0] ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req) || !out_reserve(c, (size_t)n))
		return -1;
	memcpy(c->out + c->out_len, req, (size_t)n);
	c->out_len += (size_t)n;
	c->hs = malloc(HS_MAX + 1);
	c->hs_len = 0;
	return c->hs == NULL ? -1 : 0;
}

/* Value of header name in the response block, or NULL. */
static const char *
header_value(const char *block, const char *name, size_t *len)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(block, "\r\n"); p != NULL;
	    p = strstr(p, "\r\n")) {
		const char *v, *eol;

		p += 2;
		if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		v = p + nl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		eol = strstr(v, "\r\n");
		if (eol == NULL)
			return NULL;
		while (eol > v && (eol[-1] == ' ' || eol[-1] == '\t'))
			eol--;
		*len = (size_t)(eol - v);
		return v;
	}
	return NULL;
}

static int conn_frames(struct conn *c, const uint8_t *buf, size_t len);

/*
 * Collect the upgrade response; once complete check it (RFC 6455 4.1:
 * status 101, Upgrade: websocket, the right Sec-WebSocket-Accept) and pass
 * what follows it to the frame parser.  -1 on a bad answer.
 */
static int
conn_handshake(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t take = HS_MAX - c->hs_len, used, vlen;
	const char *end, *v;

	if (take > len)
		take = len;
	memcpy(c->hs + c->hs_len, buf, take);
	c->hs_len += take;
	c->hs[c->hs_len] = '\0';
	end = strstr(c->hs, "\r\n\r\n");
	if (end == NULL)
		return c->hs_len >= HS_MAX ? -1 : 0;
	used = (size_t)(end + 4 - c->hs) - (c->hs_len - take);
	if (strncmp(c->hs, "HTTP/1.1 101 ", 13) != 0)
		return -1;
	v = header_value(c->hs, "Upgrade", &vlen);
	if (v == NULL || vlen != 9 || strncasecmp(v, "websocket", 9) != 0)
		return -1;
	v = header_value(c->hs, "Sec-WebSocket-Accept", &vlen);
	if (v == NULL || vlen != strlen(c->accept) ||
	    memcmp(v, c->accept, vlen) != 0)
		return -1;
	free(c->hs);
	c->hs = NULL;
	conn_opened(c);
	return conn_frames(c, buf + used, len - used);
}

/* A complete control frame from the server (RFC 6455 5.5). */
static int
conn_control(struct conn *c)
{
	switch (c->opcode) {
	case 8:
		c->close_got = true;
		if (c->state != CONN_CLOSING) {
			/* RFC 6455 5.5.1: answer with the same code */
			conn_send_close(c, c->ctl, c->ctl_len >= 2 ? 2 : 0);
			if (opt.scenario != SC_RATE)
				st.lost++;
		}
		return 0;
	case 9:
		queue_frame(c, 10, c->ctl, c->ctl_len);	/* pong */
		return 0;
	case 10:
		return 0;
	}
	return -1;
}

/*
 * Server frames (RFC 6455 5.2): unmasked, no RSV bits (no extension was
 * negotiated), control frames short and whole, continuation only inside a
 * fragmented message.  -1 on a violation.
 */
static int
conn_frames(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (c->left == 0 && c->hdr_need == 0) {
			c->hdr_len = 0;
			c->hdr_need = 2;
		}
		while (c->hdr_need > 0 && i < len) {
			c->hdr[c->hdr_len++] = buf[i++];
			if (c->hdr_len == 2) {
				uint8_t l7 = c->hdr[1] & 0x7f;

				if (c->hdr[1] & 0x80 || c->hdr[0] & 0x70)
					return -1;
				c->hdr_need = l7 == 126 ? 2 : l7 == 127 ? 8 : 0;
			} else {
				c->hdr_need--;
			}
			if (c->hdr_need == 0) {
				uint8_t l7 = c->hdr[1] & 0x7f;

				c->fin = c->hdr[0] & 0x80;
				c->opcode = c->hdr[0] & 0x0f;
				c->left = l7;
				if (l7 >= 126) {
					c->left = 0;
					for (size_t k = 2; k < c->hdr_len; k++)
						c->left = c->left << 8 |
						    c->hdr[k];
				}
				c->ctl_len = 0;
				if (c->opcode >= 8) {
					if (!c->fin || c->left > 125 ||
					    c->opcode > 10)
						return -1;
				} else if (c->opcode > 2 || c->close_got ||
				    (c->opcode == 0) != c->in_message) {
					return -1;
				} else {
					c->in_message = !c->fin;
				}
				if (c->left == 0)
					break;
			}
		}
		if (c->hdr_need > 0)
			return 0;
		if (c->left > 0 && i < len) {
			size_t k = len - i;

			if (k > c->left)
				k = (size_t)c->left;
			if (c->opcode >= 8) {
				memcpy(c->ctl + c->ctl_len, buf + i, k);
				c->ctl_len += k;
			} else {
				conn_payload(c, buf + i, k);
			}
			c->left -= k;
			i += k;
		}
		if (c->left == 0) {
			if (c->opcode >= 8 && conn_control(c) < 0)
				return -1;
			if (c->opcode < 8)
				conn_progress(c);
			c->hdr_need = 0;
			c->hdr_len = 0;
		} else {
			return 0;
		}
	}
	return 0;
}

static void
conn_readable(struct conn *c)
{
	/* A few reads per wake-up, so one busy connection cannot starve
	 * (TLS: records of at most 16 KiB each; OpenSSL reads each record
	 * whole from the socket and no further, so what is left wakes
	 * epoll again). */
	for (int iter = 0; iter < (c->ssl != NULL ? 32 : 4); iter++) {
		ssize_t n = io_recv(c, rbuf, RBUF_SIZE);
		int r;

		if (n == 0) {
			if (c->state != CONN_CLOSING) {
				conn_fail(c);
			} else if (opt.ws && !c->close_got) {
				conn_end(c, &st.close_unclean);
			} else {
				st.sessions++;
				conn_end(c, NULL);
			}
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail(c);
				return;
			}
			break;
		}
		if (c->state == CONN_HANDSHAKE) {
			r = conn_handshake(c, rbuf, (size_t)n);
		} else if (opt.ws) {
			r = conn_frames(c, rbuf, (size_t)n);
			if (r < 0)
				st.protocol_errors++;
		} else {
			conn_payload(c, rbuf, (size_t)n);
			conn_progress(c);
			r = 0;
		}
		if (r < 0) {
			conn_fail(c);
			return;
		}
		if (c->ssl == NULL && (size_t)n < RBUF_SIZE)
			break;
	}
	conn_pump(c);
	if (conn_flush(c) < 0)
		conn_fail(c);
}

/* Connected (and, with -L, through TLS): the upgrade request, or in TCP
 * mode the first message.  May free c. */
static void
conn_begin(struct conn *c)
{
	if (opt.ws) {
		c->state = CONN_HANDSHAKE;
		if (conn_send_upgrade(c) < 0) {
			conn_fail(c);
			return;
		}
	} else {
		conn_opened(c);
	}
	conn_pump(c);
	if (conn_flush(c) < 0)
		conn_fail(c);
}

/* -L: go on with the TLS handshake; at its end, conn_begin (which may
 * free c).  -1 on failure. */
static int
conn_tls_step(struct conn *c)
{
	int r;

	ERR_clear_error();
	r = SSL_connect(c->ssl);
	if (r == 1) {
		if (SSL_session_reused(c->ssl))
			st.tls_resumed++;
		else
			st.tls_full++;
		conn_begin(c);
		return 0;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		conn_events(c, EPOLLIN);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		conn_events(c, EPOLLIN | EPOLLOUT);
		return 0;
	default:
		return -1;
	}
}

static int
conn_tls_start(struct conn *c)
{
	c->ssl = SSL_new(tls_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, opt.sni) != 1 ||
	    (opt.resume && tls_sessions[c->slot] != NULL &&
	    SSL_set_session(c->ssl, tls_sessions[c->slot]) != 1))
		return -1;
	SSL_set_app_data(c->ssl, c);
	SSL_set_connect_state(c->ssl);
	c->state = CONN_TLS;
	return conn_tls_step(c);
}

static void
conn_event(struct conn *c, uint32_t events)
{
	if (c->state == CONN_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0) {
			conn_fail(c);
			return;
		}
		if (opt.tls && conn_tls_start(c) < 0)
			conn_fail(c);
		else if (!opt.tls)
			conn_begin(c);
		return;
	}
	if (c->state == CONN_TLS) {
		if (conn_tls_step(c) < 0)
			conn_fail(c);
		return;
	}
	if ((events & EPOLLOUT) && c->read_wants_write) {
		conn_readable(c);
		return;
	}
	if (events & EPOLLOUT) {
		if (conn_flush(c) < 0) {
			conn_fail(c);
			return;
		}
		conn_pump(c);
		if (conn_flush(c) < 0) {
			conn_fail(c);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_readable(c);
}

static void
conn_start(size_t slot)
{
	static uint32_t next_src;
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev;
	int one = 1;

	if (c == NULL) {
		st.connect_errors++;
		return;
	}
	c->slot = slot;
	c->t_start = now_ns();
	c->out_cap = opt.scenario == SC_TPUT ? 64 * 1024 : 1024;
	if (c->out_cap < 2 * (opt.size + 14))
		c->out_cap = 2 * (opt.size + 14);
	c->out = malloc(c->out_cap);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->out == NULL || c->fd < 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(c->out);
		free(c);
		st.connect_errors++;
		if (opt.scenario == SC_IDLE)
			failed_now++;
		return;
	}
	slots[slot] = c;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (opt.nsrc > 0) {
		/* Many connections: spread over 127.0.0.2.. so the 4-tuples
		 * do not run out of ephemeral ports. */
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr = htonl(0x7f000002u +
		    next_src++ % (uint32_t)opt.nsrc);
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		bind(c->fd, (struct sockaddr *)&src, sizeof(src));
	}
	c->state = CONN_CONNECTING;
	c->events = EPOLLIN | EPOLLOUT;
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0 ||
	    (connect(c->fd, (struct sockaddr *)&opt.dst, sizeof(opt.dst)) < 0 &&
	    errno != EINPROGRESS))
		conn_fail(c);
}

/* ------------------------------------------------------------ the loop */

static bool enough_sessions(void);

/* Give up on connects, handshakes and close handshakes that take too long. */
static void
sweep(uint64_t t)
{
	static uint64_t last;

	if (t - last < NS / 10)
		return;
	last = t;
	for (size_t i = 0; i < nslots; i++) {
		struct conn *c = slots[i];

		if (c == NULL) {
			if (opt.scenario == SC_RATE && !draining &&
			    !enough_sessions())
				conn_start(i);
			continue;
		}
		if ((c->state == CONN_CONNECTING || c->state == CONN_TLS ||
		    c->state == CONN_HANDSHAKE) &&
		    t - c->t_start > (uint64_t)(opt.conn_timeout * NS))
			conn_fail(c);
		else if (c->state == CONN_CLOSING &&
		    t - c->t_mark > CLOSE_WAIT_NS)
			conn_end(c, &st.close_timeouts);
	}
}

/* Run until the deadline, a stop signal or done() says so. */
static void
run_until(uint64_t deadline, bool (*done)(void))
{
	struct epoll_event evs[256];

	while (!stop && (done == NULL || !done())) {
		uint64_t t = now_ns();
		int n;

		if (t >= deadline)
			break;
		sweep(t);
		n = epoll_wait(epfd, evs, 256, 10);
		for (int i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
	}
}

static bool
all_open(void)
{
	return (size_t)open_now >= nslots || st.connect_errors > 0 ||
	    st.handshake_errors > 0;
}

static bool
enough_samples(void)
{
	return opt.max_count > 0 && (long)st.nrtt >= opt.max_count;
}

static bool
enough_sessions(void)
{
	return opt.max_count > 0 && (long)st.sessions >= opt.max_count;
}

static bool
all_closed(void)
{
	return open_now == 0;
}

static void
mark(const char *what)
{
	printf("MARK %s\n", what);
	fflush(stdout);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ------------------------------------------------------------ scenarios */

/*
 * tput and lat: open all, then start the traffic (so a gateway's accepts
 * and handshakes do not compete with it), warm up, measure; returns the
 * window in s.
 */
static double
run_steady(char *json, size_t size, double *client_cpu)
{
	uint64_t t0 = now_ns(), tm, te;
	double cpu;
	int opened;

	for (size_t i = 0; i < nslots; i++)
		conn_start(i);
	run_until(t0 + (uint64_t)(opt.conn_timeout * NS), all_open);
	opened = open_now;
	started = true;
	for (size_t i = 0; i < nslots; i++) {
		struct conn *c = slots[i];

		if (c == NULL || c->state != CONN_OPEN)
			continue;
		if (opt.scenario == SC_LAT) {
			queue_message(c);
			c->t_mark = now_ns();
		}
		if (opt.scenario == SC_FLOOD)
			flood_start(c);
		conn_pump(c);
		if (conn_flush(c) < 0)
			conn_fail(c);
	}
	run_until(now_ns() + (uint64_t)(opt.warmup * NS), NULL);
	measuring = true;
	mark("start");
	cpu = cpu_seconds();
	tm = now_ns();
	run_until(tm + (uint64_t)(opt.duration * NS),
	    opt.scenario == SC_LAT ? enough_samples : NULL);
	te = now_ns();
	measuring = false;
	mark("end");
	*client_cpu = (cpu_seconds() - cpu) / ((double)(te - tm) / NS);
	draining = true;
	snprintf(json, size, "\"opened\":%d,", opened);
	return (double)(te - tm) / NS;
}

static double
run_rate(double *client_cpu)
{
	uint64_t tm, te;
	double cpu;

	mark("start");
	cpu = cpu_seconds();
	tm = now_ns();
	for (size_t i = 0; i < nslots; i++)
		conn_start(i);
	run_until(tm + (uint64_t)(opt.duration * NS), enough_sessions);
	te = now_ns();
	mark("end");
	*client_cpu = (cpu_seconds() - cpu) / ((double)(te - tm) / NS);
	draining = true;
	return (double)(te - tm) / NS;
}

/* Every connection is ready or has failed (a ready one lost later still
 * counts as tried). */
static bool
idle_all_tried(void)
{
	return (size_t)(ready_now + failed_now + idle_lost_ready) >= nslots;
}

/* A handshake slot is free, or there is nothing left to start. */
static bool
idle_can_start(void)
{
	int inflight = (int)idle_next - ready_now - failed_now -
	    idle_lost_ready;

	return idle_all_tried() ||
	    (idle_next < nslots && inflight < opt.pending_max);
}

/* MemAvailable in MiB, or -1. */
static long
mem_available_mb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

/* idle: open them all, report, hold until told or the hold time ends. */
static double
run_idle(char *json, size_t size)
{
	uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(opt.duration * NS);
	const char *why = "all tried";
	size_t requested = nslots;
	struct pollfd in = { .fd = 0, .events = POLLIN };
	double ramp;

	while (!stop) {
		if (failed_now >= opt.max_fail) {
			why = "too many failures";
			break;
		}
		while (idle_next < nslots && idle_can_start() &&
		    !idle_all_tried()) {
			/* A gateway that costs megabytes per connection
			 * must not take the machine down with it. */
			if (opt.mem_floor_mb > 0 && idle_next % 200 == 0 &&
			    mem_available_mb() >= 0 &&
			    mem_available_mb() < opt.mem_floor_mb) {
				why = "memory floor";
				break;
			}
			conn_start(idle_next++);
		}
		if (strcmp(why, "memory floor") == 0) {
			nslots = idle_next;	/* stop here */
			run_until(deadline, idle_all_tried);
			break;
		}
		if (idle_all_tried())
			break;
		if (now_ns() >= deadline) {
			why = "time limit";
			break;
		}
		run_until(deadline, idle_can_start);
	}
	ramp = (double)(now_ns() - t0) / NS;
	printf("READY %d %d\n", ready_now, failed_now);
	fflush(stdout);
	/* Hold: keep serving (pings, closes) until stdin speaks or time. */
	deadline = now_ns() + (uint64_t)(opt.hold * NS);
	while (!stop && now_ns() < deadline) {
		if (poll(&in, 1, 0) > 0)
			break;
		run_until(now_ns() + NS / 20, NULL);
	}
	snprintf(json, size,
	    "\"requested\":%zu,\"ready\":%d,\"failed\":%d,"
	    "\"still_open\":%d,\"stop_reason\":\"%s\",\"ramp_s\":%.3f,",
	    requested, ready_now, failed_now, open_now, why, ramp);
	return ramp;
}

/* Send close frames (or shut down) on whatever is still open, bounded. */
static void
close_all(void)
{
	static const uint8_t going_away[2] = { 0x03, 0xe9 };	/* 1001 */

	draining = true;
	for (size_t i = 0; i < nslots; i++) {
		struct conn *c = slots[i];

		if (c != NULL && c->state == CONN_OPEN) {
			conn_send_close(c, going_away, sizeof(going_away));
			if (conn_flush(c) < 0)
				conn_end(c, NULL);
		}
	}
	run_until(now_ns() + NS / 2, all_closed);
}

/* -R: keep the newest session the server gave (a TLS 1.3 ticket comes
 * after the handshake) for the slot's next connection. */
static int
tls_new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	const struct conn *c = SSL_get_app_data(ssl);

	if (c == NULL)
		return 0;
	SSL_SESSION_free(tls_sessions[c->slot]);
	tls_sessions[c->slot] = sess;
	return 1;	/* the reference is ours */
}

/*
 * The client context: one version, one cipher (AES-128-GCM), tickets
 * accepted as a browser does (the server then pays for issuing them in
 * full handshakes too), no certificate check.  -1 on failure.
 */
static int
tls_init(void)
{
	int v = opt.tls == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;

	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (tls_ctx == NULL ||
	    SSL_CTX_set_min_proto_version(tls_ctx, v) != 1 ||
	    SSL_CTX_set_max_proto_version(tls_ctx, v) != 1 ||
	    SSL_CTX_set_ciphersuites(tls_ctx, "TLS_AES_128_GCM_SHA256") != 1 ||
	    SSL_CTX_set_cipher_list(tls_ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
	    "ECDHE-RSA-AES128-GCM-SHA256") != 1 ||
	    SSL_CTX_set1_groups_list(tls_ctx, "X25519:P-256") != 1)
		return -1;
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_COMPRESSION);
	/* Partial writes from a buffer that compaction may move. */
	SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (opt.resume) {
		SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(tls_ctx, tls_new_session_cb);
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: wsbench -t HOST:PORT [-P ws|tcp]\n"
	    "    [-s tput|lat|rate|idle|flood] [-m zero|frag1|pong|read]\n"
	    "    [-c conns] [-S size] [-w window] [-d seconds] [-W warmup]\n"
	    "    [-n max_count] [-T hold] [-C connect_timeout] [-N nsrc]\n"
	    "    [-K max_pending] [-F max_fail] [-M mem_floor_MiB] [-u path]\n"
	    "    [-o origin] [-x subprotocol] [-r seed]\n"
	    "    [-L 1.2|1.3 [-R] [-H server_name]]\n");
	exit(2);
}

static double
arg_num(const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static void
parse_target(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - s)) >= sizeof(host))
		usage();
	memcpy(host, s, hl);
	host[hl] = '\0';
	opt.dst.sin_family = AF_INET;
	opt.dst.sin_port = htons((uint16_t)arg_num(colon + 1, 1, 65535));
	if (inet_pton(AF_INET, host, &opt.dst.sin_addr) != 1) {
		fprintf(stderr, "wsbench: HOST must be an IPv4 address\n");
		exit(2);
	}
	snprintf(opt.hostport, sizeof(opt.hostport), "%s", s);
}

int
main(int argc, char **argv)
{
	char extra[512] = "";
	double seconds = 0, client_cpu = 0;
	uint64_t errors;
	struct stats saved;
	struct rlimit rl;
	int ch, found;

	if (getrandom(&opt.seed, sizeof(opt.seed), 0) != sizeof(opt.seed))
		opt.seed = now_ns() ^ (uint64_t)getpid() << 32;
	while ((ch = getopt(argc, argv,
	    "t:P:s:c:S:w:d:W:n:T:C:N:K:F:M:m:u:o:x:r:L:RH:")) != -1) {
		switch (ch) {
		case 't':
			parse_target(optarg);
			break;
		case 'P':
			if (strcmp(optarg, "ws") != 0 &&
			    strcmp(optarg, "tcp") != 0)
				usage();
			opt.ws = strcmp(optarg, "ws") == 0;
			break;
		case 's':
			found = 0;
			for (int i = 0; i < NSCENARIOS; i++)
				if (strcmp(optarg, scenario_names[i]) == 0) {
					opt.scenario = (enum scenario)i;
					found = 1;
				}
			if (!found)
				usage();
			break;
		case 'c':
			opt.conns = (int)arg_num(optarg, 1, 100000);
			break;
		case 'S':
			opt.size = (size_t)arg_num(optarg, 1, MAX_MSG);
			break;
		case 'w':
			opt.window = (size_t)arg_num(optarg, 1, 1u << 30);
			break;
		case 'd':
			opt.duration = arg_num(optarg, 0.01, 600);
			break;
		case 'W':
			opt.warmup = arg_num(optarg, 0, 60);
			break;
		case 'n':
			opt.max_count = (long)arg_num(optarg, 0, MAX_SAMPLES);
			break;
		case 'T':
			opt.hold = arg_num(optarg, 0, 600);
			break;
		case 'C':
			opt.conn_timeout = arg_num(optarg, 0.1, 60);
			break;
		case 'N':
			opt.nsrc = (int)arg_num(optarg, 0, 250);
			break;
		case 'K':
			opt.pending_max = (int)arg_num(optarg, 1, 10000);
			break;
		case 'F':
			opt.max_fail = (int)arg_num(optarg, 1, 100000);
			break;
		case 'M':
			opt.mem_floor_mb = (long)arg_num(optarg, 0, 1e9);
			break;
		case 'm':
			found = 0;
			for (int i = 0; i < 4; i++)
				if (strcmp(optarg, flood_names[i]) == 0) {
					opt.flood = (enum flood)i;
					found = 1;
				}
			if (!found)
				usage();
			break;
		case 'u':
			snprintf(opt.path, sizeof(opt.path), "%s", optarg);
			break;
		case 'o':
			snprintf(opt.origin, sizeof(opt.origin), "%s", optarg);
			break;
		case 'x':
			snprintf(opt.subproto, sizeof(opt.subproto), "%s",
			    optarg);
			break;
		case 'r':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'L':
			if (strcmp(optarg, "1.2") != 0 &&
			    strcmp(optarg, "1.3") != 0)
				usage();
			opt.tls = strcmp(optarg, "1.3") == 0 ? 13 : 12;
			break;
		case 'R':
			opt.resume = true;
			break;
		case 'H':
			snprintf(opt.sni, sizeof(opt.sni), "%s", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.dst.sin_port == 0 ||
	    (opt.scenario == SC_FLOOD && (!opt.ws || opt.tls)) ||
	    (opt.resume && !opt.tls))
		usage();
	if (opt.resume)
		tls_sessions = calloc((size_t)opt.conns, sizeof(*tls_sessions));
	if (opt.tls && (tls_init() != 0 ||
	    (opt.resume && tls_sessions == NULL))) {
		fprintf(stderr, "wsbench: cannot set up TLS\n");
		ERR_print_errors_fp(stderr);
		return 2;
	}

	/* Room for every connection's socket; the hard limit is the cap. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	rng = opt.seed | 1;
	pattern = malloc(PAT_PERIOD + MAX_MSG + RBUF_SIZE);
	rbuf = malloc(RBUF_SIZE);
	nslots = (size_t)opt.conns;
	slots = calloc(nslots, sizeof(*slots));
	if (opt.scenario == SC_LAT)
		st.rtt = malloc(MAX_SAMPLES * sizeof(*st.rtt));
	if (opt.scenario == SC_RATE || opt.scenario == SC_IDLE)
		st.hs = malloc(MAX_SAMPLES * sizeof(*st.hs));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pattern == NULL || rbuf == NULL || slots == NULL || epfd < 0 ||
	    (opt.scenario == SC_FLOOD && flood_init() != 0)) {
		fprintf(stderr, "wsbench: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < PAT_PERIOD; i++)
		pattern[i] = (uint8_t)(rand64() >> 32);
	for (size_t i = PAT_PERIOD; i < PAT_PERIOD + MAX_MSG + RBUF_SIZE; i++)
		pattern[i] = pattern[i - PAT_PERIOD];

	switch (opt.scenario) {
	case SC_TPUT:
	case SC_LAT:
	case SC_FLOOD:
		seconds = run_steady(extra, sizeof(extra), &client_cpu);
		break;
	case SC_RATE:
		seconds = run_rate(&client_cpu);
		break;
	case SC_IDLE:
		seconds = run_idle(extra, sizeof(extra));
		break;
	}
	/* Errors while tearing down count only if they are about the data. */
	saved = st;
	close_all();
	saved.verify_errors = st.verify_errors;
	saved.protocol_errors = st.protocol_errors;
	st = saved;

	printf("{\"tool\":\"wsbench\",\"scenario\":\"%s\",\"proto\":\"%s\","
	    "\"conns\":%d,\"size\":%zu,\"window\":%zu,\"seconds\":%.4f,%s",
	    scenario_names[opt.scenario], opt.ws ? "ws" : "tcp", opt.conns,
	    opt.size, opt.window, seconds, extra);
	if (opt.tls)
		printf("\"tls\":\"1.%d\",\"tls_full\":%llu,"
		    "\"tls_resumed\":%llu,", opt.tls - 10,
		    (unsigned long long)st.tls_full,
		    (unsigned long long)st.tls_resumed);
	if (opt.scenario == SC_TPUT) {
		printf("\"bytes\":%llu,\"MBps\":%.3f,\"msgs_per_s\":%.1f,"
		    "\"client_cpu\":%.3f,", (unsigned long long)st.bytes,
		    st.bytes / seconds / 1e6,
		    (double)st.bytes / (double)opt.size / seconds, client_cpu);
	} else if (opt.scenario == SC_LAT) {
		double sum = 0;

		qsort(st.rtt, st.nrtt, sizeof(*st.rtt), cmp_u32);
		for (size_t i = 0; i < st.nrtt; i++)
			sum += st.rtt[i];
		printf("\"samples\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
		    "\"p999_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f,"
		    "\"mean_us\":%.1f,\"client_cpu\":%.3f,", st.nrtt,
		    percentile_us(st.rtt, st.nrtt, 50),
		    percentile_us(st.rtt, st.nrtt, 99),
		    percentile_us(st.rtt, st.nrtt, 99.9),
		    percentile_us(st.rtt, st.nrtt, 0),
		    percentile_us(st.rtt, st.nrtt, 100),
		    st.nrtt ? sum / (double)st.nrtt / 1000 : -1, client_cpu);
	} else if (opt.scenario == SC_FLOOD) {
		printf("\"flood\":\"%s\",\"sent_bytes\":%llu,"
		    "\"sent_MBps\":%.3f,\"frames_per_s\":%.1f,"
		    "\"recv_bytes\":%llu,\"recv_MBps\":%.3f,"
		    "\"client_cpu\":%.3f,", flood_names[opt.flood],
		    (unsigned long long)st.sent, st.sent / seconds / 1e6,
		    flood_len ? (double)st.sent / (double)flood_len *
		    (double)flood_frames / seconds : 0,
		    (unsigned long long)st.bytes, st.bytes / seconds / 1e6,
		    client_cpu);
	} else if (opt.scenario == SC_RATE) {
		qsort(st.hs, st.nhs, sizeof(*st.hs), cmp_u32);
		printf("\"sessions\":%llu,\"sessions_per_s\":%.1f,"
		    "\"hs_p50_us\":%.1f,\"hs_p99_us\":%.1f,"
		    "\"client_cpu\":%.3f,",
		    (unsigned long long)st.sessions, st.sessions / seconds,
		    percentile_us(st.hs, st.nhs, 50),
		    percentile_us(st.hs, st.nhs, 99), client_cpu);
	} else {
		qsort(st.hs, st.nhs, sizeof(*st.hs), cmp_u32);
		printf("\"hs_p50_us\":%.1f,\"hs_p99_us\":%.1f,",
		    percentile_us(st.hs, st.nhs, 50),
		    percentile_us(st.hs, st.nhs, 99));
	}
	errors = st.verify_errors + st.connect_errors + st.handshake_errors +
	    st.protocol_errors + st.lost + st.close_timeouts +
	    st.close_unclean;
	printf("\"verify_errors\":%llu,\"connect_errors\":%llu,"
	    "\"handshake_errors\":%llu,\"protocol_errors\":%llu,\"lost\":%llu,"
	    "\"close_timeouts\":%llu,\"close_unclean\":%llu,\"errors\":%llu}\n",
	    (unsigned long long)st.verify_errors,
	    (unsigned long long)st.connect_errors,
	    (unsigned long long)st.handshake_errors,
	    (unsigned long long)st.protocol_errors,
	    (unsigned long long)st.lost,
	    (unsigned long long)st.close_timeouts,
	    (unsigned long long)st.close_unclean, (unsigned long long)errors);
	fflush(stdout);
	return errors == 0 ? 0 : 1;
}
