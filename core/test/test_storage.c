/*
 * test_storage.c: the storage client without a real S3 server.
 *
 * file://: round trip, nested keys, atomic replacement (a reader never sees
 * a mix, a failed put leaves the old object and no temporary file), key
 * validation, traversal by key and by planted symlink refused, size cap.
 * URL mapping both ways for file:// and s3://.  s3:// against a scripted
 * local stub (http_stub.h): status mapping, S3 error parsing, retries and
 * their backoff, no retry on 4xx, body cap whatever Content-Length says,
 * timeouts, closed ports, cancellation, connection reuse.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "http_stub.h"
#include "rtcstats/storage.h"
#include "../src/storage_internal.h"

static char tmpdir[256];		/* a fresh directory per run */
static char rootdir[300];		/* tmpdir/root: the storage root */

static rtcstats_storage *
file_storage(size_t max_bytes)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;
	char		url[400];
	rtcstats_storage *s;

	snprintf(url, sizeof(url), "file://%s", rootdir);
	cfg.url = url;
	cfg.max_object_bytes = max_bytes;
	s = rtcstats_storage_new(&cfg, &err);
	if (s == NULL)
		fprintf(stderr, "storage_new: %s\n", err.detail);
	return s;
}

static bool
file_has(const char *path, const char *want)
{
	char		buf[4096];
	FILE	   *f = fopen(path, "rb");
	size_t		n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

/* Names in dir that look like our temporary files (".<name>.<hex>.tmp"). */
static int
count_temp_files(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp") != NULL)
			n++;
	closedir(d);
	return n;
}

static void
test_key_rule(void)
{
	char		longkey[1100];

	CHECK(rtcstats_storage_key_valid("a.gz"));
	CHECK(rtcstats_storage_key_valid("2026/11/24/6f0c1e2a-aaaa-bbbb-cccc-0123456789ab.gz"));
	CHECK(rtcstats_storage_key_valid("A_b-c.d"));
	CHECK(rtcstats_storage_key_valid("..a"));	/* a name, not a parent */
	CHECK(!rtcstats_storage_key_valid(NULL));
	CHECK(!rtcstats_storage_key_valid(""));
	CHECK(!rtcstats_storage_key_valid("/etc/passwd"));
	CHECK(!rtcstats_storage_key_valid(".."));
	CHECK(!rtcstats_storage_key_valid("../x"));
	CHECK(!rtcstats_storage_key_valid("a/../../x"));
	CHECK(!rtcstats_storage_key_valid("a/.."));
	CHECK(!rtcstats_storage_key_valid("./a"));
	CHECK(!rtcstats_storage_key_valid("a//b"));
	CHECK(!rtcstats_storage_key_valid("a/"));
	CHECK(!rtcstats_storage_key_valid("a b"));
	CHECK(!rtcstats_storage_key_valid("a%2e%2e"));
	CHECK(!rtcstats_storage_key_valid("a\\b"));
	CHECK(!rtcstats_storage_key_valid("caf\xc3\xa9"));
	CHECK(!rtcstats_storage_key_valid("a?b"));
	memset(longkey, 'k', 1024);
	longkey[1024] = '\0';
	CHECK(rtcstats_storage_key_valid(longkey));
	longkey[1024] = 'k';
	longkey[1025] = '\0';
	CHECK(!rtcstats_storage_key_valid(longkey));
}

static void
test_file_round_trip(void)
{
	rtcstats_storage *s = file_storage(0);
	rtcstats_error err;
	rtcstats_buffer b = {0};
	char		path[512];
	static const unsigned char bin[] = {0, 1, 2, 0xff, 0x1f, 0x8b, 0};

	if (!CHECK(s != NULL))
		return;
	CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "one.gz", "first", 5, &err), RTCSTATS_OK);
	snprintf(path, sizeof(path), "%s/one.gz", rootdir);
	CHECK(file_has(path, "first"));
	CHECK_EQ_LONG(rtcstats_storage_get(s, "one.gz", &b, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(b.len, 5);
	CHECK(b.len == 5 && memcmp(b.data, "first", 5) == 0);

	/* replace; the buffer is reused */
	CHECK_EQ_LONG(rtcstats_storage_put(s, "one.gz", "second!", 7, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "one.gz", &b, &err), RTCSTATS_OK);
	CHECK(b.len == 7 && memcmp(b.data, "second!", 7) == 0);

	/* binary, with NULs */
	CHECK_EQ_LONG(rtcstats_storage_put(s, "bin", bin, sizeof(bin), &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "bin", &b, &err), RTCSTATS_OK);
	CHECK(b.len == sizeof(bin) && memcmp(b.data, bin, sizeof(bin)) == 0);

	/* empty object */
	CHECK_EQ_LONG(rtcstats_storage_put(s, "empty", NULL, 0, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "empty", &b, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(b.len, 0);

	/* nested key: directories appear */
	CHECK_EQ_LONG(rtcstats_storage_put(s, "2026/11/24/x.gz", "nested", 6, &err), RTCSTATS_OK);
	snprintf(path, sizeof(path), "%s/2026/11/24/x.gz", rootdir);
	CHECK(file_has(path, "nested"));
	CHECK_EQ_LONG(rtcstats_storage_get(s, "2026/11/24/x.gz", &b, &err), RTCSTATS_OK);
	CHECK(b.len == 6 && memcmp(b.data, "nested", 6) == 0);

	/* missing, delete, delete again */
	CHECK_EQ_LONG(rtcstats_storage_get(s, "missing.gz", &b, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK_EQ_LONG(b.len, 0);
	CHECK(b.data == NULL);		/* freed on failure */
	CHECK_EQ_LONG(rtcstats_storage_get(s, "nodir/missing.gz", &b, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "one.gz", &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "one.gz", &b, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "one.gz", &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "nodir/none.gz", &err), RTCSTATS_OK);

	/* a name as long as a file name may be: the temporary name still fits */
	{
		char		longname[256];

		memset(longname, 'n', 255);
		longname[255] = '\0';
		CHECK_EQ_LONG(rtcstats_storage_put(s, longname, "L", 1, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(rtcstats_storage_get(s, longname, &b, &err), RTCSTATS_OK);
		CHECK(b.len == 1 && b.data[0] == 'L');
	}

	/* a directory is no object */
	CHECK_EQ_LONG(rtcstats_storage_get(s, "2026/11", &b, &err), RTCSTATS_ERR_IO);

	CHECK_EQ_LONG(count_temp_files(rootdir), 0);
	snprintf(path, sizeof(path), "%s/2026/11/24", rootdir);
	CHECK_EQ_LONG(count_temp_files(path), 0);
	rtcstats_buffer_free(&b);
	rtcstats_buffer_free(&b);	/* twice is harmless */
	rtcstats_storage_free(s);
	rtcstats_storage_free(NULL);
}

static void
test_file_refusals(void)
{
	rtcstats_storage *s = file_storage(0);
	rtcstats_error err;
	rtcstats_buffer b = {0};
	char		outside[400];
	char		link[400];
	char		path[500];

	if (!CHECK(s != NULL))
		return;
	/* keys that climb out, and keys that are just wrong */
	CHECK_EQ_LONG(rtcstats_storage_get(s, "../secret", &b, &err), RTCSTATS_ERR_PERMISSION);
	CHECK(strstr(err.detail, "not under the storage root") != NULL);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "/etc/passwd", &b, &err), RTCSTATS_ERR_PERMISSION);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "a/../../x", "x", 1, &err), RTCSTATS_ERR_PERMISSION);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "..", &err), RTCSTATS_ERR_PERMISSION);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "a//b", "x", 1, &err), RTCSTATS_ERR_PERMISSION);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "a b", "x", 1, &err), RTCSTATS_ERR_ARGUMENT);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "", "x", 1, &err), RTCSTATS_ERR_ARGUMENT);
	CHECK_EQ_LONG(rtcstats_storage_put(s, NULL, "x", 1, &err), RTCSTATS_ERR_ARGUMENT);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "x\n", "x", 1, &err), RTCSTATS_ERR_ARGUMENT);
	CHECK(strchr(err.detail, '\n') == NULL);	/* the detail stays one line */
	CHECK_EQ_LONG(rtcstats_storage_put(s, "k", NULL, 3, &err), RTCSTATS_ERR_ARGUMENT);

	/* a symlink planted inside the root cannot lead out of it */
	snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
	mkdir(outside, 0700);
	snprintf(path, sizeof(path), "%s/secret", outside);
	CHECK(close(open(path, O_WRONLY | O_CREAT, 0600)) == 0);
	snprintf(link, sizeof(link), "%s/evil", rootdir);
	CHECK(symlink(outside, link) == 0);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "evil/secret", &b, &err), RTCSTATS_ERR_PERMISSION);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "evil/planted", "x", 1, &err),
				  RTCSTATS_ERR_PERMISSION);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "evil/deeper/planted", "x", 1, &err),
				  RTCSTATS_ERR_PERMISSION);
	snprintf(path, sizeof(path), "%s/planted", outside);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/deeper", outside);
	CHECK(access(path, F_OK) != 0);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "evil/secret", &err), RTCSTATS_ERR_PERMISSION);
	snprintf(path, sizeof(path), "%s/secret", outside);
	CHECK(access(path, F_OK) == 0);

	/* a symlinked object pointing outside is not read */
	snprintf(link, sizeof(link), "%s/link.gz", rootdir);
	CHECK(symlink(path, link) == 0);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "link.gz", &b, &err), RTCSTATS_ERR_PERMISSION);
	/* deleting it removes the link, never the target */
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "link.gz", &err), RTCSTATS_OK);
	CHECK(access(path, F_OK) == 0);
	rtcstats_buffer_free(&b);
	rtcstats_storage_free(s);
}

