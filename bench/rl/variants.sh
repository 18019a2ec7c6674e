#!/usr/bin/env bash
# LR-GRPO variants against latent SFT (issue 12's experiment): one pretrained + latent-SFT model,
# then the paper's objective (target-likelihood), the Gaussian-density ratio and the pathwise gradient,
# each with RL seeds 1..3 at each learning rate, every run evaluated on the full test split and tested
# pair by pair against latent SFT (`latentr3 compare --baseline`).
#
#   bash bench/rl/variants.sh [OUT] [extra data options, e.g. --data ../shared/data/amazon-cds]
#   env: LRS="2e-5 1e-4" SEEDS="1 2 3" POLICIES="target-likelihood gaussian pathwise" STEPS=60 SIGMA=0.1
#        EVAL_LIMIT=2000 (evaluate every model on the same first N test users; 0 = all)
#   OUT/pretrain and OUT/sft may be links to an existing run's folders (the CDs demo's, say): they are
#   trained only when OUT/<stage>/model/config.json is missing.
set -euo pipefail
OUT=${1:-runs/rl-variants}
shift || true
DATA=("$@")
LRS=${LRS:-"2e-5 1e-4"}
SEEDS=${SEEDS:-"1 2 3"}
POLICIES=${POLICIES:-"target-likelihood gaussian pathwise"}
STEPS=${STEPS:-60}
SIGMA=${SIGMA:-0.1}
EVAL_LIMIT=${EVAL_LIMIT:-0}
L="node dist/src/cli/main.js"
export LATENTR3_QUIET=${LATENTR3_QUIET:-1}

[ -f "$OUT/pretrain/model/config.json" ] ||
  $L train pretrain "${DATA[@]}" --out "$OUT/pretrain" --overwrite
[ -f "$OUT/sft/model/config.json" ] ||
  $L train sft "${DATA[@]}" --model "$OUT/pretrain/model" --latent 1 --lr 1e-3 --out "$OUT/sft" --overwrite
[ -f "$OUT/eval-sft/report.json" ] ||
  $L eval "${DATA[@]}" --model "$OUT/sft/model" --limit "$EVAL_LIMIT" --out "$OUT/eval-sft" --run "latent SFT" --overwrite
runs=("$OUT/eval-sft")
for lr in $LRS; do
  for policy in $POLICIES; do
    for seed in $SEEDS; do
      name="$policy-lr$lr-seed$seed"
      [ -f "$OUT/rl-$name/model/config.json" ] ||
        $L train rl "${DATA[@]}" --model "$OUT/sft/model" --policy "$policy" --lr "$lr" --seed "$seed" \
          --sigma "$SIGMA" --prompts-per-step 16 --max-steps "$STEPS" --out "$OUT/rl-$name" --overwrite
      [ -f "$OUT/eval-$name/report.json" ] ||
        $L eval "${DATA[@]}" --model "$OUT/rl-$name/model" --limit "$EVAL_LIMIT" --out "$OUT/eval-$name" --run "$name" --overwrite
      runs+=("$OUT/eval-$name")
    done
  done
done
$L compare "${runs[@]}" --baseline "$OUT/eval-sft" --html "$OUT/comparison.html" | tee "$OUT/comparison.txt"
