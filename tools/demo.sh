#!/usr/bin/env bash
# The demo stack behind `make demo`, `make demo-stop`, `make -s demo-env`.
#
#   tools/demo.sh up     install missing packages, build, install the extension, start a
#                        private PostgreSQL 15 cluster and rtcstats-proxy, replay the sample
#                        dumps, wait for extraction, print a summary of every call
#   tools/demo.sh stop   stop what `up` started (by its pid files), nothing else
#   tools/demo.sh env    print the shell lines that point psql and clients at the demo
#   tools/demo.sh clean  stop, then delete the state directory
#   tools/demo.sh summary  print the summary again
#
# Everything the demo keeps lives in one state directory, $RTCSTATS_DEMO_DIR (default
# /tmp/rtcstats-demo: PostgreSQL runs as the postgres user, which must reach its data
# directory, and a clone under /root is not reachable):
#   pgdata/    the cluster (port 55440, socket in run/)   log/postgres.log
#   dumps/     file:// storage shared by proxy and extension (unless S3 is set, below)
#   spool/     the proxy's spool             bin/   the proxy binary it runs
#   proxy.pid  log/proxy.log                 build.log, replay.log
# It never waits for keyboard input and runs as root (servers run as postgres).
set -eu
set -o pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
state="${RTCSTATS_DEMO_DIR:-/tmp/rtcstats-demo}"
build="${BUILD:-build}"
pgbin="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
pg_port=55440
proxy_host=127.0.0.1
proxy_port=8080
db=rtcstats
timeout="${RTCSTATS_DEMO_TIMEOUT:-120}"
samples_dir="$repo/test/corpus/dumps"
# Storage: the file:// directory below, or S3 when the user sets RTCSTATS_DEMO_STORAGE_URL
# (s3://bucket/prefix, with RTCSTATS_DEMO_S3_ENDPOINT, _S3_REGION, _S3_PATH_STYLE and the
# credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), for proxy and database alike.
storage_url="${RTCSTATS_DEMO_STORAGE_URL:-file://$state/dumps}"
s3_endpoint="${RTCSTATS_DEMO_S3_ENDPOINT:-}"
s3_region="${RTCSTATS_DEMO_S3_REGION:-}"
s3_path_style="${RTCSTATS_DEMO_S3_PATH_STYLE:-}"
t0=$(date +%s)

pgdata="$state/pgdata"
logdir="$state/log"
proxy_pid="$state/proxy.pid"

