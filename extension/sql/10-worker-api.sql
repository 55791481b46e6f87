/*
 * 10-worker-api.sql: claim, store, fail.  The single definition of the
 * extraction cycle's database side: the in-database workers (C, via SPI) and
 * rtcstats-worker (libpq, any host) call these three functions and nothing
 * else, so both paths turn features into the same rows.
 *
 *   SELECT * FROM rtcstats_claim_dump('host-1/worker-0');  -- dump_id, blob_url
 *   ... fetch the object, extract features and analysis ...
 *   SELECT rtcstats_store_features(dump_id, features, analysis);
 *   -- or, on any error:
 *   SELECT rtcstats_record_failure(dump_id, 'could not read dump: ...');
 *   -- or, when storage or the database was unavailable (an outage):
 *   SELECT rtcstats_record_outage(dump_id, 'could not fetch ...: storage unreachable');
 *
 * Claim in a short transaction of its own, fetch and extract outside any
 * transaction (a snapshot held across I/O pins xmin), store in one.
 */

/*
 * A setting of the extension read without requiring the library to be
 * loaded: rtcstats-worker may run against a server that never loaded
 * rtcstats.so, where rtcstats.* are unknown (or placeholders set by ALTER
 * SYSTEM / ALTER DATABASE).  Empty and unset give the default.
 *
 * This helper and the few like it (_rtcstats_max_attempts, _rtcstats_epoch_ms,
 * _rtcstats_json_text, ...) have no SET search_path, so the planner can
 * inline them into the queries that call them per row; instead every name in
 * them, operators included, is qualified (OPERATOR(pg_catalog.=), and CASE
 * rather than nullif, whose "=" would be looked up in the caller's
 * search_path), so a caller's search_path cannot reach a planted object
 * (90-privileges.sql pins every other function).
 */
