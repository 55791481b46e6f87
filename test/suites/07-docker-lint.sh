#!/usr/bin/env bash
# docker/ kept correct by construction, without a Docker engine:
#  - docker-compose.yml parses; its services, builds, dependencies and volumes hold together;
#    every RTCSTATS_PROXY_* variable is a real rtcstats-proxy option, every RTCSTATS_* of the
#    postgres service becomes a real rtcstats.* GUC, flags given to programs exist, storage
#    URLs, bucket, credentials and database name agree between services;
#  - every Dockerfile instruction is known, every COPY source exists in the build context
#    (and is not .dockerignored), every COPY --from names an earlier stage, base images are
#    Debian 12 ones, build stages run only tools/install-deps.sh and make targets that exist;
#  - the build stages' RUN steps are then run, as they are, outside Docker in a copy of the
#    build context (tar with .dockerignore), and their outputs checked: the programs, the
#    installed extension under DESTDIR, runtime package lists of real Debian packages;
#  - the initdb script writes only real GUCs.
set -u
cd "$(dirname "$0")/../.."
repo=$(pwd)
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d /tmp/rtcstats-07-docker.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bin="${RTCSTATS_BIN:-build/bin}"

# python3 with PyYAML parses the compose file (Debian: python3-yaml).
if ! python3 -c 'import yaml' 2>/dev/null; then
	bash tools/install-deps.sh python3 python3-yaml >/dev/null || true
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
	ko "python3 with PyYAML (python3-yaml) is not available"
	echo "07-docker-lint: $pass passed, $fail failed"; exit 1
fi
for p in rtcstats-proxy rtcstats-worker; do
	if [ -x "$bin/$p" ]; then "$bin/$p" --help >"$tmp/$p.help" 2>&1 || true
	else : >"$tmp/$p.help"; fi
