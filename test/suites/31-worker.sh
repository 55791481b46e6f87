#!/usr/bin/env bash
# rtcstats-worker against a real PostgreSQL 15: a private cluster on port
# 55434 (the library preloaded with rtcstats.workers = 0, so only
# rtcstats-worker extracts), the extension created, the corpus dumps stored
# gzip-compressed under a file:// storage directory with their rows.  Checks:
# every dump extracted and each stored feature equal to the corpus' expected
# JSON; a corrupt dump and a URL outside the storage get last_error and an
# attempt; fetching through the server (rtcstats_fetch_dump) gives the same;
# Postgres stopped and restarted under a running worker (it reconnects);
# SIGTERM in the middle of a backlog finishes the current dump and exits 0;
# retention's object queue is purged from storage; --help and usage errors.
# rtcstats-worker logs in as a LOGIN member of rtcstats_worker throughout.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PG_CONFIG=${PG_CONFIG:-pg_config}
PORT=55434
passed=0; failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() {	# check "description" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
	echo "worker: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

bindir=$("$PG_CONFIG" --bindir)
tmp=$(mktemp -d /tmp/rtcstats-worker-test.XXXXXX)
data=$tmp/data
store=$tmp/store
log=$tmp/worker.log
wpid=
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	[ -f "$data/postmaster.pid" ] &&
		runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

if make -s BUILD="$BUILD" "$BUILD/bin/rtcstats-worker" >"$tmp/build.log" 2>&1; then
	ok "build rtcstats-worker"
else
	cat "$tmp/build.log"; fail "build rtcstats-worker"; finish
fi
if make -s BUILD="$BUILD" PG_CONFIG="$PG_CONFIG" extension-install >"$tmp/build.log" 2>&1; then
	ok "make extension-install"
else
	cat "$tmp/build.log"; fail "make extension-install"; finish
fi
W=$BUILD/bin/rtcstats-worker

# usage
"$W" --help | grep -q "^EXIT STATUS" && ok "--help prints the manual" || fail "--help prints the manual"
"$W" --bogus >/dev/null 2>&1; check "unknown option: exit 2" test $? -eq 2
"$W" --max-dumps 0 >/dev/null 2>&1; check "bad --max-dumps: exit 2" test $? -eq 2
"$W" --once --dsn "host=/nonexistent port=1 connect_timeout=2" 2>/dev/null
check "--once with no database: exit 1" test $? -eq 1

# the cluster
mkdir -p "$data" "$store" "$tmp/corpus"
chown -R postgres: "$tmp"
runuser -u postgres -- "$bindir/initdb" -D "$data" -A trust -U postgres >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log"; fail "initdb"; finish; }
cat >>"$data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$tmp'
shared_preload_libraries = 'rtcstats'
rtcstats.workers = 0
rtcstats.storage_url = 'file://$store'
EOF
pgstart() { runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -l "$tmp/postgres.log" -w start >/dev/null; }
pgstop() { runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; }
pgstart || { cat "$tmp/postgres.log"; fail "start postgres"; finish; }
# rtcstats-worker logs in as a member of rtcstats_worker (the role the
# extension creates: the worker API and nothing else), as docs/operations.md
# says to run it
DSN="host=$tmp port=$PORT user=rtcstats_test_worker dbname=rtcstats"
psql_q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$tmp" -p $PORT -U postgres -d rtcstats "$@"; }
psql -X -q -h "$tmp" -p $PORT -U postgres -d postgres -c "CREATE DATABASE rtcstats" &&
	psql_q -c "CREATE EXTENSION rtcstats" && ok "CREATE EXTENSION rtcstats" ||
	{ fail "CREATE EXTENSION rtcstats"; tail -20 "$tmp/postgres.log"; finish; }
psql_q -c "CREATE ROLE rtcstats_test_worker LOGIN IN ROLE rtcstats_worker" ||
	{ fail "CREATE ROLE ... IN ROLE rtcstats_worker"; finish; }
as_worker() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$DSN" -c "$1" 2>&1; }
check "the worker role reads no dump row (42501)" \
	grep -q 'permission denied for table rtcstats_dumps' <<<"$(as_worker "SELECT metadata FROM rtcstats_dumps")"
check "the worker role reads no features (42501)" \
	grep -q 'permission denied for table features_metadata' <<<"$(as_worker "SELECT * FROM features_metadata")"
check "the worker role deletes nothing (42501)" \
	grep -q 'permission denied for function rtcstats_delete_dumps_older_than' <<<"$(as_worker "SELECT rtcstats_delete_dumps_older_than('0 s')")"

# the corpus: objects <uuid>.gz under the storage, rows like the proxy's,
# and a table naming each dump (for the comparison with expected/)
cp test/corpus/expected/*.features.json "$tmp/corpus/"
chown -R postgres: "$tmp/corpus"
psql_q -c "CREATE TABLE corpus (id uuid PRIMARY KEY, name text)"
n=0
for f in test/corpus/dumps/*.rtcstats; do
	name=$(basename "$f" .rtcstats)
	id=$(cat /proc/sys/kernel/random/uuid)
	gzip -c "$f" >"$store/$id.gz"
	meta=$(sed -n 2p "$f")
	psql_q -v id="$id" -v name="$name" -v url="file://$store/$id.gz" -v meta="$meta" <<'EOF'
INSERT INTO rtcstats_dumps (id, blob_url, metadata) VALUES (:'id', :'url', :'meta');
INSERT INTO corpus VALUES (:'id', :'name');
EOF
	n=$((n + 1))
done
# a truncated gzip, and a row pointing outside the storage
head -c 4000 test/corpus/dumps/av-call.rtcstats | gzip -c | head -c 900 >"$store/bad.gz"
psql_q -c "INSERT INTO rtcstats_dumps (id, blob_url) VALUES
	('00000000-0000-4000-8000-0000000000b1', 'file://$store/bad.gz'),
	('00000000-0000-4000-8000-0000000000b2', 'file:///etc/passwd')"
chown -R postgres: "$store"

# 1. --once with our own storage client
if "$W" --dsn "$DSN" --storage-url "file://$store" --once --name test-once 2>"$log"; then
	ok "rtcstats-worker --once exits 0"
else
	fail "rtcstats-worker --once exits 0"; cat "$log"
fi
check "every corpus dump extracted ($n)" test "$(psql_q -c "SELECT count(*) FROM rtcstats_dumps d JOIN corpus c USING (id) WHERE extracted_at IS NOT NULL AND last_error IS NULL AND attempts = 1")" = "$n"
check "one log line per dump (event=extracted dump=...)" test "$(grep -c 'event=extracted dump=' "$log")" = "$n"
check "claimed_by is the worker's name" test "$(psql_q -c "SELECT count(*) FROM rtcstats_dumps WHERE claimed_by = 'test-once'")" = "$((n + 2))"

# the stored features equal the expected JSON, key by key
compare_sql="
WITH e AS (
	SELECT c.id, pg_read_file('$tmp/corpus/' || c.name || '.features.json')::jsonb AS j FROM corpus c
), rows AS (
	SELECT to_jsonb(f) AS r, (e.j->'peerConnections'->f.connection_index) - 'tracks' AS j
	FROM features_connection f JOIN e ON e.id = f.dump_id
	UNION ALL
	SELECT to_jsonb(t), e.j->'peerConnections'->f.connection_index->'tracks'->t.track_index
	FROM features_track t JOIN features_connection f ON f.id = t.connection_id JOIN e ON e.id = t.dump_id
	UNION ALL
	SELECT to_jsonb(cl), e.j - 'peerConnections' FROM features_client cl JOIN e ON e.id = cl.dump_id
), kv AS (
	SELECT k.key, k.value AS jv, r->_rtcstats_snake_case(k.key) AS cv FROM rows, jsonb_each(j) k
)
SELECT count(*) FILTER (WHERE NOT (CASE
		WHEN jsonb_typeof(jv) = 'number' AND jsonb_typeof(cv) = 'string'
		THEN extract(epoch FROM (cv #>> '{}')::timestamptz) * 1000 = jv::text::numeric
		WHEN jsonb_typeof(jv) = 'number' AND jsonb_typeof(cv) = 'number'
		THEN abs(jv::text::numeric - cv::text::numeric) <= 1e-9 * abs(jv::text::numeric)
		ELSE jv = cv END) IS TRUE) || ' ' || count(*)
FROM kv"
read -r bad total <<<"$(psql_q -c "$compare_sql")"
check "stored features equal expected/*.features.json ($total values, $bad different)" \
	test "$bad" = 0 -a "${total:-0}" -gt 1000
check "connections and tracks: as many rows as the expected JSON has" test "$(psql_q -c "
	SELECT count(*) FROM corpus c
	CROSS JOIN LATERAL (SELECT pg_read_file('$tmp/corpus/' || c.name || '.features.json')::jsonb AS j) e
	WHERE jsonb_array_length(e.j->'peerConnections') <> (SELECT count(*) FROM features_connection f WHERE f.dump_id = c.id)
	   OR (SELECT coalesce(sum(jsonb_array_length(p->'tracks')), 0) FROM jsonb_array_elements(e.j->'peerConnections') p)
		  <> (SELECT count(*) FROM features_track t WHERE t.dump_id = c.id)")" = 0
for name in av-call multi-pc ice-failure simulcast; do
	got=$(psql_q -c "SELECT string_agg(coalesce(f.ice_connection_time::text, 'null'), ',' ORDER BY f.connection_index)
		FROM features_connection f JOIN corpus c ON c.id = f.dump_id WHERE c.name = '$name'")
	want=$(psql_q -c "SELECT string_agg(coalesce(p->>'iceConnectionTime', 'null'), ',' ORDER BY i)
		FROM jsonb_array_elements(pg_read_file('$tmp/corpus/$name.features.json')::jsonb->'peerConnections') WITH ORDINALITY AS x(p, i)")
	check "$name: ice_connection_time per connection ($got) as expected ($want)" test -n "$got" -a "$got" = "$want"
done
check "connection ids from the dump (PC_0 ...)" test "$(psql_q -c "SELECT count(*) FROM features_connection WHERE connection_identifier IS NULL")" = 0
check "analysis stored for every dump" test "$(psql_q -c "SELECT count(*) FROM rtcstats_analysis")" = "$n"
check "ice-failure: an ice_failure error observation" test "$(psql_q -c "SELECT count(*) FROM corpus c, rtcstats_observations(c.id) o WHERE c.name = 'ice-failure' AND o.type = 'ice_failure' AND o.severity = 'error'")" -ge 1
check "av-call: no warning or error" test "$(psql_q -c "SELECT count(*) FROM corpus c, rtcstats_observations(c.id) o WHERE c.name = 'av-call' AND o.severity <> 'info'")" = 0
check "rtcstats_report has the five keys" test "$(psql_q -c "SELECT count(*) FROM corpus c, jsonb_object_keys(rtcstats_report(c.id)) k WHERE c.name = 'av-call' AND k IN ('metadata', 'features', 'scores', 'observations', 'timeseries')")" = 5

# the bad ones
row=$(psql_q -F' ' -c "SELECT attempts, extracted_at IS NULL, next_attempt_at > now(), last_error LIKE '%gzip%' FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-0000000000b1'")
check "truncated gzip: attempt counted, error recorded, retried later ($row)" test "$row" = "1 t t t"
row=$(psql_q -F' ' -c "SELECT attempts, extracted_at IS NULL, last_error LIKE '%not under the storage root%' FROM rtcstats_dumps WHERE id = '00000000-0000-4000-8000-0000000000b2'")
check "URL outside the storage: refused and recorded ($row)" test "$row" = "1 t t"
check "failures logged with the dump id" test "$(grep -c 'event=failed dump=00000000-0000-4000-8000-0000000000b' "$log")" = 2

# 2. through the server (rtcstats_fetch_dump), after re-queueing everything
psql_q -c "SELECT count(rtcstats_retry_dump(id)) FROM corpus" >/dev/null
if "$W" --dsn "$DSN" --once 2>"$log"; then ok "--once through the server exits 0"; else fail "--once through the server exits 0"; cat "$log"; fi
check "every dump extracted again through rtcstats_fetch_dump" test "$(psql_q -c "SELECT count(*) FROM rtcstats_dumps d JOIN corpus c USING (id) WHERE extracted_at IS NOT NULL AND attempts = 1")" = "$n"
read -r bad total <<<"$(psql_q -c "$compare_sql")"
check "the same rows ($bad different of $total)" test "$bad" = 0 -a "${total:-0}" -gt 1000

# 2b. leak-free: a valgrind'ed --once over good dumps, a corrupt one and an outside URL
psql_q -c "SELECT count(rtcstats_retry_dump(id)) FROM rtcstats_dumps d JOIN corpus c USING (id)
		   WHERE c.name IN ('av-call', 'multi-pc', 'gumonly')" >/dev/null
psql_q -c "SELECT count(rtcstats_retry_dump(id)) FROM rtcstats_dumps WHERE id::text LIKE '00000000-%'" >/dev/null
if command -v valgrind >/dev/null; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		"$W" --dsn "$DSN" --storage-url "file://$store" --once 2>"$log"
	rc=$?
	check "valgrind: no error, no leak (exit $rc)" test "$rc" = 0
	check "valgrind run: 3 extracted, 2 failed" grep -q 'event=stopped extracted=3 failed=2' "$log"
else
	echo "skip valgrind: not installed"
fi

# backups: pg_dump keeps the rows (pg_extension_config_dump), a restore has them
pg_dump -h "$tmp" -p $PORT -U postgres rtcstats >"$tmp/backup.sql" 2>"$tmp/pg_dump.err" &&
	psql -X -q -h "$tmp" -p $PORT -U postgres -d postgres -c "CREATE DATABASE restored" &&
	psql -X -q -v ON_ERROR_STOP=1 -h "$tmp" -p $PORT -U postgres -d restored -f "$tmp/backup.sql" \
		>/dev/null 2>"$tmp/restore.err"
counts="SELECT (SELECT count(*) FROM rtcstats_dumps) || ' ' || (SELECT count(*) FROM features_connection)
		|| ' ' || (SELECT count(*) FROM features_track) || ' ' || (SELECT count(*) FROM rtcstats_observations)
		|| ' ' || (SELECT last_value FROM features_track_id_seq)"
orig=$(psql_q -c "$counts")
restored=$(psql -X -q -t -A -h "$tmp" -p $PORT -U postgres -d restored -c "$counts" 2>&1)
check "pg_dump + restore keeps every row and the id sequences ($orig / $restored)" test -n "$orig" -a "$orig" = "$restored"

# 3. a running worker survives a Postgres restart
"$W" --dsn "$DSN" --storage-url "file://$store" --poll-interval 0.3 2>"$log" &
wpid=$!
sleep 1
pgstop
sleep 2
pgstart
id=$(cat /proc/sys/kernel/random/uuid)
cp "$store/$(psql_q -c "SELECT id FROM corpus WHERE name = 'audio-only'").gz" "$store/$id.gz"
chown postgres: "$store/$id.gz"
psql_q -c "INSERT INTO rtcstats_dumps (id, blob_url) VALUES ('$id', 'file://$store/$id.gz')"
for _ in $(seq 1 100); do
	[ "$(psql_q -c "SELECT extracted_at IS NOT NULL FROM rtcstats_dumps WHERE id = '$id'")" = t ] && break
	sleep 0.2
done
check "after a restart the worker reconnects and extracts a new dump" \
	test "$(psql_q -c "SELECT extracted_at IS NOT NULL FROM rtcstats_dumps WHERE id = '$id'")" = t
check "the outage is logged (db_unavailable or connection_lost, then connected)" \
	grep -Eq 'event=(db_unavailable|connection_lost)' "$log"
check "reconnected" test "$(grep -c 'event=connected' "$log")" -ge 2

# 4. SIGTERM in the middle of a backlog: the current dump is finished
src="$store/$(psql_q -c "SELECT id FROM corpus WHERE name = 'multi-pc'").gz"
psql_q -c "CREATE TABLE backlog AS SELECT gen_random_uuid() AS id FROM generate_series(1, 300)"
for b in $(psql_q -c "SELECT id FROM backlog"); do cp "$src" "$store/$b.gz"; done
chown -R postgres: "$store"
psql_q -c "INSERT INTO rtcstats_dumps (id, blob_url) SELECT id, 'file://$store/' || id || '.gz' FROM backlog"
for _ in $(seq 1 100); do
	[ "$(psql_q -c "SELECT count(*) FROM rtcstats_dumps JOIN backlog USING (id) WHERE extracted_at IS NOT NULL")" -ge 5 ] && break
	sleep 0.05
done
kill -TERM "$wpid"
wait "$wpid"
rc=$?
wpid=
check "SIGTERM: exit status 0" test "$rc" = 0
check "SIGTERM: event=stopped logged" grep -q 'event=stopped' "$log"
row=$(psql_q -F' ' -c "SELECT count(*) FILTER (WHERE extracted_at IS NOT NULL), count(*) FILTER (WHERE claimed_at IS NOT NULL AND extracted_at IS NULL) FROM rtcstats_dumps JOIN backlog USING (id)")
read -r done_n inflight <<<"$row"
check "SIGTERM: no dump left half-done ($done_n extracted, $inflight claimed and not stored)" \
	test "$inflight" = 0 -a "$done_n" -ge 1

# 4b. --concurrency 4 over the backlog: SKIP LOCKED gives each dump to one worker
psql_q -c "SELECT count(rtcstats_retry_dump(id)) FROM backlog" >/dev/null
"$W" --dsn "$DSN" --storage-url "file://$store" --once --concurrency 4 --name par 2>"$log"
check "--concurrency 4: exit 0" test $? = 0
row=$(psql_q -F' ' -c "SELECT count(*) FILTER (WHERE extracted_at IS NOT NULL AND attempts = 1),
		count(DISTINCT claimed_by) FROM rtcstats_dumps JOIN backlog USING (id)")
read -r once_n claimers <<<"$row"
check "--concurrency 4: every backlog dump extracted exactly once ($once_n of 300)" test "$once_n" = 300
check "--concurrency 4: shared between workers ($claimers names)" test "$claimers" -ge 2
check "--concurrency 4: 300 extractions logged, no dump twice" \
	test "$(grep -o 'event=extracted dump=[0-9a-f-]*' "$log" | sort -u | wc -l)" = 300 -a \
		 "$(grep -c 'event=extracted' "$log")" = 300

# 4c. two claimers in open transactions: the second skips the locked row at once
psql_q -c "INSERT INTO rtcstats_dumps (id, blob_url) VALUES
	('00000000-0000-4000-8000-0000000000c1', 'file://$store/c1.gz'),
	('00000000-0000-4000-8000-0000000000c2', 'file://$store/c2.gz')"
psql_q >"$tmp/claim_a" <<'EOF' &
BEGIN;
SELECT dump_id FROM rtcstats_claim_dump('a');
SELECT pg_sleep(3);
COMMIT;
EOF
apid=$!
sleep 1
t0=$(date +%s%N)
b=$(psql_q -c "SELECT dump_id FROM rtcstats_claim_dump('b')")
t1=$(date +%s%N)
wait $apid
a=$(head -n 1 "$tmp/claim_a")
check "concurrent claims get different dumps ($a / $b)" test -n "$a" -a -n "$b" -a "$a" != "$b"
check "the second claim did not wait for the first ($(( (t1 - t0) / 1000000 )) ms)" \
	test $(( (t1 - t0) / 1000000 )) -lt 2000
psql_q -c "DELETE FROM rtcstats_dumps WHERE id::text LIKE '%0000000000c_'" \
	-c "DELETE FROM rtcstats_deleted_objects WHERE blob_url LIKE '%/c_.gz'"

# 5. retention: rows deleted, objects queued, the worker purges them
before=$(ls "$store" | grep -c '\.gz$')
deleted=$(psql_q -c "SELECT rtcstats_delete_dumps_older_than('0 s', 50)")
check "rtcstats_delete_dumps_older_than deleted every row ($deleted)" test "$deleted" = "$(( n + 2 + 1 + 300 ))"
check "every object queued" test "$(psql_q -c "SELECT count(*) FROM rtcstats_deleted_objects")" = "$deleted"
"$W" --dsn "$DSN" --storage-url "file://$store" --once 2>"$log"
check "queue purged (outside-storage URL kept with its error)" \
	test "$(psql_q -c "SELECT string_agg(blob_url, ',') FROM rtcstats_deleted_objects WHERE last_error IS NOT NULL")" = "file:///etc/passwd"
after=$(ls "$store" | grep -c '\.gz$')
check "objects deleted from storage ($before before, $after after)" test "$after" = 0
check "purges logged" test "$(grep -c 'event=purged' "$log")" -ge 300
check "/etc/passwd untouched" test -s /etc/passwd

# 6. SIGTERM just before the wait ends it at once: the signal arrives while the
# worker's claim is blocked (another session holds a lock on rtcstats_dumps);
# the claim then returns nothing and the worker would wait its --poll-interval
# (30 s) unless the wait notices the signal that came before it
"$W" --dsn "$DSN" --poll-interval 30 --no-purge 2>"$log" &
wpid=$!
wait_started() { for _ in $(seq 100); do grep -q 'event=started' "$log" && return 0; sleep 0.1; done; return 1; }
wait_started; sleep 1
psql_q -c "BEGIN; LOCK TABLE rtcstats_dumps IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT" >/dev/null &
lpid=$!
sleep 0.5
psql_q -c "NOTIFY rtcstats_dumps" >/dev/null	# wakes the worker: it claims, and blocks
sleep 1
blocked=$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rtcstats-worker' AND wait_event_type = 'Lock'")
t0=$(date +%s%N)
kill -TERM "$wpid"
wait "$wpid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$lpid"
check "SIGTERM while the claim was blocked ($blocked blocked): exit 0 when the lock goes, not after the 30 s poll (${ms} ms)" \
	test "$rc" = 0 -a "$blocked" = 1 -a "$ms" -lt 10000
# and a SIGTERM during the wait itself
"$W" --dsn "$DSN" --poll-interval 30 --no-purge 2>"$log" &
wpid=$!
wait_started; sleep 0.5
t0=$(date +%s%N)
kill -TERM "$wpid"; wait "$wpid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM during the wait: exit 0 at once (${ms} ms)" test "$rc" = 0 -a "$ms" -lt 2000

# 7. name resolution: a role that can create objects in a schema early in the
# search_path plants functions of the worker API's names; the worker calls the
# extension's own (looked up in pg_extension, or --schema), never these
psql_q -c "CREATE SCHEMA planted" -c "CREATE TABLE planted.calls (f text)" -c "
	CREATE FUNCTION planted.rtcstats_claim_dump(w text) RETURNS TABLE (dump_id uuid, blob_url text)
	LANGUAGE sql AS \$\$ INSERT INTO planted.calls VALUES ('claim') RETURNING NULL::uuid, NULL::text \$\$" -c "
	CREATE FUNCTION planted.rtcstats_store_features(uuid, jsonb, jsonb) RETURNS void
	LANGUAGE sql AS \$\$ INSERT INTO planted.calls VALUES ('store') \$\$" -c "
	CREATE FUNCTION planted.quote_ident(text) RETURNS text
	LANGUAGE sql AS \$\$ INSERT INTO planted.calls VALUES ('quote_ident') RETURNING 'planted' \$\$" \
	-c "ALTER DATABASE rtcstats SET search_path = planted, public" >/dev/null
id=$(cat /proc/sys/kernel/random/uuid)
gzip -c test/corpus/dumps/audio-only.rtcstats >"$store/$id.gz"; chown postgres: "$store/$id.gz"
psql_q -c "INSERT INTO public.rtcstats_dumps (id, blob_url) VALUES ('$id', 'file://$store/$id.gz')"
"$W" --dsn "$DSN" --storage-url "file://$store" --once --no-purge 2>"$log"
check "planted functions earlier in the search_path: never called ($(psql_q -c "SELECT string_agg(f, ',') FROM planted.calls"))" \
	test "$(psql_q -c "SELECT count(*) FROM planted.calls")" = 0
check "planted functions earlier in the search_path: the dump extracted by the real ones" \
	test "$(psql_q -c "SELECT extracted_at IS NOT NULL FROM public.rtcstats_dumps WHERE id = '$id'")" = t
psql_q -c "SELECT public.rtcstats_retry_dump('$id')" >/dev/null
"$W" --dsn "$DSN" --storage-url "file://$store" --once --no-purge --schema public 2>"$log"
check "--schema public: extracted, nothing planted called" \
	test "$(psql_q -c "SELECT extracted_at IS NOT NULL FROM public.rtcstats_dumps WHERE id = '$id'")/$(psql_q -c "SELECT count(*) FROM planted.calls")" = t/0
"$W" --dsn "$DSN" --once --schema nosuchschema 2>"$log"; rc=$?
check "--schema naming no extension: --once exits 1" test "$rc" = 1
psql_q -c "ALTER DATABASE rtcstats RESET search_path" -c "DROP SCHEMA planted CASCADE" >/dev/null

finish
