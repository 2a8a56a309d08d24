#!/usr/bin/env bash
# One command for the end-to-end figures: builds the andante server and the
# load generator, starts the server on free loopback ports with a temporary
# tempo.yaml (local block storage, WAL on with its default interval fsync,
# max_block_duration 5m), runs bench/loadgen against it, stops the server
# with SIGTERM and prints the figures. Extra arguments go to loadgen.
#
#   bench/run_loadgen.sh                              # 30 s OTLP/HTTP, max rate
#   bench/run_loadgen.sh --protocol=grpc --duration=10s
#   bench/run_loadgen.sh --rate=60000 --duration=150s # the peak-RSS row
#   bench/run_loadgen.sh --duration=120s --lookups=0 --idle_wait=150s
#                          # RSS after the run and a flush, without the block
#                          # indexes that lookups load
#   bench/run_loadgen.sh --protocol=jaeger-compact --duration=10s \
#       --udp_rates=20000,50000,100000,0             # Jaeger agent UDP drop rate
#   bench/run_loadgen.sh --generator --service_groups=5 --duration=30s
#                          # metrics generator on (span metrics + service
#                          # graphs, collected every 15 s, no remote write);
#                          # --service_groups multiplies the series count
#   bench/run_loadgen.sh --generator-remote --service_groups=2 --duration=30s
#                          # the generator in a second process
#                          # (-target=metrics-generator) fed by the measured
#                          # one through metrics_generator_client.endpoints;
#                          # loadgen's CPU figures are the ingest process's,
#                          # the generator's CPU-s and the forwarding counters
#                          # are printed at the end
#
# Script options (not passed to loadgen):
#   --generator         add a metrics_generator section to the tempo.yaml
#   --generator-remote  run the generator in a second process (see above)
#
# Environment:
#   BUILD_DIR   meson build directory (default: build; set up if missing)
#   SERVER_BIN  run this server binary instead of building andante, e.g. a
#               Tempo build for comparison (it reads the same tempo.yaml)
#   KEEP_TMP=1  keep the temporary directory (config, server log, data)
#   UDP_SOCKET_BUFFER  SO_RCVBUF of the Jaeger UDP receivers (0 = kernel default)
#   GENERATOR_BATCH_WAIT  with --generator-remote: metrics_generator_client.batch_wait
#               (default 100ms; 0s sends each push as soon as the worker is free)
#   EXTRA_YAML  appended to the tempo.yaml (top-level keys), e.g.
#               $'multitenancy_enabled: true\noverrides: {...}' with
#               loadgen --tenants=100 --lookups=0 for the limits figures
set -euo pipefail

generator=0
generator_remote=0
args=()
for arg in "$@"; do
  case $arg in
    --generator) generator=1 ;;
    --generator-remote) generator_remote=1 ;;
    *) args+=("$arg") ;;
  esac
