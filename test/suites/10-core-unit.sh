#!/usr/bin/env bash
# Core unit tests: every build/test/test_* program (one per module).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
make -s core-tests BUILD="$BUILD" >/dev/null || exit 1
status=0
for t in "$BUILD"/test/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *_s3) continue ;; esac	# needs an S3 server: run by its own suite
	"$t" || { echo "FAILED: $t"; status=1; }
done
exit $status
