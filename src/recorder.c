/* recorder.c -- session recordings (record = DIR): the relay's bytes queued on the event loop, written to files by one thread */
#include "recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"

/* The writer's side of one file. */
struct rec_file {
	int fd;				/* -1: not written (refused, failed) */
	bool stopped;			/* a stop record is written */
	char *dirpath;			/* the writer finds dir by it */
	struct rec_dir *dir;
	uint64_t dir_max;
	uint64_t last_us;		/* the last record's time offset */
	char path[4096];
};

/* A directory the writer has used: its size, kept up to date. */
struct rec_dir {
	struct rec_dir *next;
	char *path;
	uint64_t total;
	bool full_warned;
	bool open_warned;		/* files cannot be made: said once */
};

enum rec_op_kind { OP_OPEN, OP_DATA, OP_CLOSE };

struct rec_op {
	struct rec_op *next;
	struct rec_file *file;
	enum rec_op_kind kind;
	size_t len;
	uint8_t data[];
};

/* The loop's side of one session's recording. */
struct recording {
	struct rec_file *file;		/* handed to the writer */
	struct timeval start;		/* monotonic */
	uint64_t max_bytes;
	uint64_t submitted;		/* data bytes queued */
	uint64_t dropped;		/* data bytes the queue refused */
	bool stopped;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct rec_op *head, *tail;
	size_t bytes;			/* queued data */
	bool started, stopping;
	pthread_t thread;
	struct rec_dir *dirs;		/* the writer's only */
} q = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static atomic_ulong file_seq;

/* ---- the writer thread ---- */

/* The size of the regular files directly in path (at most
 * RECORDER_DIR_SCAN_MAX of them): what the directory holds already. */
static uint64_t
dir_scan(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t total = 0;
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n++ < RECORDER_DIR_SCAN_MAX) {
		struct stat st;

		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

static struct rec_dir *
dir_get(const char *path)
{
	struct rec_dir *d;

	for (d = q.dirs; d != NULL; d = d->next)
		if (strcmp(d->path, path) == 0)
			return d;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->path = strdup(path)) == NULL) {
		free(d);
		return NULL;
	}
	d->total = dir_scan(path);
	d->next = q.dirs;
	q.dirs = d;
	return d;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A stop record, and nothing more but the end. */
static void
file_stop(struct rec_file *f, const char *why)
{
	uint8_t head[RECORD_HEAD_LEN];
	size_t n = strlen(why);

	if (f->fd < 0 || f->stopped)
		return;
	f->stopped = true;
	/* The stop's time: that of the record it stands for (offsets
	 * never go back). */
	if (record_encode_head(RECORD_STOP, f->last_us, n, head) == 0)
		return;
	if (write_all(f->fd, head, sizeof(head)) == 0 &&
	    write_all(f->fd, (const uint8_t *)why, n) == 0 && f->dir != NULL)
		f->dir->total += sizeof(head) + n;
}

static void
file_write(struct rec_file *f, const uint8_t *p, size_t n, bool end)
{
	if (f->fd < 0 || (f->stopped && !end))
		return;
	if (!end && f->dir != NULL && f->dir_max != 0 &&
	    f->dir->total + n > f->dir_max) {
		if (!f->dir->full_warned)
			log_warn("recording %s: record_dir_max_bytes (%llu) "
			    "reached: recordings in %s stop", f->path,
			    (unsigned long long)f->dir_max, f->dir->path);
		f->dir->full_warned = true;
		file_stop(f, "record directory full");
		return;
	}
	if (write_all(f->fd, p, n) != 0) {
		log_warn("recording %s: write: %s: the recording stops",
		    f->path, strerror(errno));
		f->stopped = true;
		return;
	}
	if (f->dir != NULL)
		f->dir->total += n;
}

