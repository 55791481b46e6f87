\echo Use "CREATE EXTENSION rtcstats" to load this file. \quit

/*
 * 00-schema.sql: the tables.  One row per dump (rtcstats_dumps, written by
 * rtcstats-proxy), the extraction bookkeeping on that row, and the feature
 * tables of the upstream rtcstats-features (features_metadata,
 * features_client, features_connection, features_track), one typed column
 * per feature named in snake_case after the upstream feature name
 * (iceConnectionTime -> ice_connection_time), the names upstream's supabase
 * migrations use, so queries written against upstream's tables port over
 * (docs/migrating.md).
 *
 * How a features JSON becomes rows is defined once, in 10-worker-api.sql
 * (rtcstats_store_features): a key maps to the column of its snake_case
 * name, so a new feature is one ALTER TABLE ... ADD COLUMN in an upgrade
 * script.  Keys without a column are kept in the "extra" jsonb column, so
 * nothing the extractor printed is lost.
 *
 * Every table holding user data is marked with pg_extension_config_dump(),
 * so pg_dump backs up its rows (the table definitions come with CREATE
 * EXTENSION).  Objects are qualified with @extschema@: the functions never
 * depend on the caller's search_path.
 */

CREATE TABLE @extschema@.rtcstats_dumps (
	id					uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
	created_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	session_start		timestamptz,
	session_end			timestamptz,
	-- one row per object: deleting a row queues its object for purge
	-- (40-retention.sql), which must not be another row's
	blob_url			text NOT NULL UNIQUE,
	metadata			jsonb,
	client_id			text,
	rtcstats_user		text,
	rtcstats_conference text,
	rtcstats_session	text,
	host_identifier		text,
	size_bytes			bigint,
	-- extraction bookkeeping (10-worker-api.sql)
	claimed_at			timestamptz,
	claimed_by			text,
	attempts			integer NOT NULL DEFAULT 0,
	outages				integer NOT NULL DEFAULT 0,
	next_attempt_at		timestamptz,
	last_error			text,
	failed_at			timestamptz,
	extracted_at		timestamptz
);

COMMENT ON TABLE @extschema@.rtcstats_dumps IS
'One row per rtcstats dump (a recorded browser session), written by rtcstats-proxy; the dump itself is the object at blob_url.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.id IS 'Dump id; also the object name (<id>.gz) in storage.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.session_start IS 'When the client''s WebSocket session (or upload) started.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.session_end IS 'When the session ended.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.blob_url IS 'Full URL of the stored object (file:///dir/<id>.gz or s3://bucket/prefix/<id>.gz); read only under rtcstats.storage_url.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.metadata IS 'The dump''s metadata line: url, origin, userAgent, startTime, clientProtocol, fileFormat, ...';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.client_id IS 'Client id the proxy assigned (the clientId of an upload answer).';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.rtcstats_user IS 'rtcStats.user of the client''s token, if any.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.rtcstats_conference IS 'rtcStats.conference of the client''s token, if any.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.rtcstats_session IS 'rtcStats.session of the client''s token, if any.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.host_identifier IS 'Which proxy host received the dump.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.size_bytes IS 'Size of the stored object in bytes.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.claimed_at IS 'When a worker claimed the dump for extraction; NULL when not claimed.  A claim older than rtcstats.claim_timeout is taken again.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.claimed_by IS 'Name of the worker holding (or last holding) the claim.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.attempts IS 'Extraction attempts so far that failed on the dump itself (or are in progress); given up after rtcstats.max_attempts.  Outages do not count.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.outages IS 'Attempts in a row that failed because storage or the database was unavailable (retried without limit, after a capped backoff); 0 after a success or a data error.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.next_attempt_at IS 'After a failure: not retried before this time (exponential backoff).';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.last_error IS 'Error of the last failed attempt; NULL once extracted.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.failed_at IS 'When extraction was given up (rtcstats.max_attempts data errors): out of the queue until rtcstats_retry_dump(); NULL otherwise.';
COMMENT ON COLUMN @extschema@.rtcstats_dumps.extracted_at IS 'When the features were stored; NULL until then.';

CREATE INDEX rtcstats_dumps_created_at_idx ON @extschema@.rtcstats_dumps (created_at);
CREATE INDEX rtcstats_dumps_session_start_idx ON @extschema@.rtcstats_dumps (session_start);
CREATE INDEX rtcstats_dumps_user_idx ON @extschema@.rtcstats_dumps (rtcstats_user, created_at);
CREATE INDEX rtcstats_dumps_conference_idx ON @extschema@.rtcstats_dumps (rtcstats_conference, created_at);
CREATE INDEX rtcstats_dumps_session_idx ON @extschema@.rtcstats_dumps (rtcstats_session);
CREATE INDEX rtcstats_dumps_client_id_idx ON @extschema@.rtcstats_dumps (client_id);
-- The work queue, in the order rtcstats_claim_dump() takes it: when a dump is
-- due (its creation, or the end of its backoff).  Given-up dumps are not in
-- it, and those waiting out a backoff lie beyond now(), so a claim reads only
-- the rows it may take (and the few that workers hold), however many failed.
CREATE INDEX rtcstats_dumps_pending_idx
	ON @extschema@.rtcstats_dumps ((coalesce(next_attempt_at, created_at)), id)
	WHERE extracted_at IS NULL AND failed_at IS NULL;

