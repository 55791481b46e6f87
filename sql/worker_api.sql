-- rtcstats_claim_dump, rtcstats_store_features, rtcstats_record_failure,
-- rtcstats_retry_dump: the one definition of the extraction cycle.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
\set expected :abs_srcdir '/test/corpus/expected'
\set err_fn :abs_srcdir '/test/regress/err.psql'
\i :err_fn

DELETE FROM rtcstats_dumps;
INSERT INTO rtcstats_dumps (id, created_at, blob_url, metadata) VALUES
	('00000000-0000-4000-8000-00000000000a', now() - interval '3 min', 'file:///s/a.gz',
	 '{"url": "/a", "origin": "https://a.example", "userAgent": "UA", "startTime": 1795504598523,
	   "clientProtocol": "rtcstats#5.0", "fileFormat": 3,
	   "locations": [{"continent": {"names": {"en": "Europe"}}, "country": {"names": {"en": "France"}},
					  "city": {"names": {"en": "Paris"}}}]}'),
	('00000000-0000-4000-8000-00000000000b', now() - interval '2 min', 'file:///s/b.gz', NULL),
	('00000000-0000-4000-8000-00000000000c', now() - interval '1 min', 'file:///s/c.gz', NULL);

-- oldest first, each once, attempts counted, claimer recorded
SELECT * FROM rtcstats_claim_dump('w1');
SELECT * FROM rtcstats_claim_dump('w2');
SELECT id, attempts, claimed_by, claimed_at IS NOT NULL AS claimed FROM rtcstats_dumps ORDER BY id;
-- a claim held by a dead worker is taken again after rtcstats.claim_timeout
UPDATE rtcstats_dumps SET claimed_at = now() - interval '1 day'
WHERE id = '00000000-0000-4000-8000-00000000000a';
SELECT * FROM rtcstats_claim_dump('w3');
SELECT * FROM rtcstats_claim_dump();	-- the last one; the default name is the session's
SELECT claimed_by LIKE '% pid %' AS default_name FROM rtcstats_dumps
WHERE id = '00000000-0000-4000-8000-00000000000c';
SELECT count(*) AS nothing_left FROM rtcstats_claim_dump('w4');

-- a failure: error recorded, claim released, retried after a backoff
SELECT rtcstats_record_failure('00000000-0000-4000-8000-00000000000b', 'could not read dump: boom');
SELECT attempts, last_error, claimed_at IS NULL AS released,
	   next_attempt_at BETWEEN now() + interval '50 s' AND now() + interval '70 s' AS backoff_1min
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
UPDATE rtcstats_dumps SET attempts = 4 WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT rtcstats_record_failure('00000000-0000-4000-8000-00000000000b', 'again');
SELECT next_attempt_at BETWEEN now() + interval '7 min' AND now() + interval '9 min' AS backoff_8min
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
UPDATE rtcstats_dumps SET attempts = 40 WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT rtcstats_record_failure('00000000-0000-4000-8000-00000000000b', 'capped');
SELECT next_attempt_at <= now() + interval '1 hour' AS backoff_capped
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
-- not before its time, and never after rtcstats.max_attempts (5) attempts:
-- found with none left (its workers died), it is given up, out of the queue
UPDATE rtcstats_dumps SET next_attempt_at = now() - interval '1 s', attempts = 5
WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT count(*) AS exhausted FROM rtcstats_claim_dump('w5');
SELECT failed_at IS NOT NULL AS given_up, last_error FROM rtcstats_dumps
WHERE id = '00000000-0000-4000-8000-00000000000b';
UPDATE rtcstats_dumps SET attempts = 4 WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT count(*) AS still_given_up FROM rtcstats_claim_dump('w5');
UPDATE rtcstats_dumps SET failed_at = NULL WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT * FROM rtcstats_claim_dump('w5');
-- an outage (storage unreachable) gives the attempt back, however many there
-- are, and waits a backoff that doubles from rtcstats.retry_delay up to 5x
SELECT rtcstats_record_outage('00000000-0000-4000-8000-00000000000b', 'could not fetch: storage unreachable');
SELECT attempts, outages, claimed_at IS NULL AS released, failed_at IS NULL AS not_given_up,
	   next_attempt_at BETWEEN now() + interval '50 s' AND now() + interval '70 s' AS backoff_1min
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
DO $$
BEGIN
	FOR i IN 1 .. 30 LOOP
		UPDATE rtcstats_dumps SET next_attempt_at = now() - interval '1 s'
		WHERE id = '00000000-0000-4000-8000-00000000000b';
		PERFORM * FROM rtcstats_claim_dump('outage');
		PERFORM rtcstats_record_outage('00000000-0000-4000-8000-00000000000b', 'HTTP 503');
	END LOOP;
