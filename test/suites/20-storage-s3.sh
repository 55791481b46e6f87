#!/usr/bin/env bash
# The storage client against a real S3-compatible server: s3rver
# (test/lib/s3rver-install.sh), started on 127.0.0.1:4568
# (4569 if taken) with a temporary directory and a bucket, then
# build/test/test_storage_s3 (put/get/delete/check, 404 mapping, key_from_url,
# 403 with S3's code, retries to a closed port, virtual-host style).  Then the
# storage unit tests (test_storage, test_sigv4) and the S3 test under
# valgrind.  A skipped S3 test (exit 77) counts as a failure here.
#
#   RTCSTATS_NODE_CACHE  where s3rver is installed (default /opt/rtcstats-test)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BUCKET=rtcstats-test
passed=0; failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
	echo "storage-s3: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

make -s "$BUILD/test/test_storage" "$BUILD/test/test_sigv4" "$BUILD/test/test_storage_s3" >/dev/null ||
	{ fail "build"; finish; }

S3RVER=$(bash test/lib/s3rver-install.sh) || { fail "install s3rver"; finish; }
S3RVER_VERSION=$("$S3RVER" --version 2>/dev/null)

tmp=$(mktemp -d /tmp/rtcstats-s3.XXXXXX)
s3pid=""
cleanup() {
	[ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null && wait "$s3pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# our reserved ports: 4568, else 4569
port=""
for p in 4568 4569; do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { fail "ports 4568 and 4569 are both taken"; finish; }

# --service-endpoint localhost: Host "<bucket>.s3.localhost" is virtual-host style
mkdir -p "$tmp/data"
"$S3RVER" --directory "$tmp/data" --port "$port" --address 127.0.0.1 --silent \
	--service-endpoint localhost --configure-bucket "$BUCKET" > "$tmp/s3rver.log" 2>&1 &
s3pid=$!
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/" && break
	kill -0 "$s3pid" 2>/dev/null || break
	sleep 0.1
done
if ! curl -s -o /dev/null "http://127.0.0.1:$port/"; then
	fail "s3rver did not start"; cat "$tmp/s3rver.log"; finish
fi
ok "s3rver $S3RVER_VERSION on 127.0.0.1:$port, bucket $BUCKET"

export RTCSTATS_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
export RTCSTATS_TEST_S3_VHOST_ENDPOINT="http://s3.localhost:$port"
export RTCSTATS_TEST_S3_BUCKET="$BUCKET"

run() {	# name, command...
	local name=$1; shift
	"$@" > "$tmp/out" 2>&1
	local rc=$?
	if [ $rc -eq 0 ]; then
		ok "$name: $(grep -E 'passed|ms' "$tmp/out" | tr '\n' ' ')"
	elif [ $rc -eq 77 ]; then
		fail "$name: skipped (exit 77)"; cat "$tmp/out"
	else
		fail "$name (exit $rc)"; cat "$tmp/out"
	fi
}

run test_storage_s3 "$BUILD/test/test_storage_s3"

VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1"
for t in test_storage test_sigv4 test_storage_s3; do
	run "valgrind $t" $VG "$BUILD/test/$t"
done
finish
