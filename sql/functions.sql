-- rtcstats_features, rtcstats_analyze and rtcstats_dump_events on the
-- corpus dumps, plain and gzip; bad input raises with an errcode and a
-- message naming the line and the reason.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
\set expected :abs_srcdir '/test/corpus/expected'
\set av :corpus '/av-call.rtcstats'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset
-- a gzip copy of av-call, made as the proxy stores dumps
\set gz :storage_dir '/functions-av-call.rtcstats.gz'
\set gzcmd 'gzip -n -c ' :av ' > ' :gz
COPY (SELECT 1 WHERE false) TO PROGRAM :'gzcmd';

\set err_fn :abs_srcdir '/test/regress/err.psql'
\i :err_fn

-- every corpus dump gives exactly the corpus' expected features (the CLI's JSON)
SELECT name,
	   rtcstats_features(pg_read_binary_file(:'corpus' || '/' || name)) =
	   pg_read_file(:'expected' || '/' || regexp_replace(name, '\.(rtcstats|json\.gz)$', '') || '.features.json')::jsonb AS same
FROM pg_ls_dir(:'corpus') AS name
ORDER BY name;

-- gzip and plain bytes give the same features
SELECT octet_length(pg_read_binary_file(:'gz')) < octet_length(pg_read_binary_file(:'av')) AS smaller,
	   substr(pg_read_binary_file(:'gz'), 1, 2) = '\x1f8b'::bytea AS gzip_magic,
	   rtcstats_features(pg_read_binary_file(:'gz')) = rtcstats_features(pg_read_binary_file(:'av')) AS same;

-- a few features by name
SELECT f->>'duration' AS duration, f->>'calledGetUserMedia' AS gum,
	   f->'peerConnections'->0->>'iceConnectionTime' AS ice_ms,
	   jsonb_array_length(f->'peerConnections') AS pcs,
	   jsonb_array_length(f->'peerConnections'->0->'tracks') AS tracks_pc0
FROM rtcstats_features(pg_read_binary_file(:'av')) AS f;

-- NULL in, NULL out (STRICT)
SELECT rtcstats_features(NULL) IS NULL AS null_features, count(*) AS null_events
FROM rtcstats_dump_events(NULL::bytea);

-- events: one row per decoded event, in dump order
SELECT count(*) AS events, count(DISTINCT pc) AS pcs, count(*) FILTER (WHERE pc IS NULL) AS client_events,
	   count(*) FILTER (WHERE method = 'getStats') AS getstats,
	   bool_and("timestamp" IS NOT NULL) AS all_timestamps
FROM rtcstats_dump_events(pg_read_binary_file(:'av'));
SELECT (SELECT count(*) FROM rtcstats_dump_events(pg_read_binary_file(:'gz'))) =
	   (SELECT count(*) FROM rtcstats_dump_events(pg_read_binary_file(:'av'))) AS gzip_same_count;
SELECT row_number() OVER () AS n, pc, method, jsonb_typeof(value) AS value_type, extra
FROM rtcstats_dump_events(pg_read_binary_file(:'av'))
LIMIT 8;
-- getStats values are full reports (deltas applied), keyed by stats id
SELECT method, value ? 'timestamp' AS has_ts, jsonb_typeof(value) AS t,
	   (SELECT count(*) FROM jsonb_each(value) e WHERE e.value ? 'type') > 0 AS reports
FROM rtcstats_dump_events(pg_read_binary_file(:'av'))
WHERE method = 'getStats' AND pc = 'PC_0'
LIMIT 1;
-- timestamps are increasing and within the call
SELECT bool_and(d >= 0) AS monotonic FROM (
	SELECT extract(epoch FROM "timestamp" - lag("timestamp") OVER ()) AS d
	FROM rtcstats_dump_events(pg_read_binary_file(:'av'))) s;
-- webrtc-internals documents (gzip) too
SELECT count(*) > 0 AS internals_events
FROM rtcstats_dump_events(pg_read_binary_file(:'corpus' || '/internals-gumonly.json.gz'));

-- analysis of the same pass
SELECT ARRAY['observations', 'scores', 'summary', 'timeseries'] <@ array_agg(k) AS analysis_keys
FROM jsonb_object_keys(rtcstats_analyze(pg_read_binary_file(:'av'))) AS k;
SELECT rtcstats_analyze(pg_read_binary_file(:'gz')) = rtcstats_analyze(pg_read_binary_file(:'av')) AS gzip_same,
	   jsonb_typeof(rtcstats_analyze(pg_read_binary_file(:'av'))->'summary') AS summary_type;
