#!/usr/bin/env bash
# The GPU check, one command on a machine with an NVIDIA GPU (docs/gpu.md):
#   1. builds the native addon against the CUDA PyTorch that python3 imports (its libtorch),
#   2. runs the tests that need CUDA (device placement, the fused attention kernel, bf16 autocast,
#      gradient checkpointing with backward on the CUDA engine thread; NCCL once the distributed
#      binding is in the tree),
#   3. prints training tokens/s and 8-beam KV-cached decoding tokens/s, ours next to PyTorch eager on
#      the same model and batch, under bf16 autocast.
# Budget: under 8 minutes on one GPU once packages are there (the addon build is most of it).
#
# Needs: an NVIDIA driver; python3 (or $LATENTR3_PYTHON) with a CUDA build of PyTorch ≥ 2.1; g++ and make;
# Node ≥ 20 (installed from the distribution's nodejs/npm packages when missing, as root); the npm
# packages (npm ci: the npm registry, or a populated npm cache).
# Environment: LATENTR3_PYTHON (python with torch), GPU_CHECK_PRESETS (default "small,base"),
#   GPU_CHECK_SKIP_BUILD=1 (reuse native/build), JOBS (compile jobs; default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
step() { echo "== [$(($(date +%s) - START)) s] $*"; }
die() {
  echo "gpu-check: $*" >&2
  exit 1
}

PY=${LATENTR3_PYTHON:-python3}
export LATENTR3_PYTHON=$PY
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

step "GPU and PyTorch"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader ||
  echo "gpu-check: nvidia-smi not found (continuing: PyTorch decides)"
"$PY" - <<'EOF' || die "needs $PY with a CUDA build of PyTorch ≥ 2.1 that sees a GPU (set LATENTR3_PYTHON to another python)"
import torch, sys
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.device_count()} device(s): "
      f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}")
sys.exit(0 if torch.cuda.is_available() else 1)
EOF
TORCH_DIR=$("$PY" -c 'import torch, os; print(os.path.dirname(torch.__file__))')

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  step "installing Node from the distribution (nodejs, npm)"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
  [ "$(node_major)" -ge 20 ] || die "Node ≥ 20 is needed; the distribution has $(node --version 2>/dev/null || echo none) (install Node 20+ and rerun)"
fi
need=()
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if [ ! -d node_modules/node-addon-api ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

if [ "${GPU_CHECK_SKIP_BUILD:-0}" != 1 ]; then
  step "building the addon against $TORCH_DIR"
  LIBTORCH=$TORCH_DIR node native/configure.mjs
  npx node-gyp rebuild -j "${JOBS:-$(nproc)}" --directory native >/tmp/latentr3-gpu-build.log 2>&1 || {
    tail -n 40 /tmp/latentr3-gpu-build.log
    die "native build failed (full log: /tmp/latentr3-gpu-build.log)"
  }
fi
# The addon links libtorch by path; pip wheels keep their CUDA libraries beside it.
export LD_LIBRARY_PATH="$TORCH_DIR/lib:${LD_LIBRARY_PATH:-}"
npx tsc -p tsconfig.json
node dist/src/cli/main.js info
node -e 'import("./dist/src/engine/index.js").then(e => { if (!e.cudaAvailable()) { console.error("gpu-check: the addon sees no CUDA device"); process.exit(1); } })'

step "CUDA tests"
node scripts/run-tests.mjs engine/cuda distributed/nccl

step "throughput: training and 8-beam decoding tokens/s, ours vs PyTorch eager (bf16 autocast)"
node dist/bench/llm/throughput.js --device cuda --precision bf16 --presets "${GPU_CHECK_PRESETS:-small,base}" \
  --rounds 2 --train-steps 10 --decode-repeats 3 --settings 1/1

step "done"
