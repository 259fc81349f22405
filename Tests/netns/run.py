#!/usr/bin/env python3
"""Multi-host tests on one machine (issue 6 §4; Tests/netns/README.md).

Network namespaces are the hosts: a learner host and three worker hosts on a bridge (veth
pairs, iproute2), each link capped with `tbf`. Workers reach the learner over TLS with
tokens through faultproxy.py (20 ms ± 5 ms per chunk, occasional stalls, connections cut at
random). Scenarios, in one run:
  1. training advances under these faults with all three workers contributing;
  2. a worker host partitioned for 30 s (link down) while the others continue, then restored:
     it rejoins by itself;
  3. the learner killed (SIGKILL) and restarted with its state directory: versions and steps
     do not go back, workers reconnect by themselves, and the run reaches its target;
  4. accounting: every acknowledged group trained exactly once.
Needs root; prints SKIPPED with the reason and exits 0 where namespaces cannot be created.
"""
import json, os, random, shutil, signal, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/tributary")
HERE = os.path.dirname(os.path.abspath(__file__))
P = f"tr{os.getpid() % 100000}"
SW, LH = f"{P}s", f"{P}l"
WH = [f"{P}w{i}" for i in (1, 2, 3)]
IP = {LH: "10.77.0.1", WH[0]: "10.77.0.11", WH[1]: "10.77.0.12", WH[2]: "10.77.0.13"}
procs = []
failures = []
TARGET = 0.6   # held-out greedy accuracy from a 30 % warm start

def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r

def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)

LOGS = os.environ.get("TRIBUTARY_NETNS_LOGS")   # keep every process's stderr here when set

def spawn(ns, args, env=None, out=None, log=None):
    e = dict(os.environ, CI="true", **(env or {}))
    err = open(os.path.join(LOGS, log), "a") if LOGS and log else subprocess.DEVNULL
    p = subprocess.Popen(["ip", "netns", "exec", ns] + args, env=e, stdout=out or subprocess.DEVNULL,
                         stderr=err, text=True)
    procs.append(p)
    return p

# Lowest (version, step) every later /status must show: the highest seen so far from the
# running learner, or after a restart the durable version floor the killed learner left.
floor_seen = {"version": 0, "step": 0}
regressions = []

def status():
    r = sh(f"ip netns exec {LH} {BIN} status --learner http://127.0.0.1:7070 --json", check=False)
    try:
        s = json.loads(r.stdout) if r.returncode == 0 else None
    except json.JSONDecodeError:
        return None
    if s is not None:
        for k in ("version", "step"):
            if s[k] < floor_seen[k]:
                regressions.append(f"{k} {s[k]} after {floor_seen[k]}")
            floor_seen[k] = max(floor_seen[k], s[k])
    return s

def status_now(what, attempts=20):
    """The learner's status, retried: one `tributary status` can time out on a loaded machine (the
    CLI exits non-zero), which is no finding; 20 failures in a row (about 10 s) are."""
    for _ in range(attempts):
        s = status()
        if s is not None:
            return s
        time.sleep(0.5)
    raise RuntimeError(f"no status from the learner {what} ({attempts} attempts)")

def wait_for(what, cond, timeout):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        s = status()
        last = s or last
        if s is not None and cond(s):
            return s
        time.sleep(0.5)
    seen = f"step {last['step']}, held-out {last.get('evalGreedyAccuracy')}" if last else "no status"
    check(False, f"timed out ({timeout} s) waiting for {what} (last: {seen})")
    raise SystemExit(finish())

def groups_by_name(s, name):
    return sum(w["groupsSubmitted"] for w in s["workers"] if w["name"] == name)

def setup_network():
    sh(f"ip netns add {SW}")
    sh(f"ip -n {SW} link add br0 type bridge && ip -n {SW} link set br0 up")
    for i, h in enumerate([LH] + WH):
        sh(f"ip netns add {h}")
        a, b = f"{P}a{i}", f"{P}b{i}"
        sh(f"ip link add {a} type veth peer name {b}")
        sh(f"ip link set {a} netns {h} && ip -n {h} link set {a} name eth0")
        sh(f"ip link set {b} netns {SW} && ip -n {SW} link set {b} master br0 && ip -n {SW} link set {b} up")
        sh(f"ip -n {h} addr add {IP[h]}/24 dev eth0 && ip -n {h} link set eth0 up && ip -n {h} link set lo up")
        # Bandwidth cap on the host's egress (netem does not exist on this kernel; tbf does).
        sh(f"ip netns exec {h} tc qdisc add dev eth0 root tbf rate 40mbit burst 64kb latency 100ms")
        os.makedirs(f"/etc/netns/{h}", exist_ok=True)
        with open(f"/etc/netns/{h}/hosts", "w") as f:
            f.write(f"127.0.0.1 localhost\n{IP[LH]} learner\n")

