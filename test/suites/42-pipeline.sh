#!/usr/bin/env bash
# The proxy's durable pipeline against hostile input (PostgreSQL 15 with the
# extension on 55433, file:// storage, rtcstats-proxy built with ASan+UBSan on
# 18084, a JWT secret so that claims reach the row):
#   1. 100 poison dumps (metadata startTime 1e17, a metadata line with \u0000,
#      a token whose user claim is invalid UTF-8 and holds a NUL, a user that a
#      CHECK constraint refuses: the data error that slips through), then 100
#      good sessions, then both interleaved: every good one is stored within
#      seconds (p50/p99 of created_at - session_end printed), the poison ones are
#      stored cleaned or quarantined in spool-dir/failed with their reason,
#      counted in /metrics, none lost (rows + failed files);
#   2. rtcstats-proxy --requeue-failed ID, then without ids, while the proxy
#      runs: the quarantined dumps are stored once the constraint is gone; a
#      missing table (42P01) is an outage: retried, not quarantined;
#   3. SIGTERM with nothing left to do exits at once (a poison row used to
#      keep the queue busy for the whole shutdown-timeout);
#   4. a planted to_timestamp(double precision) and rtcstats_dumps earlier in
#      the proxy's search_path are not used;
#   5. a multi-line libpq message (connection refused) is logged on one line,
#      and every line of every log of the suite is one event;
#   6. a storage directory on a full filesystem (a 2 MB tmpfs, filled) makes
#      /healthcheck answer 503, and 200 again once there is room;
#   7. a stub S3 endpoint (python3) answering PUT with 400 (a data error:
#      quarantined, reason=storage), 503 and 403 (outages: retried), then 200.
# It takes about a minute.
set -u
cd "$(dirname "$0")/../.."
SUITE=pipeline
. test/lib/common.sh
. test/lib/pg.sh
. test/lib/proxy.sh
. test/lib/jwt.sh

SECRET=pipeline-secret
P=18084
REPLAY="$BIN/rtcstats-replay"
D=test/corpus/dumps/gumonly.rtcstats
N=100

rt_tmpdir
T=$RT_TMP

proxy_build_san || finish

pg_up || finish
# The data error no validation can foresee: a constraint of the site's own.
pg_psql -c "ALTER TABLE rtcstats_dumps ADD CONSTRAINT site_rule CHECK (rtcstats_user IS DISTINCT FROM 'refused')"

SPOOL=$T/spool
PROXY_ARGS=(--storage-url "file://$T/store" --dsn "$PG_DSN" --spool-dir "$SPOOL"
	--jwt-secret "$SECRET" --host-identifier pipeline --health-interval 1)
proxy_start $P "${PROXY_ARGS[@]}" || { fail "start the proxy"; finish; }
ok "PostgreSQL with the extension, ASan proxy on $P"

token() {	# user [conference]
	local now
	now=$(date +%s)
	jwt_hs256 "$SECRET" "{\"rtcStats\":{\"user\":\"$1\",\"session\":\"s\",\"conference\":\"${2:-c}\"},\"iat\":$now,\"exp\":$((now + 3600))}"
}
GOOD=$(token good)
PSTART=$(token p-start)
PNUL=$(token p-nul)
REFUSED=$(token refused)
BADUTF=$(token $'bad\xff\xfe-\xc0\xafutf8' 'a\u0000b')
URL="ws://127.0.0.1:$P/pipeline"

sed 's/"startTime":[0-9]*/"startTime":1e17/' "$D" >"$T/start1e17.rtcstats"
sed 's/"url":"/"nul":"a\\u0000b","url":"/' "$D" >"$T/nul.rtcstats"
grep -q '"startTime":1e17' "$T/start1e17.rtcstats" && grep -q 'u0000' "$T/nul.rtcstats" ||
	fail "poison dumps not made"

upload() {	# file token
	curl -s -o /dev/null -w '%{http_code}' --data-binary @"$1" \
		"http://127.0.0.1:$P/upload?rtcstats-token=$2"
}
# One poison dump of kind $1 % 4; prints nothing, counts what it sent.
sent_ok=0
poison() {
	local code
	case $(( $1 % 4 )) in
	0) code=$(upload "$T/start1e17.rtcstats" "$PSTART") ;;
	1) code=$(upload "$T/nul.rtcstats" "$PNUL") ;;
	2) "$REPLAY" --fast -q --token "$BADUTF" "$URL" "$D" >/dev/null 2>&1 && code=200 ;;
	3) "$REPLAY" --fast -q --token "$REFUSED" "$URL" "$D" >/dev/null 2>&1 && code=200 ;;
	esac
	[ "${code:-}" = 200 ] && sent_ok=$((sent_ok + 1))
}
good() {
	"$REPLAY" --fast -q --token "$GOOD" "$URL" "$D" >/dev/null 2>&1 && sent_ok=$((sent_ok + 1))
}

