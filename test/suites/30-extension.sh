#!/usr/bin/env bash
# The PostgreSQL extension: builds it, installs it into the system
# PostgreSQL 15 (make extension-install, as root), then runs pg_regress on
# every sql/*.sql against a temporary instance on port 55432 that preloads
# rtcstats (extension/regress.conf; pg_cron too when postgresql-15-cron is
# installed), as the postgres user.  The tests, expected output and the
# corpus dumps they read are copied to a private /tmp directory postgres
# owns.  Prints regression.diffs on failure.  Then every function under
# valgrind in a single-user backend, and the functions and a background
# worker against s3rver (S3 on loopback).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PG_CONFIG=${PG_CONFIG:-pg_config}
PORT=55432
passed=0; failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
	echo "extension: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if make -s BUILD="$BUILD" PG_CONFIG="$PG_CONFIG" extension >/tmp/rtcstats-ext-build.log 2>&1; then
	ok "build (make extension)"
else
	cat /tmp/rtcstats-ext-build.log; fail "build (make extension)"; finish
fi
if make -s BUILD="$BUILD" PG_CONFIG="$PG_CONFIG" extension-install >/tmp/rtcstats-ext-build.log 2>&1; then
	ok "install (make extension-install)"
else
	cat /tmp/rtcstats-ext-build.log; fail "install (make extension-install)"; finish
fi

pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
bindir=$("$PG_CONFIG" --bindir)
pg_regress="$pkglibdir/pgxs/src/test/regress/pg_regress"
[ -f "$pkglibdir/rtcstats.so" ] && ok "rtcstats.so installed" || fail "rtcstats.so installed"
[ -f "$sharedir/extension/rtcstats.control" ] && ok "rtcstats.control installed" ||
	fail "rtcstats.control installed"
[ -x "$pg_regress" ] || { fail "pg_regress missing ($pg_regress)"; finish; }

# The system server's extension directory is shared: another suite or a
# user may install a different build meanwhile.  Each phase below installs
# ours again first, and says so if it was replaced.
reinstall() {
	if ! cmp -s rtcstats.so "$pkglibdir/rtcstats.so"; then
		echo "note: $pkglibdir/rtcstats.so was replaced by another install; installing this tree's again"
		make -s BUILD="$BUILD" PG_CONFIG="$PG_CONFIG" extension-install >/dev/null 2>&1
	fi
}

tests=()
for f in sql/*.sql; do [ -e "$f" ] && tests+=("$(basename "$f" .sql)"); done
[ ${#tests[@]} -gt 0 ] || { fail "no tests in sql/"; finish; }

tmp=$(mktemp -d /tmp/rtcstats-regress.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/test/corpus" "$tmp/out"
cp -r sql expected "$tmp/src/"
cp -r test/corpus/dumps test/corpus/expected "$tmp/src/test/corpus/"
cp -r test/regress "$tmp/src/test/"
cp extension/regress.conf "$tmp/regress.conf"
# pg_cron, when installed, is preloaded too and schedules in the test database
# (RTCSTATS_REGRESS_NO_CRON=1 tests the path without it: expected/cron_1.out)
if [ -f "$pkglibdir/pg_cron.so" ] && [ -z "${RTCSTATS_REGRESS_NO_CRON:-}" ]; then
	sed -i "s/^shared_preload_libraries = .*/shared_preload_libraries = 'rtcstats,pg_cron'/" "$tmp/regress.conf"
	printf "cron.database_name = 'contrib_regression'\ncron.use_background_workers = on\n" >> "$tmp/regress.conf"
fi
chown -R postgres: "$tmp"

echo "running pg_regress: ${tests[*]}"
runuser -u postgres -- "$pg_regress" --inputdir="$tmp/src" --outputdir="$tmp/out" \
	--bindir="$bindir" --temp-instance="$tmp/instance" --temp-config="$tmp/regress.conf" \
	--port=$PORT --dbname=contrib_regression "${tests[@]}" >"$tmp/pg_regress.out" 2>&1
