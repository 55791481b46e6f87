# A private PostgreSQL 15 cluster for the end-to-end suites: port 55433,
# data under $RT_TMP/pg (run as the postgres user), rtcstats preloaded with
# no background workers (the suites call rtcstats_extract_features()
# themselves), database "rtcstats" with the extension created.
#
#   pg_init [CONF_LINE...]   initdb and configure (extra postgresql.conf lines)
#   pg_start / pg_stop       start (waits until it accepts connections) / stop fast
#   pg_psql ARGS...          psql -XAt on the database, ON_ERROR_STOP
#   pg_createdb              CREATE DATABASE rtcstats; CREATE EXTENSION rtcstats
#   pg_up                    pg_init, pg_start and pg_createdb; on failure counts it
#                            (fail) and returns 1
#   PG_DSN                   libpq conninfo of the database
#   PG_LOG                   the server log

PG_PORT=${PG_PORT:-55433}
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_DB=rtcstats

_as_pg() { runuser -u postgres -- "$@"; }

pg_init() {
	PG_DATA="$RT_TMP/pg/data"
	PG_LOG="$RT_TMP/pg/postgres.log"
	PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=$PG_DB user=postgres connect_timeout=5"
	install -d -o postgres -g postgres -m 0700 "$RT_TMP/pg" "$PG_DATA"
	_as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
		--locale=C >"$RT_TMP/pg/initdb.log" 2>&1 || { cat "$RT_TMP/pg/initdb.log"; return 1; }
	{
		echo "port = $PG_PORT"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$RT_TMP/pg'"
		echo "shared_preload_libraries = 'rtcstats'"
		echo "rtcstats.workers = 0"
		echo "fsync = off"
		for l in "$@"; do echo "$l"; done
	} >>"$PG_DATA/postgresql.conf"
	at_exit "pg_stop"
}

pg_start() {
	_as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null
}

pg_stop() {
	[ -n "${PG_DATA:-}" ] && [ -f "$PG_DATA/postmaster.pid" ] &&
		_as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
	return 0
}

pg_psql() {
	psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" "$@"
}

pg_createdb() {
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
		-c "CREATE DATABASE $PG_DB" &&
		pg_psql -c "CREATE EXTENSION rtcstats"
}

pg_up() {
	pg_init || { fail "initdb"; return 1; }
	pg_start || { fail "start PostgreSQL on $PG_PORT"; return 1; }
	pg_createdb || { fail "CREATE EXTENSION rtcstats"; return 1; }
}