done
perl -0777 -ne 'print "$1\n" while /DefineCustom\w+Variable\s*\(\s*"([^"]+)"/g' extension/src/*.c \
	>"$tmp/gucs" 2>/dev/null

# --- static checks (python) -------------------------------------------------------------
# Prints "ok ..."/"FAIL ..." lines, and writes the build stages' RUN steps to
# $tmp/<Dockerfile>.run (one step per NUL-terminated record).
cat >"$tmp/static.py" <<'PY'
import json, os, re, shlex, sys, fnmatch
import yaml

repo, tmp, binp, outdir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def ok(m): print("ok   " + m)
def ko(m): print("FAIL " + m)
def check(cond, m, why=""):
    (ok if cond else ko)(m + ("" if cond or not why else ": " + why))

def options(prog):
    try:
        text = open(os.path.join(tmp, prog + ".help")).read()
    except OSError:
        return None
    opts = set(re.findall(r"(?<![A-Za-z0-9-])--([a-z][a-z0-9-]*)", text))
    return opts or None

gucs = set(open(os.path.join(tmp, "gucs")).read().split())
proxy_opts, worker_opts = options("rtcstats-proxy"), options("rtcstats-worker")

# .dockerignore of the build context (the repository root)
ignore = []
if os.path.exists(os.path.join(repo, ".dockerignore")):
    ignore = [l.strip() for l in open(os.path.join(repo, ".dockerignore"))
              if l.strip() and not l.startswith("#")]
def ignored(path):
    path = os.path.normpath(path)
    parts = path.split("/")
    return any(fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(parts[0], pat) for pat in ignore)

# ---- Dockerfiles ----
KNOWN = {"FROM", "RUN", "COPY", "ADD", "WORKDIR", "ENV", "ARG", "USER", "EXPOSE", "VOLUME",
         "ENTRYPOINT", "CMD", "LABEL", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD"}
# Debian 12 images only (the steps are Debian 12's); "postgres:15" alone would follow Debian
BASES = {"debian:12", "debian:12-slim", "debian:bookworm", "debian:bookworm-slim",
         "postgres:15-bookworm"}
MAKE_TARGETS = {"all", "extension-install"}

def instructions(path):
    out, cur = [], ""
    for raw in open(path):
        line = raw.rstrip("\n")
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    if cur:
        out.append(("UNTERMINATED", cur))
    return out

dockerfiles = sorted(f for f in os.listdir(os.path.join(repo, "docker")) if f.startswith("Dockerfile"))
check(dockerfiles, "docker/ has Dockerfiles", "none found")
entrypoints = {}
for df in dockerfiles:
    ins = instructions(os.path.join(repo, "docker", df))
    stages, stage, runs, problems = [], None, [], []
    for word, arg in ins:
        if word not in KNOWN:
            problems.append("unknown instruction %s" % word)
        if word == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", arg, re.I)
            image, name = (m.group(1), m.group(2)) if m else (arg, None)
            if image not in BASES and image not in stages:
                problems.append("base image %s is not a Debian 12 one" % image)
            stage = name
            if name:
                stages.append(name)
        elif word in ("COPY", "ADD"):
            parts = shlex.split(arg)
            flags = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            if len(paths) < 2:
                problems.append("%s needs a source and a destination: %s" % (word, arg))
                continue
            frm = [f.split("=", 1)[1] for f in flags if f.startswith("--from=")]
            if frm:
                if frm[0] not in stages:
                    problems.append("COPY --from=%s names no earlier stage" % frm[0])
                continue
            for src in paths[:-1]:
                full = os.path.join(repo, src)
                if not os.path.exists(full):
                    problems.append("COPY source %s does not exist" % src)
                elif src not in (".", "./") and ignored(src):
                    problems.append("COPY source %s is excluded by .dockerignore" % src)
        elif word == "RUN" and stage is not None:
            runs.append(arg)
            # build stages run what developers run: install-deps.sh and make targets
            for cmd in re.split(r"&&|;|\|", arg):
                c = cmd.strip()
                m = re.match(r"make\b(.*)", c)
                if m:
                    targets = [w for w in shlex.split(m.group(1))
                               if not w.startswith("-") and "=" not in w]
                    for t in targets:
                        if t not in MAKE_TARGETS:
                            problems.append("RUN make %s: not a make target the build uses" % t)
                elif c.startswith("bash ") and "install-deps.sh" in c:
                    if c != "bash tools/install-deps.sh":
                        problems.append("RUN %s: install-deps.sh must run as is" % c)
            if re.search(r"(^|\s)/(?!dev/null)[a-z]", arg.replace("$(realpath", "")):
                problems.append("RUN in a build stage uses an absolute path: %s" % arg[:60])
        elif word == "ENTRYPOINT":
            entrypoints[df] = arg
        # exec forms must be JSON arrays of strings (else Docker silently uses a shell)
        exe = re.sub(r"^(--\S+\s+)*CMD\s+", "", arg) if word == "HEALTHCHECK" else arg
        if word in ("ENTRYPOINT", "CMD", "HEALTHCHECK", "VOLUME") and exe.lstrip().startswith("["):
            try:
                v = json.loads(exe)
                if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                    raise ValueError("not a list of strings")
            except ValueError as e:
                problems.append("%s exec form is not a JSON array of strings: %s" % (word, e))
    check(not problems, "%s: instructions, bases, COPY sources and stages" % df, "; ".join(problems))
    joined = " && ".join(runs)
    check("bash tools/install-deps.sh" in joined and re.search(r"make\b[^&]*\ball\b", joined),
          "%s: its build stage runs tools/install-deps.sh and make all" % df)
    with open(os.path.join(outdir, df + ".run"), "w") as f:
        for r in runs:
            f.write(r + "\0")
    m = re.search(r'"(rtcstats-[a-z-]+)"', entrypoints.get(df, ""))
    if m:
        check(os.path.exists(os.path.join(binp, m.group(1))) or not os.path.isdir(binp),
              "%s: ENTRYPOINT %s is a program the build makes" % (df, m.group(1)))

# ---- compose ----
path = os.path.join(repo, "docker", "docker-compose.yml")
try:
    compose = yaml.safe_load(open(path))
    ok("docker-compose.yml parses as YAML")
except Exception as e:
    ko("docker-compose.yml does not parse: %s" % e)
    sys.exit(0)
svcs = compose.get("services") or {}
for want in ("minio", "minio-init", "postgres", "proxy", "worker"):
    check(want in svcs, "compose has service %s" % want)
volumes = set((compose.get("volumes") or {}).keys())
problems = []
for name, s in svcs.items():
    if not isinstance(s, dict) or not (s.get("image") or s.get("build")):
        problems.append("%s has neither image nor build" % name)
        continue
    b = s.get("build")
    if isinstance(b, dict):
        ctx = os.path.normpath(os.path.join(repo, "docker", b.get("context", ".")))
        if ctx != os.path.normpath(repo):
            problems.append("%s: build context %s is not the repository root" % (name, ctx))
        if not os.path.exists(os.path.join(ctx, b.get("dockerfile", "Dockerfile"))):
            problems.append("%s: dockerfile %s does not exist" % (name, b.get("dockerfile")))
    deps = s.get("depends_on") or {}
    for d, cond in (deps.items() if isinstance(deps, dict) else [(d, None) for d in deps]):
        if d not in svcs:
            problems.append("%s depends on unknown service %s" % (name, d))
        c = (cond or {}).get("condition") if isinstance(cond, dict) else None
        if c and c not in ("service_started", "service_healthy", "service_completed_successfully"):
            problems.append("%s: unknown condition %s" % (name, c))
        if c == "service_healthy" and not svcs.get(d, {}).get("healthcheck"):
            problems.append("%s waits for %s to be healthy, which has no healthcheck" % (name, d))
    for v in s.get("volumes") or []:
        src = v.split(":")[0] if isinstance(v, str) else v.get("source")
        if src and not src.startswith((".", "/")) and src not in volumes:
            problems.append("%s: volume %s is not declared" % (name, src))
check(not problems, "compose services: builds, dependencies, volumes", "; ".join(problems))

def env(name):
    e = svcs.get(name, {}).get("environment") or {}
    if isinstance(e, list):
        e = dict(x.split("=", 1) for x in e)
    return {k: str(v) for k, v in e.items()}
penv, genv, wenv, menv = env("proxy"), env("postgres"), env("worker"), env("minio")

# proxy variables are proxy options
if proxy_opts is None:
    ko("rtcstats-proxy --help is not available to check the proxy's variables")
else:
    bad = [k for k in penv if not k.startswith("RTCSTATS_PROXY_")
           or k[len("RTCSTATS_PROXY_"):].lower().replace("_", "-") not in proxy_opts]
    check(not bad, "every proxy variable is an rtcstats-proxy option (%d)" % len(penv), ", ".join(bad))
    df_env = re.findall(r"(RTCSTATS_PROXY_[A-Z_]+)=", open(os.path.join(repo, "docker", "Dockerfile.proxy")).read())
    bad = [k for k in df_env if k[len("RTCSTATS_PROXY_"):].lower().replace("_", "-") not in proxy_opts]
    check(not bad, "every ENV of Dockerfile.proxy is an rtcstats-proxy option", ", ".join(bad))

# postgres variables reach real GUCs through the initdb script
init = open(os.path.join(repo, "docker", "initdb", "10-rtcstats-settings.sh")).read()
known_vars = set(re.findall(r"RTCSTATS_([A-Z0-9_]+)", init))
known_vars |= set(re.findall(r"\b(S3_[A-Z_]+|STORAGE_URL)\b", init))
bad = [k for k in genv if k.startswith("RTCSTATS_") and k[len("RTCSTATS_"):] not in known_vars]
check(not bad, "every RTCSTATS_* of the postgres service is read by docker/initdb", ", ".join(bad))
for k in genv:
    if k.startswith("RTCSTATS_"):
        g = "rtcstats." + k[len("RTCSTATS_"):].lower()
        if gucs and g not in gucs:
            ko("postgres variable %s maps to %s, which the extension does not define" % (k, g))

# programs' flags
for name, opts in (("worker", worker_opts), ("proxy", proxy_opts)):
    cmd = svcs.get(name, {}).get("command") or []
    cmd = shlex.split(cmd) if isinstance(cmd, str) else cmd
    flags = [c[2:].split("=")[0] for c in cmd if isinstance(c, str) and c.startswith("--")]
    if not flags:
        continue
    if opts is None:
        ko("rtcstats-%s --help is not available to check the flags of service %s" % (name, name))
    else:
        bad = [f for f in flags if f not in opts]
        check(not bad, "service %s: flags %s are rtcstats-%s options" % (name, flags, name), ", ".join(bad))

# the worker's variables are ones it documents, its storage is the others'
if worker_opts is not None:
    whelp = open(os.path.join(tmp, "rtcstats-worker.help")).read()
    bad = [k for k in wenv if k not in whelp]
    check(not bad, "every worker variable is named in rtcstats-worker --help", ", ".join(bad))
wcmd = svcs.get("worker", {}).get("command") or []
wurl = wcmd[wcmd.index("--storage-url") + 1] if "--storage-url" in wcmd else None
check(wurl == genv.get("RTCSTATS_STORAGE_URL"), "the worker reads the database's storage (%s)" % wurl)
check(wenv.get("AWS_ACCESS_KEY_ID") == menv.get("MINIO_ROOT_USER") and
      wenv.get("AWS_SECRET_ACCESS_KEY") == menv.get("MINIO_ROOT_PASSWORD"), "the worker has the S3 credentials")

# they agree with each other
surl, purl = genv.get("RTCSTATS_STORAGE_URL"), penv.get("RTCSTATS_PROXY_STORAGE_URL")
check(surl and surl == purl, "proxy and database use one storage URL (%s)" % surl, "%s vs %s" % (surl, purl))
bucket = (re.match(r"s3://([^/]+)", surl or "") or [None, None])[1]
init_cmd = " ".join(svcs.get("minio-init", {}).get("command") or [])
check(bucket and re.search(r"mc mb\b.*/%s\b" % re.escape(bucket), init_cmd),
      "minio-init creates the bucket %s" % bucket)
