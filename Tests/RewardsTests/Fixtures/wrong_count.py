# Hostile reward program: one reward fewer than the samples it was sent.
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "rewards": [1.0] * (len(req["samples"]) - 1)}), flush=True)
