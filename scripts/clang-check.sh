#!/usr/bin/env bash
# The clang build of everything, in build-clang: library, server, tests,
# benchmarks and the libFuzzer targets, compiled with -Wthread-safety and
# -Werror (clang checks the ABSL_GUARDED_BY lock annotations; gcc ignores
# them), AddressSanitizer and UndefinedBehaviorSanitizer on, and libFuzzer's
# edge coverage on every object (comparison tracing only in the fuzz targets'
# own files, see meson.build). Then the unit, server and fuzz suites run in
# it, halting at the first sanitizer report: every suite but integration
# (the real server under the JS exporters; the gcc build runs it) and install
# (packaging: meson install and consumer builds, also run by the gcc build).
# The fuzz suite is the corpora plus each libFuzzer target for 10 s (see
# tests/fuzz/meson.build). Exits non-zero on a build error or any failure.
# scripts/test.sh runs it after the gcc build and its suites. Extra arguments
# go to `meson test` instead of the suite selection (e.g.
# `scripts/clang-check.sh wal/wal_test`).
#
# The compile runs under `nice -n 10` and through ccache when installed.
# -Werror is the project's global werror=true: warnings inside Debian's
# headers are system-header warnings and never reported, so it need not be
# narrowed to -Werror=thread-safety.
set -euo pipefail
cd "$(dirname "$0")/.."

opts=(-Dtests=enabled -Dbenchmarks=enabled -Dfuzzing=true
  -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1)
if [[ ! -f build-clang/build.ninja ]]; then
  rm -rf build-clang  # absent, or left half-configured by an interrupted setup
  launcher=$(command -v ccache || true)
  CC="${launcher:+$launcher }clang" CXX="${launcher:+$launcher }clang++" \
    meson setup build-clang "${opts[@]}"
else
  current=$(meson introspect build-clang --buildoptions 2>/dev/null |
    python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o.get("b_sanitize"), o.get("fuzzing"), o.get("benchmarks"), o.get("optimization"))' || true)
  if [[ $current != "address,undefined True enabled 1" ]]; then
    meson configure build-clang "${opts[@]}"
  fi
fi

nice -n 10 meson compile -C build-clang -j2

# Suppressions (tests/sanitizer/*.supp): third-party code only, each with its
# reason.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizer/ubsan.supp
# Sanitizers slow the tests most where they loop over every byte of an input
# (model/trace_split_test's DamagedAtEveryByte: 127 s against under 4 s for
# the whole program in the gcc release build, on the loaded machine): the
# timeouts stretch to match.
test_opts=(-C build-clang --no-rebuild --print-errorlogs --num-processes 2
  --timeout-multiplier 3)
if [[ $# -gt 0 ]]; then
  exec meson test "${test_opts[@]}" "$@"
fi
exec meson test "${test_opts[@]}" --no-suite integration --no-suite install