rc=$?
cat "$tmp/pg_regress.out"
for t in "${tests[@]}"; do
	if grep -Eq "^(ok|not ok|test) .*\b$t\b.*\b(ok|FAILED|failed)\b" "$tmp/pg_regress.out" &&
		! grep -Eq "\b$t\b.*(FAILED|failed)" "$tmp/pg_regress.out"; then
		ok "regress $t"
	else
		fail "regress $t"
	fi
done
# kept for a look after the run (the temporary directory goes)
# (the valgrind check below uses its own cluster)
rm -rf /tmp/rtcstats-regress-last && cp -r "$tmp/out" /tmp/rtcstats-regress-last
if [ $rc -ne 0 ]; then
	fail "pg_regress exit status $rc"
	[ -f "$tmp/out/regression.diffs" ] && cat "$tmp/out/regression.diffs"
	log=$(ls "$tmp"/instance/log/postmaster.log 2>/dev/null)
	[ -n "$log" ] && cp "$log" /tmp/rtcstats-regress-last/
	[ -n "$log" ] && { echo "--- server log (tail)"; tail -n 60 "$log"; }
fi
# Valgrind: one backend (single-user mode, its own cluster) runs every
# function, error paths included; no invalid access or uninitialised value
# anywhere, and no block definitely lost from a stack through rtcstats.so or
# the core (Postgres' own startup strdups are not ours).
reinstall
if command -v valgrind >/dev/null 2>&1; then
	vg="$tmp/vg"; mkdir -p "$vg"; chown postgres: "$vg"
	if runuser -u postgres -- "$bindir/initdb" -D "$vg/data" -A trust >/dev/null 2>&1; then
		printf "shared_preload_libraries = 'rtcstats'\nrtcstats.workers = 0\n" >> "$vg/data/postgresql.conf"
		echo "CREATE EXTENSION rtcstats" | runuser -u postgres -- "$bindir/postgres" --single -D "$vg/data" postgres >/dev/null 2>&1
		mkdir -p "$vg/data/rtcstats_dumps"
		gzip -n -c test/corpus/dumps/av-call.rtcstats > "$vg/data/rtcstats_dumps/v1.gz"
		echo garbage > "$vg/data/rtcstats_dumps/v2.gz"
		chown -R postgres: "$vg"
		d="$tmp/src/test/corpus/dumps"
		cat > "$vg/script.sql" <<SQL
