/* targets.c -- token sources: websockify token files and socket directories, read, watched and swapped live */
#include "targets.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "file.h"
#include "log.h"
#include "tokenfile.h"
#include "tokenindex.h"

/* What a file or directory was when last looked at: any change of these
 * means "read again". */
struct stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	struct timespec mtime;
};

/* The files of a source as found now: names (for reading) and stamps. */
struct listing {
	char **names;		/* full paths, in name order */
	struct stamp *stamps;	/* [0]: PATH itself, then one per name */
	size_t n;		/* names; stamps has n + 1 */
};

struct targets {
	/* Registry (reg_lock). */
	struct targets *next;
	unsigned refs;
	char *path;
	enum targets_format fmt;

	/* One refresh at a time: the watcher's or a reload's. */
	pthread_mutex_t refresh_lock;
	struct listing built;		/* what ix was built from */
	struct listing seen;		/* the last look, while settling */
	char last_err[512];		/* logged once per distinct error */

	/* Lookups (lock). */
	pthread_mutex_t lock;
	struct tokenindex *ix;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct targets *reg;

static pthread_t watcher;
static bool watching;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond = PTHREAD_COND_INITIALIZER;
static bool watch_stop;

static const char *const format_names[] = {
	[TARGETS_TOKENFILE] = "tokenfile",
	[TARGETS_FILENAME] = "filename",
	[TARGETS_UNIX_SOCKET_DIR] = "unix_socket_dir",
};

/* ---- listing the files ---- */

static void
listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->stamps);
	memset(l, 0, sizeof(*l));
}

static void
stamp_of(const struct stat *st, struct stamp *s)
{
	memset(s, 0, sizeof(*s));
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mode = st->st_mode;
	s->mtime = st->st_mtim;
}

