-- rtcstats_extract_pending under pg_cron, as docs/operations.md schedules
-- it.  pg_cron is optional: when it is not preloaded (expected/cron_1.out)
-- the same SQL runs directly.  The dumps live in a database of their own;
-- pg_cron (cron.database_name = contrib_regression) runs the job there.
CREATE DATABASE rtcstats_cron_test;
\c rtcstats_cron_test
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset
SELECT current_setting('shared_preload_libraries') LIKE '%pg_cron%' AS have_pg_cron \gset
\set cmd 'for n in av-call audio-only; do gzip -n -c ' :corpus '/$n.rtcstats > ' :storage_dir '/cron-$n.gz; done; echo garbage > ' :storage_dir '/cron-garbage.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (blob_url, rtcstats_user)
SELECT current_setting('rtcstats.storage_url') || '/cron-' || n || '.gz', n
FROM unnest(ARRAY['av-call', 'audio-only', 'garbage']) AS n;

\if :have_pg_cron
\c contrib_regression
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
RESET client_min_messages;
-- every minute, at most 100 dumps a run
SELECT cron.schedule_in_database('rtcstats-extract', '* * * * *',
								 'CALL rtcstats_extract_pending(100)', 'rtcstats_cron_test') > 0 AS scheduled;
SELECT jobname, schedule, command, database, active FROM cron.job ORDER BY jobid;
CREATE FUNCTION pg_temp.wait_for(q text, timeout_s integer) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	ok boolean;
	deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
BEGIN
	LOOP
		EXECUTE q INTO ok;
		IF ok OR clock_timestamp() > deadline THEN
			RETURN ok;
		END IF;
		PERFORM pg_sleep(0.2);
	END LOOP;
END $$;
-- the first run starts at the next full minute
SELECT pg_temp.wait_for($$SELECT count(*) > 0 FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')$$, 75) AS ran;
SELECT status, return_message FROM cron.job_run_details ORDER BY runid LIMIT 1;
SELECT cron.unschedule('rtcstats-extract');
\c rtcstats_cron_test
\else
-- what the job would run
SET client_min_messages = error;
CALL rtcstats_extract_pending(100);
RESET client_min_messages;
\endif

SELECT rtcstats_user AS dump, extracted_at IS NOT NULL AS extracted, attempts, last_error IS NOT NULL AS failed
FROM rtcstats_dumps ORDER BY rtcstats_user;

\set cmd 'rm -f ' :storage_dir '/cron-*'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\c contrib_regression
DROP DATABASE rtcstats_cron_test;
