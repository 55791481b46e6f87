#!/usr/bin/env bash
# End to end, with real parts only: every corpus dump in file format 3 is
# replayed by rtcstats-replay through rtcstats-proxy (built with ASan+UBSan)
# into S3 (s3rver on 127.0.0.1:4569) and a PostgreSQL 15 cluster with the real
# extension (port 55433).  For each dump:
#   - the stored object, gunzipped: "RTCStatsDump", the metadata line (url with
#     the token replaced by "obfuscated", origin, userAgent, clientProtocol,
#     fileFormat 3, remoteAddresses), every original message in order, JSON-equal
#     to rtcstats-anonymize's output for the original, and the close line with the
#     close code the client sent;
#   - the rtcstats_dumps row: blob_url, user/conference/session of the token,
#     host identifier, start <= end within the run, size, metadata = line 2;
#   - SELECT rtcstats_extract_features(id) with the extension reading the same
#     s3rver: the features of test/corpus/expected/<name>.features.json, key by
#     key, except (documented in docs/replay.md) address-derived values, which
#     may come out obfuscated, and the client "duration", which runs to the
#     server's close line and so shifts by the replay's close delta.
# The proxies connect as a LOGIN member of rtcstats_ingest (which may not
# set the bookkeeping columns nor read anything: checked too).
# Then file:// storage (the proxy's default kind) for two dumps, and POST
# /upload as a raw body, gzip and multipart/form-data (with a Bearer token),
# with the answer JSON checked.  The corpus replays use rtcstats-replay built
# with ASan+UBSan too.  The ASan proxies stop gracefully at the end: a non-zero
# exit or any sanitizer report (proxies or replays) is a failure.
#
#   BUILD (default build)  where the regular programs are built
set -u
cd "$(dirname "$0")/../.."
SUITE=e2e
. test/lib/common.sh
. test/lib/pg.sh
. test/lib/s3.sh
. test/lib/proxy.sh
. test/lib/jwt.sh
. test/lib/compare.sh

SECRET=rtcstats-corpus-secret
P_JWT=18080			# JWT required, S3 storage, ASan
P_OPEN=18081		# no JWT, S3 storage, ASan
P_FILE=18082		# no JWT, file:// storage, regular build
REPLAY="$BIN/rtcstats-replay"
ANON="$BIN/rtcstats-anonymize"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER	# s3rver's built-in account

rt_tmpdir
T=$RT_TMP
t_start=$(now_ms)

# ------------------------------------------------------------------ build ---
if ! make -s all "$BUILD/test/json-compare" >"$T/build.log" 2>&1; then
	fail "make all"; tail -n 30 "$T/build.log"; finish
fi
if ! make -s extension-install >"$T/ext.log" 2>&1; then
	fail "make extension-install"; tail -n 30 "$T/ext.log"; finish
fi
if ! make -s SANITIZE=1 BUILD=build-san build-san/bin/rtcstats-proxy build-san/bin/rtcstats-replay \
	>"$T/build-san.log" 2>&1; then
	fail "make SANITIZE=1 build-san/bin/rtcstats-proxy build-san/bin/rtcstats-replay"; tail -n 30 "$T/build-san.log"; finish
fi
for p in "$REPLAY" "$ANON" "$BIN/rtcstats-proxy" build-san/bin/rtcstats-proxy build-san/bin/rtcstats-replay; do
	[ -x "$p" ] || { fail "missing $p"; finish; }
done
ok "built: programs, extension installed, ASan+UBSan proxy and replay"
# the corpus replays run the sanitizer build of rtcstats-replay too
san_replay() {
	ASAN_OPTIONS="log_path=$T/san.replay-asan:detect_leaks=1" UBSAN_OPTIONS="log_path=$T/san.replay-ubsan:print_stacktrace=1" \
		build-san/bin/rtcstats-replay "$@"
}

# rtcstats-replay's command-line contract: --help 0, usage 2, unreadable input 1
# with file:line, unreachable server 1 with connect-failed
check "rtcstats-replay --help exits 0 and names every pacing option" \
	bash -c "'$REPLAY' --help | grep -q -- '--pace original' && '$REPLAY' --help | grep -q -- '--fast'"
