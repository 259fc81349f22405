# Hostile reward program: exits with status 3 on the first request.
import os, sys
for line in sys.stdin:
    os._exit(3)
