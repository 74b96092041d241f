#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian 12: the Debian
# packages (Boost 1.81, not the default 1.74) and the test OpenID provider
# from npm. Skips what is already there, so it is cheap to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build ccache pkg-config git curl ca-certificates util-linux passwd
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcli11-dev liblmdb-dev libsodium-dev libtomlplusplus-dev libssl-dev libgtest-dev
  nodejs npm mandoc gdb strace clang-format
  systemd dpkg-dev procps   # units: systemd-analyze; the Debian package
  openssl python3 iproute2  # OAuth tests: a test CA, the hostile token endpoint, ss(8)
  python3-prometheus-client # e2e.metrics: parses GET /v1/metrics with a real Prometheus text parser
  universal-ctags           # the size check: function lengths
  clang-16 libfuzzer-16-dev libclang-rt-16-dev  # the fuzz preset (scripts/fuzz.sh)
  etcd-server etcd-client   # the etcd store backend: a 3-member cluster on loopback
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from elsewhere than Debian (e.g. bundled with Node.js).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  echo "install-deps: npm ci in tests/oidc"
  (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
fi
