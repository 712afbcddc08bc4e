/* file.h -- reading the files wsgate is configured with: regular files only, of bounded size */
#ifndef WSGATE_FILE_H
#define WSGATE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Configuration files, certificates and keys: no real one comes close. */
#define FILE_MAX_SIZE (16u << 20)
#define FILE_MAX_SIZE_TEXT "16 MiB"

/* What went wrong, for a caller that words its own hint. */
enum file_error {
	FILE_OK = 0,
	FILE_ERR_SYS = -1,	/* open, stat or read failed: errno */
	FILE_ERR_TYPE = -2,	/* a FIFO, device, socket or directory */
	FILE_ERR_SIZE = -3,	/* more than FILE_MAX_SIZE bytes */
};

/*
 * Read the file at path (symbolic links followed) whole into a new
 * buffer *data of *len bytes plus a NUL (free() it).  Only a regular file
 * of at most FILE_MAX_SIZE bytes is read: a FIFO would block the caller
 * and a device may never end, so neither is even opened when stat(2)
 * says what it is, and a file swapped in between is refused by fstat(2).
 * Returns FILE_OK, or an error with *why (static text, or strerror()).
 */
enum file_error file_read(const char *path, char **data, size_t *len,
    const char **why);

/* The same checks, reading nothing: for -t, on files read later. */
enum file_error file_check(const char *path, const char **why);

/*
 * Whether every local user can read path (symbolic links followed):
 * "other" may read the file and search every directory above it.  Sets
 * *mode to the file's permission bits when it can stat it.  Secrets
 * (tls_key, an HS256 jwt_key) are refused when this is true.
 */
bool file_world_readable(const char *path, mode_t *mode);

#endif
