#!/usr/bin/env bash
# First start only (docker-entrypoint-initdb.d runs it once, on an empty data directory):
# the rtcstats.* settings from the environment into postgresql.conf, read at the real
# start that follows initialization.  Written to work when sourced, too.
rtcstats_setting() {	# NAME VALUE: a quoted postgresql.conf line, quotes doubled
	printf "%s = '%s'\n" "$1" "${2//\'/\'\'}" >>"$PGDATA/postgresql.conf"
}
echo "# rtcstats (docker/initdb/10-rtcstats-settings.sh)" >>"$PGDATA/postgresql.conf"
rtcstats_setting rtcstats.database "${POSTGRES_DB:-postgres}"
rtcstats_setting rtcstats.workers "${RTCSTATS_WORKERS:-2}"
for rtcstats_var in STORAGE_URL S3_ENDPOINT S3_REGION S3_PATH_STYLE S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY; do
	rtcstats_env="RTCSTATS_$rtcstats_var"
	if [ -n "${!rtcstats_env:-}" ]; then
		rtcstats_setting "rtcstats.${rtcstats_var,,}" "${!rtcstats_env}"
	fi
done