END $$;
SELECT attempts, outages, failed_at IS NULL AS not_given_up, last_error,
	   next_attempt_at BETWEEN now() + interval '290 s' AND now() + interval '310 s' AS backoff_5min
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
-- rtcstats.retry_delay compresses both backoffs
SET rtcstats.retry_delay = '2s';
SELECT rtcstats_record_outage('00000000-0000-4000-8000-00000000000b', 'again');
SELECT next_attempt_at BETWEEN now() + interval '9 s' AND now() + interval '11 s' AS backoff_5x_2s
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
RESET rtcstats.retry_delay;
-- a data error ends the run of outages; the last attempt's gives the dump up
UPDATE rtcstats_dumps SET attempts = 5 WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT rtcstats_record_failure('00000000-0000-4000-8000-00000000000b', 'could not read dump: not a dump');
SELECT attempts, outages, failed_at IS NOT NULL AS given_up, last_error
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000b';
SELECT rtcstats_retry_dump('00000000-0000-4000-8000-00000000000b') AS retried;
SELECT attempts, outages, failed_at IS NULL AS queued_again FROM rtcstats_dumps
WHERE id = '00000000-0000-4000-8000-00000000000b';
-- one object, one row: a second row cannot share a blob_url (deleting one
-- would queue the other's object for purge)
SELECT pg_temp.err($$INSERT INTO rtcstats_dumps (blob_url) VALUES ('file:///s/a.gz')$$) AS shared_blob_url;
-- failing an unknown dump is harmless
SELECT rtcstats_record_failure('00000000-0000-4000-8000-0000000000ff', 'gone');

-- store: hand-made features covering every kind of column
SELECT rtcstats_store_features('00000000-0000-4000-8000-00000000000a', '{
	"startTime": 1795504598431, "duration": 21505, "hardwareConcurrency": 8,
	"deviceMemory": 0.5, "userAgentData": {"platform": "Linux", "mobile": false},
	"screen": {"width": 1280}, "operatingSystem": "Linux", "calledGetUserMedia": true,
	"getUserMediaError": "NotAllowedError", "getUserMediaErrorCount": 1,
	"someNewClientField": [1, 2], "dumpId": "not a key you can write", "reloadCount": "x",
	"peerConnections": [
		{"connectionIdentifier": "PC_0", "startTime": 1795504599274, "duration": 20448.6,
		 "iceConnected": true, "iceConnectionTime": 81, "averageStunRoundTripTime": 0.0045,
		 "numberOfEventsNotGetStats": 40, "dtlsVersion": "FEFC", "clockSkew": null,
		 "firstCandidatePairLocalTypePreference": 126, "connectionTime": 99999999999,
		 "aFutureFeature": true,
		 "tracks": [
			{"trackIdentifier": "t-audio", "kind": "audio", "direction": "outbound",
			 "startTime": 1795504599284, "codecMimeType": "audio/opus", "nackCount": 0},
			{"trackIdentifier": "t-video", "kind": "video", "direction": "inbound",
			 "commonWidth": 640, "commonHeight": 480, "frameCount": 402,
			 "jitterBufferEmittedCount": 9876543210, "concealmentPercentage": 0.0018,
			 "hasNullVideoDecoder": false, "totalFreezesDuration": 1.5}]},
		{"startTime": 1795504599282, "connected": false, "tracks": []}]}',
	'{"observations": [], "scores": {"call": {"overall": 4.2}}, "timeseries": {}, "summary": "Fine."}');

SELECT dump_id, extract(epoch FROM start_time) * 1000 AS start_ms, url, origin, useragent,
	   client_protocol, file_format, number_peerconnections,
	   location_continent, location_country, location_city,
	   features->'peerConnections'->0 ? 'connectionIdentifier' AS ids_kept_in_json
FROM features_metadata;
SELECT extract(epoch FROM start_time) * 1000 AS start_ms, duration, hardware_concurrency,
	   device_memory, user_agent_data, screen, operating_system, called_get_user_media,
	   called_get_display_media, enumerate_devices_count, get_user_media_error,
	   get_user_media_error_count, reload_count, extra
FROM features_client;
SELECT connection_index, connection_identifier, extract(epoch FROM start_time) * 1000 AS start_ms,
	   duration, ice_connected, ice_connection_time, average_stun_round_trip_time,
	   number_of_events_not_get_stats, dtls_version, clock_skew,
	   first_candidate_pair_local_type_preference, connection_time, connected, ice_restart, extra