static void
file_open(struct rec_file *f, const uint8_t *hdr, size_t n)
{
	f->fd = -1;
	f->dir = dir_get(f->dirpath);
	if (f->dir == NULL)
		return;
	if (f->dir_max != 0 && f->dir->total + n > f->dir_max) {
		if (!f->dir->full_warned)
			log_warn("record_dir_max_bytes (%llu) reached in %s: "
			    "new sessions are not recorded",
			    (unsigned long long)f->dir_max, f->dir->path);
		f->dir->full_warned = true;
		return;
	}
	f->dir->full_warned = false;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (f->fd < 0) {
		/* Once until a file can be made again: a directory that
		 * went read-only would otherwise log every session. */
		if (!f->dir->open_warned)
			log_warn("recording %s: %s: sessions are not recorded "
			    "until files can be made there", f->path,
			    strerror(errno));
		f->dir->open_warned = true;
		return;
	}
	f->dir->open_warned = false;
	file_write(f, hdr, n, false);
}

static void
op_run(struct rec_op *op)
{
	struct rec_file *f = op->file;

	/* A record's head: its time offset (big-endian, record.h). */
	if (op->kind != OP_OPEN && op->len >= RECORD_HEAD_LEN) {
		uint64_t us = 0;

		for (int i = 1; i <= 8; i++)
			us = us << 8 | op->data[i];
		f->last_us = us;
	}
	switch (op->kind) {
	case OP_OPEN:
		file_open(f, op->data, op->len);
		return;
	case OP_DATA:
		file_write(f, op->data, op->len, false);
		return;
	case OP_CLOSE:
		file_write(f, op->data, op->len, true);
		if (f->fd >= 0)
			close(f->fd);
		free(f->dirpath);
		free(f);
		return;
	}
}

static void *
writer_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q.lock);
	for (;;) {
		struct rec_op *op;

		while (q.head == NULL && !q.stopping)
			pthread_cond_wait(&q.cond, &q.lock);
		if (q.head == NULL)
			break;		/* stopping, all written */
		op = q.head;
		q.head = op->next;
		if (q.head == NULL)
			q.tail = NULL;
		pthread_mutex_unlock(&q.lock);
		op_run(op);
		pthread_mutex_lock(&q.lock);
		q.bytes -= op->len;
		free(op);
	}
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

void
recorder_stop(void)
{
	struct rec_dir *d;

	pthread_mutex_lock(&q.lock);
	q.stopping = true;
	pthread_cond_signal(&q.cond);
	pthread_mutex_unlock(&q.lock);
	if (q.started)
		pthread_join(q.thread, NULL);
	q.started = false;
	while ((d = q.dirs) != NULL) {
		q.dirs = d->next;
		free(d->path);
		free(d);
	}
}

/* ---- the loop's side ---- */

/*
 * Queue op.  Data must fit in RECORDER_QUEUE_MAX with what waits; a
 * session's open, stop and end (force) always go, so every file that was
 * started is ended.  0, or -1 (op freed).
 */
static int
enqueue(struct rec_op *op, bool force)
{
	int rc = 0;

	pthread_mutex_lock(&q.lock);
	if (!q.started && !q.stopping) {
		if (pthread_create(&q.thread, NULL, writer_thread, NULL) == 0)
			q.started = true;
	}
	if (!q.started || (!force && q.bytes + op->len > RECORDER_QUEUE_MAX)) {
		rc = -1;
	} else {
		op->next = NULL;
		if (q.tail != NULL)
			q.tail->next = op;
		else
			q.head = op;
		q.tail = op;
		q.bytes += op->len;
		pthread_cond_signal(&q.cond);
	}
	pthread_mutex_unlock(&q.lock);
	if (rc != 0)
		free(op);
	return rc;
}

static struct rec_op *
op_new(struct rec_file *f, enum rec_op_kind kind, size_t len)
{
	struct rec_op *op = malloc(sizeof(*op) + len);

	if (op != NULL) {
		op->file = f;
		op->kind = kind;
		op->len = len;
	}
	return op;
}

static uint64_t
offset_us(const struct recording *rec)
{
	struct timeval now;
	double s;

	monotime_now(&now);
	s = monotime_elapsed(&rec->start, &now);
	return s > 0 ? (uint64_t)(s * 1e6) : 0;
}

/* A record of type with data (stop or end text, or bytes); -1 if the
 * queue refused it. */
