#!/usr/bin/env bash
# Core unit tests: every build/test/test_* program (one per module).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# build-san is the sanitizer build (15-sanitizers runs this suite on it)
san=0; [ "$BUILD" = build-san ] && san=1
make -s core-tests BUILD="$BUILD" SANITIZE=$san >/dev/null || exit 1
status=0
for t in "$BUILD"/test/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *_s3) continue ;; esac	# needs an S3 server: run by its own suite
	"$t" || { echo "FAILED: $t"; status=1; }
done
exit $status
