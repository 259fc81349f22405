#!/usr/bin/env python3
"""A reward program for Tributary built on Hugging Face's `math-verify` (pip install math-verify;
`make deps` installs it).

Same JSON-lines protocol as verifier.py (docs/rewards.md). The row's answer (a number or a
LaTeX string such as "\\frac{1}{2}") is parsed as the gold answer; the completion is parsed for
its final answer (\\boxed{...}, $...$ or a plain expression) and the two are compared
symbolically, so "0.5", "\\frac{1}{2}" and "1/2" all match. Correct scores 1.0, else 0.0.
A completion with no parsable answer scores 0.0; a row whose answer cannot be parsed is
reported in "errors".
"""
import json
import sys

from math_verify import parse, verify


def gold_of(answer):
    if answer is None:
        raise ValueError("the row has no answer")
    text = answer if isinstance(answer, str) else json.dumps(answer)
    gold = parse(text if "$" in text or "\\" in text else "$" + text + "$")
    if not gold:
        raise ValueError("math-verify cannot parse the answer %r" % text)
    return gold


def score(sample):
    gold = gold_of(sample.get("answer"))
    predicted = parse(sample.get("completion", ""))
    ok = bool(predicted) and bool(verify(gold, predicted))
    return (1.0 if ok else 0.0), ok


def handle(request):
    if "samples" not in request:  # the one-sample protocol
        reward, correct = score(request)
        return {"id": request["id"], "reward": reward, "correct": correct}
    rewards, correct, errors = [], [], []
    for sample in request["samples"]:
        try:
            r, c = score(sample)
            errors.append(None)
        except ValueError as e:
            r, c = 0.0, False
            errors.append(str(e))
        rewards.append(r)
        correct.append(c)
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
