#!/usr/bin/env python3
"""Writes arith-chat.jsonl: "What is A plus B? Reply with just the number." for A, B in 0..20.

One row per (A, B): {"prompt": ..., "answer": A+B, "a": A, "b": B}. Use it with a chat model:
`--task jsonl:path=examples/tasks/arith-chat.jsonl,chat=true` (docs/tasks.md); `a` and `b` are
metadata for reward functions (docs/rewards.md). Deterministic: rerunning gives the same file.
"""
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "arith-chat.jsonl"), "w") as f:
    for a in range(21):
        for b in range(21):
            row = {"prompt": f"What is {a} plus {b}? Reply with just the number.", "answer": a + b, "a": a, "b": b}
            f.write(json.dumps(row) + "\n")
