/*
 * 90-privileges.sql: name resolution pinned, and who may do what
 * (docs/operations.md, "Roles and privileges").  The last part of the install
 * script, so it sees every function the parts before created.
 *
 * 1. search_path.  Every function written in SQL or PL/pgSQL, and every C
 *    function that runs SQL, runs with search_path = pg_catalog, pg_temp: an
 *    unqualified operator, function, aggregate or type resolves in pg_catalog
 *    only, whatever the caller's search_path (CVE-2018-1058: a role that may
 *    create objects in a schema on that path could otherwise plant a better
 *    match, e.g. public.=(uuid, uuid), and have it run as the caller, a
 *    superuser or the background workers).  The extension's own schema is
 *    left out of the path, not just put after pg_catalog: the bodies name
 *    their objects @extschema@.x, and a schema others may write to (public)
 *    stays out of reach even for an overload that matches better than a
 *    built-in.  Not pinned, and qualified throughout instead: the small SQL
 *    helpers the planner inlines into their callers (a SET clause stops
 *    inlining), the procedures (a procedure with a SET clause cannot COMMIT),
 *    and the C functions that resolve no name at all.
 * 2. The worker API and the purge queue run as the extension's owner
 *    (SECURITY DEFINER, pinned by 1.), so a worker needs EXECUTE on them and
 *    nothing on the tables; the queue trigger too, so that any role allowed
 *    to delete dumps queues their objects.
 * 3. Three NOLOGIN group roles, created when missing (roles belong to the
 *    cluster, not to the extension: they outlive DROP EXTENSION, and a second
 *    database's CREATE EXTENSION reuses them): rtcstats_ingest (the proxy),
 *    rtcstats_worker (rtcstats-worker and any external extractor),
 *    rtcstats_reader (dashboards, reports).  GRANT one to a LOGIN role.
 * 4. PUBLIC keeps EXECUTE only on the three text anonymizers (bounded,
 *    no data read); everything else is revoked, including the functions over
 *    caller bytes (rtcstats_features(bytea) ... inflate whatever they are
 *    given in the server's memory) and every internal _rtcstats_* function.
 */

-- 1. search_path pinned, and 4. PUBLIC keeps the text anonymizers only
DO $$
DECLARE
	f			record;
BEGIN
	FOR f IN
		SELECT p.oid::regprocedure AS proc,
			   p.prokind OPERATOR(pg_catalog.=) 'f'
			   AND CASE WHEN l.lanname OPERATOR(pg_catalog.=) ANY ('{sql,plpgsql}'::text[]) THEN
					-- inlined helpers, qualified throughout
					p.proname OPERATOR(pg_catalog.<>) ALL ('{_rtcstats_setting,_rtcstats_max_attempts,_rtcstats_interval_setting,_rtcstats_claim_timeout,_rtcstats_retry_delay,_rtcstats_epoch_ms,_rtcstats_snake_case,_rtcstats_json_text,_rtcstats_json_number}'::text[])
				   ELSE
					-- the C functions that run SQL (SPI); the procedure
					-- rtcstats_extract_pending (C) cannot be pinned and qualifies
					-- every name it runs (extract.c)
					p.proname OPERATOR(pg_catalog.=) ANY ('{rtcstats_fetch_dump,rtcstats_extract_features,rtcstats_extract_pending}'::text[])
					OR (p.proname OPERATOR(pg_catalog.=) 'rtcstats_dump_events'
						AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'pg_catalog.uuid'::pg_catalog.regtype)
				   END AS pin,
			   p.proname OPERATOR(pg_catalog.=) ANY ('{rtcstats_obfuscate_address,rtcstats_anonymize_candidate,rtcstats_anonymize_sdp}'::text[]) AS public
		FROM pg_catalog.pg_depend AS d
		JOIN pg_catalog.pg_extension AS e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
		JOIN pg_catalog.pg_proc AS p ON p.oid OPERATOR(pg_catalog.=) d.objid
		JOIN pg_catalog.pg_language AS l ON l.oid OPERATOR(pg_catalog.=) p.prolang
		WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		  AND d.deptype OPERATOR(pg_catalog.=) 'e'
		  AND e.extname OPERATOR(pg_catalog.=) 'rtcstats'
	LOOP
		IF f.pin THEN
			EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f.proc);
		END IF;
		IF NOT f.public THEN
			EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f.proc);
		END IF;
	END LOOP;
