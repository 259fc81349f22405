# Hostile reward program: reads a request and never answers.
import sys, time
for line in sys.stdin:
    time.sleep(3600)
