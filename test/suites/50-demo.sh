#!/usr/bin/env bash
# The README's first command, as a new user runs it: `make demo` (non-interactive) prints
# every sample dump with its expected status; `eval "$(make -s demo-env)"; psql` works; a
# second run is idempotent and fast; `make demo-stop` stops exactly what the demo started.
set -u
cd "$(dirname "$0")/../.."
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
state=/tmp/rtcstats-demo		# the default of tools/demo.mk (DEMO_DIR)
out=$(mktemp /tmp/rtcstats-50-demo.XXXXXX)
decoy=""
cleanup() {
	[ -n "$decoy" ] && kill "$decoy" 2>/dev/null
	make -s demo-stop >/dev/null 2>&1
	rm -f "$out" "$out.2" "$out.sql.html" "$out.cli.html"
}
trap cleanup EXIT
# make as a user runs it from a shell, not as a sub-make of whatever runs this suite
make() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }
export -f make
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# What each sample must show (test/corpus/README.md and its expected features):
# ice-failure never connects, gumonly has no peer connection, every other call connects.
expected_status() {
	case "$1" in
	ice-failure) echo "FAILED to connect" ;;
	gumonly) echo "no peer connection" ;;
	*) echo "connected" ;;
	esac
}

# --- first run ---------------------------------------------------------------------
start=$(date +%s)
timeout 1500 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make demo </dev/null 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
first=$(( $(date +%s) - start ))
if [ "$rc" -eq 0 ]; then ok "make demo exits 0 (${first}s)"; else ko "make demo exits $rc (${first}s)"; fi

for f in test/corpus/dumps/*.rtcstats; do
	name=$(basename "$f" .rtcstats)
	want=$(expected_status "$name")
	lines=$(grep -E "^=== $name: " "$out")
	if [ -z "$lines" ]; then
		ko "$name: not in the summary"
	elif echo "$lines" | grep -vqE "^=== $name: $want( |\$)"; then
		ko "$name: expected '$want', got: $(echo "$lines" | head -n 1)"
	else
		ok "$name: $want"
	fi
done
n_connected=$(grep -cE '^=== [^:]+: connected \(ICE [0-9]+ ms' "$out")
[ "$n_connected" -ge 10 ] && ok "connected calls show how fast ($n_connected with ICE times)" ||
	ko "only $n_connected connected calls show an ICE time"
grep -qE '^    candidates .*host' "$out" && ok "summary shows candidate types" || ko "summary shows no candidate types"
if [ "$(bash -c 'eval "$(make -s demo-env)"; psql -Atc "select to_regprocedure('"'rtcstats_summary(uuid)'"') is not null"')" = t ]; then
	n_sum=$(grep -cE '^    summary +[A-Z]' "$out")
	[ "$n_sum" -ge "$(ls test/corpus/dumps/*.rtcstats | wc -l)" ] &&
		ok "every call has its rtcstats_summary() text ($n_sum)" || ko "only $n_sum calls have a summary text"
fi
grep -qE '^    network +RTT [0-9.]+ ms' "$out" && ok "summary shows an RTT" || ko "summary shows no RTT"
grep -qE '^    tracks .*video (send|recv) [A-Z0-9]+ [0-9]+x[0-9]+' "$out" &&
	ok "summary shows video tracks with codec and resolution" || ko "summary shows no video track with codec and resolution"
grep -qE '^    errors .*getUserMedia failed' "$out" && ok "summary shows the getUserMedia errors" ||
	ko "summary shows no getUserMedia error"
grep -q 'ws://127.0.0.1:8080/' "$out" && grep -q 'eval "$(make -s demo-env)"; psql' "$out" &&
	grep -q 'make demo-stop' "$out" && ok "ends with the three lines (rtcstats-js, psql, demo-stop)" ||
	ko "the three closing lines are missing"

# --- using it -------------------------------------------------------------------------
env_out=$(make -s demo-env)
if [ "$(echo "$env_out" | grep -c '^export ')" -eq "$(echo "$env_out" | wc -l)" ] &&
	echo "$env_out" | grep -q '^export PGHOST=.* PGPORT=55440 PGDATABASE=rtcstats PGUSER=' &&
	echo "$env_out" | grep -qx 'export RTCSTATS_WS_URL=ws://127.0.0.1:8080/' &&
	echo "$env_out" | grep -qx 'export RTCSTATS_HTTP_URL=http://127.0.0.1:8080'; then
	ok "make -s demo-env prints the export lines"
else
	ko "make -s demo-env prints: $env_out"
fi
n_samples=$(ls test/corpus/dumps/*.rtcstats | wc -l)
if table=$(bash -c 'eval "$(make -s demo-env)"; psql -c "table rtcstats_dumps"' 2>&1); then
	ok "eval \"\$(make -s demo-env)\"; psql -c 'table rtcstats_dumps': $(echo "$table" | grep -oE '^\([0-9]+ rows?\)')"
else
	ko "psql with demo-env: $(echo "$table" | tail -n 3)"
fi
rows1=$(bash -c 'eval "$(make -s demo-env)"; psql -Atc "select count(*) from rtcstats_dumps"')
[ "${rows1:-0}" -ge "$n_samples" ] 2>/dev/null && ok "rtcstats_dumps holds the $n_samples samples ($rows1 rows)" ||
	ko "rtcstats_dumps holds '$rows1' rows, expected >= $n_samples"
# every extracted call's report page from SQL is the page rtcstats-features --html
# makes of its stored object (one renderer, fed from the tables or from the dump);
# not a dump that failed extraction (a state directory kept from an earlier run
# holds the user's bad dump of the check below)
same=0; differ=""
for row in $(bash -c 'eval "$(make -s demo-env)"; psql -XAt -F"|" -c "select id, blob_url from rtcstats_dumps where extracted_at is not null"'); do
	id=${row%%|*}; url=${row#*|}
	bash -c 'eval "$(make -s demo-env)"; psql -XAt -c "select rtcstats_report_html('"'$id'"')"' | head -c -1 >"$out.sql.html"
	build/bin/rtcstats-features --html "${url#file://}" >"$out.cli.html" 2>/dev/null
	if [ -s "$out.sql.html" ] && cmp -s "$out.sql.html" "$out.cli.html"; then
		same=$((same + 1)); else differ="$differ ${url##*/}"; fi