def teardown():
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):   # finish cleaning up whatever comes
        signal.signal(sig, signal.SIG_IGN)
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    for h in [SW, LH] + WH:
        sh(f"ip netns del {h}", check=False)
        shutil.rmtree(f"/etc/netns/{h}", ignore_errors=True)

def finish():
    print(f"netns: {'all checks passed' if not failures else f'{len(failures)} check(s) failed'}", flush=True)
    return 1 if failures else 0

def make_pki(d):
    steps = [
        f"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=netns-ca -keyout {d}/ca.key -out {d}/ca.pem",
        f"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=learner -keyout {d}/server.key -out {d}/server.csr",
        f"printf 'subjectAltName=DNS:learner,IP:{IP[LH]}' > {d}/ext",
        f"openssl x509 -req -in {d}/server.csr -CA {d}/ca.pem -CAkey {d}/ca.key -CAcreateserial -days 1 -extfile {d}/ext -out {d}/server.pem",
    ]
    for s in steps:
        sh(s)

def start_learner(d, target, exit_when_done):
    env = {"TRIBUTARY_LISTEN_TLS_CERTIFICATE": f"{d}/server.pem", "TRIBUTARY_LISTEN_TLS_KEY": f"{d}/server.key",
           "TRIBUTARY_TRAINING_TARGET": str(target), "TRIBUTARY_TRAINING_EVAL_EVERY": "5",
           "TRIBUTARY_STATE_CHECKPOINT_EVERY": "5", "TRIBUTARY_ROLLOUT_LEASE_SECONDS": "8",
           "TRIBUTARY_TRAINING_EXIT_WHEN_DONE": "false" if not exit_when_done else "true"}
    return spawn(LH, [BIN, "learner", "--state-dir", f"{d}/state", "--init", f"{d}/pre", "--listen", "127.0.0.1:7070",
                      "--listen-tls", "127.0.0.1:7443", "--worker-token", "netns-token"], env=env, log="learner.log")

