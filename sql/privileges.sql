-- Least privilege (extension/sql/90-privileges.sql; docs/operations.md,
-- "Roles and privileges"): the roles the extension creates, what PUBLIC
-- keeps, and a member of each role proving what it can and cannot do.
CREATE DATABASE rtcstats_privileges_test;
\c rtcstats_privileges_test
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
\set err_fn :abs_srcdir '/test/regress/err.psql'
\i :err_fn
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset
SELECT pg_read_binary_file(:'corpus' || '/av-call.rtcstats') AS dump_bytes \gset
-- what an external worker extracts from it
SELECT rtcstats_features(:'dump_bytes'::bytea) AS features_json,
	   rtcstats_analyze(:'dump_bytes'::bytea) AS analysis_json \gset

-- three NOLOGIN group roles, no superuser, no attribute
SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolinherit
FROM pg_roles WHERE rolname IN ('rtcstats_ingest', 'rtcstats_worker', 'rtcstats_reader') ORDER BY 1;
-- the worker API and the purge queue run as the owner; nothing else does
SELECT p.oid::regprocedure AS security_definer
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rtcstats'
WHERE p.prosecdef ORDER BY p.oid::regprocedure::text COLLATE "C";

-- a LOGIN member of each, and a role with nothing granted (PUBLIC)
CREATE ROLE regress_proxy LOGIN IN ROLE rtcstats_ingest;
CREATE ROLE regress_worker LOGIN IN ROLE rtcstats_worker;
CREATE ROLE regress_reader LOGIN IN ROLE rtcstats_reader;
CREATE ROLE regress_nobody LOGIN;

-- what each may do, table by table and column by column
SELECT r.role, c.relname,
	   array_to_string(ARRAY(SELECT p FROM unnest('{SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}'::text[]) AS p
							 WHERE has_table_privilege(r.role, c.oid, p)), ',') AS on_table,
	   array_to_string(ARRAY(SELECT p || '(' || (SELECT string_agg(a.attname, ',' ORDER BY a.attnum)
											   FROM pg_attribute a
											   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
												 AND has_column_privilege(r.role, c.oid, a.attnum, p)) || ')'
							 FROM unnest('{SELECT,INSERT,UPDATE}'::text[]) AS p
							 WHERE NOT has_table_privilege(r.role, c.oid, p)
							   AND has_any_column_privilege(r.role, c.oid, p)), ' ') AS on_columns
FROM (VALUES ('regress_proxy'), ('regress_worker'), ('regress_reader'), ('regress_nobody')) AS r(role)
CROSS JOIN pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S')
  AND (has_any_column_privilege(r.role, c.oid, 'SELECT,INSERT,UPDATE,REFERENCES')
	   OR has_table_privilege(r.role, c.oid, 'DELETE,TRUNCATE,TRIGGER'))
ORDER BY 1, 2;
-- which functions each may execute (regress_nobody: what PUBLIC has)
SELECT r.role, string_agg(p.oid::regprocedure::text, ' ' ORDER BY p.oid::regprocedure::text COLLATE "C") AS may_execute
FROM (VALUES ('regress_proxy'), ('regress_worker'), ('regress_reader'), ('regress_nobody')) AS r(role)
CROSS JOIN pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rtcstats'
WHERE has_function_privilege(r.role, p.oid, 'EXECUTE')
GROUP BY 1 ORDER BY 1;

-- an object in storage for the dumps below
\set cmd 'gzip -n -c ' :corpus '/av-call.rtcstats > ' :storage_dir '/pv-1.gz; cp ' :storage_dir '/pv-1.gz ' :storage_dir '/pv-3.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
SELECT current_setting('rtcstats.storage_url') AS storage_url \gset

