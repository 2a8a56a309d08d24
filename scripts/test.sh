#!/usr/bin/env bash
# Installs what is missing, builds everything with gcc (benchmarks included,
# so they at least compile) and runs every test suite there: unit, server,
# integration (the real andante binary driven by the OpenTelemetry JS
# exporters), install and the fuzz corpora. Then, with no arguments, the clang
# sanitizer build (scripts/clang-check.sh, below). Exits non-zero on any
# failure, after both parts have run. Extra arguments go to `meson test`
# (e.g. `scripts/test.sh --suite integration`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

opts=(-Dtests=enabled -Dbenchmarks=enabled)
if [[ ! -f build/build.ninja ]]; then
  rm -rf build  # absent, or left half-configured by an interrupted setup
  meson setup build "${opts[@]}"
else
  # A build dir set up by run-server.sh has the features on auto.
  current=$(meson introspect build --buildoptions 2>/dev/null |
    python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o.get("tests"), o.get("benchmarks"))' || true)
  if [[ $current != "enabled enabled" ]]; then
    meson configure build "${opts[@]}"
  fi
fi

meson compile -C build -j2

rc=0
meson test -C build --print-errorlogs --num-processes 2 "$@" || rc=$?

# Then the clang build of everything (scripts/clang-check.sh, build-clang):
# compiled with -Wthread-safety -Werror, ASan+UBSan, and libFuzzer's edge
# coverage; the unit, server and fuzz suites run there (the fuzz suite is the
# corpora plus 10 s of libFuzzer per decoder target, see tests/fuzz/meson.build),
# halting at the first sanitizer report. Skipped when arguments select
# particular suites or tests (run scripts/clang-check.sh with them instead).
logs=(build/meson-logs/testlog.json)
if [[ $# -eq 0 ]]; then
  rm -f build-clang/meson-logs/testlog.json  # no stale count if the build fails
  scripts/clang-check.sh || rc=$?
  logs+=(build-clang/meson-logs/testlog.json)
fi

# A closing line any CI log reader understands.
python3 - "${logs[@]}" <<'PY' || true
import json, os, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif r == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit "$rc"
