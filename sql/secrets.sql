-- rtcstats.s3_secret_access_key is never stored where other roles can read
-- it, and no role but a superuser can obtain it (docs/operations.md,
-- "Secrets").  ALTER DATABASE / ALTER ROLE ... SET would keep it in
-- pg_db_role_setting, a function's SET clause in pg_proc.proconfig: both
-- readable by every role, so the setting refuses those sources.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set err_fn :abs_srcdir '/test/regress/err.psql'
\i :err_fn
CREATE ROLE regress_secret_plain LOGIN;
CREATE ROLE regress_secret_monitor LOGIN IN ROLE pg_read_all_settings;

SELECT pg_temp.err($$ALTER DATABASE contrib_regression SET rtcstats.s3_secret_access_key = 'sekrit-db'$$) AS per_database,
	   pg_temp.err($$ALTER ROLE regress_secret_plain SET rtcstats.s3_secret_access_key = 'sekrit-role'$$) AS per_role;
SELECT pg_temp.err($$ALTER ROLE ALL SET rtcstats.s3_secret_access_key = 'sekrit-all'$$) AS all_roles,
	   pg_temp.err($$ALTER ROLE regress_secret_plain IN DATABASE contrib_regression SET rtcstats.s3_secret_access_key = 'sekrit-both'$$) AS role_in_database;
SELECT pg_temp.err($$CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql SET rtcstats.s3_secret_access_key = 'sekrit-fn' AS 'SELECT 1'$$) AS per_function;
-- the hint and detail say why and where instead
\set VERBOSITY default
ALTER DATABASE contrib_regression SET rtcstats.s3_secret_access_key = 'sekrit-db';
\set VERBOSITY terse
-- clearing is allowed; the other settings are not concerned
ALTER ROLE regress_secret_plain SET rtcstats.s3_secret_access_key = '';
ALTER ROLE regress_secret_plain RESET rtcstats.s3_secret_access_key;
ALTER ROLE regress_secret_plain SET rtcstats.s3_access_key_id = 'AKIDEXAMPLE';
ALTER ROLE regress_secret_plain RESET rtcstats.s3_access_key_id;
-- the files only the server reads are the place (ALTER SYSTEM writes postgresql.auto.conf)
ALTER SYSTEM SET rtcstats.s3_secret_access_key = 'sekrit-system';
ALTER SYSTEM RESET rtcstats.s3_secret_access_key;

-- a value in effect (a superuser's SET, as postgresql.conf would give it)
SET rtcstats.s3_secret_access_key = 'sekrit-session';
SHOW rtcstats.s3_secret_access_key;
-- an ordinary role: refused by every way to read a setting
SET ROLE regress_secret_plain;
SELECT pg_temp.err('SHOW rtcstats.s3_secret_access_key') AS show,
	   pg_temp.err($$SELECT current_setting('rtcstats.s3_secret_access_key')$$) AS current_setting;
SELECT pg_temp.err($$SELECT current_setting('rtcstats.s3_secret_access_key', true)$$) AS current_setting_missing_ok,
	   pg_temp.err('SELECT * FROM pg_file_settings') AS file_settings;
SELECT (SELECT count(*) FROM pg_settings WHERE name = 'rtcstats.s3_secret_access_key' OR setting LIKE '%sekrit%'
			OR reset_val LIKE '%sekrit%' OR boot_val LIKE '%sekrit%') AS in_pg_settings,
	   (SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ' ') LIKE '%sekrit%') AS in_pg_db_role_setting,
	   (SELECT count(*) FROM pg_proc WHERE array_to_string(proconfig, ' ') LIKE '%sekrit%') AS in_pg_proc;
SELECT pg_temp.err($$SELECT _rtcstats_setting('rtcstats.s3_secret_access_key', '')$$) AS extension_setting_reader;
RESET ROLE;
-- a member of pg_read_all_settings (monitoring) sees a mask
SET ROLE regress_secret_monitor;
SHOW rtcstats.s3_secret_access_key;
SELECT current_setting('rtcstats.s3_secret_access_key') AS current_setting,
	   (SELECT count(*) FROM pg_settings WHERE name = 'rtcstats.s3_secret_access_key' OR setting LIKE '%sekrit%'
			OR reset_val LIKE '%sekrit%' OR boot_val LIKE '%sekrit%') AS in_pg_settings,
	   pg_temp.err('SELECT * FROM pg_file_settings') AS file_settings;
RESET ROLE;
-- the superuser still reads it
SELECT current_setting('rtcstats.s3_secret_access_key') AS superuser_reads;
RESET rtcstats.s3_secret_access_key;
SHOW rtcstats.s3_secret_access_key;
-- a value stored in pg_db_role_setting before this check existed (or while
-- the library was not loaded) is refused at every connection, and not used
CREATE DATABASE rtcstats_secret_test;
INSERT INTO pg_db_role_setting
VALUES ((SELECT oid FROM pg_database WHERE datname = 'rtcstats_secret_test'), 0, '{rtcstats.s3_secret_access_key=sekrit-old}');
\c rtcstats_secret_test
SHOW rtcstats.s3_secret_access_key;
\c contrib_regression
DROP DATABASE rtcstats_secret_test;
DROP ROLE regress_secret_plain, regress_secret_monitor;