def main():
    if os.geteuid() != 0:
        print("SKIPPED: the multi-host tests need root (network namespaces)")
        return 0
    if sh(f"ip netns add {P}probe", check=False).returncode != 0:
        print("SKIPPED: network namespaces cannot be created here (ip netns add failed)")
        return 0
    sh(f"ip netns del {P}probe", check=False)
    d = tempfile.mkdtemp(prefix="tributary-netns-")
    t0 = time.time()
    def interrupted(sig, _frame):   # SIGTERM/SIGHUP (a CI timeout): clean up like any failure
        raise RuntimeError(f"interrupted by signal {sig}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    try:
        setup_network()
        make_pki(d)
        sh(f"{BIN} pretrain --out {d}/pre --target-accuracy 0.3")
        print(f"netns: hosts {LH} (learner, {IP[LH]}) and {', '.join(WH)} on a bridge, tbf 40 mbit, TLS through faultproxy", flush=True)
        learner = start_learner(d, target=2, exit_when_done=True)       # no target yet: scenarios first
        proxy = spawn(LH, [sys.executable, f"{HERE}/faultproxy.py", "--listen", f"{IP[LH]}:8443", "--target", "127.0.0.1:7443",
                                   "--cut-min", "10", "--cut-max", "20"],
                      out=subprocess.PIPE)
        wait_for("the learner", lambda s: True, 60)
        workers = {}
        for i, h in enumerate(WH):
            workers[h] = spawn(h, [BIN, "worker", "--learner", "https://learner:8443", "--ca", f"{d}/ca.pem",
                                   "--token", "netns-token", "--name", f"w{i + 1}"], out=subprocess.PIPE, log=f"w{i + 1}.log")

        print("scenario 1: training under delay, jitter, stalls, random cuts and a bandwidth cap", flush=True)
        s = wait_for("all three workers contributing", lambda s: all(groups_by_name(s, f"w{i}") > 0 for i in (1, 2, 3))
                     and s["step"] >= 10, 180)
        check(s["step"] >= 10, f"training advanced to step {s['step']} through the faulty network")

        print("scenario 2: worker host w3 partitioned for 30 s, then restored", flush=True)
        sh(f"ip -n {WH[2]} link set eth0 down")
        time.sleep(3)   # let anything in flight settle
        before = status_now("before the partition")
        time.sleep(27)
        during = status_now("during the partition")
        check(during["step"] > before["step"], f"the others kept training during the partition ({before['step']} → {during['step']})")
        check(groups_by_name(during, "w3") == groups_by_name(before, "w3"), "nothing arrived from the partitioned host")
        sh(f"ip -n {WH[2]} link set eth0 up")
        w3 = groups_by_name(during, "w3")
        s = wait_for("w3 to rejoin by itself", lambda s: groups_by_name(s, "w3") > w3, 120)
        check(True, f"w3 rejoined by itself ({w3} → {groups_by_name(s, 'w3')} groups)")

        print("scenario 3: learner host's learner killed (SIGKILL) and restarted with its state directory", flush=True)
        before = status_now("before the kill")
        learner.send_signal(signal.SIGKILL)
        learner.wait()
        # /status shows the training loop's step as soon as it ends; its publication (and the
        # fsynced version-floor) follows on the publisher thread, so the last step or two seen
        # before a SIGKILL may not be durable. The floor is what must never go back.
        with open(f"{d}/state/version-floor") as f:
            fv, fs = (int(x) for x in f.read().split())
        # Versions change only on steps that changed the weights, so the floor's step (that of
        # the last publication) may trail the status step by any number of steps without signal.
        check(fv >= before["version"] - 3,
              f"published floor {fv}/{fs} within the publisher's lag of the last status {before['version']}/{before['step']}")
        floor_seen.update(version=fv, step=fs)
        learner = start_learner(d, target=TARGET, exit_when_done=False)
        after = wait_for("the restarted learner", lambda s: True, 60)
        check(after["version"] >= fv and after["step"] >= fs,
              f"resumed at version {after['version']} step {after['step']} (published before the kill: {fv}/{fs})")
        # The restarted learner knows no workers until they register again (they may also reach
        # the target quickly and stop taking work, so registration is what is checked here).
        s = wait_for("every worker to reconnect and register", lambda s: {w["name"] for w in s["workers"]} >= {"w1", "w2", "w3"}, 180)
        check(True, "all workers reconnected by themselves after the restart")
        s = wait_for(f"the run to reach its target ({TARGET:.0%} held-out)", lambda s: s["finished"], 360)
        check((s.get("evalGreedyAccuracy") or 0) >= TARGET, f"target reached: held-out {s.get('evalGreedyAccuracy')} at step {s['step']}")

        check(not regressions, "version and step never went back in any status read"
              + (f" ({'; '.join(regressions[:5])})" if regressions else ""))

        print("scenario 4: accounting", flush=True)
        acked = 0
        for h, w in workers.items():
            w.send_signal(signal.SIGTERM)
            out, _ = w.communicate(timeout=60)
            n = int(out.split("accepted ")[-1].split()[0]) if "accepted " in out else -1
            check(n > 0, f"{h}: worker exited with {n} acknowledged groups")
            acked += max(0, n)
        final = status_now("at the end")
        check(final["leasesCompleted"] >= acked, f"no acknowledged group lost ({final['leasesCompleted']} completed ≥ {acked} acked)")
        check(final["groupsTrained"] + final["bufferedGroups"] == final["leasesCompleted"],
              f"trained {final['groupsTrained']} + buffered {final['bufferedGroups']} == completed {final['leasesCompleted']}")
        proxy.send_signal(signal.SIGTERM)
        pout, _ = proxy.communicate(timeout=30)
        stats = json.loads(pout.strip().split("\n")[-1])
        check(stats["cuts"] > 0, f"the proxy cut {stats['cuts']} connections, stalled {stats['stalls']} times")
        learner.send_signal(signal.SIGTERM)
        learner.wait(timeout=60)
        print(f"netns: {time.time() - t0:.0f} s", flush=True)
    except SystemExit:
        raise
    except Exception as e:
        check(False, f"error: {e}")
    finally:
        teardown()
        shutil.rmtree(d, ignore_errors=True)
    return finish()

if __name__ == "__main__":
    sys.exit(main())
