# Hostile reward program: burns CPU forever on a request; RLIMIT_CPU ends it with SIGXCPU.
import sys
for line in sys.stdin:
    x = 0
    while True:
        x += 1
