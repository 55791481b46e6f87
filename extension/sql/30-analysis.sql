/*
 * 30-analysis.sql: the analysis of each dump (docs/analysis.md): scores,
 * time series and summary in rtcstats_analysis, one row per observation in
 * rtcstats_observations, and the functions a report page reads.  Written by
 * rtcstats_store_features() in the transaction that stores the features.
 */

CREATE TABLE @extschema@.rtcstats_analysis (
	dump_id				uuid PRIMARY KEY REFERENCES @extschema@.rtcstats_dumps (id) ON DELETE CASCADE,
	created_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	experience_score	double precision,
	audio_score			double precision,
	video_score			double precision,
	connectivity_score	double precision,
	observations_count	jsonb,
	scores				jsonb,
	timeseries			jsonb,
	summary				text
);

COMMENT ON TABLE @extschema@.rtcstats_analysis IS
'The analysis of each extracted dump (docs/analysis.md): scores, per-interval time series, the plain-English summary.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.dump_id IS 'The dump (rtcstats_dumps.id).';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.created_at IS 'When the analysis was stored.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.experience_score IS 'Overall experience of the call, 1 (bad) .. 5 (excellent): scores.call.overall.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.audio_score IS 'Audio score of the call, MOS 1 .. 4.5 from the ITU-T G.107 E-model: scores.call.audio; NULL without audio.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.video_score IS 'Video score of the call, 1 .. 5 (frame rate, resolution, freezes, limitation): scores.call.video; NULL without video.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.connectivity_score IS 'Connectivity score, 1 .. 5 (success, setup time, relay, disconnections): scores.call.connectivity.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.observations_count IS 'Observations per severity, e.g. {"error": 1, "warning": 2, "info": 0}.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.scores IS 'All scores: {"call": {...}, "connections": {"<pc>": {...}}}.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.timeseries IS 'Per peer connection and track time series (bitrate, loss, jitter, RTT, fps, ...), at most 300 points each: {"<pc>": {"series", "events", "tracks"}}.';
COMMENT ON COLUMN @extschema@.rtcstats_analysis.summary IS 'A few sentences on the call, generated from the observations and scores.';

CREATE INDEX rtcstats_analysis_experience_score_idx ON @extschema@.rtcstats_analysis (experience_score);

CREATE TABLE @extschema@.rtcstats_observations (
	dump_id				uuid NOT NULL REFERENCES @extschema@.rtcstats_dumps (id) ON DELETE CASCADE,
	ordinal				integer NOT NULL,
	pc_id				text,
	track_id			text,
	type				text NOT NULL,
	category			text,
	severity			text,
	first_seen			timestamptz,
	last_seen			timestamptz,
	duration_ms			double precision,
	evidence			jsonb,
	explanation			text,
	PRIMARY KEY (dump_id, ordinal)
);

COMMENT ON TABLE @extschema@.rtcstats_observations IS
'What went wrong (or is worth knowing) in a call: one row per observation of the analysis (docs/analysis.md lists every type, trigger and threshold).';
COMMENT ON COLUMN @extschema@.rtcstats_observations.dump_id IS 'The dump (rtcstats_dumps.id).';
COMMENT ON COLUMN @extschema@.rtcstats_observations.ordinal IS 'Position in the analysis output (0-based).';
COMMENT ON COLUMN @extschema@.rtcstats_observations.pc_id IS 'Peer connection id in the dump (features_connection.connection_identifier); NULL for client-wide observations.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.track_id IS 'The track or RTP stream concerned, if any.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.type IS 'What was observed, e.g. ice_failure, video_freeze, bandwidth_limited.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.category IS 'connectivity, network, media, client or api.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.severity IS 'info, warning or error.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.first_seen IS 'When the condition was first seen (dump clock).';
COMMENT ON COLUMN @extschema@.rtcstats_observations.last_seen IS 'When it was last seen.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.duration_ms IS 'How long it lasted in total, ms, where that is meaningful.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.evidence IS 'The values that triggered the rule, as JSON.';
COMMENT ON COLUMN @extschema@.rtcstats_observations.explanation IS 'One sentence explaining the observation.';

CREATE INDEX rtcstats_observations_type_idx ON @extschema@.rtcstats_observations (type, severity);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.rtcstats_analysis', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rtcstats_observations', '');

/*
 * _rtcstats_store_analysis: replaces the analysis rows of a dump with those
 * of analysis (rtcstats_analysis_finish()'s object); NULL just removes them.
 * Called by rtcstats_store_features(); values of the wrong JSON type are
 * stored as NULL rather than failing the dump.
 */
