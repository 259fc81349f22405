#!/usr/bin/env python3
"""Protocol conformance suite: starts a real `tributary learner` on loopback ports (h2c and
TLS, worker and admin tokens configured) and drives it over real sockets with an HTTP/2
client independent of Sources/Transport (the PyPI `h2` package) and message code written
from proto/PROTOCOL.md alone (wire.py). One case per MUST (cases_*.py), named after its
section.

Usage: python3 Tests/conformance/run.py <path to the tributary binary> [name filter]
Prints one line per case and `conformance: N passed, M failed`; exits 1 on any failure.
Cases marked expected_fixed_by=<branch> expect the specified behaviour that the named
branch implements; their lines say so.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import h2  # noqa: F401
except ImportError:
    print("conformance: the PyPI package h2 is missing (make deps installs it)")
    sys.exit(2)

import cases_http, cases_rpc, cases_encoding, cases_transport  # noqa: E402,F401  (registration order)
import common  # noqa: E402
import wire  # noqa: E402
from client import Connection  # noqa: E402


class Env:
    """The running learner the cases talk to."""
    def __init__(self, port, tls_port, ca, tokens, pid):
        self.port, self.tls_port, self.ca, self.tokens, self.pid = port, tls_port, ca, tokens, pid
        self.notes = []

    def note(self, text):
        """A measurement printed under the case's line."""
        self.notes.append(text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(d):
    """A CA and a server certificate for 127.0.0.1 (openssl CLI)."""
    steps = [
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=conformance-ca", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem"],
        ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr"],
        ["x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key", "-CAcreateserial",
         "-days", "1", "-extfile", f"{d}/ext", "-out", f"{d}/server.pem"],
    ]
    with open(f"{d}/ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for s in steps:
        subprocess.run(["openssl"] + s, check=True, capture_output=True)


def wait_ready(port, learner, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if learner.poll() is not None:
            raise RuntimeError(f"the learner exited with status {learner.returncode}")
        try:
            c = Connection(port, timeout=2)
            sid = c.request("/readyz", None, method="GET", content_type=None, te=False)
            r = c.wait(sid, 2)
            c.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the learner was not ready within {timeout} s")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    only = sys.argv[2] if len(sys.argv) > 2 else None
    d = tempfile.mkdtemp(prefix="tributary-conformance-")
    learner = None
    started = time.monotonic()
    try:
        make_certificate(d)
        port, tls_port = free_port(), free_port()
        tokens = {"worker": "conformance-worker-token", "admin": "conformance-admin-token"}
        env = dict(os.environ)
        env.update({
            "TRIBUTARY_AUTH_ADMIN_TOKENS": f'["{tokens["admin"]}"]',
            "TRIBUTARY_LISTEN_TLS_CERTIFICATE": f"{d}/server.pem",
            "TRIBUTARY_LISTEN_TLS_KEY": f"{d}/server.key",
            "TRIBUTARY_TRAINING_EVAL_EVERY": "0",
            "TRIBUTARY_TRAINING_TARGET": "2",
            "TRIBUTARY_TRAINING_EXIT_WHEN_DONE": "false",
        })
        log = open(f"{d}/learner.log", "w")
        learner = subprocess.Popen([binary, "learner", "--state-dir", f"{d}/state", "--listen", f"127.0.0.1:{port}",
                                    "--listen-tls", f"127.0.0.1:{tls_port}", "--worker-token", tokens["worker"]],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(port, learner)
        print(f"conformance: learner ready on 127.0.0.1:{port} (h2c) and :{tls_port} (TLS) "
              f"after {time.monotonic() - started:.1f} s", flush=True)
        world = Env(port, tls_port, f"{d}/ca.pem", tokens, learner.pid)
        passed = failed = 0
        for name, run, fixer in common.CASES:
            if only and only not in name:
                continue
            t0 = time.monotonic()
            try:
                run(world)
                outcome, detail = "PASS", ""
            except (AssertionError, wire.WireError) as e:
                outcome, detail = "FAIL", str(e)
            except Exception as e:   # a crash of the case is a failure too, with its cause
                outcome, detail = "FAIL", f"{type(e).__name__}: {e} @ {traceback.extract_tb(e.__traceback__)[-1].lineno}"
            if learner.poll() is not None:
                outcome, detail = "FAIL", f"the learner died (status {learner.returncode}); {detail}"
            mark = f" [expected_fixed_by={fixer}]" if fixer else ""
            line = f"{outcome} {name}{mark} ({time.monotonic() - t0:.2f} s)"
            print(line + (f": {detail}" if detail else ""), flush=True)
            for n in world.notes:
                print(f"    {n}", flush=True)
            world.notes = []
            if outcome == "PASS":
                passed += 1
            else:
                failed += 1
            if learner.poll() is not None:
                break
        print(f"conformance: {passed} passed, {failed} failed")
        return 1 if failed else 0
    except Exception as e:
        print(f"conformance: could not run: {e}")
        if os.path.exists(f"{d}/learner.log"):
            print(open(f"{d}/learner.log").read()[-3000:])
        print("conformance: 0 passed, 1 failed")
        return 1
    finally:
        if learner is not None and learner.poll() is None:
            learner.send_signal(signal.SIGTERM)
            try:
                learner.wait(timeout=20)
            except subprocess.TimeoutExpired:
                learner.kill()
                learner.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