rows() { pg_psql -c "SELECT count(*) FROM rtcstats_dumps${1:+ WHERE $1}"; }
failed_dumps() { ls "$SPOOL/failed" 2>/dev/null | grep -c '\.dump$'; }
failed_reasons() { ls "$SPOOL/failed" 2>/dev/null | grep -c '\.reason$'; }
spool_dumps() { ls "$SPOOL" | grep -cE '\.(dump|part|requeue)$'; }
# p50 and p99 of created_at - session_end (the pipeline's delay) over rows WHERE $1, ms.
delays() {
	pg_psql -F' ' -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)),
		round(percentile_cont(0.99) WITHIN GROUP (ORDER BY d)), round(max(d))
		FROM (SELECT extract(epoch FROM created_at - session_end) * 1000 AS d
		FROM rtcstats_dumps WHERE $1) x"
}

# ------------------------------------------------ 1. poison, then good ---
for i in $(seq 0 $((N - 1))); do poison $i; done
for i in $(seq $N); do good; done
expect_sent=$((2 * N))
[ $sent_ok -eq $expect_sent ] && ok "sent $N poison dumps, then $N good sessions" ||
	fail "sent: $sent_ok of $expect_sent accepted"
if wait_for 30 '[ "$(rows "rtcstats_user = '"'good'"'")" -ge $N ]'; then
	ok "every good session stored"
else
	fail "good sessions stored: $(rows "rtcstats_user = 'good'") of $N + poison (log: $(grep -c 'event=retry' "$(proxy_log $P)") retries)"
fi
read -r p50 p99 pmax <<<"$(delays "rtcstats_user = 'good'")"
echo "     good after poison: delay p50 ${p50:-?} ms, p99 ${p99:-?} ms, max ${pmax:-?} ms (created_at - session_end)"
[ "${p99:-99999}" -lt 5000 ] 2>/dev/null && ok "good sessions stored within seconds (p99 ${p99} ms)" ||
	fail "good sessions delayed: p99 ${p99:-?} ms"
wait_for 30 '[ "$(failed_dumps)" -eq $((N / 4)) ]' &&
	ok "the refused ones are quarantined in failed/ ($((N / 4)))" || fail "failed/ holds $(failed_dumps), expected $((N / 4))"
expect_rows=$((N + 3 * N / 4))
wait_for 30 '[ "$(rows)" -eq $expect_rows ]' && ok "the others are stored cleaned ($expect_rows rows)" ||
	fail "rows: $(rows), expected $expect_rows"

# ------------------------------------------------------- interleaved ---
sent_ok=0
before=$(rows "rtcstats_user = 'good'")
for i in $(seq 0 $((N - 1))); do poison $i; good; done
[ $sent_ok -eq $((2 * N)) ] && ok "sent $N poison dumps and $N good sessions interleaved" ||
	fail "interleaved: $sent_ok of $((2 * N)) accepted"
wait_for 30 '[ "$(rows "rtcstats_user = '"'good'"'")" -ge $((before + N)) ]' &&
	ok "interleaved: every good session stored" ||
	fail "interleaved: good rows $(( $(rows "rtcstats_user = 'good'") - before )) of $N"
wait_for 30 '[ "$(failed_dumps)" -eq $((N / 2)) ] && [ "$(spool_dumps)" -eq 0 ]' &&
	ok "interleaved: the refused ones quarantined, the queue empty" ||
	fail "interleaved: failed/ $(failed_dumps), spool $(spool_dumps)"
read -r p50 p99 pmax <<<"$(delays "rtcstats_user = 'good'")"
echo "     all good sessions: delay p50 ${p50:-?} ms, p99 ${p99:-?} ms, max ${pmax:-?} ms"
[ "${p99:-99999}" -lt 5000 ] 2>/dev/null && ok "interleaved: stored within seconds (p99 ${p99} ms)" ||
	fail "interleaved: p99 ${p99:-?} ms"

# What the cleaned poison became.
expect_rows=$((2 * N + 3 * N / 2))
[ "$(rows)" -eq $expect_rows ] && ok "none lost: $(rows) rows + $(failed_dumps) quarantined = $((4 * N)) sent" ||
	fail "rows $(rows), failed $(failed_dumps): expected $expect_rows + $((N / 2))"
