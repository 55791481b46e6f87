-- Stored dumps (file:// storage under the data directory, the default):
-- rtcstats_fetch_dump, rtcstats_dump_events(uuid), rtcstats_extract_features
-- (idempotent) and CALL rtcstats_extract_pending with a bad dump among good
-- ones, committing per dump.
-- In a database of its own, so that no other test's rows are claimed.
CREATE DATABASE rtcstats_extract_test;
\c rtcstats_extract_test
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset
SELECT current_setting('rtcstats.storage_url') = 'file://' || :'storage_dir' AS default_storage;

\set err_fn :abs_srcdir '/test/regress/err.psql'
\i :err_fn

-- objects as the proxy stores them: gzip, named <id>.gz; one plain; one corrupt
\set cmd 'gzip -n -c ' :corpus '/av-call.rtcstats > ' :storage_dir '/e0000000-0000-4000-8000-000000000001.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\set cmd 'gzip -n -c ' :corpus '/multi-pc.rtcstats > ' :storage_dir '/e0000000-0000-4000-8000-000000000002.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\set cmd 'cp ' :corpus '/audio-only.rtcstats ' :storage_dir '/e0000000-0000-4000-8000-000000000003.rtcstats'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\set cmd 'gzip -n -c ' :corpus '/ice-failure.rtcstats | head -c 700 > ' :storage_dir '/e0000000-0000-4000-8000-000000000004.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';

INSERT INTO rtcstats_dumps (id, blob_url)
SELECT id::uuid, current_setting('rtcstats.storage_url') || '/' || name
FROM (VALUES ('e0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001.gz'),
			 ('e0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002.gz'),
			 ('e0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000003.rtcstats'),
			 ('e0000000-0000-4000-8000-000000000004', 'e0000000-0000-4000-8000-000000000004.gz'),
			 ('e0000000-0000-4000-8000-000000000005', 'e0000000-0000-4000-8000-000000000005.gz')) AS v(id, name);
-- rows that must never make the server read elsewhere
INSERT INTO rtcstats_dumps (id, blob_url, attempts) VALUES
	('e0000000-0000-4000-8000-0000000000f1', 'file:///etc/passwd', 100),
	('e0000000-0000-4000-8000-0000000000f2', current_setting('rtcstats.storage_url') || '/../PG_VERSION', 100),
	('e0000000-0000-4000-8000-0000000000f3', 'http://127.0.0.1:1/x.gz', 100);

-- fetch: the object as stored
SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000001') =
	   pg_read_binary_file(:'storage_dir' || '/e0000000-0000-4000-8000-000000000001.gz') AS as_stored,
	   substr(rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000001'), 1, 2) = '\x1f8b'::bytea AS gzip,
	   rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000003') =
	   pg_read_binary_file(:'corpus' || '/audio-only.rtcstats') AS plain_as_stored;
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-0000000000f1')$$);
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-0000000000f2')$$);
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-0000000000f3')$$);
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000005')$$);
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-0000000000ff')$$);

-- events of a stored dump
SELECT count(*) = (SELECT count(*) FROM rtcstats_dump_events(pg_read_binary_file(:'corpus' || '/av-call.rtcstats'))) AS same_events
FROM rtcstats_dump_events('e0000000-0000-4000-8000-000000000001'::uuid);
SELECT pg_temp.err($$SELECT count(*) FROM rtcstats_dump_events('e0000000-0000-4000-8000-0000000000f1'::uuid)$$);

-- synchronous extraction: returns the features, stores them
SELECT rtcstats_extract_features('e0000000-0000-4000-8000-000000000001') =
	   rtcstats_features(pg_read_binary_file(:'corpus' || '/av-call.rtcstats')) AS features_returned;
SELECT extracted_at IS NOT NULL AS extracted, last_error, attempts
FROM rtcstats_dumps WHERE id = 'e0000000-0000-4000-8000-000000000001';
SELECT (SELECT count(*) FROM features_metadata WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS metadata,
	   (SELECT count(*) FROM features_client WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS client,
	   (SELECT count(*) FROM features_connection WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS connections,
	   (SELECT count(*) FROM features_track WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS tracks,
	   (SELECT count(*) > 0 FROM rtcstats_observations WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS observations;
-- idempotent: a second extraction replaces the rows
CREATE TEMP TABLE before AS SELECT * FROM features_connection WHERE dump_id = 'e0000000-0000-4000-8000-000000000001';
SELECT rtcstats_extract_features('e0000000-0000-4000-8000-000000000001') IS NOT NULL AS again;
SELECT (SELECT count(*) FROM features_connection WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS connections,
	   (SELECT count(*) FROM features_track WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') AS tracks,
	   (SELECT count(*) FROM (SELECT ice_connection_time, dtls_role FROM before
							  EXCEPT SELECT ice_connection_time, dtls_role FROM features_connection
							  WHERE dump_id = 'e0000000-0000-4000-8000-000000000001') d) AS changed;
-- errors raise (nothing recorded by the synchronous function)
SELECT pg_temp.err($$SELECT rtcstats_extract_features('e0000000-0000-4000-8000-000000000004')$$);
SELECT pg_temp.err($$SELECT rtcstats_extract_features('e0000000-0000-4000-8000-0000000000f1')$$);
SELECT pg_temp.err($$SELECT rtcstats_extract_features('e0000000-0000-4000-8000-0000000000ff')$$);
SELECT attempts, last_error FROM rtcstats_dumps WHERE id = 'e0000000-0000-4000-8000-000000000004';

-- the batch for pg_cron: two good, a corrupt and a missing object; the bad
-- ones get their error recorded and do not stop the others.  Each dump is a
-- transaction of its own (a trigger logs each store's transaction and the
-- oldest transaction its snapshot still waits for), so its row locks go
-- with it and no snapshot is held from one dump to the next.
SELECT pg_temp.err($$CALL rtcstats_extract_pending(-1)$$);
SELECT pg_temp.err($$SELECT rtcstats_extract_pending(1)$$) AS not_a_function;
CALL rtcstats_extract_pending(0);
CREATE TABLE store_log (n serial, xid bigint, snapshot_xmin bigint);
-- (it runs inside rtcstats_store_features, whose search_path is pinned: qualified)
CREATE FUNCTION log_store() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.store_log (xid, snapshot_xmin)
	VALUES (pg_catalog.txid_current(), pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot()));
	RETURN NULL;
END $$;
CREATE TRIGGER log_store AFTER INSERT ON features_metadata FOR EACH ROW EXECUTE FUNCTION log_store();
SET client_min_messages = error;	-- the WARNING per failed dump names server paths
CALL rtcstats_extract_pending(10);
RESET client_min_messages;
SELECT count(*) AS stores, count(DISTINCT a.xid) AS transactions,
	   bool_and(a.snapshot_xmin > b.xid) AS no_snapshot_across_dumps
FROM store_log a LEFT JOIN store_log b ON b.n = a.n - 1;
DROP TRIGGER log_store ON features_metadata;
SELECT right(id::text, 2) AS id, extracted_at IS NOT NULL AS extracted, attempts, claimed_at IS NULL AS unclaimed,
	   next_attempt_at > now() AS backing_off,
	   regexp_replace(regexp_replace(replace(last_error, current_setting('rtcstats.storage_url'), '<storage>'),
				  '"/[^"]*"', '"<path>"', 'g'),
				  'line \d+: gzip stream is truncated \(\d+ bytes', 'line N: gzip stream is truncated (N bytes') AS last_error
FROM rtcstats_dumps ORDER BY id;
SELECT (SELECT count(*) FROM features_connection WHERE dump_id = 'e0000000-0000-4000-8000-000000000002') AS multi_pc_connections,
	   (SELECT count(*) FROM features_client WHERE dump_id = 'e0000000-0000-4000-8000-000000000003') AS audio_only_client;
-- nothing eligible now: the failed ones wait for their backoff
CALL rtcstats_extract_pending(10);
-- inside a transaction block it runs in the caller's transaction
BEGIN;
CALL rtcstats_extract_pending(10);
COMMIT;

-- rtcstats.max_dump_size: a larger object is not fetched
\set cmd 'cp ' :corpus '/multi-pc.rtcstats ' :storage_dir '/e0000000-0000-4000-8000-000000000006.rtcstats'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (id, blob_url, attempts) VALUES
	('e0000000-0000-4000-8000-000000000006', current_setting('rtcstats.storage_url') || '/e0000000-0000-4000-8000-000000000006.rtcstats', 100);
SET rtcstats.max_dump_size = '100kB';
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000006')$$) AS too_large;
RESET rtcstats.max_dump_size;
SELECT octet_length(rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000006')) AS fetched_bytes;

-- non-superusers may call the pure functions, not the storage ones
CREATE ROLE rtcstats_regress_user;
SET ROLE rtcstats_regress_user;
SELECT rtcstats_obfuscate_address('192.0.2.1') AS pure_ok;
SELECT pg_temp.err($$SELECT rtcstats_fetch_dump('e0000000-0000-4000-8000-000000000001')$$);
SELECT pg_temp.err($$CALL rtcstats_extract_pending(1)$$);
SELECT pg_temp.err($$SHOW rtcstats.s3_secret_access_key$$);
SELECT count(*) AS secret_listed FROM pg_settings WHERE name = 'rtcstats.s3_secret_access_key';
RESET ROLE;
DROP ROLE rtcstats_regress_user;

\set cmd 'rm -f ' :storage_dir '/e0000000-0000-4000-8000-00000000000*'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\c contrib_regression
DROP DATABASE rtcstats_extract_test;
