#!/usr/bin/env bash
# What docs/install.md and docs/connecting.md tell a user to run:
# - the systemd units of packaging/systemd pass systemd-analyze verify (with
#   ExecStart pointed at build/bin), every option their ExecStart passes is in
#   the program's --help, and every name of proxy.conf.example is a proxy
#   option (the proxy starts with that file);
# - make install DESTDIR=... puts the extension in pg_config's directories and
#   the programs in PREFIX/bin;
# - the token minted by the shell block of docs/connecting.md (the block after
#   "<!-- test: 08-install mint-token -->") is accepted by rtcstats-proxy
#   --jwt-secret (port 18088), and a token signed with another secret is not.
set -u
cd "$(dirname "$0")/../.."
SUITE=08-install
. test/lib/common.sh
. test/lib/proxy.sh
rt_tmpdir
T=$RT_TMP
U=packaging/systemd

make -s all >"$T/build.log" 2>&1 || { fail "make all"; tail -n 20 "$T/build.log"; finish; }

# --- systemd units
if command -v systemd-analyze >/dev/null; then
	for u in rtcstats-proxy rtcstats-worker; do
		sed "s#/usr/local/bin/#$PWD/$BIN/#" "$U/$u.service" >"$T/$u.service"
		if out=$(systemd-analyze verify "$T/$u.service" 2>&1) && [ -z "$out" ]; then
			ok "$u.service: systemd-analyze verify is silent"
		else
			fail "$u.service: systemd-analyze verify"; echo "$out" | sed 's/^/     /'
		fi
	done
	# the check itself: an unknown key and a missing program are reported
	printf '[Service]\nExecStart=/nonexistent/x\nNoSuchKey=1\n' >"$T/bad.service"
	out=$(systemd-analyze verify "$T/bad.service" 2>&1)
	[ -n "$out" ] && ok "systemd-analyze verify reports a bad unit" || fail "verify passes a bad unit"
else
	echo "note: systemd-analyze is missing; units checked by the option test only"
fi
for u in rtcstats-proxy rtcstats-worker; do
	grep -q '^NoNewPrivileges=yes' "$U/$u.service" && grep -q '^ProtectSystem=strict' "$U/$u.service" &&
		grep -q '^Restart=on-failure' "$U/$u.service" && grep -q '^User=rtcstats' "$U/$u.service" &&
		ok "$u.service: dedicated user, Restart=, NoNewPrivileges, ProtectSystem=strict" ||
		fail "$u.service hardening lines"
	line=$(sed -n 's/^ExecStart=//p' "$U/$u.service")
	prog=$(basename "${line%% *}")
	help=$("$BIN/$prog" --help 2>&1)
	bad=""
	for opt in $(echo "$line" | grep -o -- '--[a-z-]*'); do
		echo "$help" | grep -q -- "$opt\b" || bad="$bad $opt"
	done
	[ -z "$bad" ] && ok "$u.service: every ExecStart option is in $prog --help" || fail "$u.service: unknown options:$bad"
done
grep -q '^ReadWritePaths=/var/lib/rtcstats-proxy' "$U/rtcstats-proxy.service" &&
	grep -q '^LimitNOFILE=' "$U/rtcstats-proxy.service" &&
	grep -q '^spool-dir = /var/lib/rtcstats-proxy' "$U/proxy.conf.example" &&
	ok "proxy unit: the spool writable, LimitNOFILE; the example config's spool-dir is that directory" ||
	fail "proxy unit spool / LimitNOFILE"
bad=""
for name in $(sed -n 's/^\([a-z0-9-]*\) *=.*/\1/p' "$U/proxy.conf.example"); do
	"$BIN/rtcstats-proxy" --help | grep -q -- "--$name[=[]" || bad="$bad $name"
done
[ -z "$bad" ] && ok "proxy.conf.example: every name is a proxy option" || fail "proxy.conf.example: unknown:$bad"
# the proxy starts with the example file (flags override what cannot work here)
mkdir -p "$T/spool0" "$T/store0"
if proxy_start 18088 --config "$U/proxy.conf.example" --dsn '' --spool-dir "$T/spool0" \
	--storage-url "file://$T/store0" --trusted-proxies 127.0.0.1; then
	ok "rtcstats-proxy starts with proxy.conf.example"
else
	fail "rtcstats-proxy --config proxy.conf.example"
fi
proxy_stop 18088 >/dev/null

# --- make install
if make -s install DESTDIR="$T/root" PREFIX=/usr/local >"$T/install.log" 2>&1; then
	missing=""
	for f in "/usr/local/bin/rtcstats-proxy" "/usr/local/bin/rtcstats-worker" "/usr/local/bin/rtcstats-features" \
		"$(pg_config --pkglibdir)/rtcstats.so" "$(pg_config --sharedir)/extension/rtcstats.control" \
		"$(pg_config --sharedir)/extension/rtcstats--0.1.0.sql"; do
		[ -e "$T/root$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && ok "make install DESTDIR: programs in PREFIX/bin, the extension in pg_config's directories" ||
		{ fail "make install: missing$missing"; find "$T/root" -type f | head -20; }
else
	fail "make install DESTDIR"; tail -n 20 "$T/install.log"
fi

# --- the documented token
block=$(awk '/<!-- test: 08-install mint-token -->/ {f=1; next} f && /^```/ {if (in_b) exit; in_b=1; next} in_b {print}' docs/connecting.md)
[ -n "$block" ] || { fail "docs/connecting.md has no mint-token block"; finish; }
mint() { SECRET=$1 bash -c "set -e; $block"'
printf %s "$TOKEN"'; }
good=$(mint 'the-proxys-secret') && bad=$(mint 'another-secret') && [ -n "$good" ] &&
	ok "the documented commands mint a token (${#good} characters)" || { fail "mint-token block"; finish; }
mkdir -p "$T/spool" "$T/store"
proxy_start 18088 --spool-dir "$T/spool" --storage-url "file://$T/store" --jwt-secret 'the-proxys-secret' ||
	{ fail "proxy with --jwt-secret"; finish; }
objects() { find "$T/store" -name '*.gz' | wc -l; }
"$BIN/rtcstats-replay" --fast "ws://127.0.0.1:18088/app?rtcstats-token=$good" test/corpus/dumps/av-call.rtcstats >"$T/good.out" 2>&1
wait_for 20 '[ "$(objects)" -eq 1 ]' && ok "the proxy accepts the minted token (the dump is stored)" ||
	{ fail "minted token refused"; cat "$T/good.out"; tail -n 5 "$(proxy_log 18088)"; }
"$BIN/rtcstats-replay" --fast "ws://127.0.0.1:18088/app?rtcstats-token=$bad" test/corpus/dumps/av-call.rtcstats >"$T/bad.out" 2>&1
sleep 1
[ "$(objects)" -eq 1 ] && grep -q 1008 "$T/bad.out" && ok "a token of another secret is refused (1008), nothing stored" ||
	{ fail "token of another secret"; cat "$T/bad.out"; }
proxy_stop 18088 >/dev/null
finish