/*
 * features_metadata: one row per extracted dump, from the metadata line the
 * proxy recorded (rtcstats_dumps.metadata) as upstream's app.js builds it,
 * plus the whole features JSON as rtcstats-features prints it.
 */
CREATE TABLE @extschema@.features_metadata (
	dump_id				uuid PRIMARY KEY REFERENCES @extschema@.rtcstats_dumps (id) ON DELETE CASCADE,
	created_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	start_time			timestamptz,
	url					text,
	origin				text,
	useragent			text,
	client_protocol		text,
	file_format			integer,
	number_peerconnections integer,
	location_continent	text,
	location_country	text,
	location_city		text,
	features			jsonb NOT NULL
);

COMMENT ON TABLE @extschema@.features_metadata IS
'One row per extracted dump: the dump''s metadata line as columns, and the complete features JSON (as rtcstats-features prints it).';
COMMENT ON COLUMN @extschema@.features_metadata.dump_id IS 'The dump (rtcstats_dumps.id).';
COMMENT ON COLUMN @extschema@.features_metadata.created_at IS 'When the features were stored.';
COMMENT ON COLUMN @extschema@.features_metadata.start_time IS 'metadata.startTime: when the server started recording.';
COMMENT ON COLUMN @extschema@.features_metadata.url IS 'metadata.url: the WebSocket URL path the client connected to (token obfuscated).';
COMMENT ON COLUMN @extschema@.features_metadata.origin IS 'metadata.origin: the Origin header of the page.';
COMMENT ON COLUMN @extschema@.features_metadata.useragent IS 'metadata.userAgent: the User-Agent header.';
COMMENT ON COLUMN @extschema@.features_metadata.client_protocol IS 'metadata.clientProtocol: the WebSocket subprotocol (e.g. rtcstats#5.0).';
COMMENT ON COLUMN @extschema@.features_metadata.file_format IS 'metadata.fileFormat: the dump file format (3).';
COMMENT ON COLUMN @extschema@.features_metadata.number_peerconnections IS 'Number of peer connections in the dump.';
COMMENT ON COLUMN @extschema@.features_metadata.location_continent IS 'Continent of the client''s address (metadata.locations[0], English name), when the recording server geolocated it.';
COMMENT ON COLUMN @extschema@.features_metadata.location_country IS 'Country of the client''s address (metadata.locations[0], English name), when the recording server geolocated it.';
COMMENT ON COLUMN @extschema@.features_metadata.location_city IS 'City of the client''s address (metadata.locations[0], English name), when the recording server geolocated it.';
COMMENT ON COLUMN @extschema@.features_metadata.features IS 'The features JSON as rtcstats-features prints it (client features, peerConnections, tracks).';

/*
 * features_client: one row per dump.  Upstream spreads every field of the
 * client's "create" event into these features; fields without a column go
 * to "extra".
 */
CREATE TABLE @extschema@.features_client (
	dump_id				uuid PRIMARY KEY REFERENCES @extschema@.rtcstats_dumps (id) ON DELETE CASCADE,
	start_time			timestamptz,
	duration			integer,
	user_agent_data		jsonb,
	operating_system	text,
	hardware_concurrency integer,
	device_memory		double precision,
	cpu_performance		integer,
	screen				jsonb,
	"window"			jsonb,
	reload_count		integer,
	enumerate_devices_count integer DEFAULT 0,
	called_get_user_media boolean DEFAULT false,
	called_get_user_media_audio boolean DEFAULT false,
	called_get_user_media_video boolean DEFAULT false,
	called_get_user_media_combined boolean DEFAULT false,
	get_user_media_success_count integer DEFAULT 0,
	get_user_media_error_count integer DEFAULT 0,
	get_user_media_error text,
	audio_device_usb_id text,
	video_device_usb_id text,
	called_get_display_media boolean DEFAULT false,
	called_get_display_media_audio boolean DEFAULT false,
	called_get_display_media_video boolean DEFAULT false,
	get_display_media_success_count integer DEFAULT 0,
	get_display_media_error_count integer DEFAULT 0,
	audio_ended			boolean DEFAULT false,
	video_ended			boolean DEFAULT false,
	audio_short_duration boolean DEFAULT false,
	video_short_duration boolean DEFAULT false,
	web_socket_connection_time integer,
	extra				jsonb
);

