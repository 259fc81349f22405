# Hostile reward program: tries to allocate 2 GiB per request. Under RLIMIT_AS the allocation
# fails (MemoryError, exit status 1); without a limit it would answer reward 1.
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    hog = bytearray(2 << 30)
    print(json.dumps({"id": req["id"], "rewards": [1.0] * len(req["samples"])}), flush=True)
