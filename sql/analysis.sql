-- rtcstats_analysis / rtcstats_observations rows, rtcstats_observations(),
-- rtcstats_summary(), rtcstats_report().
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'

DELETE FROM rtcstats_dumps;
INSERT INTO rtcstats_dumps (id, blob_url, rtcstats_user, rtcstats_conference, metadata) VALUES
	('00000000-0000-4000-8000-0000000000a1', 'file:///s/a1.gz', 'alice', 'room', '{"url": "/room"}'),
	('00000000-0000-4000-8000-0000000000a2', 'file:///s/a2.gz', 'bob', 'room', NULL);

-- a hand-made analysis object (the shape of rtcstats_analysis_finish)
SELECT rtcstats_store_features('00000000-0000-4000-8000-0000000000a1',
	'{"duration": 1000, "peerConnections": [{"connectionIdentifier": "PC_0", "connected": false}]}',
	'{"observations": [
		{"type": "ice_failure", "category": "connectivity", "severity": "error", "pc": "PC_0",
		 "track": null, "first_seen": 1795504599274, "last_seen": 1795504614374,
		 "duration_ms": 15100, "evidence": {"checkingMs": 15100},
		 "explanation": "ICE failed 15.1 s after checks began: no candidate pair worked."},
		{"type": "no_ice_servers", "category": "connectivity", "severity": "info", "pc": "PC_0",
		 "track": null, "first_seen": 1795504599274, "last_seen": 1795504599274,
		 "duration_ms": null, "evidence": {"iceServers": 0},
		 "explanation": "No STUN or TURN server was configured."},
		"not an object"],
	  "scores": {"call": {"audio": null, "video": null, "connectivity": 1.0, "overall": 1.0},
				 "connections": {"PC_0": {"connectivity": 1.0}}},
	  "timeseries": {"PC_0": {"series": {"roundTripTime": [[1795504600703, 4.5]]}}},
	  "summary": "The call never connected: ICE failed."}');

SELECT experience_score, audio_score, video_score, connectivity_score, observations_count,
	   scores->'connections' AS per_connection, timeseries ? 'PC_0' AS has_series, summary
FROM rtcstats_analysis;
SELECT ordinal, pc_id, track_id, type, category, severity,
	   extract(epoch FROM first_seen) * 1000 AS first_ms, duration_ms, evidence
FROM rtcstats_observations ORDER BY ordinal;

-- the functions
SELECT type, category, severity, explanation, pc_id
FROM rtcstats_observations('00000000-0000-4000-8000-0000000000a1');
-- observations join their connection by its id in the dump
SELECT o.type, c.connection_index, c.connected
FROM rtcstats_observations('00000000-0000-4000-8000-0000000000a1') o
JOIN features_connection c ON c.connection_identifier = o.pc_id
	AND c.dump_id = '00000000-0000-4000-8000-0000000000a1';
SELECT rtcstats_summary('00000000-0000-4000-8000-0000000000a1');
SELECT rtcstats_summary('00000000-0000-4000-8000-0000000000a2') IS NULL AS not_extracted;
SELECT count(*) FROM rtcstats_observations('00000000-0000-4000-8000-0000000000a2');

SELECT k FROM jsonb_object_keys(rtcstats_report('00000000-0000-4000-8000-0000000000a1')) AS k ORDER BY k;
SELECT r->'metadata'->>'rtcstats_user' AS who, r->'metadata'->'metadata' AS line,
	   r->'features'->'duration' AS duration, r->'scores'->'call'->'overall' AS overall,
	   jsonb_array_length(r->'observations') AS observations,
	   r->'observations'->0->>'type' AS first, r->'observations'->0->>'pc' AS pc,
	   r->'features'->'peerConnections'->0 ? 'connectionIdentifier' AS id_in_features
FROM rtcstats_report('00000000-0000-4000-8000-0000000000a1') AS r;
-- not extracted yet: metadata only
SELECT r->'metadata'->>'rtcstats_user' AS who, r->'features' AS features, r->'scores' AS scores,
	   r->'observations' AS observations, r->'summary' AS summary
FROM rtcstats_report('00000000-0000-4000-8000-0000000000a2') AS r;
SELECT rtcstats_report('00000000-0000-4000-8000-0000000000ff') IS NULL AS unknown;

-- without an analysis the old one goes away; values of the wrong type are NULL
SELECT rtcstats_store_features('00000000-0000-4000-8000-0000000000a1', '{}');
SELECT count(*) AS analyses, (SELECT count(*) FROM rtcstats_observations) AS observations
FROM rtcstats_analysis;
SELECT rtcstats_store_features('00000000-0000-4000-8000-0000000000a1', '{}',
	'{"observations": [{"type": 3, "severity": "warning", "first_seen": "soon"}],
	  "scores": {"call": {"overall": "good"}}, "summary": 5}');
