#!/usr/bin/env python3
"""PyTorch + transformers peer for `tributary bench real`: the same work on the same real model.

What a user would write instead, on CPU in float32: the model loaded by transformers
(`AutoModelForCausalLM.from_pretrained`, a GGUF through the PyPI packages gguf + accelerate),
one GRPO clipped-surrogate update with AdamW over N sequences of T tokens (learner tokens/s),
KV-cached sampling of S sequences with behaviour log-probs (sampler tokens/s), and the
Hugging Face `tokenizers` encoder on a text file (tokenizer MB/s).

Usage: real_model_peer.py --model PATH [--threads 2] [--learner-seqs 64] [--seq-len 96]
       [--learner-steps 1] [--sampler-seqs 16] [--prompt-len 32] [--new-tokens 64] [--text FILE]
Prints one JSON object. Token ids are random in [0, vocab), as in `tributary bench real`.
"""
import argparse
import json
import os
import time

import torch


def load(path):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    if path.endswith(".gguf"):
        d, f = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
        return (AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32),
                AutoTokenizer.from_pretrained(d, gguf_file=f))
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32), AutoTokenizer.from_pretrained(path)


def learner_tokens_per_s(model, n, T, vocab, steps, eps=0.2):
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
    g = torch.Generator().manual_seed(0)
    toks = torch.randint(0, vocab, (n, T), generator=g)
    with torch.no_grad():
        old = torch.log_softmax(model(toks).logits[:, :-1], -1).gather(-1, toks[:, 1:, None])[..., 0]
    adv = torch.randn(n, 1, generator=g)

    def step():
        logp = torch.log_softmax(model(toks).logits[:, :-1], -1).gather(-1, toks[:, 1:, None])[..., 0]
        ratio = torch.exp(logp - old)
        loss = -torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps) * adv).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up (allocates AdamW state)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * n * T / (time.perf_counter() - t)


@torch.no_grad()
def sampler_tokens_per_s(model, s, prompt_len, new_tokens, vocab, reps=2):
    model.eval()
    g = torch.Generator().manual_seed(1)
    prompts = torch.randint(0, vocab, (s, prompt_len), generator=g)

    def generate():
        out = model(prompts, use_cache=True)
        past, logits = out.past_key_values, out.logits[:, -1]
        for _ in range(new_tokens):
            probs = torch.softmax(logits, -1)
            nxt = torch.multinomial(probs, 1, generator=g)
            torch.log(probs.gather(-1, nxt))  # behaviour log-prob, as a worker records it
            out = model(nxt, past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[:, -1]

    generate()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        generate()
        best = min(best, time.perf_counter() - t)
    return s * new_tokens / best


def tokenizer_mb_per_s(tok, path, reps=3):
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        tok(lines, add_special_tokens=False)
        best = min(best, time.perf_counter() - t)
    return len(text.encode()) / best / 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--learner-seqs", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=96)
    p.add_argument("--learner-steps", type=int, default=1)
    p.add_argument("--sampler-seqs", type=int, default=16)
    p.add_argument("--prompt-len", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--text", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, tok = load(a.model)
    vocab = model.config.vocab_size
    import transformers
    res = {"peer": f"torch {torch.__version__} + transformers {transformers.__version__} {type(model).__name__}",
           "parameters": sum(q.numel() for q in model.parameters())}
    res["sampler_tokens_per_s"] = sampler_tokens_per_s(model, a.sampler_seqs, a.prompt_len, a.new_tokens, vocab)
    if a.text:
        res["tokenizer_mb_per_s"] = tokenizer_mb_per_s(tok, a.text)
    if a.learner_steps > 0:
        res["learner_tokens_per_s"] = learner_tokens_per_s(model, a.learner_seqs, a.seq_len, vocab, a.learner_steps)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
