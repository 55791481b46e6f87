-- The background workers (rtcstats.workers = 2 on rtcstats.database =
-- rtcstats_workers_test, extension/regress.conf): they wait for the database
-- and the extension, then extract every dump inserted, record the errors of
-- bad ones without stopping, show in pg_stat_activity, are woken by an insert
-- (rtcstats.naptime is 60s there), come back after being terminated, purge
-- the stored objects of deleted dumps, and leave with DROP DATABASE ... WITH
-- (FORCE).
CREATE DATABASE rtcstats_workers_test;
\c rtcstats_workers_test
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset

\set wait_fn :abs_srcdir '/test/regress/wait_for.psql'
\i :wait_fn

-- the workers connect once the database exists (they retry every 5 s)
SELECT pg_temp.wait_for($$SELECT count(*) = 2 FROM pg_stat_activity
						 WHERE backend_type = 'rtcstats worker' AND datname = current_database()$$, 60) AS connected;

-- six good dumps (gzip, as stored by the proxy, and one plain), a garbage
-- object and a truncated gzip one
-- (COPY of no rows: the program never reads stdin, and a row still buffered
-- when it has exited would fail the COPY with EPIPE)
\set cmd 'for n in av-call multi-pc audio-only screen-share simulcast; do gzip -n -c ' :corpus '/$n.rtcstats > ' :storage_dir '/w-$n.gz; done'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\set cmd 'cp ' :corpus '/renegotiation.rtcstats ' :storage_dir '/w-renegotiation.rtcstats'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\set cmd 'echo garbage > ' :storage_dir '/w-garbage.gz; gzip -n -c ' :corpus '/ice-failure.rtcstats | head -c 600 > ' :storage_dir '/w-truncated.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (blob_url, rtcstats_user)
SELECT current_setting('rtcstats.storage_url') || '/w-' || n, n
FROM unnest(ARRAY['av-call.gz', 'multi-pc.gz', 'audio-only.gz', 'screen-share.gz', 'simulcast.gz',
				  'renegotiation.rtcstats', 'garbage.gz', 'truncated.gz']) AS n;

SELECT pg_temp.wait_for($$SELECT count(*) = 6 FROM rtcstats_dumps WHERE extracted_at IS NOT NULL$$, 60) AS all_good_extracted,
	   pg_temp.wait_for($$SELECT count(*) = 2 FROM rtcstats_dumps WHERE last_error IS NOT NULL$$, 30) AS bad_recorded;
SELECT rtcstats_user AS dump, extracted_at IS NOT NULL AS extracted, attempts, claimed_at IS NULL AS unclaimed,
	   claimed_by LIKE 'rtcstats worker _ (pid %)' AS by_worker,
	   regexp_replace(regexp_replace(last_error, 'line \d+: gzip stream is truncated \(\d+ bytes', 'line N: gzip stream is truncated (N bytes'),
					  '"[0-9a-f-]{36}"', '"<id>"') AS last_error
FROM rtcstats_dumps ORDER BY rtcstats_user;
-- the stored features are those of the dumps
SELECT d.rtcstats_user AS dump, count(DISTINCT c.id) AS connections, count(t.*) AS tracks
FROM rtcstats_dumps d JOIN features_connection c ON c.dump_id = d.id LEFT JOIN features_track t ON t.connection_id = c.id
GROUP BY 1 ORDER BY 1;
SELECT count(*) AS analyzed FROM rtcstats_analysis;

-- visible, idle on their latch, named
SELECT backend_type, application_name LIKE 'rtcstats worker _' AS named, wait_event_type, wait_event
FROM pg_stat_activity WHERE backend_type = 'rtcstats worker' AND datname = current_database()
ORDER BY application_name;

-- an insert wakes a worker at once (the naptime poll alone would take up to 60 s)
\set cmd 'gzip -n -c ' :corpus '/av-call.rtcstats > ' :storage_dir '/w-wake.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (blob_url, rtcstats_user) VALUES (current_setting('rtcstats.storage_url') || '/w-wake.gz', 'wake');
SELECT pg_temp.wait_for($$SELECT extracted_at IS NOT NULL FROM rtcstats_dumps WHERE rtcstats_user = 'wake'$$, 15) AS woken;

-- a terminated worker is restarted by the postmaster
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE backend_type = 'rtcstats worker' AND datname = current_database() AND application_name = 'rtcstats worker 1';
SELECT pg_temp.wait_for($$SELECT count(*) = 2 FROM pg_stat_activity
						 WHERE backend_type = 'rtcstats worker' AND datname = current_database()$$, 60) AS restarted;

-- a configuration reload keeps them working
ALTER SYSTEM SET rtcstats.naptime = '59s';
SELECT pg_reload_conf();
\set cmd 'cp ' :storage_dir '/w-wake.gz ' :storage_dir '/w-reload.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (blob_url, rtcstats_user) VALUES (current_setting('rtcstats.storage_url') || '/w-reload.gz', 'after reload');
SELECT pg_temp.wait_for($$SELECT extracted_at IS NOT NULL FROM rtcstats_dumps WHERE rtcstats_user = 'after reload'$$, 15) AS after_reload;
ALTER SYSTEM RESET rtcstats.naptime;
SELECT pg_reload_conf();

