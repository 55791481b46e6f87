-- rtcstats_features, rtcstats_dump_events, rtcstats_analyze on corpus dumps
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;
SELECT extname, extversion FROM pg_extension WHERE extname = 'rtcstats';
