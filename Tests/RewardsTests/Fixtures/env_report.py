# Reports its environment: reward 1 if FOO is "bar" and TRIBUTARY_TEST_SECRET is absent, else 0.
import json, os, sys
for line in sys.stdin:
    req = json.loads(line)
    ok = os.environ.get("FOO") == "bar" and "TRIBUTARY_TEST_SECRET" not in os.environ
    print(json.dumps({"id": req["id"], "rewards": [1.0 if ok else 0.0] * len(req["samples"])}), flush=True)
