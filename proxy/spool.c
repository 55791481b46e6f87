/*
 * spool.c: spool files, their sidecars and crash recovery.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "log.h"
#include "proxy.h"
#include "rtcstats/storage.h"
#include "spool.h"

int
proxy_uuid_v4(char *out)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
	snprintf(out, PROXY_ID_LEN + 1,
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
	return 0;
}

int
proxy_is_uuid(const char *s, size_t len)
{
	if (len != PROXY_ID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return 0;
		}
		else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

int64_t
proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
proxy_mkdir_p(const char *path)
{
	char		buf[4096];
	size_t		n = strlen(path);

	if (n >= sizeof(buf))
	{
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++)
	{
		if (buf[i] == '/' || buf[i] == '\0')
		{
			char		c = buf[i];

			buf[i] = '\0';
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	}
	return 0;
}

/*
 * Recycled spool files.  Creating a file is the dominant cost of opening a
 * session: ext4's inode allocator scans past recently deleted inodes, and a
 * spool deletes one per session.  So an uploaded dump is truncated and moved
 * to free/ instead, and a new session renames one back.  At most
 * FREE_POOL_MAX are kept; the pool is shared by the loop (takes) and the
 * pipeline threads (give back).
 */
#define FREE_POOL_MAX 1024

static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static char free_pool[FREE_POOL_MAX][PROXY_ID_LEN + 1];
static int	nfree;

int
proxy_spool_init(const char *dir)
{
	char		sub[4096];
	DIR		   *d;
	struct dirent *e;

	snprintf(sub, sizeof(sub), "%s/failed", dir);
	if (proxy_mkdir_p(dir) != 0 || proxy_mkdir_p(sub) != 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s/free", dir);
	if (proxy_mkdir_p(sub) != 0)
		return -1;
	d = opendir(sub);
	while (d && (e = readdir(d)) != NULL)
	{
		char		path[4096];

		if (!proxy_is_uuid(e->d_name, strlen(e->d_name)))
			continue;
		snprintf(path, sizeof(path), "%.4000s/%.36s", sub, e->d_name);
		if (nfree < FREE_POOL_MAX && truncate(path, 0) == 0)
			memcpy(free_pool[nfree++], e->d_name, PROXY_ID_LEN + 1);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	return access(dir, W_OK) == 0 ? 0 : -1;
}

void
proxy_spool_recycle(const char *dir, const char *id)
{
	char		from[4096],
				to[4096];
	bool		keep;

	proxy_spool_path(from, sizeof(from), dir, id, ".dump");
	pthread_mutex_lock(&free_lock);
	keep = nfree < FREE_POOL_MAX;
	pthread_mutex_unlock(&free_lock);
	snprintf(to, sizeof(to), "%s/free/%s", dir, id);
	if (keep && truncate(from, 0) == 0 && rename(from, to) == 0)
	{
		pthread_mutex_lock(&free_lock);
		if (nfree < FREE_POOL_MAX)
		{
			memcpy(free_pool[nfree++], id, PROXY_ID_LEN + 1);
			keep = true;
		}
		else
			keep = false;
		pthread_mutex_unlock(&free_lock);
		if (!keep)
			unlink(to);
		return;
	}
	proxy_spool_remove(dir, id);
}

int
proxy_spool_lock(const char *dir)
{
	char		path[4096];
	int			fd;

	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
	{
		close(fd);
		return -1;
	}
	return 0;					/* fd stays open: the lock lives as long as we do */
}

void
proxy_spool_path(char *out, size_t cap, const char *dir, const char *id, const char *suffix)
{
	snprintf(out, cap, "%s/%s%s", dir, id, suffix);
}

char *
proxy_spool_header(int64_t start_ms, const proxy_claims *claims, bool upload, size_t *len)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	char	   *line = NULL;

	if (!o)
		return NULL;
	json_object_object_add(o, "rtcstatsSpool", json_object_new_int(1));
	json_object_object_add(o, "startTime", json_object_new_int64(start_ms));
	if (upload)
		json_object_object_add(o, "upload", json_object_new_boolean(1));
	if (claims && claims->user)
		json_object_object_add(o, "user", json_object_new_string(claims->user));
	if (claims && claims->conference)
		json_object_object_add(o, "conference", json_object_new_string(claims->conference));
	if (claims && claims->session)
		json_object_object_add(o, "session", json_object_new_string(claims->session));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && (line = malloc(strlen(s) + 2)) != NULL)
	{
		*len = (size_t) sprintf(line, "%s\n", s);
	}
	json_object_put(o);
	return line;
}

/* A claim of the header, cleaned again: a spool file may have been made by hand. */
static char *
dup_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return proxy_claim_clean(json_object_get_string(v), (size_t) json_object_get_string_len(v));
	return NULL;
}