CREATE FUNCTION @extschema@._rtcstats_setting(name text, default_value text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN pg_catalog.current_setting(name, true) OPERATOR(pg_catalog.<>) ''
				THEN pg_catalog.current_setting(name, true) ELSE default_value END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_setting(text, text) IS
'Internal: current_setting(name) or default_value when unset or empty.';

/*
 * rtcstats.max_attempts, rtcstats.claim_timeout and rtcstats.retry_delay as
 * values.  The C side defines the times with a unit, so current_setting()
 * shows them as e.g. "10min", which is valid interval input; a bare number
 * is seconds.
 */
CREATE FUNCTION @extschema@._rtcstats_max_attempts()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT @extschema@._rtcstats_setting('rtcstats.max_attempts'::text, '5'::text)::integer
$$;

CREATE FUNCTION @extschema@._rtcstats_interval_setting(name text, default_value text)
RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN v OPERATOR(pg_catalog.~) '^\s*[0-9]+\s*$'::text
				THEN pg_catalog.make_interval(secs => v::double precision)
		   ELSE v::interval END
	FROM (SELECT @extschema@._rtcstats_setting(name, default_value) AS v) s
$$;

CREATE FUNCTION @extschema@._rtcstats_claim_timeout()
RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT @extschema@._rtcstats_interval_setting('rtcstats.claim_timeout'::text, '10min'::text)
$$;

CREATE FUNCTION @extschema@._rtcstats_retry_delay()
RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT @extschema@._rtcstats_interval_setting('rtcstats.retry_delay'::text, '1min'::text)
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_max_attempts() IS
'Internal: rtcstats.max_attempts, 5 when unset.';
COMMENT ON FUNCTION @extschema@._rtcstats_interval_setting(text, text) IS
'Internal: a time setting (a number of seconds or an interval) as an interval.';
COMMENT ON FUNCTION @extschema@._rtcstats_claim_timeout() IS
'Internal: rtcstats.claim_timeout as an interval, 10 minutes when unset.';
COMMENT ON FUNCTION @extschema@._rtcstats_retry_delay() IS
'Internal: rtcstats.retry_delay as an interval, 1 minute when unset.';

/*
 * rtcstats_claim_dump: the dump that has been due longest (since it was
 * inserted, or since its backoff ended) among those not extracted, not given
 * up and not claimed (or whose claim is older than rtcstats.claim_timeout:
 * the worker holding it died).  SKIP LOCKED lets any number of workers claim
 * concurrently without ever getting the same row.  The scan follows
 * rtcstats_dumps_pending_idx up to now(), so given-up dumps and those
 * waiting out a backoff are never read.
 *
 * The attempt is counted here, not on failure, so a dump that crashes its
 * worker (and never reaches rtcstats_record_failure) still runs out of
 * attempts: one found here with none left is given up (failed_at) and the
 * next is taken.  An outage gives the attempt back (rtcstats_record_outage).
 */
CREATE FUNCTION @extschema@.rtcstats_claim_dump(worker text DEFAULT NULL)
RETURNS TABLE (dump_id uuid, blob_url text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
	c			record;
	max_att		integer := @extschema@._rtcstats_max_attempts();
	stale		timestamptz := pg_catalog.now() - @extschema@._rtcstats_claim_timeout();
BEGIN
	LOOP
		SELECT x.id, x.attempts INTO c
		FROM @extschema@.rtcstats_dumps AS x
		WHERE x.extracted_at IS NULL AND x.failed_at IS NULL
		  AND coalesce(x.next_attempt_at, x.created_at) <= pg_catalog.now()
		  AND (x.claimed_at IS NULL OR x.claimed_at < stale)
		ORDER BY coalesce(x.next_attempt_at, x.created_at), x.id
		LIMIT 1
		FOR UPDATE SKIP LOCKED;
		IF NOT FOUND THEN
			RETURN;
		END IF;
		IF c.attempts < max_att THEN
			RETURN QUERY
			UPDATE @extschema@.rtcstats_dumps AS d
			SET claimed_at = pg_catalog.now(),
				claimed_by = coalesce(worker, pg_catalog.current_setting('application_name') || ' pid '
									  || pg_catalog.pg_backend_pid()),
				attempts = d.attempts + 1
			WHERE d.id = c.id
			RETURNING d.id, d.blob_url;
			RETURN;
		END IF;
		-- its attempts ran out without a recorded failure (its workers died)
		UPDATE @extschema@.rtcstats_dumps AS d
		SET failed_at = pg_catalog.now(), claimed_at = NULL,
			last_error = coalesce(d.last_error, pg_catalog.format('gave up after %s attempts', d.attempts))
		WHERE d.id = c.id;
	END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_claim_dump(text) IS
'Claims the dump due longest for extraction (FOR UPDATE SKIP LOCKED) for worker; returns no row when there is none.';

/*
 * A time as upstream prints it (a JSON number, ms since the epoch) as a
 * timestamptz; NULL for anything else or outside the years 1 .. 99999 that
 * timestamptz holds.
 */
CREATE FUNCTION @extschema@._rtcstats_epoch_ms(ms jsonb)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN pg_catalog.jsonb_typeof(ms) OPERATOR(pg_catalog.=) 'number'::text
					 AND ms::numeric OPERATOR(pg_catalog.>=) -62135596800000::numeric
					 AND ms::numeric OPERATOR(pg_catalog.<=) 3093527980800000::numeric
				THEN pg_catalog.to_timestamp(ms::double precision OPERATOR(pg_catalog./) 1000::double precision) END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_epoch_ms(jsonb) IS
'Internal: a JSON number of ms since the epoch as timestamptz (NULL if not a number or out of range).';

/* camelCase feature name -> snake_case column name (iceConnectionTime -> ice_connection_time). */
CREATE FUNCTION @extschema@._rtcstats_snake_case(name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT pg_catalog.lower(pg_catalog.regexp_replace(name, '([A-Z])'::text, '_\1'::text, 'g'::text))
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_snake_case(text) IS
'Internal: the column name of a feature (camelCase to snake_case).';

/*
 * _rtcstats_feature_rows: features objects (a JSON array) as rows of a
 * features table: a JSON array, in the same order, of objects mapping column
 * names to JSON values the column types accept, in one pass.
 *
 * A feature goes to the column of its snake_case name when the JSON type
 * fits the column type: number -> integer types (rounded, within range),
 * double precision, or timestamptz (ms since the epoch, as every upstream
 * startTime is); boolean -> boolean; string -> text; anything -> jsonb or
 * text (as JSON text).  A JSON null (NaN/Infinity in upstream's output) sets
 * the column NULL.  Anything else, a name that is not plain camelCase, or a
 * column in reserved (keys, bookkeeping) goes to "extra" as printed: an
 * unknown feature or an odd value never fails the dump, and a hostile client
 * cannot write dump_id through a field of its create event.
 */
CREATE FUNCTION @extschema@._rtcstats_feature_rows(tab regclass, reserved text[], objs jsonb)
RETURNS jsonb
-- C (extension/src/feature_rows.c): as one SQL query over pg_attribute and
-- jsonb_each it was the costliest step of storing a dump
AS 'MODULE_PATHNAME', 'rtcstats_feature_rows'
LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION @extschema@._rtcstats_feature_rows(regclass, text[], jsonb) IS
'Internal: features objects as column values of a features table (the rest in "extra").';

/*
 * Inserts rows (a JSON array of objects: column -> value) into a features
 * table in one statement.  The columns are those any row names, so a feature
 * absent from every row gets its column default (upstream's DEFAULT false /
 * 0 where it has one); when some rows have it and others not, those others
 * get the default too (looked up only then: deparsing defaults is slow).
 */
CREATE FUNCTION @extschema@._rtcstats_insert_rows(tab regclass, row_set jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
	cols		text;
	defaults	jsonb;
	n			integer;
BEGIN
	n := pg_catalog.jsonb_array_length(coalesce(row_set, '[]'));
	IF n = 0 THEN
		RETURN;
	END IF;
	-- one pass over the keys for both the column list and the defaults
	SELECT pg_catalog.string_agg(pg_catalog.quote_ident(present.k), ', ' ORDER BY pg_catalog.quote_ident(present.k)),
		   pg_catalog.jsonb_object_agg(present.k, dv.v::jsonb)
			   FILTER (WHERE dv.v ~ '^(true|false|-?[0-9]+(\.[0-9]+)?)$')
	INTO cols, defaults
	FROM (SELECT k, count(*) AS c
		  FROM pg_catalog.jsonb_array_elements(row_set) AS r, pg_catalog.jsonb_object_keys(r) AS k
		  GROUP BY k) AS present
	LEFT JOIN LATERAL (
		SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS v
		FROM pg_catalog.pg_attribute AS a
		JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE present.c < n AND a.attrelid = tab AND a.attname = present.k) AS dv ON true;
	IF defaults IS NOT NULL THEN
		SELECT pg_catalog.jsonb_agg(defaults || r.value ORDER BY r.ordinality)
		INTO row_set
		FROM pg_catalog.jsonb_array_elements(row_set) WITH ORDINALITY AS r;
	END IF;
	EXECUTE pg_catalog.format('INSERT INTO %s (%s) SELECT %s FROM pg_catalog.jsonb_populate_recordset(NULL::%s, $1)',
							  tab, cols, cols, tab)
	USING row_set;
END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_insert_rows(regclass, jsonb) IS
'Internal: inserts rows given as a JSON array of objects into a features table.';

/*
 * rtcstats_store_features: the one place where a features JSON becomes rows.
 *
 * features is the JSON rtcstats-features prints (docs/features.md): client
 * features at the top level, "peerConnections": [{connection features...,
 * "tracks": [{track features...}]}].  analysis is rtcstats_analysis_finish()'s
 * object (stored by _rtcstats_store_analysis, 30-analysis.sql).
 *
 * connection_identifier, the peer connection id in the dump (e.g. "PC_0")
 * that links a connection to its observations, is not part of the features
 * JSON: it is the "connectionIdentifier" a host added to a connection (as
 * upstream's app.js stores it; left out of the JSON kept in
 * features_metadata.features), else the element of the same position in
 * analysis "connections" (the ids in peerConnections order), else NULL.
 *
 * Replaces every feature, analysis and observation row of the dump, so a
 * retry or a re-extraction is harmless, and marks the dump extracted.  One
 * transaction: the caller's.  One INSERT per table, whatever the number of
 * connections and tracks.
 */
CREATE FUNCTION @extschema@.rtcstats_store_features(dump_id uuid, features jsonb,
													analysis jsonb DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	d			record;
	m			jsonb;
	pcs			jsonb;
	bad			bigint;
	bad_track	bigint;
	conns		jsonb;
	loc			jsonb;
	seq			regclass;
BEGIN
	IF dump_id IS NULL THEN
		RAISE EXCEPTION 'dump id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF features IS NULL OR pg_catalog.jsonb_typeof(features) <> 'object' THEN
		RAISE EXCEPTION 'features of dump "%" must be a JSON object', dump_id
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(features), 'NULL')),
				  HINT = 'Pass the JSON rtcstats-features prints.';
	END IF;
	pcs := coalesce(features->'peerConnections', '[]');
	IF pg_catalog.jsonb_typeof(pcs) <> 'array' THEN
		RAISE EXCEPTION 'features of dump "%": "peerConnections" must be an array', dump_id
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT min(e.ordinality) - 1 INTO bad
	FROM pg_catalog.jsonb_array_elements(pcs) WITH ORDINALITY AS e
	WHERE pg_catalog.jsonb_typeof(e.value) <> 'object';
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'features of dump "%": peerConnections[%] must be an object', dump_id, bad
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT e.ordinality - 1, t.ordinality - 1 INTO bad, bad_track
	FROM pg_catalog.jsonb_array_elements(pcs) WITH ORDINALITY AS e,
		 pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(e.value->'tracks') = 'array'
											  THEN e.value->'tracks' ELSE '[]' END) WITH ORDINALITY AS t
	WHERE pg_catalog.jsonb_typeof(t.value) <> 'object'
	ORDER BY 1, 2 LIMIT 1;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'features of dump "%": peerConnections[%].tracks[%] must be an object',
			dump_id, bad, bad_track
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF analysis IS NOT NULL AND pg_catalog.jsonb_typeof(analysis) NOT IN ('object', 'null') THEN
		RAISE EXCEPTION 'analysis of dump "%" must be a JSON object', dump_id
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	SELECT * INTO d FROM @extschema@.rtcstats_dumps AS x WHERE x.id = dump_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'dump "%" does not exist', dump_id
			USING ERRCODE = 'no_data_found';
	END IF;

	-- tracks go with their connection (ON DELETE CASCADE)
	DELETE FROM @extschema@.features_connection AS x WHERE x.dump_id = d.id;
	DELETE FROM @extschema@.features_client AS x WHERE x.dump_id = d.id;
	DELETE FROM @extschema@.features_metadata AS x WHERE x.dump_id = d.id;

	-- features_metadata: the metadata line, as upstream's app.js reads it
	m := CASE WHEN pg_catalog.jsonb_typeof(d.metadata) = 'object' THEN d.metadata ELSE '{}' END;
	loc := CASE WHEN pg_catalog.jsonb_typeof(m->'locations') = 'array' THEN m->'locations'->0 END;
	INSERT INTO @extschema@.features_metadata
		(dump_id, start_time, url, origin, useragent, client_protocol, file_format,
		 number_peerconnections, location_continent, location_country, location_city, features)
	SELECT d.id,
		   @extschema@._rtcstats_epoch_ms(m->'startTime'),
		   m->>'url', m->>'origin', m->>'userAgent', m->>'clientProtocol',
		   CASE WHEN pg_catalog.jsonb_typeof(m->'fileFormat') = 'number'
					 AND (m->>'fileFormat')::numeric BETWEEN 0 AND 1000
				THEN pg_catalog.round((m->>'fileFormat')::numeric)::integer END,
		   pg_catalog.jsonb_array_length(pcs),
		   loc #>> '{continent,names,en}', loc #>> '{country,names,en}', loc #>> '{city,names,en}',
		   -- as the extractor printed it: without the ids a host added
		   CASE WHEN features ? 'peerConnections'
					 AND EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(pcs) AS e
								 WHERE e.value ? 'connectionIdentifier')
				THEN pg_catalog.jsonb_set(features, '{peerConnections}',
						coalesce((SELECT pg_catalog.jsonb_agg(e.value - 'connectionIdentifier' ORDER BY e.ordinality)
								  FROM pg_catalog.jsonb_array_elements(pcs) WITH ORDINALITY AS e), '[]'))
				ELSE features END;

	PERFORM @extschema@._rtcstats_insert_rows('@extschema@.features_client'::regclass,
		(SELECT pg_catalog.jsonb_agg(r.value || pg_catalog.jsonb_build_object('dump_id', d.id))
		 FROM pg_catalog.jsonb_array_elements(@extschema@._rtcstats_feature_rows(
				'@extschema@.features_client'::regclass, '{dump_id,extra}'::text[],
				pg_catalog.jsonb_build_array(features - 'peerConnections'))) AS r));

	-- connections get their ids first: the tracks reference them
	seq := pg_catalog.pg_get_serial_sequence('@extschema@.features_connection', 'id')::regclass;
	SELECT pg_catalog.jsonb_agg(
			r.value
			|| pg_catalog.jsonb_build_object(
				'id', pg_catalog.nextval(seq),
				'dump_id', d.id,
				'connection_index', r.ordinality - 1,
				'connection_identifier',
				CASE WHEN pg_catalog.jsonb_typeof(pcs->(r.ordinality::integer - 1)->'connectionIdentifier') = 'string'
					 THEN pcs->(r.ordinality::integer - 1)->'connectionIdentifier'
					 WHEN pg_catalog.jsonb_typeof(analysis->'connections') = 'array'
						  AND pg_catalog.jsonb_array_length(analysis->'connections') = pg_catalog.jsonb_array_length(pcs)
						  AND pg_catalog.jsonb_typeof(analysis->'connections'->(r.ordinality::integer - 1)) = 'string'
					 THEN analysis->'connections'->(r.ordinality::integer - 1) END)
			ORDER BY r.ordinality)
	INTO conns
	FROM pg_catalog.jsonb_array_elements(@extschema@._rtcstats_feature_rows(
			'@extschema@.features_connection'::regclass, '{id,dump_id,connection_index,connection_identifier,extra}'::text[],
			(SELECT pg_catalog.jsonb_agg(e.value - 'tracks' - 'connectionIdentifier' ORDER BY e.ordinality)
			 FROM pg_catalog.jsonb_array_elements(pcs) WITH ORDINALITY AS e))) WITH ORDINALITY AS r;
	IF conns IS NOT NULL THEN
		PERFORM @extschema@._rtcstats_insert_rows('@extschema@.features_connection'::regclass, conns);
		-- tracks: one array for the whole dump, then their keys
		WITH t AS (
			SELECT e.ordinality - 1 AS pc_index, x.ordinality - 1 AS track_index, x.value,
				   pg_catalog.row_number() OVER (ORDER BY e.ordinality, x.ordinality) AS n
			FROM pg_catalog.jsonb_array_elements(pcs) WITH ORDINALITY AS e,
				 pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(e.value->'tracks') = 'array'
													  THEN e.value->'tracks' ELSE '[]' END) WITH ORDINALITY AS x
		), converted AS (
			SELECT r.value, r.ordinality AS n
			FROM pg_catalog.jsonb_array_elements(@extschema@._rtcstats_feature_rows(
					'@extschema@.features_track'::regclass, '{id,dump_id,connection_id,track_index,extra}'::text[],
					(SELECT coalesce(pg_catalog.jsonb_agg(t.value ORDER BY t.n), '[]') FROM t))) WITH ORDINALITY AS r
		)
		SELECT pg_catalog.jsonb_agg(converted.value || pg_catalog.jsonb_build_object(
					'dump_id', d.id, 'connection_id', conns->(t.pc_index::integer)->'id',
					'track_index', t.track_index) ORDER BY t.n)
		INTO m
		FROM t JOIN converted USING (n);
		PERFORM @extschema@._rtcstats_insert_rows('@extschema@.features_track'::regclass, m);
	END IF;

	-- 30-analysis.sql; plpgsql resolves it at run time
	PERFORM @extschema@._rtcstats_store_analysis(d.id,
		CASE WHEN pg_catalog.jsonb_typeof(analysis) = 'object' THEN analysis END);

	UPDATE @extschema@.rtcstats_dumps AS x
	SET extracted_at = pg_catalog.now(), claimed_at = NULL, last_error = NULL, next_attempt_at = NULL,
		outages = 0, failed_at = NULL
	WHERE x.id = d.id;