/*
 * A symlink swapped in while we read: a child exchanges a real directory of
 * the root with a symlink to a directory outside it (renameat2
 * RENAME_EXCHANGE, atomic) as fast as it can, while we read d/obj.  Every
 * read must give the inside object or a refusal, never the outside one (a
 * check of the path, then an open of it, loses this race).
 */
static void
test_file_symlink_swap(void)
{
	rtcstats_storage *s = file_storage(0);
	char		outside[400],
				dir[400],
				link[400],
				path[500];
	int			inside_reads = 0,
				refused = 0,
				leaked = 0;
	pid_t		pid;

	if (!CHECK(s != NULL))
		return;
	snprintf(outside, sizeof(outside), "%s/swap-outside", tmpdir);
	mkdir(outside, 0700);
	snprintf(path, sizeof(path), "%s/obj", outside);
	{
		FILE	   *f = fopen(path, "wb");

		CHECK(f != NULL && fputs("SECRET", f) >= 0 && fclose(f) == 0);
	}
	snprintf(dir, sizeof(dir), "%s/d", rootdir);
	snprintf(link, sizeof(link), "%s/d-link", rootdir);
	CHECK(rtcstats_storage_put(s, "d/obj", "inside", 6, NULL) == RTCSTATS_OK);
	CHECK(symlink(outside, link) == 0);
	pid = fork();
	if (pid == 0)
	{
		for (long i = 0; i < 2000000; i++)
			if (renameat2(AT_FDCWD, dir, AT_FDCWD, link, RENAME_EXCHANGE) != 0)
				_exit(2);
		_exit(0);
	}
	for (int i = 0; i < 20000 && pid > 0; i++)
	{
		rtcstats_buffer b = {0};
		rtcstats_error err;
		rtcstats_status rc = rtcstats_storage_get(s, "d/obj", &b, &err);

		if (rc == RTCSTATS_OK && b.len == 6 && memcmp(b.data, "SECRET", 6) == 0)
			leaked++;
		else if (rc == RTCSTATS_OK)
			inside_reads++;
		else
			refused++;
		rtcstats_buffer_free(&b);
	}
	if (pid > 0)
	{
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	printf("# symlink swap: %d inside reads, %d refused, %d outside\n", inside_reads, refused,
		   leaked);
	CHECK(pid > 0);
	CHECK_EQ_LONG(leaked, 0);
	CHECK(inside_reads > 0 && refused > 0);
	rtcstats_storage_free(s);
}

static void
test_file_size_cap(void)
{
	rtcstats_storage *s = file_storage(100);
	rtcstats_error err;
	rtcstats_buffer b = {0};
	char		data[101];

	if (!CHECK(s != NULL))
		return;
	memset(data, 'z', sizeof(data));
	CHECK_EQ_LONG(rtcstats_storage_put(s, "cap100", data, 100, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "cap101", data, 101, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "cap100", &b, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(b.len, 100);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "cap101", &b, &err), RTCSTATS_ERR_TOO_LARGE);
	CHECK(strstr(err.detail, "101") != NULL);
	CHECK(b.data == NULL && b.len == 0);
	rtcstats_buffer_free(&b);
	rtcstats_storage_free(s);
}

/*
 * Atomic replacement: a child reads the object in a loop while the parent
 * replaces it, alternating two contents of different sizes; every read must
 * be exactly one of them.  Then a put that fails half-way (RLIMIT_FSIZE, in
 * a child) must leave the old object and no temporary file.
 */
static void
test_file_atomicity(void)
{
	rtcstats_storage *s = file_storage(0);
	rtcstats_error err;
	size_t		alen = 200000,
				blen = 300000;
	char	   *a = malloc(alen);
	char	   *bb = malloc(blen);
	pid_t		pid;
	int			status = 0;
	int			i;

	if (!CHECK(s != NULL))
		return;
	memset(a, 'a', alen);
	memset(bb, 'b', blen);
	CHECK_EQ_LONG(rtcstats_storage_put(s, "atomic.gz", a, alen, &err), RTCSTATS_OK);
	pid = fork();
	if (pid == 0)
	{
		rtcstats_buffer r = {0};
		rtcstats_error e;
		int			bad = 0;
		struct timespec t0,
					t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
		{
			size_t		j;

			if (rtcstats_storage_get(s, "atomic.gz", &r, &e) != RTCSTATS_OK)
				bad++;
			else if (r.len == alen)
			{
				for (j = 0; j < r.len; j++)
					bad += r.data[j] != 'a';
			}
			else if (r.len == blen)
			{
				for (j = 0; j < r.len; j++)
					bad += r.data[j] != 'b';
			}
			else
				bad++;
			clock_gettime(CLOCK_MONOTONIC, &t1);
		} while (bad == 0 &&
				 (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 700);
		rtcstats_buffer_free(&r);
		rtcstats_storage_free(s);
		free(a);
		free(bb);
		_exit(bad ? 1 : 0);
	}
	for (i = 0; i < 60; i++)
		if (rtcstats_storage_put(s, "atomic.gz", i % 2 ? a : bb, i % 2 ? alen : blen, &err)
			!= RTCSTATS_OK)
			break;
	CHECK_EQ_LONG(i, 60);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a put that fails half-way (file size limit) changes nothing */
	CHECK_EQ_LONG(rtcstats_storage_put(s, "atomic.gz", a, alen, &err), RTCSTATS_OK);
	pid = fork();
	if (pid == 0)
	{
		struct rlimit rl = {50000, 50000};
		rtcstats_error e;
		rtcstats_status rc;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		rc = rtcstats_storage_put(s, "atomic.gz", bb, blen, &e);
		rtcstats_storage_free(s);
		free(a);
		free(bb);
		_exit(rc == RTCSTATS_ERR_IO ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		rtcstats_buffer r = {0};

		CHECK_EQ_LONG(rtcstats_storage_get(s, "atomic.gz", &r, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(r.len, alen);
		rtcstats_buffer_free(&r);
	}
	CHECK_EQ_LONG(count_temp_files(rootdir), 0);
	free(a);
	free(bb);
	rtcstats_storage_free(s);
}

static void
test_file_check(void)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;
	rtcstats_storage *s;
	char		url[512];
	char		path[400];

	snprintf(url, sizeof(url), "file://%s/does-not-exist", tmpdir);
	cfg.url = url;
	s = rtcstats_storage_new(&cfg, &err);	/* nothing is touched at creation */
	if (CHECK(s != NULL))
	{
		CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_ERR_IO);
		CHECK(strstr(err.detail, "does-not-exist") != NULL);
		CHECK_EQ_LONG(rtcstats_storage_put(s, "x", "x", 1, &err), RTCSTATS_ERR_IO);
	}
	rtcstats_storage_free(s);

	snprintf(path, sizeof(path), "%s/plainfile", tmpdir);
	CHECK(close(open(path, O_WRONLY | O_CREAT, 0600)) == 0);
	snprintf(url, sizeof(url), "file://%s", path);
	cfg.url = url;
	s = rtcstats_storage_new(&cfg, &err);
	if (CHECK(s != NULL))
		CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_ERR_IO);
	rtcstats_storage_free(s);
}

static void
check_bad_config(const char *url, const char *endpoint, bool path_style, const char *region)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;
	rtcstats_storage *s;

	cfg.url = url;
	cfg.s3_endpoint = endpoint;
	cfg.s3_path_style = path_style;
	cfg.s3_region = region;
	s = rtcstats_storage_new(&cfg, &err);
	if (!CHECK(s == NULL))
		fprintf(stderr, "  accepted: %s\n", url ? url : "(null)");
	else
		CHECK_EQ_LONG(err.code, RTCSTATS_ERR_ARGUMENT);
	rtcstats_storage_free(s);
}

static void
test_config(void)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;

	CHECK(rtcstats_storage_new(NULL, &err) == NULL);
	CHECK(rtcstats_storage_new(&cfg, &err) == NULL);
	check_bad_config("", NULL, false, NULL);
	check_bad_config("http://bucket/x", NULL, false, NULL);
	check_bad_config("file://relative/dir", NULL, false, NULL);
	check_bad_config("file:///", NULL, false, NULL);
	check_bad_config("file:///tmp/x?y", NULL, false, NULL);
	check_bad_config("file:///tmp/%zz", NULL, false, NULL);
	check_bad_config("file:///tmp/a%00b", NULL, false, NULL);
	check_bad_config("s3://", NULL, false, NULL);
	check_bad_config("s3:///prefix", NULL, false, NULL);
	check_bad_config("s3://bu cket/x", NULL, false, NULL);
	check_bad_config("s3://bucket@evil/x", NULL, false, NULL);
	check_bad_config("s3://bucket/a/../b", NULL, false, NULL);
	check_bad_config("s3://bucket/x", "ftp://host", true, NULL);
	check_bad_config("s3://bucket/x", "http://user@host", true, NULL);
	check_bad_config("s3://bucket/x", NULL, false, "us-east-1:evil");
	cfg.url = "s3://bucket";
	cfg.s3_access_key_id = "AKID";	/* no secret */
	CHECK(rtcstats_storage_new(&cfg, &err) == NULL);
	CHECK_EQ_LONG(err.code, RTCSTATS_ERR_ARGUMENT);
}

