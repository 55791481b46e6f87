/*
 * spool.h: the spool directory is the queue.
 *
 *   <id>.meta   sidecar written first: start time and token claims (JSON)
 *   <id>.part   the dump while its session is open, appended line by line
 *   <id>.dump   complete (renamed at close): waiting for upload and insert
 *   failed/     dumps the pipeline could not read, kept for a human
 *
 * Files are deleted once the object is stored and the row committed.  A
 * restart completes every .part with a 1006 close line and queues every .dump.
 */
#ifndef RTCSTATS_PROXY_SPOOL_H
#define RTCSTATS_PROXY_SPOOL_H

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

/* Writes <id>.meta atomically (temp file + rename). */
int			proxy_spool_write_meta(const char *dir, const char *id, int64_t start_ms,
								   const proxy_claims *claims);
/* Reads it back; missing file: start 0, no claims (returns 0). -1 if malformed. */
int			proxy_spool_read_meta(const char *dir, const char *id, int64_t *start_ms,
								  proxy_claims *claims);

/* Opens <id>.part for appending (created, must not exist); fd or -1. */
int			proxy_spool_create(const char *dir, const char *id);
/* Renames <id>.part to <id>.dump. */
int			proxy_spool_complete(const char *dir, const char *id);
/* Removes <id>.part, <id>.dump and <id>.meta (whichever exist). */
void		proxy_spool_remove(const char *dir, const char *id);
/* Moves <id>.dump and <id>.meta to failed/. */
int			proxy_spool_move_failed(const char *dir, const char *id);

/* The closing line, ["close",null,code,delta]\n, into buf; its length. */
size_t		proxy_close_line(char *buf, size_t cap, int code, int64_t delta_ms);

/*
 * Startup recovery: completes every .part (cut after its last full line,
 * close line with 1006) or removes it if it holds no message, removes orphan
 * .meta files, then calls queue(id) for every .dump, oldest first.  Returns
 * the number queued, -1 if the directory cannot be read.
 */
int			proxy_spool_recover(const char *dir, void (*queue) (const char *id));

#endif
