#!/usr/bin/env bash
# A short libFuzzer run of the reader and feature extractor, and one of the
# anonymizer, each seeded from the
# corpus (plain and gzipped) and the bad-input shapes.  Any crash, leak or
# sanitizer report fails the suite; the crashing input is kept in
# build/fuzz/artifacts/ to become a regression test.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
make -s fuzz BUILD="$BUILD" || exit 1
seeds=$(mktemp -d); work=$(mktemp -d); trap 'rm -rf "$seeds" "$work"' EXIT
mkdir -p "$BUILD/fuzz/artifacts"
for d in test/corpus/dumps/*; do
	cp "$d" "$seeds/"
	case "$d" in *.gz) ;; *) gzip -c "$d" > "$seeds/$(basename "$d").gz" ;; esac
done
printf 'RTCStatsDump\n{}\n[1,"a",{"0":{"type":5}},1]\n' > "$seeds/small"
printf '{"PeerConnections":{"1":{"updateLog":[],"stats":{}}},"getUserMedia":[]}' > "$seeds/internals"
status=0
for target in fuzz_reader fuzz_anonymize; do
	echo "-- $target for ${SECONDS_TO_RUN}s"
	rm -rf "$work"/*
	"$BUILD/fuzz/$target" -max_total_time="$SECONDS_TO_RUN" -max_len=262144 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz/artifacts/" -print_final_stats=1 "$work" "$seeds" 2>&1 | tail -8
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAIL $target"; status=1; }
done
[ "$status" -eq 0 ] && echo "fuzz: 2 passed, 0 failed" || echo "fuzz: some target failed"
exit "$status"