done
set -- ${args[@]+"${args[@]}"}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
[[ $build = /* ]] || build=$root/$build

if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" "$root"
fi
targets=(loadgen)
[[ -n ${SERVER_BIN:-} ]] || targets+=(server/andante)
meson compile -C "$build" -j2 "${targets[@]}"
server=${SERVER_BIN:-$build/server/andante}
loadgen=$build/bench/loadgen/loadgen
[[ -x $server ]] || { echo "no server binary at $server" >&2; exit 1; }
[[ -x $loadgen ]] || { echo "no loadgen at $loadgen (benchmarks disabled?)" >&2; exit 1; }

# Free TCP ports on 127.0.0.1: ask the kernel when python3 is around,
# otherwise probe random high ports with ss.
free_ports() {
  if command -v python3 >/dev/null; then
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
  else
    local ports=() p
    while ((${#ports[@]} < $1)); do
      p=$((20000 + RANDOM % 40000))
      if ! ss -Htan "sport = :$p" | grep -q . && [[ " ${ports[*]} " != *" $p "* ]]; then
        ports+=("$p")
      fi
    done
    echo "${ports[*]}"
  fi
}

# HTTP status of GET http://127.0.0.1:$1$2, without needing curl.
http_status() {
  local line
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || { echo 000; return; }
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  read -r -t 5 line <&3 || line=
  exec 3<&- 3>&-
  line=${line#HTTP/* }
  echo "${line%% *}"
}

read -r api_port grpc_port otlp_grpc_port otlp_http_port <<<"$(free_ports 4)"
# The Jaeger agent's UDP ports (loadgen --protocol=jaeger-compact|binary):
# free TCP ports are almost always free for UDP too.
read -r jaeger_compact_port jaeger_binary_port <<<"$(free_ports 2)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/andante-loadgen.XXXXXX")
server_pid=
gen_pid=

# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
    "/proc/$1/stat"
}

cleanup() {
  local rc=$?
  if [[ -n $gen_pid ]] && kill -0 "$gen_pid" 2>/dev/null; then
    kill -TERM "$gen_pid"
    wait "$gen_pid" 2>/dev/null || true
  fi
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    local start=$SECONDS
    kill -TERM "$server_pid"
    for _ in $(seq 300); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "server did not stop within 30 s of SIGTERM; killing it" >&2
      kill -KILL "$server_pid"
    else
      echo "server stopped $((SECONDS - start)) s after SIGTERM"
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ ${KEEP_TMP:-0} = 1 ]]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$tmp/tempo.yaml" <<EOF
# Written by bench/run_loadgen.sh. The WAL uses the store's default fsync
# policy (interval, every 100 ms).
server:
  http_listen_address: 127.0.0.1
  http_listen_port: $api_port
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: $grpc_port
distributor:
  receivers:
    otlp:
      protocols:
        grpc:
          endpoint: 127.0.0.1:$otlp_grpc_port
        http:
          endpoint: 127.0.0.1:$otlp_http_port
    jaeger:
      protocols:
        thrift_compact:
          endpoint: 127.0.0.1:$jaeger_compact_port
          socket_buffer_size: ${UDP_SOCKET_BUFFER:-0}
        thrift_binary:
          endpoint: 127.0.0.1:$jaeger_binary_port
          socket_buffer_size: ${UDP_SOCKET_BUFFER:-0}
ingester:
  max_block_duration: 5m
storage:
  trace:
    backend: local
    local:
      path: $tmp/blocks
    wal:
      path: $tmp/wal
EOF

if ((generator_remote)); then
  # The generator process: OTLP/HTTP only, spans kept nowhere, series
  # scraped from its /metrics/generator.
  read -r gen_api_port gen_grpc_port gen_otlp_http_port <<<"$(free_ports 3)"
  cat >"$tmp/generator.yaml" <<EOF
target: metrics-generator
server:
  http_listen_address: 127.0.0.1
  http_listen_port: $gen_api_port
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: $gen_grpc_port
distributor:
  receivers:
    otlp:
      protocols:
        http:
          endpoint: 127.0.0.1:$gen_otlp_http_port
metrics_generator:
  storage:
    path: $tmp/generator
EOF
  "$server" -config.file="$tmp/generator.yaml" >"$tmp/generator.log" 2>&1 &
  gen_pid=$!
  for i in $(seq 600); do
    [[ $(http_status "$gen_api_port" /ready) = 200 ]] && break
    if ((i == 600)) || ! kill -0 "$gen_pid" 2>/dev/null; then
      echo "generator process not ready; its log:" >&2
      tail -n 40 "$tmp/generator.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  cat >>"$tmp/tempo.yaml" <<EOF
metrics_generator_client:
  endpoints: ["http://127.0.0.1:$gen_otlp_http_port"]
  batch_wait: ${GENERATOR_BATCH_WAIT:-100ms}
EOF
fi

if ((generator)); then
  # Both processors on for every tenant (Andante's default with a
  # metrics_generator section); no remote_write entry, so the collected
  # samples are only scraped from /metrics/generator.
  cat >>"$tmp/tempo.yaml" <<EOF
metrics_generator:
  storage:
    path: $tmp/generator
EOF
fi

# EXTRA_YAML: top-level keys appended to the tempo.yaml (e.g. the overrides
# section and multitenancy_enabled for the limits figures).
if [[ -n ${EXTRA_YAML:-} ]]; then
  printf '%s\n' "$EXTRA_YAML" >>"$tmp/tempo.yaml"
fi
"$server" -config.file="$tmp/tempo.yaml" >"$tmp/server.log" 2>&1 &
server_pid=$!
echo "server $server (pid $server_pid): API 127.0.0.1:$api_port," \
  "OTLP gRPC 127.0.0.1:$otlp_grpc_port, OTLP HTTP 127.0.0.1:$otlp_http_port, data $tmp"

for i in $(seq 600); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "server exited during startup; its log:" >&2
    tail -n 40 "$tmp/server.log" >&2
    server_pid=
    exit 1
  fi
  [[ $(http_status "$api_port" /ready) = 200 ]] && break
  if ((i == 600)); then
    echo "server not ready after 60 s; its log:" >&2
    tail -n 40 "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

# The receiver endpoint follows the protocol chosen in the arguments.
protocol=http
prev=
for arg in "$@"; do
  case $arg in
    --protocol=* | -protocol=*) protocol=${arg#*=} ;;
  esac
  [[ $prev = --protocol || $prev = -protocol ]] && protocol=$arg
  prev=$arg
done
endpoint=127.0.0.1:$otlp_http_port
[[ $protocol = grpc ]] && endpoint=127.0.0.1:$otlp_grpc_port
[[ $protocol = jaeger-compact ]] && endpoint=127.0.0.1:$jaeger_compact_port
[[ $protocol = jaeger-binary ]] && endpoint=127.0.0.1:$jaeger_binary_port

set +e
"$loadgen" --endpoint="$endpoint" --api="127.0.0.1:$api_port" \
  --server_pid="$server_pid" --data_dir="$tmp/blocks" "$@"
rc=$?
set -e
if [[ -n $gen_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
  echo "generator process: $(cpu_seconds "$gen_pid") CPU-s; ingest process" \
    "forwarding counters:"
  if { exec 3<>"/dev/tcp/127.0.0.1/$api_port"; } 2>/dev/null; then
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    grep -E '^(tempo|andante)_distributor_metrics_generator' <&3 || true
    exec 3<&- 3>&-
  fi
fi
if ((generator)) && kill -0 "$server_pid" 2>/dev/null; then
  # Series the generator holds (sample lines of its scrape page: a
  # histogram's buckets, _sum and _count each count, as in the registry).
  if { exec 3<>"/dev/tcp/127.0.0.1/$api_port"; } 2>/dev/null; then
    printf 'GET /metrics/generator HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    echo "generator series (scrape page sample lines):" \
      "$(grep -c '^traces_' <&3 || true)"
    exec 3<&- 3>&-
  fi
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "SERVER DIED during the run; last lines of its log:" >&2
  tail -n 40 "$tmp/server.log" >&2
  server_pid=
  exit 1
fi
exit "$rc"