static bool
listing_equal(const struct listing *a, const struct listing *b)
{
	if (a->stamps == NULL || b->stamps == NULL || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return memcmp(a->stamps, b->stamps, (a->n + 1) *
	    sizeof(*a->stamps)) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Editors' and deploy tools' leftovers are not token files. */
static bool
name_skipped(const char *name)
{
	size_t len = strlen(name);

	return name[0] == '.' || (len > 0 && name[len - 1] == '~');
}

/*
 * The files of t now: PATH itself, then (a directory) its entries the
 * format reads: regular files for the file formats, sockets (not links
 * to them: a link could lead out of the directory) for socket
 * directories.  -1 with err.
 */
static int
listing_take(const struct targets *t, struct listing *l, char *err,
    size_t errsize)
{
	struct stat st;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	memset(l, 0, sizeof(*l));
	if (stat(t->path, &st) != 0) {
		snprintf(err, errsize, "%s: %s", t->path, strerror(errno));
		return -1;
	}
	l->stamps = calloc(1, sizeof(*l->stamps));
	if (l->stamps == NULL)
		goto oom;
	stamp_of(&st, &l->stamps[0]);
	if (S_ISREG(st.st_mode) && t->fmt == TARGETS_TOKENFILE) {
		struct stamp *s = realloc(l->stamps, 2 * sizeof(*s));

		if (s == NULL)
			goto oom;
		l->stamps = s;
		l->names = malloc(sizeof(*l->names));
		if (l->names == NULL || (l->names[0] = strdup(t->path)) == NULL)
			goto oom;
		l->n = 1;
		l->stamps[1] = l->stamps[0];
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "%s: %s", t->path,
		    t->fmt == TARGETS_TOKENFILE ? "neither a regular file nor "
		    "a directory" : "not a directory (this targets_format reads "
		    "a directory)");
		listing_free(l);
		return -1;
	}
	if ((d = opendir(t->path)) == NULL) {
		snprintf(err, errsize, "%s: %s", t->path, strerror(errno));
		listing_free(l);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *full;
		int rc;

		if (name_skipped(de->d_name))
			continue;
		if (l->n == TARGETS_MAX_FILES) {
			closedir(d);
			listing_free(l);
			snprintf(err, errsize, "%s: more than %u files", t->path,
			    TARGETS_MAX_FILES);
			return -1;
		}
		if (asprintf(&full, "%s/%s", t->path, de->d_name) < 0) {
			closedir(d);
			goto oom;
		}
		rc = t->fmt == TARGETS_UNIX_SOCKET_DIR ? lstat(full, &st) :
		    stat(full, &st);
		if (rc != 0 || (t->fmt == TARGETS_UNIX_SOCKET_DIR ?
		    !S_ISSOCK(st.st_mode) : !S_ISREG(st.st_mode))) {
			free(full);	/* gone meanwhile, or not ours */
			continue;
		}
		if (l->n == cap) {
			size_t ncap = cap != 0 ? 2 * cap : 16;
			char **nn = realloc(l->names, ncap * sizeof(*nn));

			if (nn == NULL) {
				free(full);
				closedir(d);
				goto oom;
			}
			l->names = nn;
			cap = ncap;
		}
		l->names[l->n++] = full;
	}
	closedir(d);
	/* Name order: the same file wins a duplicate token every time. */
	qsort(l->names, l->n, sizeof(*l->names), name_cmp);
	{
		struct stamp *s = realloc(l->stamps, (l->n + 1) * sizeof(*s));

		if (s == NULL)
			goto oom;
		l->stamps = s;
	}
	for (size_t i = 0; i < l->n; i++) {
		int rc = t->fmt == TARGETS_UNIX_SOCKET_DIR ?
		    lstat(l->names[i], &st) : stat(l->names[i], &st);

		if (rc != 0)
			memset(&st, 0, sizeof(st));	/* differs next time */
		stamp_of(&st, &l->stamps[i + 1]);
	}
	return 0;
oom:
	listing_free(l);
	snprintf(err, errsize, "%s: out of memory", t->path);
	return -1;
}

/* ---- building an index ---- */

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int
build_tokenfile(struct tokenindex *ix, const char *file, const char *buf,
    size_t len, char *err, size_t errsize)
{
	struct tokenfile_reader r;
	struct tokenfile_entry e;
	const char *why;
	int rc;

	tokenfile_reader_init(&r, buf, len);
	while ((rc = tokenfile_next(&r, &e, &why)) == 1) {
		if (tokenindex_add(ix, e.token, e.token_len, &e.target,
		    &why) < 0) {
			snprintf(err, errsize, "%s:%lu: %s", file, r.line, why);
			return -1;
		}
	}
	if (rc != 0) {
		snprintf(err, errsize, "%s:%lu: %s", file, r.line, why);
		return -1;
	}
	return 0;
}

/* Where a file named by its token is at fault, without the token (it
 * is a secret, and logs are not): "DIR: the file of token #TAG: why". */
static void
token_file_error(const struct targets *t, const char *token, const char *why,
    char *err, size_t errsize)
{
	char tag[TOKEN_TAG_LEN + 1];

	token_log_tag(token, strlen(token), tag);
	snprintf(err, errsize, "%s: the file of token #%s: %s", t->path, tag,
	    why);
}

static int
build_filename(const struct targets *t, struct tokenindex *ix,
    const char *file, const char *buf, size_t len, char *err,
    size_t errsize)
{
	const char *token = base_name(file), *why;
	struct token_target tt;

	if (!token_filename_valid(token, strlen(token), &why) ||
	    tokenfile_parse_content(buf, len, &tt, &why) != 0 ||
	    tokenindex_add(ix, token, strlen(token), &tt, &why) < 0) {
		token_file_error(t, token, why, err, errsize);
		return -1;
	}
	return 0;
}

static int
build_socket(const struct targets *t, struct tokenindex *ix,
    const char *file, char *err, size_t errsize)
{
	const char *token = base_name(file), *why;
	struct token_target tt;

	if (!token_filename_valid(token, strlen(token), &why) ||
	    token_target_unix(file, strlen(file), &tt, &why) != 0 ||
	    tokenindex_add(ix, token, strlen(token), &tt, &why) < 0) {
		token_file_error(t, token, why, err, errsize);
		return -1;
	}
	return 0;
}

/* A new index from the files of l; NULL with err. */
static struct tokenindex *
build(const struct targets *t, const struct listing *l, char *err,
    size_t errsize)
{
	struct tokenindex *ix = tokenindex_new();
	unsigned long long total = 0;

	if (ix == NULL) {
		snprintf(err, errsize, "%s: out of memory", t->path);
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		const char *why;
		char *buf = NULL;
		size_t len = 0;
		int rc;

		if (t->fmt == TARGETS_UNIX_SOCKET_DIR) {
			if (build_socket(t, ix, l->names[i], err, errsize) != 0)
				goto fail;
			continue;
		}
		if (file_read(l->names[i], &buf, &len, &why) != FILE_OK) {
			snprintf(err, errsize, "%s: %s", l->names[i], why);
			goto fail;
		}
		total += len;
		if (total > TARGETS_MAX_BYTES) {
			free(buf);
			snprintf(err, errsize, "%s: more than %llu MiB of "
			    "token files", t->path, TARGETS_MAX_BYTES >> 20);
			goto fail;
		}
		rc = t->fmt == TARGETS_TOKENFILE ?
		    build_tokenfile(ix, l->names[i], buf, len, err, errsize) :
		    build_filename(t, ix, l->names[i], buf, len, err, errsize);
		free(buf);
		if (rc != 0)
			goto fail;
	}
	return ix;
fail:
	tokenindex_free(ix);
	return NULL;
}

/* ---- refresh ---- */

enum targets_refresh
targets_refresh(struct targets *t, bool force, char *err, size_t errsize)
{
	enum targets_refresh rc;
	struct listing now, after;
	struct tokenindex *ix, *old;

	pthread_mutex_lock(&t->refresh_lock);
	if (listing_take(t, &now, err, errsize) != 0) {
		rc = TARGETS_FAILED;
		goto out;
	}
	if (listing_equal(&now, &t->built)) {
		listing_free(&now);
		listing_free(&t->seen);
		rc = TARGETS_UNCHANGED;
		goto out;
	}
	if (!force && !listing_equal(&now, &t->seen)) {
		/* Changed since the last look: let the writer finish. */
		listing_free(&t->seen);
		t->seen = now;
		rc = TARGETS_PENDING;
		goto out;
	}
	ix = build(t, &now, err, errsize);
	if (ix == NULL) {
		listing_free(&now);
		rc = TARGETS_FAILED;
		goto out;
	}
	/* Written to while being read: not a state to publish. */
	if (listing_take(t, &after, err, errsize) != 0 ||
	    !listing_equal(&now, &after)) {
		tokenindex_free(ix);
		listing_free(&now);
		listing_free(&t->seen);
		t->seen = after;
		rc = TARGETS_PENDING;
		goto out;
	}
	listing_free(&after);
	pthread_mutex_lock(&t->lock);
	old = t->ix;
	t->ix = ix;
	pthread_mutex_unlock(&t->lock);
	tokenindex_free(old);
	listing_free(&t->built);
	listing_free(&t->seen);
	t->built = now;
	t->last_err[0] = '\0';
	rc = TARGETS_SWAPPED;
out:
	pthread_mutex_unlock(&t->refresh_lock);
	return rc;
}

/* Log a refresh's outcome: a swap, and each distinct error once. */
static void
refresh_logged(struct targets *t, bool force)
{
	char err[512];

	char epath[256], eerr[600];

	switch (targets_refresh(t, force, err, sizeof(err))) {
	case TARGETS_SWAPPED:
		log_info("targets %s: %zu tokens",
		    log_escape_str(epath, sizeof(epath), t->path),
		    targets_count(t));
		break;
	case TARGETS_FAILED:
		pthread_mutex_lock(&t->refresh_lock);
		if (strcmp(err, t->last_err) != 0) {
			snprintf(t->last_err, sizeof(t->last_err), "%s", err);
			/* File names come from a directory listing. */
			log_warn("targets %s: %s; keeping the last good index "
			    "(%zu tokens)",
			    log_escape_str(epath, sizeof(epath), t->path),
			    log_escape_str(eerr, sizeof(eerr), err),
			    targets_count(t));
		}
		pthread_mutex_unlock(&t->refresh_lock);
		break;
	case TARGETS_UNCHANGED:
	case TARGETS_PENDING:
		break;
	}
}

/* ---- sources ---- */

static void
targets_free(struct targets *t)
{
	listing_free(&t->built);
	listing_free(&t->seen);
	tokenindex_free(t->ix);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->refresh_lock);
	free(t->path);
	free(t);
}

