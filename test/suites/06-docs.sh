#!/usr/bin/env bash
# Docs cannot drift: tools/check-docs.sh passes on this tree, and it fails on
# fake trees where a GUC, a program option or the README's two commands are missing.
set -u
cd "$(dirname "$0")/../.."
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d /tmp/rtcstats-06-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. the real tree
if out=$(bash tools/check-docs.sh 2>&1); then ok "check-docs on the tree: $(echo "$out" | tail -n 1)"
else ko "check-docs on the tree:"; echo "$out" | sed 's/^/    /'; fi

# 2. docs/quickstart.md shows exactly what `make -s demo-env` prints
env_now=$(bash tools/demo.sh env)
if grep -qxF -- "$(echo "$env_now" | head -n 1)" docs/quickstart.md &&
	[ "$(grep -cxF -f <(echo "$env_now") docs/quickstart.md)" -ge "$(echo "$env_now" | wc -l)" ]; then
	ok "docs/quickstart.md shows the lines make -s demo-env prints"
else
	ko "docs/quickstart.md does not show what make -s demo-env prints:"; echo "$env_now" | sed 's/^/    /'
fi

# 3. the demo's state directory comes from RTCSTATS_DEMO_DIR as docs/quickstart.md says
if RTCSTATS_DEMO_DIR=/tmp/rtcstats-demo-elsewhere make -s -n demo-stop | grep -q "RTCSTATS_DEMO_DIR='/tmp/rtcstats-demo-elsewhere'"; then
	ok "RTCSTATS_DEMO_DIR in the environment moves the demo (make demo-stop uses it)"
else
	ko "RTCSTATS_DEMO_DIR in the environment is ignored by make"
fi

