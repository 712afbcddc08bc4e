/* listener.c -- listening sockets, and accepting from them in an event loop */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "config_types.h"
#include "log.h"
#include "sockaddr.h"

#define LISTEN_BACKLOG 4096
#define MAX_ADDRESSES 8

struct listener {
	unsigned tls;		/* "listen = ADDR tls": LISTEN_* */
	/* copies sockets per address, in one SO_REUSEPORT group: the socket
	 * of copy k of address a is fds[a * copies + k]. */
	int *fds;
	size_t n;
	size_t copies;
	/* fd:N: the socket is shared with the process that passed it (inetd
	 * listens on it again once wsgate exits): stopping leaves it and its
	 * queue as they are. */
	bool inherited;
	char desc[256];
	/* A unix socket: its file, removed by listener_free if it is still
	 * the one bound here (same device and inode). */
	char path[108];
	dev_t dev;
	ino_t ino;
};

struct acceptor {
	acceptor_fn fn;
	void *arg;
	const struct listener *l;
	struct event *ev[MAX_ADDRESSES];
	size_t n;
	struct event *resume;	/* re-enable after fd exhaustion */
};

static void
acceptor_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor *a = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < a->n; i++)
		event_add(a->ev[i], NULL);
}

static void
acceptor_failed(struct acceptor *a, int err)
{
	struct timeval pause = { 0, 100 * 1000 };

	/* Out of descriptors: accepting would spin, so stop for a moment
	 * and let sessions end.  Anything else is logged and survived. */
	log_warn("accept on %s: %s%s", a->l->desc, strerror(err),
	    (err == EMFILE || err == ENFILE) ?
	    "; pausing new connections for 100 ms (raise the open file "
	    "limit or lower max_connections)" : "");
	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		for (size_t i = 0; i < a->n; i++)
			event_del(a->ev[i]);
		evtimer_add(a->resume, &pause);
	}
}

/*
 * One accept per wakeup: the socket stays readable while more wait, so
 * nothing is left behind, and a lone connection costs no extra accept4()
 * answering EAGAIN (evconnlistener accepts until EAGAIN).
 */
static void
acceptor_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct acceptor *a = arg;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd;

	(void)what;
	fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		a->fn(fd, (struct sockaddr *)&ss, (int)sslen, a->l->tls,
		    a->arg);
		return;
	}
	/* Nothing to take (another loop was faster), or a connection that
	 * was reset before it was taken: not errors. */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
	    errno == ECONNABORTED || errno == EPROTO)
		return;
	acceptor_failed(a, errno);
}

struct acceptor *
acceptor_new(struct event_base *base, const struct listener *l, size_t copy,
    acceptor_fn fn, void *arg)
{
	struct acceptor *a;

	if (copy >= l->copies || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->fn = fn;
	a->arg = arg;
	a->l = l;
	a->resume = evtimer_new(base, acceptor_resume_cb, a);
	if (a->resume == NULL) {
		acceptor_free(a);
		return NULL;
	}
	for (size_t i = 0; i < l->n / l->copies; i++) {
		/* The socket belongs to the listener, not to this watch. */
		a->ev[i] = event_new(base, l->fds[i * l->copies + copy],
		    EV_READ | EV_PERSIST, acceptor_cb, a);
		if (a->ev[i] == NULL || event_add(a->ev[i], NULL) != 0) {
			if (a->ev[i] != NULL)
				event_free(a->ev[i]);
			acceptor_free(a);
			return NULL;
		}
		a->n++;
	}
	return a;
}

void
acceptor_take_all(struct acceptor *a)
{
	if (a->l->inherited)
		return;
	for (size_t i = 0; i < a->n; i++) {
		evutil_socket_t lfd = event_get_fd(a->ev[i]);
		struct sockaddr_storage ss;

		/* At most a full backlog: the filter (listener_refuse_new)
		 * keeps new handshakes out, so the queue only empties. */
		for (int k = 0; k <= LISTEN_BACKLOG; k++) {
			socklen_t sslen = sizeof(ss);
			int fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd >= 0) {
				a->fn(fd, (struct sockaddr *)&ss, (int)sslen,
				    a->l->tls, a->arg);
				continue;
			}
			if (errno == ECONNABORTED || errno == EPROTO ||
			    errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept on %s while stopping: %s; "
				    "connections still queued are reset",
				    a->l->desc, strerror(errno));
			break;
		}
	}
}

void
acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		event_free(a->ev[i]);
	if (a->resume != NULL)
		event_free(a->resume);
	free(a);
}

