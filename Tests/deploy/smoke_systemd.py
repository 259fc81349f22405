#!/usr/bin/env python3
"""Runs the systemd units' ExecStart lines as real processes on loopback (Tests/deploy/check.sh).

Usage: smoke_systemd.py BIN REPO

No systemd PID 1 runs here, so this does what systemd would do with the units' command
lines, reading the shipped files:
- EnvironmentFile= from `deploy/systemd/*.env.example` (with the placeholder tokens);
- `${VAR}` as one argument, `$VAR` split on white space, `%i` as the instance name;
- the learner's `/etc/tributary/learner.toml` from `deploy/systemd/learner.toml`, and its
  LoadCredential= files in a temporary credentials directory, with a certificate made by
  `openssl req`;
- only paths (/etc/tributary, /var/lib/tributary, /run/credentials/…) and ports are
  rewritten.
Then a worker unit instance must get groups accepted over TLS, and on SIGTERM (systemd's
KillSignal) both must exit 0. The hardening options themselves need systemd and are only
checked by `systemd-analyze verify`.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

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


def unit(path):
    """[Service] key → list of values."""
    out, section = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            k, _, v = line.partition("=")
            out.setdefault(k, []).append(v)
    return out


def env_file(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            env[k] = v
    return env


def exec_start(line, env, instance):
    """systemd's expansion of an ExecStart= line (the subset the units use)."""
    args = []
    for word in shlex.split(line.replace("%i", instance)):
        m = re.fullmatch(r"\$\{(\w+)\}", word)
        if m:
            args.append(env.get(m.group(1), ""))
        elif re.fullmatch(r"\$(\w+)", word):
            args += env.get(word[1:], "").split()
        else:
            args.append(word)
    return args


def main():
    binary, repo = sys.argv[1:3]
    sd = os.path.join(repo, "deploy", "systemd")
    tmp = tempfile.mkdtemp(prefix="tributary-systemd-")
    procs = []
    try:
        etc, state, creds = (os.path.join(tmp, d) for d in ("etc", "state", "credentials"))
        for d in (etc, state, creds, os.path.join(etc, "tls")):
            os.makedirs(d)
        h2c, tls = free_port(), free_port()
        learner_unit = unit(os.path.join(sd, "tributary-learner.service"))
        worker_unit = unit(os.path.join(sd, "tributary-worker@.service"))

        def rewrite(s):
            s = s.replace("/run/credentials/tributary-learner.service", creds)
            s = s.replace("/etc/tributary", etc).replace("/var/lib/tributary", state).replace("/usr/local/bin/tributary", binary)
            s = s.replace("127.0.0.1:7070", f"127.0.0.1:{h2c}").replace("0.0.0.0:7443", f"127.0.0.1:{tls}")
            return s.replace("https://learner.example.internal:7443", f"https://127.0.0.1:{tls}")

        # /etc/tributary as docs/deploy.md installs it
        with open(os.path.join(sd, "learner.toml")) as f, open(os.path.join(etc, "learner.toml"), "w") as g:
            g.write(rewrite(f.read()))
        tlsdir = os.path.join(etc, "tls")
        def openssl(*args):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                            "-days", "1", *args], check=True, capture_output=True, cwd=tlsdir)
        openssl("-subj", "/CN=Smoke CA", "-keyout", "ca.key", "-out", "ca.pem")
        openssl("-subj", "/CN=learner", "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE",
                "-addext", "extendedKeyUsage=serverAuth", "-CA", "ca.pem", "-CAkey", "ca.key", "-keyout", "server.key", "-out", "server.pem")
        # LoadCredential=NAME:PATH copies PATH to the credentials directory as NAME
        for spec in learner_unit.get("LoadCredential", []):
            name, _, src = spec.partition(":")
            shutil.copy(rewrite(src), os.path.join(creds, name))
        check(len(learner_unit.get("LoadCredential", [])) == 3, "the learner unit loads certificate, key and CA as credentials")

        base = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
        lenv = {**base, **env_file(os.path.join(sd, "learner.env.example"))}
        largs = [rewrite(a) for a in exec_start(learner_unit["ExecStart"][0], lenv, "")]
        # an empty state directory and no task.init: start from a warm checkpoint like docs/deploy.md step 3
        warm = os.path.join(tmp, "warm")
        r = subprocess.run([binary, "pretrain", "--out", warm, "--target-accuracy", "0.3", "--threads", "1"],
                           capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"pretrain for the warm start: {r.stderr[-300:]}")
        log = open(os.path.join(tmp, "learner.log"), "w")
        lp = subprocess.Popen(largs + ["--init", os.path.join(warm, "checkpoint")], env=lenv,
                              stdout=log, stderr=subprocess.STDOUT)
        procs.append(lp)

        # With admin tokens configured the status routes need one (PROTOCOL.md section 14).
        admin = json.loads(lenv.get("TRIBUTARY_AUTH_ADMIN_TOKENS", "[]"))
        auth = ["-H", f"authorization: Bearer {admin[0]}"] if admin else []

        def curl(*args):
            return subprocess.run(["curl", "-s", "--max-time", "10", *auth, *args], capture_output=True, text=True, timeout=30).stdout

        check(wait_for(lambda: curl("--http2-prior-knowledge", f"http://127.0.0.1:{h2c}/readyz").startswith("ready"), 120),
              "the learner unit's command serves /readyz on loopback h2c")
        check("tributary_policy_version" in curl("--cacert", os.path.join(tlsdir, "ca.pem"), f"https://127.0.0.1:{tls}/metrics"),
              "the learner unit serves TLS with the credentials")

        wenv = {**base, **{k: rewrite(v) for k, v in env_file(os.path.join(sd, "worker.env.example")).items()}}
        wargs = exec_start(worker_unit["ExecStart"][0], wenv, "smoke-1")
        wargs = [rewrite(a) for a in wargs]
        check("--ca" in wargs and wargs[wargs.index("--name") + 1] == "smoke-1", f"the worker unit's command line: {wargs}")
        wp = subprocess.Popen(wargs, env=wenv, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "worker.log"), "w"))
        procs.append(wp)

        def accepted():
            m = re.search(r"^tributary_groups_accepted_total (\S+)",
                          curl("--http2-prior-knowledge", f"http://127.0.0.1:{h2c}/metrics"), re.M)
            return m is not None and float(m.group(1)) > 0
        check(wait_for(accepted, 180, 1), "the worker unit's groups are accepted over TLS with the token from worker.env")
        check('"smoke-1"' in curl("--http2-prior-knowledge", f"http://127.0.0.1:{h2c}/status"), "the worker is named after its instance")
        for p, name in ((wp, "worker"), (lp, "learner")):
            p.send_signal(signal.SIGTERM)
            try:
                check(p.wait(120) == 0, f"the {name} exits 0 on SIGTERM")
            except subprocess.TimeoutExpired:
                check(False, f"the {name} exits within 120 s of SIGTERM")
        check(os.path.exists(os.path.join(state, "LATEST")), "the learner checkpointed into its StateDirectory")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            for name in ("learner.log", "worker.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    print(f"--- {name}"); print(open(path).read()[-1500:])
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"deploy smoke (systemd command lines as processes): {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
