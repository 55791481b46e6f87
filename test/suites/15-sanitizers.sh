#!/usr/bin/env bash
# The core and its programs under AddressSanitizer + UndefinedBehaviorSanitizer
# (leak checking included), then under valgrind: the unit tests, the corpus
# and every bad-input case.  Any report fails the suite.
set -u
cd "$(dirname "$0")/../.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
make -s SANITIZE=1 core-tests build-san/bin/rtcstats-features build-san/bin/rtcstats-anonymize >/dev/null 2>&1 ||
	make -s SANITIZE=1 core-tests build-san/bin/rtcstats-features || exit 1
for suite in 10-core-unit 11-corpus 12-anonymize 13-bad-input; do
	echo "-- $suite under ASan+UBSan"
	BUILD=build-san bash "test/suites/$suite.sh" || status=1
done

echo "-- valgrind: rtcstats-features on every corpus dump"
make -s build/bin/rtcstats-features || exit 1
for d in test/corpus/dumps/*; do
	if ! valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=3 build/bin/rtcstats-features "$d" > /dev/null 2> /tmp/valgrind.$$; then
		# exit 1 is a dump we cannot read (reported by the corpus suite); 3 is valgrind
		if [ "$(grep -c '==[0-9]*==' /tmp/valgrind.$$)" -gt 0 ]; then
			echo "FAIL valgrind $d:"; cat /tmp/valgrind.$$; status=1
		fi
	fi
done
rm -f /tmp/valgrind.$$
for t in $(ls build/test/test_* | grep -v '_s3$'); do
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3 "$t" > /dev/null || {
		echo "FAIL valgrind $t"; status=1; }
done
[ $status -eq 0 ] && echo "sanitizers: 1 passed, 0 failed" || echo "sanitizers: 0 passed, 1 failed"
exit $status