user, secret = menv.get("MINIO_ROOT_USER"), menv.get("MINIO_ROOT_PASSWORD")
same = (genv.get("RTCSTATS_S3_ACCESS_KEY_ID") == user == penv.get("RTCSTATS_PROXY_S3_ACCESS_KEY_ID")
        and genv.get("RTCSTATS_S3_SECRET_ACCESS_KEY") == secret == penv.get("RTCSTATS_PROXY_S3_SECRET_ACCESS_KEY")
        and user in init_cmd and secret in init_cmd)
check(same, "S3 credentials agree between minio, minio-init, postgres and proxy")
check(genv.get("RTCSTATS_S3_ENDPOINT") == penv.get("RTCSTATS_PROXY_S3_ENDPOINT") == "http://minio:9000",
      "S3 endpoint is the minio service for postgres and proxy")
check(penv.get("RTCSTATS_PROXY_S3_PATH_STYLE") == "true" and genv.get("RTCSTATS_S3_PATH_STYLE") == "true",
      "path-style S3 addressing (MinIO under a service name)")
dsns = [("proxy", penv.get("RTCSTATS_PROXY_DSN", ""))] + [("worker", c) for c in (svcs.get("worker", {}).get("command") or [])
                                              if isinstance(c, str) and "dbname=" in c]
