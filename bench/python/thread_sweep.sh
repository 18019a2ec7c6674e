#!/usr/bin/env bash
# Runs both Python benchmarks under the three OpenMP/OpenBLAS thread splits that matter on a 2-core
# machine, alternating settings across rounds so drift on a noisy VM hits all of them alike.
# Prints one JSON line per run (fields "omp", "openblas", "round" added). Usage: bench/python/thread_sweep.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${LATENTR3_PYTHON:-/usr/bin/python3}"
rounds="${1:-2}"
for round in $(seq 1 "$rounds"); do
  for split in "1 2" "2 1" "2 2"; do
    set -- $split
    for bench in engine llm; do
      if [ "$bench" = engine ]; then args=("$here/engine_bench.py" --json)
      else args=("$here/llm_bench.py" --config "$here/configs/qwen2-bench-6m.json" --json); fi
      OMP_NUM_THREADS=$1 OPENBLAS_NUM_THREADS=$2 "$py" "${args[@]}" |
        "$py" -c "import json,sys; d=json.loads(sys.stdin.read()); d.update(omp=$1, openblas=$2, round=$round); print(json.dumps(d))"
    done
  done
done
