#!/usr/bin/env bash
# Installs what is missing to build (and with --test, to test) Andante on
# Debian 12. Idempotent: checks every package first and runs apt-get (and
# apt-get update) only when something is missing; runs npm only when
# tests/integration/node_modules is missing or older than package-lock.json.
#
#   scripts/install-deps.sh          build dependencies (compiler, meson, libraries)
#   scripts/install-deps.sh --test   also node + npm and the integration tests' npm packages
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

# Build dependencies (Debian 12 package names), see docs and design.md.
packages=(
  build-essential g++ meson ninja-build pkg-config
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libzstd-dev zlib1g-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libsimdjson-dev
  libyaml-cpp-dev libre2-dev libboost1.81-dev libsnappy-dev prometheus-cpp-dev
  libjemalloc-dev
  libthrift-dev thrift-compiler
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
have_pkgs=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
  awk '$NF == "installed" && $(NF-1) == "ok" {print $1}' || true)
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$have_pkgs" || missing+=("$p")
done
if [[ $with_test == 1 ]]; then
  # node and npm may come from elsewhere than Debian (NodeSource, nvm, ...):
  # only what cannot be found on PATH is installed from Debian.
  command -v node >/dev/null 2>&1 || installed nodejs || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || installed npm || missing+=(npm)
  # The remote-write peer of tests/integration/metrics_generator.test.mjs.
  command -v prometheus >/dev/null 2>&1 || installed prometheus || missing+=(prometheus)
  # The strict proto3 JSON check of the search and tags responses.
  installed python3-protobuf || missing+=(python3-protobuf)
fi

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}"
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install them" >&2
      exit 1
    fi
  fi
  apt_log=$(mktemp)
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$apt_log" 2>&1 ||
     ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         "${missing[@]}" >>"$apt_log" 2>&1; then
    tail -n 40 "$apt_log" >&2
    rm -f "$apt_log"
    echo "install-deps: apt-get failed" >&2
    exit 1
  fi
  rm -f "$apt_log"
fi

if [[ $with_test == 1 ]]; then
  # Debian 12 ships node 18.19; the OpenTelemetry packages need >= 18.19.
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>18||(a===18&&b>=19)?0:1)'; then
    echo "install-deps: warning: node $(node --version) is older than 18.19; integration tests may fail" >&2
  fi
  integ=tests/integration
  stamp_file=$integ/node_modules/.andante-deps-stamp
  want=$(cat "$integ/package.json" "$integ/package-lock.json" | sha256sum | cut -d' ' -f1)
  have=$(cat "$stamp_file" 2>/dev/null || true)
  if [[ ! -d $integ/node_modules || $have != "$want" ]]; then
    echo "install-deps: installing npm packages in $integ"
    npm_log=$(mktemp)
    if ! (cd "$integ" && npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1); then
      # A lock file that npm ci refuses (e.g. an npm much older than the one
      # that wrote it) still installs with npm install.
      if ! (cd "$integ" && npm install --no-audit --no-fund --no-save --loglevel=error >>"$npm_log" 2>&1); then
        tail -n 40 "$npm_log" >&2
        rm -f "$npm_log"
        echo "install-deps: npm failed in $integ" >&2
        exit 1
      fi
    fi
    rm -f "$npm_log"
    echo "$want" >"$stamp_file"
  fi
fi
