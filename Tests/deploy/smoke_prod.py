#!/usr/bin/env python3
"""Runs the prod overlay's pods as real processes on loopback (Tests/deploy/check.sh).

Usage: smoke_prod.py BIN PROD.yaml

No cluster runs here, so the commands of the rendered manifests are run as they are, with
only paths (volume mounts → a temporary directory) and ports (→ free loopback ports)
rewritten:
- the warm-start init container's script (a real `tributary pretrain`);
- the learner with the ConfigMap's learner.toml and the Secret's tokens as environment,
  serving TLS with a certificate made by `openssl req` (docs/deploy.md);
- the liveness and readiness probe commands (curl over h2c);
- the status-bridge sidecar (nghttpx): HTTP/1.1 /metrics through it, RPC paths refused;
- a worker with the Deployment's arguments, over TLS with the CA, until the learner has
  accepted groups from it;
- SIGTERM to the learner: it checkpoints and exits 0.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml

failures = []
passed = 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, seconds, step=0.5):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def main():
    binary, prod = sys.argv[1:3]
    objs = [d for d in yaml.safe_load_all(open(prod)) if d]
    by = {(o["kind"], o["metadata"]["name"]): o for o in objs}
    sts = by[("StatefulSet", "tributary-learner")]["spec"]["template"]["spec"]
    dep = by[("Deployment", "tributary-worker")]["spec"]["template"]["spec"]
    cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("tributary-learner-config"))
    learner_env = by[("Secret", "tributary-learner-auth")]["stringData"]
    worker_env = by[("Secret", "tributary-worker-auth")]["stringData"]
    learner = next(c for c in sts["containers"] if c["name"] == "learner")
    bridge = next(c for c in sts["containers"] if c["name"] == "status-bridge")
    warm = next(c for c in sts["initContainers"] if c["name"] == "warm-start")
    worker = dep["containers"][0]

    tmp = tempfile.mkdtemp(prefix="tributary-smoke-")
    procs = []
    try:
        # volumes → directories
        mounts = {}
        for m in learner["volumeMounts"] + worker["volumeMounts"]:
            if m["mountPath"] != "/tmp":          # scratch space: the real /tmp will do
                mounts.setdefault(m["mountPath"], os.path.join(tmp, m["name"]))
        for d in mounts.values():
            os.makedirs(d, exist_ok=True)
        cfg_dir = mounts[next(m["mountPath"] for m in learner["volumeMounts"] if m["name"] == "config")]
        with open(os.path.join(cfg_dir, "learner.toml"), "w") as f:
            f.write(cm["data"]["learner.toml"])
        tls_dir = mounts["/etc/tributary/tls"]
        # TLS material as docs/deploy.md makes it, for the address the test dials
        def openssl(*args):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                            "-days", "1", *args], check=True, capture_output=True, cwd=tls_dir)
        openssl("-subj", "/CN=Smoke CA", "-keyout", "ca.key", "-out", "ca.crt")
        openssl("-subj", "/CN=tributary-learner", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth",
                "-CA", "ca.crt", "-CAkey", "ca.key", "-keyout", "tls.key", "-out", "tls.crt")

        h2c, tls, status = free_port(), free_port(), free_port()
        ports = {"7070": str(h2c), "7443": str(tls), "9090": str(status)}

        def rewrite(s):
            alternatives = "|".join(re.escape(p) for p in sorted(mounts, key=len, reverse=True))
            s = re.sub(f"({alternatives})(?![\\w.-])", lambda m: mounts[m.group(1)], s)   # one pass
            s = re.sub(r"(127\.0\.0\.1|0\.0\.0\.0)([:,])(7070|7443|9090)\b", lambda m: f"127.0.0.1{m.group(2)}{ports[m.group(3)]}", s)
            s = re.sub(r"https://tributary-learner:7443", f"https://127.0.0.1:{tls}", s)
            return s

        with open(os.path.join(cfg_dir, "learner.toml")) as f:
            toml = rewrite(f.read())
        with open(os.path.join(cfg_dir, "learner.toml"), "w") as f:
            f.write(toml)
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        os.symlink(binary, os.path.join(bindir, "tributary"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
        env["PATH"] = bindir + os.pathsep + env["PATH"]

        # 1. the init container's script
        script = rewrite(warm["args"][0])
        r = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=600)
        state = mounts["/var/lib/tributary"]
        check(r.returncode == 0 and os.path.isdir(os.path.join(state, "warm", "checkpoint")),
              f"warm-start init container made {state}/warm: {r.stderr[-500:]}")

        # 2. the learner, as the StatefulSet runs it
        log = open(os.path.join(tmp, "learner.log"), "w")
        lp = subprocess.Popen([binary] + [rewrite(a) for a in learner["args"]], env={**env, **learner_env},
                              stdout=log, stderr=subprocess.STDOUT)
        procs.append(lp)

        def probe(name):
            cmd = [rewrite(a) for a in learner[name]["exec"]["command"]]
            return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0

        check(wait_for(lambda: probe("livenessProbe"), 120), "liveness probe command succeeds against the learner")
        check(wait_for(lambda: probe("readinessProbe"), 120), "readiness probe command succeeds once the policy is published")
        with open(os.path.join(tmp, "learner.log")) as f:
            head = f.read()
        check(f"TLS on 0.0.0.0:{tls}" in head or f"TLS on 127.0.0.1:{tls}" in head, f"the learner serves TLS: {head[-300:]}")

        # 3. the status bridge
        bp = subprocess.Popen([bridge["command"][0]] + [rewrite(a) for a in bridge["args"]], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "bridge.log"), "w"))
        procs.append(bp)

        # With admin tokens configured the status routes need one (PROTOCOL.md section 14).
        admin = json.loads(learner_env.get("TRIBUTARY_AUTH_ADMIN_TOKENS", "[]"))
        auth = ["-H", f"authorization: Bearer {admin[0]}"] if admin else []

        def curl(*args):
            r = subprocess.run(["curl", "-s", "--max-time", "10", *auth, *args], capture_output=True, text=True, timeout=30)
            return r.stdout

        def code_without_token(path):
            return subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                                   f"http://127.0.0.1:{status}{path}"], capture_output=True, text=True, timeout=30).stdout

        check(wait_for(lambda: "tributary_policy_version" in curl(f"http://127.0.0.1:{status}/metrics"), 60),
              "HTTP/1.1 GET /metrics through the status bridge")
        if admin:
            check(code_without_token("/metrics") == "401", "GET /metrics without the admin token is refused (401)")
            check(code_without_token("/healthz") == "200", "GET /healthz stays open")
        code = curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", f"http://127.0.0.1:{status}/tributary.v1/Register")
        check(code not in ("200", ""), f"the status bridge does not forward RPC paths (got HTTP {code})")
        check('"version"' in curl("--cacert", os.path.join(tls_dir, "ca.crt"), f"https://127.0.0.1:{tls}/status"),
              "GET /status over TLS with the CA")

        # 4. a worker, as the Deployment runs it
        wenv = {**env, **worker_env, "POD_NAME": "smoke-worker-0"}
        wargs = [rewrite(a).replace("$(POD_NAME)", "smoke-worker-0") for a in worker["args"]]
        wp = subprocess.Popen([binary] + wargs, env=wenv, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "worker.log"), "w"))
        procs.append(wp)

        def accepted():
            m = re.search(r"^tributary_groups_accepted_total (\S+)", curl(f"http://127.0.0.1:{status}/metrics"), re.M)
            return m is not None and float(m.group(1)) > 0
        ok = check(wait_for(accepted, 180, 1), "the learner accepts groups from the worker over TLS")
        if not ok:
            with open(os.path.join(tmp, "worker.log")) as f:
                print(f.read()[-1000:])
        check('"smoke-worker-0"' in curl(f"http://127.0.0.1:{status}/status"), "the worker registered under its pod name")

        # 5. SIGTERM: worker stops, learner checkpoints and exits 0
        wp.send_signal(signal.SIGTERM)
        try:
            check(wp.wait(60) == 0, "the worker exits 0 on SIGTERM")
        except subprocess.TimeoutExpired:
            check(False, "the worker exits within 60 s of SIGTERM")
        lp.send_signal(signal.SIGTERM)
        try:
            check(lp.wait(120) == 0, "the learner exits 0 on SIGTERM")
        except subprocess.TimeoutExpired:
            check(False, "the learner exits within 120 s of SIGTERM")
        check(os.path.exists(os.path.join(state, "LATEST")), "the learner left a checkpoint in the state volume")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            for name in ("learner.log", "bridge.log", "worker.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    print(f"--- {name}"); print(open(path).read()[-1500:])
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"deploy smoke (prod pods as processes): {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
