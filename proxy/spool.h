/*
 * spool.h: the spool directory is the queue.
 *
 *   <id>.part   the session while open, appended line by line
 *   <id>.dump   complete (renamed at close): waiting for upload and insert
 *   <id>.requeue  put back by --requeue-failed: taken (renamed to .dump) and queued
 *   failed/     quarantine: <id>.dump and <id>.reason, dumps refused as data errors
 *   free/       empty files recycled for new sessions (see spool.c)
 *
 * A spool file is one header line of our own (JSON: start time and the
 * token's claims), then the dump exactly as it will be stored.  One file per
 * session, not a sidecar: file creation is the costliest part of opening a
 * session (ext4 inode allocation under churn).  Files are deleted once the
 * object is stored and the row committed.  A restart completes every .part
 * with a 1006 close line and queues every .dump.
 */
#ifndef RTCSTATS_PROXY_SPOOL_H
#define RTCSTATS_PROXY_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

#define PROXY_ID_LEN 36

/* UUID v4 from OpenSSL's RAND_bytes into out[37]; 0 or -1. */
int			proxy_uuid_v4(char *out);
/* True if s is a lower-case canonical UUID (what the spool names are). */
int			proxy_is_uuid(const char *s, size_t len);

int64_t		proxy_now_ms(void);

/* mkdir -p with mode 0700; 0 or -1 with errno. */
int			proxy_mkdir_p(const char *path);
/* Creates dir and dir/failed; 0 or -1 with errno. */
int			proxy_spool_init(const char *dir);
void		proxy_spool_path(char *out, size_t cap, const char *dir, const char *id,
							 const char *suffix);

/* Takes an exclusive lock (flock) on dir/.lock for the life of the process; -1 if held. */
int			proxy_spool_lock(const char *dir);

/* Longest header line accepted when reading a spool file back. */
#define PROXY_SPOOL_HEADER_MAX (4 * PROXY_JWT_MAX_BYTES)

/* The header line ("{...}\n"), malloc'd; *len set.  NULL if out of memory. */
char	   *proxy_spool_header(int64_t start_ms, const proxy_claims *claims, bool upload,
								size_t *len);
/*
 * Reads the header line of an open spool file and leaves the file positioned
 * after it.  A file that starts with "RTCStatsDump" (a plain dump dropped
 * into the spool) has none: start 0, no claims, positioned at 0.  -1 if the
 * header is malformed.
 */
int			proxy_spool_read_header(int fd, int64_t *start_ms, proxy_claims *claims);

/*
 * Flushes <id>.dump and the spool directory entry to disk (fdatasync +
 * fsync of the directory); 0 or -1 with errno.  See proxy_spool_sync's caller.
 */
int			proxy_spool_sync(const char *dir, const char *id);
/* Opens <id>.part for appending (a recycled file, else created); fd or -1. */
int			proxy_spool_create(const char *dir, const char *id);
/* Renames <id>.part to <id>.dump. */
int			proxy_spool_complete(const char *dir, const char *id);
/* After upload: <id>.dump truncated into the free/ pool (or removed when it is full). */
void		proxy_spool_recycle(const char *dir, const char *id);
/* Removes <id>.part and <id>.dump (whichever exist). */
void		proxy_spool_remove(const char *dir, const char *id);
/*
 * Quarantine: writes failed/<id>.reason (one line, the reason) and moves
 * <id>.dump to failed/<id>.dump, both durable; 0 or -1 with errno.
 */
int			proxy_spool_move_failed(const char *dir, const char *id, const char *reason);
/*
 * rtcstats-proxy --requeue-failed: moves failed/<id>.dump (each of ids, or
 * every one when n is 0) to <id>.requeue and removes its .reason; prints
 * "requeued <id>" for each.  A running proxy takes .requeue files within
 * seconds (proxy_spool_take_requeued), the next start otherwise.  Returns the
 * number of ids that could not be requeued (messages on stderr).
 */
int			proxy_spool_requeue(const char *dir, const char *const *ids, int n);
/*
 * main(): when argv holds --requeue-failed [ID...], runs that command with
 * the other options (spool-dir, config file, environment) and returns the
 * exit status (0, 1 if an id could not be requeued, 2 on a bad option);
 * -1 when argv does not ask for it.
 */
int			proxy_requeue_command(int argc, char **argv);
/* Renames each <id>.requeue to <id>.dump and queues it; once recovery is done. */
int			proxy_spool_take_requeued(const char *dir, void (*queue) (const char *id));

/* Client start times outside [2000-01-01, receive time + 1 day] are not believed. */
#define PROXY_START_MIN_MS 946684800000LL
#define PROXY_START_MAX_AHEAD_MS 86400000LL
/*
 * True and *out set if v (ms since the epoch, a client's number) is a sane
 * start for something received at received_ms; checked before any cast.
 */
bool		proxy_sane_start_ms(double v, int64_t received_ms, int64_t *out);

/* The closing line, ["close",null,code,delta]\n, into buf; its length. */
size_t		proxy_close_line(char *buf, size_t cap, int code, int64_t delta_ms);

/*
 * Startup recovery: completes every .part (cut after its last full line,
 * close line with 1006) or removes it if it holds no message, then calls
 * queue(id) for every .dump, oldest first.  Returns
 * the number queued, -1 if the directory cannot be read.
 */
int			proxy_spool_recover(const char *dir, void (*queue) (const char *id));

#endif
