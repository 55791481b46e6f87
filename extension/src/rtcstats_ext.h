/*
 * rtcstats_ext.h: what the files of the extension share (Postgres glue only;
 * the work itself is done by the core library, core/include/rtcstats).
 */
#ifndef RTCSTATS_EXT_H
#define RTCSTATS_EXT_H

#include "postgres.h"

#include "rtcstats/error.h"
#include "rtcstats/storage.h"

struct json_object;

/* GUCs (rtcstats.c; docs/configuration.md) */
extern char *rtcstats_storage_url;
extern char *rtcstats_s3_endpoint;
extern char *rtcstats_s3_region;
extern char *rtcstats_s3_access_key_id;
extern char *rtcstats_s3_secret_access_key;
extern bool rtcstats_s3_path_style;
extern int	rtcstats_storage_timeout_ms;
extern int	rtcstats_max_dump_kb;
extern int	rtcstats_workers;
extern char *rtcstats_database;
extern int	rtcstats_max_attempts;
extern int	rtcstats_claim_timeout_s;
extern int	rtcstats_retry_delay_s;
extern int	rtcstats_naptime_ms;

/* errors.c: a core status as an ereport; a background worker's recovery from one */
extern int	rtcstats_errcode(rtcstats_status code);
extern void rtcstats_raise(const char *what, const rtcstats_error *err) pg_attribute_noreturn();
extern char *rtcstats_worker_recover(MemoryContext cxt, int *sqlerrcode);
extern bool rtcstats_is_outage(int sqlerrcode);

/* storage_access.c */
extern rtcstats_storage *rtcstats_storage_open(void);
extern void rtcstats_storage_close(void);
extern bytea *rtcstats_fetch_url(const char *blob_url);
extern char *rtcstats_delete_url(const char *blob_url);
extern void rtcstats_ensure_default_dir(void);

/* extract.c: one dump, bytes to features (+ analysis); results are jsonb */
typedef struct rtcstats_extracted
{
	Datum		features;		/* jsonb */
	Datum		analysis;		/* jsonb, or 0 when not computed */
} rtcstats_extracted;

extern void rtcstats_extract_bytes(const char *what, const void *data, size_t len,
								   bool with_analysis, rtcstats_extracted *out);
extern Datum rtcstats_json_to_jsonb(struct json_object *obj);
/* s (len bytes) with U+0000 escaped as jsonconv.c says; s itself when it has none */
extern const char *rtcstats_escape_nul(const char *s, size_t len, size_t *outlen);
extern const char *rtcstats_ext_schema(void);
extern char *rtcstats_blob_url_of(Datum dump_id);
extern void rtcstats_fetch_extract(Datum dump_id, const char *blob_url,
								   rtcstats_extracted *ex);
extern void rtcstats_store(Datum dump_id, const rtcstats_extracted *ex);
extern Datum rtcstats_extract_one(Datum dump_id, const char *blob_url);
extern bool rtcstats_claim_one(MemoryContext cxt, const char *worker, Datum *id, char **url);
extern void rtcstats_record_failure(Datum dump_id, const char *message, int sqlerrcode);

/* shmem.c: the workers' latches, woken when a dump row is inserted */
extern void rtcstats_shmem_install_hooks(void);
extern void rtcstats_shmem_register_self(int slot);
extern void rtcstats_shmem_unregister_self(int slot);
extern void rtcstats_wake_workers(void);

/* purge.c: the objects of deleted dumps (rtcstats_deleted_objects) */
#define RTCSTATS_PURGE_BATCH 100
extern int	rtcstats_purge_batch(MemoryContext cxt, const char *worker_name);

/* worker.c */
extern void rtcstats_register_workers(void);
PGDLLEXPORT void rtcstats_worker_main(Datum arg);

#endif