for svc, d in dsns:
    kv = dict(x.split("=", 1) for x in d.split() if "=" in x)
    check(kv.get("host") == "postgres" and kv.get("dbname") == genv.get("POSTGRES_DB")
          and kv.get("password") == genv.get("POSTGRES_PASSWORD"),
          "%s: DSN '%s' names the postgres service, its database and password" % (svc, d.split(" password")[0]))
PY
python3 "$tmp/static.py" "$repo" "$tmp" "$bin" "$tmp" >"$tmp/static.out" 2>&1
cat "$tmp/static.out"
pass=$((pass + $(grep -c '^ok ' "$tmp/static.out")))
fail=$((fail + $(grep -c '^FAIL ' "$tmp/static.out")))
grep -qE '^(ok|FAIL) ' "$tmp/static.out" || { ko "the static checks did not run"; }

# The static checks catch mistakes: each broken copy of docker/ must fail with its message.
broken() {	# broken DESCRIPTION EXPECTED-MESSAGE SED-SCRIPT FILE
	local d="$tmp/broken-$RANDOM"
	mkdir -p "$d/tools" "$d/out"
	cp -r docker .dockerignore "$d/"; cp tools/install-deps.sh "$d/tools/"
	sed -i "$3" "$d/docker/$4"
	if python3 "$tmp/static.py" "$d" "$tmp" "$bin" "$d/out" 2>&1 | grep "^FAIL" | grep -q -- "$2"; then
		ok "lint catches $1"
	else
		ko "lint misses $1"
	fi
}
broken "a COPY source that does not exist" "COPY source tools/nope.sh does not exist" \
	's|COPY tools/install-deps.sh tools/install-deps.sh|COPY tools/nope.sh tools/install-deps.sh|' Dockerfile.proxy
