/*
 * 40-retention.sql: deleting old dumps.  A dump is a row (with its feature,
 * analysis and observation rows, which go by ON DELETE CASCADE) and a stored
 * object.  SQL cannot delete an object in S3 inside a transaction that may
 * still roll back, so deleting a row queues its blob_url in
 * rtcstats_deleted_objects, in the same transaction; a purger deletes the
 * objects afterwards and dequeues them: rtcstats-worker (when it has
 * --storage-url) or the extension's background workers.  A rolled-back
 * delete queues nothing; an object is deleted at least once, never while
 * its row exists.
 *
 *   SELECT rtcstats_delete_dumps_older_than('90 days');          -- rows
 *   SELECT * FROM rtcstats_claim_deleted_objects(100);            -- purger
 *   SELECT rtcstats_object_deleted(blob_url [, error]);          -- purger
 */

CREATE TABLE @extschema@.rtcstats_deleted_objects (
	blob_url			text PRIMARY KEY,
	dump_id				uuid,
	deleted_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	claimed_at			timestamptz,
	attempts			integer NOT NULL DEFAULT 0,
	next_attempt_at		timestamptz,
	last_error			text
);

COMMENT ON TABLE @extschema@.rtcstats_deleted_objects IS
'Stored objects of deleted dumps, waiting to be deleted from storage by a purger (rtcstats-worker --storage-url, or the background workers).';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.blob_url IS 'The object''s URL (the deleted row''s blob_url).';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.dump_id IS 'Id of the deleted dump.';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.deleted_at IS 'When the dump row was deleted.';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.claimed_at IS 'When a purger took the object; a claim older than rtcstats.claim_timeout is taken again.';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.attempts IS 'Deletion attempts so far.';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.next_attempt_at IS 'After a failure: not retried before this time.';
COMMENT ON COLUMN @extschema@.rtcstats_deleted_objects.last_error IS 'Error of the last failed deletion.';

