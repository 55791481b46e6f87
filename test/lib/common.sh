# Shared by the end-to-end suites (40-e2e, 41-faults) and bench/bench-proxy.sh:
# pass/fail counting, waiting, temporary directories.  Source it from the repo
# root after setting SUITE (the name printed in the closing line).
#
#   ok MSG / fail MSG        count a check
#   check NAME CMD...        ok when CMD succeeds, else fail (CMD's output shown)
#   finish                   print "<SUITE>: N passed, N failed" and exit 0 iff none failed
#   wait_until SECS CMD...   poll CMD every 0.1 s until it succeeds; false after SECS
#   wait_for SECS 'EXPR'     the same for a shell expression, evaluated at each poll
#                            (so a $(...) in it is re-run): wait_for 30 '[ "$(n)" -eq 5 ]'
#   port_busy PORT           true when something listens on 127.0.0.1:PORT
#   rt_tmpdir                make $RT_TMP (under /tmp, readable by postgres) and clean it
#                            at exit together with everything registered by at_exit
#   at_exit CMD              run CMD (a string) at exit, last registered first

SUITE=${SUITE:-suite}
BUILD=${BUILD:-build}
BIN=${BIN:-$BUILD/bin}
passed=0
failed=0
_rt_exit_cmds=()

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

check() {	# check NAME CMD...
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$name"
	else
		fail "$name"
		[ -n "$out" ] && printf '%s\n' "$out" | head -n 40 | sed 's/^/     /'
	fi
	return $rc
}

finish() {
	echo "$SUITE: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

wait_until() {	# wait_until SECS CMD...
	local deadline=$(( $(date +%s%N) / 1000000 + ${1%.*} * 1000 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge $deadline ] && return 1
		sleep 0.1
	done
}

wait_for() {	# wait_for SECS 'shell expression'
	wait_until "$1" eval "$2"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

at_exit() { _rt_exit_cmds+=("$1"); }

_rt_run_exit() {
	local i
	for (( i=${#_rt_exit_cmds[@]}-1; i>=0; i-- )); do
		eval "${_rt_exit_cmds[$i]}" >/dev/null 2>&1 || true
	done
}

rt_tmpdir() {
	RT_TMP=$(mktemp -d "/tmp/rtcstats-${SUITE}.XXXXXX")
	chmod 0755 "$RT_TMP"
	trap '_rt_run_exit' EXIT
	trap 'exit 130' INT TERM
	at_exit "rm -rf '$RT_TMP'"
}

# Milliseconds since the epoch.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
