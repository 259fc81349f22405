# Hostile reward program: answers with an id that was never sent.
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"] + 1000, "rewards": [1.0] * len(req["samples"])}), flush=True)
