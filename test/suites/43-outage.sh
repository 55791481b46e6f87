#!/usr/bin/env bash
# A storage outage does not spend the attempts of the dumps waiting for it
# (issue 13, item 10).  A 20-minute S3 outage, time compressed 60x
# (rtcstats.retry_delay = 1s, so the backoffs of 1 min doubling become 1 s
# doubling; 20 s of s3rver stopped), while dumps keep arriving, on both
# extraction paths at once, and a file:// storage made unreadable meanwhile:
#   - database "rtcstats": the extension's background worker (rtcstats.workers = 1);
#   - database "rtcstats_ext": rtcstats-worker with its own S3 client;
#   - database "rtcstats_file": rtcstats-worker (as postgres) on a file://
#     directory that is chmod 000 for the outage.
# Before the outage every object is stored in S3 (as the proxy does before it
# inserts a row); during it a row arrives every 4 s (4 min), plus one corrupt
# object (not a dump).  A failed fetch takes the storage client's own retries
# (about 1.4 s), so one worker retries each waiting dump every few seconds.  Checks, per path: no good dump given up (dumps lost: 0), none
# of their attempts spent on the outage while it was retried many times, every
# good dump extracted soon after S3 is back (within 60 s; the capped backoff is
# 5 x retry_delay), and the corrupt one given up after rtcstats.max_attempts
# data errors with its error.  Prints the figures: dumps lost, time to drain.
# On the code before issue 13 the attempts were spent by the outage (1-2-4-8
# minute backoff, 5 attempts: given up after 15 minutes), and
# rtcstats.retry_delay did not exist to compress the time.
set -u
cd "$(dirname "$0")/../.."
SUITE=outage
. test/lib/common.sh
PG_PORT=55438
. test/lib/pg.sh
S3_PORT=4572
. test/lib/s3.sh

OUTAGE_S=${RTCSTATS_OUTAGE_TEST_SECONDS:-20}	# 20 "minutes" at 60x
WORKER="$BIN/rtcstats-worker"
AV=test/corpus/dumps/av-call.rtcstats
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER	# s3rver's built-in account

rt_tmpdir
T=$RT_TMP
if ! make -s all >"$T/build.log" 2>&1 || ! make -s extension-install >>"$T/build.log" 2>&1; then
	fail "build (make all, extension-install)"; tail -n 30 "$T/build.log"; finish
fi
s3_install || { fail "install s3rver"; finish; }
s3_start || { fail "start s3rver on $S3_PORT"; finish; }
pg_init "rtcstats.workers = 1" "rtcstats.database = 'rtcstats'" \
	"rtcstats.storage_url = 's3://$S3_BUCKET/dumps'" "rtcstats.s3_endpoint = '$S3_ENDPOINT'" \
	"rtcstats.s3_path_style = on" "rtcstats.s3_access_key_id = 'S3RVER'" \
	"rtcstats.s3_secret_access_key = 'S3RVER'" "rtcstats.storage_timeout = '2s'" \
	"rtcstats.retry_delay = '1s'" "rtcstats.naptime = '500ms'" || { fail "initdb"; finish; }
pg_start || { fail "start PostgreSQL on $PG_PORT"; tail -n 20 "$PG_LOG"; finish; }
pg_createdb || { fail "CREATE EXTENSION rtcstats"; finish; }
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE rtcstats_ext" &&
	psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d rtcstats_ext -c "CREATE EXTENSION rtcstats" ||
	{ fail "CREATE DATABASE rtcstats_ext"; finish; }
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE rtcstats_file" &&
	psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d rtcstats_file -c "CREATE EXTENSION rtcstats" ||
	{ fail "CREATE DATABASE rtcstats_file"; finish; }
EXT_DSN="host=127.0.0.1 port=$PG_PORT dbname=rtcstats_ext user=postgres connect_timeout=5"
FILE_DSN="host=127.0.0.1 port=$PG_PORT dbname=rtcstats_file user=postgres connect_timeout=5"
STORE=$T/store
install -d -o postgres -g postgres -m 0750 "$STORE"
DBS="rtcstats rtcstats_ext rtcstats_file"
qdb() { psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -c "$2"; }

# the objects, stored before the outage: good dumps g<db>-<n>, one corrupt c<db>
gzip -n -c "$AV" >"$T/av.gz"
echo "this is not a dump" | gzip -n -c >"$T/bad.gz"
put() {	# put FILE DB KEY
	if [ "$2" = rtcstats_file ]; then install -o postgres -g postgres -m 0640 "$1" "$STORE/$3.gz"
	else curl -sf -X PUT --data-binary "@$1" "$S3_ENDPOINT/$S3_BUCKET/dumps/$3.gz" >/dev/null; fi
}
EVERY=4
n_good=$(( OUTAGE_S / EVERY ))
up=0
for db in $DBS; do
	for i in $(seq "$n_good"); do put "$T/av.gz" "$db" "g-$db-$i" && up=$((up + 1)); done
	put "$T/bad.gz" "$db" "c-$db" && up=$((up + 1))
done
[ "$up" -eq $(( 3 * n_good + 3 )) ] && ok "$up objects stored (S3, file://)" || { fail "stored $up objects"; finish; }

"$WORKER" --dsn "$EXT_DSN" --storage-url "s3://$S3_BUCKET/dumps" --s3-endpoint "$S3_ENDPOINT" \
	--s3-path-style --poll-interval 0.5 --name outage-ext 2>"$T/worker.log" &
wpid=$!
at_exit "kill $wpid"
: >"$T/worker-file.log"
setpriv --reuid=postgres --regid=postgres --init-groups "$WORKER" --dsn "$FILE_DSN" \
	--storage-url "file://$STORE" --poll-interval 0.5 --name outage-file 2>>"$T/worker-file.log" &
