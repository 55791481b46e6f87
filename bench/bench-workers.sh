#!/usr/bin/env bash
# Extraction end to end (issue 3's figures): dumps/s fetched from an S3 server,
# parsed and stored, by the extension's background workers (rtcstats.workers =
# 1 and 2) and by the external rtcstats-worker (--concurrency 1 and 2), and
# the workers' memory after the first 50 dumps and after all of them.
#
# s3rver (npm, as the e2e suites) on 127.0.0.1:4570 holds the corpus dump
# av-call.rtcstats gzipped under BENCH_DUMPS (5,000) distinct keys; a private
# PostgreSQL 15 cluster on port 55436 (fresh for each run, fsync off) gets one
# row per object, all in one COPY, while the workers are already up and idle
# (the insert trigger wakes them at commit).  Time runs from that commit until
# every row has extracted_at.  Memory: VmRSS and RssAnon (/proc/PID/status) of
# each worker process; a background worker's VmRSS also counts the shared
# buffers it has touched, RssAnon is its private memory.  CPU: the workers'
# and s3rver's utime+stime over the run (both share the machine's cores with
# PostgreSQL's own backends).  Prints figures and asserts nothing.
#
#   BENCH_DUMPS       number of objects and rows (default 5000)
#   BENCH_RUNS        which runs, default "bgw:1 bgw:2 ext:1 ext:2"
set -u
cd "$(dirname "$0")/.."
SUITE=bench-workers
. test/lib/common.sh
PG_PORT=55436
. test/lib/pg.sh
S3_PORT=4570
. test/lib/s3.sh
S3_BUCKET=bench
PREFIX=dumps
NDUMPS=${BENCH_DUMPS:-5000}
EARLY=50
WORKER="$BIN/rtcstats-worker"
DUMP=test/corpus/dumps/av-call.rtcstats
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER	# s3rver's built-in account
HZ=$(getconf CLK_TCK)

rt_tmpdir
T=$RT_TMP

[ -x "$WORKER" ] || { echo "bench-workers: $WORKER is missing (make all)"; exit 0; }
[ -f "$(pg_config --pkglibdir)/rtcstats.so" ] ||
	{ echo "bench-workers: the extension is not installed (make extension-install)"; exit 0; }
s3_install || { echo "bench-workers: could not install s3rver"; exit 0; }
s3_start || { echo "bench-workers: s3rver did not start on $S3_PORT"; exit 0; }

# --- the objects: one gzipped dump under NDUMPS keys, PUT by curl --parallel
# (s3rver checks no signature); the ids double as row ids
gzip -9 -c "$DUMP" >"$T/dump.gz"
perl -e 'srand(42); for (1 .. $ARGV[0]) { my @b = map { int(rand(256)) } 1 .. 16;
	$b[6] = ($b[6] & 0x0f) | 0x40; $b[8] = ($b[8] & 0x3f) | 0x80;
	printf "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", @b }' \
	"$NDUMPS" >"$T/ids"
awk -v f="$T/dump.gz" -v u="$S3_ENDPOINT/$S3_BUCKET/$PREFIX" \
	'{ printf "upload-file = \"%s\"\nurl = \"%s/%s.gz\"\noutput = \"/dev/null\"\n", f, u, $1 }' \
	"$T/ids" >"$T/curl.cfg"
t0=$(now_ms)
curl -sS --fail --no-progress-meter --parallel --parallel-max 16 -K "$T/curl.cfg" 2>"$T/curl.err"
rc=$?
t1=$(now_ms)
up=$(find "$T/s3/$S3_BUCKET/$PREFIX" -name '*.gz._S3rver_object' 2>/dev/null | wc -l)
echo "== workers: extraction end to end from s3rver ($S3_ENDPOINT, path-style) into PostgreSQL 15"
echo "   $NDUMPS objects of $(basename "$DUMP") ($(stat -c %s "$DUMP") bytes, gzipped $(stat -c %s "$T/dump.gz"))," \
	"uploaded in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }') s;" \
	"$(nproc) cores shared by the workers, PostgreSQL and s3rver (load average $(cut -d' ' -f1 /proc/loadavg) before)"