COMMENT ON TABLE @extschema@.features_client IS
'Client features (upstream features/client.js): one row per extracted dump.';
COMMENT ON COLUMN @extschema@.features_client.dump_id IS 'The dump (rtcstats_dumps.id).';
COMMENT ON COLUMN @extschema@.features_client.start_time IS 'startTime: time of the first client event.';
COMMENT ON COLUMN @extschema@.features_client.duration IS 'duration: last minus first client event, ms.';
COMMENT ON COLUMN @extschema@.features_client.user_agent_data IS 'userAgentData: navigator.userAgentData as rtcstats-js sent it (brands, mobile, platform).';
COMMENT ON COLUMN @extschema@.features_client.operating_system IS 'operatingSystem: userAgentData.platform (Chromium only).';
COMMENT ON COLUMN @extschema@.features_client.hardware_concurrency IS 'hardwareConcurrency: navigator.hardwareConcurrency (logical CPUs).';
COMMENT ON COLUMN @extschema@.features_client.device_memory IS 'deviceMemory: navigator.deviceMemory, GiB (0.25 .. 8 and more).';
COMMENT ON COLUMN @extschema@.features_client.cpu_performance IS 'cpuPerformance: navigator.cpuPerformance tier.';
COMMENT ON COLUMN @extschema@.features_client.screen IS 'screen: screen size and devicePixelRatio.';
COMMENT ON COLUMN @extschema@.features_client."window" IS 'window: window size.';
COMMENT ON COLUMN @extschema@.features_client.reload_count IS 'reloadCount: page reloads, when rtcstats-js counts them.';
COMMENT ON COLUMN @extschema@.features_client.enumerate_devices_count IS 'enumerateDevicesCount: enumerateDevices calls.';
COMMENT ON COLUMN @extschema@.features_client.called_get_user_media IS 'calledGetUserMedia: getUserMedia was called.';
COMMENT ON COLUMN @extschema@.features_client.called_get_user_media_audio IS 'calledGetUserMediaAudio: getUserMedia was called asking for audio.';
COMMENT ON COLUMN @extschema@.features_client.called_get_user_media_video IS 'calledGetUserMediaVideo: getUserMedia was called asking for video.';
COMMENT ON COLUMN @extschema@.features_client.called_get_user_media_combined IS 'calledGetUserMediaCombined: one getUserMedia call asked for audio and video.';
COMMENT ON COLUMN @extschema@.features_client.get_user_media_success_count IS 'getUserMediaSuccessCount: successful getUserMedia calls.';
COMMENT ON COLUMN @extschema@.features_client.get_user_media_error_count IS 'getUserMediaErrorCount: failed getUserMedia calls.';
COMMENT ON COLUMN @extschema@.features_client.get_user_media_error IS 'getUserMediaError: the first getUserMedia error (e.g. NotAllowedError).';
COMMENT ON COLUMN @extschema@.features_client.audio_device_usb_id IS 'audioDeviceUsbId: vendor:product of the first USB microphone acquired (from its label).';
COMMENT ON COLUMN @extschema@.features_client.video_device_usb_id IS 'videoDeviceUsbId: vendor:product of the first USB camera acquired (from its label).';
COMMENT ON COLUMN @extschema@.features_client.called_get_display_media IS 'calledGetDisplayMedia: getDisplayMedia (screen capture) was called.';
COMMENT ON COLUMN @extschema@.features_client.called_get_display_media_audio IS 'calledGetDisplayMediaAudio: getDisplayMedia was called asking for audio.';
COMMENT ON COLUMN @extschema@.features_client.called_get_display_media_video IS 'calledGetDisplayMediaVideo: getDisplayMedia was called asking for video.';
COMMENT ON COLUMN @extschema@.features_client.get_display_media_success_count IS 'getDisplayMediaSuccessCount: successful getDisplayMedia calls.';
COMMENT ON COLUMN @extschema@.features_client.get_display_media_error_count IS 'getDisplayMediaErrorCount: failed getDisplayMedia calls.';
COMMENT ON COLUMN @extschema@.features_client.audio_ended IS 'audioEnded: a getUserMedia audio track ended during the call.';
COMMENT ON COLUMN @extschema@.features_client.video_ended IS 'videoEnded: a getUserMedia video track ended during the call.';
COMMENT ON COLUMN @extschema@.features_client.audio_short_duration IS 'audioShortDuration: a getUserMedia audio track ended within a second of being acquired.';
COMMENT ON COLUMN @extschema@.features_client.video_short_duration IS 'videoShortDuration: a getUserMedia video track ended within a second of being acquired.';
COMMENT ON COLUMN @extschema@.features_client.web_socket_connection_time IS 'webSocketConnectionTime: ms rtcstats-js needed to open its WebSocket.';
COMMENT ON COLUMN @extschema@.features_client.extra IS 'Client features without a column of their own (other fields of the create event), as JSON.';

/*
 * features_connection: one row per peer connection.  The surrogate id is what
 * tracks reference (upstream's features_track.connection_id); (dump_id,
 * connection_index) is the natural key: the position in the features JSON's
 * "peerConnections" array.
 */