struct targets *
targets_open(const char *path, enum targets_format fmt, char *err,
    size_t errsize)
{
	struct targets *t;

	pthread_mutex_lock(&reg_lock);
	for (t = reg; t != NULL; t = t->next)
		if (t->fmt == fmt && strcmp(t->path, path) == 0)
			break;
	if (t != NULL) {
		t->refs++;
		pthread_mutex_unlock(&reg_lock);
		/* A reload reads what changed now, not a second later. */
		refresh_logged(t, true);
		return t;
	}
	pthread_mutex_unlock(&reg_lock);

	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->path = strdup(path)) == NULL) {
		free(t);
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	t->fmt = fmt;
	t->refs = 1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->refresh_lock, NULL);
	if (targets_refresh(t, true, err, errsize) != TARGETS_SWAPPED) {
		targets_free(t);
		return NULL;
	}
	pthread_mutex_lock(&reg_lock);
	/* Two loaders may have raced to open the same source: one wins. */
	for (struct targets *o = reg; o != NULL; o = o->next) {
		if (o->fmt == fmt && strcmp(o->path, path) == 0) {
			o->refs++;
			pthread_mutex_unlock(&reg_lock);
			targets_free(t);
			return o;
		}
	}
	t->next = reg;
	reg = t;
	pthread_mutex_unlock(&reg_lock);
	if (log_enabled(LL_DEBUG)) {
		char epath[256];

		log_debug("targets %s: %zu tokens (%s)",
		    log_escape_str(epath, sizeof(epath), path),
		    targets_count(t), format_names[fmt]);
	}
	return t;
}

