/* file.c -- reading the files wsgate is configured with: regular files only, of bounded size */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
not_regular(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory, not a regular file";
	if (S_ISFIFO(mode))
		return "a FIFO, not a regular file";
	if (S_ISCHR(mode))
		return "a character device, not a regular file";
	if (S_ISBLK(mode))
		return "a block device, not a regular file";
	if (S_ISSOCK(mode))
		return "a socket, not a regular file";
	return "not a regular file";
}

static enum file_error
judge(const struct stat *st, const char **why)
{
	if (!S_ISREG(st->st_mode)) {
		*why = not_regular(st->st_mode);
		return FILE_ERR_TYPE;
	}
	if (st->st_size > (off_t)FILE_MAX_SIZE) {
		*why = "larger than " FILE_MAX_SIZE_TEXT;
		return FILE_ERR_SIZE;
	}
	return FILE_OK;
}

static enum file_error
sys_error(int err, const char **why)
{
	*why = strerror(err);
	errno = err;
	return FILE_ERR_SYS;
}

/* A descriptor for the regular file at path, or -1 with *err and *why. */
static int
open_regular(const char *path, struct stat *st, enum file_error *err,
    const char **why)
{
	int fd, e;

	/* Judge before opening: opening a device may have effects. */
	if (stat(path, st) != 0) {
		*err = sys_error(errno, why);
		return -1;
	}
	if ((*err = judge(st, why)) != FILE_OK)
		return -1;
	/* A FIFO swapped in after stat(2) must not block open(2). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*err = sys_error(errno, why);
		return -1;
	}
	if (fstat(fd, st) != 0) {
		e = errno;
		close(fd);
		*err = sys_error(e, why);
		return -1;
	}
	if ((*err = judge(st, why)) != FILE_OK) {
		close(fd);
		return -1;
	}
	return fd;
}

enum file_error
file_read(const char *path, char **data, size_t *len, const char **why)
{
	struct stat st;
	enum file_error err;
	size_t cap, n = 0;
	char *buf;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open_regular(path, &st, &err, why);
	if (fd < 0)
		return err;
	/* Room for the size stat(2) gave and one byte more, so that EOF is
	 * seen without growing; the file may still grow while it is read,
	 * so it is read to EOF, but never beyond the limit. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (buf == NULL) {
		close(fd);
		return sys_error(ENOMEM, why);
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap > FILE_MAX_SIZE / 2 ?
			    FILE_MAX_SIZE + 1 : cap * 2;
			char *nb;

			if (cap > FILE_MAX_SIZE) {
				close(fd);
				free(buf);
				*why = "larger than " FILE_MAX_SIZE_TEXT;
				return FILE_ERR_SIZE;
			}
			nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				close(fd);
				free(buf);
				return sys_error(ENOMEM, why);
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r == 0)
			break;
		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			free(buf);
			return sys_error(e, why);
		}
		n += (size_t)r;
	}
	close(fd);
	if (n > FILE_MAX_SIZE) {
		free(buf);
		*why = "larger than " FILE_MAX_SIZE_TEXT;
		return FILE_ERR_SIZE;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	*why = NULL;
	return FILE_OK;
}

enum file_error
file_check(const char *path, const char **why)
{
	struct stat st;
	enum file_error err;
	int fd = open_regular(path, &st, &err, why);

	if (fd < 0)
		return err;
	close(fd);
	*why = NULL;
	return FILE_OK;
}

/*
 * Whether every local user can read path: "other" may read the file and
 * search every directory above it.  (A 0644 key in a 0700 directory, as
 * some ACME clients leave them, is not exposed.)
 */
bool
file_world_readable(const char *path, mode_t *mode)
{
	char real[PATH_MAX];
	struct stat st;
	char *slash;

	if (realpath(path, real) == NULL || stat(real, &st) != 0)
		return false;
	*mode = st.st_mode & 07777;
	if (!(st.st_mode & S_IROTH))
		return false;
	while ((slash = strrchr(real, '/')) != NULL) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st) != 0 || !(st.st_mode & S_IXOTH))
			return false;
		if (slash == real)
			break;
	}
	return true;
}
