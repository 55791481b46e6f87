-- IP address obfuscation (section 7 of the dump format): single values,
-- SDP, ICE candidates and whole dumps (plain or gzip in, plain out).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rtcstats;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/corpus/dumps'
\set expected :abs_srcdir '/test/corpus/expected'
\set raw :corpus '/av-call.raw.rtcstats'
SELECT current_setting('data_directory') || '/rtcstats_dumps' AS storage_dir \gset
\set gz :storage_dir '/anonymize-av-call.raw.rtcstats.gz'
\set gzcmd 'gzip -n -c ' :raw ' > ' :gz
COPY (SELECT 1 WHERE false) TO PROGRAM :'gzcmd';

\set err_fn :abs_srcdir '/test/regress/err.psql'
\i :err_fn

-- addresses
SELECT a AS address, rtcstats_obfuscate_address(a) AS obfuscated
FROM unnest(ARRAY['192.0.2.7', '10.1.2.3', '2001:db8:85a3::1', '::ffff:203.0.113.7', '127.0.0.1',
				  '::1', '0.0.0.0', 'turn.example.com', '', 'fe80::1%eth0']) AS a;
SELECT rtcstats_obfuscate_address(NULL) IS NULL AS strict;

-- ICE candidates: host and srflx addresses hidden, relay kept
SELECT rtcstats_anonymize_candidate(c) AS candidate
FROM unnest(ARRAY[
	'candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host generation 0',
	'a=candidate:2 1 udp 1686052607 203.0.113.9 61000 typ srflx raddr 192.168.1.5 rport 54321',
	'candidate:3 1 udp 41885439 198.51.100.4 3478 typ relay raddr 203.0.113.9 rport 61000',
	'candidate:4 1 tcp 1518280447 2001:db8::5 9 typ host tcptype active',
	'candidate:5 1 udp 2122260223 3f1a7c1e-0b7b-4c3e-9a52-5b1e8f0a8c11.local 54321 typ host']) AS c;

-- SDP: candidate, c= and a=rtcp: lines
SELECT rtcstats_anonymize_sdp(E'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 192.0.2.10\r\na=rtcp:9 IN IP4 192.0.2.10\r\na=candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host\r\n') AS sdp;

-- a whole dump: same as the corpus' anonymized copy, no private address left
SELECT rtcstats_anonymize_dump(pg_read_binary_file(:'raw')) =
	   pg_read_binary_file(:'expected' || '/av-call.raw.anonymized.rtcstats') AS same_as_corpus;
SELECT rtcstats_anonymize_dump(pg_read_binary_file(:'gz')) =
	   rtcstats_anonymize_dump(pg_read_binary_file(:'raw')) AS gzip_same;
SELECT substr(rtcstats_anonymize_dump(pg_read_binary_file(:'gz')), 1, 13) = convert_to(E'RTCStatsDump\n', 'UTF8') AS plain_output;
SELECT position(convert_to('192.0.2.2', 'UTF8') IN pg_read_binary_file(:'raw')) > 0 AS raw_has_private,
	   position(convert_to('192.0.2.2', 'UTF8') IN rtcstats_anonymize_dump(pg_read_binary_file(:'raw'))) = 0 AS anonymized_has_none;
-- the anonymized dump still reads, and keeps its features but addresses
SELECT (SELECT count(*) FROM rtcstats_dump_events(rtcstats_anonymize_dump(pg_read_binary_file(:'raw')))) =
	   (SELECT count(*) FROM rtcstats_dump_events(pg_read_binary_file(:'raw'))) AS same_events,
	   (rtcstats_features(rtcstats_anonymize_dump(pg_read_binary_file(:'raw'))) - 'peerConnections') =
	   (rtcstats_features(pg_read_binary_file(:'raw')) - 'peerConnections') AS same_client_features;

-- bad input
SELECT pg_temp.err($$SELECT rtcstats_anonymize_dump('garbage'::bytea)$$)
	   LIKE '22P02: invalid dump at line 1: not an rtcstats dump%' AS not_a_dump;
SELECT pg_temp.err($$SELECT rtcstats_anonymize_dump(convert_to(E'RTCStatsDump\n{}\n[1,\n', 'UTF8'))$$);
SELECT pg_temp.err($$SELECT rtcstats_anonymize_dump('\x1f8b0800'::bytea)$$);

\set rmcmd 'rm -f ' :gz
COPY (SELECT 1 WHERE false) TO PROGRAM :'rmcmd';