-- ingest: the proxy's INSERT (proxy/uploader.c), twice (ON CONFLICT reads id)
SET ROLE regress_proxy;
\set proxy_insert 'INSERT INTO rtcstats_dumps (id, session_start, session_end, blob_url, metadata, client_id, rtcstats_user, rtcstats_conference, rtcstats_session, host_identifier, size_bytes) VALUES ($1::uuid, to_timestamp($2::float8 / 1000), to_timestamp($3::float8 / 1000), $4, $5::jsonb, $6, $7, $8, $9, $10, $11::bigint) ON CONFLICT (id) DO NOTHING'
PREPARE proxy_insert(text, text, text, text, text, text, text, text, text, text, text) AS :proxy_insert;
EXECUTE proxy_insert('f0000000-0000-4000-8000-000000000001', '1700000000000', '1700000060000',
	:'storage_url' || '/pv-1.gz', '{"url": "/room"}', 'c1', 'alice', 'room', 's1', 'proxy-1', '1000');
EXECUTE proxy_insert('f0000000-0000-4000-8000-000000000001', '1700000000000', '1700000060000',
	:'storage_url' || '/pv-1.gz', '{"url": "/room"}', 'c1', 'alice', 'room', 's1', 'proxy-1', '1000');
EXECUTE proxy_insert('f0000000-0000-4000-8000-000000000002', '1700000000000', '1700000060000',
	:'storage_url' || '/pv-2.gz', '{"url": "/room"}', 'c2', 'bob', 'room', 's2', 'proxy-1', '1000');
DEALLOCATE proxy_insert;
-- and nothing else: no bookkeeping column, no reading, no function
SELECT pg_temp.err($$INSERT INTO rtcstats_dumps (id, blob_url, extracted_at) VALUES (gen_random_uuid(), 'x', now())$$) AS set_extracted_at,
	   pg_temp.err($$INSERT INTO rtcstats_dumps (id, blob_url, attempts) VALUES (gen_random_uuid(), 'x', 100)$$) AS set_attempts,
	   pg_temp.err($$INSERT INTO rtcstats_dumps (id, blob_url, created_at) VALUES (gen_random_uuid(), 'x', now())$$) AS set_created_at;
SELECT pg_temp.err('SELECT blob_url FROM rtcstats_dumps') AS read_dumps,
	   pg_temp.err('SELECT features FROM features_metadata') AS read_features,
	   pg_temp.err('SELECT * FROM rtcstats_analysis') AS read_analysis;
SELECT pg_temp.err('UPDATE rtcstats_dumps SET extracted_at = now()') AS update_dumps,
	   pg_temp.err('DELETE FROM rtcstats_dumps') AS delete_dumps;
SELECT pg_temp.err($$SELECT rtcstats_claim_dump('x')$$) AS claim,
	   pg_temp.err($$SELECT rtcstats_fetch_dump('f0000000-0000-4000-8000-000000000001')$$) AS fetch,
	   pg_temp.err($$SELECT rtcstats_report('f0000000-0000-4000-8000-000000000001')$$) AS report,
	   pg_temp.err($$SELECT rtcstats_features('\x00'::bytea)$$) AS features_of_bytes;
RESET ROLE;
SELECT id, blob_url LIKE '%/pv-_.gz' AS blob_url, rtcstats_user, size_bytes, attempts, extracted_at
FROM rtcstats_dumps ORDER BY id;

-- worker: claim, fetch, store, fail; purge queue
SET ROLE regress_worker;
SELECT dump_id, blob_url LIKE '%/pv-1.gz' AS blob_url FROM rtcstats_claim_dump('regress worker');
SELECT length(rtcstats_fetch_dump('f0000000-0000-4000-8000-000000000001')) > 0 AS fetched;
SELECT rtcstats_store_features('f0000000-0000-4000-8000-000000000001',
	:'features_json', :'analysis_json') AS stored;