CREATE TABLE @extschema@.features_connection (
	id					bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	dump_id				uuid NOT NULL REFERENCES @extschema@.rtcstats_dumps (id) ON DELETE CASCADE,
	connection_index	integer NOT NULL,
	connection_identifier text,
	start_time			timestamptz,
	duration			integer,
	closed				boolean,
	number_of_events	integer,
	number_of_events_not_get_stats integer,
	connected			boolean,
	connection_time		integer,
	ice_connected		boolean DEFAULT false,
	ice_connection_time integer,
	dtls_role			text,
	dtls_version		text,
	srtp_cipher			text,
	clock_skew			integer,
	ice_restart			boolean DEFAULT false,
	ice_restart_followed_by_set_remote_description boolean DEFAULT false,
	using_ice_lite		boolean DEFAULT false,
	gathering_time_turn_udp integer,
	gathering_time_turn_tcp integer,
	gathering_time_turn_tls integer,
	configured_ice_servers integer,
	configured_ice_transport_policy boolean,
	configured_ice_servers_stun boolean,
	configured_ice_servers_turns boolean,
	configured_ice_servers_turn_udp boolean,
	configured_ice_servers_turn_tcp boolean,
	configured_bundle_policy text,
	configured_always_negotiate_data_channels boolean,
	added_host_candidate boolean,
	added_mdns_candidate boolean,
	added_srflx_candidate boolean,
	added_turn_candidate boolean,
	added_null_candidate boolean,
	added_connectable_ice_tcp_candidate boolean,
	gathered_host_candidate boolean,
	gathered_mdns_candidate boolean,
	gathered_srflx_candidate boolean,
	gathered_turn_candidate boolean,
	first_candidate_pair_local_address text,
	first_candidate_pair_local_network_type text,
	first_candidate_pair_local_protocol text,
	first_candidate_pair_local_relay_protocol text,
	first_candidate_pair_local_relay_url text,
	first_candidate_pair_local_type text,
	first_candidate_pair_local_type_preference integer,
	first_candidate_pair_remote_address text,
	first_candidate_pair_remote_type text,
	average_stun_round_trip_time double precision,
	average_outbound_bitrate double precision,
	average_inbound_bitrate double precision,
	rtcstats_location_continent text,
	rtcstats_location_country text,
	rtcstats_location_city text,
	rtcstats_relay_location_continent text,
	rtcstats_relay_location_country text,
	rtcstats_relay_location_city text,
	rtcstats_peer_location_continent text,
	rtcstats_peer_location_country text,
	rtcstats_peer_location_city text,
	number_of_negotiations integer,
	pending_negotiation_at_end boolean,
	signaling_delay		integer,
	set_local_description_delay integer,
	set_local_description_role text,
	set_local_description_failure text,
	set_remote_description_delay integer,
	set_remote_description_role text,
	set_remote_description_failure text,
	add_ice_candidate_failure text,
	stats_truncated		boolean,
	extra				jsonb,
	UNIQUE (dump_id, connection_index)
);

