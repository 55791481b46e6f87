/*
 * storage_file.c: file:///dir storage, the embedded default.
 *
 * Files bypass curl (docs/storage.md).  Every path is resolved with
 * realpath() and must lie under the resolved root, so neither a key (checked
 * already by storage.c) nor a symlink planted inside the directory can take a
 * read, write or unlink elsewhere.  Puts are atomic: a temporary file in the
 * same directory, fsync, rename, fsync of the directory, so a reader sees
 * the old object or the whole new one, also after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "rtcstats/storage.h"
#include "storage_internal.h"

/*
 * Mode of stored objects and created directories, before the umask.  Dumps
 * hold IP addresses and user names: group-readable (a proxy user and the
 * postgres user may share a group), never world-readable.
 */
#define FILE_OBJECT_MODE 0640
#define FILE_DIR_MODE 0750

/* Read size for get(); bounds the stack, not the object. */
#define FILE_READ_CHUNK 65536

/*
 * Temporary names carry at most this much of the object's name, so a key
 * segment near NAME_MAX (255) still leaves room for ".<16 hex>.tmp".
 */
#define FILE_TMP_BASE_MAX 200

/* Attempts at a fresh temporary name before giving up (EEXIST each time). */
#define FILE_TMP_ATTEMPTS 8

/* strerror, thread-safe: the proxy's uploader threads share this code. */
static const char *
errstr(int e, char *buf, size_t size)
{
	return strerror_r(e, buf, size);	/* GNU: returns the message */
}

/* Maps an errno from open/realpath to a status, filling the detail. */
static rtcstats_status
fail_errno(rtcstats_error *err, int e, bool missing_is_not_found, const char *what,
		   const char *path)
{
	char		buf[128];
	rtcstats_status code = RTCSTATS_ERR_IO;

	if (missing_is_not_found && (e == ENOENT || e == ENOTDIR))
		code = RTCSTATS_ERR_NOT_FOUND;
	else if (e == EACCES || e == EPERM)
		code = RTCSTATS_ERR_PERMISSION;
	else if (e == ENOMEM)
		code = RTCSTATS_ERR_NOMEM;
	return rtcstats_fail(err, code, 0, "could not %s \"%s\": %s", what, path,
						 errstr(e, buf, sizeof(buf)));
}

/* Keeps the configured directory; it is resolved at each use, not now. */
rtcstats_status
rtcstats_file_init(rtcstats_storage *s, const char *path_part, rtcstats_error *err)
{
	s->root_path = rtcstats_storage_strdup(path_part);
	if (s->root_path == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	return RTCSTATS_OK;
}

/* The root, resolved now (it may be a symlink, or appear after startup). */
static rtcstats_status
resolve_root(rtcstats_storage *s, char *rroot, rtcstats_error *err)
{
	if (realpath(s->root_path, rroot) == NULL)
		return fail_errno(err, errno, false, "open storage directory", s->root_path);
	return RTCSTATS_OK;
}

/* True if path is rroot itself (allow_equal) or lies below it. */
static bool
under_root(const char *rroot, const char *path, bool allow_equal)
{
	size_t		n = strlen(rroot);

	if (strncmp(path, rroot, n) != 0)
		return false;
	if (path[n] == '\0')
		return allow_equal;
	/* rroot is "/" only if someone symlinked the root to "/": still a prefix */
	return path[n] == '/' || (n == 1 && rroot[0] == '/');
}

/*
 * Resolves the directory part of key (creating it if create), checking at
 * every level that it stays under rroot, and leaves the resolved directory
 * in dir.  Checking each level before descending matters: a symlink to
 * "/etc" inside the root would otherwise let mkdir or a rename land there.
 */
static rtcstats_status
resolve_parent(const char *rroot, const char *key, bool create, char *dir,
			   rtcstats_error *err)
{
	const char *seg = key;
	const char *slash;

	if (strlen(rroot) >= PATH_MAX)
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "storage path too long");
	strcpy(dir, rroot);
	while ((slash = strchr(seg, '/')) != NULL)
	{
		char		next[PATH_MAX];
		int			n;

		n = snprintf(next, sizeof(next), "%s/%.*s", dir, (int) (slash - seg), seg);
		if (n < 0 || n >= (int) sizeof(next))
			return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "storage path too long");
		if (create && mkdir(next, FILE_DIR_MODE) != 0 && errno != EEXIST)
			return fail_errno(err, errno, false, "create directory", next);
		if (realpath(next, dir) == NULL)
			return fail_errno(err, errno, true, "open directory", next);
		if (!under_root(rroot, dir, false))
			return rtcstats_fail(err, RTCSTATS_ERR_PERMISSION, 0,
								 "\"%s\" leads outside the storage directory \"%s\"",
								 next, rroot);
		seg = slash + 1;
	}
	return RTCSTATS_OK;
}

