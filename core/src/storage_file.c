/*
 * storage_file.c: file:///dir storage, the embedded default.
 *
 * Files bypass curl (docs/storage.md).  Every path is opened relative to
 * a descriptor of the root, one step at a time, and no step follows a
 * symbolic link: openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where
 * the kernel has it (Linux 5.6), else each directory opened with O_NOFOLLOW
 * from the one before.  Nothing is checked first and opened later, so
 * neither a key (checked already by storage.c) nor a symlink planted or
 * swapped into the directory, even while we look, can take a read, write or
 * unlink elsewhere.  The root itself may be a symlink.  Puts are atomic: a
 * temporary file in the same directory, fsync, rename, fsync of the
 * directory, so a reader sees the old object or the whole new one, also
 * after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

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

	if (e == ELOOP || e == EXDEV)
		return rtcstats_fail(err, RTCSTATS_ERR_PERMISSION, 0,
							 "\"%s\" leads through a symbolic link or outside the storage directory",
							 path);
	/*
	 * EACCES/EPERM from the system stay RTCSTATS_ERR_IO: the directory (or
	 * the files the proxy wrote) cannot be read by this process, which is
	 * the same for every object and is fixed on the host (an outage for the
	 * extraction queue), unlike a path the storage refuses (PERMISSION).
	 */
	if (missing_is_not_found && (e == ENOENT || e == ENOTDIR))
		code = RTCSTATS_ERR_NOT_FOUND;
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

/* root/key, for messages */
static const char *
shown(rtcstats_storage *s, const char *key, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", s->root_path, key);
	return buf;
}

