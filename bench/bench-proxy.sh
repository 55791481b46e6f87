#!/usr/bin/env bash
# The proxy under load (issue 4's figures).  rtcstats-proxy with file://
# storage and no database, on 127.0.0.1:18084; rtcstats-replay --fast --wait-all
# with 1, 100 and 5,000 concurrent connections, each replaying a corpus dump
# (200 times over 1 connection, 10 times over each of 100, once over each of 5,000).
# For each run: messages/s and MB/s as the client measured them (first connect
# to last close), CPU of the proxy per 1,000 messages (utime+stime from
# /proc/PID/stat) and of the replay, its peak RSS (VmHWM) and that peak less its
# RSS at start per connection (a fresh proxy for each run); then RSS per idle connection (10,000
# connections that sent one message and stay open: VmRSS during minus before,
# divided by their number, on a fresh proxy); then p50/p99 time from a message's send to its line being
# in the proxy's spool file (a perl probe that writes one message at a time and
# polls the spool file for it, alone and with 100 busy connections beside it).
# Prints figures and asserts nothing.  BENCH_CONNECTIONS overrides "1 100 5000".
set -u
cd "$(dirname "$0")/.."
SUITE=bench-proxy
. test/lib/common.sh
. test/lib/proxy.sh

P=18084
REPLAY="$BIN/rtcstats-replay"
DUMPS=(test/corpus/dumps/av-call.rtcstats test/corpus/dumps/multi-pc.rtcstats
	test/corpus/dumps/simulcast.rtcstats test/corpus/dumps/audio-only.rtcstats)
rt_tmpdir
T=$RT_TMP

for b in "$REPLAY" "$PROXY_BIN"; do
	[ -x "$b" ] || { echo "bench-proxy: $b is missing (make all)"; exit 0; }