/* The last segment of a key: the file name in its directory. */
static const char *
base_name(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? slash + 1 : key;
}

/* write(2) until done: it may write less than asked, or be interrupted. */
static bool
write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t) n;
	}
	return true;
}

bool
rtcstats_fsync_dir(const char *dir)
{
	int			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool		ok;
	int			saved;

	if (fd < 0)
		return false;
	ok = fsync(fd) == 0 || errno == EINVAL;	/* some filesystems refuse dir fsync */
	saved = errno;
	close(fd);
	errno = saved;
	return ok;
}

/*
 * Opens a fresh temporary file next to the target.  Not mkstemp(): it
 * creates 0600 files, and the object's mode should follow the umask like any
 * other file the host creates.  The name starts with '.' and ends in ".tmp",
 * so no valid key of a finished object can be confused with one.
 */
static int
open_temp(const char *dir, const char *base, char *tmp, size_t size)
{
	int			attempt;

	for (attempt = 0; attempt < FILE_TMP_ATTEMPTS; attempt++)
	{
		unsigned long long r = 0;
		int			fd;
		int			n;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t) sizeof(r))
			r ^= (unsigned long long) getpid() << 20 ^ (unsigned long long) attempt;
		n = snprintf(tmp, size, "%s/.%.*s.%016llx.tmp", dir, FILE_TMP_BASE_MAX, base, r);
		if (n < 0 || n >= (int) size)
		{
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_OBJECT_MODE);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* See the file comment: temporary file, fsync, rename, fsync directory. */
rtcstats_status
rtcstats_file_put(rtcstats_storage *s, const char *key, const void *data, size_t len,
				  rtcstats_error *err)
{
	char		rroot[PATH_MAX];
	char		dir[PATH_MAX];
	char		tmp[PATH_MAX];
	char		final[PATH_MAX];
	const char *base = base_name(key);
	char		buf[128];
	rtcstats_status rc;
	int			fd;
	int			e;
	int			n;

	if ((rc = resolve_root(s, rroot, err)) != RTCSTATS_OK)
		return rc;
	if ((rc = resolve_parent(rroot, key, true, dir, err)) != RTCSTATS_OK)
		return rc;
	n = snprintf(final, sizeof(final), "%s/%s", dir, base);
	if (n < 0 || n >= (int) sizeof(final))
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "storage path too long");
	fd = open_temp(dir, base, tmp, sizeof(tmp));
	if (fd < 0)
		return fail_errno(err, errno, false, "create a temporary file in", dir);
	if (!write_all(fd, data, len) || fsync(fd) != 0)
	{
		e = errno;
		close(fd);
		unlink(tmp);
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "could not write \"%s\": %s", tmp,
							 errstr(e, buf, sizeof(buf)));
	}
	if (close(fd) != 0)
	{
		e = errno;
		unlink(tmp);
		return fail_errno(err, e, false, "close", tmp);
	}
	if (rename(tmp, final) != 0)
	{
		e = errno;
		unlink(tmp);
		return fail_errno(err, e, false, "rename a temporary file to", final);
	}
	if (!rtcstats_fsync_dir(dir))
		return fail_errno(err, errno, false, "fsync directory", dir);
	return RTCSTATS_OK;
}

/*
 * Reads a whole object, refusing anything that resolves outside the root
 * (a symlink planted in the directory) or is not a regular file.
 */