/* A descriptor of the root directory (following a symlink there only). */
static int
open_root(rtcstats_storage *s, rtcstats_error *err)
{
	int			fd = open(s->root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail_errno(err, errno, false, "open storage directory", s->root_path);
	return fd;
}

/*
 * A descriptor of the directory holding key's object (creating the missing
 * ones if create), opened from rootfd one segment at a time, never through
 * a symlink.  -1 with err set on failure.
 */
static int
open_parent(rtcstats_storage *s, int rootfd, const char *key, bool create, rtcstats_error *err)
{
	char		where[PATH_MAX];
	const char *seg = key;
	const char *slash;
	int			fd = dup(rootfd);

	if (fd < 0)
	{
		fail_errno(err, errno, false, "open storage directory", s->root_path);
		return -1;
	}
	while ((slash = strchr(seg, '/')) != NULL)
	{
		char		name[NAME_MAX + 1];
		size_t		n = (size_t) (slash - seg);
		int			next;

		if (n > NAME_MAX)
		{
			close(fd);
			rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "storage path too long");
			return -1;
		}
		memcpy(name, seg, n);
		name[n] = '\0';
		if (create && mkdirat(fd, name, FILE_DIR_MODE) != 0 && errno != EEXIST)
		{
			fail_errno(err, errno, false, "create directory", shown(s, key, where, sizeof(where)));
			close(fd);
			return -1;
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
		{
			int			e = errno;
			struct stat st;

			/* O_DIRECTORY on a symlink may say ENOTDIR: say what it is */
			if (e == ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISLNK(st.st_mode))
				e = ELOOP;
			fail_errno(err, e, true, "open directory of", shown(s, key, where, sizeof(where)));
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
		seg = slash + 1;
	}
	return fd;
}

/*
 * Opens key under rootfd for reading without following any symlink:
 * openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or, on a kernel
 * without it, the walk of open_parent() and O_NOFOLLOW on the file.
 */
static int
open_beneath(rtcstats_storage *s, int rootfd, const char *key, rtcstats_error *err)
{
	char		where[PATH_MAX];
	static bool no_openat2 = false;
	const char *base;
	int			dirfd;
	int			fd;

#ifdef SYS_openat2
	if (!no_openat2)
	{
		struct open_how how;

		memset(&how, 0, sizeof(how));
		how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		fd = (int) syscall(SYS_openat2, rootfd, key, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != EPERM)	/* EPERM: a seccomp filter */
			return fail_errno(err, errno, true, "open", shown(s, key, where, sizeof(where))), -1;
		no_openat2 = true;
	}
#else
	(void) no_openat2;
#endif
	dirfd = open_parent(s, rootfd, key, false, err);
	if (dirfd < 0)
		return -1;
	base = strrchr(key, '/');
	fd = openat(dirfd, base ? base + 1 : key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fail_errno(err, errno, true, "open", shown(s, key, where, sizeof(where)));
	close(dirfd);
	return fd;
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
open_temp(int dirfd, const char *base, char *tmp, size_t size)
{
	int			attempt;

	for (attempt = 0; attempt < FILE_TMP_ATTEMPTS; attempt++)
	{
		unsigned long long r = 0;
		int			fd;
		int			n;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t) sizeof(r))
			r ^= (unsigned long long) getpid() << 20 ^ (unsigned long long) attempt;
		n = snprintf(tmp, size, ".%.*s.%016llx.tmp", FILE_TMP_BASE_MAX, base, r);
		if (n < 0 || n >= (int) size)
		{
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
					FILE_OBJECT_MODE);
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
	char		tmp[NAME_MAX + 1];
	char		where[PATH_MAX];
	const char *base = base_name(key);
	char		buf[128];
	int			rootfd;
	int			dirfd;
	int			fd;
	int			e;

	if ((rootfd = open_root(s, err)) < 0)
		return err->code;
	dirfd = open_parent(s, rootfd, key, true, err);
	close(rootfd);
	if (dirfd < 0)
		return err->code;
	fd = open_temp(dirfd, base, tmp, sizeof(tmp));
	if (fd < 0)
	{
		fail_errno(err, errno, false, "create a temporary file for", shown(s, key, where, sizeof(where)));
		close(dirfd);
		return err->code;
	}
	if (!write_all(fd, data, len) || fsync(fd) != 0)
	{
		e = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "could not write \"%s\" of \"%s\": %s",
							 tmp, shown(s, key, where, sizeof(where)), errstr(e, buf, sizeof(buf)));
	}
	if (close(fd) != 0)
	{
		e = errno;
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return fail_errno(err, e, false, "close the temporary file of", shown(s, key, where, sizeof(where)));
	}
	/* renameat() replaces a symlink at base itself, never its target */
	if (renameat(dirfd, tmp, dirfd, base) != 0)
	{
		e = errno;
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return fail_errno(err, e, false, "rename a temporary file to", shown(s, key, where, sizeof(where)));
	}
	if (fsync(dirfd) != 0 && errno != EINVAL)	/* some filesystems refuse dir fsync */
	{
		e = errno;
		close(dirfd);
		return fail_errno(err, e, false, "fsync the directory of", shown(s, key, where, sizeof(where)));
	}
	close(dirfd);
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
	char		where[PATH_MAX];
	const char *path = shown(s, key, where, sizeof(where));	/* in messages */
	unsigned char chunk[FILE_READ_CHUNK];
	struct stat st;
	rtcstats_status rc;
	int			rootfd;
	int			fd;

	if ((rootfd = open_root(s, err)) < 0)
		return err->code;
	fd = open_beneath(s, rootfd, key, err);
	close(rootfd);
	if (fd < 0)
		return err->code;
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
	char		where[PATH_MAX];
	int			rootfd;
	int			dirfd;
	int			e;

	if ((rootfd = open_root(s, err)) < 0)
		return err->code;
	dirfd = open_parent(s, rootfd, key, false, err);
	close(rootfd);
	if (dirfd < 0 && err->code == RTCSTATS_ERR_NOT_FOUND)
	{
		rtcstats_error_clear(err);
		return RTCSTATS_OK;		/* no directory, no object: like S3 */
	}
	if (dirfd < 0)
		return err->code;
	/* unlinkat() removes a symlink itself, never its target */
	if (unlinkat(dirfd, base_name(key), 0) != 0 && errno != ENOENT)
	{
		e = errno;
		close(dirfd);
		return fail_errno(err, e, false, "delete", shown(s, key, where, sizeof(where)));
	}
	close(dirfd);
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