CREATE FUNCTION @extschema@._rtcstats_store_analysis(dump_id uuid, analysis jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	obs			jsonb;
	call_scores	jsonb;
BEGIN
	DELETE FROM @extschema@.rtcstats_observations AS o WHERE o.dump_id = $1;
	DELETE FROM @extschema@.rtcstats_analysis AS a WHERE a.dump_id = $1;
	IF analysis IS NULL OR pg_catalog.jsonb_typeof(analysis) <> 'object' THEN
		RETURN;
	END IF;
	obs := CASE WHEN pg_catalog.jsonb_typeof(analysis->'observations') = 'array'
				THEN analysis->'observations' ELSE '[]' END;
	call_scores := analysis #> '{scores,call}';

	INSERT INTO @extschema@.rtcstats_observations
		(dump_id, ordinal, pc_id, track_id, type, category, severity, first_seen, last_seen,
		 duration_ms, evidence, explanation)
	SELECT $1, (e.ordinality - 1)::integer,
		   @extschema@._rtcstats_json_text(e.value->'pc'),
		   @extschema@._rtcstats_json_text(e.value->'track'),
		   coalesce(@extschema@._rtcstats_json_text(e.value->'type'), 'unknown'),
		   @extschema@._rtcstats_json_text(e.value->'category'),
		   @extschema@._rtcstats_json_text(e.value->'severity'),
		   @extschema@._rtcstats_epoch_ms(e.value->'first_seen'),
		   @extschema@._rtcstats_epoch_ms(e.value->'last_seen'),
		   @extschema@._rtcstats_json_number(e.value->'duration_ms'),
		   e.value->'evidence',
		   @extschema@._rtcstats_json_text(e.value->'explanation')
	FROM pg_catalog.jsonb_array_elements(obs) WITH ORDINALITY AS e
	WHERE pg_catalog.jsonb_typeof(e.value) = 'object';

	INSERT INTO @extschema@.rtcstats_analysis
		(dump_id, experience_score, audio_score, video_score, connectivity_score,
		 observations_count, scores, timeseries, summary)
	SELECT $1,
		   @extschema@._rtcstats_json_number(call_scores->'overall'),
		   @extschema@._rtcstats_json_number(call_scores->'audio'),
		   @extschema@._rtcstats_json_number(call_scores->'video'),
		   @extschema@._rtcstats_json_number(call_scores->'connectivity'),
		   (SELECT pg_catalog.jsonb_build_object(
					'error', count(*) FILTER (WHERE o.severity = 'error'),
					'warning', count(*) FILTER (WHERE o.severity = 'warning'),
					'info', count(*) FILTER (WHERE o.severity = 'info'))
			FROM @extschema@.rtcstats_observations AS o WHERE o.dump_id = $1),
		   analysis->'scores', analysis->'timeseries',
		   @extschema@._rtcstats_json_text(analysis->'summary');
END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_store_analysis(uuid, jsonb) IS
'Internal: stores the analysis object of a dump (replacing the old rows); called by rtcstats_store_features.';

/* A JSON string as text (other types: NULL).  Inlined: qualified throughout (see _rtcstats_setting). */
CREATE FUNCTION @extschema@._rtcstats_json_text(v jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.=) 'string'::text
				THEN v OPERATOR(pg_catalog.#>>) '{}'::text[] END
$$;

/* A JSON number as double precision (other types and out of range: NULL). */
CREATE FUNCTION @extschema@._rtcstats_json_number(v jsonb)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.=) 'number'::text
					 AND pg_catalog.abs(v::numeric) OPERATOR(pg_catalog.<) 1e300::numeric
				THEN v::double precision END
$$;

COMMENT ON FUNCTION @extschema@._rtcstats_json_text(jsonb) IS 'Internal: a JSON string as text, else NULL.';
COMMENT ON FUNCTION @extschema@._rtcstats_json_number(jsonb) IS 'Internal: a JSON number as double precision, else NULL.';

/*
 * rtcstats_observations(dump_id): the observations of a dump in the order
 * the analysis produced them.  Empty when the dump has none or was not
 * extracted yet.
 */
CREATE FUNCTION @extschema@.rtcstats_observations(dump_id uuid)
RETURNS TABLE (type text, category text, severity text, explanation text,
			   pc_id text, track_id text, first_seen timestamptz, last_seen timestamptz,
			   duration_ms double precision, evidence jsonb)
LANGUAGE sql STABLE
AS $$
	SELECT o.type, o.category, o.severity, o.explanation, o.pc_id, o.track_id,
		   o.first_seen, o.last_seen, o.duration_ms, o.evidence
	FROM @extschema@.rtcstats_observations AS o
	WHERE o.dump_id = $1
	ORDER BY o.ordinal
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_observations(uuid) IS
'The observations of a dump (type, category, severity, explanation, ...), in analysis order.';

/*
 * rtcstats_summary(dump_id): the summary sentences; NULL when the dump was
 * not extracted (or does not exist).
 */
CREATE FUNCTION @extschema@.rtcstats_summary(dump_id uuid)
RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT a.summary FROM @extschema@.rtcstats_analysis AS a WHERE a.dump_id = $1
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_summary(uuid) IS
'A few sentences on the call (from the observations and scores); NULL until the dump is extracted.';

/*
 * rtcstats_report(dump_id): everything a report page needs, as one document:
 *   metadata      the dumps row (id, times, user, conference, session, ...,
 *                 extraction state) and its metadata line under "metadata"
 *   features      the features JSON as rtcstats-features prints it
 *   scores        {"call": {...}, "connections": {"<pc>": {...}}}
 *   observations  [{type, category, severity, explanation, pc, track, ...}]
 *   timeseries    {"<pc>": {"series", "events", "tracks"}}
 *   summary       the sentences
 * NULL when the dump does not exist; features, scores, timeseries and
 * summary are null until it is extracted.
 */
CREATE FUNCTION @extschema@.rtcstats_report(dump_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT pg_catalog.jsonb_build_object(
		'metadata', pg_catalog.jsonb_build_object(
			'id', d.id, 'created_at', d.created_at,
			'session_start', d.session_start, 'session_end', d.session_end,
			'blob_url', d.blob_url, 'client_id', d.client_id,
			'rtcstats_user', d.rtcstats_user, 'rtcstats_conference', d.rtcstats_conference,
			'rtcstats_session', d.rtcstats_session, 'host_identifier', d.host_identifier,
			'size_bytes', d.size_bytes, 'extracted_at', d.extracted_at,
			'attempts', d.attempts, 'last_error', d.last_error,
			'metadata', d.metadata),
		'features', f.features,
		'scores', a.scores,
		'observations', coalesce(
			(SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
						'type', o.type, 'category', o.category, 'severity', o.severity,
						'explanation', o.explanation, 'pc', o.pc_id, 'track', o.track_id,
						'first_seen', o.first_seen, 'last_seen', o.last_seen,
						'duration_ms', o.duration_ms, 'evidence', o.evidence)
					ORDER BY o.ordinal)
			 FROM @extschema@.rtcstats_observations AS o WHERE o.dump_id = d.id),
			'[]'::jsonb),
		'timeseries', a.timeseries,
		'summary', a.summary)
	FROM @extschema@.rtcstats_dumps AS d
	LEFT JOIN @extschema@.features_metadata AS f ON f.dump_id = d.id
	LEFT JOIN @extschema@.rtcstats_analysis AS a ON a.dump_id = d.id
	WHERE d.id = $1
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_report(uuid) IS
'One JSON document per dump with the keys metadata, features, scores, observations, timeseries and summary.';

