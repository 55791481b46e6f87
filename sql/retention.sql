-- rtcstats_delete_dumps_older_than, rtcstats_delete_old_dumps and the queue
-- of stored objects to delete (rtcstats_deleted_objects).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;

DELETE FROM rtcstats_dumps;
DELETE FROM rtcstats_deleted_objects;
INSERT INTO rtcstats_dumps (id, created_at, blob_url)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
	   now() - g * interval '1 day', 'file:///s/' || g || '.gz'
FROM generate_series(1, 25) AS g;
-- with features, so the cascade is visible
SELECT count(rtcstats_store_features(id, '{"peerConnections": [{"tracks": [{}, {}]}]}',
									 '{"observations": [{"type": "x"}], "summary": "s"}'))
FROM rtcstats_dumps;

-- older than 10.5 days: the 15 dumps of days 11 .. 25, in batches of 4
SELECT rtcstats_delete_dumps_older_than('10 days 12 hours', 4) AS deleted;
SELECT count(*) AS dumps, min(created_at) > now() - interval '10 days 12 hours' AS young
FROM rtcstats_dumps;
SELECT (SELECT count(*) FROM features_metadata) AS metadata,
	   (SELECT count(*) FROM features_client) AS client,
	   (SELECT count(*) FROM features_connection) AS connections,
	   (SELECT count(*) FROM features_track) AS tracks,
	   (SELECT count(*) FROM rtcstats_analysis) AS analyses,
	   (SELECT count(*) FROM rtcstats_observations) AS observations;
-- their objects wait for a purger
SELECT count(*) AS queued, min(blob_url) AS first, bool_and(dump_id IS NOT NULL) AS with_id
FROM rtcstats_deleted_objects;
-- nothing older: nothing deleted
SELECT rtcstats_delete_dumps_older_than('10 days 12 hours') AS deleted;
-- a plain DELETE queues the object too
DELETE FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-000000000001';
SELECT count(*) AS queued FROM rtcstats_deleted_objects WHERE blob_url = 'file:///s/1.gz';
-- a rolled-back delete queues nothing
BEGIN;
SELECT rtcstats_delete_dumps_older_than('0 s') AS deleted;
ROLLBACK;
SELECT count(*) AS dumps, (SELECT count(*) FROM rtcstats_deleted_objects) AS queued
FROM rtcstats_dumps;
-- the procedure commits each batch
CALL rtcstats_delete_old_dumps('5 days', 2);
SELECT count(*) AS dumps FROM rtcstats_dumps;

-- bad arguments
\set SHOW_CONTEXT never
SELECT rtcstats_delete_dumps_older_than('-1 day');
SELECT rtcstats_delete_dumps_older_than('1 day', 0);
SELECT rtcstats_delete_dumps_older_than(NULL);
CALL rtcstats_delete_old_dumps('-1 day');
CALL rtcstats_delete_old_dumps('1 day', 0);

\set SHOW_CONTEXT errors
-- the purger's side: claim, report deleted or failed
SELECT count(*) AS claimed FROM rtcstats_claim_deleted_objects(5);
SELECT count(*) AS claimed_rest, (SELECT count(*) FROM rtcstats_deleted_objects) AS queued
FROM rtcstats_claim_deleted_objects(100);
SELECT count(*) AS none_left FROM rtcstats_claim_deleted_objects(100);
SELECT rtcstats_object_deleted('file:///s/11.gz');
SELECT rtcstats_object_deleted('file:///s/12.gz', 'AccessDenied');
SELECT blob_url, attempts, last_error, claimed_at IS NULL AS released,
	   next_attempt_at > now() AS later
FROM rtcstats_deleted_objects WHERE blob_url IN ('file:///s/11.gz', 'file:///s/12.gz');
-- claimed ones are not handed out again until the claim times out
SELECT count(*) AS none FROM rtcstats_claim_deleted_objects(100);
UPDATE rtcstats_deleted_objects SET claimed_at = now() - interval '1 day'
WHERE blob_url = 'file:///s/13.gz';
SELECT * FROM rtcstats_claim_deleted_objects(100);
SELECT count(*) AS left_in_queue FROM rtcstats_deleted_objects;
DELETE FROM rtcstats_dumps;
DELETE FROM rtcstats_deleted_objects;
-- deleting a row deletes only its own object: a dump stored again under the
-- same URL after its row was deleted keeps its object (it leaves the queue)
INSERT INTO rtcstats_dumps (blob_url) VALUES ('file:///s/again.gz'), ('file:///s/gone.gz');
DELETE FROM rtcstats_dumps;
INSERT INTO rtcstats_dumps (blob_url) VALUES ('file:///s/again.gz');
SELECT * FROM rtcstats_claim_deleted_objects(100);
SELECT blob_url AS still_queued FROM rtcstats_deleted_objects;
DELETE FROM rtcstats_dumps;
DELETE FROM rtcstats_deleted_objects;