void
targets_close(struct targets *t)
{
	struct targets **p;

	if (t == NULL)
		return;
	pthread_mutex_lock(&reg_lock);
	if (--t->refs > 0) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	for (p = &reg; *p != NULL; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	targets_free(t);
}

int
targets_lookup(struct targets *t, const char *token, size_t len,
    struct targets_hit *hit)
{
	struct token_target tt;
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = t->ix != NULL ? tokenindex_lookup(t->ix, token, len, &tt) : 0;
	if (rc == 1) {
		size_t n = tt.host_len < sizeof(hit->host) - 1 ? tt.host_len :
		    sizeof(hit->host) - 1;

		hit->kind = tt.kind;
		hit->port = tt.port;
		memcpy(hit->host, tt.host, n);
		hit->host[n] = '\0';
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

size_t
targets_count(struct targets *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->ix != NULL ? tokenindex_count(t->ix) : 0;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* ---- the watcher ---- */

static void *
watch_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&watch_lock);
	while (!watch_stop) {
		struct timespec until;
		struct targets **all = NULL;
		size_t n = 0;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TARGETS_CHECK_MS / 1000;
		until.tv_nsec += (TARGETS_CHECK_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&watch_cond, &watch_lock, &until);
		if (watch_stop)
			break;
		pthread_mutex_unlock(&watch_lock);

		/* Hold each source while looking at it, not the registry. */
		pthread_mutex_lock(&reg_lock);
		for (struct targets *t = reg; t != NULL; t = t->next)
			n++;
		all = n > 0 ? malloc(n * sizeof(*all)) : NULL;
		n = 0;
		for (struct targets *t = reg; all != NULL && t != NULL;
		    t = t->next) {
			t->refs++;
			all[n++] = t;
		}
		pthread_mutex_unlock(&reg_lock);
		for (size_t i = 0; i < n; i++) {
			refresh_logged(all[i], false);
			targets_close(all[i]);
		}
		free(all);
		pthread_mutex_lock(&watch_lock);
	}
	pthread_mutex_unlock(&watch_lock);
	return NULL;
}

int
targets_watch_start(void)
{
	sigset_t block, old;
	int rc;

	if (watching)
		return 0;
	watch_stop = false;
	/* Signals are for the main thread's loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&watcher, NULL, watch_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("targets: cannot start the watcher thread: %s",
		    strerror(rc));
		return -1;
	}
	watching = true;
	return 0;
}

void
targets_watch_stop(void)
{
	if (!watching)
		return;
	pthread_mutex_lock(&watch_lock);
	watch_stop = true;
	pthread_cond_signal(&watch_cond);
	pthread_mutex_unlock(&watch_lock);
	pthread_join(watcher, NULL);
	watching = false;
}
