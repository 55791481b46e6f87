#!/usr/bin/env bash
# META.json is valid PGXN metadata and agrees with the one version
# (EXTVERSION in the Makefile), the install script and the control file;
# the upgrade scripts lead to that version.
set -u
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
perl -MJSON::PP -e '
	my ($file, $version) = @ARGV;
	open my $fh, "<", $file or die "cannot open $file\n";
	my $m = eval { JSON::PP->new->decode(do { local $/; <$fh> }) } or die "META.json is not valid JSON: $@";
	my @errors;
	for my $k (qw(name abstract version maintainer license provides meta-spec)) {
		push @errors, "missing $k" unless exists $m->{$k};
	}
	push @errors, "version $m->{version} is not EXTVERSION $version" unless $m->{version} eq $version;
	my $p = $m->{provides}{rtcstats} or push @errors, "provides.rtcstats missing";
	push @errors, "provides.rtcstats.version is not $version" if $p && $p->{version} ne $version;
	push @errors, "provides.rtcstats.file $p->{file} does not exist" if $p && $p->{file} && !-e $p->{file};
	push @errors, "meta-spec version must be 1.0.0" unless $m->{"meta-spec"}{version} eq "1.0.0";
	push @errors, "release_status must be stable, testing or unstable"
		unless ($m->{release_status} // "stable") =~ /^(stable|testing|unstable)$/;
	print "META.json: $_\n" for @errors;
	exit(@errors ? 1 : 0);
' META.json "$version" || { echo "meta: 0 passed, 1 failed"; exit 1; }
if [ -f extension/rtcstats.control.in ] && ! grep -q "EXTVERSION\|$version" extension/rtcstats.control.in; then
	echo "extension/rtcstats.control.in does not take its version from EXTVERSION"; echo "meta: 0 passed, 1 failed"; exit 1
fi
# Upgrade scripts (extension/sql/upgrades/README.md): rtcstats--A--B.sql,
# and every version a script starts from reaches EXTVERSION through them.
perl -e '
	my ($version, @files) = @ARGV;
	my (%next, @errors);
	for my $f (@files) {
		my ($from, $to) = $f =~ m{/rtcstats--([0-9][0-9A-Za-z._-]*)--([0-9][0-9A-Za-z._-]*)\.sql$}
			or do { push @errors, "$f: not named rtcstats--OLD--NEW.sql"; next };
		push @{$next{$from}}, $to;
	}
	for my $from (sort keys %next) {
		my %seen;
		my @todo = ($from);
		while (defined(my $v = shift @todo)) {
			next if $seen{$v}++;
			push @todo, @{$next{$v} // []};
		}
		push @errors, "no upgrade path from $from to $version" unless $seen{$version};
	}
	print "upgrades: $_\n" for @errors;
	exit(@errors ? 1 : 0);
' "$version" $(ls extension/sql/upgrades/*.sql 2>/dev/null) || { echo "meta: 1 passed, 1 failed"; exit 1; }
echo "meta: 2 passed, 0 failed"