int
proxy_spool_read_header(int fd, int64_t *start_ms, proxy_claims *claims)
{
	char	   *buf;
	ssize_t		n;
	char	   *nl;
	struct json_object *o,
			   *v;
	int			rc = -1;

	*start_ms = 0;
	memset(claims, 0, sizeof(*claims));
	buf = malloc(PROXY_SPOOL_HEADER_MAX + 1);
	if (!buf)
		return -1;
	n = pread(fd, buf, PROXY_SPOOL_HEADER_MAX, 0);
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	/* A plain dump put into the spool by hand: no header, no claims. */
	if (n >= 12 && memcmp(buf, "RTCStatsDump", 12) == 0)
	{
		rc = lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
		goto out;
	}
	nl = memchr(buf, '\n', (size_t) n);
	if (!nl)
		goto out;
	*nl = '\0';
	o = json_tokener_parse(buf);
	if (o && json_object_is_type(o, json_type_object) &&
		json_object_object_get_ex(o, "rtcstatsSpool", &v))
	{
		if (json_object_object_get_ex(o, "startTime", &v) &&
			!proxy_sane_start_ms(json_object_get_double(v), proxy_now_ms(), start_ms))
			*start_ms = 0;
		claims->user = dup_member(o, "user");
		claims->conference = dup_member(o, "conference");
		claims->session = dup_member(o, "session");
		if (lseek(fd, (off_t) (nl - buf + 1), SEEK_SET) >= 0)
			rc = 0;
	}
	json_object_put(o);
out:
	free(buf);
	return rc;
}

int
proxy_spool_create(const char *dir, const char *id)
{
	char		path[4096];
	char		name[PROXY_ID_LEN + 1] = "";

	proxy_spool_path(path, sizeof(path), dir, id, ".part");
	pthread_mutex_lock(&free_lock);
	if (nfree > 0)
		memcpy(name, free_pool[--nfree], PROXY_ID_LEN + 1);
	pthread_mutex_unlock(&free_lock);
	if (*name)
	{
		char		from[4096];

		snprintf(from, sizeof(from), "%s/free/%s", dir, name);
		/* Empty already (truncated when recycled); O_TRUNC in case of a crash in between. */
		if (rename(from, path) == 0)
			return open(path, O_WRONLY | O_TRUNC | O_APPEND | O_CLOEXEC);
		unlink(from);
	}
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
}

/* <dir>/<id><from_suffix> renamed to <dir>/<id><to_suffix>. */
static int
rename_suffix(const char *dir, const char *id, const char *from_suffix, const char *to_suffix)
{
	char		from[4096],
				to[4096];

	proxy_spool_path(from, sizeof(from), dir, id, from_suffix);
	proxy_spool_path(to, sizeof(to), dir, id, to_suffix);
	return rename(from, to);
}

int
proxy_spool_complete(const char *dir, const char *id)
{
	return rename_suffix(dir, id, ".part", ".dump");
}

int
proxy_spool_sync(const char *dir, const char *id)
{
	char		path[4096];
	int			fd,
				rc;

	proxy_spool_path(path, sizeof(path), dir, id, ".dump");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = fdatasync(fd);
	close(fd);
	if (rc != 0)
		return -1;
	/* The rename from .part must be durable too. */
	return rtcstats_fsync_dir(dir) ? 0 : -1;
}

