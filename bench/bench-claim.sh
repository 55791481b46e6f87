#!/usr/bin/env bash
# Claim time of the extraction queue (issue 13, item 13): rtcstats_claim_dump()
# with one eligible dump, the newest, behind 0 or BENCH_FAILED (100,000) failed
# rows: given up (their last data error spent rtcstats.max_attempts) or waiting
# out a backoff.  Each failed row is left in the state rtcstats_record_failure
# leaves it (attempts, last_error, next_attempt_at; failed_at where the schema
# has it).  pgbench runs "BEGIN; claim; ROLLBACK" BENCH_CLAIMS times on one
# connection, so every claim sees the same queue; printed: the mean latency
# (pgbench) and the index tuples read per claim (pg_stat_user_indexes), which
# stay flat when the claim is O(1) whatever the number of failed rows.
#
# A private PostgreSQL 15 cluster (fresh, fsync off) on BENCH_PG_PORT (55437)
# with the installed extension.  Prints figures and asserts nothing.
#
#   BENCH_FAILED   failed rows (default 100000)
#   BENCH_CLAIMS   claims timed per case (default 2000)
set -u
cd "$(dirname "$0")/.."
SUITE=bench-claim
. test/lib/common.sh
PG_PORT=${BENCH_PG_PORT:-55437}
. test/lib/pg.sh
NFAILED=${BENCH_FAILED:-100000}
NCLAIMS=${BENCH_CLAIMS:-2000}

rt_tmpdir
T=$RT_TMP
[ -f "$(pg_config --pkglibdir)/rtcstats.so" ] ||
	{ echo "bench-claim: the extension is not installed (make extension-install)"; exit 0; }
pg_init || { echo "bench-claim: initdb failed"; exit 0; }
pg_start || { echo "bench-claim: PostgreSQL did not start"; tail "$PG_LOG"; exit 0; }
pg_createdb >/dev/null || { echo "bench-claim: CREATE EXTENSION failed"; exit 0; }
has_failed_at=$(pg_psql -c "SELECT count(*) FROM pg_attribute
	WHERE attrelid = 'rtcstats_dumps'::regclass AND attname = 'failed_at'")

echo 'BEGIN;
SELECT * FROM rtcstats_claim_dump('"'bench'"');
ROLLBACK;' >"$T/claim.sql"
chmod 644 "$T/claim.sql"

# case NAME SQL: a fresh queue (SQL fills it), one eligible dump, NCLAIMS claims
run_case() {
	local name=$1 fill=$2 mean tup0 tup1
	pg_psql -c "SET client_min_messages = warning" -c "TRUNCATE rtcstats_dumps CASCADE" -c "$fill" \
		-c "INSERT INTO rtcstats_dumps (blob_url, created_at) VALUES ('file:///bench/eligible.gz', now())" \
		-c "VACUUM ANALYZE rtcstats_dumps" >/dev/null
	[ "$(pg_psql -c "SELECT count(*) FROM rtcstats_claim_dump('check') WHERE blob_url = 'file:///bench/eligible.gz'")" = 1 ] ||
		echo "bench-claim: $name: the claim does not return the eligible dump"
	pg_psql -c "UPDATE rtcstats_dumps SET claimed_at = NULL, attempts = 0 WHERE blob_url = 'file:///bench/eligible.gz'" >/dev/null
	sleep 1
	tup0=$(pg_psql -c "SELECT pg_stat_force_next_flush(); SELECT coalesce(sum(idx_tup_read), 0) + coalesce((SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'rtcstats_dumps'), 0)
		FROM pg_stat_user_indexes WHERE relname = 'rtcstats_dumps'" | tail -n 1)
	mean=$(runuser -u postgres -- "$PG_BINDIR/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -U postgres \
		-t "$NCLAIMS" -c 1 -f "$T/claim.sql" "$PG_DB" 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
	sleep 1
	tup1=$(pg_psql -c "SELECT pg_stat_force_next_flush(); SELECT coalesce(sum(idx_tup_read), 0) + coalesce((SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'rtcstats_dumps'), 0)
		FROM pg_stat_user_indexes WHERE relname = 'rtcstats_dumps'" | tail -n 1)
	printf '  %-34s %9s ms per claim  %9.1f rows read per claim\n' "$name" "${mean:-?}" \
		"$(echo "($tup1 - $tup0) / $NCLAIMS" | bc -l)"
}

gave_up="UPDATE rtcstats_dumps SET failed_at = now() WHERE attempts >= 5"
[ "$has_failed_at" = 1 ] || gave_up="SELECT 1"
echo "bench-claim: rtcstats_claim_dump() with one eligible dump, $NCLAIMS claims per case"
run_case "no failed rows" "SELECT 1"
run_case "$NFAILED given up (max_attempts)" "INSERT INTO rtcstats_dumps (blob_url, created_at, attempts, last_error, next_attempt_at)
	SELECT 'file:///bench/f' || n || '.gz', now() - interval '1 day' + n * interval '1 ms', 5, 'not a dump', now() - interval '1 min'
	FROM generate_series(1, $NFAILED) AS n; $gave_up"
run_case "$NFAILED backing off" "INSERT INTO rtcstats_dumps (blob_url, created_at, attempts, last_error, next_attempt_at)
	SELECT 'file:///bench/b' || n || '.gz', now() - interval '1 day' + n * interval '1 ms', 2, 'HTTP 503', now() + interval '1 hour'
	FROM generate_series(1, $NFAILED) AS n"
