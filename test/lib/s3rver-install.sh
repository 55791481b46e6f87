#!/usr/bin/env bash
# Installs s3rver (npm, pinned), the S3-compatible server the storage,
# extension, end-to-end and fault suites run on loopback, into
# $RTCSTATS_NODE_CACHE (default /opt/rtcstats-test) once per machine.  The
# registry is on the network: an attempt that fails is retried twice, after
# 5 and 15 s, before the install counts as failed.  Prints the s3rver path.
set -u
version=3.7.1
cache=${RTCSTATS_NODE_CACHE:-/opt/rtcstats-test}
bin="$cache/node_modules/.bin/s3rver"
if [ ! -x "$bin" ]; then
	command -v npm >/dev/null 2>&1 || { echo "s3rver-install: npm is missing" >&2; exit 1; }
	mkdir -p "$cache"
	echo "installing s3rver@$version into $cache" >&2
	for delay in 5 15 none; do
		npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
			"s3rver@$version" >"$cache/npm-install.log" 2>&1 && break
		[ "$delay" = none ] && { echo "s3rver-install: npm install failed:" >&2; tail -n 20 "$cache/npm-install.log" >&2; exit 1; }
		echo "s3rver-install: npm install failed, retrying in ${delay}s" >&2
		sleep "$delay"
	done
fi
echo "$bin"