say() { printf '[demo %3ds] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

env_lines() {
	echo "export PGHOST=$proxy_host PGPORT=$pg_port PGDATABASE=$db PGUSER=postgres"
	echo "export RTCSTATS_WS_URL=ws://$proxy_host:$proxy_port/"
	echo "export RTCSTATS_HTTP_URL=http://$proxy_host:$proxy_port"
}

# From /: the clone may be somewhere postgres cannot enter (/root).
as_pg() { (cd / && runuser -u postgres -- "$@"); }
psql_demo() {
	PGHOST=$proxy_host PGPORT=$pg_port PGUSER=postgres PGDATABASE=$db PGOPTIONS='-c client_min_messages=warning' \
		psql -X -q -v ON_ERROR_STOP=1 "$@"
}
port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# A process that exists and is not a zombie (an orphan may wait long for its reaper).
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

pg_running() { [ -f "$pgdata/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }
proxy_running() {
	[ -f "$proxy_pid" ] && start-stop-daemon --status --pidfile "$proxy_pid" --exec "$state/bin/rtcstats-proxy" 2>/dev/null
}

# Runs a step with its output in a log; on failure shows the log's end.
logged() {	# logged LOG COMMAND...
	local log="$1"; shift
	if ! "$@" >>"$log" 2>&1; then
		echo "--- from $log:" >&2
		{ grep -E 'error|Error|\*\*\*|No such|not found' "$log" || tail -n 10 "$log"; } | tail -n 12 | cut -c1-400 >&2
		die "'$*' failed (whole log: $log)"
	fi
}

# ---------------------------------------------------------------- stop ----
stop_all() {
	local stopped=0
	if [ -f "$proxy_pid" ]; then
		if proxy_running; then
			start-stop-daemon --stop --quiet --pidfile "$proxy_pid" --exec "$state/bin/rtcstats-proxy" \
				--retry TERM/20/KILL/5 || true
			echo "demo: stopped rtcstats-proxy (pid $(cat "$proxy_pid"))"
			stopped=1
		fi
		rm -f "$proxy_pid"
	fi
	if pg_running; then
		as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null
		echo "demo: stopped PostgreSQL ($pgdata)"
		stopped=1
	fi
	[ $stopped -eq 1 ] || echo "demo: nothing running"
}

# ----------------------------------------------------------- the proxy ----
# rtcstats-proxy's flags (docs/proxy.md): loopback only, file:// storage shared with
# the extension, its row inserts into the demo database.
proxy_args() {
	args=(--listen "$proxy_host" --port "$proxy_port" --spool-dir "$state/spool"
		--storage-url "$storage_url" --host-identifier demo
		--dsn "host=$proxy_host port=$pg_port dbname=$db user=postgres")
	[ -z "$s3_endpoint" ] || args+=(--s3-endpoint "$s3_endpoint")
	[ -z "$s3_region" ] || args+=(--s3-region "$s3_region")
	[ -z "$s3_path_style" ] || args+=(--s3-path-style="$s3_path_style")
	return 0
}

start_proxy() {
	if port_busy $proxy_host $proxy_port; then
		die "port $proxy_port is in use by another program; stop it and run make demo again"
	fi
	local args=()
	proxy_args
	printf '%s\n' "${args[@]}" >"$state/proxy.args"
	touch "$logdir/proxy.log"; chown postgres: "$logdir/proxy.log"
	start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$proxy_pid" \
		--chuid postgres --chdir "$state" --output "$logdir/proxy.log" \
		--exec "$state/bin/rtcstats-proxy" -- "${args[@]}"

	local code=""
	for _ in $(seq 100); do
		code=$(curl -s -o "$state/health.json" -w '%{http_code}' "http://$proxy_host:$proxy_port/healthcheck" 2>/dev/null) || true
		[ "$code" = 200 ] && return 0
		# (not proxy_running: until its exec, the child is still start-stop-daemon)
		if ! alive "$(cat "$proxy_pid" 2>/dev/null)"; then
			tail -n 20 "$logdir/proxy.log" >&2
			die "rtcstats-proxy exited at start (log: $logdir/proxy.log; flags: ${args[*]})"
		fi
		sleep 0.2
	done
	[ "$code" = 503 ] && die "rtcstats-proxy is not healthy after 20 s: $(cat "$state/health.json")
  (storage or database unreachable; log: $logdir/proxy.log)"
	die "rtcstats-proxy does not answer http://$proxy_host:$proxy_port/healthcheck after 20 s (log: $logdir/proxy.log)"
}

# --------------------------------------------------------- PostgreSQL ----
# What the cluster's contents depend on: when the installed extension changes, the
# demo starts from a fresh cluster rather than half-upgrading one; when the storage
# changes, too (the rows would point at objects the new storage does not have).
ext_fingerprint() {
	local lib share
	lib=$(pg_config --pkglibdir); share=$(pg_config --sharedir)
	{ cat "$lib/rtcstats.so" "$share"/extension/rtcstats.control "$share"/extension/rtcstats--*.sql 2>/dev/null
	  echo "$storage_url $s3_endpoint"; } | md5sum | cut -d' ' -f1
}

start_postgres() {
	local fp; fp=$(ext_fingerprint)
	if [ -f "$pgdata/PG_VERSION" ] && [ "$(cat "$state/extension.md5" 2>/dev/null)" != "$fp" ]; then
		say "the installed extension or the storage changed: starting from a fresh cluster"
		stop_all >/dev/null
		rm -rf "$pgdata" "$state/dumps" "$state/spool"
	fi
	install -d -o postgres -g postgres -m 0700 "$state/dumps" "$state/spool" "$state/run"
	install -d -o postgres -g postgres -m 0755 "$logdir"
	if [ ! -f "$pgdata/PG_VERSION" ]; then
		say "creating a PostgreSQL 15 cluster in $pgdata"
		install -d -o postgres -g postgres -m 0700 "$pgdata"
		logged "$state/build.log" as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust \
			-E UTF8 --locale=C --no-sync
		cat >>"$pgdata/postgresql.conf" <<-EOF

		# rtcstats demo (tools/demo.sh)
		port = $pg_port
		listen_addresses = '$proxy_host'
		unix_socket_directories = '$state/run'
		shared_preload_libraries = 'rtcstats'
		rtcstats.database = '$db'
		rtcstats.workers = 2
		EOF
		# The database and the extension exist before the first start, so the workers find
		# them at once (a worker whose database is missing exits and restarts 5 s later).
		# Single-user mode reads the configuration above, so rtcstats is preloaded there as
		# in the server.
		echo "CREATE DATABASE $db;" | logged "$state/build.log" as_pg "$pgbin/postgres" --single -c fsync=off -D "$pgdata" template1
		echo "CREATE EXTENSION rtcstats;" | logged "$state/build.log" as_pg "$pgbin/postgres" --single -c fsync=off -D "$pgdata" "$db"
	fi
	grep -q "^include_if_exists = 'rtcstats-storage.conf'" "$pgdata/postgresql.conf" ||
		echo "include_if_exists = 'rtcstats-storage.conf'" >>"$pgdata/postgresql.conf"
	storage_conf
	echo "$fp" >"$state/extension.md5"
	if pg_running && [ "${storage_changed:-0}" = 1 ]; then
		say "storage settings changed: reloading PostgreSQL"
		as_pg "$pgbin/pg_ctl" -D "$pgdata" reload >/dev/null
	fi
	if ! pg_running; then
		port_busy $proxy_host $pg_port &&
			die "port $pg_port is in use by another program; stop it and run make demo again"
		say "starting PostgreSQL on port $pg_port (log: $logdir/postgres.log)"
		# 55440 lies in Linux's ephemeral port range: a passing outgoing connection can hold
		# it for a moment (bind: "Address already in use"), so try again before giving up.
		local try
		for try in 1 2 3 4 5; do
			as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$logdir/postgres.log" -w -t 60 start >/dev/null && break
			if [ $try -lt 5 ] && tail -n 5 "$logdir/postgres.log" | grep -q 'Address already in use'; then
				sleep 1; continue
			fi
			tail -n 20 "$logdir/postgres.log" >&2
			die "PostgreSQL did not start (log: $logdir/postgres.log)"
		done
	fi
	if [ "$(psql_demo -d postgres -Atc "select count(*) from pg_database where datname = '$db'")" = 0 ]; then
		psql_demo -d postgres -c "create database $db"
	fi
	psql_demo -c "create extension if not exists rtcstats"
}

# The storage settings, in their own file (postgres only: it may hold the S3 secret), so a
# changed RTCSTATS_DEMO_* takes effect on the next make demo.
storage_conf() {
	local f="$pgdata/rtcstats-storage.conf" new
	q() { printf "%s = '%s'\n" "$1" "${2//\'/\'\'}"; }
	new=$(
		q rtcstats.storage_url "$storage_url"
		[ -z "$s3_endpoint" ] || q rtcstats.s3_endpoint "$s3_endpoint"
		[ -z "$s3_region" ] || q rtcstats.s3_region "$s3_region"
		[ -z "$s3_path_style" ] || q rtcstats.s3_path_style "$s3_path_style"
		[ -z "${AWS_ACCESS_KEY_ID:-}" ] || q rtcstats.s3_access_key_id "$AWS_ACCESS_KEY_ID"
		[ -z "${AWS_SECRET_ACCESS_KEY:-}" ] || q rtcstats.s3_secret_access_key "$AWS_SECRET_ACCESS_KEY"
	)
	storage_changed=0
	if [ "$new" != "$(cat "$f" 2>/dev/null)" ]; then
		(umask 077; printf '%s\n' "$new" >"$f")
		chown postgres: "$f"
		storage_changed=1
	fi
}

# ----------------------------------------------------------- samples ----
samples() { for f in "$samples_dir"/*.rtcstats; do basename "$f" .rtcstats; done; }

# The sample a row came from: the demo replays sample NAME to ws://host:port/demo/NAME.
# Other dumps (your own calls) are named by their id and URL.
label_sql="coalesce(substring(metadata->>'url' from '^/demo/([A-Za-z0-9._-]+)'),
	left(id::text, 8) || coalesce(' ' || left(metadata->>'url', 60), ''))"

replay_samples() {
	local have missing=() name
	have=$(psql_demo -Atc "select distinct $label_sql from rtcstats_dumps where metadata->>'url' like '/demo/%'")
	for name in $(samples); do
		grep -qxF "$name" <<<"$have" || missing+=("$name")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "the $(samples | wc -l) sample dumps are already in the database: not replaying them"
		return
	fi
	say "replaying ${#missing[@]} sample dump(s) with rtcstats-replay --fast (log: $state/replay.log)"
	: >"$state/replay.log"
	for name in "${missing[@]}"; do
		logged "$state/replay.log" "$repo/$build/bin/rtcstats-replay" --fast -q \
			"ws://$proxy_host:$proxy_port/demo/$name" "$samples_dir/$name.rtcstats"
	done
}

# Waits until every sample has its row and each is extracted (or given up, which the
# summary then shows with its error).  Only the samples: a dump of your own that fails
# extraction is retried by the workers for a while, and must not make the demo wait for
# it; such dumps are listed with their error at the end.
wait_extracted() {
	local n_samples list line others last="" deadline=$(( $(date +%s) + timeout ))
	n_samples=$(samples | wc -l)
	list=$(samples | sed "s/.*/'&'/" | paste -sd,)
	while :; do
		# failed_at through to_jsonb: a cluster made by an older demo may lack it
		line=$(psql_demo -AtF ' ' -c "
			with d as (select *, $label_sql as label, to_jsonb(x)->>'failed_at' as given_up
			           from rtcstats_dumps x)
			select count(distinct label) filter (where label in ($list)),
			       count(*) filter (where label in ($list) and extracted_at is not null),
			       count(*) filter (where label in ($list) and extracted_at is null and given_up is null
			           and attempts < coalesce(nullif(current_setting('rtcstats.max_attempts', true), '')::int, 5)),
			       count(*) filter (where label in ($list))
			from d")
		set -- $line
		if [ "$line" != "$last" ]; then
			say "rows: $1/$n_samples samples arrived, $2/$4 extracted"
			last=$line
		fi
		[ "$1" -ge "$n_samples" ] && [ "$3" -eq 0 ] && break
		if [ "$(date +%s)" -ge $deadline ]; then
			psql_demo -c "select $label_sql as dump, id, attempts, last_error from rtcstats_dumps
				where extracted_at is null order by 1" >&2 || true
			die "timed out after ${timeout}s waiting for extraction ($1/$n_samples samples arrived, $2/$4 extracted).
  Logs: $logdir/proxy.log (proxy: uploads, inserts), $logdir/postgres.log (workers), $state/replay.log
  make demo again waits again (the samples are not sent twice); RTCSTATS_DEMO_TIMEOUT=<s> waits longer."
		fi
		sleep 0.5
	done
	others=$(psql_demo -At -F ' ' -c "
		select $label_sql, 'attempts ' || attempts || ':', coalesce(last_error, 'not tried yet')
		from rtcstats_dumps
		where extracted_at is null and ($label_sql) not in ($list)
		order by created_at")
	if [ -n "$others" ]; then
		say "other dumps not extracted (not waited for; the workers retry them):"
		sed 's/^/    /' <<<"$others" | cut -c 1-300
	fi
	return 0
}

# ----------------------------------------------------------- summary ----
# One JSON object per dump from SQL (to_jsonb of each feature row, so a renamed or
# missing column leaves a blank rather than an error), laid out by perl.
summary() {
	local has_summary
	has_summary=$(psql_demo -Atc "select to_regprocedure('rtcstats_summary(uuid)') is not null")
	local summary_expr="null"
	# through a wrapper: one dump whose summary fails must not take the others with it
	[ "$has_summary" = t ] && summary_expr="case when d.extracted_at is not null then pg_temp.demo_summary(d.id) end"
	psql_demo -At -c "
		create function pg_temp.demo_summary(id uuid) returns text language plpgsql as \$\$
		begin
			return rtcstats_summary(id);
		exception when others then
			return 'rtcstats_summary() failed: ' || sqlerrm;
		end \$\$" -c "
		select jsonb_build_object(
			'label', $label_sql, 'id', d.id, 'url', d.metadata->>'url',
			'session_start', d.session_start, 'session_end', d.session_end,
			'extracted', d.extracted_at is not null, 'attempts', d.attempts, 'last_error', d.last_error,
			'client', (select to_jsonb(x) from features_client x where x.dump_id = d.id limit 1),
			'connections', coalesce((select jsonb_agg(to_jsonb(c) order by c.id)
				from features_connection c where c.dump_id = d.id), '[]'),
			'tracks', coalesce((select jsonb_agg(to_jsonb(t) order by t.id)
				from features_track t where t.dump_id = d.id), '[]'),
			'summary', $summary_expr)
		from rtcstats_dumps d
		order by d.metadata->>'url' like '/demo/%' desc, $label_sql, d.created_at" |
	perl -MJSON::PP -MText::Wrap -e "$summary_pl"
}

# Lays out one block per dump from the JSON lines of summary().
read -r -d '' summary_pl <<'PERL' || true
use strict; use warnings;
my $json = JSON::PP->new;
sub num { my ($v, $fmt) = @_; defined $v && $v =~ /^-?[\d.eE+-]+$/ ? sprintf($fmt, $v) : undef }
sub yes { my $v = shift; defined $v && ($v eq '1' || $v eq 'true' || (ref $v && $$v)) }
sub list { my @v = grep { defined && length } @_; @v ? join(', ', @v) : 'none' }
sub line { printf "    %-11s %s\n", @_ }
while (my $text = <STDIN>) {
	next unless $text =~ /\S/;
	my $d = $json->decode($text);
	my @pcs = @{$d->{connections} || []};
	my @tracks = @{$d->{tracks} || []};
	my $cl = $d->{client} || {};
	my $secs = num(defined $cl->{duration} ? $cl->{duration} / 1000 : undef, '%.1f s');
	my $id = substr($d->{id}, 0, 8);
	my $what = sprintf '%d peer connection%s%s, dump %s', scalar @pcs, @pcs == 1 ? '' : 's',
		$secs ? ", $secs" : '', $id;
	if (!yes($d->{extracted})) {
		printf "=== %s: NOT EXTRACTED after %d attempt(s)  (dump %s)\n", $d->{label}, $d->{attempts}, $id;
		line('error', $d->{last_error} // 'none recorded');
		next;
	}
	my @up = grep { yes($_->{connected}) || yes($_->{ice_connected}) } @pcs;
	my $status;
	if (!@pcs) {
		$status = 'no peer connection';
		$status .= ' (getUserMedia only)' if yes($cl->{called_get_user_media});
	} elsif (!@up) {
		$status = 'FAILED to connect';
	} else {
		my ($ice) = sort { $b <=> $a } grep { defined } map { $_->{ice_connection_time} } @up;
		my ($conn) = sort { $b <=> $a } grep { defined } map { $_->{connection_time} } @up;
		$status = 'connected';
		$status .= " (ICE $ice ms" . (defined $conn ? ", connection $conn ms" : '') .
			(@up > 1 ? ', slowest peer connection)' : ')') if defined $ice;
		$status .= sprintf ', %d of %d connections failed', @pcs - @up, scalar @pcs if @up < @pcs;
	}
	printf "=== %s: %s  (%s)\n", $d->{label}, $status, $what;
	if (@pcs) {
		my (%local, %remote, %pair);
		for my $c (@pcs) {
			for my $t (qw(host srflx turn mdns)) {
				$local{$t} = 1 if yes($c->{"gathered_${t}_candidate"});
				$remote{$t} = 1 if yes($c->{"added_${t}_candidate"});
			}
			my $l = $c->{first_candidate_pair_local_type};
			$pair{sprintf '%s/%s -> %s', $l, $c->{first_candidate_pair_local_protocol} // '?',
				$c->{first_candidate_pair_remote_type} // '?'} = 1 if defined $l;
		}
		my $o = sub { my $h = shift; list(grep { $h->{$_} } qw(host srflx turn mdns)) };
		line('candidates', sprintf 'local %s; remote %s; selected %s', $o->(\%local), $o->(\%remote),
			list(sort keys %pair));
		my $mean = sub {
			my ($k, $scale, $fmt) = @_;
			my @v = grep { defined && /^-?[\d.eE+-]+$/ } map { $_->{$k} } @pcs;
			return '-' unless @v;
			my $sum = 0; $sum += $_ for @v;
			return sprintf $fmt, $sum / @v * $scale;
		};
		my ($rtt, $out, $in) = ($mean->('average_stun_round_trip_time', 1000, '%.1f'),
			$mean->('average_outbound_bitrate', 0.001, '%.0f'),
			$mean->('average_inbound_bitrate', 0.001, '%.0f'));
		if ($rtt eq '-' && $out eq '-' && $in eq '-') {
			line('network', 'nothing measured');
		} else {
			line('network', sprintf 'RTT %s ms; bitrate out %s kbit/s, in %s kbit/s%s', $rtt, $out, $in,
				@pcs > 1 ? ' (mean of the connections)' : '');
		}
	}
	my @t;
	for my $t (@tracks) {
		my $s = sprintf '%s %s', $t->{kind} // '?', ($t->{direction} // '') =~ /^in/ ? 'recv' : 'send';
		$s .= ' ' . (($t->{codec_mime_type} // '') =~ s{^\w+/}{}r) if $t->{codec_mime_type};
		$s .= " $t->{common_width}x$t->{common_height}" if $t->{common_width} && $t->{common_height};
		if (defined $t->{freeze_count} && ($t->{kind} // '') eq 'video') {
			$s .= " $t->{freeze_count} freeze" . ($t->{freeze_count} == 1 ? '' : 's');
			$s .= sprintf ' (%.1f s)', $t->{total_freezes_duration}
				if $t->{freeze_count} && defined $t->{total_freezes_duration};
		}
		push @t, $s;
	}
	my (@uniq, %seen);
	for (@t) { push @uniq, $_ unless $seen{$_}++ }
	line('tracks', list(map { $seen{$_} > 1 ? "$seen{$_}x $_" : $_ } @uniq));
	my @err;
	push @err, sprintf('getUserMedia failed %d time(s) (%s)', $cl->{get_user_media_error_count},
		$cl->{get_user_media_error} // '?') if $cl->{get_user_media_error_count};
	push @err, sprintf('getDisplayMedia failed %d time(s)', $cl->{get_display_media_error_count})
		if $cl->{get_display_media_error_count};
	for my $c (@pcs) {
		for my $k (qw(set_local_description_failure set_remote_description_failure add_ice_candidate_failure)) {
			push @err, "$k: $c->{$k}" if defined $c->{$k} && length $c->{$k} && $c->{$k} ne 'false';
		}
	}
	push @err, 'ICE failed' if @pcs && @up < @pcs;
	line('errors', list(@err));
	if (defined $d->{summary} && length $d->{summary}) {
		local $Text::Wrap::columns = 96;
		my @s = split /\n/, Text::Wrap::wrap('', '', $d->{summary});
		line('summary', shift @s);
		line('', $_) for @s;
	}
}
PERL

# ---------------------------------------------------------------- up ----
up() {
	[ "$(id -u)" -eq 0 ] || die "run make demo as root (or with sudo): it installs packages and starts servers as postgres"
	say "checking Debian packages (tools/install-deps.sh; installing missing ones takes minutes)"
	bash tools/install-deps.sh
	mkdir -p "$state"; chmod 0755 "$state"
	: >"$state/build.log"
	say "building (make all, log: $state/build.log)"
	# A make of its own: not the jobserver of the make that ran us (BUILD is passed on).
	# In the background, so that a long build shows how far it got.
	logged "$state/build.log" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make --no-print-directory -j"$(nproc)" BUILD="$build" all &
	local build_pid=$! ticks=0
	while kill -0 $build_pid 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		[ $((ticks % 10)) -eq 0 ] && kill -0 $build_pid 2>/dev/null &&
			say "building: $(grep -cE '^(cc|gcc|clang) ' "$state/build.log") files compiled or linked so far"
	done
	wait $build_pid || exit 1
	say "installing the extension into $(pg_config --pkglibdir) (make extension-install)"
	logged "$state/build.log" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make --no-print-directory BUILD="$build" extension-install
	for p in rtcstats-proxy rtcstats-replay; do
		[ -x "$build/bin/$p" ] || die "$build/bin/$p was not built"
	done
	start_postgres
	install -d -m 0755 "$state/bin"
	if ! cmp -s "$build/bin/rtcstats-proxy" "$state/bin/rtcstats-proxy"; then
		if proxy_running; then
			say "the proxy was rebuilt: restarting it"
			start-stop-daemon --stop --quiet --pidfile "$proxy_pid" --exec "$state/bin/rtcstats-proxy" \
				--retry TERM/20/KILL/5 || true
			rm -f "$proxy_pid"
		fi
		install -m 0755 "$build/bin/rtcstats-proxy" "$state/bin/rtcstats-proxy"
	fi
	local args=()
	proxy_args
	if proxy_running && [ "$(printf '%s\n' "${args[@]}")" != "$(cat "$state/proxy.args" 2>/dev/null)" ]; then
		say "the proxy's settings changed: restarting it"
		start-stop-daemon --stop --quiet --pidfile "$proxy_pid" --exec "$state/bin/rtcstats-proxy" \
			--retry TERM/20/KILL/5 || true
		rm -f "$proxy_pid"
	fi
	if proxy_running; then
		say "rtcstats-proxy is already running on $proxy_host:$proxy_port"
	else
		say "starting rtcstats-proxy on $proxy_host:$proxy_port (log: $logdir/proxy.log)"
		start_proxy
	fi
	replay_samples
	wait_extracted
	say "done; the calls:"
	echo
	summary
	echo
	echo "The demo keeps running:"
	echo "  point rtcstats-js at ws://$proxy_host:$proxy_port/ (its calls appear in rtcstats_dumps)"
	echo "  eval \"\$(make -s demo-env)\"; psql      # e.g. table features_connection"
	echo "  make demo-stop                          # stops it (state kept in $state)"
}

case "${1:-}" in
up) up ;;
stop) stop_all ;;
env) env_lines ;;
summary) summary ;;
clean) stop_all; rm -rf "$state"; echo "demo: removed $state" ;;
*) echo "usage: tools/demo.sh up|stop|env|clean|summary" >&2; exit 2 ;;
esac