[ "$(rows "rtcstats_user = 'p-start' AND session_start BETWEEN now() - interval '1 hour' AND now()")" -eq $((N / 2)) ] &&
	[ "$(rows "session_start > now() + interval '1 day'")" -eq 0 ] &&
	ok "metadata startTime 1e17 ignored: session_start is the receive time" ||
	fail "session_start out of range: $(pg_psql -c "SELECT max(session_start) FROM rtcstats_dumps")"
[ "$(rows "rtcstats_user = 'p-nul' AND metadata IS NULL")" -eq $((N / 2)) ] &&
	ok "a metadata line with \\u0000: stored with a NULL metadata" ||
	fail "NULL metadata rows: $(rows "metadata IS NULL")"
[ "$(rows "rtcstats_user = 'bad??-??utf8' AND rtcstats_conference = 'ab'")" -eq $((N / 2)) ] &&
	ok "a claim with invalid UTF-8 and a NUL: stored repaired" ||
	fail "repaired claims: $(pg_psql -c "SELECT DISTINCT rtcstats_user || '|' || rtcstats_conference FROM rtcstats_dumps WHERE rtcstats_user LIKE 'bad%'")"
[ "$(failed_reasons)" -eq $((N / 2)) ] &&
	[ "$(cat "$SPOOL"/failed/*.reason | grep -c 'reason=database .*sqlstate=23514')" -eq $((N / 2)) ] &&
	ok "each quarantined dump has its reason (sqlstate 23514)" ||
	fail "reasons: $(failed_reasons); $(head -n 1 "$SPOOL"/failed/*.reason 2>/dev/null | head -n 2)"
[ "$(proxy_metric $P 'rtcstats_proxy_dumps_quarantined_total{reason="database"}')" -eq $((N / 2)) ] &&
	ok "counted in /metrics (rtcstats_proxy_dumps_quarantined_total{reason=\"database\"})" ||
	fail "metric: $(curl -s "http://127.0.0.1:$P/metrics" | grep quarantined)"
n=$(grep -c 'event=failed dump=.* reason=database' "$(proxy_log $P)")
[ "$n" -eq $((N / 2)) ] && ok "logged once each, with the dump id" || fail "event=failed lines: $n"
[ "$(grep -c 'event=retry' "$(proxy_log $P)")" -eq 0 ] &&
	ok "no data error counted as an outage (no retry)" ||
	fail "retries: $(grep 'event=retry' "$(proxy_log $P)" | head -n 2)"

# ----------------------------------------------------- 2. requeue them ---
pg_psql -c "ALTER TABLE rtcstats_dumps DROP CONSTRAINT site_rule"
one=$(ls "$SPOOL/failed" | grep '\.dump$' | head -n 1)
one=${one%.dump}
out=$("$PROXY_BIN" --spool-dir "$SPOOL" --requeue-failed "$one" 2>&1)
[ "$out" = "requeued $one" ] && ok "--requeue-failed ID (the proxy running)" || fail "--requeue-failed $one: $out"
wait_for 10 '[ "$(rows "id = '"'$one'"'")" -eq 1 ]' && [ ! -e "$SPOOL/failed/$one.reason" ] &&
	ok "the running proxy stores it within seconds" || fail "requeued $one not stored"
out=$("$PROXY_BIN" --requeue-failed --spool-dir "$SPOOL" 2>&1)
[ "$(grep -c '^requeued ' <<<"$out")" -eq $((N / 2 - 1)) ] && ok "--requeue-failed (all)" ||
	fail "--requeue-failed: $(head -n 3 <<<"$out")"
wait_for 20 '[ "$(rows "rtcstats_user = '"'refused'"'")" -eq $((N / 2)) ] && [ "$(failed_dumps)" -eq 0 ]' &&
	ok "every requeued dump stored once, failed/ empty" ||
	fail "refused rows $(rows "rtcstats_user = 'refused'"), failed/ $(failed_dumps)"
