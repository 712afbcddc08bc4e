/* echo_backend.c -- a tiny TCP echo server for the demo and manual testing */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#define ECHO_MAX_BUFFER (1u << 20)

static void
echo_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	(void)arg;
	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	/* A client that stops reading stops being read. */
	if (evbuffer_get_length(out) >= ECHO_MAX_BUFFER)
		bufferevent_disable(bev, EV_READ);
}

static void
echo_write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_enable(bev, EV_READ);
}

static void
echo_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
echo_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct bufferevent *bev;

	(void)sa;
	(void)salen;
	(void)arg;
	bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, echo_read_cb, echo_write_cb, echo_event_cb,
	    NULL);
	bufferevent_setwatermark(bev, EV_WRITE, ECHO_MAX_BUFFER / 2, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
echo_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct event_base *base;
	struct evconnlistener *l;
	struct event *sigint, *sigterm;

	if (argc != 2 || evutil_parse_sockaddr_port(argv[1],
	    (struct sockaddr *)&ss, &sslen) != 0) {
		fprintf(stderr, "usage: echo-backend HOST:PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	l = evconnlistener_new_bind(base, echo_accept_cb, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&ss, sslen);
	if (l == NULL) {
		fprintf(stderr, "echo-backend: cannot listen on %s: %s\n",
		    argv[1], strerror(errno));
		return 1;
	}
	sigint = evsignal_new(base, SIGINT, echo_signal_cb, base);
	sigterm = evsignal_new(base, SIGTERM, echo_signal_cb, base);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	fprintf(stderr, "echo-backend: echoing on %s\n", argv[1]);
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(base);
	return 0;
}