static int
queue_record(struct recording *rec, enum record_type type, const void *data,
    size_t len, bool force)
{
	struct rec_op *op = op_new(rec->file, type == RECORD_END ? OP_CLOSE :
	    OP_DATA, RECORD_HEAD_LEN + len);

	if (op == NULL)
		return -1;
	if (record_encode_head(type, offset_us(rec), len, op->data) == 0) {
		free(op);
		return -1;
	}
	memcpy(op->data + RECORD_HEAD_LEN, data, len);
	return enqueue(op, force);
}

static void
rec_stop(struct recording *rec, const char *why)
{
	rec->stopped = true;
	(void)queue_record(rec, RECORD_STOP, why, strlen(why), true);
}

void
recorder_data(struct recording *rec, enum record_type type,
    const void *data, size_t len)
{
	const uint8_t *p = data;

	if (rec == NULL || rec->stopped)
		return;
	if (rec->max_bytes != 0 && rec->submitted + len > rec->max_bytes) {
		rec_stop(rec, "record_max_bytes reached");
		return;
	}
	while (len > 0) {
		size_t n = len < RECORD_DATA_MAX ? len : RECORD_DATA_MAX;

		if (queue_record(rec, type, p, n, false) != 0) {
			rec->dropped += len;
			rec_stop(rec, "writer queue full");
			return;
		}
		rec->submitted += n;
		p += n;
		len -= n;
	}
}

struct recording *
recorder_open(const struct recorder_info *info)
{
	struct record_header h;
	struct recording *rec = calloc(1, sizeof(*rec));
	struct rec_file *f = calloc(1, sizeof(*f));
	uint8_t hdr[RECORD_HEADER_MAX];
	struct timeval wall;
	struct rec_op *op;
	char stamp[32];
	struct tm tm;
	size_t n;

	if (rec == NULL || f == NULL)
		goto fail;
	memset(&h, 0, sizeof(h));
	gettimeofday(&wall, NULL);
	h.start_us = (uint64_t)wall.tv_sec * 1000000u +
	    (uint64_t)wall.tv_usec;
	h.route.p = info->route;
	h.route.n = strlen(info->route);
	h.client.p = info->client;
	h.client.n = strlen(info->client);
	h.target.p = info->target;
	h.target.n = strlen(info->target);
	if (info->subprotocol != NULL) {
		h.subprotocol.p = info->subprotocol;
		h.subprotocol.n = strlen(info->subprotocol);
	}
	n = record_encode_header(&h, hdr, sizeof(hdr));
	if (n == 0)
		goto fail;
	gmtime_r(&wall.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(f->path, sizeof(f->path), "%s/%s.%06ldZ-%s-%lu.wsrec",
	    info->dir, stamp, (long)wall.tv_usec, info->route,
	    (unsigned long)atomic_fetch_add(&file_seq, 1) + 1);
	f->fd = -1;
	f->dir_max = info->dir_max_bytes;
	f->dirpath = strdup(info->dir);
	op = f->dirpath != NULL ? op_new(f, OP_OPEN, n) : NULL;
	if (op == NULL)
		goto fail;
	memcpy(op->data, hdr, n);
	rec->file = f;
	rec->max_bytes = info->max_bytes;
	monotime_now(&rec->start);
	if (enqueue(op, true) != 0) {
		log_warn("recording: the writer is not running: the session is "
		    "not recorded");
		goto fail;
	}
	return rec;
fail:
	if (f != NULL)
		free(f->dirpath);
	free(f);
	free(rec);
	return NULL;
}

void
recorder_close(struct recording *rec, const char *how, uint64_t *dropped)
{
	if (rec == NULL)
		return;
	if (dropped != NULL)
		*dropped = rec->dropped;
	/* The end record also hands the file to the writer for good. */
	if (queue_record(rec, RECORD_END, how, strnlen(how, RECORD_TEXT_MAX),
	    true) != 0) {
		/* No memory for it: close without one (a cut-short file). */
		struct rec_op *op = op_new(rec->file, OP_CLOSE, 0);

		if (op == NULL || enqueue(op, true) != 0)
			log_warn("recording: cannot close a recording: a "
			    "descriptor is lost");
	}
	free(rec);
}