fpid=$!
at_exit "kill $fpid"
wait_until 20 grep -q 'event=started' "$T/worker.log" && wait_until 20 grep -q 'event=started' "$T/worker-file.log" &&
	ok "rtcstats-worker started (S3, and file:// as postgres)" ||
	{ fail "rtcstats-worker did not start"; cat "$T/worker.log" "$T/worker-file.log"; finish; }
# the background worker restarts every 5 s until its database exists
bgw() { qdb rtcstats "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'rtcstats worker' AND datname = 'rtcstats'"; }
wait_for 30 '[ "$(bgw)" -eq 1 ]' && ok "the background worker runs on database rtcstats" ||
	{ fail "no background worker on database rtcstats"; tail -n 20 "$PG_LOG"; finish; }

# --- the outage: S3 down, a dump arrives every second (time x60: every minute)
insert() {	# insert DB KEY
	local url="s3://$S3_BUCKET/dumps/$2.gz"
	[ "$1" = rtcstats_file ] && url="file://$STORE/$2.gz"
	qdb "$1" "INSERT INTO rtcstats_dumps (blob_url, rtcstats_user) VALUES ('$url', '$2')" >/dev/null
}
s3_stop
chmod 000 "$STORE"
t_down=$(date +%s)
for i in $(seq "$n_good"); do
	for db in $DBS; do insert "$db" "g-$db-$i"; done
	[ "$i" -eq 2 ] && for db in $DBS; do insert "$db" "c-$db"; done
	sleep "$EVERY"
done
sleep $(( t_down + OUTAGE_S - $(date +%s) > 0 ? t_down + OUTAGE_S - $(date +%s) : 0 ))
for db in $DBS; do
	line=$(qdb "$db" "SELECT count(*) FILTER (WHERE failed_at IS NOT NULL), coalesce(max(attempts), 0),
		coalesce(max(outages), 0), count(*) FILTER (WHERE extracted_at IS NOT NULL), count(*)
		FROM rtcstats_dumps WHERE rtcstats_user LIKE 'g-%'")
	IFS='|' read -r gave_up max_att max_out extracted rows <<<"$line"
	[ "$rows" -eq "$n_good" ] && [ "$gave_up" -eq 0 ] && [ "$max_att" -le 1 ] && [ "$extracted" -eq 0 ] &&
		ok "$db: after ${OUTAGE_S}s of S3 down: $rows dumps waiting, none given up, attempts spent at most $max_att (in progress)" ||
		fail "$db: after the outage: rows $rows, given up $gave_up, max attempts $max_att, extracted $extracted"
	[ "$max_out" -ge 3 ] && ok "$db: the outage was retried ($max_out outages in a row at most) without giving up" ||
		fail "$db: only $max_out outages recorded: the dumps were not retried during the outage"
done
grep -q 'event=outage dump=' "$T/worker.log" && grep -q 'event=outage dump=.*Permission denied' "$T/worker-file.log" &&
	ok "rtcstats-worker logged event=outage (S3 down, file:// unreadable)" ||
	fail "rtcstats-worker logged no event=outage: $(grep -m1 'event=' "$T/worker-file.log")"

# --- S3 is back: everything good is extracted, the corrupt one is given up
s3_start || { fail "restart s3rver"; finish; }
chmod 0750 "$STORE"
t_up=$(date +%s)
pending() { qdb "$1" "SELECT count(*) FROM rtcstats_dumps WHERE rtcstats_user LIKE 'g-%' AND extracted_at IS NULL"; }
drained=""
for db in $DBS; do
	if wait_for 60 '[ "$(pending '"$db"')" -eq 0 ]'; then
		d=$(( $(date +%s) - t_up ))
		drained="$drained $db=${d}s"
		ok "$db: all $n_good dumps extracted ${d}s after S3 came back"
	else
		fail "$db: $(pending "$db") of $n_good dumps still not extracted 60 s after S3 came back"
	fi
done
for db in $DBS; do
	wait_for 60 '[ "$(qdb '"$db"' "SELECT count(*) FROM rtcstats_dumps WHERE rtcstats_user LIKE '"'c-%'"' AND failed_at IS NOT NULL")" -eq 1 ]'
	line=$(qdb "$db" "SELECT attempts, failed_at IS NOT NULL, left(last_error, 120) FROM rtcstats_dumps WHERE rtcstats_user LIKE 'c-%'")
	IFS='|' read -r att gone err <<<"$line"
	[ "$gone" = t ] && [ "$att" -eq 5 ] && ok "$db: the corrupt dump given up after $att data errors: $err" ||
		fail "$db: the corrupt dump: attempts $att, given up $gone, error $err"
	lost=$(qdb "$db" "SELECT count(*) FROM rtcstats_dumps WHERE rtcstats_user LIKE 'g-%' AND (failed_at IS NOT NULL OR extracted_at IS NULL)")
	[ "$lost" -eq 0 ] && ok "$db: dumps lost: 0 of $n_good" || fail "$db: dumps lost: $lost of $n_good"
	echo "figures: $db: outage ${OUTAGE_S}s (= $OUTAGE_S min at 60x), dumps lost $lost of $n_good, drained:$(echo "$drained" | tr ' ' '\n' | grep "^$db=" | sed 's/^[^=]*=/ /')"
done
kill "$wpid" "$fpid" 2>/dev/null; wait "$wpid" "$fpid" 2>/dev/null
for l in worker worker-file; do
	grep -q 'event=stopped' "$T/$l.log" && ok "rtcstats-worker ($l): $(grep 'event=stopped' "$T/$l.log" | sed 's/.*event=stopped //')" ||
		fail "rtcstats-worker ($l) did not stop cleanly"
done
finish