SELECT o->>'type' AS type, o->>'severity' AS severity
FROM jsonb_array_elements(rtcstats_analyze(pg_read_binary_file(:'corpus' || '/ice-failure.rtcstats'))->'observations') o
WHERE o->>'type' LIKE 'ice%'
ORDER BY 1;
-- healthy call: no warning or error
SELECT count(*) AS problems
FROM jsonb_array_elements(rtcstats_analyze(pg_read_binary_file(:'av'))->'observations') o
WHERE o->>'severity' IN ('warning', 'error');

-- values as jsonb: numbers exactly as written, a number JSON cannot hold
-- (1e400 is infinite as a double) becomes null, non-ASCII text survives
SELECT value FROM rtcstats_dump_events(convert_to(E'RTCStatsDump\n{}\n' ||
	E'["create",null,{"a":"h\u00e9llo \\u00e9","n":1e400,"f":0.1,"g":1.5e-7,"i":9223372036854775807,"u":18446744073709551615,"t":true,"z":null},1]\n', 'UTF8'));

-- bad input
SELECT pg_temp.err($$SELECT rtcstats_features('not a dump'::bytea)$$);
SELECT pg_temp.err($$SELECT rtcstats_features(''::bytea)$$);
SELECT pg_temp.err($$SELECT rtcstats_features(convert_to(E'RTCStatsDump\n{"path":', 'UTF8'))$$);
SELECT pg_temp.err($$SELECT rtcstats_analyze(convert_to(E'RTCStatsDump\n', 'UTF8') || '\xff00'::bytea)$$);
-- a malformed event line is skipped and reported, the rest is read
SELECT rtcstats_features(convert_to(E'RTCStatsDump\n{"path":"/x"}\n[1,2', 'UTF8')) AS cut_line;
SELECT o->'evidence' AS malformed_lines, o->>'explanation' AS explanation
FROM jsonb_array_elements(rtcstats_analyze(convert_to(
	E'RTCStatsDump\n{"path":"/x"}\n["create",null,{},1]\n{"a":1}\n[0]\n["a", 1]\nnot json\n', 'UTF8'))->'observations') o
WHERE o->>'type' = 'malformed_lines';
SELECT count(*) AS events FROM rtcstats_dump_events(convert_to(E'RTCStatsDump\n{}\nnot json\n["create",null,{},1]\n', 'UTF8'));
-- a NUL character in a string: stored escaped (docs/features.md)
SELECT value FROM rtcstats_dump_events(convert_to(E'RTCStatsDump\n{}\n["create",null,"a\\\\\\u0000b",1]\n', 'UTF8'));
-- truncated gzip: the first 1000 bytes of a gzip dump
SELECT pg_temp.err(format('SELECT rtcstats_features(%L::bytea)', substr(pg_read_binary_file(:'gz'), 1, 1000)));
SELECT pg_temp.err(format('SELECT count(*) FROM rtcstats_dump_events(%L::bytea)', substr(pg_read_binary_file(:'gz'), 1, 1000)));
SELECT pg_temp.err($$SELECT rtcstats_features('\x1f8b08000000000000ff'::bytea)$$);
-- garbage after a complete gzip member
SELECT pg_temp.err(format('SELECT rtcstats_features(%L::bytea)', pg_read_binary_file(:'gz') || '\x0102'::bytea));

\set rmcmd 'rm -f ' :gz
COPY (SELECT 1 WHERE false) TO PROGRAM :'rmcmd';

-- a cancel (here statement_timeout) raises: never a partial set of events
CREATE TEMP TABLE big_dump AS
SELECT convert_to(h || repeat(substr(t, length(h) + 1), 300), 'UTF8') AS dump
FROM (SELECT convert_from(pg_read_binary_file(:'corpus' || '/av-call.rtcstats'), 'UTF8') AS t) s,
	 LATERAL (SELECT split_part(t, E'\n', 1) || E'\n' || split_part(t, E'\n', 2) || E'\n' AS h) x;
SELECT octet_length(dump) > 20000000 AS big FROM big_dump;
SET statement_timeout = '100ms';
SELECT count(*) AS partial_events FROM rtcstats_dump_events((SELECT dump FROM big_dump));
RESET statement_timeout;
DROP TABLE big_dump;
