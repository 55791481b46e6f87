#!/usr/bin/env bash
# Runs every test suite (test/suites/*.sh, in name order) and ends with one
# closing line "suites: N passed, N failed".  A suite is a script that exits 0
# when all of its own checks pass; it prints its own details.  Pass suite
# names (without .sh) to run only those.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0; failed_names=()
if [ $# -gt 0 ]; then
	suites=(); for s in "$@"; do suites+=("test/suites/$s.sh"); done
else
	suites=(test/suites/*.sh)
fi
for suite in "${suites[@]}"; do
	name=$(basename "$suite" .sh)
	echo "=== suite $name"
	start=$(date +%s)
	if bash "$suite"; then
		passed=$((passed + 1)); echo "=== suite $name: ok ($(( $(date +%s) - start ))s)"
	else
		failed=$((failed + 1)); failed_names+=("$name"); echo "=== suite $name: FAILED ($(( $(date +%s) - start ))s)"
	fi
done
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
