-- Name resolution pinned (CVE-2018-1058 class; 90-privileges.sql): a role
-- that may create objects in public plants operators, an aggregate and
-- functions that would win resolution (test/regress/plant.psql), each
-- counting its calls in public.planted_calls.  A superuser then runs every
-- function of the extension, with the default search_path and with one that
-- puts public first (as ALTER DATABASE ... SET search_path by a database
-- owner would); the background workers extract and purge in a database
-- whose search_path puts public first.  No planted object ever runs.
CREATE DATABASE rtcstats_search_path_test;
\c rtcstats_search_path_test
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
\set plant :abs_srcdir '/test/regress/plant.psql'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset

-- every function resolves names in pg_catalog only, but those written
-- qualified throughout: the inlined SQL helpers, the procedure (it
-- commits), and the C functions that resolve no name
SELECT p.oid::regprocedure AS not_pinned, l.lanname, p.prokind
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rtcstats'
WHERE p.proconfig IS NULL OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
ORDER BY l.lanname, p.oid::regprocedure::text COLLATE "C";

CREATE ROLE regress_planter;
GRANT CREATE ON SCHEMA public TO regress_planter;
SET ROLE regress_planter;
\i :plant
RESET ROLE;

-- the plants are live: with public first, a uuid comparison calls the planted =
SET search_path = public, pg_catalog;
SELECT 'e1000000-0000-4000-8000-000000000001'::uuid = 'e1000000-0000-4000-8000-000000000001'::uuid AS planted_eq;
RESET search_path;
SELECT last_value AS calls_to_planted FROM public.planted_calls;
SELECT pg_catalog.setval('public.planted_calls', 1, false) IS NOT NULL AS counter_reset;

-- a dump to work on (stored as the proxy stores it)
\set cmd 'gzip -n -c ' :corpus '/av-call.rtcstats > ' :storage_dir '/sp-av-call.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\set id 'e1000000-0000-4000-8000-000000000001'
\set id2 'e1000000-0000-4000-8000-000000000002'
SELECT pg_read_binary_file(:'corpus' || '/av-call.rtcstats') AS dump \gset
SELECT current_setting('rtcstats.storage_url') || '/sp-av-call.gz' AS url \gset

-- Every function, twice: with the default search_path ("$user", public:
-- the overloads of the extension's own functions match literals better),
-- then with public before pg_catalog.  The statements here use no operator
-- of their own (IS NOT NULL, count(*)): only the extension resolves names.
\set run_all :abs_srcdir '/test/regress/run_all.psql'
\i :run_all
SELECT is_called AS planted_ran_default_path FROM public.planted_calls;
SET search_path = public, pg_catalog;
\i :run_all
RESET search_path;
SELECT is_called AS planted_ran_public_first FROM public.planted_calls;

-- The background workers, in a database whose owner made public come first.
-- Workers that connected before the ALTER are ended: the postmaster
-- restarts them, and a new connection reads the database's settings.
CREATE DATABASE rtcstats_workers_test;
ALTER DATABASE rtcstats_workers_test SET search_path = public, pg_catalog;
\c rtcstats_workers_test
SET search_path = public;
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
GRANT CREATE ON SCHEMA public TO regress_planter;
SET ROLE regress_planter;
SET search_path = pg_catalog, public;
\i :plant
RESET ROLE;
SET search_path = pg_catalog, public;
\set wait_fn :abs_srcdir '/test/regress/wait_for.psql'
\i :wait_fn
SELECT pg_temp.wait_for($$SELECT count(*) = 2 FROM pg_stat_activity
						 WHERE backend_type = 'rtcstats worker' AND datname = current_database()$$, 60) AS connected;
SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity
WHERE backend_type = 'rtcstats worker' AND datname = current_database();
SELECT pg_temp.wait_for($$SELECT count(*) = 0 FROM pg_stat_activity
						 WHERE backend_type = 'rtcstats worker' AND datname = current_database()$$, 30) AS gone;
SELECT pg_temp.wait_for($$SELECT count(*) = 2 FROM pg_stat_activity
						 WHERE backend_type = 'rtcstats worker' AND datname = current_database()$$, 60) AS reconnected;
\set cmd 'gzip -n -c ' :corpus '/multi-pc.rtcstats > ' :storage_dir '/sp-w-multi-pc.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (id, blob_url) VALUES
	(:'id', :'url'),
	(:'id2', current_setting('rtcstats.storage_url') || '/sp-w-multi-pc.gz');
SELECT pg_temp.wait_for($$SELECT count(*) = 2 FROM rtcstats_dumps WHERE extracted_at IS NOT NULL$$, 60) AS extracted_by_workers;
SELECT count(*) AS connections FROM features_connection;
DELETE FROM rtcstats_dumps;
SELECT pg_reload_conf();	-- a deletion wakes nobody; a reload does
SELECT pg_temp.wait_for($$SELECT NOT EXISTS (SELECT FROM rtcstats_deleted_objects)$$, 30) AS purged_by_workers;
SELECT is_called AS planted_ran_in_workers FROM public.planted_calls;

\c rtcstats_search_path_test
DROP DATABASE rtcstats_workers_test WITH (FORCE);
\c contrib_regression
DROP DATABASE rtcstats_search_path_test;
DROP ROLE regress_planter;
