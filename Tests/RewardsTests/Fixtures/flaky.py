# Reward program that crashes on its first request ever (marker file argv[1]), then scores
# every sample 0.5. For the retry_once policy.
import json, os, sys
marker = sys.argv[1]
for line in sys.stdin:
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "rewards": [0.5] * len(req["samples"])}), flush=True)
