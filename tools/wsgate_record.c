/* wsgate_record.c -- wsgate-record: dump a session recording, or replay its client bytes against a backend */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

/*
 *   wsgate-record dump [-n BYTES] FILE
 *	print the header and one line per record, data escaped (at most
 *	BYTES per record, default 64, 0: all), then totals
 *   wsgate-record replay [-s SPEED] [-w SECONDS] [-r] [-c] FILE HOST:PORT
 *	connect to HOST:PORT (or unix:/path), send the client->backend
 *	bytes with their original timing divided by SPEED (default 1; 0:
 *	no waiting), and print what the backend sends back, as dump does
 *	(-r: raw bytes to stdout instead).  After the last record, wait
 *	until the backend has been silent for SECONDS (default 1) or
 *	closes.  -c: exit 1 unless the bytes received equal the recording's
 *	backend->client bytes.
 *
 * Exit status: 0 done, 1 a bad recording, a failed connection or (with -c)
 * a different answer, 2 usage.  The whole file is read into memory, up to
 * FILE_MAX: this is a test and debugging tool, not part of the gateway.
 */
#define FILE_MAX (256u * 1024 * 1024)

static void
usage(void)
{
	fprintf(stderr,
	    "usage: wsgate-record dump [-n BYTES] FILE\n"
	    "       wsgate-record replay [-s SPEED] [-w SECONDS] [-r] [-c] "
	    "FILE HOST:PORT|unix:PATH\n");
	exit(2);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "wsgate-record: %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > FILE_MAX) {
		fprintf(stderr, "wsgate-record: %s: not a regular file of at "
		    "most 256 MiB\n", path);
		exit(1);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		fprintf(stderr, "wsgate-record: out of memory\n");
		exit(1);
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return buf;
}

/* Printable ASCII as is; quotes, backslashes and the rest escaped. */
static void
print_escaped(FILE *f, const uint8_t *p, size_t n, size_t max)
{
	size_t shown = max != 0 && n > max ? max : n;

	fputc('"', f);
	for (size_t i = 0; i < shown; i++) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
	fputc('"', f);
	if (shown < n)
		fprintf(f, "...(+%zu)", n - shown);
}

static void
print_field(const char *name, const struct record_str *s)
{
	if (s->p == NULL)
		return;
	printf("%-12s", name);
	print_escaped(stdout, (const uint8_t *)s->p, s->n, 0);
	putchar('\n');
}

static void
print_time(uint64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	char buf[32];

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, sizeof(buf), "?");
	printf("%-12s%s.%06luZ\n", "start", buf, (unsigned long)(us % 1000000));
}

/* Walks a whole file; calls fn for each record.  Exits 1 on a bad file. */
struct walk {
	const uint8_t *buf;
	size_t len, off;
	struct record_reader rd;
	struct record_header hdr;
	const char *path;
};

static void
walk_start(struct walk *w, const char *path)
{
	struct record_item it;
	const char *why;
	int r;

	w->path = path;
	w->buf = read_file(path, &w->len);
	w->off = 0;
	record_reader_init(&w->rd);
	r = record_read(&w->rd, w->buf, w->len, &it, &why);
	if (r == CODEC_NEED_MORE)
		why = "file ends inside the header";
	if (r < 0) {
		fprintf(stderr, "wsgate-record: %s: %s\n", path, why);
		exit(1);
	}
	w->hdr = it.header;
	w->off = (size_t)r;
}

/* Back to the first record. */
static void
walk_rewind(struct walk *w)
{
	struct record_item it;
	const char *why;

	record_reader_init(&w->rd);
	w->off = (size_t)record_read(&w->rd, w->buf, w->len, &it, &why);
}