static struct listener *
listener_alloc(const struct listen_spec *spec, size_t copies)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->copies = copies;
	l->fds = calloc(MAX_ADDRESSES * copies, sizeof(*l->fds));
	if (l->fds == NULL) {
		free(l);
		return NULL;
	}
	l->tls = (!spec->tls ? 0 : spec->http1_only ? LISTEN_TLS :
	    LISTEN_TLS | LISTEN_H2) |
	    (spec->proxy_protocol ? LISTEN_PROXY : 0);
	return l;
}

/*
 * One listening socket on sa.  reuseport: 0 for a socket of its own, 1 to
 * join the group of the first copy, 2 for that first copy: bound without
 * SO_REUSEPORT, so that the address taken by anyone else (another wsgate
 * included, whose sockets have the option too) fails as "in use" rather
 * than sharing the port, and given the option only then, before
 * listen(2) makes the group.
 */
static int
bind_one(const struct sockaddr *sa, socklen_t salen, int reuseport,
    char *err, size_t errsize)
{
	int one = 1;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit it: no setsockopt per connection.  Small
	 * frames (pings, keystrokes) must not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	/* Let [::]:P and 0.0.0.0:P be listed side by side. */
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((reuseport == 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) != 0) || bind(fd, sa, salen) != 0 ||
	    (reuseport == 2 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) != 0) || listen(fd, LISTEN_BACKLOG) != 0) {
		snprintf(err, errsize, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Every copy of one address (ai), the first one's port for the others
 * (port 0 picks one); into fds[0..copies). */
static int
bind_group(const struct addrinfo *ai, size_t copies, int *fds, char *err,
    size_t errsize)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	fds[0] = bind_one(ai->ai_addr, ai->ai_addrlen, copies > 1 ? 2 : 0,
	    err, errsize);
	if (fds[0] < 0)
		return -1;
	if (copies > 1 && getsockname(fds[0], (struct sockaddr *)&ss,
	    &sslen) != 0) {
		snprintf(err, errsize, "getsockname: %s", strerror(errno));
		close(fds[0]);
		return -1;
	}
	for (size_t k = 1; k < copies; k++) {
		fds[k] = bind_one((struct sockaddr *)&ss, sslen, 1, err,
		    errsize);
		if (fds[k] < 0) {
			while (k-- > 0)
				close(fds[k]);
			return -1;
		}
	}
	return 0;
}

/*
 * A file in the way of a unix listener: a socket nobody listens on any
 * more (a crash, a kill -9) is removed (returns 1); anything else is an
 * error (-1), so wsgate never unlinks a file that is not a socket, nor
 * steals the socket of a running process.  0: nothing there.
 */
static int
unix_clear_stale(const char *path, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errsize,
		    "cannot check %s: %s", path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsize, "%s exists and is not a socket; not "
		    "removing it", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN) {
		snprintf(err, errsize, "%s is in use: another process listens "
		    "on it", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errsize, "cannot check %s: %s", path,
		    strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errsize, "cannot remove the stale socket %s: %s",
		    path, strerror(errno));
		return -1;
	}
	return 1;
}

/* listen = unix:/path [mode=0660]: permissions set before listen(2), so
 * no connection is accepted while they are the umask's. */
