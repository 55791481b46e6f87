-- The tables of 00-schema.sql: keys, cascades, comments, pg_dump
-- configuration, and the proxy's idempotent insert.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;

-- the public columns of rtcstats_dumps (docs/sql.md)
SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
FROM pg_attribute
WHERE attrelid = 'rtcstats_dumps'::regclass AND attnum > 0 AND NOT attisdropped
ORDER BY attnum;

-- every table and column of the extension has a comment
SELECT c.relname, a.attname
FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rtcstats'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind = 'r' AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1, 2;
SELECT c.relname
FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rtcstats'
WHERE c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NULL;

-- pg_dump backs up the rows of every user-data table (and the id sequences)
SELECT c.relname
FROM pg_extension e, unnest(e.extconfig) AS t(oid)
JOIN pg_class c ON c.oid = t.oid
WHERE e.extname = 'rtcstats'
ORDER BY 1;

-- each feature table references rtcstats_dumps with ON DELETE CASCADE;
-- tracks also reference their connection
SELECT conrelid::regclass AS tab, confrelid::regclass AS refs, confdeltype
FROM pg_constraint
WHERE contype = 'f' AND conrelid::regclass::text IN
	('features_metadata', 'features_client', 'features_connection', 'features_track',
	 'rtcstats_analysis', 'rtcstats_observations')
ORDER BY 1::text, 2::text;

-- indexes for the queries users run
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) LIKE '%WHERE%' AS partial
FROM pg_index
WHERE indrelid = 'rtcstats_dumps'::regclass
ORDER BY 1::text;

-- column names follow upstream's snake_case of the feature names
SELECT _rtcstats_snake_case(f) AS col, EXISTS (
		SELECT 1 FROM pg_attribute
		WHERE attrelid IN ('features_client'::regclass, 'features_connection'::regclass,
						   'features_track'::regclass)
		  AND attname = _rtcstats_snake_case(f)) AS exists
FROM unnest(ARRAY['iceConnectionTime', 'averageStunRoundTripTime', 'numberOfEventsNotGetStats',
				  'calledGetUserMediaCombined', 'addedHostCandidate', 'packetsSentWithEct1',
				  'psnrSumY', 'rtcstatsRelayLocationCountry', 'webSocketConnectionTime',
				  'firstCandidatePairLocalTypePreference']) AS f;

-- the proxy's insert is idempotent
INSERT INTO rtcstats_dumps (id, session_start, session_end, blob_url, metadata, client_id,
							rtcstats_user, rtcstats_conference, rtcstats_session,
							host_identifier, size_bytes)
VALUES ('6f0c0000-0000-4000-8000-000000000001', '2026-11-24 10:00:00+00', '2026-11-24 10:05:00+00',
		'file:///var/lib/rtcstats/6f0c0000-0000-4000-8000-000000000001.gz',
		'{"url": "/room", "origin": "https://example.com", "startTime": 1795504598523}',
		'client-1', 'alice', 'room-1', 'session-1', 'proxy-1', 1234)
ON CONFLICT (id) DO NOTHING;
INSERT INTO rtcstats_dumps (id, blob_url)
VALUES ('6f0c0000-0000-4000-8000-000000000001', 'file:///elsewhere.gz')
ON CONFLICT (id) DO NOTHING;
SELECT blob_url, attempts, extracted_at IS NULL AS pending, claimed_at IS NULL AS unclaimed,
	   created_at <= now() AS created
FROM rtcstats_dumps WHERE id = '6f0c0000-0000-4000-8000-000000000001';

-- blob_url is required; the id defaults to a random uuid
\set VERBOSITY terse
INSERT INTO rtcstats_dumps (blob_url) VALUES (NULL);
\set VERBOSITY default
WITH i AS (INSERT INTO rtcstats_dumps (blob_url) VALUES ('file:///x/y.gz') RETURNING id)
SELECT id IS NOT NULL AS has_id FROM i;

DELETE FROM rtcstats_dumps;
DELETE FROM rtcstats_deleted_objects;