out=$("$PROXY_BIN" --spool-dir "$SPOOL" --requeue-failed 00000000-0000-4000-8000-000000000000 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q 'cannot requeue' <<<"$out" && ok "--requeue-failed of an unknown id: exit 1" ||
	fail "unknown id: rc $rc, $out"

# An error that every dump would meet is an outage, not a data error: the
# table missing (42P01) makes the dump wait and retry, and nothing is quarantined.
pg_psql -c "ALTER TABLE rtcstats_dumps RENAME TO rtcstats_dumps_away"
tries=$(proxy_metric $P rtcstats_proxy_attempts_failed_total)
"$REPLAY" --fast -q --token "$(token outage)" "$URL" "$D" >/dev/null 2>&1
wait_for 10 '[ "$(proxy_metric $P rtcstats_proxy_attempts_failed_total)" -gt "$tries" ]' &&
	[ "$(failed_dumps)" -eq 0 ] && [ "$(spool_dumps)" -eq 1 ] &&
	ok "a missing table (42P01) is an outage: retried, not quarantined" ||
	fail "missing table: failed/ $(failed_dumps), spool $(spool_dumps), $(grep -m1 'sqlstate=42P01' "$(proxy_log $P)")"
pg_psql -c "ALTER TABLE rtcstats_dumps_away RENAME TO rtcstats_dumps"
wait_for 15 '[ "$(rows "rtcstats_user = '"'outage'"'")" -eq 1 ]' && ok "table back: the dump is stored" ||
	fail "after the outage: $(rows "rtcstats_user = 'outage'") rows"

# ----------------------------------------------- 3. SIGTERM, item 8 ---
"$REPLAY" --fast -q --token "$BADUTF" "$URL" "$D" >/dev/null 2>&1
t0=$(now_ms)
proxy_stop $P
rc=$?
t=$(( $(now_ms) - t0 ))
echo "     SIGTERM to exit: $t ms"
[ $rc -eq 0 ] && [ $t -lt 10000 ] && ok "SIGTERM after a bad-UTF-8 token: exit 0 in $t ms" ||
	fail "SIGTERM: rc $rc after $t ms"
[ "$(spool_dumps)" -eq 0 ] && ok "nothing left in the spool" || fail "spool: $(ls "$SPOOL")"

# -------------------------------------------- 4. search_path planted ---
pg_psql -c "CREATE SCHEMA evil; CREATE TABLE evil.calls (n int);
	CREATE FUNCTION evil.to_timestamp(double precision) RETURNS timestamptz LANGUAGE sql
		AS \$\$ INSERT INTO evil.calls VALUES (1) RETURNING '2001-01-01'::timestamptz \$\$;
	CREATE TABLE evil.rtcstats_dumps (LIKE public.rtcstats_dumps INCLUDING ALL)"
proxy_start $P "${PROXY_ARGS[@]}" --dsn "$PG_DSN options=-csearch_path=evil,pg_catalog,public" ||
	{ fail "restart the proxy"; finish; }
before=$(rows)
"$REPLAY" --fast -q --token "$(token planted)" "$URL" "$D" >/dev/null 2>&1
wait_for 10 '[ "$(rows "rtcstats_user = '"'planted'"'")" -eq 1 ]' &&
	ok "search_path evil,pg_catalog,public: the row is in the extension's table" ||
	fail "planted: rows $(rows "rtcstats_user = 'planted'"), evil $(pg_psql -c 'SELECT count(*) FROM evil.rtcstats_dumps')"
[ "$(pg_psql -c 'SELECT count(*) FROM evil.calls')" = 0 ] &&
	[ "$(pg_psql -c 'SELECT count(*) FROM evil.rtcstats_dumps')" = 0 ] &&
	[ "$(rows "rtcstats_user = 'planted' AND session_start > '2001-01-02'")" -eq 1 ] &&
	ok "the planted to_timestamp and table are not used" ||
	fail "planted objects used: calls $(pg_psql -c 'SELECT count(*) FROM evil.calls')"
curl -s "http://127.0.0.1:$P/healthcheck" | grep -q '"status":"ok"' &&
	ok "healthcheck finds the extension's table" || fail "healthcheck: $(curl -s "http://127.0.0.1:$P/healthcheck")"
proxy_stop $P

# ------------------------------------------- 5. one event, one line ---
proxy_start $P --storage-url "file://$T/store" --dsn "host=127.0.0.1 port=1 connect_timeout=2" \
	--spool-dir "$T/spool-refused" --retry-max-delay 1 --health-interval 1 || { fail "start the proxy"; finish; }
curl -s -o /dev/null --data-binary @"$D" "http://127.0.0.1:$P/upload"
wait_for 10 'grep -q "event=db_error" "$(proxy_log $P)"' || fail "no db_error logged"
line=$(grep -m1 'event=db_error' "$(proxy_log $P)")
grep -q 'Connection refused\\n\\tIs the server running' <<<"$line" &&
	ok "libpq's two-line message on one line, escaped" || fail "db_error line: $line"
proxy_stop $P
bad=$(cat "$RT_TMP"/proxy-*.log | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z (debug|info |warn |error) event=')
[ "$bad" -eq 0 ] && ok "every log line of the suite is one event ($(cat "$RT_TMP"/proxy-*.log | wc -l) lines)" ||
	fail "$bad log lines are not events: $(cat "$RT_TMP"/proxy-*.log |
		grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z (debug|info |warn |error) event=' | head -n 3)"

# ---------------------------------------------------- 6. a full disk ---
mkdir -p "$T/full"
if mount -t tmpfs -o size=2m tmpfs "$T/full" 2>"$T/mount.err"; then
	at_exit "umount '$T/full'"
	proxy_start $P --storage-url "file://$T/full/store" --spool-dir "$T/spool-full" \
		--health-interval 1 || { fail "start the proxy"; finish; }
	health() { curl -s -o "$T/health.json" -w '%{http_code}' "http://127.0.0.1:$P/healthcheck"; }
	[ "$(health)" = 200 ] && ok "room on the storage filesystem: 200" || fail "healthcheck: $(cat "$T/health.json")"
	dd if=/dev/zero of="$T/full/fill" bs=64k >/dev/null 2>&1
	wait_for 10 '[ "$(health)" = 503 ] && grep -q "is full" "$T/health.json"' &&
		ok "storage filesystem full (ENOSPC): 503, $(grep -o '"error":"[^"]*"' "$T/health.json")" ||
		fail "full storage: $(health) $(cat "$T/health.json")"
	rm -f "$T/full/fill"
	wait_for 10 '[ "$(health)" = 200 ]' && ok "room again: 200" || fail "after freeing: $(cat "$T/health.json")"
	proxy_stop $P
	umount "$T/full"
else
	fail "mount a tmpfs: $(cat "$T/mount.err")"
fi

# ------------------------------------ 7. storage: a 4xx, then a 5xx ---
# A stub S3 endpoint: HEAD (the health check) 200, PUT answers the status in
# $T/s3status (S3's XML error body for an error), nothing kept.
S3P=18078
cat >"$T/s3stub.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_HEAD(self): self.reply(200)
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        code = int(open(sys.argv[2]).read())
        self.reply(code, b"" if code < 300 else
                   b"<Error><Code>Stub%d</Code><Message>stub</Message></Error>" % code)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
echo 400 >"$T/s3status"
python3 "$T/s3stub.py" $S3P "$T/s3status" &
stub=$!
at_exit "kill $stub"
SPOOL=$T/spool-s3
if wait_until 10 curl -s -o /dev/null -I "http://127.0.0.1:$S3P/b" &&
	proxy_start $P --storage-url s3://b/dumps --s3-endpoint "http://127.0.0.1:$S3P" --s3-path-style \
		--s3-access-key-id k --s3-secret-access-key s --dsn "$PG_DSN" --spool-dir "$SPOOL" \
		--jwt-secret "$SECRET" --retry-max-delay 1; then
	"$REPLAY" --fast -q --token "$(token s3-400)" "$URL" "$D" >/dev/null 2>&1
	wait_for 10 '[ "$(failed_dumps)" -eq 1 ]' && grep -q 'reason=storage .*HTTP 400' "$SPOOL"/failed/*.reason &&
		[ "$(proxy_metric $P 'rtcstats_proxy_dumps_quarantined_total{reason="storage"}')" -eq 1 ] &&
		ok "storage answers 400: a data error, quarantined (reason=storage)" ||
		fail "storage 400: failed/ $(failed_dumps), $(cat "$SPOOL"/failed/*.reason 2>/dev/null)"
	echo 503 >"$T/s3status"
	"$REPLAY" --fast -q --token "$(token s3-503)" "$URL" "$D" >/dev/null 2>&1
	wait_for 10 '[ "$(proxy_metric $P rtcstats_proxy_attempts_failed_total)" -ge 2 ]' &&
		[ "$(failed_dumps)" -eq 1 ] && [ "$(spool_dumps)" -eq 1 ] &&
		ok "storage answers 503: an outage, retried, not quarantined" ||
		fail "storage 503: failed/ $(failed_dumps), spool $(spool_dumps)"
	echo 403 >"$T/s3status"
	wait_for 10 'grep -q "HTTP 403" "$(proxy_log $P)"' && [ "$(failed_dumps)" -eq 1 ] &&
		ok "storage answers 403: a configuration outage, retried" || fail "storage 403: failed/ $(failed_dumps)"
	echo 200 >"$T/s3status"
	wait_for 10 '[ "$(rows "rtcstats_user = '"'s3-503'"'")" -eq 1 ]' && [ "$(spool_dumps)" -eq 0 ] &&
		ok "storage back: the waiting dump is stored" || fail "after the storage outage: spool $(spool_dumps)"
	proxy_stop $P
else
	fail "stub S3 or proxy did not start"
fi

reports=$(proxy_san_reports)
[ -z "$reports" ] && ok "no ASan/UBSan report" || { fail "sanitizer reports: $reports"; head -n 30 $reports; }
finish