SELECT dump_id FROM rtcstats_claim_dump('regress worker');
SELECT rtcstats_record_failure('f0000000-0000-4000-8000-000000000002', 'no object') AS failed;
SELECT pg_temp.err($$SELECT rtcstats_features('\x00'::bytea)$$) AS features_of_bytes,
	   pg_temp.err('SELECT metadata FROM rtcstats_dumps') AS read_metadata,
	   pg_temp.err('SELECT features FROM features_metadata') AS read_features,
	   pg_temp.err('SELECT * FROM rtcstats_deleted_objects') AS read_queue;
SELECT pg_temp.err($$INSERT INTO rtcstats_dumps (id, blob_url) VALUES (gen_random_uuid(), 'x')$$) AS insert_dump,
	   pg_temp.err('UPDATE rtcstats_dumps SET attempts = 0') AS update_dumps,
	   pg_temp.err('DELETE FROM rtcstats_dumps') AS delete_dumps,
	   pg_temp.err('DELETE FROM features_metadata') AS delete_features;
SELECT pg_temp.err($$SELECT rtcstats_retry_dump('f0000000-0000-4000-8000-000000000002')$$) AS retry,
	   pg_temp.err($$SELECT rtcstats_delete_dumps_older_than('0 s')$$) AS delete_old,
	   pg_temp.err('CALL rtcstats_extract_pending(1)') AS extract_pending,
	   pg_temp.err($$SELECT rtcstats_extract_features('f0000000-0000-4000-8000-000000000002')$$) AS extract,
	   pg_temp.err($$SELECT _rtcstats_insert_rows('features_client', '[]')$$) AS internal,
	   pg_temp.err($$SELECT rtcstats_report('f0000000-0000-4000-8000-000000000001')$$) AS report;
RESET ROLE;
SELECT id, attempts, extracted_at IS NOT NULL AS extracted, last_error,
	   (SELECT count(*) FROM features_connection c WHERE c.dump_id = d.id) AS connections
FROM rtcstats_dumps d ORDER BY id;
DELETE FROM rtcstats_dumps WHERE id = 'f0000000-0000-4000-8000-000000000002';
SET ROLE regress_worker;
SELECT blob_url LIKE '%/pv-2.gz' AS claimed_object FROM rtcstats_claim_deleted_objects(10);
SELECT rtcstats_object_deleted(:'storage_url' || '/pv-2.gz') AS dequeued;
RESET ROLE;
SELECT count(*) AS queued FROM rtcstats_deleted_objects;

-- reader: rows and reports, functions over a dump at hand; nothing written
SET ROLE regress_reader;
SELECT (SELECT count(*) FROM rtcstats_dumps) AS dumps, (SELECT count(*) FROM features_metadata) AS metadata,
	   (SELECT count(*) FROM features_client) AS client, (SELECT count(*) FROM features_connection) AS connections,
	   (SELECT count(*) FROM features_track) AS tracks, (SELECT count(*) FROM rtcstats_analysis) AS analysis,
	   (SELECT count(*) FROM rtcstats_observations) AS observations;
SELECT rtcstats_report('f0000000-0000-4000-8000-000000000001') ? 'features' AS report,
	   rtcstats_report_html('f0000000-0000-4000-8000-000000000001') IS NOT NULL AS report_html,
	   rtcstats_summary('f0000000-0000-4000-8000-000000000001') IS NOT NULL AS summary,
	   (SELECT count(*) FROM rtcstats_observations('f0000000-0000-4000-8000-000000000001')) AS observations;
SELECT rtcstats_features(:'dump_bytes'::bytea) ? 'peerConnections' AS features,
	   rtcstats_analyze(:'dump_bytes'::bytea) ? 'scores' AS analysis,
	   (SELECT count(*) FROM rtcstats_dump_events(:'dump_bytes'::bytea)) AS events;
SELECT pg_temp.err($$INSERT INTO rtcstats_dumps (id, blob_url) VALUES (gen_random_uuid(), 'x')$$) AS insert_dump,
	   pg_temp.err('UPDATE features_metadata SET url = NULL') AS update_features,
	   pg_temp.err('DELETE FROM rtcstats_dumps') AS delete_dumps,
	   pg_temp.err('SELECT * FROM rtcstats_deleted_objects') AS read_queue;