rtcstats_status
rtcstats_file_get(rtcstats_storage *s, const char *key, rtcstats_buffer *out,
				  rtcstats_error *err)
{
	char		rroot[PATH_MAX];
	char		path[PATH_MAX];
	char		resolved[PATH_MAX];
	unsigned char chunk[FILE_READ_CHUNK];
	struct stat st;
	rtcstats_status rc;
	int			fd;
	int			n;

	if ((rc = resolve_root(s, rroot, err)) != RTCSTATS_OK)
		return rc;
	n = snprintf(path, sizeof(path), "%s/%s", rroot, key);
	if (n < 0 || n >= (int) sizeof(path))
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "storage path too long");
	if (realpath(path, resolved) == NULL)
		return fail_errno(err, errno, true, "open", path);
	if (!under_root(rroot, resolved, false))
		return rtcstats_fail(err, RTCSTATS_ERR_PERMISSION, 0,
							 "\"%s\" leads outside the storage directory \"%s\"", path, rroot);
	fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail_errno(err, errno, true, "open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		close(fd);
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "\"%s\" is not a regular file", path);
	}
	if ((unsigned long long) st.st_size > (unsigned long long) s->max_object_bytes)
	{
		close(fd);
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, 0,
							 "object \"%s\" has %lld bytes, more than the limit of %zu",
							 key, (long long) st.st_size, s->max_object_bytes);
	}

	/*
	 * The size above is only a fast refusal: the file may grow while we
	 * read, so the limit is enforced again on the bytes actually read.
	 */
	for (;;)
	{
		ssize_t		got = read(fd, chunk, sizeof(chunk));

		if (got < 0)
		{
			int			e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return fail_errno(err, e, false, "read", path);
		}
		if (got == 0)
			break;
		if ((rc = rtcstats_buffer_append(out, chunk, (size_t) got, s->max_object_bytes,
										 err)) != RTCSTATS_OK)
		{
			close(fd);
			return rc;
		}
		if (s->should_stop != NULL && s->should_stop(s->should_stop_arg))
		{
			close(fd);
			return rtcstats_fail(err, RTCSTATS_ERR_CANCELLED, 0, "read of \"%s\" cancelled",
								 key);
		}
	}
	close(fd);
	return RTCSTATS_OK;
}

/* Unlinks an object; a missing one (or missing directory) is success. */
rtcstats_status
rtcstats_file_delete(rtcstats_storage *s, const char *key, rtcstats_error *err)
{
	char		rroot[PATH_MAX];
	char		dir[PATH_MAX];
	char		path[PATH_MAX];
	rtcstats_status rc;
	int			n;

	if ((rc = resolve_root(s, rroot, err)) != RTCSTATS_OK)
		return rc;
	rc = resolve_parent(rroot, key, false, dir, err);
	if (rc == RTCSTATS_ERR_NOT_FOUND)
	{
		rtcstats_error_clear(err);
		return RTCSTATS_OK;		/* no directory, no object: like S3 */
	}
	if (rc != RTCSTATS_OK)
		return rc;
	n = snprintf(path, sizeof(path), "%s/%s", dir, base_name(key));
	if (n < 0 || n >= (int) sizeof(path))
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "storage path too long");
	/* unlink() removes a symlink itself, never its target: no check needed */
	if (unlink(path) != 0 && errno != ENOENT)
		return fail_errno(err, errno, false, "delete", path);
	return RTCSTATS_OK;
}

/* Health check: the directory exists, and we may create files in it. */
rtcstats_status
rtcstats_file_check(rtcstats_storage *s, rtcstats_error *err)
{
	char		rroot[PATH_MAX];
	struct stat st;
	rtcstats_status rc;

	if ((rc = resolve_root(s, rroot, err)) != RTCSTATS_OK)
		return rc;
	if (stat(rroot, &st) != 0)
		return fail_errno(err, errno, false, "stat storage directory", rroot);
	if (!S_ISDIR(st.st_mode))
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0,
							 "storage path \"%s\" is not a directory", rroot);
	if (faccessat(AT_FDCWD, rroot, W_OK | X_OK, AT_EACCESS) != 0)
		return fail_errno(err, errno, false, "write to storage directory", rroot);
	return RTCSTATS_OK;
}
