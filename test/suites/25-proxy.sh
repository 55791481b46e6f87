#!/usr/bin/env bash
# rtcstats-proxy on its own (the e2e suites 40/41 drive it with S3 and the real
# extension): options and --help against docs/proxy.md, config file /
# environment / flag precedence, HTTP status codes (curl), uploads (raw, gzip,
# multipart), WebSocket sessions (rtcstats-replay, and a raw client written
# with bash's /dev/tcp for what replay cannot send: X-Forwarded-For, binary and
# fragmented frames, close frames without a code, dropped connections), JWT
# cases, limits (1009, 1007, 1013, idle 1001), SIGTERM (1001, drained, exit 0),
# spool recovery after kill -9, retries while storage or Postgres is down
# (a private PostgreSQL 15 on a Unix socket only, "port" 55433, with the
# rtcstats_dumps table of extension/sql/00-schema.sql), and a valgrind run (no definite leak,
# no error).  file:// storage throughout.  Two free ports among 18085-18089
# (18088 and 18087 when nothing else runs).
#
#   BUILD (default build)  where the programs are built
#   SANITIZE=1             build with ASan+UBSan (use with BUILD=build-san; the
#                          valgrind part is then left out)
set -u
cd "$(dirname "$0")/../.."
trap '' PIPE	# the raw client writes to sockets the proxy may have closed
BUILD=${BUILD:-build}
BIN=$BUILD/bin
PROXY=$BIN/rtcstats-proxy
REPLAY=$BIN/rtcstats-replay
ANON=$BIN/rtcstats-anonymize
# Two free ports of the proxy range (other suites' proxies may be running).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_ports=()
for p in 18088 18087 18086 18089 18085; do
	port_busy $p || free_ports+=($p)