/* The next record, or NULL at the end of the file. */
static const struct record_chunk *
walk_next(struct walk *w, struct record_item *it)
{
	const char *why;
	int r;

	if (w->off == w->len)
		return NULL;
	r = record_read(&w->rd, w->buf + w->off, w->len - w->off, it, &why);
	if (r == CODEC_NEED_MORE) {
		fprintf(stderr, "wsgate-record: %s: file ends inside a record "
		    "at byte %zu (cut short)\n", w->path, w->off);
		return NULL;
	}
	if (r < 0) {
		fprintf(stderr, "wsgate-record: %s: byte %zu: %s\n", w->path,
		    w->off, why);
		exit(1);
	}
	w->off += (size_t)r;
	return &it->chunk;
}

static int
cmd_dump(int argc, char **argv)
{
	size_t max = 64, nrec = 0, bytes[3] = { 0, 0, 0 };
	struct record_item it;
	const struct record_chunk *c;
	struct walk w;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			usage();
		max = strtoul(optarg, NULL, 10);
	}
	if (optind != argc - 1)
		usage();
	walk_start(&w, argv[optind]);
	printf("wsgate recording, version %u\n", w.hdr.version);
	print_time(w.hdr.start_us);
	print_field("route", &w.hdr.route);
	print_field("client", &w.hdr.client);
	print_field("target", &w.hdr.target);
	print_field("session", &w.hdr.session);
	print_field("path", &w.hdr.path);
	print_field("subprotocol", &w.hdr.subprotocol);
	while ((c = walk_next(&w, &it)) != NULL) {
		nrec++;
		printf("+%llu.%06llu %s %zu ",
		    (unsigned long long)(c->offset_us / 1000000),
		    (unsigned long long)(c->offset_us % 1000000),
		    record_type_name(c->type), c->len);
		print_escaped(stdout, c->data, c->len,
		    c->type <= RECORD_B2C ? max : 0);
		putchar('\n');
		if (c->type <= RECORD_B2C)
			bytes[c->type] += c->len;
	}
	printf("records %zu, c>b %zu bytes, b>c %zu bytes%s\n", nrec,
	    bytes[RECORD_C2B], bytes[RECORD_B2C],
	    record_reader_ended(&w.rd) ? "" :
	    ", no end record (the recording was cut short)");
	free((void *)w.buf);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_to(const char *target)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256];
	const char *colon;
	size_t hlen;
	int fd = -1, rc;

	if (strncmp(target, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(target + 5) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, target + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) != 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	colon = strrchr(target, ':');
	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - target);
	if (target[0] == '[' && hlen >= 2 && target[hlen - 1] == ']') {
		target++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, target, hlen);
	host[hlen] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

struct replay {
	int fd;
	bool raw, compare, eof;
	double t0;
	size_t nrecv;		/* bytes received so far */
	uint8_t *got;		/* what came back, for -c */
	size_t ngot, cap;
};

/* Read what is there; print it or keep it. */
static int
replay_read(struct replay *rp)
{
	uint8_t buf[65536];
	ssize_t r = recv(rp->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0) {
		rp->eof = true;
		return 0;
	}
	rp->nrecv += (size_t)r;
	if (rp->raw) {
		fwrite(buf, 1, (size_t)r, stdout);
		fflush(stdout);
	} else {
		printf("+%.6f b>c %zd ", now_s() - rp->t0, r);
		print_escaped(stdout, buf, (size_t)r, 64);
		putchar('\n');
	}
	if (rp->compare) {
		if (rp->ngot + (size_t)r > FILE_MAX)
			return -1;
		if (rp->ngot + (size_t)r > rp->cap) {
			size_t cap = (rp->ngot + (size_t)r) * 2;
			uint8_t *g = realloc(rp->got, cap);

			if (g == NULL)
				return -1;
			rp->got = g;
			rp->cap = cap;
		}
		memcpy(rp->got + rp->ngot, buf, (size_t)r);
		rp->ngot += (size_t)r;
	}
	return 0;
}

/*
 * Read (and print) what the backend sends until `until`; with want_out,
 * return as soon as the socket can take more, failing after SEND_STALL
 * seconds without room (a backend that stopped reading).
 */
#define SEND_STALL 30.0

