# Hostile reward program: answers correctly, then prints a debug line nobody asked for.
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "rewards": [1.0] * len(req["samples"])}), flush=True)
    print("debug: scored", len(req["samples"]), flush=True)