static rtcstats_storage *
storage_for(const char *url, const char *endpoint, bool path_style)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;
	rtcstats_storage *s;

	cfg.url = url;
	cfg.s3_endpoint = endpoint;
	cfg.s3_path_style = path_style;
	s = rtcstats_storage_new(&cfg, &err);
	if (s == NULL)
		fprintf(stderr, "storage_new(%s): %s\n", url, err.detail);
	return s;
}

static void
check_refused(const rtcstats_storage *s, const char *url)
{
	rtcstats_error err;
	char	   *key = (char *) "untouched";

	if (!CHECK_EQ_LONG(rtcstats_storage_key_from_url(s, url, &key, &err),
					   RTCSTATS_ERR_PERMISSION))
		fprintf(stderr, "  accepted: %s\n", url);
	CHECK(key == NULL);
}

static void
check_maps(const rtcstats_storage *s, const char *key, const char *url)
{
	rtcstats_error err;
	char	   *got_url = rtcstats_storage_object_url(s, key);
	char	   *got_key = NULL;

	CHECK_EQ_STR(got_url, url);
	CHECK_EQ_LONG(rtcstats_storage_key_from_url(s, url, &got_key, &err), RTCSTATS_OK);
	CHECK_EQ_STR(got_key, key);
	free(got_url);
	free(got_key);
}