done
[ -z "$differ" ] && [ "$same" -ge "$n_samples" ] && ok "rtcstats_report_html() = rtcstats-features --html for all $same calls" ||
	ko "report pages differ between SQL and the CLI for:$differ ($same the same)"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/healthcheck)
[ "$code" = 200 ] && ok "the proxy answers /healthcheck" || ko "/healthcheck answers $code"
curl -fs http://127.0.0.1:8080/metrics | grep -qE '^[a-z_:]+(\{[^}]*\})? [0-9]' && ok "the proxy serves /metrics" ||
	ko "/metrics gives no Prometheus sample"

# The proxy image's HEALTHCHECK command (docker/Dockerfile.proxy), run as Docker would run
# its exec form, against this proxy: it must pass, and fail where nothing listens.
hc=$(perl -MJSON::PP -0777 -ne 'print join("\n", @{decode_json($1)}) if /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/ms' \
	<(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' docker/Dockerfile.proxy | grep '^HEALTHCHECK'))
if [ -n "$hc" ]; then
	mapfile -t hc_argv <<<"$hc"
	if RTCSTATS_PROXY_PORT=8080 "${hc_argv[@]}" && ! RTCSTATS_PROXY_PORT=9 "${hc_argv[@]}" 2>/dev/null; then
		ok "the proxy image's HEALTHCHECK passes against a healthy proxy, fails without one"
	else
		ko "the proxy image's HEALTHCHECK (${hc_argv[*]}) does not tell a healthy proxy"
	fi
fi

# --- a dump of the user's own that fails extraction -----------------------------------
# (its object is not a dump): the workers keep retrying it with a backoff; the next
# make demo must wait for the samples only, and name this one with its error.
demo_psql() { bash -c 'eval "$(make -s demo-env)"; psql -XAtc "$1"' _ "$1"; }
bad_store=$(demo_psql "select substr(current_setting('rtcstats.storage_url'), 8)")
echo "this is not a dump" | gzip -c >"$bad_store/user-not-a-dump.gz" && chown postgres: "$bad_store/user-not-a-dump.gz"
demo_psql "insert into rtcstats_dumps (blob_url, metadata) values
	(current_setting('rtcstats.storage_url') || '/user-not-a-dump.gz', '{\"url\": \"/my-own-call\"}')" >/dev/null
for _ in $(seq 60); do
	[ "$(demo_psql "select count(*) from rtcstats_dumps where metadata->>'url' = '/my-own-call' and last_error is not null")" = 1 ] && break
	sleep 0.5
done
[ "$(demo_psql "select count(*) from rtcstats_dumps where metadata->>'url' = '/my-own-call' and last_error is not null and extracted_at is null")" = 1 ] &&
	ok "a dump of the user's that is not a dump failed extraction" || ko "the user's bad dump was not tried"
rows1=$(demo_psql "select count(*) from rtcstats_dumps")

# --- second run: idempotent and fast --------------------------------------------------
start=$(date +%s)
timeout 600 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make demo </dev/null >"$out.2" 2>&1
rc=$?
second=$(( $(date +%s) - start ))
[ $rc -eq 0 ] && ok "second make demo exits 0 (${second}s)" || { ko "second make demo exits $rc"; tail -n 20 "$out.2"; }
[ "$second" -le 60 ] && ok "second run is fast (${second}s <= 60s)" || ko "second run took ${second}s"
rows2=$(bash -c 'eval "$(make -s demo-env)"; psql -Atc "select count(*) from rtcstats_dumps"')
[ "$rows1" = "$rows2" ] && ok "second run adds no duplicate dump ($rows2 rows)" || ko "rows: $rows1 then $rows2"
[ "$(grep -c '^=== ' "$out.2")" -ge "$(grep -c '^=== ' "$out")" ] && ok "second run prints the same calls" ||
	ko "second run prints $(grep -c '^=== ' "$out.2") calls, first $(grep -c '^=== ' "$out")"
grep -A3 'other dumps not extracted' "$out.2" | grep -q '/my-own-call.*could not' &&
	ok "second run lists the user's failed dump with its error" ||
	ko "second run does not list the failed dump: $(grep -A3 'other dumps' "$out.2" | head -n 4)"

# --- stop: everything the demo started, nothing else ----------------------------------
proxy=$(cat "$state/proxy.pid" 2>/dev/null)
postmaster=$(head -n 1 "$state/pgdata/postmaster.pid" 2>/dev/null)
[ -n "$proxy" ] && [ -n "$postmaster" ] && ok "pid files: proxy $proxy, postmaster $postmaster" ||
	ko "pid files missing (proxy '$proxy', postmaster '$postmaster')"
make demo-stop
# A process is gone once it is no more, or a zombie waiting for its parent.
running() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
for _ in $(seq 50); do
	alive=""
	for p in $proxy $postmaster; do running "$p" && alive="$alive $p"; done
	[ -z "$alive" ] && break
	sleep 0.1
done
[ -z "$alive" ] && ok "make demo-stop ends the proxy and PostgreSQL" || ko "still running after demo-stop:$alive"
busy=""
for port in 8080 55440; do listening $port && busy="$busy $port"; done
[ -z "$busy" ] && ok "nothing listens on 8080 or 55440" || ko "still listening:$busy"
[ ! -f "$state/proxy.pid" ] && ok "the proxy's pid file is removed" || ko "$state/proxy.pid left behind"

# A stale pid file naming some other process: demo-stop must leave that process alone.
sleep 300 &
decoy=$!
echo "$decoy" >"$state/proxy.pid"
make demo-stop >/dev/null 2>&1
if kill -0 "$decoy" 2>/dev/null; then ok "demo-stop leaves alone a process it did not start"
else ko "demo-stop killed an unrelated process (pid $decoy)"; fi
kill "$decoy" 2>/dev/null; wait "$decoy" 2>/dev/null; decoy=""
msg=$(make demo-stop 2>&1)
echo "$msg" | grep -q "nothing running" && ok "demo-stop when stopped: $msg" || ko "demo-stop when stopped: $msg"

echo "timings: first make demo ${first}s, second ${second}s"
echo "50-demo: $pass passed, $fail failed"
[ $fail -eq 0 ]