-- a worker terminated in the middle of a dump: its claim expires
-- (rtcstats.claim_timeout), the restarted worker claims the dump again and
-- it is stored once.  A 28 MB dump (av-call's events 300 times) takes a
-- second or two to extract.
ALTER SYSTEM SET rtcstats.claim_timeout = '2s';
SELECT pg_reload_conf();
\set cmd '{ head -2 ' :corpus '/av-call.rtcstats; for i in $(seq 300); do tail -n +3 ' :corpus '/av-call.rtcstats; done; } > ' :storage_dir '/w-big.rtcstats'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (blob_url, rtcstats_user) VALUES (current_setting('rtcstats.storage_url') || '/w-big.rtcstats', 'big');
SELECT pg_temp.wait_for($$SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'rtcstats worker'
						 AND query = 'rtcstats: extracting dump ' || (SELECT id FROM rtcstats_dumps WHERE rtcstats_user = 'big')$$, 30) AS extracting;
SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
WHERE backend_type = 'rtcstats worker' AND query LIKE 'rtcstats: extracting dump %';
SELECT pg_temp.wait_for($$SELECT extracted_at IS NOT NULL FROM rtcstats_dumps WHERE rtcstats_user = 'big'$$, 60) AS extracted_after_kill;
SELECT d.attempts, d.last_error, count(c.*) AS connections
FROM rtcstats_dumps d LEFT JOIN features_connection c ON c.dump_id = d.id
WHERE d.rtcstats_user = 'big' GROUP BY d.attempts, d.last_error;
ALTER SYSTEM RESET rtcstats.claim_timeout;
SELECT pg_reload_conf();

-- retention: deleting dumps queues their objects (rtcstats_deleted_objects);
-- an idle worker deletes those under rtcstats.storage_url and dequeues them
-- (a missing one counts as deleted), and refuses any other URL without
-- touching it: that one stays queued with its error, retried after a backoff.
\set cmd 'gzip -n -c ' :corpus '/av-call.rtcstats > ' :storage_dir '/p-stored.gz; echo canary > ' :storage_dir '/../rtcstats_purge_canary'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (blob_url, rtcstats_user, extracted_at) VALUES
	(current_setting('rtcstats.storage_url') || '/p-stored.gz', 'purge stored', now()),
	(current_setting('rtcstats.storage_url') || '/p-missing.gz', 'purge missing', now()),
	(current_setting('rtcstats.storage_url') || '/../rtcstats_purge_canary', 'purge outside', now()),
	('http://127.0.0.1:1/p-elsewhere.gz', 'purge elsewhere', now());
SELECT (pg_stat_file(:'storage_dir' || '/p-stored.gz', missing_ok => true)).size > 0 AS stored;
DELETE FROM rtcstats_dumps WHERE rtcstats_user = 'purge stored';
-- every other dump (and so every w-* object) goes too; a row a worker holds
-- at that moment is skipped, so until none is left
SELECT pg_temp.wait_for($$SELECT rtcstats_delete_dumps_older_than('0 s') >= 0 AND NOT EXISTS (SELECT FROM rtcstats_dumps)$$, 10) AS all_deleted;
-- a deletion wakes nobody; a reload does (the naptime poll would take 60 s)
SELECT pg_reload_conf();
SELECT pg_temp.wait_for($$SELECT count(*) = 2 AND count(last_error) = 2 FROM rtcstats_deleted_objects$$, 30) AS purged;
SELECT replace(blob_url, current_setting('rtcstats.storage_url'), '<storage>') AS blob_url, attempts,
	   claimed_at IS NULL AS unclaimed, next_attempt_at > now() AS backoff,
	   replace(last_error, current_setting('rtcstats.storage_url'), '<storage>') AS last_error
FROM rtcstats_deleted_objects ORDER BY 1;
SELECT (pg_stat_file(:'storage_dir' || '/p-stored.gz', missing_ok => true)).size IS NULL AS stored_gone,
	   (pg_stat_file(:'storage_dir' || '/../rtcstats_purge_canary', missing_ok => true)).size > 0 AS outside_kept,
	   (SELECT count(*) FROM pg_ls_dir(:'storage_dir') AS f WHERE f LIKE 'w-%' OR f LIKE 'p-%') AS objects_left;
DELETE FROM rtcstats_deleted_objects;
\set cmd 'rm -f ' :storage_dir '/../rtcstats_purge_canary'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';

\set cmd 'rm -f ' :storage_dir '/w-*'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\c contrib_regression
-- the workers do not hold the database: DROP DATABASE ... WITH (FORCE) ends them
DROP DATABASE rtcstats_workers_test WITH (FORCE);
