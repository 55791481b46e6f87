#!/usr/bin/env bash
# rtcstats-anonymize: the raw corpus dump gives upstream's anonymized dump
# (JSON-equal line by line, numbers exact; our deliberate IPv6 form, spec
# section 7, is what the expected file holds), from plain, gzip and stdin
# input; no original address survives; the features stay the same but for the
# addresses; webrtc-internals documents too; bad input and usage errors give
# "file:line: reason" and the documented exit status, and leave no OUT.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
ANON="$BUILD/bin/rtcstats-anonymize"
RAW=test/corpus/dumps/av-call.raw.rtcstats
WANT=test/corpus/expected/av-call.raw.anonymized.rtcstats
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# JSON-equal line by line (numbers exact, key order free); prints the first differences
json_lines_equal() {
	perl -MJSON::PP -e '
		my $js = JSON::PP->new->canonical->allow_nonref;
		open(my $a, "<", $ARGV[0]) or die; open(my $b, "<", $ARGV[1]) or die;
		my @a = <$a>; my @b = <$b>; my $bad = 0;
		if (@a != @b) { print "  line count: got ", scalar @a, ", want ", scalar @b, "\n"; $bad++ }
		for my $i (0 .. $#b) {
			my ($x, $y) = ($a[$i] // "", $b[$i]); chomp $x; chomp $y;
			next if $x eq $y;
			my ($px, $py) = eval { ($js->decode($x), $js->decode($y)) };
			next if defined $px && defined $py && $js->encode($px) eq $js->encode($py);
			print "  line ", $i + 1, " differs:\n    got  ", substr($x, 0, 200), "\n    want ", substr($y, 0, 200), "\n";
			last if ++$bad > 5;
		}
		exit($bad ? 1 : 0);' "$1" "$2"
}

# 1. the corpus: plain file to file
if "$ANON" "$RAW" "$tmp/out.rtcstats" 2> "$tmp/err"; then ok; else fail "anonymize $RAW: $(cat "$tmp/err")"; fi
if json_lines_equal "$tmp/out.rtcstats" "$WANT"; then ok; else fail "output differs from $WANT"; fi
# Upstream wrote fd00::2x:x:x:x:x:x (the whole address); section 7 deliberately
# writes fd00:0:0:x:x:x:x:x, and the expected file holds that form: say so.
if grep -q 'fd00:0:0:x:x:x:x:x' "$WANT" && ! grep -q 'fd00::2x' "$WANT" "$tmp/out.rtcstats"; then ok; else
	fail "the deliberate IPv6 difference is not exactly fd00::2 -> fd00:0:0:x:x:x:x:x"; fi
# none of the recording machine's addresses survives (they are in the raw dump)
if grep -q '192\.0\.2\.2' "$RAW" && grep -q 'fd00::2' "$RAW" &&
	! grep -q -e '192\.0\.2\.2' -e 'fd00::2' "$tmp/out.rtcstats"; then ok; else
	fail "an original address survives in the output"; fi
# every line ends with a newline, the last too
if [ "$(tail -c 1 "$tmp/out.rtcstats" | od -An -c | tr -d ' ')" = '\n' ]; then ok; else fail "output does not end with a newline"; fi

# 2. gzip input, stdin to stdout, chunked through a pipe: the same bytes
gzip -c "$RAW" > "$tmp/raw.gz"
if "$ANON" "$tmp/raw.gz" "$tmp/gz.out" && cmp -s "$tmp/gz.out" "$tmp/out.rtcstats"; then ok; else fail "gzip input gives a different output"; fi
if cat "$RAW" | "$ANON" - - > "$tmp/pipe.out" && cmp -s "$tmp/pipe.out" "$tmp/out.rtcstats"; then ok; else fail "stdin/stdout gives a different output"; fi
if gzip -c "$RAW" | "$ANON" - - > "$tmp/pipe-gz.out" && cmp -s "$tmp/pipe-gz.out" "$tmp/out.rtcstats"; then ok; else fail "gzip on stdin gives a different output"; fi
# idempotent: anonymizing the output changes nothing
if "$ANON" "$tmp/out.rtcstats" - | cmp -s - "$tmp/out.rtcstats"; then ok; else fail "anonymizing twice changes the output"; fi
# a device as OUT (no temporary file beside /dev/null)
if "$ANON" "$RAW" /dev/null; then ok; else fail "OUT=/dev/null fails"; fi

# 3. every corpus dump in format 3 anonymizes (the already obfuscated ones too)
for dump in test/corpus/dumps/*.rtcstats; do
	if "$ANON" "$dump" "$tmp/c.out" 2> "$tmp/err" && [ "$(head -1 "$tmp/c.out")" = RTCStatsDump ] &&
		! grep -Eq '(^|[^0-9])192\.0\.2\.2([^0-9]|$)' "$tmp/c.out"; then ok; else
		fail "$dump: $(cat "$tmp/err")"; fi
done

# 3b. what the extractor sees is unchanged but for the addresses themselves
"$BUILD/bin/rtcstats-features" "$tmp/out.rtcstats" > "$tmp/out.features.json" 2>&1
"$BUILD/test/json-compare" "$tmp/out.features.json" test/corpus/expected/av-call.raw.features.json > "$tmp/fdiff"
if [ -s "$tmp/fdiff" ] && ! grep -v 'Address: different string' "$tmp/fdiff" | grep -q .; then ok; else
	fail "features of the anonymized dump differ beyond the address features:"; cat "$tmp/fdiff"; fi

# 3c. a webrtc-internals document: anonymized as one JSON document, same features
if "$ANON" test/corpus/dumps/internals-gumonly.json.gz "$tmp/int.json" 2> "$tmp/err" &&
	"$BUILD/bin/rtcstats-features" "$tmp/int.json" > "$tmp/int.features.json" &&
	"$BUILD/test/json-compare" "$tmp/int.features.json" test/corpus/expected/internals-gumonly.features.json > /dev/null
then ok; else fail "internals-gumonly: $(cat "$tmp/err")"; fi
printf '{"PeerConnections":{"1":{"updateLog":[{"type":"icecandidate","value":"candidate: candidate:1 1 udp 5 192.0.2.2 9 typ host"}],"stats":{"c-address":{"values":"[\\"fd00::2\\"]"}}}}}\n' > "$tmp/int2.json"
if "$ANON" "$tmp/int2.json" - > "$tmp/int2.out" 2> "$tmp/err" && grep -q '192.0.2.x 9 typ host' "$tmp/int2.out" &&
	grep -q 'fd00:0:0:x:x:x:x:x' "$tmp/int2.out" && ! grep -q -e '192\.0\.2\.2' -e 'fd00::2' "$tmp/int2.out"
then ok; else fail "internals addresses: $(cat "$tmp/err" "$tmp/int2.out")"; fi

# 4. bad input: exit 1, "file:line: reason", no OUT left behind
bad() {	# name, content (printf format), expected message
	printf "$2" > "$tmp/$1"
	rm -f "$tmp/bad.out"
	"$ANON" "$tmp/$1" "$tmp/bad.out" 2> "$tmp/err"; rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$3" "$tmp/err" && [ ! -e "$tmp/bad.out" ] &&
		[ -z "$(ls "$tmp" | grep 'bad.out.tmp-')" ]; then ok; else
		fail "$1: exit $rc, message '$(cat "$tmp/err")', want exit 1 and '$3', no OUT"; fi
}
bad empty.rtcstats '' "empty.rtcstats: the dump is empty"
bad first.rtcstats 'hello\n{}\n' "first.rtcstats:1: not an rtcstats dump"
bad nojson.rtcstats 'RTCStatsDump\n{}\n["publicIP",null,"203.0.113.7",1]\nnot json\n' "nojson.rtcstats:4: line is not valid JSON"
bad notarray.rtcstats 'RTCStatsDump\n{}\n{"a":1}\n' "notarray.rtcstats:3: line is not a JSON array"
bad meta.rtcstats 'RTCStatsDump\n[1]\n' "meta.rtcstats:2: metadata line is not a JSON object"
bad utf8.rtcstats 'RTCStatsDump\n{}\n["publicIP",null,"\xff",1]\n' "utf8.rtcstats:3: line is not valid JSON"
bad internals.json '{"PeerConnections":{}\n' "internals.json: webrtc-internals dump is not a valid JSON object"
head -c 2000 "$tmp/raw.gz" > "$tmp/trunc.gz"
rm -f "$tmp/bad.out"
"$ANON" "$tmp/trunc.gz" "$tmp/bad.out" 2> "$tmp/err"; rc=$?
if [ $rc -eq 1 ] && grep -q '^.*trunc.gz' "$tmp/err" && [ ! -e "$tmp/bad.out" ]; then ok; else
	fail "truncated gzip: exit $rc, '$(cat "$tmp/err")'"; fi
# nesting 100,000 deep: an error, not a crash
{ printf 'RTCStatsDump\n{}\n'; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } > "$tmp/deep.rtcstats"
"$ANON" "$tmp/deep.rtcstats" - > /dev/null 2> "$tmp/err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'deep.rtcstats:3:' "$tmp/err"; then ok; else fail "deep nesting: exit $rc, '$(cat "$tmp/err")'"; fi
# a line over --max-line-bytes
"$ANON" --max-line-bytes 1000 "$RAW" - > /dev/null 2> "$tmp/err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'av-call.raw.rtcstats:[0-9]*: ' "$tmp/err"; then ok; else fail "--max-line-bytes: exit $rc, '$(cat "$tmp/err")'"; fi
# --skip-bad-lines: bad lines dropped (never copied), a warning, exit 0
printf 'RTCStatsDump\n{}\nnot json 203.0.113.7\n["publicIP",null,"203.0.113.7",1]\n' > "$tmp/skip.rtcstats"
if "$ANON" --skip-bad-lines "$tmp/skip.rtcstats" "$tmp/skip.out" 2> "$tmp/err" &&
	grep -q 'dropped 1 bad lines' "$tmp/err" && ! grep -q '203.0.113.7' "$tmp/skip.out" &&
	[ "$(wc -l < "$tmp/skip.out")" = 3 ]; then ok; else fail "--skip-bad-lines: '$(cat "$tmp/err")'"; fi
# an unreadable input file
"$ANON" "$tmp/does-not-exist" - > /dev/null 2> "$tmp/err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'does-not-exist: No such file' "$tmp/err"; then ok; else fail "missing input: exit $rc"; fi

# 5. usage
"$ANON" > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "no arguments must exit 2"
"$ANON" a b c > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "three arguments must exit 2"
"$ANON" --bogus a b > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "an unknown option must exit 2"
"$ANON" --max-line-bytes x a b > /dev/null 2>&1; [ $? -eq 2 ] && ok || fail "a bad --max-line-bytes must exit 2"
if "$ANON" --help | grep -q 'SYNOPSIS' && "$ANON" --help | grep -q 'EXIT STATUS'; then ok; else fail "--help"; fi

echo "anonymize: $passed passed, $failed failed"
[ $failed -eq 0 ]
