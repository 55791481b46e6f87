#!/usr/bin/env bash
# rtcstats-proxy under hostile clients (test/lib/attack.py, loopback only,
# bounded in count and time), and where it listens:
#   1. --listen binds exactly the address asked for, as the kernel reports it
#      (ss): 127.0.0.1, ::1, 0.0.0.0, * (both families); inside two network
#      namespaces of the test's own (a veth pair, 10.213.0.1/24 and
#      10.213.0.2/24), a proxy on one address refuses connections to another;
#   2. 2,000 sessions holding a half-finished fragmented message (a 450 KB
#      FIN=0 frame and a continuation): capped by max-pending-bytes (1013),
#      RSS under the bound of docs/proxy.md, given back afterwards, while a
#      canary session and /healthcheck keep answering;
#   3. the open-file limit (ulimit -n 256): 400 idle connects, then the limit
#      lowered under the proxy's own plan (prlimit) so that accept(2) fails
#      with EMFILE: CPU and log bytes per minute stay small, the canary and
#      /healthcheck keep answering;
#   4. 1,000 slowloris requests (headers trickling one line a second): every
#      one closed at header-timeout, /healthcheck and the canary answer.
# The figures (RSS, latencies, CPU, log bytes) are printed; the bounds
# asserted are generous (a loaded 2-core machine).  Port 18079; about 1 min.
set -u
cd "$(dirname "$0")/../.."
SUITE=proxy-limits
. test/lib/common.sh
rt_tmpdir
PROXY=$BIN/rtcstats-proxy
ATTACK="python3 test/lib/attack.py"
P=18079
PID=""
NS="rtc26-$$"

if ! make -s ${SANITIZE:+SANITIZE=$SANITIZE} "$PROXY" >"$RT_TMP/build.log" 2>&1; then
	fail "build"; tail -n 20 "$RT_TMP/build.log"; finish
fi
ok "built rtcstats-proxy"

stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=""
}
at_exit "stop"

# start NAME [--nofile N] [--netns NS] ARGS...: a proxy on port $P, log in $RT_TMP/NAME.log
start() {
	local name=$1 nofile="" ns=""
	shift
	[ "${1:-}" = --nofile ] && { nofile=$2; shift 2; }
	[ "${1:-}" = --netns ] && { ns=$2; shift 2; }
	LOG=$RT_TMP/$name.log
	(
		[ -n "$nofile" ] && ulimit -n "$nofile"
		exec ${ns:+ip netns exec "$ns"} "$PROXY" --port $P --spool-dir "$RT_TMP/$name/spool" \
			--storage-url "file://$RT_TMP/$name/store" "$@"
	) >"$LOG" 2>&1 &
	PID=$!
	wait_until 10 grep -q 'event=start' "$LOG" || { echo "     proxy $name did not start:"; tail -n 5 "$LOG"; return 1; }
}
listening() { ss -Hltn "sport = :$P" | awk '{ print $4 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
metric() { curl -s --max-time 5 "http://127.0.0.1:$P/metrics" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
field() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }	# field KEY < "k=v k=v"
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "none" && a + 0 < b + 0) }'; }

