#!/usr/bin/env bash
# After `make run-real` (docs/real-model.md): what RL did to SmolLM2-135M-Instruct beyond its
# task, and whether its final checkpoint is still a Hugging Face model.
#   1. the greedy answers of the base model and of the final checkpoint to five fixed prompts
#      unrelated to arithmetic, side by side, in RUN_DIR/forgetting.md;
#   2. with a Python that has torch + transformers (`make bench-peer-deps`), the final checkpoint
#      loads with AutoModelForCausalLM / AutoTokenizer and decodes greedily as `tributary
#      generate` does (Tests/interop/hf_check_pretrained.py).
# Usage: after-rl.sh TRIBUTARY_BIN BASE_MODEL CHECKPOINT_DIR RUN_DIR [PEER_PYTHON]
set -euo pipefail
bin=$1 base=$2 after=$3 dir=$4 peer=${5:-}
prompts=(
  "What is the capital of France?"
  "Write one sentence about the sea."
  "Name three primary colors."
  "Translate 'good morning' into Spanish."
  "What does a thermometer measure?"
)
one_line() { tr '\n|' ' /' | sed 's/  */ /g'; }
{
  echo "| prompt | base model (greedy) | after RL (greedy) |"
  echo "|---|---|---|"
  for p in "${prompts[@]}"; do
    b=$("$bin" generate --checkpoint "$base" --chat --greedy --max-new-tokens 48 --prompt "$p" | one_line)
    a=$("$bin" generate --checkpoint "$after" --chat --greedy --max-new-tokens 48 --prompt "$p" | one_line)
    echo "| $p | $b | $a |"
  done
} > "$dir/forgetting.md"
cat "$dir/forgetting.md"
if [ -n "$peer" ] && "$peer" -c "import torch, transformers" 2>/dev/null; then
  "$bin" generate --checkpoint "$after" --chat --greedy --json --max-new-tokens 16 \
    --prompt "What is 7 plus 5? Reply with just the number." > "$dir/generate-after.json"
  "$peer" "$(dirname "$0")/../../Tests/interop/hf_check_pretrained.py" "$after" "$dir/generate-after.json"
else
  echo "after-rl: no torch + transformers at '${peer}' (make bench-peer-deps): transformers load check skipped"
fi
