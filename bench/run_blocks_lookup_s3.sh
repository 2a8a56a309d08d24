#!/usr/bin/env bash
# bench/blocks_lookup_bench against s3rver on loopback: starts s3rver (the
# integration tests' npm package, tests/integration/node_modules) with a
# bucket in a temporary directory, runs the benchmark with the S3 backend
# pointed at it, and stops s3rver. Extra arguments go to the benchmark.
# S3RVER_PID tells the benchmark which process to read scheduler figures of.
#
#   bench/run_blocks_lookup_s3.sh
#   bench/run_blocks_lookup_s3.sh --benchmark_filter=Hit
#
# Environment: BUILD_DIR (default: build); ANDANTE_BENCH_BLOCKS (default
# 1000) for a quicker run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build}
bench="$root/$build/bench/blocks_lookup_bench"
[[ -x $bench ]] || meson compile -C "$root/$build" bench/blocks_lookup_bench
tmp=$(mktemp -d /tmp/andante-s3rver-bench-XXXXXX)
portfile="$tmp/port"
cleanup() {
  [[ -n ${s3pid:-} ]] && kill "$s3pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# --openssl-legacy-provider: s3rver 3.7 encrypts ListObjectsV2 continuation
# tokens with a cipher OpenSSL 3 leaves out by default, so without it every
# truncated listing (over 1,000 keys: this bucket) answers 500 InternalError.
(cd "$root/tests/integration" && exec node --openssl-legacy-provider --input-type=module -e "
import S3rver from 's3rver';
import fs from 'node:fs';
const s = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: '$tmp/data',
                       configureBuckets: [{ name: 'tempo-traces' }] });
const { port } = await s.run();
fs.writeFileSync('$portfile', String(port));
") &
s3pid=$!
for _ in $(seq 100); do [[ -s $portfile ]] && break; sleep 0.1; done
[[ -s $portfile ]] || { echo "s3rver did not start" >&2; exit 1; }
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER S3RVER_PID=$s3pid \
  ANDANTE_S3_ENDPOINT="127.0.0.1:$(cat "$portfile")" ANDANTE_S3_BUCKET=tempo-traces \
  "$bench" --benchmark_counters_tabular=true "$@"