static struct listener *
listener_new_unix(const struct listen_spec *spec, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	struct listener *l;
	struct stat st;
	int fd;
	int stale = unix_clear_stale(spec->path, err, errsize);

	if (stale < 0)
		return NULL;
	if (stale > 0)
		log_info("listen: removed the stale socket of %s (nobody "
		    "listened on it)", spec->text);
	l = listener_alloc(spec, 1);
	if (l == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, spec->path, strlen(spec->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		listener_free(l);
		return NULL;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errsize, "cannot bind %s: %s", spec->path,
		    strerror(errno));
		close(fd);
		listener_free(l);
		return NULL;
	}
	l->fds[l->n++] = fd;
	memcpy(l->path, spec->path, strlen(spec->path) + 1);
	if (lstat(l->path, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	snprintf(l->desc, sizeof(l->desc), "unix:%s", l->path);
	if (chmod(l->path, (mode_t)spec->mode) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		snprintf(err, errsize, "%s: %s", l->path, strerror(errno));
		listener_free(l);
		return NULL;
	}
	return l;
}

/* listen = fd:N: adopt an inherited socket, which must already listen
 * (inetd's "wait" services and websockify's --inetd hand one over). */
static struct listener *
listener_new_fd(const struct listen_spec *spec, char *err, size_t errsize)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct listener *l;
	char addr[SOCKADDR_STRLEN] = "?";
	int type = 0, acc = 0, fd = spec->fd, flags;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
		snprintf(err, errsize, "descriptor %d is not a socket (%s): "
		    "fd:N takes a listening socket the parent opened", fd,
		    strerror(errno));
		return NULL;
	}
	len = sizeof(acc);
	if (type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 ||
	    !acc) {
		snprintf(err, errsize, "descriptor %d is a socket but not a "
		    "listening stream socket (inetd's \"nowait\" passes a "
		    "connection: use \"wait\")", fd);
		return NULL;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		snprintf(err, errsize, "descriptor %d: %s", fd,
		    strerror(errno));
		return NULL;
	}
	l = listener_alloc(spec, 1);
	if (l == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	l->fds[l->n++] = fd;
	l->inherited = true;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		sockaddr_format((struct sockaddr *)&ss, addr, sizeof(addr));
	snprintf(l->desc, sizeof(l->desc), "%s (descriptor %d)", addr, fd);
	return l;
}

struct listener *
listener_new(const struct listen_spec *spec, size_t copies, char *err,
    size_t errsize)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct listener *l;
	const char *host = spec->host;
	size_t dlen = 0;
	int rc;

	if (spec->unix_path)
		return listener_new_unix(spec, err, errsize);
	if (spec->from_fd)
		return listener_new_fd(spec, err, errsize);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (strcmp(host, "*") == 0)
		host = NULL;
	rc = getaddrinfo(host, spec->port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsize, "cannot resolve %s: %s", spec->host,
		    gai_strerror(rc));
		return NULL;
	}
	l = listener_alloc(spec, copies < 1 ? 1 : copies);
	if (l == NULL) {
		freeaddrinfo(res);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	for (ai = res; ai != NULL && l->n < MAX_ADDRESSES * l->copies;
	    ai = ai->ai_next) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		char addr[SOCKADDR_STRLEN];
		int fd;

		if (bind_group(ai, l->copies, l->fds + l->n, err,
		    errsize) != 0) {
			char want[SOCKADDR_STRLEN];
			char why[200];

			sockaddr_format(ai->ai_addr, want, sizeof(want));
			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errsize, "cannot listen on %s: %s", want,
			    why);
			freeaddrinfo(res);
			listener_free(l);
			return NULL;
		}
		fd = l->fds[l->n];
		l->n += l->copies;
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
			sockaddr_format((struct sockaddr *)&ss, addr,
			    sizeof(addr));
			rc = snprintf(l->desc + dlen, sizeof(l->desc) - dlen,
			    "%s%s", dlen > 0 ? " " : "", addr);
			if (rc > 0 && (size_t)rc < sizeof(l->desc) - dlen)
				dlen += (size_t)rc;
		}
	}
	freeaddrinfo(res);
	return l;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->path[0] != '\0') {
		struct stat st;

		/* Only our own socket file: another instance may have
		 * replaced it meanwhile. */
		if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_dev == l->dev && st.st_ino == l->ino)
			unlink(l->path);
	}
	for (size_t i = 0; i < l->n; i++)
		close(l->fds[i]);
	free(l->fds);
	free(l);
}

size_t
listener_copies(const struct listener *l)
{
	return l->copies;
}

/*
 * A cBPF socket filter that drops a TCP segment with SYN and without ACK,
 * and keeps everything else.  On a listening socket it runs on the TCP
 * header (the kernel has pulled the IP header), so byte 13 is the flags.
 */
static struct sock_filter refuse_syn_code[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),	/* SYN | ACK */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),	/* SYN alone */
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
};

int
listener_refuse_new(struct listener *l)
{
	struct sock_fprog prog = {
		sizeof(refuse_syn_code) / sizeof(refuse_syn_code[0]),
		refuse_syn_code
	};
	int rc = 0;

	/* A filter would stay on the parent's socket after wsgate exits. */
	if (l->inherited)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		int domain = 0;
		socklen_t len = sizeof(domain);

		/* A unix socket has no handshake to hold back (and no TCP
		 * header): a connect(2) is queued whole, and taken by the
		 * last accepts. */
		if (getsockopt(l->fds[i], SOL_SOCKET, SO_DOMAIN, &domain,
		    &len) != 0 || (domain != AF_INET && domain != AF_INET6))
			continue;
		if (setsockopt(l->fds[i], SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		    sizeof(prog)) != 0)
			rc = -1;
	}
	return rc;
}

const char *
listener_describe(const struct listener *l)
{
	return l->desc;
}
