#!/usr/bin/env bash
# Quick start: installs what is missing, builds the server and runs it.
# With no arguments andante uses its embedded defaults: blocks and WAL under
# ./data, OTLP gRPC on 4317, OTLP HTTP on 4318, the Tempo API on 3200.
# Arguments are passed to andante, e.g. -config.file=tempo.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
  rm -rf build  # absent, or left half-configured by an interrupted setup
  meson setup build
fi
meson compile -C build -j2 andante
exec build/server/andante "$@"
