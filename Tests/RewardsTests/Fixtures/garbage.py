# Hostile reward program: answers every request with a line that is not JSON.
import sys
for line in sys.stdin:
    print("the reward is probably fine", flush=True)
