#!/usr/bin/env python3
"""Runs every fenced ```sql block of the given Markdown files against a database.

A block is a psql script as a reader would paste it: statements, psql
meta-commands (\\c), comments, and, after a statement, the output it shows
(lines psql's aligned format prints: a leading space, or a ---+--- rule).
The output lines are left out of what is run; a shown header (the line above
a rule) must appear in what psql prints, so a renamed column fails too.

Placeholders of dump ids ('…', '6f0c2a54-…' and the docs' sample uuid) become
--dump-id; other replacements are given as --replace OLD=NEW.

A block preceded by the line `<!-- doc-test: skip: REASON -->` is not run
(a reason is required); every block is reported, run or skipped.

usage: doc_examples.py --psql 'psql ARGS' --dump-id UUID [--replace OLD=NEW]... FILE.md...
Prints one line per block and "doc-examples: N passed, N failed, N skipped";
exits 1 if any failed.
"""
import argparse
import re
import shlex
import subprocess
import sys

SAMPLE_IDS = ["'6f0c2a54-7a1e-4e2b-9d5c-1f0e3b8a9c11'", "'6f0c2a54-…'", "'…'"]
SKIP = re.compile(r"^<!--\s*doc-test:\s*skip:\s*(\S.*?)\s*-->\s*$")
RULE = re.compile(r"^-+(\+-+)*$")


def blocks(path):
    """Yields (line number, skip reason or None, block lines)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sql":
            start = i + 1
            reason = None
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            if j >= 0:
                m = SKIP.match(lines[j].strip())
                if m:
                    reason = m.group(1)
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start, reason, body
        i += 1


def split(body):
    """The script to run and the headers its output must show."""
    script, headers = [], []
    complete = True         # the last statement ended with ';' (or none began)
    in_output = False
    dollar = False
    for n, line in enumerate(body):
        shown = complete and (line.startswith(" ") or RULE.match(line)) and line.strip()
        if in_output and line.strip() and not shown:
            in_output = False
        if shown:
            in_output = True
            if RULE.match(line) and n > 0:
                headers.append(" ".join(body[n - 1].split()))
            continue
        if in_output:
            continue
        script.append(line)
        code = line.split("--", 1)[0] if not dollar else line
        dollar ^= code.count("$$") % 2 == 1
        stripped = code.strip()
        if stripped.startswith("\\"):
            complete = True
        elif stripped:
            complete = stripped.endswith(";") and not dollar
    return "\n".join(script) + "\n", headers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--psql", required=True)
    ap.add_argument("--dump-id", required=True)
    ap.add_argument("--replace", action="append", default=[])
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    replacements = [(s, "'%s'" % args.dump_id) for s in SAMPLE_IDS]
    for r in args.replace:
        old, new = r.split("=", 1)
        replacements.append((old, new))
    passed = failed = skipped = 0
    for path in args.files:
        for line, reason, body in blocks(path):
            where = "%s:%d" % (path, line)
            if reason:
                skipped += 1
                print("skip %s (%s)" % (where, reason))
                continue
            script, headers = split(body)
            for old, new in replacements:
                script = script.replace(old, new)
            run = subprocess.run(shlex.split(args.psql) + ["-X", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                                 input=script, capture_output=True, text=True)
            shown = {" ".join(l.split()) for l in run.stdout.split("\n")}
            missing = [h for h in headers if h not in shown]
            if run.returncode == 0 and not missing:
                passed += 1
                print("ok   %s" % where)
                continue
            failed += 1
            print("FAIL %s" % where)
            if run.returncode != 0:
                print("     psql exited %d: %s" % (run.returncode, run.stderr.strip().replace("\n", "\n     ")))
            for h in missing:
                print("     shown header not printed: %r" % h)
    print("doc-examples: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
