# s3rver (test/lib/s3rver-install.sh) as the e2e suites'
# S3: 127.0.0.1:4569, path-style, bucket "rtcstats-e2e", objects kept under
# $RT_TMP/s3 so a stopped and restarted s3rver still has them.
#
#   s3_install           install s3rver once per machine (sets S3RVER)
#   s3_start / s3_stop   start (waits until it answers) / stop (SIGTERM, then KILL)
#   s3_get KEY FILE      download bucket/KEY into FILE (s3rver checks no signature)
#   s3_keys              list the bucket's keys, one per line
#   S3_ENDPOINT S3_BUCKET

S3_PORT=${S3_PORT:-4569}
S3_BUCKET=rtcstats-e2e
S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
S3RVER=""
S3_PID=""

s3_install() {
	[ -n "$S3RVER" ] || S3RVER=$(bash test/lib/s3rver-install.sh)
}

s3_start() {
	mkdir -p "$RT_TMP/s3"
	if port_busy "$S3_PORT"; then echo "port $S3_PORT is taken"; return 1; fi
	"$S3RVER" --directory "$RT_TMP/s3" --port "$S3_PORT" --address 127.0.0.1 --silent \
		--configure-bucket "$S3_BUCKET" >>"$RT_TMP/s3rver.log" 2>&1 &
	S3_PID=$!
	if [ -z "${_s3_at_exit:-}" ]; then at_exit "s3_stop"; _s3_at_exit=1; fi
	wait_until 30 curl -s -o /dev/null "$S3_ENDPOINT/" || { cat "$RT_TMP/s3rver.log"; return 1; }
}

s3_stop() {
	[ -n "$S3_PID" ] || return 0
	kill "$S3_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$S3_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$S3_PID" 2>/dev/null
	wait "$S3_PID" 2>/dev/null
	S3_PID=""
	return 0
}

s3_get() { curl -fsS -o "$2" "$S3_ENDPOINT/$S3_BUCKET/$1"; }

s3_keys() {
	curl -fsS "$S3_ENDPOINT/$S3_BUCKET?list-type=2&max-keys=1000" |
		grep -o '<Key>[^<]*</Key>' | sed 's/<Key>\(.*\)<\/Key>/\1/'
}
