/* download.c -- a web_root file sent to a client in bounded chunks, read as its connection drains */
#include "download.h"

#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "tls.h"

struct download {
	struct bufferevent *bev;	/* the client's; not owned */
	bool tls;
	download_end_fn end;
	void *arg;

	int fd;
	uint64_t size;			/* promised in Content-Length */
	uint64_t offset;		/* next byte to read */
	struct timespec mtime;		/* at open */
	size_t head;			/* queued before the body */
	/* What download_progressed saw last. */
	uint64_t seen_sent;
	int seen_outq;
	char why[256];
};

/* Whether the file is still the one whose length the head promised. */
static bool
download_unchanged(struct download *d)
{
	struct stat st;

	if (fstat(d->fd, &st) != 0) {
		snprintf(d->why, sizeof(d->why), "fstat: %s", strerror(errno));
		return false;
	}
	if ((uint64_t)st.st_size == d->size &&
	    st.st_mtim.tv_sec == d->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == d->mtime.tv_nsec)
		return true;
	if ((uint64_t)st.st_size != d->size)
		snprintf(d->why, sizeof(d->why), "file changed during the "
		    "download (%llu bytes, now %llu)",
		    (unsigned long long)d->size,
		    (unsigned long long)st.st_size);
	else
		snprintf(d->why, sizeof(d->why), "file changed during the "
		    "download (modified)");
	return false;
}

enum fill {
	FILL_MORE,		/* more to read once the output is written */
	FILL_QUEUED,		/* the whole file is in the output, or sent */
	FILL_CUT,		/* stop: d->why says why */
};

/* Queue the next chunk if the output is empty (or holds just the head). */
static enum fill
download_fill(struct download *d)
{
	struct evbuffer *out = bufferevent_get_output(d->bev);
	struct evbuffer_iovec v;
	size_t want;
	ssize_t n;

	if (d->offset == d->size)
		return FILL_QUEUED;
	/* The first chunk goes out with the head. */
	if (evbuffer_get_length(out) > (d->offset == 0 ? d->head : 0))
		return FILL_MORE;
	want = d->size - d->offset < DOWNLOAD_CHUNK ?
	    (size_t)(d->size - d->offset) : DOWNLOAD_CHUNK;
	if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) != 1) {
		snprintf(d->why, sizeof(d->why), "out of memory");
		return FILL_CUT;
	}
	do
		n = pread(d->fd, v.iov_base, want, (off_t)d->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(d->why, sizeof(d->why), "read: %s", strerror(errno));
		return FILL_CUT;
	}
	/*
	 * Checked after the read, so no byte read while the file changed is
	 * sent.  (A change that keeps the size within one tick of the file
	 * system's clock can still pass.)
	 */
	if (!download_unchanged(d))
		return FILL_CUT;
	if (n == 0) {
		/* Shrank and grew back, within one tick. */
		snprintf(d->why, sizeof(d->why), "file changed during the "
		    "download (ended at %llu of %llu bytes)",
		    (unsigned long long)d->offset,
		    (unsigned long long)d->size);
		return FILL_CUT;
	}
	v.iov_len = (size_t)n;
	if (evbuffer_commit_space(out, &v, 1) != 0) {
		snprintf(d->why, sizeof(d->why), "out of memory");
		return FILL_CUT;
	}
	d->offset += (uint64_t)n;
	return d->offset == d->size ? FILL_QUEUED : FILL_MORE;
}

/* The output is empty (low watermark 0): refill it, or report the end. */
static void
download_write_cb(struct bufferevent *bev, void *arg)
{
	struct download *d = arg;

	switch (download_fill(d)) {
	case FILL_MORE:
		return;
	case FILL_QUEUED:
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			d->end(d->arg, DOWNLOAD_DONE, NULL);
		return;
	case FILL_CUT:
		d->end(d->arg, DOWNLOAD_CUT, d->why);
		return;
	}
}

static void
download_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct download *d = arg;
	char err[200];

	snprintf(d->why, sizeof(d->why), "client gone: %s",
	    (what & BEV_EVENT_EOF) ? "EOF" : d->tls ?
	    tls_error(bev, what, err, sizeof(err)) :
	    strerror(EVUTIL_SOCKET_ERROR()));
	d->end(d->arg, DOWNLOAD_GONE, d->why);
}

struct download *
download_start(struct bufferevent *bev, bool tls, int fd,
    const struct stat *st, download_end_fn end, void *arg, char *err,
    size_t errsize)
{
	struct download *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		close(fd);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	d->bev = bev;
	d->tls = tls;
	d->end = end;
	d->arg = arg;
	d->fd = fd;
	d->size = (uint64_t)st->st_size;
	d->mtime = st->st_mtim;
	d->head = evbuffer_get_length(bufferevent_get_output(bev));
	d->seen_outq = -1;
	if (download_fill(d) == FILL_CUT) {
		snprintf(err, errsize, "%s", d->why);
		download_free(d);
		return NULL;
	}
	/*
	 * Nothing is read while sending: a client may half-close after its
	 * request and still read the answer, and one that leaves shows as a
	 * write error.
	 */
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, download_write_cb, download_event_cb, d);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	/* A chunk (and the head) per write, not libevent's 16 KiB. */
	bufferevent_set_max_single_write(bev, DOWNLOAD_CHUNK + 1024);
	bufferevent_enable(bev, EV_WRITE);
	return d;
}

void
download_free(struct download *d)
{
	if (d == NULL)
		return;
	close(d->fd);
	free(d);
}

uint64_t
download_sent(const struct download *d)
{
	return d->head + d->offset -
	    evbuffer_get_length(bufferevent_get_output(d->bev));
}

bool
download_progressed(struct download *d)
{
	uint64_t sent = download_sent(d);
	int outq = 0;
	bool moved;

	/* SIOCOUTQ: bytes the kernel holds for the peer, sent or not. */
	if (ioctl(bufferevent_getfd(d->bev), SIOCOUTQ, &outq) != 0)
		outq = 0;
	moved = sent != d->seen_sent || outq != d->seen_outq;
	d->seen_sent = sent;
	d->seen_outq = outq;
	return moved;
}
