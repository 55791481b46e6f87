-- U+0000 in client strings (the metadata's url with a backslash and user
-- agent, a track id, an SDP line, a getStats string): the dump is kept and
-- extracted, such strings are stored
-- escaped (a backslash doubled, U+0000 as the six characters \u0000;
-- docs/features.md) and every other string as sent.  In a database of its
-- own, so that no worker claims the row.
CREATE DATABASE rtcstats_nul_test;
\c rtcstats_nul_test
SET client_min_messages = warning;
CREATE EXTENSION rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset
\set cmd 'sh ' :abs_srcdir '/test/regress/nul-dump.sh ' :corpus '/av-call.rtcstats ' :storage_dir '/e1000000-0000-4000-8000-000000000001.gz'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
INSERT INTO rtcstats_dumps (id, blob_url)
VALUES ('e1000000-0000-4000-8000-000000000001',
		current_setting('rtcstats.storage_url') || '/e1000000-0000-4000-8000-000000000001.gz');
SELECT rtcstats_fetch_dump('e1000000-0000-4000-8000-000000000001') AS dump \gset

-- the functions over bytes
SELECT jsonb_typeof(rtcstats_features(:'dump'::bytea)) AS features,
	   jsonb_typeof(rtcstats_analyze(:'dump'::bytea)) AS analysis,
	   (SELECT count(*) FROM rtcstats_dump_events(:'dump'::bytea)) AS events;
-- the escaped strings, as jsonb holds them (its text doubles each backslash)
SELECT DISTINCT s
FROM rtcstats_dump_events(:'dump'::bytea) e,
	 regexp_matches(coalesce(e.value::text, '') || coalesce(e.extra::text, ''),
					'[a-zA-Z/=.-]{0,12}\\\\u0000[a-zA-Z0-9\\/.-]{0,12}', 'g') AS m(s)
ORDER BY 1;
-- a string without U+0000 is as sent, backslashes and all
SELECT value->>'x' AS plain FROM rtcstats_dump_events(
	convert_to(E'RTCStatsDump\n{"fileFormat":3}\n["custom",null,{"x":"a\\\\u0000b"},1]\n', 'UTF8'));

-- stored: extraction, the features' strings, the report
SELECT jsonb_typeof(rtcstats_extract_features('e1000000-0000-4000-8000-000000000001')) AS extracted;
SELECT extracted_at IS NOT NULL AS extracted, last_error FROM rtcstats_dumps;
SELECT DISTINCT codec_mime_type FROM features_track
WHERE dump_id = 'e1000000-0000-4000-8000-000000000001' AND kind = 'audio';
SELECT jsonb_typeof(rtcstats_report('e1000000-0000-4000-8000-000000000001')) AS report,
	   rtcstats_report_html('e1000000-0000-4000-8000-000000000001') LIKE '<!DOCTYPE html>%' AS report_html;

\set cmd 'rm -f ' :storage_dir '/e1000000-0000-4000-8000-00000000000*'
COPY (SELECT 1 WHERE false) TO PROGRAM :'cmd';
\c contrib_regression
DROP DATABASE rtcstats_nul_test;