SELECT type, severity, first_seen FROM rtcstats_observations;
SELECT experience_score, summary, observations_count FROM rtcstats_analysis;

-- deleting a dump deletes its analysis
DELETE FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-0000000000a1';
SELECT (SELECT count(*) FROM rtcstats_analysis) AS analyses,
	   (SELECT count(*) FROM rtcstats_observations) AS observations,
	   (SELECT count(*) FROM features_metadata) AS metadata;

-- connection ids from the analysis ("connections", in peerConnections order)
-- when the host did not add them; a list of another length is not used
INSERT INTO rtcstats_dumps (id, blob_url) VALUES
	('00000000-0000-4000-8000-0000000000a3', 'file:///s/a3.gz');
SELECT rtcstats_store_features('00000000-0000-4000-8000-0000000000a3',
	'{"peerConnections": [{}, {"connectionIdentifier": "own"}, {}]}',
	'{"connections": ["PC_7", "PC_8", "PC_9"]}');
SELECT connection_index, connection_identifier FROM features_connection
WHERE dump_id = '00000000-0000-4000-8000-0000000000a3' ORDER BY 1;
SELECT rtcstats_store_features('00000000-0000-4000-8000-0000000000a3',
	'{"peerConnections": [{}, {}]}', '{"connections": ["PC_7"]}');
SELECT connection_index, connection_identifier FROM features_connection
WHERE dump_id = '00000000-0000-4000-8000-0000000000a3' ORDER BY 1;
DELETE FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-0000000000a3';

-- the corpus: an ICE failure gives errors, a healthy call none
INSERT INTO rtcstats_dumps (id, blob_url) VALUES
	('00000000-0000-4000-8000-0000000000b1', 'file:///s/ice-failure.rtcstats'),
	('00000000-0000-4000-8000-0000000000b2', 'file:///s/av-call.rtcstats');
SELECT rtcstats_store_features(id, rtcstats_features(pg_read_binary_file(:'corpus' || '/' || substr(blob_url, 11))),
	   rtcstats_analyze(pg_read_binary_file(:'corpus' || '/' || substr(blob_url, 11))))
FROM rtcstats_dumps WHERE id::text LIKE '%b_' ORDER BY id;
SELECT substr(d.blob_url, 11) AS dump, o.severity, o.type, count(*)
FROM rtcstats_dumps d, rtcstats_observations(d.id) o
WHERE o.severity <> 'info'
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT substr(d.blob_url, 11) AS dump, a.experience_score < 2 AS bad, a.summary IS NOT NULL AS has_summary
FROM rtcstats_dumps d JOIN rtcstats_analysis a ON a.dump_id = d.id ORDER BY 1;
-- the report page: client strings escaped, the observations, a chart per
-- series (connection and track series alike), nothing but metadata before
-- extraction, NULL for an unknown dump
UPDATE rtcstats_dumps SET metadata = '{"url": "https://x.test/?a=<script>", "userAgent": "UA", "startTime": 1795504598431}'
WHERE id = '00000000-0000-4000-8000-0000000000b1';
INSERT INTO rtcstats_dumps (id, blob_url, metadata) VALUES
	('00000000-0000-4000-8000-0000000000b3', 'file:///s/later.rtcstats', '{"url": "https://y.test/"}');
SELECT substr(d.blob_url, 11) AS dump, left(p, 15) AS page,
	   p LIKE '%https://x.test/?a=&lt;script&gt;%' AS url_escaped, strpos(p, '<script') = 0 AS no_script,
	   p LIKE '%<td>ice_failure</td>%' AS ice_failure, strpos(p, a.summary) > 0 AS summary,
	   (length(p) - length(replace(p, '<svg ', ''))) / 5 AS charts,
	   (SELECT count(*) FROM jsonb_each(a.timeseries) AS c, jsonb_object_keys(c.value->'series'))
	   + (SELECT count(*) FROM jsonb_each(a.timeseries) AS c, jsonb_array_elements(c.value->'tracks') AS t,
			jsonb_object_keys(t->'series')) AS series
FROM rtcstats_dumps d LEFT JOIN rtcstats_analysis a ON a.dump_id = d.id, rtcstats_report_html(d.id) AS p
ORDER BY 1;
SELECT rtcstats_report_html('00000000-0000-4000-8000-0000000000ff') IS NULL AS unknown_dump;
DELETE FROM rtcstats_dumps;
DELETE FROM rtcstats_deleted_objects;
-- JSON nested deeper than a report reads is refused, not a crash
SELECT _rtcstats_report_html((repeat('[', 2000) || repeat(']', 2000))::jsonb, NULL, NULL);