CREATE INDEX rtcstats_deleted_objects_deleted_at_idx ON @extschema@.rtcstats_deleted_objects (deleted_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.rtcstats_deleted_objects', '');

/*
 * Deleting dumps queues their objects: a trigger, so that a plain
 * DELETE FROM rtcstats_dumps by a user or a script does it too.
 */
CREATE FUNCTION @extschema@._rtcstats_queue_deleted_objects()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	INSERT INTO @extschema@.rtcstats_deleted_objects (blob_url, dump_id)
	SELECT o.blob_url, o.id FROM old_rows AS o WHERE o.blob_url IS NOT NULL
	ON CONFLICT (blob_url) DO NOTHING;
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_queue_deleted_objects() IS
'Internal: queues the objects of deleted dumps in rtcstats_deleted_objects.';

CREATE TRIGGER rtcstats_dumps_queue_deleted_objects
	AFTER DELETE ON @extschema@.rtcstats_dumps
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._rtcstats_queue_deleted_objects();

/* The arguments of both retention entry points, checked in one place. */
CREATE FUNCTION @extschema@._rtcstats_check_retention_args(age interval, batch_size integer)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	IF age IS NULL OR age < interval '0' THEN
		RAISE EXCEPTION 'age must be a positive interval, not "%"', age
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'batch_size must be at least 1, not %', batch_size
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_check_retention_args(interval, integer) IS
'Internal: raises invalid_parameter_value for a negative or NULL age or a batch_size below 1.';

/*
 * rtcstats_delete_dumps_older_than(age, batch_size): deletes the dumps
 * created more than age ago, batch_size rows per statement (bounded
 * memory for the cascades and the trigger's transition table), and returns
 * how many it deleted.  Rows locked by a worker storing their features are
 * skipped, to be deleted by the next run.  One transaction: for a large
 * backlog use CALL rtcstats_delete_old_dumps(...), which commits each batch.
 */
CREATE FUNCTION @extschema@.rtcstats_delete_dumps_older_than(age interval, batch_size integer DEFAULT 1000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
	total		bigint := 0;
	n			bigint;
BEGIN
	PERFORM @extschema@._rtcstats_check_retention_args(age, batch_size);
	LOOP
		n := @extschema@._rtcstats_delete_batch(pg_catalog.now() - age, batch_size);
		total := total + n;
		EXIT WHEN n < batch_size;
	END LOOP;
	RETURN total;
END
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_delete_dumps_older_than(interval, integer) IS
'Deletes the dumps created more than age ago (with their features and analysis) in batches, queues their stored objects for deletion, and returns how many dumps it deleted.';

CREATE FUNCTION @extschema@._rtcstats_delete_batch(before timestamptz, batch_size integer)
RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
	WITH victims AS (
		SELECT d.id
		FROM @extschema@.rtcstats_dumps AS d
		WHERE d.created_at < $1
		ORDER BY d.created_at
		LIMIT $2
		FOR UPDATE SKIP LOCKED
	), gone AS (
		DELETE FROM @extschema@.rtcstats_dumps AS d
		USING victims AS v
		WHERE d.id = v.id
		RETURNING 1
	)
	SELECT count(*) FROM gone
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_delete_batch(timestamptz, integer) IS
'Internal: deletes at most batch_size dumps created before a time.';

/*
 * The same as a procedure that commits after every batch, so a backlog of
 * millions neither holds its locks nor its WAL in one transaction.  Call it
 * outside a transaction block (CALL ..., or from pg_cron).  A procedure with
 * a SET clause cannot COMMIT, so its search_path is the caller's: every name
 * in it is qualified, operators too.
 */
CREATE PROCEDURE @extschema@.rtcstats_delete_old_dumps(age interval, batch_size integer DEFAULT 1000)
LANGUAGE plpgsql
AS $$
DECLARE
	n			bigint;
BEGIN
	PERFORM @extschema@._rtcstats_check_retention_args(age, batch_size);
	LOOP
		n := @extschema@._rtcstats_delete_batch(pg_catalog.now() OPERATOR(pg_catalog.-) age, batch_size);
		COMMIT;
		EXIT WHEN n OPERATOR(pg_catalog.<) batch_size;
	END LOOP;
END
$$;

COMMENT ON PROCEDURE @extschema@.rtcstats_delete_old_dumps(interval, integer) IS
'Like rtcstats_delete_dumps_older_than, committing after every batch.';

/*
 * rtcstats_claim_deleted_objects(max): up to max queued objects for a
 * purger, oldest first, skipping those another purger holds or that wait out
 * a failure's backoff.  The purger deletes each from storage, then calls
 * rtcstats_object_deleted(blob_url) (or with the error).  Objects that are
 * already gone count as deleted (the storage clients treat a missing object
 * as success).  An object that a row refers to again (blob_url is unique:
 * a dump inserted anew after its row was deleted) is never handed out: it
 * leaves the queue instead.
 */
CREATE FUNCTION @extschema@.rtcstats_claim_deleted_objects(max_objects integer DEFAULT 100)
RETURNS TABLE (blob_url text)
LANGUAGE sql VOLATILE
AS $$
	WITH c AS (
		SELECT q.blob_url,
			   EXISTS (SELECT FROM @extschema@.rtcstats_dumps AS d
					   WHERE d.blob_url OPERATOR(pg_catalog.=) q.blob_url) AS in_use
		FROM @extschema@.rtcstats_deleted_objects AS q
		WHERE (q.claimed_at IS NULL
			   OR q.claimed_at < pg_catalog.now() - @extschema@._rtcstats_claim_timeout())
		  AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= pg_catalog.now())
		ORDER BY q.deleted_at
		LIMIT greatest($1, 0)
		FOR UPDATE SKIP LOCKED
	), in_use AS (
		DELETE FROM @extschema@.rtcstats_deleted_objects AS o
		USING c
		WHERE o.blob_url OPERATOR(pg_catalog.=) c.blob_url AND c.in_use
	)
	UPDATE @extschema@.rtcstats_deleted_objects AS o
	SET claimed_at = pg_catalog.now(), attempts = o.attempts + 1
	FROM c
	WHERE o.blob_url OPERATOR(pg_catalog.=) c.blob_url AND NOT c.in_use
	RETURNING o.blob_url
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_claim_deleted_objects(integer) IS
'Claims up to max_objects queued objects of deleted dumps for a purger.';

/*
 * rtcstats_object_deleted(blob_url, error): the purger's answer.  Without an
 * error the object is gone and leaves the queue; with one it is retried after
 * a backoff (1 minute doubling, at most 1 day: a misconfigured bucket should
 * not be hammered).
 */
CREATE FUNCTION @extschema@.rtcstats_object_deleted(blob_url text, error text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
	IF error IS NULL THEN
		DELETE FROM @extschema@.rtcstats_deleted_objects AS o WHERE o.blob_url = $1;
	ELSE
		UPDATE @extschema@.rtcstats_deleted_objects AS o
		SET claimed_at = NULL,
			last_error = pg_catalog.left($2, 4000),
			next_attempt_at = pg_catalog.now()
				+ least(pg_catalog.make_interval(mins => 1)
								   * pg_catalog.power(2, least(greatest(o.attempts - 1, 0), 20)::double precision),
								   pg_catalog.make_interval(days => 1))
		WHERE o.blob_url = $1;
	END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_object_deleted(text, text) IS
'A purger reports an object deleted from storage (error NULL) or a failure to delete it (retried later).';
