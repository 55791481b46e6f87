# JSON comparisons for the e2e suites, in perl with the core module JSON::PP
# (no jq on a fresh machine).
#
#   json_field FILE|- KEY...       print a field (keys and array indexes); objects as JSON
#   jsonl_canonical FILE           every line re-serialized canonically (sorted keys),
#                                  so two dumps compare JSON-equal line by line with diff
#   address_values FILE            the distinct values of address-derived keys in a
#                                  features document, one per line
#   features_compare GOT WANT [DURATION_SHIFT [MAP]]
#       Compares two features documents key by key (section 5 of the dump format:
#       numbers with relative tolerance 1e-9; a missing, extra or different key is a
#       difference) and prints each difference.  Allowed, and printed as "allowed":
#       - address-derived values (a key ending in "Address", or "ip"/"publicIP"),
#         when GOT is WANT obfuscated: MAP is a file of "want<TAB>obfuscated" lines
#         (the suites fill it with the extension's rtcstats_obfuscate_address, the
#         anonymizer the proxy runs); without MAP, spec section 7's rule (a.b.c.x,
#         an IPv6 /48 followed by :x:x:x:x:x).  The proxy anonymizes every dump, so
#         an address the expected output saw in clear (av-call.raw) comes out
#         obfuscated, and upstream's own obfuscated forms are obfuscated again;
#       - the client's top-level "duration" when it equals WANT + DURATION_SHIFT: the
#         duration runs to the server's close line, whose time delta belongs to the
#         replay, not to the recording.
#       Exit 0 when only allowed differences remain.

json_field() {	# file key...
	perl -MJSON::PP -e '
		local $/; my $f = shift @ARGV; my $t;
		if ($f eq "-") { $t = <STDIN> } else { open(my $h, "<", $f) or die "$f: $!"; $t = <$h> }
		my $v = JSON::PP->new->allow_nonref->decode($t);
		for my $k (@ARGV) { $v = ref $v eq "ARRAY" ? $v->[$k] : ref $v eq "HASH" ? $v->{$k} : undef }
		if (!defined $v) { print "null\n" }
		elsif (ref $v eq "HASH" || ref $v eq "ARRAY" || JSON::PP::is_bool($v)) {
			print JSON::PP->new->canonical->allow_nonref->encode($v), "\n" }
		else { print "$v\n" }' "$@"
}

jsonl_canonical() {	# file
	perl -MJSON::PP -ne '
		BEGIN { $j = JSON::PP->new->canonical->allow_nonref; }
		chomp; s/\r$//; next if $_ eq "";
		my $v = eval { $j->decode($_) };
		print defined $v || $@ eq "" ? $j->encode($v) : "NOT-JSON: $_", "\n";' "$1"
}

address_values() {	# file
	perl -MJSON::PP -e '
		local $/; open(my $h, "<", $ARGV[0]) or die; my $v = JSON::PP->new->allow_nonref->decode(<$h>);
		my %seen;
		sub walk { my ($k, $v) = @_;
			if (ref $v eq "HASH") { walk($_, $v->{$_}) for keys %$v }
			elsif (ref $v eq "ARRAY") { walk($k, $_) for @$v }
			elsif (defined $v && $k =~ /(Address|^ip|publicIP)$/) { $seen{$v} = 1 } }
		walk("", $v); print "$_\n" for sort keys %seen;' "$1"
}

features_compare() {	# got want [duration_shift [map]]
	perl -MJSON::PP -e '
		my ($gf, $wf, $shift, $mapf) = @ARGV;
		my %map;
		if (defined $mapf && length $mapf) {
			open(my $m, "<", $mapf) or die "$mapf: $!";
			while (<$m>) { chomp; my ($a, $b) = split /\t/, $_, 2; $map{$a} = $b if defined $b }
		}
		sub slurp { local $/; open(my $h, "<", $_[0]) or die "$_[0]: $!"; my $t = <$h>; JSON::PP->new->allow_nonref->decode($t) }
		my ($g, $w) = (slurp($gf), slurp($wf));
		my ($bad, $allowed) = (0, 0);
		sub isnum { my $v = shift; defined $v && !ref $v && $v =~ /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/ }
		sub numeq { my ($a, $b) = @_; return 1 if $a == $b; my $m = abs($a) > abs($b) ? abs($a) : abs($b); abs($a - $b) <= 1e-9 * $m }
		sub show { my $v = shift; defined $v ? JSON::PP->new->allow_nonref->canonical->encode($v) : "(absent)" }
		sub obf {
			my $a = shift; return $a unless defined $a && !ref $a;
			return $map{$a} if %map && exists $map{$a};
			return "$1.x" if $a =~ /^(\d+\.\d+\.\d+)\.\d+$/ && $a ne "127.0.0.1" && $a ne "0.0.0.0";
			if ($a =~ /:/ && $a =~ /^[0-9a-fA-F:]+$/ && $a ne "::1") {
				my ($l, $r) = split /::/, $a, 2; my @l = length $l ? split(/:/, $l) : ();
				my @r = defined $r && length $r ? split(/:/, $r) : ();
				my @all = defined $r ? (@l, ("0") x (8 - @l - @r), @r) : @l;
				return join(":", map { sprintf "%x", hex } @all[0..2]) . ":x:x:x:x:x" if @all == 8;
			}
			return $a;
		}
		sub diff {
			my ($path, $key, $a, $b) = @_;
			if ($key =~ /(Address|^ip|publicIP)$/ && !ref $a && !ref $b && defined $a && defined $b &&
				($a eq $b || $a eq obf($b))) {
				if ($a ne $b) { $allowed++; print "  allowed $path: address obfuscated (got ", show($a), ", want ", show($b), ")\n" }
				return;
			}
			if ($path eq ".duration" && defined $shift && isnum($a) && isnum($b) && numeq($a, $b + $shift)) {
				if (!numeq($a, $b)) { $allowed++; print "  allowed $path: close-line delta of the replay (got $a, want $b, shift $shift)\n" }
				return;
			}
			if (isnum($a) && isnum($b)) { return if numeq($a, $b) }
			elsif (ref $a eq "HASH" && ref $b eq "HASH") {
				my %k = map { $_ => 1 } (keys %$a, keys %$b);
				for my $k (sort keys %k) {
					if (!exists $a->{$k}) { $bad++; print "  $path.$k: missing key (want ", show($b->{$k}), ")\n"; next }
					if (!exists $b->{$k}) { $bad++; print "  $path.$k: extra key (got ", show($a->{$k}), ")\n"; next }
					diff("$path.$k", $k, $a->{$k}, $b->{$k});
				}
				return;
			}
			elsif (ref $a eq "ARRAY" && ref $b eq "ARRAY") {
				if (@$a != @$b) { $bad++; print "  $path: length ", scalar @$a, ", want ", scalar @$b, "\n" }
				my $n = @$a < @$b ? @$a : @$b;
				diff("$path\[$_]", $key, $a->[$_], $b->[$_]) for 0 .. $n - 1;
				return;
			}
			else { return if show($a) eq show($b) }
			$bad++; print "  $path: got ", show($a), ", want ", show($b), "\n";
		}
		diff("", "", $g, $w);
		print "  $allowed allowed difference(s)\n" if $allowed && !$bad;
		exit($bad ? 1 : 0);' "$@"
}
