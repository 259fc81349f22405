#!/usr/bin/env python3
"""Hugging Face interop: a Tributary checkpoint loads unchanged in transformers.

Usage: hf_check.py CHECKPOINT_DIR [--tol 1e-4]

Loads CHECKPOINT_DIR with `GPT2LMHeadModel.from_pretrained` (config.json and
model.safetensors exactly as Tributary wrote them), then recomputes the log-probs of
CHECKPOINT_DIR/interop_inputs.safetensors (`tokens` I32 [N,S], `logprobs` F32 [N,S];
position t = log p(tokens[t] | tokens[<t]), position 0 = 0) in float64 and compares.
Prints the max absolute difference; exits 0 if it is within --tol, 1 otherwise.

Needs torch and transformers (several GB): `make bench-peer-deps` installs them in
.venv-peer, and `make interop-hf` runs this against the checkpoint the Swift interop
test leaves in .build/artifacts/interop-checkpoint.
"""
import sys

import torch
from safetensors.torch import load_file
from transformers import GPT2LMHeadModel


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    d = args[0]
    tol = float(args[args.index("--tol") + 1]) if "--tol" in args else 1e-4
    model = GPT2LMHeadModel.from_pretrained(d, torch_dtype=torch.float64)
    model.eval()
    inputs = load_file(f"{d}/interop_inputs.safetensors")
    tokens = inputs["tokens"].long()
    expected = inputs["logprobs"].double()
    with torch.no_grad():
        logits = model(input_ids=tokens).logits
    lp = torch.log_softmax(logits, dim=-1)
    got = torch.zeros_like(expected)
    got[:, 1:] = lp[:, :-1, :].gather(-1, tokens[:, 1:, None]).squeeze(-1)
    diff = (got - expected).abs().max().item()
    print(f"transformers {__import__('transformers').__version__}: GPT2LMHeadModel.from_pretrained({d}) "
          f"max abs difference {diff:.3g} over {tokens.numel()} positions (tolerance {tol})")
    sys.exit(0 if diff <= tol else 1)


if __name__ == "__main__":
    main()