broken "a make target the build does not use" "RUN make check" \
	's|RUN make -j"$(nproc)" all|RUN make -j"$(nproc)" all \&\& make check|' Dockerfile.proxy
broken "a build step other than install-deps.sh" "install-deps.sh must run as is" \
	's|RUN bash tools/install-deps.sh|RUN bash tools/install-deps.sh --all|' Dockerfile.postgres
broken "a base image that is not pinned to Debian 12" "is not a Debian 12 one" \
	's|^FROM postgres:15-bookworm$|FROM postgres:15|' Dockerfile.postgres
broken "an exec form that is not JSON" "exec form is not a JSON array" \
	's|^ENTRYPOINT \["rtcstats-proxy"\]|ENTRYPOINT ['"'"'rtcstats-proxy'"'"']|' Dockerfile.proxy
broken "COPY --from an unknown stage" "names no earlier stage" 's|--from=build|--from=builder|' Dockerfile.postgres
broken "a bucket minio-init does not create" "creates the bucket" 's|local/rtcstats$|local/other|' docker-compose.yml
broken "a DSN with the wrong password" "names the postgres service" \
	's|password=rtcstats-example-password$|password=wrong|' docker-compose.yml
[ -s "$tmp/rtcstats-proxy.help" ] &&
	broken "a proxy variable that is no proxy option" "RTCSTATS_PROXY_LISTEN_ADDRESS" \
		's|RTCSTATS_PROXY_LISTEN:|RTCSTATS_PROXY_LISTEN_ADDRESS:|' docker-compose.yml

