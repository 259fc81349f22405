# Answers one request (reward 1), then exits with status 5 while idle.
import json, os, sys
line = sys.stdin.readline()
req = json.loads(line)
print(json.dumps({"id": req["id"], "rewards": [1.0] * len(req["samples"])}), flush=True)
os._exit(5)