static void
test_url_mapping(void)
{
	rtcstats_storage *s;
	char	   *u;

	/* file: final slashes do not matter */
	s = storage_for("file:///var/lib/rtcstats/dumps/", NULL, false);
	if (CHECK(s != NULL))
	{
		check_maps(s, "a.gz", "file:///var/lib/rtcstats/dumps/a.gz");
		check_maps(s, "2026/11/a.gz", "file:///var/lib/rtcstats/dumps/2026/11/a.gz");
		check_refused(s, "file:///var/lib/rtcstats/dumps/../secret");
		check_refused(s, "file:///var/lib/rtcstats/dumps/a/../../x");
		check_refused(s, "file:///var/lib/rtcstats/dumpsx/a.gz");
		check_refused(s, "file:///var/lib/rtcstats/dumps/");
		check_refused(s, "file:///var/lib/rtcstats/dumps");
		check_refused(s, "file:///var/lib/rtcstats/dumps//etc/passwd");
		check_refused(s, "file:///etc/passwd");
		check_refused(s, "file://localhost/var/lib/rtcstats/dumps/a.gz");
		check_refused(s, "FILE:///var/lib/rtcstats/dumps/a.gz");
		check_refused(s, "s3://var/lib/rtcstats/dumps/a.gz");
		check_refused(s, "file:///var/lib/rtcstats/dumps/a.gz?x=1");
		check_refused(s, "");
		CHECK(rtcstats_storage_object_url(s, "../x") == NULL);
		CHECK(rtcstats_storage_object_url(s, "") == NULL);
	}
	rtcstats_storage_free(s);

	s = storage_for("file://localhost/srv/d", NULL, false);
	if (CHECK(s != NULL))
		check_maps(s, "k", "file:///srv/d/k");
	rtcstats_storage_free(s);

	/* s3 with a prefix */
	s = storage_for("s3://dumps/rtc/prod/", "http://127.0.0.1:9", true);
	if (CHECK(s != NULL))
	{
		check_maps(s, "a.gz", "s3://dumps/rtc/prod/a.gz");
		check_maps(s, "x/y.gz", "s3://dumps/rtc/prod/x/y.gz");
		check_refused(s, "s3://dumps/rtc/a.gz");
		check_refused(s, "s3://dumps/rtc/prodx/a.gz");
		check_refused(s, "s3://dumps/rtc/prod/../a.gz");
		check_refused(s, "s3://other/rtc/prod/a.gz");
		check_refused(s, "s3://dumpsx/rtc/prod/a.gz");
		check_refused(s, "file:///rtc/prod/a.gz");
		check_refused(s, "https://dumps.s3.amazonaws.com/rtc/prod/a.gz");
		CHECK_EQ_STR(rtcstats_s3_request_url(s), "http://127.0.0.1:9/dumps");
	}
	rtcstats_storage_free(s);

	/* s3 without a prefix; virtual-host and AWS default endpoints */
	s = storage_for("s3://dumps", "https://minio.example:9000/", false);
	if (CHECK(s != NULL))
	{
		check_maps(s, "a.gz", "s3://dumps/a.gz");
		check_refused(s, "s3://dumps");
		check_refused(s, "s3://dumps/");
		CHECK_EQ_STR(rtcstats_s3_request_url(s), "https://dumps.minio.example:9000");
	}
	rtcstats_storage_free(s);
	s = storage_for("s3://dumps/p", NULL, false);
	if (CHECK(s != NULL))
		CHECK_EQ_STR(rtcstats_s3_request_url(s), "https://dumps.s3.us-east-1.amazonaws.com");
	rtcstats_storage_free(s);
	/* an IP endpoint has no subdomains: path style whatever the setting */
	s = storage_for("s3://dumps/p", "http://127.0.0.1:9000", false);
	if (CHECK(s != NULL))
		CHECK_EQ_STR(rtcstats_s3_request_url(s), "http://127.0.0.1:9000/dumps");
	rtcstats_storage_free(s);
	s = storage_for("s3://dumps/p", "http://[::1]:9000", false);
	if (CHECK(s != NULL))
		CHECK_EQ_STR(rtcstats_s3_request_url(s), "http://[::1]:9000/dumps");
	rtcstats_storage_free(s);
	s = storage_for("s3://dumps/p", "http://gw.example/s3/", true);
	if (CHECK(s != NULL))
		CHECK_EQ_STR(rtcstats_s3_request_url(s), "http://gw.example/s3/dumps");
	rtcstats_storage_free(s);

	u = rtcstats_s3_uri_encode_path("a b/c$d~e_f.g-h/%/\xc3\xa9");
	CHECK_EQ_STR(u, "a%20b/c%24d~e_f.g-h/%25/%C3%A9");
	free(u);
}

