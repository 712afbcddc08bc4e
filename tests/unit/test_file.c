/* test_file.c -- unit tests for file_read/file_check: regular files only, bounded size, never blocking */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "file.h"
#include "testlib.h"

static char root[PATH_MAX];

static const char *
at(const char *rel)
{
	static char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	    (int)sizeof(path))
		abort();
	return path;
}

static void
make_file(const char *rel, const char *text, off_t size)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	if (text != NULL)
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	else
		CHECK(ftruncate(fd, size) == 0);	/* sparse */
	close(fd);
}

/* Both calls agree: what file_read refuses, file_check refuses. */
static void
expect_refused(const char *path, enum file_error want, const char *why_has)
{
	const char *why = NULL;
	char *data = (char *)"untouched";
	size_t len = 99;

	CHECK_INT(file_read(path, &data, &len, &why), want);
	CHECK(data == NULL && len == 0);
	if (why == NULL || strstr(why, why_has) == NULL) {
		fprintf(stderr, "    %s: why \"%s\", want \"%s\"\n", path,
		    why != NULL ? why : "(null)", why_has);
		CHECK(0);
	}
	why = NULL;
	CHECK_INT(file_check(path, &why), want);
	CHECK(why != NULL && strstr(why, why_has) != NULL);
}

static void
test_regular(void)
{
	const char *why = "unset";
	char *data = NULL;
	size_t len = 0;

	make_file("a.ini", "[gateway]\nlisten = 127.0.0.1:1\n", 0);
	CHECK_INT(file_read(at("a.ini"), &data, &len, &why), FILE_OK);
	CHECK(why == NULL);
	CHECK_INT(len, 31);
	CHECK_STR(data, "[gateway]\nlisten = 127.0.0.1:1\n");
	free(data);
	CHECK_INT(file_check(at("a.ini"), &why), FILE_OK);

	/* Empty: a buffer with just the NUL. */
	make_file("empty", "", 0);
	CHECK_INT(file_read(at("empty"), &data, &len, &why), FILE_OK);
	CHECK(data != NULL && data[0] == '\0');
	CHECK_INT(len, 0);
	free(data);

	/* Through a symbolic link. */
	CHECK(symlink("a.ini", at("link.ini")) == 0);
	CHECK_INT(file_read(at("link.ini"), &data, &len, &why), FILE_OK);
	CHECK_INT(len, 31);
	free(data);
}

static void
test_size_limit(void)
{
	const char *why;
	char *data = NULL;
	size_t len = 0;

	make_file("max", NULL, (off_t)FILE_MAX_SIZE);
	CHECK_INT(file_read(at("max"), &data, &len, &why), FILE_OK);
	CHECK_INT(len, FILE_MAX_SIZE);
	CHECK(data != NULL && data[0] == '\0' && data[len] == '\0');
	free(data);
	CHECK_INT(file_check(at("max"), &why), FILE_OK);

	make_file("big", NULL, (off_t)FILE_MAX_SIZE + 1);
	expect_refused(at("big"), FILE_ERR_SIZE, "larger than 16 MiB");
}

/* Not opened at all: a FIFO without a writer would block open(2). */
static void
test_special_files(void)
{
	struct sockaddr_un sun;
	int s;

	CHECK(mkfifo(at("fifo"), 0600) == 0);
	expect_refused(at("fifo"), FILE_ERR_TYPE, "a FIFO, not a regular");
	CHECK(symlink("fifo", at("fifo-link")) == 0);
	expect_refused(at("fifo-link"), FILE_ERR_TYPE, "a FIFO");

	expect_refused("/dev/zero", FILE_ERR_TYPE, "a character device");
	CHECK(symlink("/dev/zero", at("zero-link")) == 0);
	expect_refused(at("zero-link"), FILE_ERR_TYPE, "a character device");
	expect_refused(root, FILE_ERR_TYPE, "a directory, not a regular");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", at("sock")) <
	    (int)sizeof(sun.sun_path)) {
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(s >= 0 && bind(s, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0);
		expect_refused(at("sock"), FILE_ERR_TYPE, "a socket");
		close(s);
	}
}

static void
test_errors(void)
{
	expect_refused(at("missing"), FILE_ERR_SYS, strerror(ENOENT));
	CHECK(symlink("nowhere", at("dangling")) == 0);
	expect_refused(at("dangling"), FILE_ERR_SYS, strerror(ENOENT));
	expect_refused(at("a.ini/x"), FILE_ERR_SYS, strerror(ENOTDIR));
	if (geteuid() != 0) {
		make_file("secret", "x", 0);
		CHECK(chmod(at("secret"), 0) == 0);
		expect_refused(at("secret"), FILE_ERR_SYS, strerror(EACCES));
	}
}

int
main(void)
{
	char tmpl[] = "/tmp/wsgate-unit-file-XXXXXX";
	const char *names[] = { "a.ini", "empty", "link.ini", "max", "big",
		"fifo", "fifo-link", "zero-link", "sock", "dangling",
		"secret" };
	int rc;

	/* A test that regressed to blocking on the FIFO must end. */
	alarm(60);
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_regular);
	RUN(test_size_limit);
	RUN(test_special_files);
	RUN(test_errors);
	rc = tl_summary("unit/file");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(at(names[i]));
	rmdir(root);
	return rc;
}