INSERT INTO rtcstats_dumps (id, blob_url) VALUES ('00000000-0000-4000-8000-000000000001', current_setting('rtcstats.storage_url') || '/v1.gz'), ('00000000-0000-4000-8000-000000000002', current_setting('rtcstats.storage_url') || '/v2.gz'), ('00000000-0000-4000-8000-000000000003', current_setting('rtcstats.storage_url') || '/v3.gz')
SELECT length(rtcstats_features(pg_read_binary_file('$d/av-call.rtcstats'))::text)
SELECT length(rtcstats_analyze(pg_read_binary_file('$d/multi-pc.rtcstats'))::text)
SELECT count(*) FROM rtcstats_dump_events(pg_read_binary_file('$d/internals-gumonly.json.gz'))
SELECT count(*) FROM rtcstats_dump_events(pg_read_binary_file('$d/av-call.rtcstats'))
SELECT length(rtcstats_anonymize_dump(pg_read_binary_file('$d/av-call.raw.rtcstats')))
SELECT rtcstats_anonymize_sdp('c=IN IP4 192.0.2.4'), rtcstats_obfuscate_address('2001:db8::1'), rtcstats_anonymize_candidate('candidate:1 1 udp 1 10.0.0.1 1 typ host')
SELECT rtcstats_features('\\x1f8b0800'::bytea)
SELECT rtcstats_features(substr(pg_read_binary_file('$d/av-call.rtcstats'), 1, 5000))
SELECT count(*) FROM rtcstats_dump_events(substr(pg_read_binary_file('$d/av-call.rtcstats'), 1, 5000))
SELECT rtcstats_anonymize_dump('garbage'::bytea)
SELECT length(_rtcstats_feature_rows('features_client', '{dump_id,extra}', '[{"duration": 2.5, "reloadCount": 1e300, "operatingSystem": {"b": [1]}, "startTime": 1795504598431.5, "screen": null, "x": "y"}, {}]')::text)
SELECT rtcstats_extract_features('00000000-0000-4000-8000-000000000001') IS NOT NULL
SELECT rtcstats_extract_features('00000000-0000-4000-8000-000000000002') IS NOT NULL
SELECT count(*) FROM rtcstats_dump_events('00000000-0000-4000-8000-000000000001'::uuid)
SELECT length(rtcstats_report_html('00000000-0000-4000-8000-000000000001')), length(_rtcstats_report_html(NULL, NULL, NULL))
CALL rtcstats_extract_pending(5)
SELECT rtcstats_fetch_dump('00000000-0000-4000-8000-000000000009')
SQL
		chown postgres: "$vg/script.sql"
		runuser -u postgres -- valgrind --leak-check=full --show-leak-kinds=definite --num-callers=30 \
			"$bindir/postgres" --single -D "$vg/data" postgres < "$vg/script.sql" > "$vg/valgrind.log" 2>&1
		# one valgrind record = the lines up to a blank "==pid== " line; count
		# the records whose stack passes through rtcstats.so (Postgres' own
		# known reports, e.g. WAL pwrite of padding bytes, are not ours)
		records() {
			awk -v want="$1" '/^==[0-9]+== $/ { if (rec ~ want && rec ~ /rtcstats\.so/) n++; rec = ""; next }
				/^==[0-9]+== / { rec = rec "\n" $0 } END { print n + 0 }' "$vg/valgrind.log"
		}
		bad=$(records 'Invalid|uninitialised|Mismatched|overlap|Conditional jump')
		ours=$(records 'definitely lost')
		extracted=$(grep -c 'ERROR' "$vg/valgrind.log")
		if [ "$bad" -eq 0 ] && [ "$ours" -eq 0 ] && grep -q "LEAK SUMMARY\|no leaks are possible" "$vg/valgrind.log"; then
			ok "valgrind: every function, no memory error, no rtcstats leak ($extracted expected errors raised)"
		else
			grep -E "^==" "$vg/valgrind.log" | head -80
			fail "valgrind: $bad memory errors, $ours leaks through rtcstats"
		fi
	else
		fail "valgrind: initdb"
	fi
else
	fail "valgrind is missing"
fi