static int
replay_poll(struct replay *rp, double until, bool want_out)
{
	if (want_out)
		until = now_s() + SEND_STALL;
	for (;;) {
		struct pollfd pfd = { rp->fd, 0, 0 };
		double left = until - now_s();
		int n;

		if (left <= 0) {
			if (want_out)
				errno = ETIMEDOUT;
			return want_out ? -1 : 0;
		}
		if (!rp->eof)
			pfd.events |= POLLIN;
		if (want_out)
			pfd.events |= POLLOUT;
		if (pfd.events == 0)
			return 0;
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			continue;
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !rp->eof &&
		    replay_read(rp) != 0)
			return -1;
		if (want_out && (pfd.revents & POLLOUT))
			return 0;
		if (want_out && (pfd.revents & (POLLHUP | POLLERR))) {
			errno = EPIPE;
			return -1;
		}
	}
}

static int
replay_send(struct replay *rp, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(rp->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (replay_poll(rp, 0, true) != 0)
				return -1;
			continue;
		}
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
cmd_replay(int argc, char **argv)
{
	double speed = 1, wait = 1;
	struct replay rp = { .fd = -1 };
	uint8_t *want = NULL;
	size_t nwant = 0, nsent = 0;
	struct record_item it;
	const struct record_chunk *c;
	struct walk w;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "s:w:rc")) != -1) {
		switch (opt) {
		case 's':
			speed = strtod(optarg, NULL);
			break;
		case 'w':
			wait = strtod(optarg, NULL);
			break;
		case 'r':
			rp.raw = true;
			break;
		case 'c':
			rp.compare = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 2 || !(speed >= 0) || !(wait >= 0))
		usage();
	walk_start(&w, argv[optind]);
	/* The bytes the backend sent when recorded, for -c. */
	want = malloc(w.len + 1);
	if (want == NULL)
		return 1;
	while ((c = walk_next(&w, &it)) != NULL) {
		if (c->type == RECORD_B2C) {
			memcpy(want + nwant, c->data, c->len);
			nwant += c->len;
		}
	}
	rp.fd = connect_to(argv[optind + 1]);
	if (rp.fd < 0) {
		fprintf(stderr, "wsgate-record: cannot connect to %s\n",
		    argv[optind + 1]);
		free(want);
		free((void *)w.buf);
		return 1;
	}
	walk_rewind(&w);
	rp.t0 = now_s();
	while ((c = walk_next(&w, &it)) != NULL) {
		if (c->type != RECORD_C2B)
			continue;
		if (speed > 0 && replay_poll(&rp, rp.t0 +
		    (double)c->offset_us / 1e6 / speed, false) != 0)
			goto broken;
		if (replay_send(&rp, c->data, c->len) != 0)
			goto broken;
		nsent += c->len;
	}
	/* Then until the backend closes or has been quiet for `wait`. */
	while (!rp.eof) {
		size_t before = rp.nrecv;

		if (replay_poll(&rp, now_s() + wait, false) != 0)
			goto broken;
		if (rp.nrecv == before)
			break;
	}
	goto done;
broken:
	fprintf(stderr, "wsgate-record: connection to %s failed: %s\n",
	    argv[optind + 1], strerror(errno));
	rc = 1;
done:
	if (!rp.raw)
		printf("sent %zu bytes%s\n", nsent, rp.eof ?
		    ", the backend closed" : "");
	if (rp.compare && rc == 0) {
		size_t i = 0;

		while (i < rp.ngot && i < nwant && rp.got[i] == want[i])
			i++;
		if (rp.ngot == nwant && i == nwant) {
			fprintf(stderr, "wsgate-record: received the %zu "
			    "recorded bytes\n", nwant);
		} else {
			fprintf(stderr, "wsgate-record: received %zu bytes, "
			    "recorded %zu; they differ from byte %zu\n",
			    rp.ngot, nwant, i);
			rc = 1;
		}
	}
	close(rp.fd);
	free(rp.got);
	free(want);
	free((void *)w.buf);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (strcmp(argv[1], "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	usage();
	return 2;
}
