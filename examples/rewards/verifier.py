#!/usr/bin/env python3
"""A reward program for Tributary using only the Python standard library.

It speaks the JSON-lines protocol of docs/rewards.md on stdin/stdout:

  request   {"id": 7, "samples": [{"completion": "...", "completion_tokens": 3,
             "prompt": "...", "answer": ..., "metadata": {...}}, ...]}
  response  {"id": 7, "rewards": [1.0, 0.0, ...], "correct": [true, false, ...]}

and also answers the older one-sample lines {"id", "prompt", "answer", "completion"} with
{"id", "reward", "correct"}.

Scoring: a completion is correct when, after trimming, collapsing spaces and lower-casing, it
equals the answer or one of the row's `aliases` (a metadata list). Correct scores 1.0. A
wrong completion scores `partial` (metadata, default 0.0) if the answer appears inside it.
A sample it cannot score (e.g. no answer) gets an entry in "errors" instead of a reward.
"""
import json
import sys


def normalise(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return " ".join(text.strip().lower().split())


def score(sample):
    """Returns (reward, correct) for one sample; raises ValueError when it cannot."""
    if sample.get("answer") is None:
        raise ValueError("the row has no answer")
    metadata = sample.get("metadata") or {}
    completion = normalise(sample.get("completion", ""))
    accepted = [normalise(sample["answer"])] + [normalise(a) for a in metadata.get("aliases", [])]
    if completion in accepted:
        return 1.0, True
    if any(a and a in completion for a in accepted):
        return float(metadata.get("partial", 0.0)), False
    return 0.0, False


def handle(request):
    if "samples" not in request:  # the one-sample protocol
        reward, correct = score(request)
        return {"id": request["id"], "reward": reward, "correct": correct}
    rewards, correct, errors = [], [], []
    for sample in request["samples"]:
        try:
            r, c = score(sample)
            rewards.append(r)
            correct.append(c)
            errors.append(None)
        except (ValueError, TypeError) as e:
            rewards.append(0.0)
            correct.append(False)
            errors.append(str(e))
    response = {"id": request["id"], "rewards": rewards, "correct": correct}
    if any(errors):
        response["errors"] = errors
    return response


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(handle(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