COMMENT ON TABLE @extschema@.features_connection IS
'Peer connection features (upstream features/connection.js): one row per RTCPeerConnection of a dump.';
COMMENT ON COLUMN @extschema@.features_connection.id IS 'Surrogate key; features_track.connection_id references it.';
COMMENT ON COLUMN @extschema@.features_connection.dump_id IS 'The dump (rtcstats_dumps.id).';
COMMENT ON COLUMN @extschema@.features_connection.connection_index IS 'Position in the features JSON''s peerConnections array (0-based; upstream''s order).';
COMMENT ON COLUMN @extschema@.features_connection.connection_identifier IS 'The peer connection id in the dump (e.g. PC_0), as the analysis (rtcstats_observations.pc_id) names it; NULL when the extracting host did not report it.';
COMMENT ON COLUMN @extschema@.features_connection.start_time IS 'startTime: time of the connection''s first event.';
COMMENT ON COLUMN @extschema@.features_connection.duration IS 'duration: lifetime of the connection, ms.';
COMMENT ON COLUMN @extschema@.features_connection.closed IS 'closed: the connection ended with close().';
COMMENT ON COLUMN @extschema@.features_connection.number_of_events IS 'numberOfEvents: events of the connection.';
COMMENT ON COLUMN @extschema@.features_connection.number_of_events_not_get_stats IS 'numberOfEventsNotGetStats: events other than getStats.';
COMMENT ON COLUMN @extschema@.features_connection.connected IS 'connected: connectionState reached connected.';
COMMENT ON COLUMN @extschema@.features_connection.connection_time IS 'connectionTime: ms from connectionState connecting to connected (ICE + DTLS).';
COMMENT ON COLUMN @extschema@.features_connection.ice_connected IS 'iceConnected: iceConnectionState reached connected.';
COMMENT ON COLUMN @extschema@.features_connection.ice_connection_time IS 'iceConnectionTime: ms from iceConnectionState checking to connected.';
COMMENT ON COLUMN @extschema@.features_connection.dtls_role IS 'dtlsRole: client or server, from the first transport stats with a TLS version.';
COMMENT ON COLUMN @extschema@.features_connection.dtls_version IS 'dtlsVersion: e.g. FEFD (DTLS 1.2), FEFC (DTLS 1.3).';
COMMENT ON COLUMN @extschema@.features_connection.srtp_cipher IS 'srtpCipher: the negotiated SRTP cipher suite.';
COMMENT ON COLUMN @extschema@.features_connection.clock_skew IS 'clockSkew: event time minus stats time of the first getStats report, ms (suspend detection).';
COMMENT ON COLUMN @extschema@.features_connection.ice_restart IS 'iceRestart: the application restarted ICE.';
COMMENT ON COLUMN @extschema@.features_connection.ice_restart_followed_by_set_remote_description IS 'iceRestartFollowedBySetRemoteDescription: the ICE restart completed with a remote description.';
COMMENT ON COLUMN @extschema@.features_connection.using_ice_lite IS 'usingIceLite: the remote description announced a=ice-lite.';
COMMENT ON COLUMN @extschema@.features_connection.gathering_time_turn_udp IS 'gatheringTimeTurnUdp: ms from gathering start to the first TURN/UDP relay candidate.';
COMMENT ON COLUMN @extschema@.features_connection.gathering_time_turn_tcp IS 'gatheringTimeTurnTcp: ms from gathering start to the first TURN/TCP relay candidate.';
COMMENT ON COLUMN @extschema@.features_connection.gathering_time_turn_tls IS 'gatheringTimeTurnTls: ms from gathering start to the first TURN/TLS relay candidate.';
COMMENT ON COLUMN @extschema@.features_connection.configured_ice_servers IS 'configuredIceServers: number of iceServers in the RTCConfiguration.';
COMMENT ON COLUMN @extschema@.features_connection.configured_ice_transport_policy IS 'configuredIceTransportPolicy: iceTransportPolicy was relay.';
COMMENT ON COLUMN @extschema@.features_connection.configured_ice_servers_stun IS 'configuredIceServersStun: a stun: URL was configured.';
COMMENT ON COLUMN @extschema@.features_connection.configured_ice_servers_turns IS 'configuredIceServersTurns: a turns: (TURN over TLS) URL was configured.';
COMMENT ON COLUMN @extschema@.features_connection.configured_ice_servers_turn_udp IS 'configuredIceServersTurnUdp: a TURN URL over UDP was configured.';
COMMENT ON COLUMN @extschema@.features_connection.configured_ice_servers_turn_tcp IS 'configuredIceServersTurnTcp: a TURN URL over TCP was configured.';
COMMENT ON COLUMN @extschema@.features_connection.configured_bundle_policy IS 'configuredBundlePolicy: bundlePolicy of the RTCConfiguration.';
COMMENT ON COLUMN @extschema@.features_connection.configured_always_negotiate_data_channels IS 'configuredAlwaysNegotiateDataChannels: alwaysNegotiateDataChannels of the RTCConfiguration.';
COMMENT ON COLUMN @extschema@.features_connection.added_host_candidate IS 'addedHostCandidate: a remote host candidate was added.';
COMMENT ON COLUMN @extschema@.features_connection.added_mdns_candidate IS 'addedMdnsCandidate: a remote mDNS (.local) candidate was added.';
COMMENT ON COLUMN @extschema@.features_connection.added_srflx_candidate IS 'addedSrflxCandidate: a remote server-reflexive candidate was added.';
COMMENT ON COLUMN @extschema@.features_connection.added_turn_candidate IS 'addedTurnCandidate: a remote relay candidate was added.';
COMMENT ON COLUMN @extschema@.features_connection.added_null_candidate IS 'addedNullCandidate: the end-of-candidates marker was added.';
COMMENT ON COLUMN @extschema@.features_connection.added_connectable_ice_tcp_candidate IS 'addedConnectableIceTcpCandidate: a remote ICE-TCP candidate this side can connect to (passive) was added.';
COMMENT ON COLUMN @extschema@.features_connection.gathered_host_candidate IS 'gatheredHostCandidate: a local host candidate was gathered.';
COMMENT ON COLUMN @extschema@.features_connection.gathered_mdns_candidate IS 'gatheredMdnsCandidate: a local mDNS candidate was gathered.';
COMMENT ON COLUMN @extschema@.features_connection.gathered_srflx_candidate IS 'gatheredSrflxCandidate: a local server-reflexive (STUN) candidate was gathered.';
COMMENT ON COLUMN @extschema@.features_connection.gathered_turn_candidate IS 'gatheredTurnCandidate: a local relay (TURN) candidate was gathered.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_address IS 'firstCandidatePairLocalAddress: local address of the first selected pair after connecting (as the dump holds it, possibly obfuscated).';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_network_type IS 'firstCandidatePairLocalNetworkType: ethernet, wifi, cellular, vpn, ...';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_protocol IS 'firstCandidatePairLocalProtocol: udp or tcp.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_relay_protocol IS 'firstCandidatePairLocalRelayProtocol: udp, tcp or tls, for a relay candidate.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_relay_url IS 'firstCandidatePairLocalRelayUrl: the TURN server URL, for a relay candidate.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_type IS 'firstCandidatePairLocalType: host, srflx, prflx or relay.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_local_type_preference IS 'firstCandidatePairLocalTypePreference: the type preference byte of the local candidate priority.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_remote_address IS 'firstCandidatePairRemoteAddress: remote address of the first selected pair.';
COMMENT ON COLUMN @extschema@.features_connection.first_candidate_pair_remote_type IS 'firstCandidatePairRemoteType: host, srflx, prflx or relay.';
COMMENT ON COLUMN @extschema@.features_connection.average_stun_round_trip_time IS 'averageStunRoundTripTime: mean STUN round trip time of the selected pairs, seconds.';
COMMENT ON COLUMN @extschema@.features_connection.average_outbound_bitrate IS 'averageOutboundBitrate: mean sent bitrate over the call, bit/s.';
COMMENT ON COLUMN @extschema@.features_connection.average_inbound_bitrate IS 'averageInboundBitrate: mean received bitrate over the call, bit/s.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_location_continent IS 'rtcstatsLocationContinent: client location rtcstats-js attached to candidates.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_location_country IS 'rtcstatsLocationCountry: client location rtcstats-js attached to candidates.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_location_city IS 'rtcstatsLocationCity: client location rtcstats-js attached to candidates.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_relay_location_continent IS 'rtcstatsRelayLocationContinent: location of the TURN relay used.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_relay_location_country IS 'rtcstatsRelayLocationCountry: location of the TURN relay used.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_relay_location_city IS 'rtcstatsRelayLocationCity: location of the TURN relay used.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_peer_location_continent IS 'rtcstatsPeerLocationContinent: location of the remote peer.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_peer_location_country IS 'rtcstatsPeerLocationCountry: location of the remote peer.';
COMMENT ON COLUMN @extschema@.features_connection.rtcstats_peer_location_city IS 'rtcstatsPeerLocationCity: location of the remote peer.';
COMMENT ON COLUMN @extschema@.features_connection.number_of_negotiations IS 'numberOfNegotiations: offer/answer rounds.';
COMMENT ON COLUMN @extschema@.features_connection.pending_negotiation_at_end IS 'pendingNegotiationAtEnd: an offer/answer round was unfinished when the dump ended.';
COMMENT ON COLUMN @extschema@.features_connection.signaling_delay IS 'signalingDelay: ms from the first local offer to the remote answer.';
COMMENT ON COLUMN @extschema@.features_connection.set_local_description_delay IS 'setLocalDescriptionDelay: ms setLocalDescription took.';
COMMENT ON COLUMN @extschema@.features_connection.set_local_description_role IS 'setLocalDescriptionRole: offer or answer.';
COMMENT ON COLUMN @extschema@.features_connection.set_local_description_failure IS 'setLocalDescriptionFailure: the first setLocalDescription error.';
COMMENT ON COLUMN @extschema@.features_connection.set_remote_description_delay IS 'setRemoteDescriptionDelay: ms setRemoteDescription took.';
COMMENT ON COLUMN @extschema@.features_connection.set_remote_description_role IS 'setRemoteDescriptionRole: offer or answer.';
COMMENT ON COLUMN @extschema@.features_connection.set_remote_description_failure IS 'setRemoteDescriptionFailure: the first setRemoteDescription error.';
COMMENT ON COLUMN @extschema@.features_connection.add_ice_candidate_failure IS 'addIceCandidateFailure: the first addIceCandidate error.';
COMMENT ON COLUMN @extschema@.features_connection.stats_truncated IS 'statsTruncated: webrtc-internals dropped old samples (its 1000-sample limit).';
COMMENT ON COLUMN @extschema@.features_connection.extra IS 'Connection features without a column of their own, as JSON.';

