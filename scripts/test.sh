#!/usr/bin/env bash
# Installs what is missing, builds everything (benchmarks included, so they
# at least compile) and runs every test suite: unit, server and integration
# (the real andante binary driven by the OpenTelemetry JS exporters); then
# the clang sanitizer build of everything and its suites.
# Exits non-zero on any failure. Extra arguments go to `meson test`
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

# The clang build of everything (build-clang, scripts/clang-check.sh):
# -Wthread-safety -Werror, ASan+UBSan, and the unit, server and fuzz suites
# under the sanitizers, each libFuzzer target run for 10 s. Skipped when
# arguments select particular suites or tests.
logs=(build/meson-logs/testlog.json)
if [[ $# -eq 0 ]]; then
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
