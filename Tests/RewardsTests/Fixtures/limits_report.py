# Reports the limits it runs under as its reward line: cpu, address space, open files, no_new_privs.
import json, resource, sys
def soft(r):
    return resource.getrlimit(r)[0]
def no_new_privs():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("NoNewPrivs:"):
                return int(line.split()[1])
    return -1
for line in sys.stdin:
    req = json.loads(line)
    report = [soft(resource.RLIMIT_CPU), soft(resource.RLIMIT_AS), soft(resource.RLIMIT_NOFILE), no_new_privs()]
    print(json.dumps({"id": req["id"], "rewards": report[:len(req["samples"])]}), flush=True)