[ "$rc" -ne 0 ] && echo "   upload: curl exit $rc, $up of $NDUMPS objects stored: $(head -n 2 "$T/curl.err" | tr '\n' ' ')"
echo "   bgw = background workers (rtcstats.workers = N), ext = rtcstats-worker --concurrency N;"
echo "   RSS per worker process, MB, after the first ~$EARLY dumps, ~half and all (VmRSS includes"
echo "   the shared buffers a backend touched; RssAnon is its private memory); CPU ms per dump"
echo "   of the worker processes, of the cluster's other processes (for ext: the backends that"
echo "   store the features) and of s3rver"
MID=$((NDUMPS / 2))
FMT='%-4s %7s %6s %8s %8s %7s %7s %7s %-12s %-12s %-10s %-10s %-10s %6s\n'
printf "$FMT" run workers dumps seconds dumps/s "worker" "pg" "s3rver" "VmRSS@$EARLY" "VmRSS@end" \
	"RssAnon@$EARLY" "@$MID" "@end" failed
printf "$FMT" "" "" "" "" "" "ms/dump" "ms/dump" "ms/dump" "MB" "MB" "MB" "MB" "MB" ""

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sum_ticks() { local s=0 p; for p in "$@"; do s=$((s + $(cpu_ticks "$p"))); done; echo "$s"; }
status_mb() {	# FIELD PID...: "a/b" in MB
	local k=$1 p out=""; shift
	for p in "$@"; do
		out+="${out:+/}$(awk -v k="$k:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$p/status" 2>/dev/null)"
	done
	echo "$out"
}

per_dump() { awk -v c="$1" -v hz="$HZ" -v d="$2" 'BEGIN { printf "%.2f", d ? c * 1000 / hz / d : 0 }'; }
# the cluster's processes other than $PIDS: the postmaster and its children
pg_pids() {
	local pm p
	pm=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 0
	for p in $pm $(pgrep -P "$pm"); do
		case " $PIDS " in *" $p "*) ;; *) echo "$p" ;; esac
	done
}

# a fresh cluster with the extension; extra postgresql.conf lines as arguments
fresh_cluster() {
	pg_stop
	rm -rf "$T/pg"
	pg_init "rtcstats.database = 'rtcstats'" "shared_buffers = 128MB" \
		"rtcstats.storage_url = 's3://$S3_BUCKET/$PREFIX'" "rtcstats.s3_endpoint = '$S3_ENDPOINT'" \
		"rtcstats.s3_region = 'us-east-1'" "rtcstats.s3_path_style = on" \
		"rtcstats.s3_access_key_id = '$AWS_ACCESS_KEY_ID'" \
		"rtcstats.s3_secret_access_key = '$AWS_SECRET_ACCESS_KEY'" "$@" >/dev/null &&
		pg_start && pg_createdb
}

# the rows, as the proxy would write them (size_bytes of the object)
awk -v u="s3://$S3_BUCKET/$PREFIX" -v n="$(stat -c %s "$T/dump.gz")" \
	'{ printf "%s\t%s/%s.gz\t%s\tbench\n", $1, u, $1, n }' "$T/ids" >"$T/rows.tsv"
chmod 0644 "$T/rows.tsv"

