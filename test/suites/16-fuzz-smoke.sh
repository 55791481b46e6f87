#!/usr/bin/env bash
# A short libFuzzer run of the reader and feature extractor, seeded from the
# corpus (plain and gzipped) and the bad-input shapes.  Any crash, leak or
# sanitizer report fails the suite; the crashing input is kept in
# build/fuzz/artifacts/ to become a regression test.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_TO_RUN=${FUZZ_SECONDS:-45}
make -s fuzz BUILD="$BUILD" || exit 1
seeds=$(mktemp -d); work=$(mktemp -d); trap 'rm -rf "$seeds" "$work"' EXIT
mkdir -p "$BUILD/fuzz/artifacts"
for d in test/corpus/dumps/*; do
	cp "$d" "$seeds/"
	case "$d" in *.gz) ;; *) gzip -c "$d" > "$seeds/$(basename "$d").gz" ;; esac
done
printf 'RTCStatsDump\n{}\n[1,"a",{"0":{"type":5}},1]\n' > "$seeds/small"
printf '{"PeerConnections":{"1":{"updateLog":[],"stats":{}}},"getUserMedia":[]}' > "$seeds/internals"
"$BUILD/fuzz/fuzz_reader" -max_total_time="$SECONDS_TO_RUN" -max_len=262144 -rss_limit_mb=2048 \
	-artifact_prefix="$BUILD/fuzz/artifacts/" -print_final_stats=1 "$work" "$seeds" 2>&1 | tail -15
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "fuzz: 1 passed, 0 failed" || echo "fuzz: 0 passed, 1 failed"
exit "$status"
