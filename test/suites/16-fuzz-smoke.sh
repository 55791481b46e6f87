#!/usr/bin/env bash
# A short libFuzzer run of each fuzz target (core/fuzz, proxy/fuzz): the
# reader and feature extractor and the anonymizer seeded from the corpus
# (plain and gzipped) and the bad-input shapes, the HTML report from the
# corpus' analysis objects, the webrtc-internals converter from the corpus'
# internals documents, the proxy's message scan from the corpus' event lines,
# its token check from a few header/payload pairs, its chunked and multipart
# upload parsers from two small bodies.  `make fuzz` runs the same
# for FUZZ_SECONDS (default 600) per target; FUZZ_ONLY limits the targets.
# A new target: its file in core/fuzz or proxy/fuzz, a seeds_for case below.
# Any crash, leak or sanitizer report fails the suite; the crashing input is
# kept in build/fuzz/artifacts/ to become a regression test.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
make -s fuzz-targets all BUILD="$BUILD" || exit 1
seeds=$(mktemp -d); work=$(mktemp -d); report_seeds=$(mktemp -d)
internals_seeds=$(mktemp -d); scan_seeds=$(mktemp -d); jwt_seeds=$(mktemp -d); body_seeds=$(mktemp -d)
trap 'rm -rf "$seeds" "$work" "$report_seeds" "$internals_seeds" "$scan_seeds" "$jwt_seeds" "$body_seeds"' EXIT
for d in test/corpus/dumps/*.rtcstats; do
	b=$(basename "$d" .rtcstats)
	"$BUILD/bin/rtcstats-features" --analysis "$d" >"$report_seeds/$b.analysis" 2>/dev/null
	printf '{"metadata":{"url":"https://x.test/","startTime":1},"features":%s,"analysis":%s}' \
		"$("$BUILD/bin/rtcstats-features" "$d" 2>/dev/null)" "$(cat "$report_seeds/$b.analysis")" \
		>"$report_seeds/$b.parts"
done
mkdir -p "$BUILD/fuzz/artifacts"
for d in test/corpus/dumps/*; do
	cp "$d" "$seeds/"
	case "$d" in *.gz) ;; *) gzip -c "$d" > "$seeds/$(basename "$d").gz" ;; esac
done
printf 'RTCStatsDump\n{}\n[1,"a",{"0":{"type":5}},1]\n' > "$seeds/small"
printf '{"PeerConnections":{"1":{"updateLog":[],"stats":{}}},"getUserMedia":[]}' > "$seeds/internals"
for d in test/corpus/dumps/internals-*; do
	case "$d" in *.gz) gzip -dc "$d" ;; *) cat "$d" ;; esac > "$internals_seeds/$(basename "$d" .gz)"
done
cp "$seeds/internals" "$internals_seeds/"
# the PeerConnections value alone too (fuzz_internals wraps what is no document)
printf '{"1":{"updateLog":[{"type":"createOffer","value":"x","time":1}],"stats":{"a-timestamp":{"statsType":"t","values":"[1,2]"},"a-b":{"statsType":"t","values":"[3,4]"}}}}' \
	> "$internals_seeds/pcs"
n=0
for d in test/corpus/dumps/*.rtcstats; do
	tail -n +3 "$d" | head -n 40 | while IFS= read -r line; do
		n=$((n + 1)); printf '%s' "$line" > "$scan_seeds/$(basename "$d").$n"
	done
done
printf '[1,"a",{"b":[true,false,null,-1.5e3,"\\u00e9"]},2]' > "$scan_seeds/mixed"
printf '{"alg":"HS256","typ":"JWT"}\0{"rtcStats":{"user":"u","session":"s","conference":"c"},"exp":2000000000}' > "$jwt_seeds/claims"
printf '{"alg":"HS256"}\0{"rtcStats":{"user":{"a":[1]},"session":5},"nbf":1,"exp":1e300}' > "$jwt_seeds/odd"
printf 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln' > "$jwt_seeds/token"
seeds_for() {
	case "$1" in
		fuzz_report) echo "$report_seeds" ;;
		fuzz_internals) echo "$internals_seeds" ;;
		fuzz_jsonscan) echo "$scan_seeds" ;;
		fuzz_jwt) echo "$jwt_seeds" ;;
		fuzz_httpbody) echo "$body_seeds" ;;
		*) echo "$seeds" ;;
	esac
}
status=0
# The proxy's upload body parsers: a chunked body and a multipart one (boundary XyZ).
printf '\003a\r\nRTCStatsDump\n\r\n5;x=y\r\nabcde\r\n0\r\nT: 1\r\n\r\n' >"$body_seeds/chunked"
printf '\002--XyZ\r\nContent-Disposition: form-data; name="file"; filename="d"\r\n\r\nRTCStatsDump\r\n--X\r\n--XyZ--\r\n' \
	>"$body_seeds/multipart"
targets=(fuzz_reader fuzz_anonymize fuzz_report fuzz_internals fuzz_jsonscan fuzz_jwt fuzz_httpbody)
[ -n "${FUZZ_ONLY:-}" ] && read -ra targets <<< "$FUZZ_ONLY"
for target in "${targets[@]}"; do
	from=$(seeds_for "$target")
	echo "-- $target for ${SECONDS_TO_RUN}s"
	rm -rf "$work"/*
	"$BUILD/fuzz/$target" -max_total_time="$SECONDS_TO_RUN" -max_len=262144 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz/artifacts/" -print_final_stats=1 "$work" "$from" 2>&1 | tail -8
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAIL $target"; status=1; }
done
[ "$status" -eq 0 ] && echo "fuzz: ${#targets[@]} passed, 0 failed" || echo "fuzz: some target failed"
exit "$status"
