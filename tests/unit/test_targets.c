/* test_targets.c -- token sources: each format, live changes, settling, broken files keep the last good index, a kubelet's volume, the watcher */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "targets.h"
#include "testlib.h"

static char root[128];

static const char *
at(const char *rel)
{
	static char buf[4][PATH_MAX + 64];
	static int k;
	char *out = buf[k++ % 4];

	if (snprintf(out, PATH_MAX + 64, "%s/%s", root, rel) >= PATH_MAX)
		abort();
	return out;
}

static void
put(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

/* A change the stamps must see even within one mtime tick. */
static void
put_later(const char *rel, const char *text)
{
	struct timespec ts[2];

	put(rel, text);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += 2;
	ts[1] = ts[0];
	if (utimensat(AT_FDCWD, at(rel), ts, 0) != 0)
		abort();
}

static void
rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		abort();
}

/* The target of token, "host:port", "unix:path", or "-" when unknown. */
static const char *
look(struct targets *t, const char *token)
{
	static char out[400];
	struct targets_hit hit;
	int rc = targets_lookup(t, token, strlen(token), &hit);

	if (rc != 1)
		return rc == 0 ? "-" : "error";
	if (hit.kind == TOKEN_TARGET_UNIX)
		snprintf(out, sizeof(out), "unix:%s", hit.host);
	else
		snprintf(out, sizeof(out), "%s:%u", hit.host, hit.port);
	return out;
}

