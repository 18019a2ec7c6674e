#!/usr/bin/env bash
# Sets up latentr3 on a fresh Debian/Ubuntu machine: system packages (libtorch, OpenBLAS, Gloo's
# headers, Python torch for the reference checks and benchmarks, Chromium for the web page's test), npm
# packages, the native addon and the TypeScript build. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if [ -z "${LIBTORCH:-}" ] && [ ! -f /usr/include/torch/csrc/api/include/torch/torch.h ] \
  && ! python3 -c 'import torch' >/dev/null 2>&1; then
  need_apt+=(libtorch-dev)
fi
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need_apt+=(libopenblas0-pthread)
# Gloo's headers: Debian's libtorch exports c10d's Gloo process group but does not ship the headers
# that distributed training (native/src/distributed.cc) compiles against.
if [ -z "${LIBTORCH:-}" ] && [ ! -f /usr/include/gloo/algorithm.h ]; then
  need_apt+=(libgloo-dev)
fi
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need_apt+=(python3-torch)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
# The web page's browser test (test/serve/browser.test.ts) drives Debian's Chromium; no browser is downloaded.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

echo "setup: installing npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

echo "setup: building the native addon"
node native/configure.mjs
npx node-gyp rebuild -j 2 --directory native >/tmp/latentr3-native-build.log 2>&1 || {
  tail -n 40 /tmp/latentr3-native-build.log
  echo "setup: native build failed (full log: /tmp/latentr3-native-build.log)"
  exit 1
}

echo "setup: compiling TypeScript"
npx tsc -p tsconfig.json
echo "setup: done"
