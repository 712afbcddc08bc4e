/* keyupdate.c -- a wss client that sends TLS 1.3 KeyUpdates mid-stream (Python's ssl cannot), for test_tls_io.py */
/*
 * keyupdate PORT PATH MESSAGES SIZE UPDATES
 *
 * Connects to 127.0.0.1:PORT with TLS 1.3 (no certificate check: the
 * test's gateway), upgrades PATH, then MESSAGES times: sends a masked
 * binary message of SIZE bytes and, after each, UPDATES KeyUpdates
 * asking the gateway to update its keys too (RFC 8446 4.6.3).  Reads the
 * echo (any framing) all along and compares it with what was sent.  Then
 * sends a close frame and waits for the gateway's.  Prints "ok N" (N:
 * bytes echoed) and exits 0; otherwise prints what went wrong and exits
 * 1, or "closed N" and exits 2 when the gateway ended the connection.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static unsigned char
pattern(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 9));
}

static void
fail(const char *what)
{
	printf("error %s\n", what);
	ERR_print_errors_fp(stdout);
	exit(1);
}

/* Read and check what arrives (non-blocking): frames of any length. */
struct rx {
	unsigned char buf[1 << 17];
	size_t len;
	size_t echoed;		/* payload bytes checked */
	int closed;		/* a close frame came */
};

static int
rx_pump(SSL *ssl, struct rx *rx)
{
	size_t n;

	if (SSL_read_ex(ssl, rx->buf + rx->len, sizeof(rx->buf) - rx->len,
	    &n) != 1) {
		int e = SSL_get_error(ssl, 0);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		return -1;
	}
	rx->len += n;
	for (;;) {
		size_t hl = 2, plen;

		if (rx->len < 2)
			break;
		plen = rx->buf[1] & 0x7f;
		if (plen == 126) {
			hl = 4;
			if (rx->len < hl)
				break;
			plen = ((size_t)rx->buf[2] << 8) | rx->buf[3];
		} else if (plen == 127) {
			fail("64-bit frame length");
		}
		if (rx->len < hl + plen)
			break;
		if ((rx->buf[0] & 0x0f) == 0x8) {
			rx->closed = 1;
		} else {
			for (size_t i = 0; i < plen; i++)
				if (rx->buf[hl + i] != pattern(rx->echoed + i))
					fail("echo differs");
			rx->echoed += plen;
		}
		memmove(rx->buf, rx->buf + hl + plen, rx->len - hl - plen);
		rx->len -= hl + plen;
	}
	return 0;
}

/* Write all of buf, reading meanwhile (the echo must not stall us). */
static void
send_all(SSL *ssl, int fd, const unsigned char *buf, size_t len,
    struct rx *rx)
{
	while (len > 0) {
		size_t n;
		struct pollfd p = { fd, POLLIN | POLLOUT, 0 };

		if (SSL_write_ex(ssl, buf, len, &n) == 1) {
			buf += n;
			len -= n;
			continue;
		}
		if (SSL_get_error(ssl, 0) != SSL_ERROR_WANT_WRITE &&
		    SSL_get_error(ssl, 0) != SSL_ERROR_WANT_READ) {
			printf("closed %zu\n", rx->echoed);
			exit(2);
		}
		if (poll(&p, 1, 10000) <= 0)
			fail("write timeout");
		if (rx_pump(ssl, rx) < 0) {
			printf("closed %zu\n", rx->echoed);
			exit(2);
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct rx *rx = calloc(1, sizeof(*rx));
	SSL_CTX *ctx;
	SSL *ssl;
	char req[512];
	unsigned char *msg, resp[4096];
	size_t size, rl = 0, sent = 0;
	int fd, messages, updates;

	if (argc != 6 || rx == NULL)
		fail("usage: keyupdate PORT PATH MESSAGES SIZE UPDATES");
	messages = atoi(argv[3]);
	size = (size_t)atol(argv[4]);
	updates = atoi(argv[5]);
	if ((msg = malloc(size + 14)) == NULL)
		fail("memory");

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail("connect");
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (SSL_connect(ssl) != 1)
		fail("handshake");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", argv[2]);
	if (SSL_write(ssl, req, (int)strlen(req)) <= 0)
		fail("request");
	/* The response alone: the echo comes only after we send. */
	while (rl < 4 || memcmp(resp + rl - 4, "\r\n\r\n", 4) != 0) {
		if (rl == sizeof(resp) || SSL_read(ssl, resp + rl, 1) != 1)
			fail("response");
		rl++;
	}
	if (memcmp(resp, "HTTP/1.1 101", 12) != 0)
		fail("no 101");
	/* From now on, non-blocking. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		fail("fcntl");

	for (int m = 0; m < messages; m++) {
		size_t hl = 0;
		const unsigned char mask[4] = { 1, 2, 3, 4 };

		msg[hl++] = 0x82;
		if (size < 126) {
			msg[hl++] = (unsigned char)(0x80 | size);
		} else if (size < 65536) {
			msg[hl++] = 0x80 | 126;
			msg[hl++] = (unsigned char)(size >> 8);
			msg[hl++] = (unsigned char)size;
		} else {
			msg[hl++] = 0x80 | 127;
			for (int i = 7; i >= 0; i--)
				msg[hl++] = (unsigned char)((uint64_t)size >>
				    (8 * i));
		}
		memcpy(msg + hl, mask, 4);
		hl += 4;
		for (size_t i = 0; i < size; i++)
			msg[hl + i] = pattern(sent + i) ^ mask[i & 3];
		send_all(ssl, fd, msg, hl + size, rx);
		sent += size;
		for (int u = 0; u < updates; u++) {
			if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1)
				fail("SSL_key_update");
			/* Sent by the next write: an empty one flushes it
			 * (SSL_do_handshake does too). */
			while (SSL_do_handshake(ssl) != 1) {
				struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
				int e = SSL_get_error(ssl, 0);

				if (e != SSL_ERROR_WANT_WRITE &&
				    e != SSL_ERROR_WANT_READ) {
					printf("closed %zu\n", rx->echoed);
					return 2;
				}
				poll(&p, 1, 1000);
				if (rx_pump(ssl, rx) < 0) {
					printf("closed %zu\n", rx->echoed);
					return 2;
				}
			}
		}
		if (rx_pump(ssl, rx) < 0) {
			printf("closed %zu\n", rx->echoed);
			return 2;
		}
	}
	/* The rest of the echo. */
	while (rx->echoed < sent) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 10000) <= 0)
			fail("echo timeout");
		if (rx_pump(ssl, rx) < 0) {
			printf("closed %zu\n", rx->echoed);
			return 2;
		}
	}
	{
		const unsigned char cl[] = { 0x88, 0x82, 0, 0, 0, 0, 0x03,
		    0xe8 };

		send_all(ssl, fd, cl, sizeof(cl), rx);
	}
	while (!rx->closed) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 10000) <= 0)
			fail("close timeout");
		if (rx_pump(ssl, rx) < 0)
			break;
	}
	printf("ok %zu\n", rx->echoed);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	free(msg);
	free(rx);
	return 0;
}