CREATE INDEX features_connection_start_time_idx ON @extschema@.features_connection (start_time);

/*
 * features_track: one row per track of a connection.  (connection_id,
 * track_index) is the key: a trackIdentifier is not unique (simulcast layers
 * of one track are separate rows, told apart by rid / encoding_index).
 */
CREATE TABLE @extschema@.features_track (
	id					bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	dump_id				uuid NOT NULL REFERENCES @extschema@.rtcstats_dumps (id) ON DELETE CASCADE,
	connection_id		bigint NOT NULL REFERENCES @extschema@.features_connection (id) ON DELETE CASCADE,
	track_index			integer NOT NULL,
	track_identifier	text,
	kind				text,
	direction			text,
	start_time			timestamptz,
	duration			integer,
	codec_mime_type		text,
	codec_sdp_fmtp_line text,
	time_to_first_frame integer,
	common_width		integer,
	common_height		integer,
	min_width			integer,
	min_height			integer,
	max_width			integer,
	max_height			integer,
	frame_count			bigint,
	key_frame_count		bigint,
	qp_sum				bigint,
	nack_count			bigint,
	pli_count			bigint,
	fir_count			bigint,
	-- outbound (encoder side)
	bandwidth_quality_limitation_percentage double precision,
	cpu_quality_limitation_percentage double precision,
	other_quality_limitation_percentage double precision,
	quality_limitation_resolution_changes integer,
	average_encode_time double precision,
	rid					text,
	encoding_index		integer,
	encoder_implementation text,
	power_efficient_encoder boolean,
	psnr_measurements	bigint,
	psnr_sum_y			double precision,
	psnr_sum_u			double precision,
	psnr_sum_v			double precision,
	packets_sent_with_ect1 bigint,
	packets_received_with_ect1 bigint,
	packets_received_with_ce bigint,
	packets_with_bleached_ect1_marking bigint,
	-- inbound (decoder and playout side)
	freeze_count		integer,
	total_freezes_duration double precision,
	frames_dropped		bigint,
	decoder_implementation text,
	power_efficient_decoder boolean,
	has_null_video_decoder boolean,
	jitter_buffer_delay double precision,
	jitter_buffer_minimum_delay double precision,
	jitter_buffer_target_delay double precision,
	jitter_buffer_emitted_count bigint,
	jitter_buffer_flushes bigint,
	has_periodic_jitter_buffer_flushes boolean,
	total_processing_delay double precision,
	frames_assembled_from_multiple_packets bigint,
	total_assembly_time double precision,
	average_decode_time double precision,
	average_inter_frame_delay double precision,
	average_jitter_buffer_delay double precision,
	average_processing_delay double precision,
	average_assembly_time double precision,
	concealed_samples	bigint,
	total_samples_received bigint,
	concealment_percentage double precision,
	inserted_samples_for_deceleration bigint,
	removed_samples_for_acceleration bigint,
	deceleration_percentage double precision,
	acceleration_percentage double precision,
	extra				jsonb,
	UNIQUE (connection_id, track_index)
);