END
$$;

-- 2. run as the owner
ALTER FUNCTION @extschema@.rtcstats_claim_dump(text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.rtcstats_store_features(uuid, jsonb, jsonb) SECURITY DEFINER;
ALTER FUNCTION @extschema@.rtcstats_record_failure(uuid, text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.rtcstats_record_outage(uuid, text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.rtcstats_claim_deleted_objects(integer) SECURITY DEFINER;
ALTER FUNCTION @extschema@.rtcstats_object_deleted(text, text) SECURITY DEFINER;
ALTER FUNCTION @extschema@._rtcstats_queue_deleted_objects() SECURITY DEFINER;

-- 3. the roles, when missing (an existing one is reused as it is)
DO $$
DECLARE
	r			text;
BEGIN
	FOREACH r IN ARRAY '{rtcstats_ingest,rtcstats_worker,rtcstats_reader}'::text[] LOOP
		IF EXISTS (SELECT FROM pg_catalog.pg_roles AS a WHERE a.rolname OPERATOR(pg_catalog.=) r) THEN
			RAISE NOTICE 'role "%" already exists, reused', r;
		ELSE
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

GRANT USAGE ON SCHEMA @extschema@ TO rtcstats_ingest, rtcstats_worker, rtcstats_reader;

-- ingest: the proxy's INSERT (proxy/uploader.c) and nothing more; SELECT on
-- id because ON CONFLICT (id) DO NOTHING reads it
GRANT INSERT (id, session_start, session_end, blob_url, metadata, client_id, rtcstats_user,
			  rtcstats_conference, rtcstats_session, host_identifier, size_bytes),
	  SELECT (id)
	ON @extschema@.rtcstats_dumps TO rtcstats_ingest;

-- worker: the worker API (rtcstats-worker calls these and nothing else);
-- rtcstats_fetch_dump, for rtcstats-worker without --storage-url, reads the
-- dump's blob_url as the caller
GRANT EXECUTE ON FUNCTION
	@extschema@.rtcstats_claim_dump(text),
	@extschema@.rtcstats_store_features(uuid, jsonb, jsonb),
	@extschema@.rtcstats_record_failure(uuid, text),
	@extschema@.rtcstats_record_outage(uuid, text),
	@extschema@.rtcstats_claim_deleted_objects(integer),
	@extschema@.rtcstats_object_deleted(text, text),
	@extschema@.rtcstats_fetch_dump(uuid)
	TO rtcstats_worker;
GRANT SELECT (id, blob_url) ON @extschema@.rtcstats_dumps TO rtcstats_worker;

-- reader: the rows and the reports (functions of the caller: their queries
-- see what the reader may see), and the functions over a dump at hand
GRANT SELECT ON @extschema@.rtcstats_dumps, @extschema@.features_metadata,
	@extschema@.features_client, @extschema@.features_connection, @extschema@.features_track,
	@extschema@.rtcstats_analysis, @extschema@.rtcstats_observations
	TO rtcstats_reader;
GRANT EXECUTE ON FUNCTION
	@extschema@.rtcstats_observations(uuid),
	@extschema@.rtcstats_summary(uuid),
	@extschema@.rtcstats_report(uuid),
	@extschema@.rtcstats_report_html(uuid),
	@extschema@._rtcstats_report_html(jsonb, jsonb, jsonb),
	@extschema@.rtcstats_features(bytea),
	@extschema@.rtcstats_analyze(bytea),
	@extschema@.rtcstats_dump_events(bytea),
	@extschema@.rtcstats_anonymize_dump(bytea)
	TO rtcstats_reader;