# S3: the same functions and a background worker against s3rver on loopback
# (4568, else 4569, the storage ports: the suites run one at a time), on a
# cluster started with pg_ctl on port 55432 once pg_regress is done with it.
s3pid=""; pgdata=""
stop_s3() {
	[ -n "$pgdata" ] && runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1
	[ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null && wait "$s3pid" 2>/dev/null
	rm -rf "$tmp"
}
trap stop_s3 EXIT
S3RVER=$(bash test/lib/s3rver-install.sh) || { fail "s3: install s3rver"; finish; }
s3port=""
for p in 4568 4569; do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then s3port=$p; break; fi
done
[ -n "$s3port" ] || { fail "s3: ports 4568 and 4569 are both taken"; finish; }
mkdir -p "$tmp/s3"
"$S3RVER" --directory "$tmp/s3" --port "$s3port" --address 127.0.0.1 --silent \
	--configure-bucket calls --configure-bucket other > "$tmp/s3rver.log" 2>&1 &
s3pid=$!
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break
	sleep 0.1
done
ep="http://127.0.0.1:$s3port"
put() { curl -sf -X PUT --data-binary "@$1" "$ep/$2" >/dev/null; }
gzip -n -c test/corpus/dumps/av-call.rtcstats > "$tmp/av-call.gz"
gzip -n -c test/corpus/dumps/multi-pc.rtcstats > "$tmp/multi-pc.gz"
if put "$tmp/av-call.gz" calls/dumps/s1.gz && put "$tmp/multi-pc.gz" calls/dumps/s2.gz &&
	put "$tmp/av-call.gz" other/dumps/s3.gz; then
	ok "s3: s3rver on 127.0.0.1:$s3port, objects uploaded"
else
	fail "s3: upload to s3rver"; cat "$tmp/s3rver.log"; finish
fi

pgdata="$vg/data"
reinstall
cat >> "$pgdata/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$vg'
rtcstats.workers = 1
rtcstats.database = 'postgres'
rtcstats.storage_url = 's3://calls/dumps'
rtcstats.s3_endpoint = '$ep'
rtcstats.s3_path_style = on
rtcstats.s3_access_key_id = 'S3RVER'
rtcstats.s3_secret_access_key = 'S3RVER'
rtcstats.storage_timeout = '5s'
CONF
if ! runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -l "$vg/server.log" -w start >/dev/null; then
	fail "s3: start the cluster"; tail -20 "$vg/server.log"; finish
fi
q() { runuser -u postgres -- "$bindir/psql" -X -At -h "$vg" -p $PORT -d postgres -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# SQLSTATE and detail of a failing statement
qerr() {
	q "DO \$\$ DECLARE d text; BEGIN PERFORM ($1); RAISE NOTICE 'no error';
		EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
		RAISE NOTICE '%: % / %', SQLSTATE, SQLERRM, regexp_replace(d, E'\\\\s+', ' ', 'g'); END \$\$;"
}
check() {	# name, got, want (extended regexp)
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok "s3: $1"; else fail "s3: $1: got \"$2\", want /$3/"; fi
}
q "CREATE EXTENSION IF NOT EXISTS rtcstats" >/dev/null
q "INSERT INTO rtcstats_dumps (id, blob_url) VALUES
	('5e000000-0000-4000-8000-000000000001', 's3://calls/dumps/s1.gz'),
	('5e000000-0000-4000-8000-000000000004', 's3://calls/dumps/missing.gz'),
	('5e000000-0000-4000-8000-000000000005', 's3://other/dumps/s3.gz')" >/dev/null
check "fetch returns the object as stored" \
	"$(q "SELECT md5(rtcstats_fetch_dump('5e000000-0000-4000-8000-000000000001'))")" \
	"^$(md5sum < "$tmp/av-call.gz" | cut -d' ' -f1)\$"
check "extract_features from S3" \
	"$(q "SELECT rtcstats_extract_features('5e000000-0000-4000-8000-000000000001') = rtcstats_features(pg_read_binary_file('$tmp/src/test/corpus/dumps/av-call.rtcstats'))")/$(q "SELECT count(*) FROM features_connection WHERE dump_id = '5e000000-0000-4000-8000-000000000001'")" \
	"^t/2\$"
check "events of a stored dump" \
	"$(q "SELECT count(*) FROM rtcstats_dump_events('5e000000-0000-4000-8000-000000000001'::uuid)")" "^137\$"
check "missing object: 58P01 with S3's answer in the detail" \
	"$(qerr "SELECT rtcstats_fetch_dump('5e000000-0000-4000-8000-000000000004')")" "58P01: .*object not found / .*(404|NoSuchKey)"
check "another bucket is refused (42501)" \
	"$(qerr "SELECT rtcstats_fetch_dump('5e000000-0000-4000-8000-000000000005')")" "42501: dump URL \"s3://other/dumps/s3.gz\" is outside the configured storage"
check "unreachable endpoint: 08006" \
	"$(qerr "SELECT rtcstats_fetch_dump('5e000000-0000-4000-8000-000000000001') FROM set_config('rtcstats.s3_endpoint', 'http://127.0.0.1:1', false)")" \
	"08006: .*storage unreachable"
# the worker: an insert is extracted from S3
q "INSERT INTO rtcstats_dumps (id, blob_url) VALUES ('5e000000-0000-4000-8000-000000000002', 's3://calls/dumps/s2.gz')" >/dev/null
for _ in $(seq 1 100); do
	[ "$(q "SELECT extracted_at IS NOT NULL FROM rtcstats_dumps WHERE id = '5e000000-0000-4000-8000-000000000002'")" = t ] && break
	sleep 0.2
done
check "a background worker extracts from S3" \
	"$(q "SELECT extracted_at IS NOT NULL, last_error IS NULL, (SELECT count(*) FROM features_connection WHERE dump_id = '5e000000-0000-4000-8000-000000000002') FROM rtcstats_dumps WHERE id = '5e000000-0000-4000-8000-000000000002'")" \
	"^t\|t\|6\$"
# external workers (rtcstats-worker) LISTEN: an insert notifies them
check "an insert sends NOTIFY rtcstats_dumps" \
	"$(q "LISTEN rtcstats_dumps; INSERT INTO rtcstats_dumps (id, blob_url, attempts) VALUES ('5e000000-0000-4000-8000-000000000009', 's3://calls/dumps/notify.gz', 100)")" \
	'Asynchronous notification "rtcstats_dumps" received'
# retention against S3: a deleted dump's object is deleted by an idle worker;
# an object in another bucket is refused and stays
put "$tmp/av-call.gz" calls/dumps/purge.gz
q "INSERT INTO rtcstats_dumps (id, blob_url, extracted_at) VALUES
	('5e000000-0000-4000-8000-00000000000a', 's3://calls/dumps/purge.gz', now());
	DELETE FROM rtcstats_dumps WHERE id IN ('5e000000-0000-4000-8000-00000000000a', '5e000000-0000-4000-8000-000000000005');
	SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM rtcstats_deleted_objects WHERE blob_url = 's3://calls/dumps/purge.gz'")" = 0 ] && break
	sleep 0.2
done
check "a deleted dump's S3 object is purged" \
	"$(q "SELECT count(*) FROM rtcstats_deleted_objects WHERE blob_url = 's3://calls/dumps/purge.gz'")/$(curl -s -o /dev/null -w '%{http_code}' "$ep/calls/dumps/purge.gz")" \
	"^0/404\$"
check "an object in another bucket is refused, not deleted" \
	"$(q "SELECT count(*) FROM rtcstats_deleted_objects WHERE blob_url = 's3://other/dumps/s3.gz' AND last_error LIKE 'refused:%'")/$(curl -s -o /dev/null -w '%{http_code}' "$ep/other/dumps/s3.gz")" \
	"^1/200\$"

# Not preloaded: the SQL functions work (the library loads on first use,
# rtcstats.workers in postgresql.conf is accepted), a statement timeout
# cancels a long call, and no worker runs.
runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1
sed -i "s/^shared_preload_libraries = .*/shared_preload_libraries = ''/" "$pgdata/postgresql.conf"
reinstall
if runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -l "$vg/server.log" -w start >/dev/null; then
	check "not preloaded: functions work, no worker" \
		"$(q "SELECT rtcstats_features(pg_read_binary_file('$tmp/src/test/corpus/dumps/av-call.rtcstats')) ? 'peerConnections', current_setting('rtcstats.workers'), (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'rtcstats worker')")" \
		"^t\|1\|0\$"
	check "not preloaded: a statement timeout cancels a long call" \
		"$(q "SET statement_timeout = '200ms'; SELECT count(*) FROM generate_series(1, 1000) g, rtcstats_dump_events(substr(pg_read_binary_file('$tmp/src/test/corpus/dumps/multi-pc.rtcstats'), 1, 10000000 + g))")" \
		"canceling statement due to statement timeout"
else
	fail "not preloaded: restart"; tail -20 "$vg/server.log"
fi
finish