FROM features_connection ORDER BY connection_index;
SELECT c.connection_index, t.track_index, t.track_identifier, t.kind, t.direction,
	   t.codec_mime_type, t.nack_count, t.common_width, t.frame_count,
	   t.jitter_buffer_emitted_count, t.concealment_percentage, t.has_null_video_decoder,
	   t.total_freezes_duration, t.dump_id = c.dump_id AS same_dump
FROM features_track t JOIN features_connection c ON c.id = t.connection_id
ORDER BY 1, 2;
SELECT attempts, extracted_at IS NOT NULL AS extracted, claimed_at IS NULL AS released,
	   last_error IS NULL AS no_error
FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-00000000000a';

-- storing again replaces every row (a retry is harmless)
SELECT rtcstats_store_features('00000000-0000-4000-8000-00000000000a',
	'{"duration": 5, "peerConnections": [{"tracks": [{"kind": "audio"}]}]}');
SELECT (SELECT count(*) FROM features_metadata) AS metadata,
	   (SELECT duration FROM features_client) AS client_duration,
	   (SELECT count(*) FROM features_connection) AS connections,
	   (SELECT count(*) FROM features_track) AS tracks,
	   (SELECT count(*) FROM rtcstats_analysis) AS analyses;

-- bad input names what is wrong
\set SHOW_CONTEXT never
SELECT rtcstats_store_features('00000000-0000-4000-8000-00000000000a', '[1]');
SELECT rtcstats_store_features('00000000-0000-4000-8000-00000000000a', '{"peerConnections": 3}');
SELECT rtcstats_store_features('00000000-0000-4000-8000-00000000000a', '{"peerConnections": [1]}');
SELECT rtcstats_store_features('00000000-0000-4000-8000-00000000000a', '{}', '"x"');
SELECT rtcstats_store_features('00000000-0000-4000-8000-0000000000ff', '{}');
SELECT rtcstats_store_features(NULL, '{}');

\set SHOW_CONTEXT errors
-- rtcstats_retry_dump queues a dump again with all its attempts
SELECT rtcstats_retry_dump('00000000-0000-4000-8000-00000000000a') AS retried,
	   rtcstats_retry_dump('00000000-0000-4000-8000-0000000000ff') AS unknown;
SELECT attempts, extracted_at IS NULL AS pending FROM rtcstats_dumps
WHERE id = '00000000-0000-4000-8000-00000000000a';

-- corpus: what rtcstats_features returns, stored, equals the expected JSON
DELETE FROM rtcstats_dumps;
INSERT INTO rtcstats_dumps (id, blob_url)
SELECT md5(name)::uuid, 'file:///s/' || name FROM pg_ls_dir(:'corpus') AS name
WHERE name LIKE '%.rtcstats';
SELECT count(*) AS stored FROM (
	SELECT rtcstats_store_features(d.id,
		   rtcstats_features(pg_read_binary_file(:'corpus' || '/' || substr(d.blob_url, 11))),
		   rtcstats_analyze(pg_read_binary_file(:'corpus' || '/' || substr(d.blob_url, 11))))
	FROM rtcstats_dumps d) s;
-- iceConnectionTime and averageStunRoundTripTime of every connection
SELECT substr(d.blob_url, 11) AS dump, c.connection_index,
	   c.ice_connection_time IS NOT DISTINCT FROM
		   (e.j->'peerConnections'->c.connection_index->>'iceConnectionTime')::integer AS ice_time,
	   c.average_stun_round_trip_time IS NOT DISTINCT FROM
		   (e.j->'peerConnections'->c.connection_index->>'averageStunRoundTripTime')::float8 AS stun_rtt
FROM rtcstats_dumps d
JOIN features_connection c ON c.dump_id = d.id
CROSS JOIN LATERAL (SELECT pg_read_file(:'expected' || '/' ||
					regexp_replace(substr(d.blob_url, 11), '\.rtcstats$', '.features.json'))::jsonb AS j) e
WHERE NOT (c.ice_connection_time IS NOT DISTINCT FROM
			   (e.j->'peerConnections'->c.connection_index->>'iceConnectionTime')::integer
		   AND c.average_stun_round_trip_time IS NOT DISTINCT FROM
			   (e.j->'peerConnections'->c.connection_index->>'averageStunRoundTripTime')::float8);
