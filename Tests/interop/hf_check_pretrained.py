#!/usr/bin/env python3
"""Hugging Face interop for pretrained-family checkpoints (Llama, Qwen2, GPT-2 with BPE).

Usage: hf_check_pretrained.py CHECKPOINT_DIR GENERATE_JSON [--tol 1e-3]

CHECKPOINT_DIR is what `tributary import` (or a learner checkpoint of a real model) wrote;
GENERATE_JSON is the output of `tributary generate --checkpoint CHECKPOINT_DIR --chat --greedy
--json --prompt TEXT`. Checks, with transformers alone:
  1. AutoModelForCausalLM.from_pretrained(CHECKPOINT_DIR) and AutoTokenizer.from_pretrained load it;
  2. apply_chat_template renders and tokenizes the prompt as Tributary did;
  3. greedy decoding gives the same tokens, and their log-probs agree within --tol.
Exits 0 when all hold. Needs torch + transformers (`make bench-peer-deps`).
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    d, gen_path = args[0], args[1]
    tol = float(args[args.index("--tol") + 1]) if "--tol" in args else 1e-3
    gen = json.load(open(gen_path))
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(d)
    ok = True
    user = gen["prompt"]
    ids = tok(user, add_special_tokens=False)["input_ids"]
    if ids != gen["promptTokens"]:
        print(f"prompt tokens differ:\n  transformers {ids}\n  tributary    {gen['promptTokens']}")
        ok = False
    n = len(gen["tokens"])
    with torch.no_grad():
        out = model.generate(torch.tensor([gen["promptTokens"]]), max_new_tokens=n, do_sample=False,
                             output_scores=True, return_dict_in_generate=True, pad_token_id=tok.eos_token_id)
    got = out.sequences[0, len(gen["promptTokens"]):].tolist()
    if got != gen["tokens"][:len(got)]:
        print(f"greedy tokens differ:\n  transformers {got}\n  tributary    {gen['tokens']}")
        ok = False
    lps = [torch.log_softmax(s[0], -1)[t].item() for s, t in zip(out.scores, got)]
    diff = max((abs(a - b) for a, b in zip(lps, gen["logProbs"])), default=0.0)
    print(f"{type(model).__name__} from {d}: {len(got)} greedy tokens equal: {got == gen['tokens'][:len(got)]}, "
          f"log-prob max |diff| {diff:.2e} (tol {tol})")
    ok = ok and diff <= tol
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
