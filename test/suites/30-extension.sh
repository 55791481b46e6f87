#!/usr/bin/env bash
# The PostgreSQL extension: builds it, installs it into the system
# PostgreSQL 15 (make extension-install, as root), then runs pg_regress on
# every sql/*.sql against a temporary instance on port 55432 that preloads
# rtcstats (extension/regress.conf; pg_cron too when postgresql-15-cron is
# installed), as the postgres user.  The tests, expected output and the
# corpus dumps they read are copied to a private /tmp directory postgres
# owns.  Prints regression.diffs on failure.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PG_CONFIG=${PG_CONFIG:-pg_config}
PORT=55432
passed=0; failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
	echo "extension: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if make -s BUILD="$BUILD" PG_CONFIG="$PG_CONFIG" extension >/tmp/rtcstats-ext-build.log 2>&1; then
	ok "build (make extension)"
else
	cat /tmp/rtcstats-ext-build.log; fail "build (make extension)"; finish
fi
if make -s BUILD="$BUILD" PG_CONFIG="$PG_CONFIG" extension-install >/tmp/rtcstats-ext-build.log 2>&1; then
	ok "install (make extension-install)"
else
	cat /tmp/rtcstats-ext-build.log; fail "install (make extension-install)"; finish
fi

pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
bindir=$("$PG_CONFIG" --bindir)
pg_regress="$pkglibdir/pgxs/src/test/regress/pg_regress"
[ -f "$pkglibdir/rtcstats.so" ] && ok "rtcstats.so installed" || fail "rtcstats.so installed"
[ -f "$sharedir/extension/rtcstats.control" ] && ok "rtcstats.control installed" ||
	fail "rtcstats.control installed"
[ -x "$pg_regress" ] || { fail "pg_regress missing ($pg_regress)"; finish; }

tests=()
for f in sql/*.sql; do [ -e "$f" ] && tests+=("$(basename "$f" .sql)"); done
[ ${#tests[@]} -gt 0 ] || { fail "no tests in sql/"; finish; }

tmp=$(mktemp -d /tmp/rtcstats-regress.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/test/corpus" "$tmp/out"
cp -r sql expected "$tmp/src/"
cp -r test/corpus/dumps test/corpus/expected "$tmp/src/test/corpus/"
cp extension/regress.conf "$tmp/regress.conf"
# pg_cron, when installed, is preloaded too and schedules in the test database
# (RTCSTATS_REGRESS_NO_CRON=1 tests the path without it: expected/cron_1.out)
if [ -f "$pkglibdir/pg_cron.so" ] && [ -z "${RTCSTATS_REGRESS_NO_CRON:-}" ]; then
	sed -i "s/^shared_preload_libraries = .*/shared_preload_libraries = 'rtcstats,pg_cron'/" "$tmp/regress.conf"
	printf "cron.database_name = 'contrib_regression'\ncron.use_background_workers = on\n" >> "$tmp/regress.conf"
fi
chown -R postgres: "$tmp"

echo "running pg_regress: ${tests[*]}"
runuser -u postgres -- "$pg_regress" --inputdir="$tmp/src" --outputdir="$tmp/out" \
	--bindir="$bindir" --temp-instance="$tmp/instance" --temp-config="$tmp/regress.conf" \
	--port=$PORT --dbname=contrib_regression "${tests[@]}" >"$tmp/pg_regress.out" 2>&1
rc=$?
cat "$tmp/pg_regress.out"
for t in "${tests[@]}"; do
	if grep -Eq "^(ok|not ok|test) .*\b$t\b.*\b(ok|FAILED|failed)\b" "$tmp/pg_regress.out" &&
		! grep -Eq "\b$t\b.*(FAILED|failed)" "$tmp/pg_regress.out"; then
		ok "regress $t"
	else
		fail "regress $t"
	fi
done
# kept for a look after the run (the temporary directory goes)
rm -rf /tmp/rtcstats-regress-last && cp -r "$tmp/out" /tmp/rtcstats-regress-last
if [ $rc -ne 0 ]; then
	fail "pg_regress exit status $rc"
	[ -f "$tmp/out/regression.diffs" ] && cat "$tmp/out/regression.diffs"
	log=$(ls "$tmp"/instance/log/postmaster.log 2>/dev/null)
	[ -n "$log" ] && cp "$log" /tmp/rtcstats-regress-last/
	[ -n "$log" ] && { echo "--- server log (tail)"; tail -n 60 "$log"; }
fi
finish