# ------------------------------------------------------------ 1. listen ---
for case in "127.0.0.1|127.0.0.1:$P" "::1|[::1]:$P" "[::1]|[::1]:$P" "0.0.0.0|0.0.0.0:$P" "*|*:$P"; do
	addr=${case%%|*}
	want=${case#*|}
	if start "listen" --listen "$addr"; then
		expect_got=$(listening)
		[ "$expect_got" = "$want" ] && ok "--listen $addr: the kernel shows $expect_got" ||
			fail "--listen $addr: listening on '$expect_got', expected '$want'"
	else
		fail "--listen $addr: did not start"
	fi
	stop
done
start "listen" --listen ::1 &&
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://[::1]:$P/healthcheck") &&
	curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$P/healthcheck"
rc=$?
[ "$code" != 000 ] && [ "$rc" -eq 7 ] && ok "--listen ::1 answers on ::1, refuses 127.0.0.1" ||
	fail "--listen ::1: ::1 gave $code, 127.0.0.1 curl exit $rc (7 = refused)"
stop
"$PROXY" --listen lo --port $P --spool-dir "$RT_TMP/x" >"$RT_TMP/lo.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'invalid listen address "lo"' "$RT_TMP/lo.out" &&
	ok "an interface name is refused (exit 2, clear message)" || fail "--listen lo: exit $rc: $(cat "$RT_TMP/lo.out")"

# Two namespaces of our own joined by a veth pair; nothing leaves them.
netns_cleanup() {
	ip netns del "$NS-srv" 2>/dev/null
	ip netns del "$NS-cli" 2>/dev/null
}
at_exit netns_cleanup
if ip netns add "$NS-srv" && ip netns add "$NS-cli" &&
	ip link add "r26s$$" netns "$NS-srv" type veth peer name "r26c$$" netns "$NS-cli" &&
	ip -n "$NS-srv" addr add 10.213.0.1/24 dev "r26s$$" && ip -n "$NS-cli" addr add 10.213.0.2/24 dev "r26c$$" &&
	ip -n "$NS-srv" link set "r26s$$" up && ip -n "$NS-cli" link set "r26c$$" up &&
	ip -n "$NS-srv" link set lo up; then
	ns_curl() {	# NS URL: prints the status, 000 when refused or unreachable
		ip netns exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$2"
	}
	wait_until 5 ip netns exec "$NS-cli" ping -c 1 -W 1 10.213.0.1 >/dev/null
	if start "ns-lo" --netns "$NS-srv" --listen 127.0.0.1; then
		got="$(ns_curl "$NS-srv" "http://127.0.0.1:$P/healthcheck")|$(ns_curl "$NS-cli" "http://10.213.0.1:$P/healthcheck")"
		[ "${got%|*}" != 000 ] && [ "${got#*|}" = 000 ] &&
			ok "netns: --listen 127.0.0.1 answers on loopback, refuses 10.213.0.1 from the peer" ||
			fail "netns: --listen 127.0.0.1: loopback|peer = $got (expected an answer, then 000)"
	else
		fail "netns: proxy on 127.0.0.1 did not start"
	fi
	stop
	if start "ns-veth" --netns "$NS-srv" --listen 10.213.0.1; then
		got="$(ns_curl "$NS-cli" "http://10.213.0.1:$P/healthcheck")|$(ns_curl "$NS-srv" "http://127.0.0.1:$P/healthcheck")"
		[ "${got%|*}" != 000 ] && [ "${got#*|}" = 000 ] &&
			ok "netns: --listen 10.213.0.1 answers the peer, refuses 127.0.0.1" ||
			fail "netns: --listen 10.213.0.1: peer|loopback = $got (expected an answer, then 000)"
	else
		fail "netns: proxy on 10.213.0.1 did not start"
	fi
	stop
else
	fail "cannot make the test's network namespaces (ip netns, veth)"
fi
netns_cleanup

# -------------------------------------- 2. half-finished fragmented messages ---
# Documented bound (docs/proxy.md): RSS <= 32 MB + max-pending-bytes + 48 KB
# per open connection.
if start "frag" --max-pending-bytes 64M; then
	base=$(rss_kb)
	$ATTACK frag $P 2000 450000 4 >"$RT_TMP/frag.out" 2>&1 &
	ap=$!
	peak=$base
	while kill -0 $ap 2>/dev/null; do
		r=$(rss_kb)
		[ "${r:-0}" -gt "$peak" ] && peak=$r
		sleep 0.2
	done
	wait $ap
	out=$(tail -n 1 "$RT_TMP/frag.out")
	pend=$(metric rtcstats_proxy_closed_pending_total)
	bound=$(( 32 * 1024 + 64 * 1024 + 2000 * 48 ))
	echo "     frag: $out"
	echo "     frag: RSS before ${base} kB, peak ${peak} kB (bound ${bound} kB), closed with 1013: $pend"
	[ "$(echo "$out" | field opened)" = 2000 ] && [ "$pend" -gt 0 ] &&
		echo "$out" | field codes | grep -q '^1013:' &&
		ok "2,000 half-finished messages: sessions past max-pending-bytes closed with 1013" ||
		fail "fragment attack: $out, closed_pending $pend"
	[ "$peak" -lt "$bound" ] && ok "RSS peak ${peak} kB under the documented bound" ||
		fail "RSS peak ${peak} kB over ${bound} kB"
	lt "$(echo "$out" | field canary_ms_median)" 1000 && lt "$(echo "$out" | field health_ms_median)" 1000 &&
		[ "$(echo "$out" | field probes_failed)" = 0 ] &&
		ok "canary and /healthcheck answered during the attack (medians $(echo "$out" | field canary_ms_median) / $(echo "$out" | field health_ms_median) ms)" ||
		fail "probes during the fragment attack: $out"
	wait_for 10 '[ "$(metric rtcstats_proxy_pending_bytes)" = 0 ]'
	sleep 2		# the sweep trims once a second
	after=$(rss_kb)
	echo "     frag: RSS after ${after} kB"
	[ "$after" -lt $(( base + 32 * 1024 )) ] && ok "memory given back: RSS ${after} kB (was ${base} kB before)" ||
		fail "RSS after the attack ${after} kB, before ${base} kB"
	grep -q 'event=pending_limit dump=' "$LOG" && [ "$(grep -c 'event=pending_limit' "$LOG")" -le 10 ] &&
		ok "pending limit logged, at most a line a second ($(grep -c 'event=pending_limit' "$LOG") lines)" ||
		fail "pending_limit log lines: $(grep -c 'event=pending_limit' "$LOG")"
else
	fail "fragment attack: proxy did not start"
fi
stop

# ------------------------------------------------------- 3. open-file limit ---
# (CPU% from /proc/PID/stat ticks, at 100 a second.)
measure() {	# seconds: prints "cpu_pct log_bytes_per_min"
	local c0 l0 t0 c1 l1 t1
	c0=$(cpu_ticks); l0=$(stat -c %s "$LOG"); t0=$(date +%s%N)
	sleep "$1"
	c1=$(cpu_ticks); l1=$(stat -c %s "$LOG"); t1=$(date +%s%N)
	echo "$(( (c1 - c0) * 1000000000 / (t1 - t0) )) $(( (l1 - l0) * 60000000000 / (t1 - t0) ))"
}
probe3() {	# three canary + health probes, each answered
	local n=0 out
	for _ in 1 2 3; do
		out=$($ATTACK canary $P)
		[ "$(echo "$out" | field probes_failed)" = 0 ] && lt "$(echo "$out" | field canary_ms_max)" 1000 && n=$((n + 1))
	done
	echo "$n $out"
}
if start "fds" --nofile 256; then
	derived=$(grep -o 'max_connections=[0-9]*' "$LOG" | cut -d= -f2)
	[ "${derived:-0}" -gt 0 ] && [ "$derived" -lt 256 ] &&
		ok "max-connections derived from the open-file limit 256: $derived" ||
		fail "derived max-connections: '$derived'"
	$ATTACK tcp $P 400 8 >"$RT_TMP/tcp.out" 2>&1 &
	ap=$!
	wait_until 10 grep -q holding "$RT_TMP/tcp.out"
	sleep 0.5
	read -r cpu logpm < <(measure 5)
	read -r good last < <(probe3)
	wait $ap
	echo "     fds: 400 idle connects at ulimit -n 256: CPU ${cpu}%, log ${logpm} bytes/min, probes answered $good/3 ($last)"
	[ "$cpu" -lt 30 ] && [ "$logpm" -lt 20000 ] &&
		ok "at the sockets' share: CPU ${cpu}%, log ${logpm} B/min" || fail "at the sockets' share: CPU ${cpu}%, log ${logpm} B/min"
	[ "$good" = 3 ] && ok "canary and /healthcheck answered at the limit" || fail "probes at the limit: $good/3 ($last)"
	[ "$(metric rtcstats_proxy_sockets_evicted_total)" -gt 0 ] &&
		ok "idle connects evicted for newcomers (metrics: $(metric rtcstats_proxy_sockets_evicted_total))" ||
		fail "no eviction counted"
	# Under the proxy's plan: accept(2) itself fails (EMFILE).
	prlimit --pid "$PID" --nofile=100:100
	$ATTACK tcp $P 200 6 >"$RT_TMP/tcp2.out" 2>&1 &
	ap=$!
	wait_until 10 grep -q holding "$RT_TMP/tcp2.out"
	read -r cpu logpm < <(measure 4)
	read -r good last < <(probe3)
	wait $ap
	errs=$(metric rtcstats_proxy_accept_errors_total)
	echo "     fds: 200 connects over a limit lowered to 100: CPU ${cpu}%, log ${logpm} bytes/min, accept errors $errs, probes $good/3"
	[ "$errs" -gt 0 ] && [ "$cpu" -lt 30 ] && [ "$logpm" -lt 20000 ] &&
		ok "accept failing with EMFILE: no busy loop (CPU ${cpu}%), log ${logpm} B/min" ||
		fail "EMFILE: accept errors $errs, CPU ${cpu}%, log ${logpm} B/min"
	[ "$good" -ge 2 ] && ok "probes answered with accept failing: $good/3" || fail "probes with EMFILE: $good/3 ($last)"
else
	fail "open-file limit: proxy did not start"
fi
stop

# --------------------------------------------------------------- 4. slowloris ---
if start "slow" --header-timeout 3; then
	out=$($ATTACK slowloris $P 1000 7 | tail -n 1)
	echo "     slowloris: $out"
	lt "$(echo "$out" | field health_ms_median)" 1000 && lt "$(echo "$out" | field canary_ms_median)" 1000 &&
		[ "$(echo "$out" | field probes_failed)" = 0 ] &&
		ok "1,000 slowloris requests: /healthcheck median $(echo "$out" | field health_ms_median) ms, canary $(echo "$out" | field canary_ms_median) ms" ||
		fail "slowloris probes: $out"
	[ "$(echo "$out" | field server_closed)" = 1000 ] &&
		ok "every trickling request closed at header-timeout" || fail "slowloris requests still open: $out"
	inc=$(metric rtcstats_proxy_requests_incomplete_total)
	[ "$inc" -ge 1000 ] && ok "counted in /metrics: requests_incomplete $inc" || fail "requests_incomplete: $inc"
else
	fail "slowloris: proxy did not start"
fi
stop

finish
