#!/usr/bin/env bash
# Installs the Debian packages rtcstats-pg builds and tests with, only those
# missing (so a second run costs a dpkg query).  Debian 12: PostgreSQL 15.
# Extra packages may be given as arguments.
set -eu
packages=(
	build-essential pkg-config
	libjson-c-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libwebsockets-dev libev-dev
	libpq-dev postgresql-15 postgresql-server-dev-15 postgresql-15-cron
	clang libclang-rt-14-dev valgrind strace python3 python3-yaml
	nodejs npm curl ca-certificates procps openssl iproute2
	"$@"
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from elsewhere (e.g. a machine image): having the command is enough
if command -v npm >/dev/null 2>&1; then
	keep=(); for p in "${missing[@]}"; do case "$p" in nodejs|npm) ;; *) keep+=("$p") ;; esac; done
	missing=("${keep[@]}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "apt-get update"
$sudo apt-get -o Acquire::Retries=3 update -qq
echo "apt-get install (${#missing[@]} packages; this takes a few minutes on a fresh machine)"
$sudo apt-get -o Acquire::Retries=3 install -y -q --no-install-recommends "${missing[@]}" | grep -E "^(Setting up|Unpacking) " | sed "s/^/  /" || true
# grep hides apt's chatter; a failed install is still caught here
for p in "${missing[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || { echo "install-deps: $p did not install" >&2; exit 1; }
done