done
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# A fresh proxy per measurement, so VmHWM is that run's peak.
fresh_proxy() {
	proxy_stop $P
	rm -rf "$T/spool" "$T/files"
	proxy_start $P --storage-url "file://$T/files" --spool-dir "$T/spool" --host-identifier bench \
		--max-connections 20000 >"$T/start.out" 2>&1 || { cat "$T/start.out"; return 1; }
	PID=$(proxy_pid $P)
	sleep 0.5
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
total_field() { grep '^total ' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
HZ=$(getconf CLK_TCK)

echo "== proxy: rtcstats-proxy (file:// storage, no database) under rtcstats-replay --fast"
echo "   (replay and proxy share the machine's cores; proxy CPU includes anonymizing and"
echo "   gzipping every closed session; open s: until the last handshake (--wait-all: no"
echo "   message before); RSS/conn = (peak - RSS at start) / connections)"
printf '%-11s %9s %9s %7s %8s %8s %10s %10s %9s %9s %7s\n' connections messages msgs/s MB/s seconds \
	"open s" "proxy ms" "replay ms" "peak MB" "RSS/conn" failed
printf '%-11s %9s %9s %7s %8s %8s %10s %10s %9s %9s %7s\n' "" "" "" "" "" "" "/1k msgs" "/1k msgs" "(VmHWM)" "KB" ""
for n in ${BENCH_CONNECTIONS:-1 100 5000}; do
	# about 30,000 messages or more per run: one connection sends its dump 200 times
	rep=$(( n >= 100 ? (n >= 1000 ? 1 : 10) : 200 ))
	fresh_proxy || { echo "bench-proxy: the proxy did not start"; exit 0; }
	r0=$(status_kb "$PID" VmRSS)
	c0=$(cpu_ticks "$PID")
	TIMEFORMAT='%U %S'
	{ time "$REPLAY" -q --fast --wait-all --repeat "$rep" -c "$n" "ws://127.0.0.1:$P/bench" \
		"${DUMPS[@]}" >"$T/run-$n.out" 2>&1; } 2>"$T/time-$n"
	c1=$(cpu_ticks "$PID")
	msgs=$(total_field "$T/run-$n.out" messages)
	if [ -z "$msgs" ]; then echo "replay failed: $(tail -n 3 "$T/run-$n.out")"; continue; fi
	hwm=$(status_kb "$PID" VmHWM)
	printf '%-11s %9s %9s %7s %8s %8s %10s %10s %9s %9s %7s\n' "$n" "$msgs" \
		"$(total_field "$T/run-$n.out" msgs_per_s)" "$(total_field "$T/run-$n.out" mb_per_s)" \
		"$(total_field "$T/run-$n.out" seconds)" "$(total_field "$T/run-$n.out" open_seconds)" \
		"$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v m="$msgs" 'BEGIN { printf "%.2f", m ? d * 1000 / hz / m * 1000 : 0 }')" \
		"$(awk -v m="$msgs" '{ printf "%.2f", m ? ($1 + $2) * 1000 / m * 1000 : 0 }' "$T/time-$n")" \
		"$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(awk -v a="$r0" -v b="$hwm" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')" \
		"$(total_field "$T/run-$n.out" failed)"
done

# --- idle connections: the proxy's memory per open, quiet session (issue 4: 10,000 held)
idle=${BENCH_IDLE_CONNECTIONS:-10000}
fresh_proxy || { echo "bench-proxy: the proxy did not start"; exit 0; }
sleep 1
r0=$(status_kb "$PID" VmRSS)
"$REPLAY" -q --fast --wait-all --max-messages 1 --linger 4 -c "$idle" "ws://127.0.0.1:$P/idle" \
	"${DUMPS[0]}" >"$T/idle.out" 2>&1 &
rp=$!
wait_for 30 '[ "$(proxy_metric $P rtcstats_proxy_connections | cut -d. -f1)" -ge "$idle" ]'
open=$(proxy_metric $P rtcstats_proxy_connections)
sleep 1
r1=$(status_kb "$PID" VmRSS)
wait $rp
echo "idle: $open connections open: VmRSS $((r0 / 1024)) MB -> $((r1 / 1024)) MB," \
	"$(awk -v a="$r0" -v b="$r1" -v n="${open%.*}" 'BEGIN { printf "%.2f", n ? (b - a) / n : 0 }') KB per idle connection"

# --- message-to-disk latency: send one message, poll the spool file until it is there
probe() {	# count
	perl -MIO::Socket::INET -MTime::HiRes=time,usleep -e '
		my ($port, $spool, $count) = @ARGV;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or die "connect: $!";
		$s->autoflush(1);
		print $s "GET /probe HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" .
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" .
			"Sec-WebSocket-Protocol: rtcstats#5.0\r\n\r\n";
		my $h = ""; while ($h !~ /\r\n\r\n/) { sysread($s, $h, 4096, length $h) or die "handshake" }
		$h =~ /^HTTP\/1.1 101/ or die "no upgrade: $h";
		sub frame { my ($op, $p) = @_; my $m = pack("N", int(rand(2**32))); my $l = length $p;
			my $hd = chr(0x80 | $op) . ($l < 126 ? chr(0x80 | $l) : chr(0x80 | 126) . pack("n", $l));
			my @k = unpack("C4", $m); my $i = 0;
			my $x = join("", map { chr(ord($_) ^ $k[$i++ % 4]) } split //, $p);
			return $hd . $m . $x }
		my $tag = sprintf("probe-%d-%d", $$, time * 1000);
		my ($file, $fh, $buf, @lat) = (undef, undef, "");
		for my $i (0 .. $count) {
			my $msg = "[\"$tag\",null,$i,1]";
			my $t0 = time;
			print $s frame(1, $msg);
			while (1) {
				if (!$fh) {
					for my $f (glob("$spool/*"), glob("$spool/*/*")) {
						next unless -f $f;
						open(my $g, "<", $f) or next; local $/; my $c = <$g> // "";
						if (index($c, $tag) >= 0) { $file = $f; open($fh, "<", $f); last }
					}
				}
				if ($fh) { my $r; while (sysread($fh, $r, 65536)) { $buf .= $r } }
				last if index($buf, "$msg") >= 0;
				die "timeout\n" if time - $t0 > 5;
				usleep(50);
			}
			push @lat, (time - $t0) * 1000 if $i > 0;	# the first one also finds the file
		}
		print $s frame(8, pack("n", 1000));
		@lat = sort { $a <=> $b } @lat;
		printf "p50 %.3f ms, p99 %.3f ms, max %.3f ms over %d messages\n",
			$lat[int(@lat * 0.5)], $lat[int(@lat * 0.99)], $lat[-1], scalar @lat;' "$P" "$T/spool" "$1"
}
echo "message to disk, idle proxy: $(probe 1000 2>&1)"
"$REPLAY" -q --fast --wait-all --repeat 100 -c 100 "ws://127.0.0.1:$P/bench" "${DUMPS[@]}" >"$T/busy.out" 2>&1 &
rp=$!
sleep 0.3
echo "message to disk, 100 busy connections beside: $(probe 1000 2>&1)"
wait $rp
proxy_stop $P
exit 0