done
P1=${free_ports[0]:-18088}
P2=${free_ports[1]:-18087}
# Another free one for the second proxy, looked up again right before each use.
pick_p2() {
	for p in 18087 18086 18089 18085 18088; do
		[ "$p" != "$P1" ] && ! port_busy $p && { P2=$p; return; }
	done
}
PG_PORT=55433
PG_BINDIR=/usr/lib/postgresql/15/bin
SECRET=proxy-suite-secret
CORPUS=test/corpus/dumps
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
expect() {	# expect NAME ACTUAL EXPECTED
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', expected '$3'"; return 1; fi
}
finish() {
	echo "proxy: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

T=$(mktemp -d /tmp/rtcstats-proxy-suite.XXXXXX)
chmod 755 "$T"
declare -A PIDS=()
cleanup() {
	for p in "${!PIDS[@]}"; do
		[ -n "${PIDS[$p]}" ] && kill -9 "${PIDS[$p]}" 2>/dev/null
	done
	if [ -f "$T/pg/data/postmaster.pid" ]; then
		runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT

wait_until() {	# secs cmd...
	local end=$((SECONDS + $1))
	shift
	while ! "$@" 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

http_code() {	# curl args...: prints the status code only
	curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$@"
}

# JSON field of a file or stdin through node (a Debian package of install-deps).
json_get() {	# expression over `j` (the parsed JSON), file
	node -e 'const fs=require("fs");const j=JSON.parse(fs.readFileSync(process.argv[2],"utf8"));
const v=eval(process.argv[1]);process.stdout.write(v===undefined?"undefined":typeof v==="string"?v:JSON.stringify(v))' "$1" "$2"
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
jwt() {	# secret payload [header]
	local hdr='{"alg":"HS256","typ":"JWT"}' h p s
	[ $# -ge 3 ] && hdr=$3
	h=$(printf '%s' "$hdr" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "$1" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}

start_proxy() {	# port args...
	local port=$1
	shift
	mkdir -p "$T/$port"
	"$PROXY" --listen 127.0.0.1 --port "$port" --spool-dir "$T/$port/spool" \
		--storage-url "file://$T/$port/store" --retry-max-delay 1 "$@" >>"$T/$port/log" 2>&1 &
	PIDS[$port]=$!
	if ! wait_until 10 answers "$port"; then
		echo "     rtcstats-proxy on $port did not start:"
		tail -n 5 "$T/$port/log" | sed 's/^/     /'
		return 1
	fi
}
answers() {
	kill -0 "${PIDS[$1]}" || return 2
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthcheck")" != 000 ]
}
stop_proxy() {	# port: SIGTERM, returns the exit status
	local pid=${PIDS[$1]} rc
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	PIDS[$1]=""
	return $rc
}
kill9_proxy() {
	kill -9 "${PIDS[$1]}" 2>/dev/null
	wait "${PIDS[$1]}" 2>/dev/null
	PIDS[$1]=""
}
objects() { ls "$T/$1/store" 2>/dev/null | grep -c '\.gz$'; }
spool_files() { ls "$T/$1/spool" 2>/dev/null | grep -cvE '^(failed|free)$'; }
newest() { ls -t "$T/$1/store"/*.gz 2>/dev/null | head -n 1; }
metric() {	# port name
	curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'
}
objects_at_least() { [ "$(objects "$1")" -ge "$2" ]; }
metric_ge() { [ "$(metric "$1" "$2")" -ge "$3" ]; }	# port name value (re-evaluated by wait_until)
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
health_is() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthcheck")" = "$2" ]; }
spool_empty() { [ "$(spool_files "$1")" -eq 0 ]; }

# ---- a raw WebSocket client on bash's /dev/tcp (masking key 0: payload as is)
ws_open() {	# port path [extra header lines, each ending \r\n]
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: rtcstats#5.0\r\n%b\r\n' \
		"$2" "${3:-}" >&3
	local line status=""
	while IFS= read -r -t 5 line <&3; do
		[ -z "$status" ] && status=$line
		[ "$line" = $'\r' ] && break
	done
	case $status in "HTTP/1.1 101"*) return 0 ;; esac
	return 1
}
ws_frame() {	# first-byte(hex) payload: one masked frame on fd 3
	local LC_ALL=C		# ${#2} in bytes, not characters
	local len=${#2} hdr
	if [ "$len" -lt 126 ]; then
		hdr=$(printf '\\x%s\\x%02x' "$1" $((len | 128)))
	else
		hdr=$(printf '\\x%s\\xfe\\x%02x\\x%02x' "$1" $((len >> 8)) $((len & 255)))
	fi
	printf "$hdr"'\x00\x00\x00\x00%s' "$2" >&3 2>/dev/null
}
ws_text() { ws_frame 81 "$1"; }
ws_close() {	# [code]: close frame (empty payload without code), then read the answer
	if [ -n "${1:-}" ]; then
		printf "\\x88\\x82\\x00\\x00\\x00\\x00\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))" >&3
	else
		printf '\x88\x80\x00\x00\x00\x00' >&3
	fi
	timeout 3 cat <&3 >/dev/null
	exec 3>&-
}
ws_server_close_code() {	# reads until the server's close frame: prints its code
	timeout 5 head -c 4 <&3 | od -An -tu1 | awk '{ if ($1 == 136) print $3 * 256 + $4; else print "none" }'
	exec 3>&-
}
ws_drop() { exec 3>&-; }

# ------------------------------------------------------------------ build ---
if ! make -s ${SANITIZE:+SANITIZE=$SANITIZE} "$PROXY" "$REPLAY" "$ANON" >"$T/build.log" 2>&1; then
	fail "build"; tail -n 20 "$T/build.log"; finish
fi
ok "built rtcstats-proxy, rtcstats-replay, rtcstats-anonymize"

# ------------------------------------------------------- options and docs ---
"$PROXY" --help >"$T/help" 2>&1
expect "--help exits 0" "$?" 0
opts=$(grep -o '^  --[a-z0-9-]*' "$T/help" | sed 's/^  --//' | grep -v -e '^help$' -e '^version$')
nopts=$(echo "$opts" | wc -l)
missing=""
for o in $opts; do
	grep -q "\`$o\`" docs/proxy.md || missing="$missing $o"
	grep -q "RTCSTATS_PROXY_" docs/proxy.md || missing="$missing (env)"
done
if [ "$nopts" -ge 25 ] && [ -z "$missing" ]; then
	ok "docs/proxy.md lists all $nopts options of --help"
else
	fail "docs/proxy.md misses:$missing ($nopts options)"
fi
for o in listen port spool-dir storage-url dsn jwt-secret trusted-proxies upload-path \
	max-message-bytes max-dump-bytes max-connections idle-timeout shutdown-timeout no-anonymize; do
	echo "$opts" | grep -qx "$o" || fail "--help lacks --$o"
done
"$PROXY" --version | grep -q '^rtcstats-proxy [0-9]' && ok "--version" || fail "--version"
out=$("$PROXY" --port 99999 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'port' && ok "out-of-range --port: exit 2 naming it" ||
	fail "bad port: rc=$rc $out"
# A boolean takes "--name VALUE" like every other option (docs/proxy.md): the
# value is consumed, so the bad port after it is what gets reported.
out=$("$PROXY" --s3-path-style true --no-anonymize off --port 99999 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'port' && ! echo "$out" | grep -q 'unexpected' &&
	ok "boolean options take a separate value (--s3-path-style true)" ||
	fail "boolean with a separate value: rc=$rc $out"
out=$("$PROXY" --no-such-option 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'unknown option' && ok "unknown option: exit 2" ||
	fail "unknown option: rc=$rc $out"
out=$("$PROXY" --max-message-bytes 12Q 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'max-message-bytes' && ok "malformed size: exit 2" ||
	fail "malformed size: rc=$rc $out"
printf '# comment\nworkers = 2\nmax_connections = -1\n' >"$T/bad.conf"
out=$("$PROXY" --config "$T/bad.conf" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "bad.conf:3" && ok "config file error names file:line" ||
	fail "config error: rc=$rc $out"
out=$(RTCSTATS_PROXY_IDLE_TIMEOUT=soon "$PROXY" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q RTCSTATS_PROXY_IDLE_TIMEOUT && ok "bad environment value names the variable" ||
	fail "env error: rc=$rc $out"
out=$("$PROXY" --trusted-proxies 10.0.0.0/99 --spool-dir "$T/x" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "bad trusted-proxies CIDR refused" || fail "bad CIDR: rc=$rc $out"
# Precedence: file < environment < flag.
printf 'port = %s\nlisten = 127.0.0.1\nspool-dir = %s\nstorage-url = file://%s\n' \
	"$P1" "$T/prec/spool" "$T/prec/store" >"$T/prec.conf"
mkdir -p "$T/prec"
RTCSTATS_PROXY_PORT=$P2 "$PROXY" --config "$T/prec.conf" >"$T/prec/log" 2>&1 &
PIDS[prec]=$!
if wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P2/healthcheck"; then
	ok "environment overrides the config file (port $P2)"
else
	fail "environment over config file"
fi
[ -d "$T/prec/spool" ] && ok "config file sets spool-dir" || fail "config file spool-dir"
kill -TERM "${PIDS[prec]}"; wait "${PIDS[prec]}"; PIDS[prec]=""
RTCSTATS_PROXY_PORT=$P2 "$PROXY" --config "$T/prec.conf" --port "$P1" >"$T/prec/log" 2>&1 &
PIDS[prec]=$!
if wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P1/healthcheck"; then
	ok "flag overrides the environment (port $P1)"
else
	fail "flag over environment"
fi
kill -TERM "${PIDS[prec]}"; wait "${PIDS[prec]}"; PIDS[prec]=""

# ------------------------------------------------------------------ HTTP ---
start_proxy $P1 --max-dump-bytes 200K || finish
B=http://127.0.0.1:$P1
out=$("$PROXY" --listen 127.0.0.1 --port $P2 --spool-dir "$T/$P1/spool" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'in use' && ok "a second proxy on the same spool-dir refuses to start" ||
	fail "shared spool: rc=$rc $out"
out=$("$PROXY" --listen 127.0.0.1 --port $P1 --spool-dir "$T/other-spool" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'cannot listen' && ok "port in use: clear error, non-zero exit" ||
	fail "port in use: rc=$rc $out"
expect "GET /healthcheck 200" "$(http_code $B/healthcheck)" 200
expect "healthcheck: storage reachable" "$(json_get j.storage.reachable "$T/body")" true
expect "healthcheck: no database configured" "$(json_get j.database.configured "$T/body")" false
expect "GET /metrics 200" "$(http_code $B/metrics)" 200
for m in rtcstats_proxy_connections rtcstats_proxy_messages_total rtcstats_proxy_bytes_total \
	rtcstats_proxy_bad_messages_total rtcstats_proxy_sessions_spooled_total \
	rtcstats_proxy_sessions_uploaded_total rtcstats_proxy_sessions_failed_total \
	rtcstats_proxy_queue_depth 'rtcstats_proxy_upload_seconds_bucket{le="+Inf"}'; do
	grep -qF "$m " "$T/body" || fail "/metrics lacks $m"
done
grep -q '^# TYPE rtcstats_proxy_upload_seconds histogram' "$T/body" && ok "/metrics: Prometheus text with a latency histogram" ||
	fail "/metrics histogram"
expect "GET /nope 404" "$(http_code $B/nope)" 404
expect "POST /healthcheck 405" "$(http_code -X POST $B/healthcheck)" 405
expect "GET /readyz 200 (ready: accepting and spooling)" "$(http_code $B/readyz)|$(json_get j.status "$T/body")" "200|ready"
expect "GET /livez 200" "$(http_code $B/livez)|$(json_get j.status "$T/body")" "200|alive"
expect "POST /readyz 405" "$(http_code -X POST $B/readyz)" 405
expect "GET /upload 405" "$(http_code $B/upload)" 405
expect "PUT /upload 405" "$(http_code -X PUT --data x $B/upload)" 405
expect "DELETE /metrics 405" "$(http_code -X DELETE $B/metrics)" 405
expect "malformed request line: 4xx" \
	"$(printf 'BLAH\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P1; cat >&3; head -c 12 <&3" | grep -c 'HTTP/1.[01] 4')" 1

D=$CORPUS/audio-only.rtcstats
gzip -c "$D" >"$T/a.gz"
"$ANON" "$D" - >"$T/a.anon" 2>"$T/anon.err" || fail "rtcstats-anonymize $D"
expect "POST raw dump 200" "$(http_code --data-binary @"$D" $B/upload)" 200
expect "upload answer: message" "$(json_get j.message "$T/body")" "Upload successful"
id=$(json_get j.id "$T/body")
[[ $id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] &&
	ok "upload answer: id is a UUID v4" || fail "upload id '$id'"
expect "upload answer: clientId" "$(json_get j.clientId "$T/body")" "$id"
wait_until 10 test -f "$T/$P1/store/$id.gz" && ok "uploaded dump stored as <id>.gz" || fail "no $id.gz"
if zcat "$T/$P1/store/$id.gz" | cmp -s - "$T/a.anon"; then
	ok "stored object = rtcstats-anonymize of the upload, byte for byte"
else
	fail "stored upload differs from rtcstats-anonymize output"
fi
expect "POST gzip dump 200" "$(http_code --data-binary @"$T/a.gz" $B/upload)" 200
expect "POST multipart 200" "$(http_code -F "file=@$D" $B/upload)" 200
id=$(json_get j.id "$T/body")
expect "POST multipart gzip 200" "$(http_code -F "file=@$T/a.gz;filename=a.gz" $B/upload)" 200
expect "POST Content-Encoding: gzip 200" \
	"$(http_code -H 'Content-Encoding: gzip' --data-binary @"$T/a.gz" $B/upload)" 200
wait_until 10 test -f "$T/$P1/store/$id.gz" && zcat "$T/$P1/store/$id.gz" | cmp -s - "$T/a.anon" &&
	ok "multipart upload stored like the raw one" || fail "multipart object differs"
printf 'hello\nworld\n' >"$T/bad.txt"
expect "POST not a dump 400" "$(http_code --data-binary @"$T/bad.txt" $B/upload)" 400
json_get j.error "$T/body" | grep -q RTCStatsDump && ok "400 says why" || fail "400 reason: $(cat "$T/body")"
head -n 2 "$D" >"$T/empty.txt"
expect "POST dump without messages 422" "$(http_code --data-binary @"$T/empty.txt" $B/upload)" 422
{ head -n 4 "$D"; echo '{oops'; sed -n '5,$p' "$D"; } >"$T/badline.txt"
# A malformed event line does not void the dump (the reader skips and counts it, as
# the extractor does): nothing else is lost.
expect "POST dump with a malformed event line 200" "$(http_code --data-binary @"$T/badline.txt" $B/upload)" 200
badline_id=$(json_get j.id "$T/body")
head -c 500 "$T/a.gz" >"$T/trunc.gz"
expect "POST truncated gzip 400" "$(http_code --data-binary @"$T/trunc.gz" $B/upload)" 400
expect "POST without body 411" "$(http_code -X POST $B/upload)" 411
expect "POST multipart without file 400" "$(http_code -F x=y $B/upload)" 400
head -c 300000 /dev/zero | tr '\0' 'a' >"$T/big.bin"
expect "POST over max-dump-bytes 413" "$(http_code --data-binary @"$T/big.bin" $B/upload)" 413
{ cat "$D"; for i in $(seq 400); do printf '["x",null,"%s",1]\n' "$(printf '%01000d' 0)"; done; } | gzip -9 >"$T/bomb.gz"
expect "POST gzip expanding over max-dump-bytes 413" "$(http_code --data-binary @"$T/bomb.gz" $B/upload)" 413
wait_until 10 objects_at_least $P1 6 && wait_until 10 spool_empty $P1 &&
	ok "6 accepted uploads stored, spool empty" || fail "uploads: $(objects $P1) objects, $(spool_files $P1) spool files"
expect "no object for refused uploads" "$(objects $P1)" 6
# stored with every other line: the anonymizer drops the line it cannot read
[ -n "$badline_id" ] && zcat "$T/$P1/store/$badline_id.gz" | cmp -s - "$T/a.anon" &&
	ok "the dump with a malformed line is stored, that line left out" || fail "malformed-line dump not stored"
expect "metrics: http uploads" "$(metric $P1 rtcstats_proxy_http_uploads_total)" 6
expect "metrics: rejected uploads" "$(metric $P1 rtcstats_proxy_http_uploads_rejected_total)" 7
# ------------------------------------------------ HTTP framing (RFC 9112) ---
# A raw HTTP client (python3): prints the status line, then the body.
raw_http() {	# port request (printf escapes: \r\n), [seconds before closing]
	python3 - "$@" <<'EOF'
import socket, sys
port, req = int(sys.argv[1]), sys.argv[2].encode().decode('unicode_escape').encode('latin-1')
s = socket.create_connection(('127.0.0.1', port), timeout=10)
s.sendall(req)
if len(sys.argv) > 3:
    s.close()
    sys.exit(0)
data = b''
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    pass
head, _, body = data.partition(b'\r\n\r\n')
print(head.split(b'\r\n')[0].decode(errors='replace'))
print(body.decode(errors='replace'))
EOF
}
status_of() { head -n 1 | awk '{ print $2 }'; }
before_objects=$(objects $P1)
expect "POST Transfer-Encoding: chunked 200" \
	"$(http_code -H 'Transfer-Encoding: chunked' --data-binary @"$D" $B/upload)" 200
id=$(json_get j.id "$T/body")
wait_until 10 test -f "$T/$P1/store/$id.gz" && zcat "$T/$P1/store/$id.gz" | cmp -s - "$T/a.anon" &&
	ok "chunked upload stored like the raw one" || fail "chunked object differs or missing"
expect "POST chunked multipart gzip 200" \
	"$(http_code -H 'Transfer-Encoding: chunked' -F "file=@$T/a.gz;filename=a.gz" $B/upload)" 200
small=$'RTCStatsDump\n{"url":"/","startTime":1e300}\n["a",null,1,0]\n'
n=${#small}
req() { printf 'POST /upload HTTP/1.1\\r\\nHost: x\\r\\n%s\\r\\n%s' "$1" "$2"; }
esc=${small//$'\n'/\\n}
expect "chunk extensions and trailer fields (and a startTime of 1e300): 200" "$(raw_http $P1 "$(req 'Transfer-Encoding: chunked\r\n' \
	"5;a=b;c=\"d\"\\r\\n${esc:0:5}\\r\\n$(printf %x $((n - 5)))\\r\\n${esc:5}\\r\\n0\\r\\nX-Sum: 1\\r\\n\\r\\n")" | status_of)" 200
rejected0=$(metric $P1 rtcstats_proxy_http_uploads_rejected_total)
logged0=$(grep -c 'event=upload_rejected' "$T/$P1/log")
expect "two different Content-Length: 400" "$(raw_http $P1 "$(req "Content-Length: $n\r\nContent-Length: $((n + 1))\r\n" "$esc")" | status_of)" 400
expect "the same Content-Length twice: 200" "$(raw_http $P1 "$(req "Content-Length: $n\r\nContent-Length: $n\r\nConnection: close\r\n" "$esc")" | status_of)" 200
expect "Content-Length with chunked: 400" "$(raw_http $P1 "$(req "Content-Length: $n\r\nTransfer-Encoding: chunked\r\n" "$esc")" | status_of)" 400
expect "Content-Length not a number: 400" "$(raw_http $P1 "$(req "Content-Length: +$n\r\n" "$esc")" | status_of)" 400
expect "Transfer-Encoding: gzip, chunked: 501" "$(raw_http $P1 "$(req 'Transfer-Encoding: gzip, chunked\r\n' '0\r\n\r\n')" | status_of)" 501
expect "chunk size not hex: 400" "$(raw_http $P1 "$(req 'Transfer-Encoding: chunked\r\n' "zz\\r\\n${esc}\\r\\n0\\r\\n\\r\\n")" | status_of)" 400
expect "chunk size with a sign: 400" "$(raw_http $P1 "$(req 'Transfer-Encoding: chunked\r\n' "+$(printf %x $n)\\r\\n${esc}\\r\\n0\\r\\n\\r\\n")" | status_of)" 400
expect "chunk lines ended by a bare LF: 400" "$(raw_http $P1 "$(req 'Transfer-Encoding: chunked\r\n' "$(printf %x $n)\\n${esc}\\n0\\n\\n")" | status_of)" 400
expect "chunk data longer than its size: 400" "$(raw_http $P1 "$(req 'Transfer-Encoding: chunked\r\n' "5\\r\\n${esc}\\r\\n0\\r\\n\\r\\n")" | status_of)" 400
expect "chunked body with no data: 400" "$(raw_http $P1 "$(req 'Transfer-Encoding: chunked\r\n' '0\r\n\r\n')" | status_of)" 400
out=$(raw_http $P1 "$(req 'Content-Length: 5000000000\r\n' 'RTCStatsDump\n')")
expect "Content-Length of 5 GB: 413 before the body" "$(echo "$out" | status_of)" 413
expect "metrics: framing refusals counted" "$(metric $P1 rtcstats_proxy_http_uploads_rejected_total)" $((rejected0 + 10))
expect "every refusal logged with its reason" "$(grep -c 'event=upload_rejected status=[0-9]* reason="[^"]' "$T/$P1/log")" \
	$((logged0 + 10))
aborted0=$(metric $P1 rtcstats_proxy_http_uploads_aborted_total)
raw_http $P1 "$(req "Content-Length: $((n + 100))\r\n" "$esc")" close
wait_until 5 metric_is $P1 rtcstats_proxy_http_uploads_aborted_total $((aborted0 + 1)) &&
	grep -q 'event=upload_aborted reason=' "$T/$P1/log" &&
	ok "a client closing mid-body: logged and counted" || fail "cut upload: no upload_aborted"
wait_until 10 objects_at_least $P1 $((before_objects + 4)) && wait_until 10 spool_empty $P1 &&
	ok "4 framed uploads stored, nothing left in the spool" ||
	fail "framed uploads: $(objects $P1) objects (from $before_objects), $(spool_files $P1) spool files"
timeout 10 "$PROXY" --max-dump-bytes 5G --listen 127.0.0.1 --port $P2 --spool-dir "$T/5g" >/dev/null 2>&1
expect "max-dump-bytes over 3G refused (zlib counts are 32-bit)" "$?" 2

# Durable before the answer: the spool file and directory are flushed before 200.
if command -v strace >/dev/null; then
	strace -f -qq -p "${PIDS[$P1]}" -e trace=fdatasync,fsync,rename,sendto,write -s 40 -o "$T/strace" &
	st=$!
	sleep 1
	code=$(http_code --data-binary @"$D" $B/upload)
	id=$(json_get j.id "$T/body")
	sleep 0.5
	kill $st; wait $st 2>/dev/null
	order=$(awk -v id="$id" '
		index($0, "rename(") && index($0, id ".dump") && !r { r = NR }
		r && /fdatasync\(/ && !d { d = NR }
		d && /fsync\(/ && !/fdatasync/ && !f { f = NR }
		/HTTP\/1.1 200/ && !h { h = NR }
		END { print (r && d && f && h && r < d && d < f && f < h) ? "synced" : "rename " r " fdatasync " d " fsync " f " answer " h }' "$T/strace")
	expect "upload 200 only after rename, fdatasync of the dump and fsync of the directory" "$code $order" "200 synced"
else
	grep -q "event=uploaded_http dump=$id .*synced=1" "$T/$P1/log" &&
		ok "upload logged synced=1 (strace missing: the syscall order is not checked)" || fail "no synced=1"
fi
stop_proxy $P1
start_proxy $P1 --max-dump-bytes 200K || finish

# Slow senders: 5 tricklers (14 bytes every 5 s) hold 5 of 6 slots; a normal upload is
# still answered, a 7th is refused with 503, and the tricklers are cut at upload-timeout.
pick_p2
start_proxy $P2 --upload-timeout 6 --max-uploads 6 || finish
cat >"$T/trickle.py" <<'EOF'
import select, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
t0 = time.time()
socks = []
for i in range(n):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n')
    socks.append(s)
print('ready', flush=True)
done = {}
next_send = t0
while len(done) < n and time.time() - t0 < 60:
    if time.time() >= next_send:
        for i, s in enumerate(socks):
            if i not in done:
                try:
                    s.sendall(b'["x",null,1,0]')
                except OSError:
                    done[i] = (time.time() - t0, 'error')
        next_send += 5
    live = [s for i, s in enumerate(socks) if i not in done]
    for s in select.select(live, [], [], max(0, next_send - time.time()))[0]:
        d = s.recv(4096)
        done[socks.index(s)] = (time.time() - t0, d.split(b' ')[1].decode() if d else 'closed')
for i in sorted(done):
    print('%s %.1f' % (done[i][1], done[i][0]))
EOF
python3 "$T/trickle.py" $P2 5 >"$T/trickle.out" &
tp=$!
wait_until 5 grep -q ready "$T/trickle.out"
sleep 0.5
t0=$(date +%s%N)
code=$(http_code --data-binary @"$D" "http://127.0.0.1:$P2/upload")
ms=$((($(date +%s%N) - t0) / 1000000))
expect "normal upload during 5 trickling ones: 200 (in $ms ms)" "$code" 200
[ "$ms" -lt 3000 ] && ok "answered within 3 s ($ms ms)" || fail "normal upload took $ms ms"
python3 "$T/trickle.py" $P2 1 >"$T/trickle6.out" &
tp6=$!
wait_until 5 grep -q ready "$T/trickle6.out"
sleep 0.3
expect "max-uploads slots all held: 503" "$(http_code --data-binary @"$D" "http://127.0.0.1:$P2/upload")" 503
wait $tp $tp6
echo "     tricklers (status, seconds after start): $(sed 1d "$T/trickle.out" | tr '\n' ' ')"
cut=$(sed 1d "$T/trickle.out" | awk '$1 == 408 && $2 >= 5 && $2 <= 16' | wc -l)
expect "5 tricklers cut with 408 at upload-timeout (6 s)" "$cut" 5
expect "metrics: upload timeouts" "$(metric $P2 rtcstats_proxy_http_upload_timeouts_total)" 6
expect "after the cut, uploads are accepted again" "$(http_code --data-binary @"$D" "http://127.0.0.1:$P2/upload")" 200
stop_proxy $P2

# Memory: 8 parallel uploads of a 15 MB dump (half of them Content-Encoding: gzip)
# under max-dump-bytes 16M; no body is held, so the proxy's peak RSS stays far below
# one body per upload (the old code held the body and up to two inflated copies).
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('RTCStatsDump\n{\"url\":\"/\",\"startTime\":1700000000000}\n')
    for i in range(15000):
        f.write('[\"x\",null,\"%s\",1]\n' % ('A' * 1000))" "$T/big15.rtcstats"
gzip -c "$T/big15.rtcstats" >"$T/big15.gz"
pick_p2
start_proxy $P2 --max-dump-bytes 16M || finish
pids=()
for i in 1 2 3 4 5 6 7 8; do
	if [ $((i % 2)) = 0 ]; then a=(-H 'Content-Encoding: gzip' --data-binary @"$T/big15.gz"); else a=(--data-binary @"$T/big15.rtcstats"); fi
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 "${a[@]}" "http://127.0.0.1:$P2/upload" >"$T/par$i.code" &
	pids+=($!)
done
wait "${pids[@]}"
expect "8 parallel 15 MB uploads: 200" "$(cat "$T"/par*.code | sort | uniq -c | awk '{ print $1 " " $2 }')" "8 200"
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/${PIDS[$P2]}/status")
echo "     peak RSS (VmHWM) of the proxy: $((hwm / 1024)) MB for 8 x 15 MB uploads"
if [ "${SANITIZE:-0}" = 1 ]; then
	echo "     (not asserted on a sanitizer build: ASan's quarantine keeps freed chunks)"
else
	[ "$hwm" -lt $((48 * 1024)) ] && ok "peak RSS under 48 MB ($((hwm / 1024)) MB; bodies would be 120 MB)" ||
		fail "peak RSS $((hwm / 1024)) MB over 48 MB"
fi
stop_proxy $P2

# ------------------------------------------------------------- WebSocket ---
before=$(objects $P1)
out=$("$REPLAY" --fast "ws://127.0.0.1:$P1/corpus/av-call?room=1" $CORPUS/av-call.rtcstats 2>&1) &&
	ok "replay av-call" || fail "replay av-call: $out"
wait_until 10 objects_at_least $P1 $((before + 1)) || fail "av-call not stored"
obj=$(newest $P1)
zcat "$obj" >"$T/ws.dump"
expect "line 1 RTCStatsDump" "$(head -n 1 "$T/ws.dump")" RTCStatsDump
sed -n 2p "$T/ws.dump" >"$T/ws.meta"
expect "metadata url" "$(json_get j.url "$T/ws.meta")" "/corpus/av-call?room=1"
expect "metadata keys in upstream's order" "$(json_get 'Object.keys(j).join()' "$T/ws.meta")" \
	"url,origin,userAgent,startTime,remoteAddresses,clientProtocol,fileFormat"
expect "metadata origin (replayed header)" "$(json_get j.origin "$T/ws.meta")" "$(sed -n 2p $CORPUS/av-call.rtcstats | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).origin)')"
expect "metadata clientProtocol" "$(json_get j.clientProtocol "$T/ws.meta")" "rtcstats#5.0"
expect "metadata fileFormat" "$(json_get j.fileFormat "$T/ws.meta")" 3
# (An IPv4 listener sees IPv4 peers as such; on "*" they are v4-mapped, as with Node.)
expect "metadata remoteAddresses (loopback kept)" "$(json_get j.remoteAddresses "$T/ws.meta")" '["127.0.0.1"]'
expect "close line" "$(tail -n 1 "$T/ws.dump" | cut -c1-19)" '["close",null,1000,'
n_orig=$(($(wc -l <$CORPUS/av-call.rtcstats) - 3))
expect "every message stored" "$(($(wc -l <"$T/ws.dump") - 3))" "$n_orig"
# The stored messages are the anonymized originals: compare with rtcstats-anonymize.
"$ANON" $CORPUS/av-call.rtcstats - | sed '1,2d;$d' >"$T/expect.msgs"
sed '1,2d;$d' "$T/ws.dump" >"$T/got.msgs"
cmp -s "$T/expect.msgs" "$T/got.msgs" && ok "messages = anonymized originals, in order" ||
	fail "messages differ from rtcstats-anonymize's"

# Raw client: X-Forwarded-For from an untrusted peer is ignored, binary and
# fragmented frames, close without a code.
if ws_open $P1 "/raw" 'X-Forwarded-For: 203.0.113.7\r\nUser-Agent: raw-test\r\n'; then
	ws_text '["a",null,1,0]'
	ws_frame 82 '["binary",null,1,0]'
	ws_frame 01 '["frag'				# text, not final
	ws_frame 80 'mented",null,2,5]'		# continuation, final
	ws_text 'not json'
	ws_close ""
	ok "raw client session"
else
	fail "raw WebSocket handshake"
fi
wait_until 10 objects_at_least $P1 $((before + 2))
zcat "$(newest $P1)" >"$T/raw.dump"
sed -n 2p "$T/raw.dump" >"$T/raw.meta"
expect "untrusted X-Forwarded-For ignored" "$(json_get j.remoteAddresses "$T/raw.meta")" '["127.0.0.1"]'
expect "userAgent recorded" "$(json_get j.userAgent "$T/raw.meta")" "raw-test"
expect "fragmented message reassembled, binary and non-JSON dropped" \
	"$(sed -n '3,4p' "$T/raw.dump" | tr '\n' ' ')" '["a",null,1,0] ["fragmented",null,2,5] '
expect "close frame without code: 1005" "$(tail -n 1 "$T/raw.dump" | cut -c1-19)" '["close",null,1005,'
# One message, one line: raw CR/LF between tokens is JSON whitespace, stored
# as spaces (also across fragments); a raw newline inside a string is not
# JSON: a bad message, not stored.
bad0=$(metric $P1 rtcstats_proxy_bad_messages_total)
before=$(objects $P1)
if ws_open $P1 "/lines"; then
	ws_text $'[\n"nl",\r\nnull,1,0]'
	ws_frame 01 $'["frag",\n'
	ws_frame 80 $'null,2,\r0]'
	ws_text $'["in\nstring",null,3,0]'
	ws_text '["after",null,4,0]'
	ws_close 1000
fi
wait_until 10 objects_at_least $P1 $((before + 1))
expect "raw CR/LF between tokens made spaces: one line per message; raw newline in a string dropped" \
	"$(zcat "$(newest $P1)" | sed -n '3,$p' | cut -c1-19 | tr '\n' '|')" \
	'[ "nl",  null,1,0]|["frag", null,2, 0]|["after",null,4,0]|["close",null,1000,|'
expect "metrics: messages normalized" "$(metric $P1 rtcstats_proxy_messages_normalized_total)" 2
expect "metrics: raw newline in a string is a bad message" "$(( $(metric $P1 rtcstats_proxy_bad_messages_total) - bad0 ))" 1
stop_proxy $P1
expect "SIGTERM with nothing open: exit 0" "$?" 0

# Trusted proxy, no-anonymize, a dropped connection (1006), a custom close code.
start_proxy $P1 --trusted-proxies 127.0.0.1/32,::1 --no-anonymize || finish
before=$(objects $P1)
ws_open $P1 "/t" 'X-Forwarded-For: 198.51.100.23, 10.1.2.3\r\n' && ws_text '["x",null,1,0]' && ws_close 4000
wait_until 10 objects_at_least $P1 $((before + 1))
zcat "$(newest $P1)" >"$T/t.dump"
expect "trusted X-Forwarded-For list, not obfuscated with --no-anonymize" \
	"$(sed -n 2p "$T/t.dump" >"$T/t.meta"; json_get j.remoteAddresses "$T/t.meta")" '["198.51.100.23","10.1.2.3"]'
expect "client close code recorded" "$(tail -n 1 "$T/t.dump" | cut -c1-19)" '["close",null,4000,'
ws_open $P1 "/drop" && ws_text '["y",null,1,0]' && ws_drop
wait_until 10 objects_at_least $P1 $((before + 2))
expect "connection dropped without close frame: 1006" "$(zcat "$(newest $P1)" | tail -n 1 | cut -c1-19)" '["close",null,1006,'
"$REPLAY" --fast "ws://127.0.0.1:$P1/" $CORPUS/screen-share.rtcstats >/dev/null 2>&1
wait_until 10 objects_at_least $P1 $((before + 3))
if zcat "$(newest $P1)" | sed '1,2d;$d' | cmp -s - <(sed '1,2d;$d' $CORPUS/screen-share.rtcstats); then
	ok "--no-anonymize: messages stored verbatim"
else
	fail "--no-anonymize: messages differ"
fi
stop_proxy $P1
# A peer that does not answer pings (the raw client never does) is dropped: 1006.
start_proxy $P1 --ping-interval 1 || finish
ws_open $P1 "/noping" && ws_text '["p",null,1,0]'
sleep 3.5
ws_drop
wait_until 10 objects_at_least $P1 $((before + 4))
expect "peer not answering pings dropped, dump completed with 1006" \
	"$(zcat "$(newest $P1)" | sed -n '3p;$p' | cut -c1-19 | tr '\n' '|')" '["p",null,1,0]|["close",null,1006,|'
out=$("$REPLAY" --fast --linger 4 "ws://127.0.0.1:$P1/" $D 2>&1) &&
	ok "a client answering pings stays connected past 2 ping intervals" || fail "pinged client: $out"
wait_until 10 objects_at_least $P1 $((before + 5))
before=$(objects $P1)
ws_open $P1 "/empty" && ws_close 1000
sleep 0.5
expect "session without messages is dropped (upstream)" "$(objects $P1)" $before
stop_proxy $P1

# ---------------------------------------------------------------- JWT ---
start_proxy $P1 --jwt-secret "$SECRET" --jwt-leeway 5 || finish
now=$(date +%s)
good=$(jwt "$SECRET" "{\"rtcStats\":{\"user\":\"u@x\",\"session\":\"s1\",\"conference\":\"c1\"},\"iat\":$now,\"exp\":$((now + 600))}")
declare -A BAD=(
	[expired]=$(jwt "$SECRET" "{\"exp\":$((now - 60))}")
	[not-yet-valid]=$(jwt "$SECRET" "{\"nbf\":$((now + 600))}")
	[wrong-secret]=$(jwt other-secret "{\"exp\":$((now + 600))}")
	[alg-none]=$(jwt "$SECRET" "{}" '{"alg":"none","typ":"JWT"}')
	[alg-HS512]=$(jwt "$SECRET" "{}" '{"alg":"HS512","typ":"JWT"}')
	[garbage]="abc.def.ghi"
)
before=$(objects $P1)
# The raw client sends nothing: the close comes before any message (a fast
# client may send a burst first; it is discarded, never stored).
for k in "${!BAD[@]}"; do
	ws_open $P1 "/?rtcstats-token=${BAD[$k]}" && expect "token $k: closed with 1008" "$(ws_server_close_code)" 1008
done
ws_open $P1 "/" && expect "no token: closed with 1008" "$(ws_server_close_code)" 1008
out=$("$REPLAY" --fast --token "${BAD[expired]}" "ws://127.0.0.1:$P1/" $D 2>&1)
expect "within leeway: exp 3 s ago accepted" \
	"$("$REPLAY" --fast --token "$(jwt "$SECRET" "{\"exp\":$((now - 3))}")" "ws://127.0.0.1:$P1/" $D >/dev/null 2>&1; echo $?)" 0
wait_until 10 objects_at_least $P1 $((before + 1))
sleep 0.3
expect "refused sessions store nothing" "$(objects $P1)/$(spool_files $P1)" "$((before + 1))/0"
expect "metrics: auth failures" "$(metric $P1 rtcstats_proxy_auth_failures_total)" 8
out=$("$REPLAY" --fast --token "$good" "ws://127.0.0.1:$P1/x?a=b" $D 2>&1) && ok "valid token accepted" || fail "valid token: $out"
wait_until 10 objects_at_least $P1 $((before + 2))
expect "token value replaced by obfuscated in the url" \
	"$(zcat "$(newest $P1)" | sed -n 2p >"$T/j.meta"; json_get j.url "$T/j.meta")" "/x?a=b&rtcstats-token=obfuscated"
grep -rq "$good" "$T/$P1" && fail "the token appears in a log or file" || ok "the token is stored and logged nowhere"
# lws decodes the URI; the recorded url is what upstream's Node serializes.
before=$(objects $P1)
ws_open $P1 "/p%20ath/x?a=b%20c&flag&rtcstats-token=$good&q=%26%3D+&u=%C3%A9" &&
	ws_text '["u",null,1,0]' && ws_close 1000
wait_until 10 objects_at_least $P1 $((before + 1))
expect "url re-encoded as upstream (URLSearchParams)" \
	"$(zcat "$(newest $P1)" | sed -n 2p >"$T/u.meta"; json_get j.url "$T/u.meta")" \
	"/p%20ath/x?a=b+c&flag=&rtcstats-token=obfuscated&q=%26%3D+&u=%C3%A9"
expect "upload without token 403" "$(http_code --data-binary @"$D" $B/upload)" 403
expect "upload with bad Bearer 403" "$(http_code -H "Authorization: Bearer ${BAD[expired]}" --data-binary @"$D" $B/upload)" 403
expect "upload with Bearer 200" "$(http_code -H "Authorization: Bearer $good" --data-binary @"$D" $B/upload)" 200
expect "upload with rtcstats-token 200" "$(http_code --data-binary @"$D" "$B/upload?rtcstats-token=$good")" 200
stop_proxy $P1

# -------------------------------------------------------------- limits ---
start_proxy $P1 --max-message-bytes 2000 --max-bad-messages 3 --max-connections 2 --idle-timeout 2 \
	--max-dump-bytes 4K || finish
before=$(objects $P1)
ws_open $P1 "/big" && ws_text '["ok",null,1,0]' && ws_text "[\"big\",null,\"$(head -c 2100 /dev/zero | tr '\0' x)\",1]"
expect "message over max-message-bytes: 1009" "$(ws_server_close_code)" 1009
wait_until 10 objects_at_least $P1 $((before + 1))
zcat "$(newest $P1)" >"$T/l.dump"
expect "1009 keeps the valid messages" "$(sed -n '3p' "$T/l.dump")|$(tail -n 1 "$T/l.dump" | cut -c1-19)" \
	'["ok",null,1,0]|["close",null,1009,'
# The cap is on the message, not the frame: three fragments of 800 bytes.
ws_open $P1 "/fragbig" && ws_frame 01 "[\"$(head -c 798 /dev/zero | tr '\0' f)" &&
	ws_frame 00 "$(head -c 800 /dev/zero | tr '\0' g)" && ws_frame 80 "$(head -c 797 /dev/zero | tr '\0' h)\",1]"
expect "fragments summing over max-message-bytes: 1009" "$(ws_server_close_code)" 1009
before=$(objects $P1)
ws_open $P1 "/utf8" && ws_text '["ok",null,1,0]' && ws_text $'["\xff\xfe",null,1,0]' &&
	ws_text $'["\xed\xa0\x80",null,1,0]' && ws_text $'["\xc0\xaf",null,1,0]' &&
	ws_text $'["caf\xc3\xa9 \xf0\x9f\x98\x80",null,2,0]' && ws_close 1000
wait_until 10 objects_at_least $P1 $((before + 1))
expect "text that is not UTF-8 (bad byte, surrogate, overlong) is a bad message; valid UTF-8 kept" \
	"$(zcat "$(newest $P1)" | sed -n '3,$p' | cut -c1-19 | tr '\n' '|')" \
	$'["ok",null,1,0]|["caf\xc3\xa9 \xf0\x9f\x98\x80",null,|["close",null,1000,|'
ws_open $P1 "/abuse" && ws_text '["ok",null,1,0]' && for i in 1 2 3 4; do ws_text "garbage $i"; done
expect "4 bad messages over max-bad-messages=3: 1007" "$(ws_server_close_code)" 1007
wait_until 10 objects_at_least $P1 $((before + 2))
expect "1007 keeps the valid messages" "$(zcat "$(newest $P1)" | sed -n '3p;$p' | cut -c1-19 | tr '\n' '|')" \
	'["ok",null,1,0]|["close",null,1007,|'
# Four messages of 1000 bytes: the fourth crosses 4K (nothing sent after the close).
ws_open $P1 "/dumpcap" && for i in 1 2 3 4; do ws_text "[\"m$i\",null,\"$(head -c 983 /dev/zero | tr '\0' y)\",1]"; done
expect "dump over max-dump-bytes: 1009" "$(ws_server_close_code)" 1009
wait_until 10 objects_at_least $P1 $((before + 3))
zcat "$(newest $P1)" >"$T/cap.dump"
[ "$(wc -c <"$T/cap.dump")" -le 4096 ] && [ "$(grep -c '^\["m' "$T/cap.dump")" -eq 3 ] &&
	ok "dump capped at max-dump-bytes with what fitted ($(grep -c '^\["m' "$T/cap.dump") messages)" ||
	fail "dump cap: $(wc -c <"$T/cap.dump") bytes"
"$REPLAY" --fast -q -c 2 --wait-all --max-messages 2 --linger 4 "ws://127.0.0.1:$P1/" $D >"$T/c2.out" 2>&1 &
rp=$!
wait_until 10 metric_is $P1 rtcstats_proxy_connections 2
# (lws 4.1 clients report the registered code 1013 as 1002: read it raw.)
ws_open $P1 "/third" && expect "over max-connections: 1013" "$(ws_server_close_code)" 1013
wait $rp
grep -c 'server_close=1001' "$T/c2.out" | grep -qx 2 && ok "idle-timeout: lingering sessions closed with 1001" ||
	fail "idle-timeout: $(cat "$T/c2.out")"
expect "metrics: closed idle" "$(metric $P1 rtcstats_proxy_closed_idle_total)" 2
stop_proxy $P1

# More sessions than spool fds kept open: with 100 descriptors the proxy keeps
# 40 spool files open; 44 interleaved sessions reopen theirs as they write.
mkdir -p "$T/fd"
pick_p2
(ulimit -n 100; exec "$PROXY" --listen 127.0.0.1 --port $P2 --spool-dir "$T/fd/spool" \
	--storage-url "file://$T/fd/store" >"$T/fd/log" 2>&1) &
PIDS[fd]=$!
if wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$P2/healthcheck"; then
	out=$("$REPLAY" --fast -q --wait-all --repeat 2 -c 44 "ws://127.0.0.1:$P2/" $D 2>&1) &&
		ok "44 sessions with a limit of 100 descriptors" || fail "fd limit: $(echo "$out" | tail -n 3)"
	stored44() { [ "$(ls "$T/fd/store" | wc -l)" = 44 ]; }
	wait_until 30 stored44
	good_dumps=0
	for f in "$T/fd/store"/*.gz; do
		[ "$(zcat "$f" | wc -l)" = $((2 * $(sed '1,2d;$d' "$D" | wc -l) + 3)) ] && good_dumps=$((good_dumps + 1))
	done
	expect "every session complete despite spool fds closed and reopened" "$good_dumps" 44
	reopens=$(metric $P2 rtcstats_proxy_spool_reopens_total)
	[ "$reopens" -gt 0 ] && ok "spool fds were evicted and reopened ($reopens times)" || fail "no spool fd reopened"
else
	fail "proxy with ulimit -n 100 did not start"
fi
kill -TERM "${PIDS[fd]}"; wait "${PIDS[fd]}"; PIDS[fd]=""

# ----------------------------------------------------- SIGTERM, kill -9 ---
start_proxy $P1 || finish
before=$(objects $P1)
"$REPLAY" --fast --linger 30 "ws://127.0.0.1:$P1/" $D >"$T/term.out" 2>&1 &
rp=$!
wait_until 10 metric_ge $P1 rtcstats_proxy_messages_total 1
stop_proxy $P1
expect "SIGTERM: exit 0" "$?" 0
wait $rp
grep -q 'server_close=1001' "$T/term.out" && ok "SIGTERM closes sessions with 1001" || fail "SIGTERM close: $(cat "$T/term.out")"
expect "SIGTERM: the session was stored before exit, spool empty" "$(objects $P1)/$(spool_files $P1)" "$((before + 1))/0"
expect "SIGTERM: close line 1001" "$(zcat "$(newest $P1)" | tail -n 1 | cut -c1-19)" '["close",null,1001,'

start_proxy $P1 || finish
before=$(objects $P1)
ws_open $P1 "/crash"
for i in 1 2 3; do ws_text "[\"c$i\",null,$i,0]"; done
wait_until 10 metric_is $P1 rtcstats_proxy_messages_total 3
kill9_proxy $P1
ws_drop
expect "kill -9 leaves a .part" "$(ls "$T/$P1/spool" | grep -c '\.part$')" 1
# A torn last line (a write cut short) and a dump waiting from before the crash.
part=$(ls "$T/$P1/spool"/*.part)
printf '["torn",nu' >>"$part"
id2=$(cat /proc/sys/kernel/random/uuid)
cp "$D" "$T/$P1/spool/$id2.dump"
# A session that had not sent anything yet.
id3=$(cat /proc/sys/kernel/random/uuid)
printf 'RTCStatsDump\n{"url":"/"}\n' >"$T/$P1/spool/$id3.part"
# An HTTP upload cut while being spooled (its client got no answer).
id4=$(cat /proc/sys/kernel/random/uuid)
printf '{"rtcstatsSpool":1,"startTime":1,"upload":true}\nRTCStatsDump\n{"url":"/"}\n["a",null,1,0]\n["b",nu' \
	>"$T/$P1/spool/$id4.part"
start_proxy $P1 || finish
wait_until 10 objects_at_least $P1 $((before + 2)) && wait_until 10 spool_empty $P1 &&
	ok "restart after kill -9: spool recovered and drained" || fail "recovery: $(ls "$T/$P1/spool")"
id1=$(basename "$part" .part)
zcat "$T/$P1/store/$id1.gz" >"$T/rec.dump" 2>/dev/null
expect "recovered: 3 messages, torn line cut, close 1006" \
	"$(sed -n '3,$p' "$T/rec.dump" | cut -c1-19 | tr '\n' '|')" \
	'["c1",null,1,0]|["c2",null,2,0]|["c3",null,3,0]|["close",null,1006,|'
[ -f "$T/$P1/store/$id2.gz" ] && ok "a .dump left in the spool is uploaded at start" || fail "$id2 not uploaded"
[ ! -f "$T/$P1/store/$id3.gz" ] && ok "an empty .part is dropped at start" || fail "empty .part uploaded"
[ ! -f "$T/$P1/store/$id4.gz" ] && ok "a cut HTTP upload is dropped at start (the client retries)" ||
	fail "cut upload completed"

# --------------------------------------------------- storage down, retry ---
mv "$T/$P1/store" "$T/$P1/store.away"
: >"$T/$P1/store"		# a file where the directory was: every put fails
before=$(ls "$T/$P1/store.away" | wc -l)
"$REPLAY" --fast "ws://127.0.0.1:$P1/" $D >/dev/null 2>&1
wait_until 10 metric_ge $P1 rtcstats_proxy_attempts_failed_total 2 &&
	ok "storage down: attempts fail and are retried" || fail "no retry while storage is down"
expect "storage down: the dump waits in the spool" "$(spool_files $P1)" 1
wait_until 15 health_is $P1 503 &&
	ok "storage down: /healthcheck 503" || fail "healthcheck while storage down: $(curl -s $B/healthcheck)"
rm -f "$T/$P1/store"
mv "$T/$P1/store.away" "$T/$P1/store"
wait_until 15 spool_empty $P1 && ok "storage back: the dump is uploaded" || fail "not uploaded after storage came back"
expect "nothing lost" "$(objects $P1)" $((before + 1))
stop_proxy $P1

# ------------------------------------------------- PostgreSQL: the row ---
if [ -x "$PG_BINDIR/initdb" ] && id postgres >/dev/null 2>&1; then
	install -d -o postgres -g postgres -m 0700 "$T/pg" "$T/pg/data"
	runuser -u postgres -- "$PG_BINDIR/initdb" -D "$T/pg/data" -U postgres --auth=trust \
		-E UTF8 --locale=C >"$T/pg/initdb.log" 2>&1
	{
		echo "port = $PG_PORT"
		echo "listen_addresses = ''"	# Unix socket only: no TCP port taken
		echo "unix_socket_directories = '$T/pg'"
		echo "fsync = off"
	} >>"$T/pg/data/postgresql.conf"
	pg_ctl() { runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w -t 60 "$@" >/dev/null; }
	psqlq() { runuser -u postgres -- psql -XAtq -h "$T/pg" -p $PG_PORT -d postgres -v ON_ERROR_STOP=1 "$@"; }
	rows_are() { [ "$(psqlq -c 'select count(*) from rtcstats_dumps')" = "$1" ]; }
	if pg_ctl start; then
		# The table as the extension's extension/sql/00-schema.sql creates it.
		psqlq -c "CREATE TABLE rtcstats_dumps (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
			created_at timestamptz NOT NULL DEFAULT now(), session_start timestamptz,
			session_end timestamptz, blob_url text NOT NULL, metadata jsonb, client_id text,
			rtcstats_user text, rtcstats_conference text, rtcstats_session text,
			host_identifier text, size_bytes bigint, claimed_at timestamptz, claimed_by text,
			attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz, last_error text,
			extracted_at timestamptz)"
		DSN="host=$T/pg port=$PG_PORT dbname=postgres user=postgres connect_timeout=3"
		start_proxy $P1 --dsn "$DSN" --jwt-secret "$SECRET" --host-identifier proxy-suite \
			--health-interval 1 || finish
		expect "healthcheck: database reachable" "$(http_code $B/healthcheck)|$(json_get j.database.reachable "$T/body")" "200|true"
		t0=$(date +%s%3N)
		"$REPLAY" --fast --token "$good" "ws://127.0.0.1:$P1/db" $D >/dev/null 2>&1
		wait_until 10 rows_are 1
		row=$(psqlq -F'|' -c "select id, rtcstats_user, rtcstats_conference, rtcstats_session,
			host_identifier, client_id = id::text, blob_url = 'file://$T/$P1/store/' || id || '.gz',
			metadata->>'url', session_start <= session_end,
			abs(extract(epoch from session_start) * 1000 - $t0) < 10000, size_bytes from rtcstats_dumps")
		IFS='|' read -r rid ruser rconf rsess rhost rcid rblob rurl rorder rstart rsize <<<"$row"
		expect "row: user/conference/session from the token" "$ruser|$rconf|$rsess" "u@x|c1|s1"
		expect "row: host_identifier" "$rhost" proxy-suite
		expect "row: client_id and blob_url" "$rcid|$rblob" "t|t"
		expect "row: metadata is the metadata line" "$rurl" "/db?rtcstats-token=obfuscated"
		expect "row: session_start now, <= session_end" "$rorder|$rstart" "t|t" ||
			psqlq -c "select session_start, session_end, $t0 from rtcstats_dumps"
		expect "row: size_bytes = stored object size" "$rsize" "$(stat -c %s "$T/$P1/store/$rid.gz")"
		# Postgres down for a while: the dump waits, then its row arrives.
		pg_ctl -m fast stop
		"$REPLAY" --fast --token "$good" "ws://127.0.0.1:$P1/db2" $D >/dev/null 2>&1
		wait_until 10 metric_ge $P1 rtcstats_proxy_attempts_failed_total 1 &&
			ok "database down: insert retried" || fail "database down: no retry"
		wait_until 10 health_is $P1 503 &&
			ok "database down: /healthcheck 503" || fail "healthcheck with database down"
		# ... while the balancer's check still says ready: the spool takes the sessions
		expect "database down: /readyz 200 and /livez 200 (keep sending traffic)" \
			"$(http_code $B/readyz)|$(http_code $B/livez)" "200|200"
		expect "database down: dump kept in the spool" "$(spool_files $P1)" 1
		sleep 2
		pg_ctl start
		wait_until 15 rows_are 2 &&
			ok "database back: the row is inserted" || fail "row missing after database came back"
		wait_until 10 spool_empty $P1 && ok "database back: spool empty" || fail "spool not drained"
		# Idempotent: the same dump queued again after a crash inserts nothing new.
		kill9_proxy $P1
		cp "$D" "$T/$P1/spool/$rid.dump"
		start_proxy $P1 --dsn "$DSN" --health-interval 1 || finish
		wait_until 10 spool_empty $P1
		expect "re-processing a dump: ON CONFLICT DO NOTHING" "$(psqlq -c 'select count(*) from rtcstats_dumps')" 2
		psqlq -c "ALTER TABLE rtcstats_dumps RENAME TO rtcstats_dumps_away"
		wait_until 10 health_is $P1 503 && curl -s $B/healthcheck | grep -q 'rtcstats_dumps not found' &&
			ok "healthcheck: a database without rtcstats_dumps is reported" ||
			fail "healthcheck without the table: $(curl -s $B/healthcheck)"
		psqlq -c "ALTER TABLE rtcstats_dumps_away RENAME TO rtcstats_dumps"
		# A login that may not INSERT: every insert would fail, so health says so
		psqlq -c "CREATE ROLE proxy_suite_noinsert LOGIN" >/dev/null
		stop_proxy $P1
		start_proxy $P1 --dsn "${DSN/user=postgres/user=proxy_suite_noinsert}" --health-interval 1 || finish
		wait_until 10 health_is $P1 503 && curl -s $B/healthcheck | grep -q 'may not insert' &&
			ok "healthcheck: a login without the INSERT grant is reported" ||
			fail "healthcheck with a login that may not insert: $(curl -s $B/healthcheck)"
		psqlq -c "GRANT INSERT (id, session_start, session_end, blob_url, metadata, client_id,
			rtcstats_user, rtcstats_conference, rtcstats_session, host_identifier, size_bytes),
			SELECT (id) ON rtcstats_dumps TO proxy_suite_noinsert" >/dev/null
		wait_until 10 health_is $P1 200 &&
			ok "healthcheck: the same login with the ingest grants is healthy" ||
			fail "healthcheck after the grants: $(curl -s $B/healthcheck)"
		stop_proxy $P1
		pg_ctl -m fast stop
	else
		fail "private PostgreSQL did not start: $(tail -n 3 "$T/pg/log")"
	fi
else
	fail "PostgreSQL 15 binaries missing ($PG_BINDIR)"
fi

# ------------------------------------------------------------- valgrind ---
if [ "${SANITIZE:-0}" = 1 ]; then
	echo "(valgrind part not run on a sanitizer build)"
elif command -v valgrind >/dev/null; then
	mkdir -p "$T/vg"
	pick_p2
	valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --log-file="$T/vg/valgrind.log" \
		"$PROXY" --listen 127.0.0.1 --port $P2 --spool-dir "$T/vg/spool" \
		--storage-url "file://$T/vg/store" --jwt-secret "$SECRET" --max-message-bytes 2000 \
		>"$T/vg/log" 2>&1 &
	PIDS[vg]=$!
	if wait_until 60 curl -s -o /dev/null "http://127.0.0.1:$P2/healthcheck"; then
		"$REPLAY" --fast -q -c 4 --token "$good" "ws://127.0.0.1:$P2/" $CORPUS/*.rtcstats >/dev/null 2>&1
		"$REPLAY" --fast -q "ws://127.0.0.1:$P2/" $D >/dev/null 2>&1
		curl -s -o /dev/null --data-binary @"$T/a.gz" "http://127.0.0.1:$P2/upload?rtcstats-token=$good"
		curl -s -o /dev/null -F "file=@$D" "http://127.0.0.1:$P2/upload?rtcstats-token=$good"
		curl -s -o /dev/null --data-binary @"$T/badline.txt" "http://127.0.0.1:$P2/upload?rtcstats-token=$good"
		curl -s -o /dev/null -H 'Transfer-Encoding: chunked' -F "file=@$T/a.gz;filename=a.gz" \
			"http://127.0.0.1:$P2/upload?rtcstats-token=$good"
		raw_http $P2 "$(req "Content-Length: 9999\r\nAuthorization: Bearer $good\r\n" "$esc")" close
		curl -s -o /dev/null "http://127.0.0.1:$P2/metrics"
		ws_open $P2 "/vg?rtcstats-token=$good" && ws_text '["a",null,1,0]' &&
			ws_text "[\"$(head -c 2100 /dev/zero | tr '\0' x)\"]" && ws_server_close_code >/dev/null
		sleep 2
		kill -TERM "${PIDS[vg]}"
		wait "${PIDS[vg]}"
		rc=$?
		PIDS[vg]=""
		expect "valgrind: no error, no definite leak, exit 0" "$rc" 0
		[ $rc -ne 0 ] && grep -A12 -E 'definitely lost|Invalid|uninitialised' "$T/vg/valgrind.log" | head -n 40
		expect "valgrind run: every dump stored" "$(ls "$T/vg/store" | wc -l)" 9
	else
		fail "proxy under valgrind did not start"
	fi
else
	fail "valgrind missing"
fi

finish