"$REPLAY" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "rtcstats-replay without arguments: exit 2" || fail "rtcstats-replay without arguments: exit $rc"
"$REPLAY" --speed 0 ws://127.0.0.1:1/ test/corpus/dumps/gumonly.rtcstats >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "rtcstats-replay --speed 0: exit 2" || fail "rtcstats-replay --speed 0: exit $rc"
out=$("$REPLAY" ws://127.0.0.1:1/ test/corpus/dumps/internals-gumonly.json.gz 2>&1); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"internals-gumonly.json.gz:1: not a format 3 dump"* ]] &&
	ok "rtcstats-replay refuses a webrtc-internals file: $out" || fail "rtcstats-replay on a non-dump: exit $rc, $out"
out=$("$REPLAY" --fast ws://127.0.0.1:1/ test/corpus/dumps/gumonly.rtcstats 2>&1); rc=$?
[ $rc -eq 1 ] && [[ "$out" == *"result=connect-failed"* ]] &&
	ok "rtcstats-replay to a closed port: exit 1, connect-failed" || fail "rtcstats-replay to a closed port: exit $rc, $out"

# ------------------------------------------------------ S3, Postgres ---
s3_install || { fail "install s3rver"; finish; }
s3_start || { fail "start s3rver on $S3_PORT"; finish; }
pg_init "rtcstats.storage_url = 's3://$S3_BUCKET/dumps'" \
	"rtcstats.s3_endpoint = '$S3_ENDPOINT'" "rtcstats.s3_path_style = on" \
	"rtcstats.s3_region = 'us-east-1'" \
	"rtcstats.s3_access_key_id = '$AWS_ACCESS_KEY_ID'" \
	"rtcstats.s3_secret_access_key = '$AWS_SECRET_ACCESS_KEY'" || { fail "initdb"; finish; }
pg_start || { fail "start PostgreSQL on $PG_PORT"; cat "$PG_LOG"; finish; }
pg_createdb || { fail "CREATE EXTENSION rtcstats"; finish; }
ok "s3rver on $S3_PORT, PostgreSQL on $PG_PORT with the extension"
# The proxies log in as a LOGIN member of rtcstats_ingest, the role the
# extension creates for them (docs/operations.md): INSERT on the columns the
# proxy writes and SELECT on id (ON CONFLICT (id) reads it), nothing more.
pg_psql -c "CREATE ROLE e2e_proxy LOGIN IN ROLE rtcstats_ingest" || { fail "CREATE ROLE ... IN ROLE rtcstats_ingest"; finish; }
PROXY_DSN="host=127.0.0.1 port=$PG_PORT dbname=$PG_DB user=e2e_proxy connect_timeout=5"
as_proxy() { psql -X -A -t -q -v ON_ERROR_STOP=1 "$PROXY_DSN" -c "$1" 2>&1; }
check "the ingest role may not set extracted_at (42501)" \
	grep -q 'permission denied for table rtcstats_dumps' <<<"$(as_proxy "INSERT INTO rtcstats_dumps (id, blob_url, extracted_at) VALUES (gen_random_uuid(), 'x', now())")"
check "the ingest role may not read a dump row (42501)" \
	grep -q 'permission denied for table rtcstats_dumps' <<<"$(as_proxy "SELECT blob_url FROM rtcstats_dumps")"
check "the ingest role may not read features (42501)" \
	grep -q 'permission denied for table features_metadata' <<<"$(as_proxy "SELECT features FROM features_metadata")"
check "the ingest role may not claim or fetch (42501)" \
	grep -q 'permission denied for function rtcstats_fetch_dump' <<<"$(as_proxy "SELECT rtcstats_fetch_dump(gen_random_uuid())")"

S3_ARGS=(--storage-url "s3://$S3_BUCKET/dumps" --s3-endpoint "$S3_ENDPOINT" --s3-path-style
	--s3-region us-east-1 --dsn "$PROXY_DSN" --host-identifier e2e-host --retry-max-delay 2)
PROXY_BIN=build-san/bin/rtcstats-proxy
proxy_start $P_JWT "${S3_ARGS[@]}" --spool-dir "$T/spool-jwt" --jwt-secret "$SECRET" ||
	{ fail "start the ASan proxy with a JWT secret"; finish; }
proxy_start $P_OPEN "${S3_ARGS[@]}" --spool-dir "$T/spool-open" ||
	{ fail "start the ASan proxy without a JWT secret"; finish; }
PROXY_BIN=$BIN/rtcstats-proxy
mkdir -p "$T/files"
proxy_start $P_FILE --storage-url "file://$T/files" --dsn "$PROXY_DSN" --host-identifier e2e-file \
	--spool-dir "$T/spool-file" --retry-max-delay 2 || { fail "start the file:// proxy"; finish; }
ok "proxies: ASan on $P_JWT (JWT) and $P_OPEN, file:// on $P_FILE"

# ------------------------------------------------------------- replay ---
# name -> kind (jwt|open), from the recording's own server (expected/*.server.json)
declare -A KIND=() URLS=() ORIG_CLOSE=()
names=()
for f in test/corpus/dumps/*.rtcstats; do
	n=$(basename "$f" .rtcstats)
	[ "$(head -n 1 "$f")" = "RTCStatsDump" ] || continue
	names+=("$n")
	kind=open
	if [ -f "test/corpus/expected/$n.server.json" ] &&
		[ "$(json_field "test/corpus/expected/$n.server.json" jwtSecret)" != "null" ]; then
		kind=jwt
	fi
	KIND[$n]=$kind
	URLS[$n]=$(sed -n 2p "$f" | json_field - url)
	ORIG_CLOSE[$n]=$(tail -n 1 "$f" | json_field - 2)
done
[ ${#names[@]} -ge 10 ] && ok "${#names[@]} format 3 dumps in the corpus" ||
	fail "only ${#names[@]} format 3 dumps found"

# A fresh token with the recording's claims (the recorded ones have expired).
token_for() {	# name
	local s="test/corpus/expected/$1.server.json" now
	now=$(date +%s)
	jwt_hs256 "$SECRET" "{\"rtcStats\":$(json_field "$s" tokenPayload),\"iat\":$now,\"exp\":$((now + 3600))}"
}

replay_pids=()
i=0
for n in "${names[@]}"; do
	url=${URLS[$n]}
	path=${url%%\?*}
	args=(--close-code original)
	# one dump with its original pacing (10x), the rest as fast as possible
	if [ "$n" = gumonly ]; then args+=(--speed 10); else args+=(--fast); fi
	if [ "${KIND[$n]}" = jwt ]; then
		san_replay "${args[@]}" --token "$(token_for "$n")" "ws://127.0.0.1:$P_JWT$path" \
			"test/corpus/dumps/$n.rtcstats" >"$T/replay-$n.out" 2>&1 &
	else
		san_replay "${args[@]}" "ws://127.0.0.1:$P_OPEN$url" "test/corpus/dumps/$n.rtcstats" \
			>"$T/replay-$n.out" 2>&1 &
	fi
	replay_pids+=($!)
	i=$((i + 1))
done
i=0
for n in "${names[@]}"; do
	if wait "${replay_pids[$i]}"; then
		ok "replay $n (${KIND[$n]}): $(grep '^conn=' "$T/replay-$n.out" | grep -o 'messages=[^ ]*')"
	else
		fail "replay $n"; cat "$T/replay-$n.out"
	fi
	i=$((i + 1))
done

# Original pacing: gumonly at 10x lasts its recorded span / 10 (its messages'
# deltas after the first, which is absolute), not less, and not much more.
span_ms=$(sed '1,2d;$d' test/corpus/dumps/gumonly.rtcstats | sed 1d |
	perl -ne 'if (/,\s*([0-9.]+)\s*\]\s*$/) { $s += $1 } END { print $s + 0 }')
took=$(grep -o 'seconds=[0-9.]*' "$T/replay-gumonly.out" | head -n 1 | cut -d= -f2)
if perl -e "exit !($took >= $span_ms / 10 / 1000 * 0.95 && $took <= $span_ms / 10 / 1000 + 1)"; then
	ok "--speed 10: gumonly took ${took}s for a ${span_ms} ms recording"
else
	fail "--speed 10: gumonly took ${took}s for a ${span_ms} ms recording"
fi

row_exists() { pg_psql -c "SELECT 1 FROM rtcstats_dumps WHERE id = '$1'"; }
row_count() { pg_psql -c "SELECT count(*) FROM rtcstats_dumps WHERE host_identifier = '$1'"; }
if wait_for 60 '[ "$(row_count e2e-host)" -ge "${#names[@]}" ]'; then
	ok "${#names[@]} rows in rtcstats_dumps"
else
	fail "rows: $(row_count e2e-host) of ${#names[@]} after 60 s"
	tail -n 20 "$(proxy_log $P_JWT)" "$(proxy_log $P_OPEN)"
fi

# ------------------------------------------------------- per-dump checks ---
# The messages of a dump (lines 3.. without the server's close line), canonical.
messages_of() {	# file
	jsonl_canonical "$1" | sed '1,2d' | sed '$d'
}

# Checks the stored object (plain file $2) against the original dump $1 and the
# row (metadata in $3); $4 = expected close code.
check_object() {	# name object meta.json close_code
	local n=$1 obj=$2 meta=$3 code=$4 last
	[ "$(head -n 1 "$obj")" = "RTCStatsDump" ] || { echo "line 1 is not RTCStatsDump"; return 1; }
	sed -n 2p "$obj" >"$T/$n.line2"
	[ "$(jsonl_canonical "$T/$n.line2")" = "$(jsonl_canonical "$meta")" ] ||
		{ echo "line 2 differs from the row's metadata:"; cat "$T/$n.line2" "$meta"; return 1; }
	"$ANON" "test/corpus/dumps/$n.rtcstats" "$T/$n.anon" || { echo "rtcstats-anonymize failed"; return 1; }
	messages_of "$T/$n.anon" >"$T/$n.want"
	messages_of "$obj" >"$T/$n.got"
	if ! cmp -s "$T/$n.want" "$T/$n.got"; then
		echo "messages differ from the anonymized original ($(wc -l <"$T/$n.got") vs $(wc -l <"$T/$n.want") lines):"
		diff "$T/$n.want" "$T/$n.got" | head -n 6 | cut -c1-200
		return 1
	fi
	last=$(tail -n 1 "$obj")
	[ "$(json_field - 0 <<<"$last")" = close ] && [ "$(json_field - 1 <<<"$last")" = null ] &&
		[ "$(json_field - 2 <<<"$last")" = "$code" ] ||
		{ echo "last line is not [\"close\",null,$code,delta]: $last"; return 1; }
	# the original's messages all kept, in order (the stored ones are anonymized)
	[ "$(wc -l <"$T/$n.got")" -eq "$(( $(grep -cv '^$' "test/corpus/dumps/$n.rtcstats") - 3 ))" ] ||
		{ echo "message count differs from the original"; return 1; }
}

check_metadata() {	# name meta.json
	local n=$1 m=$2 orig="$T/$1.origmeta" v
	sed -n 2p "test/corpus/dumps/$n.rtcstats" >"$orig"
	for k in url origin userAgent; do
		[ "$(json_field "$m" "$k")" = "$(json_field "$orig" "$k")" ] ||
			{ echo "metadata $k: $(json_field "$m" "$k"), want $(json_field "$orig" "$k")"; return 1; }
	done
	[ "$(json_field "$m" clientProtocol)" = "rtcstats#5.0" ] || { echo "clientProtocol"; return 1; }
	[ "$(json_field "$m" fileFormat)" = 3 ] || { echo "fileFormat"; return 1; }
	case $(json_field "$m" remoteAddresses) in
		'["127.0.0.1"]'|'["::ffff:127.0.0.1"]') ;;	# loopback stays clear (spec section 7)
		*) echo "remoteAddresses $(json_field "$m" remoteAddresses)"; return 1 ;;
	esac
	v=$(json_field "$m" startTime)
	[ "${v%.*}" -ge "$t_start" ] && [ "${v%.*}" -le "$(now_ms)" ] ||
		{ echo "startTime $v outside the run"; return 1; }
	if grep -q "rtcstats-token=ey" "$m"; then echo "the token is stored"; return 1; fi
}

# Row fields: name id host kind
check_row() {
	local n=$1 id=$2 host=$3 kind=$4 row want
	row=$(pg_psql -F '|' -c "SELECT blob_url, coalesce(rtcstats_user,'-'),
		coalesce(rtcstats_conference,'-'), coalesce(rtcstats_session,'-'), host_identifier,
		size_bytes > 0, session_start <= session_end,
		session_start >= to_timestamp($t_start / 1000.0) - interval '1 s',
		session_end <= now(), created_at <= now(), extracted_at IS NULL OR true
		FROM rtcstats_dumps WHERE id = '$id'")
	IFS='|' read -r blob user conf sess h size_ok order_ok start_ok end_ok _ _ <<<"$row"
	case $blob in
		"s3://$S3_BUCKET/dumps/$id.gz"|"file://$T/files/$id.gz") ;;
		*) echo "blob_url $blob"; return 1 ;;
	esac
	[ "$h" = "$host" ] || { echo "host_identifier $h"; return 1; }
	[ "$size_ok$order_ok$start_ok$end_ok" = tttt ] ||
		{ echo "size>0 $size_ok, start<=end $order_ok, start in run $start_ok, end<=now $end_ok:" \
			"$(pg_psql -c "SELECT session_start, session_end, size_bytes FROM rtcstats_dumps WHERE id = '$id'")"; return 1; }
	if [ "$kind" = jwt ]; then
		want="$(json_field "test/corpus/expected/$n.server.json" tokenPayload user)|$(json_field "test/corpus/expected/$n.server.json" tokenPayload conference)|$(json_field "test/corpus/expected/$n.server.json" tokenPayload session)"
	else
		want="-|-|-"
	fi
	[ "$user|$conf|$sess" = "$want" ] || { echo "user|conference|session: $user|$conf|$sess, want $want"; return 1; }
}

# Features through the extension; $3: storage URL to read from (for file://).
check_features() {	# name id [storage_url]
	local n=$1 id=$2 set="" close_got shift
	[ -n "${3:-}" ] && set="SET rtcstats.storage_url = '$3';"
	pg_psql -c "$set SELECT rtcstats_extract_features('$id')" >"$T/$n.features.json" 2>"$T/$n.features.err" ||
		{ echo "rtcstats_extract_features failed:"; cat "$T/$n.features.err"; return 1; }
	close_got=$(tail -n 1 "$T/$n.obj" | json_field - 3)
	shift=$(perl -e "print $close_got - $(tail -n 1 "test/corpus/dumps/$n.rtcstats" | json_field - 3)")
	address_map "test/corpus/expected/$n.features.json" >"$T/$n.addrmap"
	features_compare "$T/$n.features.json" "test/corpus/expected/$n.features.json" "$shift" "$T/$n.addrmap"
}

# want<TAB>obfuscated for every address value of a features document, by the
# extension's rtcstats_obfuscate_address (the anonymizer the proxy runs).
address_map() {	# features.json
	local a
	address_values "$1" | while IFS= read -r a; do
		printf '%s\t%s\n' "$a" "$(pg_psql -v a="$a" <<<"SELECT rtcstats_obfuscate_address(:'a')")"
	done
}

for n in "${names[@]}"; do
	id=$(pg_psql -c "SELECT id FROM rtcstats_dumps WHERE host_identifier = 'e2e-host'
		AND metadata->>'url' = '${URLS[$n]}'")
	if [ -z "$id" ] || [ "$(wc -l <<<"$id")" -ne 1 ]; then
		fail "$n: no single row with url ${URLS[$n]}"
		continue
	fi
	pg_psql -c "SELECT metadata FROM rtcstats_dumps WHERE id = '$id'" >"$T/$n.meta"
	blob=$(pg_psql -c "SELECT blob_url FROM rtcstats_dumps WHERE id = '$id'")
	if s3_get "${blob#s3://$S3_BUCKET/}" "$T/$n.obj.gz" && gzip -t "$T/$n.obj.gz" 2>/dev/null; then
		gzip -dc "$T/$n.obj.gz" >"$T/$n.obj"
		check "$n: object (metadata line, $(($(wc -l <"$T/$n.obj") - 3)) messages anonymized in order, close line)" \
			check_object "$n" "$T/$n.obj" "$T/$n.meta" "${ORIG_CLOSE[$n]}"
	else
		fail "$n: object $blob missing or not gzip"
		continue
	fi
	check "$n: row fields" check_row "$n" "$id" e2e-host "${KIND[$n]}"
	check "$n: metadata (url with obfuscated token, origin, userAgent, protocol, addresses)" \
		check_metadata "$n" "$T/$n.meta"
	check "$n: features by the extension = expected" check_features "$n" "$id"
done

# --------------------------------------------------------- file:// storage ---
for n in av-call datachannel-only; do
	"$REPLAY" --fast --close-code original "ws://127.0.0.1:$P_FILE${URLS[$n]%%\?*}?file=1" \
		"test/corpus/dumps/$n.rtcstats" >"$T/replay-file-$n.out" 2>&1 ||
		{ fail "file://: replay $n"; cat "$T/replay-file-$n.out"; continue; }
	file_row() { pg_psql -c "SELECT id FROM rtcstats_dumps WHERE host_identifier = 'e2e-file' AND metadata->>'url' LIKE '${URLS[$n]%%\?*}?file=1%'"; }
	if ! wait_for 30 '[ -n "$(file_row)" ]'; then
		fail "file://: no row for $n"; continue
	fi
	id=$(file_row)
	pg_psql -c "SELECT metadata FROM rtcstats_dumps WHERE id = '$id'" >"$T/$n.meta"
	if [ -f "$T/files/$id.gz" ] && gzip -dc "$T/files/$id.gz" >"$T/$n.obj" 2>/dev/null; then
		check "file://: $n object at file://$T/files/$id.gz" \
			check_object "$n" "$T/$n.obj" "$T/$n.meta" "${ORIG_CLOSE[$n]}"
		check "file://: $n row" check_row "$n" "$id" e2e-file open
		chmod -R a+rX "$T/files"
		check "file://: $n features by the extension" check_features "$n" "$id" "file://$T/files"
	else
		fail "file://: object $T/files/$id.gz missing or not gzip"
	fi
done

# ------------------------------------------------------------ POST /upload ---
# The answer: 200 {"message":"Upload successful","clientId":"<uuid>","id":"<uuid>"}.
upload_check() {	# label port file-of-answer http_code name
	local label=$1 ans=$3 code=$4 n=$5 id uuid='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
	[ "$code" = 200 ] || { echo "HTTP $code: $(cat "$ans")"; return 1; }
	[ "$(json_field "$ans" message)" = "Upload successful" ] || { echo "answer: $(cat "$ans")"; return 1; }
	[[ "$(json_field "$ans" clientId)" =~ $uuid ]] || { echo "clientId: $(cat "$ans")"; return 1; }
	id=$(json_field "$ans" id)
	[[ "$id" =~ $uuid ]] || { echo "id: $(cat "$ans")"; return 1; }
	wait_for 30 '[ -n "$(row_exists "$id")" ]' ||
		{ echo "no row $id"; return 1; }
	blob=$(pg_psql -c "SELECT blob_url FROM rtcstats_dumps WHERE id = '$id'")
	s3_get "${blob#s3://$S3_BUCKET/}" "$T/up-$label.gz" || { echo "no object $blob"; return 1; }
	gzip -dc "$T/up-$label.gz" >"$T/up-$label"
	"$ANON" "test/corpus/dumps/$n.rtcstats" "$T/$n.anon"
	messages_of "$T/$n.anon" >"$T/up-$label.want"
	# an uploaded dump is complete: its own close line is a message like the others
	jsonl_canonical "$T/up-$label" | sed '1,2d' >"$T/up-$label.got"
	head -n "$(wc -l <"$T/up-$label.want")" "$T/up-$label.got" | cmp -s - "$T/up-$label.want" ||
		{ echo "stored messages differ from the anonymized upload"; diff "$T/up-$label.want" "$T/up-$label.got" | head -n 4 | cut -c1-200; return 1; }
	pg_psql -c "SELECT rtcstats_extract_features('$id')" >"$T/up-$label.features.json" ||
		{ echo "extract failed"; return 1; }
	address_map "test/corpus/expected/$n.features.json" >"$T/up-$label.addrmap"
	features_compare "$T/up-$label.features.json" "test/corpus/expected/$n.features.json" 0 "$T/up-$label.addrmap"
}

u="http://127.0.0.1:$P_OPEN/upload"
code=$(curl -s -o "$T/ans-raw" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
	--data-binary @test/corpus/dumps/audio-only.rtcstats "$u")
check "POST /upload raw body: 200, answer JSON, row, object, features" upload_check raw $P_OPEN "$T/ans-raw" "$code" audio-only
gzip -c test/corpus/dumps/simulcast.rtcstats >"$T/simulcast.gz"
code=$(curl -s -o "$T/ans-gz" -w '%{http_code}' -H 'Content-Type: application/gzip' \
	--data-binary @"$T/simulcast.gz" "$u")
check "POST /upload gzip body: 200, answer JSON, row, object, features" upload_check gzip $P_OPEN "$T/ans-gz" "$code" simulcast
code=$(curl -s -o "$T/ans-mp" -w '%{http_code}' -H "Authorization: Bearer $(token_for renegotiation)" \
	-F "file=@test/corpus/dumps/renegotiation.rtcstats;filename=renegotiation.rtcstats" \
	"http://127.0.0.1:$P_JWT/upload")
check "POST /upload multipart with a Bearer token: 200, answer JSON, row, object, features" \
	upload_check multipart $P_JWT "$T/ans-mp" "$code" renegotiation
code=$(curl -s -o "$T/ans-notoken" -w '%{http_code}' --data-binary @test/corpus/dumps/gumonly.rtcstats \
	"http://127.0.0.1:$P_JWT/upload")
[[ "$code" =~ ^40[13]$ ]] && ok "POST /upload without a token to a JWT proxy: $code" ||
	fail "POST /upload without a token to a JWT proxy: $code $(cat "$T/ans-notoken")"
printf 'not a dump\n' >"$T/bad"
code=$(curl -s -o "$T/ans-bad" -w '%{http_code}' --data-binary @"$T/bad" "$u")
[[ "$code" =~ ^4[0-9][0-9]$ ]] && ok "POST /upload of a non-dump: $code" ||
	fail "POST /upload of a non-dump: $code $(cat "$T/ans-bad")"

# ------------------------------------------------------ sanitizers, exit ---
for p in $P_JWT $P_OPEN; do
	if proxy_stop $p; then ok "ASan proxy on $p: graceful stop, exit 0"
	else fail "ASan proxy on $p exited non-zero"; tail -n 30 "$(proxy_log $p)"; fi
done
proxy_stop $P_FILE
if [ -n "$(proxy_san_reports)" ] ||
	grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T"/proxy-*.log "$T"/replay-*.out >/dev/null 2>&1; then
	fail "sanitizer reports: $(proxy_san_reports | tr "\n" " ")"; cat $(proxy_san_reports) 2>/dev/null | head -n 60
	grep -h -A20 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T"/proxy-*.log "$T"/replay-*.out | head -n 60
else
	ok "no ASan/UBSan/LSan report over the run"
fi
finish
