# Hostile reward program: NaN for completions "nan", +Infinity for "inf", else 1.0.
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    values = {"nan": float("nan"), "inf": float("inf")}
    rewards = [values.get(s["completion"], 1.0) for s in req["samples"]]
    print(json.dumps({"id": req["id"], "rewards": rewards}), flush=True)
