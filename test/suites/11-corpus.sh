#!/usr/bin/env bash
# The corpus contract: rtcstats-features on every recorded dump gives
# upstream's features key by key (numbers within 1e-9 relative), for the
# Chromium dumps (test/corpus/dumps) and the Firefox ones (test/corpus/firefox).
# Also checks gzip input and chunked stdin give the same result.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN="$BUILD/bin"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
# Chromium dumps in test/corpus/, Firefox dumps in test/corpus/firefox/
compared=0
for dump in test/corpus/dumps/* test/corpus/firefox/dumps/*; do
	name=$(basename "$dump"); name=${name%.rtcstats}; name=${name%.json.gz}
	want=$(dirname "$(dirname "$dump")")/expected/$name.features.json
	[ -f "$want" ] || continue
	compared=$((compared + 1))
	case "$dump" in */firefox/*) name=firefox-$name ;; esac
	if ! "$BIN/rtcstats-features" "$dump" > "$tmp/$name.json" 2> "$tmp/$name.err"; then
		echo "FAIL $name: rtcstats-features failed: $(cat "$tmp/$name.err")"; failed=$((failed + 1)); continue
	fi
	if "$BUILD/test/json-compare" "$tmp/$name.json" "$want" > "$tmp/$name.diff"; then
		passed=$((passed + 1))
	else
		echo "FAIL $name: differs from $want:"; cat "$tmp/$name.diff"; failed=$((failed + 1))
	fi
	# the same dump gzipped, through stdin
	case "$dump" in *.gz) continue ;; esac
	gzip -c "$dump" | "$BIN/rtcstats-features" - > "$tmp/$name.gz.json" 2>&1
	if cmp -s "$tmp/$name.json" "$tmp/$name.gz.json"; then passed=$((passed + 1)); else
		echo "FAIL $name: gzip input gives different output"; failed=$((failed + 1)); fi
done
# every Firefox dump was compared (a missing folder must not pass silently)
if [ "$(ls test/corpus/firefox/dumps | wc -l)" -ge 3 ] && [ "$compared" -ge 15 ]; then
	passed=$((passed + 1)); else echo "FAIL: only $compared dumps compared"; failed=$((failed + 1)); fi
# several files: one object per line, in order
if [ "$("$BIN/rtcstats-features" test/corpus/dumps/gumonly.rtcstats test/corpus/dumps/av-call.rtcstats | wc -l)" = 2 ]; then
	passed=$((passed + 1)); else echo "FAIL: two files must give two lines"; failed=$((failed + 1)); fi
# the analysis of the same pass, through the CLI: a failed call says so, a
# healthy one has no warning or error, and the output has its four parts
check_summary() {
	if "$BIN/rtcstats-features" --summary "test/corpus/dumps/$1.rtcstats" | grep -q "$2"; then
		passed=$((passed + 1)); else echo "FAIL $1: summary does not say '$2'"; failed=$((failed + 1)); fi
}
check_summary ice-failure "never connected: ICE failed"
check_summary av-call "No problems were detected"
check_summary renegotiation "limited by bandwidth"
a=$("$BIN/rtcstats-features" --analysis test/corpus/dumps/av-call.rtcstats)
if perl -MJSON::PP -e '$a = decode_json($ARGV[0]); exit !(exists $a->{timeseries} && exists $a->{scores}
	&& exists $a->{summary} && !grep { $_->{severity} ne "info" } @{$a->{observations}})
	&& join(",", @{$a->{connections}}) eq "PC_0,PC_1"' "$a"; then
	passed=$((passed + 1)); else echo "FAIL av-call --analysis: missing parts or a warning"; failed=$((failed + 1)); fi
# Firefox (no mediaSourceId): every outbound stream bound to its track by
# kind and mid rank, with its series, and the same kinds of observations as
# Chromium's av-call (none but info); the track ids are upstream's outbound ones;
# per connection, send/receive bitrate (Firefox: from the selected pair's bytes)
check_outbound() {	# dir name kinds
	local an feat
	an=$("$BIN/rtcstats-features" --analysis "test/corpus/$1/$2.rtcstats")
	feat=$("$BIN/rtcstats-features" "test/corpus/$1/$2.rtcstats")
	if perl -MJSON::PP -e '
		my ($a, $f, $kinds, $c) = (decode_json($ARGV[0]), decode_json($ARGV[1]), $ARGV[2], decode_json($ARGV[3]));
		my (@got, @want);
		for my $pc (@{$a->{connections}}) {
			exit 1 unless @{$a->{timeseries}{$pc}{series}{sendBitrate} || []}
				&& @{$a->{timeseries}{$pc}{series}{receiveBitrate} || []};
			for my $t (grep { $_->{direction} eq "outbound" } @{$a->{timeseries}{$pc}{tracks}}) {
				my $s = $t->{series};
				exit 1 unless @{$s->{bitrate} || []} && @{$s->{remoteRoundTripTime} || []}
					&& @{$s->{remoteFractionLost} || []};
				exit 1 if $t->{kind} eq "video" && !(@{$s->{framesPerSecond} || []} && @{$s->{frameHeight} || []});
				push @got, "$t->{kind}:$t->{track}";
			}
		}
		for my $pc (ref $f->{peerConnections} eq "HASH" ? values %{$f->{peerConnections}} : @{$f->{peerConnections}}) {
			push @want, map { "$_->{kind}:$_->{trackIdentifier}" } grep { $_->{direction} eq "outbound" } @{$pc->{tracks}};
		}
		my %k = map { (split /:/)[0] => 1 } @got;
		exit 1 unless join(",", sort keys %k) eq $kinds && join(" ", sort @got) eq join(" ", sort @want);
		my $types = sub { join ",", sort map { "$_->{type}:$_->{severity}" } @{$_[0]{observations}} };
		exit 1 unless $types->($a) eq $types->($c) && !grep { $_->{severity} ne "info" } @{$a->{observations}};
	' "$an" "$feat" "$3" "$a"; then passed=$((passed + 1)); else
		echo "FAIL $1/$2 --analysis: outbound streams unbound, without series, or other observations"; failed=$((failed + 1)); fi
}
check_outbound dumps av-call audio,video
check_outbound firefox/dumps av-call audio,video
check_outbound firefox/dumps audio-only audio
# --html: one page per call (the page itself is tested in core/test/test_report.c)
h=$("$BIN/rtcstats-features" --html test/corpus/dumps/ice-failure.rtcstats)
if [[ "$h" == "<!DOCTYPE html>"* && "$h" == *"<tr class=\"error\"><td>error</td><td>connectivity</td><td>ice_failure</td>"* && "$h" == *"</html>" ]]; then
	passed=$((passed + 1)); else echo "FAIL ice-failure --html: no page with the ICE failure"; failed=$((failed + 1)); fi
"$BIN/rtcstats-features" --html test/corpus/dumps/av-call.rtcstats test/corpus/dumps/ice-failure.rtcstats >/dev/null 2>&1
if [ $? -eq 2 ]; then passed=$((passed + 1)); else echo "FAIL --html with two files is not a usage error"; failed=$((failed + 1)); fi
echo "corpus: $passed passed, $failed failed"
[ $failed -eq 0 ]
