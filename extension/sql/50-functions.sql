/*
 * 50-functions.sql: the C functions (the .c files of extension/src); docs/sql.md has a
 * section per function.  Functions that read the configured storage or write the
 * feature tables are revoked from PUBLIC (GRANT them to the roles that
 * should run them): the server process reads the objects, so this is access
 * to every stored dump.  90-privileges.sql revokes the functions over caller
 * bytes too and grants them to rtcstats_reader.
 */

-- features of a dump at hand: the CLI's JSON (rtcstats-features)
CREATE FUNCTION @extschema@.rtcstats_features(dump bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'rtcstats_features'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- analysis of a dump at hand: {"timeseries","observations","scores","summary"}
CREATE FUNCTION @extschema@.rtcstats_analyze(dump bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'rtcstats_analyze'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- the decoded events of a dump, one row each, in dump order
CREATE FUNCTION @extschema@.rtcstats_dump_events(dump bytea,
	OUT pc text, OUT "timestamp" timestamptz, OUT method text, OUT value jsonb, OUT extra jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'rtcstats_dump_events'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE ROWS 1000;

CREATE FUNCTION @extschema@.rtcstats_dump_events(dump_id uuid,
	OUT pc text, OUT "timestamp" timestamptz, OUT method text, OUT value jsonb, OUT extra jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'rtcstats_dump_events_by_id'
LANGUAGE C STRICT VOLATILE ROWS 1000;

-- the stored object of a dump, as stored (plain or gzip)
CREATE FUNCTION @extschema@.rtcstats_fetch_dump(dump_id uuid)
RETURNS bytea
AS 'MODULE_PATHNAME', 'rtcstats_fetch_dump'
LANGUAGE C STRICT VOLATILE;

-- extract one stored dump now (idempotent); returns its features
CREATE FUNCTION @extschema@.rtcstats_extract_features(dump_id uuid)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'rtcstats_extract_features'
LANGUAGE C STRICT VOLATILE;

-- claim and extract up to max_dumps pending dumps (for pg_cron), committing
-- per dump: CALL rtcstats_extract_pending(100); "extracted" says how many
CREATE PROCEDURE @extschema@.rtcstats_extract_pending(max_dumps integer DEFAULT 100,
													  INOUT extracted integer DEFAULT NULL)
AS 'MODULE_PATHNAME', 'rtcstats_extract_pending'
LANGUAGE C;

-- anonymization (section 7 of the dump format)
CREATE FUNCTION @extschema@.rtcstats_obfuscate_address(address text)
RETURNS text
AS 'MODULE_PATHNAME', 'rtcstats_sql_obfuscate_address'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rtcstats_anonymize_candidate(candidate text)
RETURNS text
AS 'MODULE_PATHNAME', 'rtcstats_sql_anonymize_candidate'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rtcstats_anonymize_sdp(sdp text)
RETURNS text
AS 'MODULE_PATHNAME', 'rtcstats_sql_anonymize_sdp'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rtcstats_anonymize_dump(dump bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'rtcstats_sql_anonymize_dump'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

REVOKE ALL ON FUNCTION @extschema@.rtcstats_dump_events(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.rtcstats_fetch_dump(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.rtcstats_extract_features(uuid) FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.rtcstats_extract_pending(integer, integer) FROM PUBLIC;