END
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_store_features(uuid, jsonb, jsonb) IS
'Stores the features (and analysis) of a dump, replacing any stored before, and marks it extracted.';

/*
 * A failed attempt, both kinds: the error kept, the claim released, and the
 * next attempt after a backoff.  A data error (outage false) spends the
 * attempt rtcstats_claim_dump counted and gives the dump up after
 * rtcstats.max_attempts; an outage gives the attempt back and counts the
 * outages in a row instead.
 */
CREATE FUNCTION @extschema@._rtcstats_fail_attempt(dump_id uuid, error text, outage boolean)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
	UPDATE @extschema@.rtcstats_dumps AS d
	SET last_error = pg_catalog.left(coalesce($2, 'unknown error'), 4000),
		claimed_at = NULL,
		attempts = CASE WHEN $3 THEN greatest(d.attempts - 1, 0) ELSE d.attempts END,
		outages = CASE WHEN $3 THEN d.outages + 1 ELSE 0 END,
		failed_at = CASE WHEN NOT $3 AND d.attempts >= @extschema@._rtcstats_max_attempts()
						 THEN pg_catalog.now() END,
		next_attempt_at = pg_catalog.now() + @extschema@._rtcstats_retry_delay()
			* CASE WHEN $3 THEN least(pg_catalog.power(2, least(d.outages, 20)::double precision), 5)
				   ELSE least(pg_catalog.power(2, least(greatest(d.attempts - 1, 0), 20)::double precision), 60) END
	WHERE d.id = $1 AND d.extracted_at IS NULL
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_fail_attempt(uuid, text, boolean) IS
'Internal: records a failed attempt, a data error or an outage.';