static void
test_parse_error(void)
{
	char		code[64];
	char		msg[256];
	const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
		"<Message>Access &amp; &lt;denied&gt;\nnow</Message><RequestId>1</RequestId></Error>";

	rtcstats_s3_parse_error(xml, strlen(xml), code, sizeof(code), msg, sizeof(msg));
	CHECK_EQ_STR(code, "AccessDenied");
	CHECK_EQ_STR(msg, "Access & <denied> now");
	rtcstats_s3_parse_error("<Code>Unterminated", 18, code, sizeof(code), msg, sizeof(msg));
	CHECK_EQ_STR(code, "");
	rtcstats_s3_parse_error(NULL, 0, code, sizeof(code), msg, sizeof(msg));
	CHECK_EQ_STR(msg, "");
	rtcstats_s3_parse_error("<Code>VeryLongCodeName</Code>", 29, code, 5, msg, sizeof(msg));
	CHECK_EQ_STR(code, "Very");
}

/* ---- s3:// against the stub ---- */

typedef struct s3_fixture
{
	http_stub	st;
	rtcstats_storage *s;
	char		endpoint[64];
} s3_fixture;

/* should_stop for the tests: true once the stub has recorded a request */
static http_stub *stop_stub;

static bool
stop_after_first_request(void *arg)
{
	return stub_count(stop_stub) >= 1;
}

