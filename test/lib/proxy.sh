# rtcstats-proxy for the e2e suites and the proxy benchmark: ports 18080-18089,
# one log per start under $RT_TMP.  Several proxies may run at once (one per port).
#
#   proxy_start PORT ARGS...  start $PROXY_BIN --listen 127.0.0.1 --port PORT ARGS...;
#                             waits until GET /healthcheck answers (any status)
#   proxy_stop PORT           SIGTERM (graceful), wait up to 60 s, then KILL
#   proxy_kill9 PORT          kill -9
#   proxy_pid PORT            its pid
#   proxy_log PORT            its current log file
#   proxy_metric PORT NAME    value of a Prometheus sample (labels summed), 0 if absent
#   proxy_san_reports         sanitizer reports written so far (ASan/UBSan log files)
#   proxy_build_san           make all, extension-install and build-san/bin/rtcstats-proxy
#                             (log in $RT_TMP/build.log), then PROXY_BIN is that ASan
#                             proxy; on failure counts it (fail) and returns 1
#
# With a sanitizer build ($PROXY_BIN under build-san/), ASan and UBSan write
# their reports to $RT_TMP/san.* (log_path); proxy_san_reports lists them.

PROXY_BIN=${PROXY_BIN:-$BIN/rtcstats-proxy}
declare -A _proxy_pids=()
declare -A _proxy_logs=()
_proxy_starts=0

proxy_start() {	# port args...
	local port=$1
	shift
	if port_busy "$port"; then echo "port $port is taken"; return 1; fi
	_proxy_starts=$((_proxy_starts + 1))
	local log="$RT_TMP/proxy-$port-$_proxy_starts.log"
	ASAN_OPTIONS="log_path=$RT_TMP/san.asan:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
	UBSAN_OPTIONS="log_path=$RT_TMP/san.ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
		"$PROXY_BIN" --listen 127.0.0.1 --port "$port" "$@" >"$log" 2>&1 &
	_proxy_pids[$port]=$!
	_proxy_logs[$port]=$log
	at_exit "proxy_kill9 $port"
	if ! wait_until 30 _proxy_answers "$port"; then
		echo "rtcstats-proxy on port $port did not answer /healthcheck (args: $*)"
		tail -n 20 "$log"
		return 1
	fi
}

_proxy_answers() {
	kill -0 "${_proxy_pids[$1]}" 2>/dev/null || return 2
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthcheck")" != "000" ]
}

proxy_pid() { echo "${_proxy_pids[$1]:-}"; }
proxy_log() { echo "${_proxy_logs[$1]:-/dev/null}"; }

proxy_stop() {	# port: graceful, then KILL after 60 s; returns the exit status
	local pid=${_proxy_pids[$1]:-} rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	_proxy_pids[$1]=""
	return $rc
}

proxy_kill9() {
	local pid=${_proxy_pids[$1]:-}
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	_proxy_pids[$1]=""
	return 0
}

proxy_metric() {	# port name
	curl -s "http://127.0.0.1:$1/metrics" |
		awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2; f = 1 } END { printf "%s\n", f ? s : 0 }'
}

proxy_san_reports() { ls "$RT_TMP"/san.* 2>/dev/null; }

proxy_build_san() {
	if ! make -s all >"$RT_TMP/build.log" 2>&1 || ! make -s extension-install >>"$RT_TMP/build.log" 2>&1 ||
		! make -s SANITIZE=1 BUILD=build-san build-san/bin/rtcstats-proxy >>"$RT_TMP/build.log" 2>&1; then
		fail "build (make all, extension-install, build-san/bin/rtcstats-proxy)"
		tail -n 30 "$RT_TMP/build.log"
		return 1
	fi
	PROXY_BIN=build-san/bin/rtcstats-proxy
}