# --- shell scripts ----------------------------------------------------------------------
for f in docker/initdb/*.sh; do
	if bash -n "$f" && [ -x "$f" ]; then ok "$f: bash -n, executable (the entrypoint runs it)"
	else ko "$f: syntax error or not executable"; fi
done
# The initdb script, run with the compose environment, writes only real GUCs.
mkdir -p "$tmp/pgdata"; : >"$tmp/pgdata/postgresql.conf"
env -i PATH="$PATH" PGDATA="$tmp/pgdata" POSTGRES_DB=rtcstats RTCSTATS_STORAGE_URL=s3://b/p \
	RTCSTATS_S3_ENDPOINT=http://minio:9000 RTCSTATS_S3_REGION=us-east-1 RTCSTATS_S3_PATH_STYLE=true \
	RTCSTATS_S3_ACCESS_KEY_ID=k "RTCSTATS_S3_SECRET_ACCESS_KEY=it's" RTCSTATS_WORKERS=2 \
	bash docker/initdb/10-rtcstats-settings.sh
written=$(grep -oE '^[a-z0-9_.]+' "$tmp/pgdata/postgresql.conf" | sort -u)
unknown=$(comm -23 <(echo "$written") <(sort -u "$tmp/gucs"))
if [ -s "$tmp/gucs" ] && [ -z "$unknown" ] && [ "$(echo "$written" | wc -l)" -eq 8 ] &&
	grep -qx "rtcstats.s3_secret_access_key = 'it''s'" "$tmp/pgdata/postgresql.conf"; then
	ok "docker/initdb writes 8 real GUCs, quotes escaped"
else
	ko "docker/initdb wrote: $(cat "$tmp/pgdata/postgresql.conf") (unknown: $unknown)"
fi

# --- the build stages, run outside Docker -------------------------------------------------
# The build context as Docker would send it; each Dockerfile's build-stage RUN steps run in
# a fresh copy, in order, with bash -c (as /bin/sh -c would; the steps are POSIX sh).
for df in docker/Dockerfile.*; do
	name=$(basename "$df")
	work="$tmp/ctx-$name"
	mkdir -p "$work"
	tar -C "$repo" --exclude-from="$repo/.dockerignore" -cf - . | tar -C "$work" -xf -
	step=0; failed_step=""
	start=$(date +%s)
	while IFS= read -r -d '' cmd; do
		step=$((step + 1))
		if ! (cd "$work" && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root bash -c "$cmd") >>"$tmp/$name.log" 2>&1; then
			failed_step="$step: $cmd"; break
		fi
	done <"$tmp/$name.run"
	if [ -z "$failed_step" ] && [ $step -gt 0 ]; then
		ok "$name: the $step build-stage RUN steps succeed outside Docker ($(( $(date +%s) - start ))s)"
	else
		ko "$name: build-stage RUN step ${failed_step:-(none)} failed"
		grep -iE 'error|not found|no such' "$tmp/$name.log" | tail -n 5 | cut -c1-300
		continue
	fi
	# what the later stages copy from the build stage exists
	missing=""
	for src in $(grep -oE 'COPY --from=[a-z]+ /src/[^ ]+' "$df" | awk '{print $3}'); do
		[ -e "$work/${src#/src/}" ] || missing="$missing $src"
	done
	[ -z "$missing" ] && ok "$name: everything COPY --from takes was produced" || ko "$name: not produced:$missing"
	pkgs=$(cat "$work/dist/runtime-packages" 2>/dev/null)
	if [ -n "$pkgs" ] && echo "$pkgs" | grep -qx libc6 &&
		dpkg-query -W $pkgs >/dev/null 2>&1; then
		ok "$name: runtime packages are real Debian packages ($(echo $pkgs | wc -w): $(echo $pkgs | tr ' ' '\n' | grep -E 'json|curl|websockets|pq' | tr '\n' ' '))"
	else
		ko "$name: runtime package list: '$pkgs'"
	fi
done
if [ -f "$tmp/ctx-Dockerfile.postgres/dist/root/usr/lib/postgresql/15/lib/rtcstats.so" ] &&
	ls "$tmp/ctx-Dockerfile.postgres/dist/root/usr/share/postgresql/15/extension/" | grep -q '^rtcstats--.*\.sql$' &&
	[ -f "$tmp/ctx-Dockerfile.postgres/dist/root/usr/share/postgresql/15/extension/rtcstats.control" ]; then
	ok "Dockerfile.postgres: make extension-install DESTDIR= puts rtcstats.so, the control file and the script where postgres:15 looks"
else
	ko "Dockerfile.postgres: the extension is not installed under dist/root/usr/{lib,share}/postgresql/15"
fi
for p in rtcstats-proxy rtcstats-worker; do
	if [ -x "$tmp/ctx-Dockerfile.proxy/dist/bin/$p" ]; then ok "Dockerfile.proxy: the image gets $p"
	else ko "Dockerfile.proxy: $p is not built by the build stage"; fi
done
# --- the postgres image's first start, rehearsed outside Docker ---------------------------
# As docker-entrypoint.sh does it: initdb, the initdb scripts with the compose service's
# environment, a server started with the image's CMD options (no TCP: a socket in $tmp),
# POSTGRES_DB created, 20-create-extensions.sql through psql; then both extensions must be
# there, the settings in force, and pg_cron able to schedule in the rtcstats database.
pg_rehearsal() {
	local pgbin=/usr/lib/postgresql/15/bin rd="$tmp/pgimage" envf="$tmp/pg.env" cmdargs
	if [ ! -f "$(pg_config --pkglibdir)/pg_cron.so" ]; then
		bash tools/install-deps.sh postgresql-15-cron >/dev/null 2>&1 ||
			{ ko "postgresql-15-cron (which the image installs) cannot be installed here"; return; }
	fi
	(cd "$tmp/ctx-Dockerfile.postgres" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make --no-print-directory extension-install >"$tmp/pgimage-install.log" 2>&1) ||
		{ ko "make extension-install in the build context failed"; tail -n 5 "$tmp/pgimage-install.log"; return; }
	python3 - "$repo/docker/docker-compose.yml" >"$envf" <<-'PY2'
	import shlex, sys, yaml
	env = yaml.safe_load(open(sys.argv[1]))["services"]["postgres"]["environment"]
	for k, v in env.items():
	    print("%s=%s" % (k, shlex.quote(str(v))))
	PY2
	cmdargs=$(perl -MJSON::PP -ne 'if (/^CMD\s+(\[.*\])/) { my @a = @{decode_json($1)}; shift @a; print join("\n", @a) }' \
		docker/Dockerfile.postgres)
	mapfile -t cmdargs <<<"$cmdargs"
	mkdir -p "$rd/sock"; chmod 755 "$tmp"; chown -R postgres: "$rd"
	if ! (cd / && runuser -u postgres -- "$pgbin/initdb" -D "$rd/data" -U postgres --auth=trust -N) >"$rd/initdb.log" 2>&1; then
		ko "initdb for the postgres image rehearsal"; return
	fi
	# the entrypoint runs executable *.sh scripts as postgres with its environment
	# (on stdin: postgres may not be able to read the checkout, e.g. under /root)
	(set -a; . "$envf"; export PGDATA="$rd/data"; cd / &&
		runuser -u postgres -p -- bash -s <"$repo/docker/initdb/10-rtcstats-settings.sh") ||
		{ ko "docker/initdb/10-rtcstats-settings.sh failed"; return; }
	if ! (cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$rd/data" -l "$rd/server.log" -w -t 60 \
		-o "$(printf '%q ' "${cmdargs[@]}") -c listen_addresses='' -c unix_socket_directories='$rd/sock'" start) >/dev/null 2>&1; then
		ko "the server does not start with the image's CMD options (${cmdargs[*]}):"
		tail -n 5 "$rd/server.log"; return
	fi
	local db; db=$(. "$envf"; echo "$POSTGRES_DB")
	local out rc=0
	out=$(cd / && { runuser -u postgres -- psql -X -q -h "$rd/sock" -d postgres -c "CREATE DATABASE \"$db\"" &&
		runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$rd/sock" -d "$db" <"$repo/docker/initdb/20-create-extensions.sql" &&
		runuser -u postgres -- psql -X -At -h "$rd/sock" -d "$db" -c "select extversion from pg_extension where extname = 'rtcstats'" \
			-c "show rtcstats.storage_url" -c "show rtcstats.s3_endpoint" -c "show rtcstats.database" &&
		runuser -u postgres -- psql -X -At -h "$rd/sock" -d postgres \
			-c "select cron.schedule_in_database('rtcstats-extract', '* * * * *', 'call rtcstats_extract_pending(10)', '$db') > 0"
	} 2>&1) || rc=$?
	(cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$rd/data" -m fast -w stop) >/dev/null 2>&1
	local want; want=$(. "$envf"; printf '%s\n%s\n%s\nt' "$RTCSTATS_STORAGE_URL" "$RTCSTATS_S3_ENDPOINT" "$POSTGRES_DB")
	if [ $rc -eq 0 ] && [ "$(echo "$out" | tail -n 4)" = "$want" ] && [ -n "$(echo "$out" | head -n 1)" ]; then
		ok "the postgres image's first start, rehearsed: rtcstats $(echo "$out" | head -n 1) in $db with the compose settings, pg_cron schedules there"
	else
		ko "the postgres image's first start, rehearsed (exit $rc):"; echo "$out" | sed 's/^/    /'
	fi
}
if [ -d "$tmp/ctx-Dockerfile.postgres/dist/root" ]; then pg_rehearsal
else ko "no postgres build context to rehearse the image's first start"; fi

# pg_cron, installed by name in the postgres image, is a Debian 12 (and PGDG) package.
if apt-cache show postgresql-15-cron >/dev/null 2>&1; then ok "postgresql-15-cron is a known package"
else ko "postgresql-15-cron is unknown to apt (run apt-get update?)"; fi

echo "07-docker-lint: $pass passed, $fail failed"
[ $fail -eq 0 ]
