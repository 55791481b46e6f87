#!/usr/bin/env bash
# Every SQL example of the docs runs: each fenced ```sql block of README.md
# and docs/*.md is run by psql (test/lib/doc_examples.py) against a private
# PostgreSQL 15 cluster (port 55433) with the extension, pg_cron preloaded
# when it is installed, and the corpus dumps stored (file://) and extracted,
# so the examples see real rows.  A block that shows output must print the
# same column headers.  A block that cannot run here says why in a
# `<!-- doc-test: skip: REASON -->` line above it.
#
#   BUILD (default build)  where the programs are built
set -u
cd "$(dirname "$0")/../.."
SUITE=doc-examples
. test/lib/common.sh
. test/lib/pg.sh

rt_tmpdir
T=$RT_TMP

if ! make -s all >"$T/build.log" 2>&1 || ! make -s extension-install >"$T/ext.log" 2>&1; then
	fail "make all extension-install"; tail -n 30 "$T/build.log" "$T/ext.log"; finish
fi

conf=("rtcstats.storage_url = 'file://$T/store'")
if [ -f "$(pg_config --pkglibdir)/pg_cron.so" ]; then
	conf+=("shared_preload_libraries = 'rtcstats,pg_cron'" "cron.database_name = 'postgres'")
	have_cron=1
else
	have_cron=0
fi
install -d -o postgres -g postgres -m 0700 "$T/store"
pg_init "${conf[@]}" || { fail "initdb"; finish; }
pg_start || { fail "start PostgreSQL"; cat "$PG_LOG"; finish; }
pg_createdb || { fail "CREATE DATABASE rtcstats; CREATE EXTENSION rtcstats"; finish; }
# The second database of the multi-database pg_cron example.
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE tenant_b" >/dev/null

# The corpus dumps as stored objects with their rows, extracted; one of them
# is a call of conference room-42 (the "calls of a conference" example).
n=0
for f in test/corpus/dumps/*.rtcstats; do
	id=$(cat /proc/sys/kernel/random/uuid)
	gzip -c "$f" >"$T/store/$id.gz"
	chown postgres "$T/store/$id.gz"
	conference=NULL
	case "$(basename "$f")" in av-call.rtcstats) conference="'room-42'"; av_id=$id ;; esac
	pg_psql -c "INSERT INTO rtcstats_dumps (id, blob_url, session_start, session_end, rtcstats_conference)
		VALUES ('$id', 'file://$T/store/$id.gz', now() - interval '1 hour', now(), $conference)" &&
		pg_psql -c "SELECT rtcstats_extract_features('$id') IS NOT NULL" >/dev/null && n=$((n + 1))
done
[ "$n" -gt 5 ] && [ -n "${av_id:-}" ] && ok "$n corpus dumps stored and extracted for the examples" ||
	{ fail "corpus dumps stored and extracted ($n)"; finish; }
cp test/corpus/dumps/av-call.rtcstats "$T/av-call.rtcstats"
chmod 644 "$T/av-call.rtcstats"

[ "$have_cron" -eq 1 ] || echo "note: pg_cron is not installed; its examples will fail"
out=$(python3 test/lib/doc_examples.py \
	--psql "psql -h 127.0.0.1 -p $PG_PORT -U postgres -d $PG_DB" \
	--dump-id "$av_id" --replace "/tmp/av-call.rtcstats=$T/av-call.rtcstats" \
	README.md docs/*.md 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
summary=$(echo "$out" | tail -n 1)
if [ $rc -eq 0 ]; then ok "every SQL example runs ($summary)"; else fail "SQL examples ($summary)"; fi

# The harness itself: a broken example and a renamed column are caught.
mkdir -p "$T/bad"
printf '# x\n\n```sql\nSELECT no_such_function();\n```\n' >"$T/bad/a.md"
printf '# y\n\n```sql\nSELECT 1 AS one;\n two\n-----\n   1\n```\n' >"$T/bad/b.md"
printf '# z\n\n<!-- doc-test: skip: needs another server -->\n```sql\nSELECT broken(;\n```\n' >"$T/bad/c.md"
for f in a b; do
	if python3 test/lib/doc_examples.py --psql "psql -h 127.0.0.1 -p $PG_PORT -U postgres -d $PG_DB" \
		--dump-id "$av_id" "$T/bad/$f.md" >"$T/bad/$f.out" 2>&1; then
		fail "the harness passes a broken example ($f.md)"; cat "$T/bad/$f.out"
	else
		ok "the harness fails a broken example ($f.md: $(grep -m1 -E 'psql exited|header' "$T/bad/$f.out" | sed 's/^ *//' | cut -c1-80))"
	fi
done
python3 test/lib/doc_examples.py --psql "psql -h 127.0.0.1 -p $PG_PORT -U postgres -d $PG_DB" \
	--dump-id "$av_id" "$T/bad/c.md" | grep -q "0 failed, 1 skipped" &&
	ok "a block marked doc-test: skip is reported, not run" || fail "skip marker"
finish
