# Burns 0.85 s of CPU per request, then answers 1.0: near a 1 s RLIMIT_CPU after one call.
import json, sys, time
for line in sys.stdin:
    req = json.loads(line)
    start = time.process_time()
    while time.process_time() - start < 0.85:
        pass
    print(json.dumps({"id": req["id"], "rewards": [1.0] * len(req["samples"])}), flush=True)