static void
test_tokenfile(void)
{
	char err[512] = "";
	struct targets *t;

	put("tokens", "# consoles\nvm1: 10.0.0.1:5900\n\nvm2: [::1]:5901\n"
	    "sock: unix_socket:/run/vnc/a.sock\n");
	t = targets_open(at("tokens"), TARGETS_TOKENFILE, err, sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_INT(targets_count(t), 3);
	CHECK_STR(look(t, "vm1"), "10.0.0.1:5900");
	CHECK_STR(look(t, "vm2"), "::1:5901");
	CHECK_STR(look(t, "sock"), "unix:/run/vnc/a.sock");
	CHECK_STR(look(t, "vm3"), "-");
	CHECK_INT(targets_refresh(t, false, err, sizeof(err)),
	    TARGETS_UNCHANGED);

	/* A change waits one look for the writer to finish. */
	put_later("tokens", "vm1: 10.0.0.9:5900\nvm3: h3:1\n");
	CHECK_INT(targets_refresh(t, false, err, sizeof(err)),
	    TARGETS_PENDING);
	CHECK_STR(look(t, "vm1"), "10.0.0.1:5900");
	CHECK_INT(targets_refresh(t, false, err, sizeof(err)),
	    TARGETS_SWAPPED);
	CHECK_STR(look(t, "vm1"), "10.0.0.9:5900");
	CHECK_STR(look(t, "vm2"), "-");
	CHECK_STR(look(t, "vm3"), "h3:1");

	/* Half-written: the last good index stays, the error names the
	 * line. */
	put_later("tokens", "vm1: 10.0.0.7:5900\nvm4: 10.0.0.");
	CHECK_INT(targets_refresh(t, true, err, sizeof(err)),
	    TARGETS_FAILED);
	CHECK(strstr(err, "tokens:2:") != NULL);
	CHECK_STR(look(t, "vm1"), "10.0.0.9:5900");
	CHECK_STR(look(t, "vm3"), "h3:1");

	/* Opening the same source again shares it (and reads changes). */
	put_later("tokens", "vm5: h5:5\n");
	{
		struct targets *t2 = targets_open(at("tokens"),
		    TARGETS_TOKENFILE, err, sizeof(err));

		CHECK(t2 == t);
		CHECK_STR(look(t, "vm5"), "h5:5");
		targets_close(t2);
	}
	targets_close(t);
}

static void
test_tokenfile_dir(void)
{
	char err[512] = "";
	struct targets *t;

	if (mkdir(at("dir"), 0700) != 0)
		abort();
	put("dir/a.txt", "a: ha:1\nsame: first:1\n");
	put("dir/b", "b: hb:2\nsame: second:2\n");
	put("dir/.hidden", "not a token file");
	put("dir/b~", "neither");
	t = targets_open(at("dir"), TARGETS_TOKENFILE, err, sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_STR(look(t, "a"), "ha:1");
	CHECK_STR(look(t, "b"), "hb:2");
	CHECK_STR(look(t, "same"), "second:2");	/* name order: b last */
	/* A new file in the directory. */
	put("dir/c", "c: hc:3\n");
	CHECK_INT(targets_refresh(t, true, err, sizeof(err)),
	    TARGETS_SWAPPED);
	CHECK_STR(look(t, "c"), "hc:3");
	/* A removed one. */
	if (unlink(at("dir/a.txt")) != 0)
		abort();
	CHECK_INT(targets_refresh(t, true, err, sizeof(err)),
	    TARGETS_SWAPPED);
	CHECK_STR(look(t, "a"), "-");
	targets_close(t);
}

static void
test_filename(void)
{
	char err[512] = "";
	struct targets *t;

	if (mkdir(at("names"), 0700) != 0)
		abort();
	put("names/vm1", "10.0.0.1:5900\n");
	put("names/vm2", "unix_socket:/run/vnc/vm2.sock");
	t = targets_open(at("names"), TARGETS_FILENAME, err, sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_STR(look(t, "vm1"), "10.0.0.1:5900");
	CHECK_STR(look(t, "vm2"), "unix:/run/vnc/vm2.sock");
	put_later("names/vm3", "two\nlines:1\n");
	CHECK_INT(targets_refresh(t, true, err, sizeof(err)),
	    TARGETS_FAILED);
	/* The token is the file's name: never in a message. */
	CHECK(strstr(err, "the file of token #") != NULL);
	CHECK(strstr(err, "vm3") == NULL);
	CHECK_STR(look(t, "vm1"), "10.0.0.1:5900");
	targets_close(t);
	/* A file is not a directory of files. */
	CHECK(targets_open(at("names/vm1"), TARGETS_FILENAME, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "not a directory") != NULL);
}

static void
make_socket(const char *rel)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", at(rel));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	close(fd);
}

static void
test_socket_dir(void)
{
	char err[512] = "", want[200];
	struct targets *t;

	if (mkdir(at("socks"), 0700) != 0)
		abort();
	make_socket("socks/vm1");
	put("socks/notes", "not a socket");
	if (symlink(at("socks/vm1"), at("socks/link")) != 0)
		abort();
	t = targets_open(at("socks"), TARGETS_UNIX_SOCKET_DIR, err,
	    sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return;
	if (snprintf(want, sizeof(want), "unix:%s", at("socks/vm1")) <
	    (int)sizeof(want))
		CHECK_STR(look(t, "vm1"), want);
	CHECK_STR(look(t, "notes"), "-");
	CHECK_STR(look(t, "link"), "-");	/* a link may lead anywhere */
	targets_close(t);
}

static void
test_missing(void)
{
	char err[512] = "";

	CHECK(targets_open(at("nothing"), TARGETS_TOKENFILE, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "No such file") != NULL);
	put("broken", "ok: h:1\nnot a line\n");
	CHECK(targets_open(at("broken"), TARGETS_TOKENFILE, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "broken:2:") != NULL);
}

/*
 * A Kubernetes ConfigMap or Secret volume, as the kubelet writes it: the
 * files in a timestamped directory, "..data" a link to it, and each name
 * a link through "..data".  An update writes a new directory, renames a
 * new "..data" link over the old one, then removes the old directory.
 */
static void
kube_write(const char *dir, const char *stamp, const char *name,
    const char *text)
{
	char rel[PATH_MAX], link[PATH_MAX], old[256];
	ssize_t n;

	snprintf(rel, sizeof(rel), "%s/%s", dir, stamp);
	if (mkdir(at(rel), 0755) != 0)
		abort();
	snprintf(rel, sizeof(rel), "%s/%s/%s", dir, stamp, name);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%s/..data", dir);
	n = readlink(at(rel), old, sizeof(old) - 1);
	old[n > 0 ? n : 0] = '\0';
	snprintf(rel, sizeof(rel), "%s/..data_tmp", dir);
	snprintf(link, sizeof(link), "%s/..data", dir);
	if (symlink(stamp, at(rel)) != 0 || rename(at(rel), at(link)) != 0)
		abort();
	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	snprintf(link, sizeof(link), "..data/%s", name);
	if (n <= 0 && symlink(link, at(rel)) != 0)
		abort();
	if (n > 0) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, old);
		rm_rf(at(rel));
	}
}

static void
test_kubelet_volume(void)
{
	char err[512] = "";
	struct targets *dir, *file;

	if (mkdir(at("cm"), 0755) != 0)
		abort();
	kube_write("cm", "..2026_01_01_00_00_00.1", "tokens", "vm1: h1:1\n");
	dir = targets_open(at("cm"), TARGETS_TOKENFILE, err, sizeof(err));
	file = targets_open(at("cm/tokens"), TARGETS_TOKENFILE, err,
	    sizeof(err));
	CHECK(dir != NULL && file != NULL);
	if (dir == NULL || file == NULL)
		return;
	/* The links are followed; "..data" and the timestamped directory
	 * are hidden names, not token files. */
	CHECK_INT(targets_count(dir), 1);
	CHECK_STR(look(dir, "vm1"), "h1:1");
	CHECK_STR(look(file, "vm1"), "h1:1");
	/* The update, within the same second: a new file behind the link. */
	kube_write("cm", "..2026_01_01_00_00_00.2", "tokens",
	    "vm1: h1:9\nvm2: h2:2\n");
	CHECK_INT(targets_refresh(dir, false, err, sizeof(err)),
	    TARGETS_PENDING);
	CHECK_INT(targets_refresh(dir, false, err, sizeof(err)),
	    TARGETS_SWAPPED);
	CHECK_INT(targets_refresh(file, true, err, sizeof(err)),
	    TARGETS_SWAPPED);
	CHECK_STR(look(dir, "vm1"), "h1:9");
	CHECK_STR(look(dir, "vm2"), "h2:2");
	CHECK_STR(look(file, "vm2"), "h2:2");
	targets_close(file);
	targets_close(dir);
}

static void
test_watcher(void)
{
	char err[512] = "";
	struct targets *t;
	bool seen = false;

	put("watched", "w: h:1\n");
	t = targets_open(at("watched"), TARGETS_TOKENFILE, err, sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_INT(targets_watch_start(), 0);
	put_later("watched", "w: h:2\n");
	/* About two checks: one sees the change, the next uses it. */
	for (int i = 0; i < 60 && !seen; i++) {
		usleep(100000);
		seen = strcmp(look(t, "w"), "h:2") == 0;
	}
	CHECK(seen);
	targets_watch_stop();
	targets_close(t);
}

int
main(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	int rc;

	snprintf(root, sizeof(root), "%s/wsgate-targets-XXXXXX", base);
	if (mkdtemp(root) == NULL)
		abort();
	RUN(test_tokenfile);
	RUN(test_tokenfile_dir);
	RUN(test_filename);
	RUN(test_socket_dir);
	RUN(test_missing);
	RUN(test_kubelet_volume);
	RUN(test_watcher);
	rc = tl_summary("unit/targets");
	rm_rf(root);
	return rc;
}