void
proxy_spool_remove(const char *dir, const char *id)
{
	static const char *const suffixes[] = {".part", ".dump"};
	char		path[4096];

	for (int i = 0; i < 2; i++)
	{
		proxy_spool_path(path, sizeof(path), dir, id, suffixes[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			log_warn("event=spool_error dump=%s error=\"cannot remove %s: %s\"",
					 id, path, strerror(errno));
	}
}

typedef struct found
{
	char		id[PROXY_ID_LEN + 1];
	struct timespec mtime;
} found;

static found *list_ids(const char *dir, const char *suffix, size_t *count);

bool
proxy_sane_start_ms(double v, int64_t received_ms, int64_t *out)
{
	/* Compared as doubles first: the cast of a value beyond int64 is undefined. */
	if (!(v >= (double) PROXY_START_MIN_MS) ||
		!(v <= (double) received_ms + (double) PROXY_START_MAX_AHEAD_MS))
		return false;
	*out = (int64_t) v;
	return true;
}

int
proxy_spool_move_failed(const char *dir, const char *id, const char *reason)
{
	char		from[4096],
				to[4096],
				sub[4096];
	int			fd,
				rc;
	size_t		len = strlen(reason);
	bool		written;

	/* The reason first (durable), then the dump: a failed/<id>.dump always has one. */
	snprintf(sub, sizeof(sub), "%.4000s/failed", dir);
	snprintf(to, sizeof(to), "%.4010s/%.36s.reason", sub, id);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	written = write(fd, reason, len) == (ssize_t) len && write(fd, "\n", 1) == 1 &&
		fdatasync(fd) == 0;
	close(fd);
	if (!written)
		return -1;
	proxy_spool_path(from, sizeof(from), dir, id, ".dump");
	snprintf(to, sizeof(to), "%.4010s/%.36s.dump", sub, id);
	rc = rename(from, to);
	if (rc == 0 && (!rtcstats_fsync_dir(sub) || !rtcstats_fsync_dir(dir)))
		rc = -1;
	return rc;
}

/* Set once startup recovery has queued every .dump: requeued files are then taken. */
static atomic_bool recovered;

/* <dir>/<id>.requeue to <id>.dump; 0 or -1 (another thread took it). */
static int
take_requeued(const char *dir, const char *id)
{
	return rename_suffix(dir, id, ".requeue", ".dump");
}

int
proxy_spool_requeue(const char *dir, const char *const *ids, int n)
{
	char		from[4096],
				to[4096];
	found	   *list = NULL;
	size_t		count = 0;
	int			failures = 0;

	if (n == 0)
	{
		snprintf(from, sizeof(from), "%s/failed", dir);
		list = list_ids(from, ".dump", &count);
	}
	for (size_t i = 0; i < (n ? (size_t) n : count); i++)
	{
		const char *id = n ? ids[i] : list[i].id;

		if (!proxy_is_uuid(id, strlen(id)))
		{
			fprintf(stderr, "rtcstats-proxy: \"%s\" is not a dump id\n", id);
			failures++;
			continue;
		}
		snprintf(from, sizeof(from), "%s/failed/%s.dump", dir, id);
		proxy_spool_path(to, sizeof(to), dir, id, ".requeue");
		if (rename(from, to) != 0)
		{
			fprintf(stderr, "rtcstats-proxy: cannot requeue %s: %s\n", from, strerror(errno));
			failures++;
			continue;
		}
		snprintf(from, sizeof(from), "%s/failed/%s.reason", dir, id);
		(void) unlink(from);
		printf("requeued %s\n", id);
	}
	free(list);
	if (!rtcstats_fsync_dir(dir))
		failures++;
	return failures;
}

int
proxy_requeue_command(int argc, char **argv)
{
	char	  **rest;
	const char **ids;
	int			nrest = 0,
				nids = 0,
				at = -1,
				rc;

	for (int i = 1; i < argc && at < 0; i++)
		if (strcmp(argv[i], "--requeue-failed") == 0)
			at = i;
	if (at < 0)
		return -1;
	rest = calloc((size_t) argc + 1, sizeof(char *));
	ids = calloc((size_t) argc + 1, sizeof(char *));
	if (!rest || !ids)
	{
		free(rest);
		free(ids);
		fprintf(stderr, "rtcstats-proxy: out of memory\n");
		return 2;
	}
	/* The ids follow the flag up to the next option; the options configure the spool. */
	for (int i = 0; i < argc; i++)
	{
		if (i == at)
			continue;
		if (i > at && (nids > 0 || i == at + 1) && i == at + 1 + nids &&
			strncmp(argv[i], "--", 2) != 0)
			ids[nids++] = argv[i];
		else
			rest[nrest++] = argv[i];
	}
	rc = proxy_config_load(&proxy_cfg, nrest, rest);
	if (rc == 0)
		rc = proxy_spool_requeue(proxy_cfg.spool_dir, ids, nids) == 0 ? 0 : 1;
	else
		rc = rc > 0 ? 0 : 2;
	proxy_config_free(&proxy_cfg);
	free(rest);
	free(ids);
	return rc;
}

int
proxy_spool_take_requeued(const char *dir, void (*queue) (const char *id))
{
	found	   *list;
	size_t		n;
	int			taken = 0;

	if (!atomic_load(&recovered))
		return 0;
	list = list_ids(dir, ".requeue", &n);
	for (size_t i = 0; i < n; i++)
	{
		if (take_requeued(dir, list[i].id) != 0)
			continue;
		log_info("event=requeued dump=%s", list[i].id);
		queue(list[i].id);
		taken++;
	}
	free(list);
	return taken;
}

size_t
proxy_close_line(char *buf, size_t cap, int code, int64_t delta_ms)
{
	int			n = snprintf(buf, cap, "[\"close\",null,%d,%lld]\n", code,
							 (long long) (delta_ms < 0 ? 0 : delta_ms));

	return n < 0 ? 0 : (size_t) n;
}

/*
 * A .part left by a crash: cut any torn last line (a write cut short by a
 * full disk), then append the close line with 1006 (abnormal closure, what a
 * client sees when the server dies).  Returns 1 if completed, 0 if removed
 * because it holds no message, -1 on error.
 */
static int
recover_part(const char *dir, const char *id)
{
	char		path[4096];
	char		buf[65536];
	int			fd;
	off_t		off = 0,
				last_nl = -1;
	long		lines = 0;
	ssize_t		n;
	char		line[64];
	size_t		len;
	struct stat st;

	proxy_spool_path(path, sizeof(path), dir, id, ".part");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/*
	 * An HTTP upload cut while being written: its client got no answer and
	 * will send it again, so it is not completed.
	 */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0)
	{
		char	   *nl;

		buf[n] = '\0';
		nl = memchr(buf, '\n', (size_t) n);
		if (nl && memmem(buf, (size_t) (nl - buf), "\"upload\":true", 13))
		{
			close(fd);
			proxy_spool_remove(dir, id);
			return 0;
		}
	}
	n = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
	{
		for (ssize_t i = 0; i < n; i++)
		{
			if (buf[i] == '\n')
			{
				lines++;
				last_nl = off + i;
			}
		}
		off += n;
	}
	if (n < 0 || fstat(fd, &st) != 0)
	{
		close(fd);
		return -1;
	}
	if (lines <= 3)
	{
		/* Our header, RTCStatsDump and metadata only: upstream drops sessions without messages. */
		close(fd);
		proxy_spool_remove(dir, id);
		return 0;
	}
	if (last_nl + 1 != off && ftruncate(fd, last_nl + 1) != 0)
	{
		close(fd);
		return -1;
	}
	len = proxy_close_line(line, sizeof(line), 1006, 0);
	if (lseek(fd, 0, SEEK_END) < 0 || write(fd, line, len) != (ssize_t) len)
	{
		close(fd);
		return -1;
	}
	/* Keep the time of the last message: the row's session_end comes from it. */
	{
		struct timespec times[2] = {st.st_atim, st.st_mtim};

		(void) futimens(fd, times);
	}
	close(fd);
	return proxy_spool_complete(dir, id) == 0 ? 1 : -1;
}

static int
cmp_found(const void *a, const void *b)
{
	const found *x = a,
			   *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Ids of files "<uuid><suffix>" in dir. */
static found *
list_ids(const char *dir, const char *suffix, size_t *count)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	found	   *list = NULL;
	size_t		n = 0,
				cap = 0;
	size_t		slen = strlen(suffix);

	*count = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL)
	{
		size_t		len = strlen(e->d_name);
		char		path[4096];
		struct stat st;

		if (len != PROXY_ID_LEN + slen || strcmp(e->d_name + PROXY_ID_LEN, suffix) != 0 ||
			!proxy_is_uuid(e->d_name, PROXY_ID_LEN))
			continue;
		if (n == cap)
		{
			found	   *l = realloc(list, (cap = cap ? cap * 2 : 64) * sizeof(found));

			if (!l)
				break;
			list = l;
		}
		memcpy(list[n].id, e->d_name, PROXY_ID_LEN);
		list[n].id[PROXY_ID_LEN] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		list[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(list, n, sizeof(found), cmp_found);
	*count = n;
	return list;
}

int
proxy_spool_recover(const char *dir, void (*queue) (const char *id))
{
	found	   *list;
	size_t		n;
	int			queued = 0;

	list = list_ids(dir, ".part", &n);
	for (size_t i = 0; i < n; i++)
	{
		int			r = recover_part(dir, list[i].id);

		if (r > 0)
			log_info("event=recovered dump=%s code=1006", list[i].id);
		else if (r == 0)
			log_info("event=dropped dump=%s reason=empty", list[i].id);
		else
			log_error("event=spool_error dump=%s error=\"cannot complete %s.part: %s\"",
					  list[i].id, list[i].id, strerror(errno));
	}
	free(list);

	{
		DIR		   *d = opendir(dir);

		if (!d)
			return -1;
		closedir(d);
	}
	/* Dumps requeued by --requeue-failed while no proxy ran: queued like the rest. */
	list = list_ids(dir, ".requeue", &n);
	for (size_t i = 0; i < n; i++)
		if (take_requeued(dir, list[i].id) == 0)
			log_info("event=requeued dump=%s", list[i].id);
	free(list);
	list = list_ids(dir, ".dump", &n);
	for (size_t i = 0; i < n; i++)
	{
		queue(list[i].id);
		queued++;
	}
	free(list);
	atomic_store(&recovered, true);
	return queued;
}
