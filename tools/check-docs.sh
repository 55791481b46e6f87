#!/usr/bin/env bash
# Checks that the documentation cannot drift from the code:
#   - every GUC the extension defines (DefineCustom*Variable in extension/src/*.c)
#     is named in docs/configuration.md;
#   - every long option a program prints in --help is named in its reference page
#     (as --name, or as `name` in backquotes, e.g. a table of options):
#       rtcstats-proxy   docs/proxy.md or docs/configuration.md
#       rtcstats-worker  docs/sql.md or docs/cli.md
#       rtcstats-replay  docs/replay.md or docs/cli.md
#       rtcstats-features, rtcstats-anonymize  docs/cli.md
#   - the README's first screen shows exactly the two commands `make demo` and `make test`;
#   - every relative link of README.md and docs/*.md ([text](path), path#anchor)
#     and every `PATH.md` they name in backquotes (from the root or their folder)
#     is a file of the tree.
# Prints one line per problem and exits 1 if there is any, 0 otherwise.
#
# usage: tools/check-docs.sh [--root DIR] [--bin DIR]
#   --root DIR  tree to check (default: the repository holding this script)
#   --bin DIR   where the programs are (default: ROOT/build/bin, or $RTCSTATS_BIN)
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${RTCSTATS_BIN:-}"
while [ $# -gt 0 ]; do
	case "$1" in
	--root) root="$2"; shift 2 ;;
	--bin) bin="$2"; shift 2 ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "check-docs: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[ -n "$bin" ] || bin="$root/build/bin"
problems=0; checked=0

problem() { echo "check-docs: $*"; problems=$((problems + 1)); }

# Does FILE name WORD as a whole word ("--max-conn" does not match "--max-connections")?
names() {
	local word="$1" file="$2"
	[ -f "$file" ] && WORD="$word" perl -0777 -ne \
		'BEGIN { $w = quotemeta $ENV{WORD} } exit(/(?<![A-Za-z0-9_.-])$w(?![A-Za-z0-9_-])/ ? 0 : 1)' "$file"
}

# --- GUCs ---------------------------------------------------------------
shopt -s nullglob
csrc=("$root"/extension/src/*.c)
if [ ${#csrc[@]} -eq 0 ]; then
	echo "check-docs: skip GUCs: no extension/src/*.c in this tree"
else
	gucs=$(perl -0777 -ne 'print "$1\n" while /DefineCustom\w+Variable\s*\(\s*"([^"]+)"/g' "${csrc[@]}" | sort -u)
	[ -n "$gucs" ] || problem "no DefineCustom*Variable found in extension/src/*.c"
	for g in $gucs; do
		checked=$((checked + 1))
		names "$g" "$root/docs/configuration.md" || problem "GUC $g is not in docs/configuration.md"
	done
fi

# --- program options ----------------------------------------------------
# check_program NAME SOURCE-PATHS -- DOC-PATHS
check_program() {
	local prog="$1"; shift
	local sources=() docs=() have_source=0 help opts o found d
	while [ "$1" != "--" ]; do sources+=("$1"); shift; done; shift
	docs=("$@")
	for s in "${sources[@]}"; do [ -e "$root/$s" ] && have_source=1; done
	if [ ! -x "$bin/$prog" ]; then
		if [ $have_source -eq 1 ]; then
			problem "$prog: sources exist but $bin/$prog is not built (run make first)"
		else
			echo "check-docs: skip $prog: not in this tree"
		fi
		return
	fi
	if ! help=$("$bin/$prog" --help 2>&1); then
		problem "$prog --help exits non-zero"
	fi
	opts=$(printf '%s\n' "$help" | grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*' |
		sed 's/^[^-]*//' | grep -vxE -- '--(help|version)' | sort -u)
	[ -n "$opts" ] || problem "$prog --help lists no long option"
	for o in $opts; do
		checked=$((checked + 1)); found=0
		# "--name" anywhere, or "`name`" (a table of options by name, as for config files)
		for d in "${docs[@]}"; do
			{ names "$o" "$root/$d" || grep -qF -- "\`${o#--}\`" "$root/$d" 2>/dev/null; } && { found=1; break; }
		done
		[ $found -eq 1 ] || problem "$prog option $o is not in ${docs[*]}"
	done
}
check_program rtcstats-proxy proxy -- docs/proxy.md docs/configuration.md
check_program rtcstats-worker worker cli/rtcstats-worker.c -- docs/sql.md docs/cli.md
check_program rtcstats-replay replay cli/rtcstats-replay.c -- docs/replay.md docs/cli.md
check_program rtcstats-features cli/rtcstats-features.c -- docs/cli.md
check_program rtcstats-anonymize cli/rtcstats-anonymize.c -- docs/cli.md

# --- links ---------------------------------------------------------------
# A relative link resolves against the file's own folder; a backquoted
# PATH.md against the root or that folder.  URLs and same-page anchors are not files.
for md in "$root/README.md" "$root"/docs/*.md; do
	[ -f "$md" ] || continue
	# the format contract names files of upstream's repository, not of ours
	[ "${md##*/}" = dump-format.md ] && continue
	dir=$(dirname "$md")
	while IFS= read -r target; do
		checked=$((checked + 1))
		[ -e "$dir/$target" ] || problem "${md#$root/}: link to $target, which does not exist"
	done < <(perl -ne 'while (/\]\(([^)\s#]+)(?:#[^)]*)?\)/g) { print "$1\n" unless $1 =~ m{^[a-z]+:} }' "$md")
	while IFS= read -r target; do
		checked=$((checked + 1))
		[ -e "$root/$target" ] || [ -e "$dir/$target" ] ||
			problem "${md#$root/}: names $target, which does not exist"
	done < <(perl -ne 'while (/`([A-Za-z0-9_.\/-]+\.md)`/g) { print "$1\n" }' "$md")
done

# --- README first screen ------------------------------------------------
# The first screen (40 lines) holds one code block whose commands are exactly
# `make demo` and `make test`, in that order (comments after # allowed).
readme="$root/README.md"
if [ ! -f "$readme" ]; then
	problem "README.md is missing"
else
	checked=$((checked + 1))
	cmds=$(head -n 40 "$readme" | awk '/^```/ { if (inblock) exit; inblock = 1; next }
		inblock && NF { sub(/[ \t]*#.*/, ""); print }')
	[ "$cmds" = "$(printf 'make demo\nmake test')" ] ||
		problem "README.md: the first code block of the first screen must hold exactly 'make demo' and 'make test', found: $(echo $cmds)"
fi

if [ $problems -gt 0 ]; then
	echo "check-docs: $problems problem(s) ($checked names checked)"
	exit 1
fi
echo "check-docs: ok ($checked names checked)"