-- every feature of every dump landed in its column (nothing in extra)
SELECT (SELECT count(*) FROM features_client WHERE extra IS NOT NULL) AS client_extra,
	   (SELECT count(*) FROM features_connection WHERE extra IS NOT NULL) AS connection_extra,
	   (SELECT count(*) FROM features_track WHERE extra IS NOT NULL) AS track_extra,
	   (SELECT count(*) FROM features_connection) AS connections,
	   (SELECT count(*) FROM features_track) AS tracks;
-- and reads back equal: each key of the JSON against its column
WITH rows AS (
	SELECT to_jsonb(c) AS r, (m.features->'peerConnections'->c.connection_index) - 'tracks' AS j
	FROM features_connection c JOIN features_metadata m USING (dump_id)
	UNION ALL
	SELECT to_jsonb(t), m.features->'peerConnections'->c.connection_index->'tracks'->t.track_index
	FROM features_track t JOIN features_connection c ON c.id = t.connection_id
	JOIN features_metadata m ON m.dump_id = t.dump_id
	UNION ALL
	SELECT to_jsonb(cl), m.features - 'peerConnections'
	FROM features_client cl JOIN features_metadata m USING (dump_id)
), kv AS (
	SELECT e.key, e.value AS jv, r->_rtcstats_snake_case(e.key) AS cv FROM rows, jsonb_each(j) e
)
SELECT key, jv, cv FROM kv
WHERE NOT (CASE WHEN jsonb_typeof(jv) = 'number' AND jsonb_typeof(cv) = 'string'
				THEN extract(epoch FROM (cv #>> '{}')::timestamptz) * 1000 = jv::text::numeric
				WHEN jsonb_typeof(jv) = 'number' AND jsonb_typeof(cv) = 'number'
				THEN abs(jv::text::numeric - cv::text::numeric) <= 1e-9 * abs(jv::text::numeric)
				ELSE jv = cv END) IS TRUE;
DELETE FROM rtcstats_dumps;
DELETE FROM rtcstats_deleted_objects;

-- the conversion rules of _rtcstats_feature_rows at their edges: rounding
-- half away from zero into range, 1e300, the timestamp range, JSON text for
-- text columns, nulls, names that are not plain camelCase, reserved columns
SET TimeZone = 'UTC';
CREATE TEMP TABLE converted AS
SELECT r.n, r.v FROM jsonb_array_elements(_rtcstats_feature_rows('features_client', '{dump_id,extra}', '[{
	"duration": 2.5, "reloadCount": -2.5, "cpuPerformance": 2147483648,
	"hardwareConcurrency": -2147483648, "enumerateDevicesCount": 7.0,
	"getUserMediaErrorCount": 2147483647.4, "getUserMediaSuccessCount": 2147483647.5,
	"getDisplayMediaErrorCount": 1e2, "getDisplayMediaSuccessCount": -0.5,
	"deviceMemory": 1e300, "screen": [1, {"a": null}], "operatingSystem": {"b": 1},
	"audioDeviceUsbId": 12.50, "videoDeviceUsbId": true, "getUserMediaError": null,
	"audioEnded": 1, "videoEnded": null, "audioShortDuration": "true",
	"startTime": 3093527980800001, "webSocketConnectionTime": "5", "dumpId": "x",
	"extra": 1, "Duration": 1, "get_user_media_error": "y", "window": null,
	"userAgentData": "s"},
	{},
	{"deviceMemory": -9.99e299, "startTime": -62135596800000},
	{"startTime": -62135596800001},
	{"startTime": 1795504598431.5},
	{"startTime": "1"}]')) WITH ORDINALITY AS r(v, n);
SELECT n, e.key, left(e.value::text, 40) AS value FROM converted, jsonb_each(v - 'extra') AS e
UNION ALL
SELECT n, 'extra.' || e.key, left(e.value::text, 40) FROM converted, jsonb_each(v->'extra') AS e
ORDER BY 1, 2;
RESET TimeZone;
SELECT _rtcstats_feature_rows('features_client', '{}', '[1]');
-- only over a table the caller may INSERT into (nobody else locks it through
-- this); internal, so not executable by PUBLIC in the first place
CREATE ROLE rtcstats_regress_rows;
SET ROLE rtcstats_regress_rows;
SELECT _rtcstats_feature_rows('features_client', '{}', '[{}]');
RESET ROLE;
GRANT EXECUTE ON FUNCTION _rtcstats_feature_rows(regclass, text[], jsonb) TO rtcstats_regress_rows;
SET ROLE rtcstats_regress_rows;
SELECT _rtcstats_feature_rows('features_client', '{}', '[{}]');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION _rtcstats_feature_rows(regclass, text[], jsonb) FROM rtcstats_regress_rows;
DROP ROLE rtcstats_regress_rows;