/*
 * rtcstats_record_failure: the attempt failed on the dump itself (the
 * object is not a dump, is corrupt, is missing, or its features could not
 * be stored).  The dump stays unextracted and is retried after a backoff
 * that doubles with every attempt: rtcstats.retry_delay (1 min), 2x, 4x, ...
 * capped at 60x (1 hour), until rtcstats.max_attempts attempts were made;
 * then it is given up (failed_at), out of the queue until
 * rtcstats_retry_dump().  A dump that no longer exists (deleted meanwhile)
 * is ignored.
 */
CREATE FUNCTION @extschema@.rtcstats_record_failure(dump_id uuid, error text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
	SELECT @extschema@._rtcstats_fail_attempt($1, $2, false)
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_record_failure(uuid, text) IS
'Records a failed extraction attempt (a data error): the error, and a retry after an exponential backoff (rtcstats.retry_delay doubling, at most 60 times it); given up after rtcstats.max_attempts.';

/*
 * rtcstats_record_outage: the attempt failed because storage or the
 * database could not be reached (connection refused, timeout, HTTP 5xx or
 * another storage error, I/O error, disk full, deadlock): nothing is known
 * to be wrong with the dump.  The attempt rtcstats_claim_dump counted is
 * given back, so an outage of any length never gives a dump up; it is
 * retried after a backoff that doubles per outage in a row from
 * rtcstats.retry_delay up to 5 times it (5 min), so that the queue drains
 * soon after storage is back.
 */
CREATE FUNCTION @extschema@.rtcstats_record_outage(dump_id uuid, error text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
	SELECT @extschema@._rtcstats_fail_attempt($1, $2, true)
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_record_outage(uuid, text) IS
'Records an attempt that failed on an outage (storage or database unavailable): the error, the attempt given back, and a retry after a capped backoff (rtcstats.retry_delay doubling, at most 5 times it).';

/*
 * rtcstats_retry_dump: an operator's reset after fixing the cause (storage
 * credentials, a new extractor version): the dump gets all its attempts
 * back and is claimed again by the next worker.
 */
CREATE FUNCTION @extschema@.rtcstats_retry_dump(dump_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE
AS $$
	WITH u AS (
		UPDATE @extschema@.rtcstats_dumps AS d
		SET attempts = 0, outages = 0, next_attempt_at = NULL, claimed_at = NULL, extracted_at = NULL,
			failed_at = NULL
		WHERE d.id = $1
		RETURNING 1
	)
	SELECT count(*) > 0 FROM u
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_retry_dump(uuid) IS
'Queues a dump for extraction again (attempts reset; its stored features stay until replaced).';