SELECT pg_temp.err($$SELECT rtcstats_claim_dump('x')$$) AS claim,
	   pg_temp.err($$SELECT rtcstats_store_features('f0000000-0000-4000-8000-000000000001', '{}')$$) AS store,
	   pg_temp.err($$SELECT rtcstats_fetch_dump('f0000000-0000-4000-8000-000000000001')$$) AS fetch,
	   pg_temp.err($$SELECT count(*) FROM rtcstats_dump_events('f0000000-0000-4000-8000-000000000001'::uuid)$$) AS events_of_stored,
	   pg_temp.err($$SELECT rtcstats_delete_dumps_older_than('0 s')$$) AS delete_old,
	   pg_temp.err('SELECT * FROM rtcstats_claim_deleted_objects(1)') AS purge;
RESET ROLE;

-- PUBLIC: the text anonymizers, and nothing that reads, inflates or writes
SET ROLE regress_nobody;
SELECT rtcstats_obfuscate_address('192.0.2.1') AS address;
SELECT pg_temp.err($$SELECT rtcstats_features('\x00'::bytea)$$) AS features_of_bytes,
	   pg_temp.err($$SELECT rtcstats_anonymize_dump('\x00'::bytea)$$) AS anonymize_dump,
	   pg_temp.err($$SELECT _rtcstats_setting('rtcstats.storage_url', '')$$) AS internal,
	   pg_temp.err('SELECT count(*) FROM rtcstats_dumps') AS read_dumps,
	   pg_temp.err($$SELECT rtcstats_summary('f0000000-0000-4000-8000-000000000001')$$) AS summary,
	   pg_temp.err($$SELECT rtcstats_claim_dump('x')$$) AS claim;
RESET ROLE;

-- extraction in the server by a role of one's own (docs/operations.md): a
-- member of rtcstats_worker granted the two functions
CREATE ROLE regress_extractor IN ROLE rtcstats_worker;
GRANT EXECUTE ON FUNCTION rtcstats_extract_features(uuid) TO regress_extractor;
GRANT EXECUTE ON PROCEDURE rtcstats_extract_pending(integer, integer) TO regress_extractor;
INSERT INTO rtcstats_dumps (id, blob_url) VALUES ('f0000000-0000-4000-8000-000000000003', :'storage_url' || '/pv-3.gz');
SET ROLE regress_extractor;
SELECT rtcstats_extract_features('f0000000-0000-4000-8000-000000000001') ? 'peerConnections' AS extracted;
CALL rtcstats_extract_pending(10);
RESET ROLE;
REVOKE ALL ON FUNCTION rtcstats_extract_features(uuid) FROM regress_extractor;
REVOKE ALL ON PROCEDURE rtcstats_extract_pending(integer, integer) FROM regress_extractor;
DROP ROLE regress_extractor;

-- the roles belong to the cluster: DROP EXTENSION leaves them, CREATE
-- EXTENSION reuses them and grants again
DROP EXTENSION rtcstats;
SELECT count(*) AS roles_left FROM pg_roles WHERE rolname IN ('rtcstats_ingest', 'rtcstats_worker', 'rtcstats_reader');
CREATE EXTENSION rtcstats;
SELECT has_column_privilege('regress_proxy', 'rtcstats_dumps', 'id', 'SELECT') AS ingest_again,
	   has_function_privilege('regress_worker', 'rtcstats_claim_dump(text)', 'EXECUTE') AS worker_again,
	   has_table_privilege('regress_reader', 'features_metadata', 'SELECT') AS reader_again;

\c contrib_regression
DROP DATABASE rtcstats_privileges_test;
DROP ROLE regress_proxy, regress_worker, regress_reader, regress_nobody;