# A fake tree that passes, then one broken variant per rule.
make_tree() {
	local d="$1"
	mkdir -p "$d/extension/src" "$d/docs" "$d/bin"
	cat > "$d/extension/src/guc.c" <<-'EOF'
	DefineCustomIntVariable("rtcstats.workers", "Workers.", NULL, &w, 1, 0, 64,
	                        PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable(
		"rtcstats.storage_url", "Where dumps are.", NULL, &u, "", PGC_SIGHUP, 0, NULL, NULL, NULL);
	EOF
	printf '# Configuration\n\n`rtcstats.workers` (1), `rtcstats.storage_url`.\n' > "$d/docs/configuration.md"
	mkdir -p "$d/proxy" "$d/replay"
	cat > "$d/bin/rtcstats-proxy" <<-'EOF'
	#!/bin/sh
	echo "usage: rtcstats-proxy [--listen ADDR] [--max-connections N]"
	echo "  --dsn=CONNINFO   database"
	echo "  --help           this text"
	EOF
	cat > "$d/bin/rtcstats-replay" <<-'EOF'
	#!/bin/sh
	echo "usage: rtcstats-replay [--fast] [-c N] URL FILE..."
	EOF
	chmod +x "$d/bin/"*
	printf '# Proxy\n\n`--listen`, `--max-connections N`, `--dsn`\n' > "$d/docs/proxy.md"
	printf '# Replay\n\n    rtcstats-replay --fast URL f\n' > "$d/docs/replay.md"
	printf '# x\n\nintro\n\n```sh\nmake demo    # the demo\nmake test    # the tests\n```\n' > "$d/README.md"
}
expect() {	# expect pass|fail DESCRIPTION DIR [GREP]
	local want="$1" what="$2" d="$3" pattern="${4:-}" out rc
	out=$(bash tools/check-docs.sh --root "$d" --bin "$d/bin" 2>&1); rc=$?
	if [ "$want" = pass ] && [ $rc -eq 0 ]; then ok "$what"
	elif [ "$want" = fail ] && [ $rc -ne 0 ] && { [ -z "$pattern" ] || echo "$out" | grep -q -- "$pattern"; }; then
		ok "$what: $(echo "$out" | grep -m1 -- "${pattern:-.}")"
	else ko "$what (exit $rc)"; echo "$out" | sed 's/^/    /'; fi
}

make_tree "$tmp/good"
expect pass "fake tree with everything documented passes" "$tmp/good"

cp -r "$tmp/good" "$tmp/guc"
printf '# Configuration\n\n`rtcstats.workers` (1).\n' > "$tmp/guc/docs/configuration.md"
expect fail "a GUC missing from configuration.md fails" "$tmp/guc" "rtcstats.storage_url"

cp -r "$tmp/good" "$tmp/prefix"
printf '# Configuration\n\n`rtcstats.workers_max`, `rtcstats.storage_url`.\n' > "$tmp/prefix/docs/configuration.md"
expect fail "a longer name does not document a GUC" "$tmp/prefix" "rtcstats.workers "

cp -r "$tmp/good" "$tmp/opt"
printf '# Proxy\n\n`--listen`, `--max-connections-per-ip`, `--dsn`\n' > "$tmp/opt/docs/proxy.md"
expect fail "a proxy option missing from proxy.md fails" "$tmp/opt" "option --max-connections "

cp -r "$tmp/good" "$tmp/conf"
printf '# Proxy\n\nsee configuration\n' > "$tmp/conf/docs/proxy.md"
printf '`rtcstats.workers` `rtcstats.storage_url` `--listen` `--max-connections` `--dsn`\n' > "$tmp/conf/docs/configuration.md"
expect pass "proxy options may be documented in configuration.md" "$tmp/conf"

cp -r "$tmp/good" "$tmp/table"
printf '# Proxy\n\n| option | default |\n|---|---|\n| `listen` | 127.0.0.1 |\n| `max-connections` | 20000 |\n| `dsn` | none |\n' > "$tmp/table/docs/proxy.md"
expect pass "options may be listed by name in backquotes (a table)" "$tmp/table"

cp -r "$tmp/table" "$tmp/bare"
printf '# Proxy\n\n| option | default |\n|---|---|\n| `listen` | 127.0.0.1 |\n| max-connections | 20000 |\n| `dsn` | none |\n' > "$tmp/bare/docs/proxy.md"
expect fail "a bare word does not document an option" "$tmp/bare" "option --max-connections "

cp -r "$tmp/good" "$tmp/replay"
rm "$tmp/replay/docs/replay.md"
expect fail "a replay option missing from every doc fails" "$tmp/replay" "option --fast"

cp -r "$tmp/good" "$tmp/nobin"
rm "$tmp/nobin/bin/rtcstats-proxy"
expect fail "proxy sources without a built proxy fail" "$tmp/nobin" "not built"

cp -r "$tmp/good" "$tmp/readme3"
printf '# x\n\n```sh\nmake demo\nmake deps\nmake test\n```\n' > "$tmp/readme3/README.md"
expect fail "a third command on the README's first screen fails" "$tmp/readme3" "README"

cp -r "$tmp/good" "$tmp/readme1"
printf '# x\n\n```sh\nmake test\n```\n\n```sh\nmake demo\n```\n' > "$tmp/readme1/README.md"
expect fail "the README without make demo in its first block fails" "$tmp/readme1" "README"

cp -r "$tmp/good" "$tmp/readmelate"
{ printf '# x\n'; for i in $(seq 50); do echo "line $i"; done; printf '```sh\nmake demo\nmake test\n```\n'; } > "$tmp/readmelate/README.md"
expect fail "the two commands below the first screen fail" "$tmp/readmelate" "README"

cp -r "$tmp/good" "$tmp/link"
printf '\nSee [the workers](workers.md#cycle) and [proxy](proxy.md).\n' >> "$tmp/link/docs/proxy.md"
expect fail "a link to a missing doc fails" "$tmp/link" "link to workers.md"

cp -r "$tmp/good" "$tmp/named"
printf '\nSee `docs/workers.md`; `docs/replay.md` exists.\n' >> "$tmp/named/docs/proxy.md"
expect fail "a backquoted path of a missing doc fails" "$tmp/named" "names docs/workers.md"

cp -r "$tmp/good" "$tmp/links-ok"
printf '\nSee [replay](replay.md#top), [web](https://example.org/x.md), [here](#proxy).\n' >> "$tmp/links-ok/docs/proxy.md"
expect pass "links to existing docs, URLs and anchors pass" "$tmp/links-ok"

echo "06-docs: $pass passed, $fail failed"
[ $fail -eq 0 ]