/*
 * rtcstats_report_html(dump_id): the call's report as one self-contained
 * HTML page (summary, scores, observations, a chart per time series; no
 * script, nothing fetched, every string from the dump escaped), for a person
 * to open or share:  psql -Atc "SELECT rtcstats_report_html('…')" > call.html
 * The same page as rtcstats-features --html.  NULL when the dump does not
 * exist; before extraction it shows the metadata only.
 */
CREATE FUNCTION @extschema@._rtcstats_report_html(metadata jsonb, features jsonb, analysis jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'rtcstats_report_html_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@._rtcstats_report_html(jsonb, jsonb, jsonb) IS
'Internal: the HTML page of a report from the metadata line, the features and the analysis object.';

CREATE FUNCTION @extschema@.rtcstats_report_html(dump_id uuid)
RETURNS text
LANGUAGE sql STABLE
AS $$
	-- rtcstats_report's document, with what the analysis object has in
	-- another form: observation times in ms since the epoch, and the pc ids
	-- in peerConnections order ("connections")
	SELECT @extschema@._rtcstats_report_html(
		r->'metadata'->'metadata',
		r->'features',
		CASE WHEN pg_catalog.jsonb_typeof(r->'scores') = 'object' THEN
			r - 'metadata' - 'features' || pg_catalog.jsonb_build_object(
				'observations', coalesce(
					(SELECT pg_catalog.jsonb_agg(e.o || pg_catalog.jsonb_build_object('first_seen',
								pg_catalog.date_part('epoch', (e.o->>'first_seen')::timestamptz) * 1000)
							ORDER BY e.n)
					 FROM pg_catalog.jsonb_array_elements(r->'observations') WITH ORDINALITY AS e(o, n)),
					'[]'::jsonb),
				'connections',
				(SELECT pg_catalog.jsonb_agg(c.connection_identifier ORDER BY c.connection_index)
				 FROM @extschema@.features_connection AS c WHERE c.dump_id = $1)) END)
	FROM @extschema@.rtcstats_report($1) AS r
	WHERE r IS NOT NULL
$$;

COMMENT ON FUNCTION @extschema@.rtcstats_report_html(uuid) IS
'The report of a dump as one self-contained HTML page (the same as rtcstats-features --html).';