static bool
s3_setup(s3_fixture *f, const stub_response *script, int n, int retries, long timeout_ms,
		 size_t max_bytes, bool cancellable)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;

	if (!CHECK(stub_start(&f->st, script, n)))
		return false;
	snprintf(f->endpoint, sizeof(f->endpoint), "http://127.0.0.1:%d", f->st.port);
	cfg.url = "s3://bkt/pre";
	cfg.s3_endpoint = f->endpoint;
	cfg.s3_path_style = true;
	cfg.s3_access_key_id = "AKID";
	cfg.s3_secret_access_key = "SECRET";
	cfg.max_retries = retries;
	cfg.timeout_ms = timeout_ms;
	cfg.connect_timeout_ms = 1000;
	cfg.max_object_bytes = max_bytes;
	if (cancellable)
	{
		cfg.should_stop = stop_after_first_request;
		stop_stub = &f->st;
	}
	f->s = rtcstats_storage_new(&cfg, &err);
	if (!CHECK(f->s != NULL))
	{
		stub_stop(&f->st);
		stub_free(&f->st);
		return false;
	}
	return true;
}

static int
s3_teardown(s3_fixture *f)
{
	int			n;

	rtcstats_storage_free(f->s);
	stub_stop(&f->st);
	n = f->st.nreq;
	stub_free(&f->st);
	return n;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

#define XML_ERR(code, msg) "<?xml version=\"1.0\"?><Error><Code>" code "</Code><Message>" msg \
	"</Message></Error>"

static void
test_s3_stub_statuses(void)
{
	s3_fixture	f;
	rtcstats_error err;
	rtcstats_buffer b = {0};
	static const stub_response script[] = {
		{200, "ETag: \"x\"\r\n", NULL, 0, STUB_NORMAL},	/* put */
		{200, NULL, "object body", 0, STUB_NORMAL},	/* get */
		{404, "Content-Type: application/xml\r\n",
		XML_ERR("NoSuchKey", "The specified key does not exist."), 0, STUB_NORMAL},
		{404, NULL, XML_ERR("NoSuchBucket", "The specified bucket does not exist"), 0,
		STUB_NORMAL},
		{403, NULL, XML_ERR("AccessDenied", "Access Denied"), 0, STUB_NORMAL},
		{301, NULL, XML_ERR("PermanentRedirect", "Use the eu-west-1 endpoint."), 0,
		STUB_NORMAL},
		{204, NULL, NULL, 0, STUB_NORMAL},	/* delete */
		{404, NULL, XML_ERR("NoSuchKey", "gone"), 0, STUB_NORMAL},	/* delete missing */
		{404, NULL, NULL, 0, STUB_NORMAL},	/* HEAD bucket: no such bucket */
		{403, NULL, NULL, 0, STUB_NORMAL},	/* HEAD bucket: forbidden */
	};

	if (!s3_setup(&f, script, 10, 3, 5000, 0, false))
		return;
	CHECK_EQ_LONG(rtcstats_storage_put(f.s, "k.gz", "data", 4, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k.gz", &b, &err), RTCSTATS_OK);
	CHECK(b.len == 11 && memcmp(b.data, "object body", 11) == 0);

	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k.gz", &b, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK(strstr(err.detail, "s3://bkt/pre/k.gz") != NULL);
	CHECK(b.data == NULL);

	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k.gz", &b, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 404 NoSuchBucket") != NULL);

	CHECK_EQ_LONG(rtcstats_storage_put(f.s, "k.gz", "x", 1, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 403 AccessDenied: Access Denied") != NULL);
	CHECK(strstr(err.detail, "(1 attempt)") != NULL);	/* no retry on 4xx */

	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k.gz", &b, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 301 PermanentRedirect") != NULL);

	CHECK_EQ_LONG(rtcstats_storage_delete(f.s, "k.gz", &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_delete(f.s, "k.gz", &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_check(f.s, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK(strstr(err.detail, "bucket does not exist") != NULL);
	CHECK_EQ_LONG(rtcstats_storage_check(f.s, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 403") != NULL);
	rtcstats_buffer_free(&b);

	/* every answer was final: one request each, and one connection */
	CHECK_EQ_LONG(f.st.nreq, 10);
	CHECK_EQ_LONG(f.st.req[0].body_len, 4);
	CHECK_EQ_STR(f.st.req[0].path, "/bkt/pre/k.gz");
	CHECK_EQ_STR(f.st.req[6].method, "DELETE");
	CHECK_EQ_STR(f.st.req[8].method, "HEAD");
	CHECK_EQ_STR(f.st.req[8].path, "/bkt");
	CHECK_EQ_LONG(f.st.req[9].conn, f.st.req[0].conn);
	{
		char		ua[64];

		stub_header(&f.st.req[0], "User-Agent", ua, sizeof(ua));
		CHECK(strncmp(ua, "rtcstats-pg/", 12) == 0);
	}
	s3_teardown(&f);
}

static void
test_s3_stub_retries(void)
{
	s3_fixture	f;
	rtcstats_error err;
	rtcstats_buffer b = {0};
	struct timespec t0;
	long		ms;
	static const stub_response flaky[] = {
		{503, NULL, XML_ERR("SlowDown", "Please reduce your request rate."), 0, STUB_NORMAL},
		{500, NULL, XML_ERR("InternalError", "We encountered an internal error."), 0,
		STUB_NORMAL},
		{200, NULL, "finally", 0, STUB_NORMAL},
	};
	static const stub_response broken[] = {
		{500, NULL, XML_ERR("InternalError", "oops"), 0, STUB_NORMAL},
		{429, NULL, NULL, 0, STUB_NORMAL},
		{400, NULL, XML_ERR("RequestTimeout", "Your socket connection timed out."), 0,
		STUB_NORMAL},
		{200, NULL, NULL, 0, STUB_NORMAL},	/* never reached: 2 retries */
	};

	/* 503, 500, then 200: backoff 200 + 400 ms */
	if (!s3_setup(&f, flaky, 3, 3, 5000, 0, false))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_OK);
	ms = ms_since(&t0);
	CHECK(b.len == 7 && memcmp(b.data, "finally", 7) == 0);
	CHECK(ms >= 600);
	CHECK(ms < 3000);
	CHECK_EQ_LONG(s3_teardown(&f), 3);
	rtcstats_buffer_free(&b);

	/* 500, 429, 400 RequestTimeout: all retried; out of retries after 3 */
	if (!s3_setup(&f, broken, 4, 2, 5000, 0, false))
		return;
	CHECK_EQ_LONG(rtcstats_storage_put(f.s, "k", "body", 4, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 400 RequestTimeout") != NULL);
	CHECK(strstr(err.detail, "(3 attempts)") != NULL);
	CHECK_EQ_LONG(s3_teardown(&f), 3);
	CHECK_EQ_LONG(f.st.req[2].body_len, 4);	/* the body is sent again in full */

	/* max_retries 0: one attempt */
	if (!s3_setup(&f, broken, 4, 0, 5000, 0, false))
		return;
	CHECK_EQ_LONG(rtcstats_storage_put(f.s, "k", "body", 4, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 500 InternalError: oops (1 attempt)") != NULL);
	CHECK_EQ_LONG(s3_teardown(&f), 1);
}

static void
test_s3_stub_network(void)
{
	s3_fixture	f;
	rtcstats_storage_config cfg = {0};
	rtcstats_storage *s;
	rtcstats_error err;
	rtcstats_buffer b = {0};
	char		endpoint[64];
	struct timespec t0;
	long		ms;
	static const stub_response hang[] = {
		{200, NULL, NULL, 0, STUB_HANG},
		{200, NULL, NULL, 0, STUB_HANG},
	};

	/* nothing listening: NETWORK with curl's words, after the retries */
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", stub_closed_port());
	cfg.url = "s3://bkt";
	cfg.s3_endpoint = endpoint;
	cfg.s3_path_style = true;
	cfg.max_retries = 2;
	cfg.connect_timeout_ms = 500;
	cfg.timeout_ms = 1000;
	s = rtcstats_storage_new(&cfg, &err);
	if (CHECK(s != NULL))
	{
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_EQ_LONG(rtcstats_storage_get(s, "k", &b, &err), RTCSTATS_ERR_NETWORK);
		ms = ms_since(&t0);
		CHECK(strstr(err.detail, "onnect") != NULL);
		CHECK(strstr(err.detail, "3 attempts") != NULL);
		CHECK(ms >= 600 && ms < 3000);
		CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_ERR_NETWORK);
	}
	rtcstats_storage_free(s);

	/* a server that never answers: the total timeout, retried once */
	if (!s3_setup(&f, hang, 2, 1, 300, 0, false))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_ERR_NETWORK);
	ms = ms_since(&t0);
	CHECK(strstr(err.detail, "imed out") != NULL);
	CHECK(strstr(err.detail, "2 attempts") != NULL);
	CHECK(ms >= 700 && ms < 3000);	/* 2 x 300 ms + 200 ms of backoff */
	CHECK_EQ_LONG(s3_teardown(&f), 2);

	/* should_stop aborts a hanging transfer: CANCELLED, no retry */
	if (!s3_setup(&f, hang, 2, 3, 10000, 0, true))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_ERR_CANCELLED);
	CHECK(ms_since(&t0) < 3000);
	CHECK_EQ_LONG(s3_teardown(&f), 1);
	rtcstats_buffer_free(&b);
}

static void
test_s3_stub_cancel_backoff(void)
{
	s3_fixture	f;
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;
	rtcstats_buffer b = {0};
	struct timespec t0;
	static const stub_response script[] = {
		{503, NULL, NULL, 0, STUB_NORMAL},
		{200, NULL, "late", 0, STUB_NORMAL},
	};

	/*
	 * A cancel arriving while a retry is pending: no further attempt, and
	 * no waiting out the backoff (the sleep polls should_stop).
	 */
	if (!CHECK(stub_start(&f.st, script, 2)))
		return;
	snprintf(f.endpoint, sizeof(f.endpoint), "http://127.0.0.1:%d", f.st.port);
	cfg.url = "s3://bkt";
	cfg.s3_endpoint = f.endpoint;
	cfg.s3_path_style = true;
	cfg.max_retries = 3;
	cfg.should_stop = stop_after_first_request;
	stop_stub = &f.st;
	f.s = rtcstats_storage_new(&cfg, &err);
	if (!CHECK(f.s != NULL))
	{
		stub_stop(&f.st);
		stub_free(&f.st);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_ERR_CANCELLED);
	CHECK(ms_since(&t0) < RTCSTATS_STORAGE_BACKOFF_FIRST_MS);
	CHECK_EQ_LONG(s3_teardown(&f), 1);
	rtcstats_buffer_free(&b);
}

static void
test_s3_stub_body_cap(void)
{
	s3_fixture	f;
	rtcstats_error err;
	rtcstats_buffer b = {0};
	static char big[5000];
	stub_response script[4];

	memset(big, 'x', sizeof(big) - 1);
	memset(script, 0, sizeof(script));
	/* no Content-Length at all (close-delimited): the cap counts bytes */
	script[0] = (stub_response) {200, NULL, big, 4000, STUB_NO_LENGTH_CLOSE};
	/* an honest Content-Length over the cap: refused early */
	script[1] = (stub_response) {200, NULL, big, 4000, STUB_NORMAL};
	/* exactly at the cap: fine */
	script[2] = (stub_response) {200, NULL, big, 1000, STUB_NORMAL};
	/* an error body larger than the error cap is cut, not fatal */
	script[3] = (stub_response) {500, NULL, big, 4999, STUB_NORMAL};
	if (!s3_setup(&f, script, 4, 0, 5000, 1000, false))
		return;
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_ERR_TOO_LARGE);
	CHECK(strstr(err.detail, "1000") != NULL);
	CHECK(b.data == NULL);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_ERR_TOO_LARGE);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(b.len, 1000);
	CHECK_EQ_LONG(rtcstats_storage_get(f.s, "k", &b, &err), RTCSTATS_ERR_STORAGE);
	CHECK(strstr(err.detail, "HTTP 500") != NULL);
	CHECK_EQ_LONG(s3_teardown(&f), 4);
	rtcstats_buffer_free(&b);
}

int
main(void)
{
	char		cmd[600];

	rtcstats_storage_global_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/rtcstats-storage-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		return 1;
	}
	snprintf(rootdir, sizeof(rootdir), "%s/root", tmpdir);
	mkdir(rootdir, 0700);

	test_key_rule();
	test_file_round_trip();
	test_file_refusals();
	test_file_symlink_swap();
	test_file_size_cap();
	test_file_atomicity();
	test_file_check();
	test_config();
	test_url_mapping();
	test_parse_error();
	test_s3_stub_statuses();
	test_s3_stub_retries();
	test_s3_stub_network();
	test_s3_stub_cancel_backoff();
	test_s3_stub_body_cap();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	curl_global_cleanup();
	return check_summary("test_storage");
}