COMMENT ON TABLE @extschema@.features_track IS
'Track features (upstream features/track.js): one row per inbound or outbound track (per simulcast layer) of a peer connection.';
COMMENT ON COLUMN @extschema@.features_track.id IS 'Surrogate key.';
COMMENT ON COLUMN @extschema@.features_track.dump_id IS 'The dump (rtcstats_dumps.id).';
COMMENT ON COLUMN @extschema@.features_track.connection_id IS 'The peer connection (features_connection.id).';
COMMENT ON COLUMN @extschema@.features_track.track_index IS 'Position in the connection''s tracks array (0-based, discovery order).';
COMMENT ON COLUMN @extschema@.features_track.track_identifier IS 'trackIdentifier: the MediaStreamTrack id.';
COMMENT ON COLUMN @extschema@.features_track.kind IS 'kind: audio or video.';
COMMENT ON COLUMN @extschema@.features_track.direction IS 'direction: inbound or outbound.';
COMMENT ON COLUMN @extschema@.features_track.start_time IS 'startTime: when the track was first seen.';
COMMENT ON COLUMN @extschema@.features_track.duration IS 'duration: ms from the first to the last stats of the track.';
COMMENT ON COLUMN @extschema@.features_track.codec_mime_type IS 'codecMimeType: first codec seen (e.g. video/VP8).';
COMMENT ON COLUMN @extschema@.features_track.codec_sdp_fmtp_line IS 'codecSdpFmtpLine: its fmtp parameters.';
COMMENT ON COLUMN @extschema@.features_track.time_to_first_frame IS 'timeToFirstFrame: ms from the track''s start to its first decoded frame or sample (inbound).';
COMMENT ON COLUMN @extschema@.features_track.common_width IS 'commonWidth: most frequent frame width (video).';
COMMENT ON COLUMN @extschema@.features_track.common_height IS 'commonHeight: most frequent frame height (video).';
COMMENT ON COLUMN @extschema@.features_track.min_width IS 'minWidth: smallest frame width (video).';
COMMENT ON COLUMN @extschema@.features_track.min_height IS 'minHeight: smallest frame height (video).';
COMMENT ON COLUMN @extschema@.features_track.max_width IS 'maxWidth: largest frame width (video).';
COMMENT ON COLUMN @extschema@.features_track.max_height IS 'maxHeight: largest frame height (video).';
COMMENT ON COLUMN @extschema@.features_track.frame_count IS 'frameCount: frames encoded (outbound) or decoded (inbound), last stats.';
COMMENT ON COLUMN @extschema@.features_track.key_frame_count IS 'keyFrameCount: key frames encoded or decoded.';
COMMENT ON COLUMN @extschema@.features_track.qp_sum IS 'qpSum: sum of quantizer values (divide by frame_count for the mean QP).';
COMMENT ON COLUMN @extschema@.features_track.nack_count IS 'nackCount: NACKs sent or received.';
COMMENT ON COLUMN @extschema@.features_track.pli_count IS 'pliCount: picture loss indications.';
COMMENT ON COLUMN @extschema@.features_track.fir_count IS 'firCount: full intra requests.';
COMMENT ON COLUMN @extschema@.features_track.bandwidth_quality_limitation_percentage IS 'bandwidthQualityLimitationPercentage: share of time the encoder was limited by bandwidth (0..1).';
COMMENT ON COLUMN @extschema@.features_track.cpu_quality_limitation_percentage IS 'cpuQualityLimitationPercentage: share of time the encoder was limited by CPU (0..1).';
COMMENT ON COLUMN @extschema@.features_track.other_quality_limitation_percentage IS 'otherQualityLimitationPercentage: share of time limited for other reasons (0..1).';
COMMENT ON COLUMN @extschema@.features_track.quality_limitation_resolution_changes IS 'qualityLimitationResolutionChanges: resolution changes forced by a limitation.';
COMMENT ON COLUMN @extschema@.features_track.average_encode_time IS 'averageEncodeTime: seconds per encoded frame.';
COMMENT ON COLUMN @extschema@.features_track.rid IS 'rid: the simulcast layer''s RTP stream id.';
COMMENT ON COLUMN @extschema@.features_track.encoding_index IS 'encodingIndex: position of the layer in the sender''s encodings.';
COMMENT ON COLUMN @extschema@.features_track.encoder_implementation IS 'encoderImplementation: e.g. libvpx, ExternalEncoder.';
COMMENT ON COLUMN @extschema@.features_track.power_efficient_encoder IS 'powerEfficientEncoder: a hardware encoder was used.';
COMMENT ON COLUMN @extschema@.features_track.psnr_measurements IS 'psnrMeasurements: PSNR samples taken by the encoder.';
COMMENT ON COLUMN @extschema@.features_track.psnr_sum_y IS 'psnrSumY: sum of luma PSNR.';
COMMENT ON COLUMN @extschema@.features_track.psnr_sum_u IS 'psnrSumU: sum of U chroma PSNR.';
COMMENT ON COLUMN @extschema@.features_track.psnr_sum_v IS 'psnrSumV: sum of V chroma PSNR.';
COMMENT ON COLUMN @extschema@.features_track.packets_sent_with_ect1 IS 'packetsSentWithEct1: L4S, packets sent ECT(1)-marked.';
COMMENT ON COLUMN @extschema@.features_track.packets_received_with_ect1 IS 'packetsReceivedWithEct1: L4S, packets received ECT(1)-marked.';
COMMENT ON COLUMN @extschema@.features_track.packets_received_with_ce IS 'packetsReceivedWithCe: L4S, packets received CE-marked.';
COMMENT ON COLUMN @extschema@.features_track.packets_with_bleached_ect1_marking IS 'packetsWithBleachedEct1Marking: L4S, ECT(1) marks lost on the path.';
COMMENT ON COLUMN @extschema@.features_track.freeze_count IS 'freezeCount: video freezes.';
COMMENT ON COLUMN @extschema@.features_track.total_freezes_duration IS 'totalFreezesDuration: seconds frozen.';
COMMENT ON COLUMN @extschema@.features_track.frames_dropped IS 'framesDropped: frames dropped before decoding.';
COMMENT ON COLUMN @extschema@.features_track.decoder_implementation IS 'decoderImplementation: e.g. libvpx, ExternalDecoder.';
COMMENT ON COLUMN @extschema@.features_track.power_efficient_decoder IS 'powerEfficientDecoder: a hardware decoder was used.';
COMMENT ON COLUMN @extschema@.features_track.has_null_video_decoder IS 'hasNullVideoDecoder: the decoder was NullVideoDecoder (nothing could decode the stream).';
COMMENT ON COLUMN @extschema@.features_track.jitter_buffer_delay IS 'jitterBufferDelay: cumulative jitter buffer delay, seconds.';
COMMENT ON COLUMN @extschema@.features_track.jitter_buffer_minimum_delay IS 'jitterBufferMinimumDelay: cumulative minimum delay, seconds.';
COMMENT ON COLUMN @extschema@.features_track.jitter_buffer_target_delay IS 'jitterBufferTargetDelay: cumulative target delay, seconds.';
COMMENT ON COLUMN @extschema@.features_track.jitter_buffer_emitted_count IS 'jitterBufferEmittedCount: samples or frames that left the jitter buffer.';
COMMENT ON COLUMN @extschema@.features_track.jitter_buffer_flushes IS 'jitterBufferFlushes: jitter buffer flushes.';
COMMENT ON COLUMN @extschema@.features_track.has_periodic_jitter_buffer_flushes IS 'hasPeriodicJitterBufferFlushes: flushes recurred at a regular interval.';
COMMENT ON COLUMN @extschema@.features_track.total_processing_delay IS 'totalProcessingDelay: cumulative receive-to-decode delay, seconds.';
COMMENT ON COLUMN @extschema@.features_track.frames_assembled_from_multiple_packets IS 'framesAssembledFromMultiplePackets: frames that needed several packets.';
COMMENT ON COLUMN @extschema@.features_track.total_assembly_time IS 'totalAssemblyTime: cumulative frame assembly time, seconds.';
COMMENT ON COLUMN @extschema@.features_track.average_decode_time IS 'averageDecodeTime: seconds per decoded frame.';
COMMENT ON COLUMN @extschema@.features_track.average_inter_frame_delay IS 'averageInterFrameDelay: seconds between rendered frames.';
COMMENT ON COLUMN @extschema@.features_track.average_jitter_buffer_delay IS 'averageJitterBufferDelay: seconds per emitted sample or frame.';
COMMENT ON COLUMN @extschema@.features_track.average_processing_delay IS 'averageProcessingDelay: seconds per emitted sample or frame.';
COMMENT ON COLUMN @extschema@.features_track.average_assembly_time IS 'averageAssemblyTime: seconds per multi-packet frame.';
COMMENT ON COLUMN @extschema@.features_track.concealed_samples IS 'concealedSamples: audio samples concealed (lost or late).';
COMMENT ON COLUMN @extschema@.features_track.total_samples_received IS 'totalSamplesReceived: audio samples received.';
COMMENT ON COLUMN @extschema@.features_track.concealment_percentage IS 'concealmentPercentage: concealed_samples / total_samples_received.';
COMMENT ON COLUMN @extschema@.features_track.inserted_samples_for_deceleration IS 'insertedSamplesForDeceleration: samples inserted to slow playout.';
COMMENT ON COLUMN @extschema@.features_track.removed_samples_for_acceleration IS 'removedSamplesForAcceleration: samples removed to speed playout up.';
COMMENT ON COLUMN @extschema@.features_track.deceleration_percentage IS 'decelerationPercentage: inserted / received samples.';
COMMENT ON COLUMN @extschema@.features_track.acceleration_percentage IS 'accelerationPercentage: removed / received samples.';
COMMENT ON COLUMN @extschema@.features_track.extra IS 'Track features without a column of their own, as JSON.';

CREATE INDEX features_track_dump_id_idx ON @extschema@.features_track (dump_id);
CREATE INDEX features_track_kind_direction_idx ON @extschema@.features_track (kind, direction);

-- pg_dump: the rows are user data (the definitions come with the extension).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rtcstats_dumps', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.features_metadata', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.features_client', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.features_connection', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.features_track', '');
-- The identity sequences too, or a restored database would hand out ids again.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.features_connection_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.features_track_id_seq', '');
