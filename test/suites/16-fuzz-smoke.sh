#!/usr/bin/env bash
# A short libFuzzer run of each core/fuzz target: the reader and feature
# extractor and the anonymizer seeded from the corpus (plain and gzipped) and
# the bad-input shapes, the HTML report from the corpus' analysis objects.
# The proxy's chunked and multipart upload parsers from two small bodies.
# Any crash, leak or sanitizer report fails the suite; the crashing input is
# kept in build/fuzz/artifacts/ to become a regression test.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
make -s fuzz all BUILD="$BUILD" || exit 1
seeds=$(mktemp -d); work=$(mktemp -d); report_seeds=$(mktemp -d)
trap 'rm -rf "$seeds" "$work" "$report_seeds" "${body_seeds:-}"' EXIT
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
status=0
# The proxy's upload body parsers: a chunked body and a multipart one (boundary XyZ).
body_seeds=$(mktemp -d)
printf '\003a\r\nRTCStatsDump\n\r\n5;x=y\r\nabcde\r\n0\r\nT: 1\r\n\r\n' >"$body_seeds/chunked"
printf '\002--XyZ\r\nContent-Disposition: form-data; name="file"; filename="d"\r\n\r\nRTCStatsDump\r\n--X\r\n--XyZ--\r\n' \
	>"$body_seeds/multipart"
targets=(fuzz_reader fuzz_anonymize fuzz_report fuzz_httpbody)
for target in "${targets[@]}"; do
	from=$seeds; [ "$target" = fuzz_report ] && from=$report_seeds
	[ "$target" = fuzz_httpbody ] && from=$body_seeds
	echo "-- $target for ${SECONDS_TO_RUN}s"
	rm -rf "$work"/*
	"$BUILD/fuzz/$target" -max_total_time="$SECONDS_TO_RUN" -max_len=262144 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz/artifacts/" -print_final_stats=1 "$work" "$from" 2>&1 | tail -8
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAIL $target"; status=1; }
done
[ "$status" -eq 0 ] && echo "fuzz: ${#targets[@]} passed, 0 failed" || echo "fuzz: some target failed"
exit "$status"