# run KIND N: time the extraction of NDUMPS rows by the worker processes $PIDS
measure() {	# LABEL N
	local label=$1 n=$2 s3c0 s3c1 wc0 wc1 pc0 pc1 t0 t1 done=0 errs=0 r50="" a50="" amid="" deadline
	s3c0=$(cpu_ticks "$S3_PID")
	wc0=$(sum_ticks $PIDS)
	pc0=$(sum_ticks $(pg_pids))
	t0=$(now_ms)
	pg_psql -c "\\copy rtcstats_dumps (id, blob_url, size_bytes, host_identifier) FROM '$T/rows.tsv'" ||
		{ echo "$label: COPY failed"; return 1; }
	deadline=$(( t0 + 600000 ))
	while :; do
		read -r done errs <<<"$(pg_psql -F' ' -c "SELECT count(*) FILTER (WHERE extracted_at IS NOT NULL),
			count(*) FILTER (WHERE last_error IS NOT NULL) FROM rtcstats_dumps")"
		if [ -z "$r50" ] && [ "${done:-0}" -ge "$EARLY" ]; then
			r50=$(status_mb VmRSS $PIDS)
			a50=$(status_mb RssAnon $PIDS)
		fi
		[ -z "$amid" ] && [ "${done:-0}" -ge "$MID" ] && amid=$(status_mb RssAnon $PIDS)
		[ "${done:-0}" -ge "$NDUMPS" ] && break
		[ "$(( ${done:-0} + ${errs:-0} ))" -ge "$NDUMPS" ] && break
		[ "$(now_ms)" -ge "$deadline" ] && { echo "$label: timed out at $done dumps"; break; }
		sleep 0.05
	done
	t1=$(now_ms)
	wc1=$(sum_ticks $PIDS)
	pc1=$(sum_ticks $(pg_pids))
	s3c1=$(cpu_ticks "$S3_PID")
	printf "$FMT" "$label" "$n" "$done" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')" \
		"$(awk -v a="$t0" -v b="$t1" -v d="$done" 'BEGIN { printf "%.0f", (b > a) ? d * 1000 / (b - a) : 0 }')" \
		"$(per_dump $((wc1 - wc0)) "$done")" "$(per_dump $((pc1 - pc0)) "$done")" \
		"$(per_dump $((s3c1 - s3c0)) "$done")" \
		"$r50" "$(status_mb VmRSS $PIDS)" "$a50" "$amid" "$(status_mb RssAnon $PIDS)" "$errs"
	[ "${errs:-0}" -gt 0 ] && pg_psql -c "SELECT last_error, count(*) FROM rtcstats_dumps
		WHERE last_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3" | sed 's/^/   error: /'
	return 0
}

wpid=""
stop_worker() { [ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null; wpid=""; }
at_exit stop_worker
for run in ${BENCH_RUNS:-bgw:1 bgw:2 ext:1 ext:2}; do
	kind=${run%%:*} n=${run#*:}
	PIDS=""
	if [ "$kind" = bgw ]; then
		# created with no worker, then restarted with N (they need the database)
		fresh_cluster || { echo "bgw $n: the cluster did not start ($(tail -n 3 "$PG_LOG"))"; continue; }
		pg_stop
		echo "rtcstats.workers = $n" >>"$PG_DATA/postgresql.conf"
		pg_start || { echo "bgw $n: restart failed ($(tail -n 3 "$PG_LOG"))"; continue; }
		wait_for 30 '[ "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity
			WHERE backend_type = '"'rtcstats worker'"' AND state = '"'idle'"'")" -ge "$n" ]' ||
			{ echo "bgw $n: the workers did not come up"; continue; }
		PIDS=$(pg_psql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'rtcstats worker' ORDER BY pid" | tr '\n' ' ')
		measure bgw "$n"
	else
		fresh_cluster || { echo "ext $n: the cluster did not start ($(tail -n 3 "$PG_LOG"))"; continue; }
		"$WORKER" --dsn "$PG_DSN" --storage-url "s3://$S3_BUCKET/$PREFIX" --s3-endpoint "$S3_ENDPOINT" \
			--s3-path-style --poll-interval 1 --concurrency "$n" --name "bench-$n" 2>"$T/worker-$n.log" &
		wpid=$!
		# started and listening: one connection per process
		wait_for 30 '[ "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity
			WHERE backend_type = '"'client backend'"' AND pid <> pg_backend_pid()")" -ge "$n" ]' ||
			{ echo "ext $n: rtcstats-worker did not connect ($(tail -n 3 "$T/worker-$n.log"))"; stop_worker; continue; }
		if [ "$n" -eq 1 ]; then PIDS=$wpid; else PIDS=$(pgrep -P "$wpid" | tr '\n' ' '); fi
		measure ext "$n"
		stop_worker
	fi
done
pg_stop
exit 0
