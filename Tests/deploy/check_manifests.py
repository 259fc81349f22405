#!/usr/bin/env python3
"""Checks the deployment material (run by Tests/deploy/check.sh, `make test-deploy`).

Usage: check_manifests.py REPO BIN DEV.yaml PROD.yaml

- every rendered Kubernetes object validates against the Kubernetes schemas
  (kubernetes-validate, strict: unknown fields are errors);
- key properties of the overlays (probes, PVC, NetworkPolicy, TLS in prod, security context, …);
- the learner configurations load in the real binary (`tributary learner --print-config`);
- the Grafana dashboard parses and only queries metrics the learner exports;
- the Dockerfile's structure (stages, runtime libraries, non-root user);
- the tests and paths docs/security.md cites exist.
Prints one line per failed check and exits 1 if any failed.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib

import kubernetes_validate
import yaml

K8S_VERSION = "1.32.0"   # the kubectl of this machine kind is 1.32; kubernetes-validate ships its schemas

failures: list[str] = []
passed = 0


def check(ok: bool, what: str) -> bool:
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
    return ok


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(objs, kind, name=None):
    hits = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    return hits


def one(objs, kind, name, overlay):
    hits = find(objs, kind, name)
    check(len(hits) == 1, f"{overlay}: expected one {kind} {name}, found {len(hits)}")
    return hits[0] if hits else None


def labels_match(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def url_of(cmd: list[str]) -> str:
    return next((c for c in cmd if c.startswith("http://")), "")


def learner_config(repo, binary, toml_text, env, overlay):
    """Loads the TOML through the real binary (validation included); returns the parsed TOML."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(toml_text)
        path = f.name
    try:
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
        run_env.update(env)
        r = subprocess.run([binary, "learner", "--config", path, "--print-config"], capture_output=True, text=True,
                           env=run_env, timeout=60)
        check(r.returncode == 0, f"{overlay}: `tributary learner --print-config` rejects the configuration: {r.stderr.strip()}")
    finally:
        os.unlink(path)
    return tomllib.loads(toml_text)


def check_overlay(repo, binary, path, overlay):
    objs = load(path)
    # 1. schemas
    for o in objs:
        try:
            kubernetes_validate.validate(o, K8S_VERSION, strict=True)
            check(True, "")
        except kubernetes_validate.ValidationError as e:
            check(False, f"{overlay}: {o['kind']} {o['metadata'].get('name')}: schema: {e.message} at {list(e.path)}")
        except Exception as e:  # e.g. unknown kind / version
            check(False, f"{overlay}: {o['kind']} {o['metadata'].get('name')}: {e}")
    ns = {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"}
    check(len(ns) == 1 and None not in ns, f"{overlay}: every object in one namespace, got {ns}")

    sts = one(objs, "StatefulSet", "tributary-learner", overlay)
    dep = one(objs, "Deployment", "tributary-worker", overlay)
    netpol = one(objs, "NetworkPolicy", "tributary-learner-ingress", overlay)
    rpc_svc = one(objs, "Service", "tributary-learner", overlay)
    status_svc = one(objs, "Service", "tributary-learner-status", overlay)
    if not all([sts, dep, netpol, rpc_svc, status_svc]):
        return None
    pod = sts["spec"]["template"]
    learner_labels = pod["metadata"]["labels"]
    worker_labels = dep["spec"]["template"]["metadata"]["labels"]
    check(labels_match(sts["spec"]["selector"]["matchLabels"], learner_labels), f"{overlay}: StatefulSet selector matches its pods")
    check(labels_match(dep["spec"]["selector"]["matchLabels"], worker_labels), f"{overlay}: Deployment selector matches its pods")
    check(sts["spec"]["replicas"] == 1, f"{overlay}: exactly one learner replica (it owns the training state)")
    learner = next(c for c in pod["spec"]["containers"] if c["name"] == "learner")
    args = learner["args"]

    # 2. configuration: the ConfigMap is mounted where --config points, and the binary accepts it
    cfg_vol = next((v for v in pod["spec"]["volumes"] if "configMap" in v), None)
    cm = one(objs, "ConfigMap", cfg_vol["configMap"]["name"], overlay) if cfg_vol else None
    cfg_mount = next((m for m in learner["volumeMounts"] if cfg_vol and m["name"] == cfg_vol["name"]), None)
    config_path = args[args.index("--config") + 1] if "--config" in args else ""
    check(cm is not None and cfg_mount is not None and config_path == cfg_mount["mountPath"] + "/learner.toml"
          and "learner.toml" in cm["data"], f"{overlay}: --config {config_path} is the mounted ConfigMap's learner.toml")
    learner_secret = one(objs, "Secret", "tributary-learner-auth", overlay)
    worker_secret = one(objs, "Secret", "tributary-worker-auth", overlay)
    env = dict(learner_secret["stringData"]) if learner_secret else {}
    cfg = learner_config(repo, binary, cm["data"]["learner.toml"], env, overlay) if cm else {}
    check({"secretRef": {"name": "tributary-learner-auth"}} in learner.get("envFrom", []),
          f"{overlay}: the learner takes its tokens from the Secret")
    check({"secretRef": {"name": "tributary-worker-auth"}} in dep["spec"]["template"]["spec"]["containers"][0].get("envFrom", []),
          f"{overlay}: workers take their token from their own Secret (not the admin token)")
    if learner_secret and worker_secret:
        check(worker_secret["stringData"].get("TRIBUTARY_TOKEN") in json.loads(env.get("TRIBUTARY_AUTH_WORKER_TOKENS", "[]")),
              f"{overlay}: the workers' token is one of the learner's worker tokens")
        check("TRIBUTARY_AUTH_ADMIN_TOKENS" not in worker_secret["stringData"], f"{overlay}: workers never see the admin tokens")
    listen = cfg.get("listen", {})
    rpc_host, _, rpc_port = listen.get("rpc", "").rpartition(":")

    # 3. state directory on the PersistentVolumeClaim
    claims = {t["metadata"]["name"]: t for t in sts["spec"].get("volumeClaimTemplates", [])}
    state_mount = next((m for m in learner["volumeMounts"] if m["name"] in claims), None)
    check(state_mount is not None, f"{overlay}: the learner mounts a volumeClaimTemplates PVC")
    if state_mount:
        sd = args[args.index("--state-dir") + 1] if "--state-dir" in args else cfg.get("state", {}).get("dir")
        check(sd == state_mount["mountPath"], f"{overlay}: the state directory {sd} is the PVC mount {state_mount['mountPath']}")
        check(cfg.get("state", {}).get("dir") == state_mount["mountPath"], f"{overlay}: state.dir in learner.toml is the PVC mount")

    # the warm-start init container writes the run directory task.init names, on the PVC
    init = cfg.get("task", {}).get("init")
    if init:
        warm = [c for c in pod["spec"].get("initContainers", []) if c["name"] == "warm-start"]
        script = " ".join(warm[0]["args"]) if warm else ""
        check(state_mount is not None and init.startswith(state_mount["mountPath"] + "/")
              and f"cd {state_mount['mountPath']}" in script and f"mv warm.partial {os.path.basename(init)}" in script,
              f"{overlay}: task.init {init} is written by the warm-start init container on the PVC")

    # 4. probes: exec curl over h2c on the learner's own listener, /healthz and /readyz
    for probe, route in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        cmd = learner.get(probe, {}).get("exec", {}).get("command", [])
        url = url_of(cmd)
        check(url == f"http://127.0.0.1:{rpc_port}{route}" and "--http2-prior-knowledge" in cmd and rpc_host in ("127.0.0.1", "0.0.0.0"),
              f"{overlay}: {probe} asks {route} over h2c on the learner's listener (got {url}, listen.rpc {listen.get('rpc')})")

    # 5. services point at real container ports, selecting the learner
    ports_by_name = {p["name"]: (c["name"], p["containerPort"]) for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    for svc in (rpc_svc, status_svc):
        check(labels_match(svc["spec"]["selector"], learner_labels) and not labels_match(svc["spec"]["selector"], worker_labels),
              f"{overlay}: Service {svc['metadata']['name']} selects the learner only")
        for p in svc["spec"]["ports"]:
            check(p["targetPort"] in ports_by_name, f"{overlay}: Service {svc['metadata']['name']} port {p['port']} targets a named container port")
    rpc_ports = {ports_by_name[p["targetPort"]][1] for p in rpc_svc["spec"]["ports"] if p["targetPort"] in ports_by_name}
    status_ports = {ports_by_name[p["targetPort"]][1] for p in status_svc["spec"]["ports"] if p["targetPort"] in ports_by_name}
    check(rpc_ports.isdisjoint(status_ports), f"{overlay}: RPC and status ports differ")
    check(all(ports_by_name[p["targetPort"]][0] == "learner" for p in rpc_svc["spec"]["ports"] if p["targetPort"] in ports_by_name),
          f"{overlay}: the RPC Service goes to the learner container")
    listener_ports = {int(a.rpartition(":")[2]) for a in (listen.get("rpc", ""), listen.get("tls", ""))
                      if a and not a.startswith("127.")}
    check(rpc_ports and rpc_ports <= listener_ports, f"{overlay}: the RPC Service port(s) {rpc_ports} are learner listeners reachable from other pods {listener_ports}")

    # 6. NetworkPolicy: learner selected; RPC ports only from worker pods; status port open to monitoring
    check(labels_match(netpol["spec"]["podSelector"]["matchLabels"], learner_labels)
          and not labels_match(netpol["spec"]["podSelector"]["matchLabels"], worker_labels),
          f"{overlay}: the NetworkPolicy selects the learner pod (and not the workers)")
    check("Ingress" in netpol["spec"].get("policyTypes", []), f"{overlay}: the NetworkPolicy restricts ingress")
    reaches_rpc = []
    for rule in netpol["spec"].get("ingress", []):
        ports = {p.get("port") for p in rule.get("ports", [])}
        check(bool(ports) and bool(rule.get("from")), f"{overlay}: every NetworkPolicy rule names both sources and ports")
        if ports & rpc_ports:
            reaches_rpc.append(rule)
            for src in rule.get("from", []):
                check(set(src) == {"podSelector"} and labels_match(src["podSelector"]["matchLabels"], worker_labels)
                      and not labels_match(src["podSelector"]["matchLabels"], learner_labels),
                      f"{overlay}: only worker pods may reach the RPC port (source {src})")
        else:
            check(ports <= status_ports, f"{overlay}: the non-worker NetworkPolicy rule opens only the status port ({ports})")
    check(len(reaches_rpc) >= 1, f"{overlay}: the NetworkPolicy lets workers reach the RPC port {rpc_ports}")

    # 7. Prometheus scrape annotations point at the status port
    ann = pod["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true" and int(ann.get("prometheus.io/port", 0)) in status_ports
          and ann.get("prometheus.io/path") == "/metrics", f"{overlay}: Prometheus scrape annotations on the status port")
    bridge = next((c for c in pod["spec"]["containers"] if c["name"] != "learner"), None)
    check(bridge is not None and any(f"127.0.0.1,{rpc_port};" in a and "/metrics" in a for a in bridge.get("args", [])),
          f"{overlay}: the status bridge forwards /metrics to the learner's h2c listener")

    # 8. security context and resources of every container
    for kind_obj in (sts, dep):
        spec = kind_obj["spec"]["template"]["spec"]
        pod_sc = spec.get("securityContext", {})
        for c in spec.get("initContainers", []) + spec["containers"]:
            sc = c.get("securityContext", {})
            who = f"{overlay}: {kind_obj['kind']} container {c['name']}"
            check((sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")) is True, f"{who} runs as non-root")
            check(sc.get("readOnlyRootFilesystem") is True, f"{who} has a read-only root filesystem")
            check(sc.get("allowPrivilegeEscalation") is False and "ALL" in sc.get("capabilities", {}).get("drop", []),
                  f"{who} drops all capabilities and privilege escalation")
            res = c.get("resources", {})
            check(all(k in res.get(r, {}) for r in ("requests", "limits") for k in ("cpu", "memory")),
                  f"{who} has cpu/memory requests and limits")

    # 9. workers dial the learner Service on an RPC port
    wargs = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    wurl = wargs[wargs.index("--learner") + 1]
    m = re.fullmatch(r"(https?)://([^:/]+):(\d+)", wurl)
    check(m is not None and m.group(2) == rpc_svc["metadata"]["name"] and int(m.group(3)) in {p["port"] for p in rpc_svc["spec"]["ports"]},
          f"{overlay}: workers dial the learner Service on its RPC port ({wurl})")
    return {"objs": objs, "cfg": cfg, "scheme": m.group(1) if m else "", "wargs": wargs, "dep": dep, "sts": sts}


def storage_gi(sts):
    s = sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    return float(s[:-2]) * (1024 if s.endswith("Ti") else 1) if s.endswith(("Gi", "Ti")) else 0


def check_grafana(repo):
    sources = []
    for root, _, files in os.walk(os.path.join(repo, "Sources")):
        for f in files:
            if f.endswith(".swift"):
                with open(os.path.join(root, f)) as fh:
                    sources.append(fh.read())
    # a metric name literal is followed by its help text: g("tributary_x", "help", …)
    exported = set(re.findall(r'"(tributary_[a-z0-9_]+)"\s*,\s*"', "\n".join(sources)))
    check(len(exported) >= 10, f"grafana: found the exported metric names in Sources/ ({len(exported)})")
    with open(os.path.join(repo, "deploy/grafana/tributary.json")) as f:
        dash = json.load(f)
    check(dash.get("schemaVersion", 0) >= 36, "grafana: schemaVersion ≥ 36")
    variables = dash.get("templating", {}).get("list", [])
    ds_vars = [v["name"] for v in variables if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    check(len(ds_vars) == 1, "grafana: one Prometheus datasource variable")
    exprs = []
    panels = [p for p in dash["panels"] if p.get("type") != "row"]
    check(len(panels) >= 10, f"grafana: at least 10 panels ({len(panels)})")
    ids = [p["id"] for p in dash["panels"]]
    check(len(ids) == len(set(ids)), "grafana: panel ids are unique")
    for p in panels:
        check(p.get("datasource", {}).get("uid") == "${" + ds_vars[0] + "}" if ds_vars else False,
              f"grafana: panel '{p['title']}' uses the datasource variable")
        check(bool(p.get("targets")) and "gridPos" in p, f"grafana: panel '{p['title']}' has queries and a position")
        exprs += [t["expr"] for t in p.get("targets", [])]
    exprs += [v.get("definition", "") for v in variables]
    used = set(re.findall(r"\b(tributary_[a-z0-9_]+)", "\n".join(exprs)))
    for name in sorted(used):
        check(name in exported, f"grafana: '{name}' is not a metric the learner exports (Sources/**/*.swift)")
    unused = exported - used
    if unused:
        print(f"note: metrics not on the Grafana dashboard yet: {', '.join(sorted(unused))}")


def check_dockerfile(repo):
    with open(os.path.join(repo, "deploy/kubernetes/Dockerfile")) as f:
        lines = [l.strip() for l in f.read().replace("\\\n", " ").splitlines() if l.strip() and not l.strip().startswith("#")]
    froms = [l for l in lines if l.upper().startswith("FROM ")]
    check(len(froms) >= 2, "Dockerfile: multi-stage (two FROM lines or more)")
    check(re.search(r"swift", froms[0], re.I) is not None and " AS build" in froms[0], "Dockerfile: first stage builds with a Swift image, named build")
    check("debian:bookworm-slim" in froms[-1], "Dockerfile: runtime stage on debian:bookworm-slim")
    text = "\n".join(lines)
    check(re.search(r"swift build -c release --product tributary", text) is not None, "Dockerfile: builds the tributary product in release")
    final = text[text.rfind(froms[-1]):]
    for lib in ("libnghttp2-14", "libssl3", "libopenblas0"):
        check(lib in final, f"Dockerfile: runtime installs {lib}")
    check("--static-swift-stdlib" in text or "libswiftCore" in final, "Dockerfile: Swift runtime linked statically or copied")
    check("COPY --from=build" in final, "Dockerfile: runtime copies the binary from the build stage")
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    check(bool(users) and users[-1].split(":")[0] not in ("0", "root"), "Dockerfile: runtime runs as a non-root USER")
    check(re.search(r"^ENTRYPOINT", final, re.M) is not None, "Dockerfile: has an ENTRYPOINT")


def check_security_doc(repo):
    """docs/security.md cites tests by file and name: they must exist."""
    with open(os.path.join(repo, "docs/security.md")) as f:
        doc = f.read()
    tests = ""
    for root, _, files in os.walk(os.path.join(repo, "Tests")):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(root, name)) as fh:
                    tests += fh.read()
    names = set(re.findall(r"\b(test[A-Z]\w+)", doc))
    check(len(names) >= 30, f"security.md: cites tests ({len(names)})")
    for n in sorted(names):
        check(f"func {n}(" in tests, f"security.md: cited test {n} exists in Tests/")
    for path in sorted(set(re.findall(r"`(Tests/[\w/.-]+)`", doc))):
        check(os.path.exists(os.path.join(repo, path)), f"security.md: cited path {path} exists")


def main():
    repo, binary, dev_path, prod_path = sys.argv[1:5]
    dev = check_overlay(repo, binary, dev_path, "dev")
    prod = check_overlay(repo, binary, prod_path, "prod")
    if dev and prod:
        check(dev["dep"]["spec"]["replicas"] == 1, "dev: one worker")
        check(dev["scheme"] == "http", "dev: workers use h2c")
        check(prod["scheme"] == "https" and "--ca" in prod["wargs"], "prod: workers use TLS and verify the learner with a CA")
        pl = prod["cfg"]["listen"]
        check(bool(pl.get("tls")) and pl.get("tls_certificate") and pl.get("tls_key"), "prod: the learner has a TLS listener with certificate and key")
        check(pl.get("rpc", "").startswith("127.0.0.1:"), "prod: the h2c listener is bound to loopback (no clear-text RPC from the network)")
        sts = prod["sts"]["spec"]["template"]["spec"]
        tls_vol = {v["name"] for v in sts["volumes"] if v.get("secret", {}).get("secretName") == "tributary-tls"}
        learner = next(c for c in sts["containers"] if c["name"] == "learner")
        mounts = {m["mountPath"] for m in learner["volumeMounts"] if m["name"] in tls_vol}
        check(any(pl["tls_certificate"].startswith(m + "/") and pl["tls_key"].startswith(m + "/") for m in mounts),
              "prod: the certificate and key paths are on the mounted TLS Secret")
        wvols = prod["dep"]["spec"]["template"]["spec"].get("volumes", [])
        check(all(v.get("secret", {}).get("items") == [{"key": "ca.crt", "path": "ca.crt"}] for v in wvols if "secret" in v),
              "prod: workers mount only ca.crt of the TLS Secret")
        check(dev["dep"]["spec"]["replicas"] < prod["dep"]["spec"]["replicas"], "prod: more workers than dev")
        check(storage_gi(prod["sts"]) > storage_gi(dev["sts"]), "prod: a bigger state volume than dev")
        hpa = find(prod["objs"], "HorizontalPodAutoscaler")
        check(len(hpa) == 1 and hpa[0]["apiVersion"] == "autoscaling/v2"
              and hpa[0]["spec"]["scaleTargetRef"]["name"] == "tributary-worker", "prod: an autoscaling/v2 HPA scales the workers")
    # the systemd unit's configuration loads too
    with open(os.path.join(repo, "deploy/systemd/learner.toml")) as f:
        learner_config(repo, binary, f.read(), {"TRIBUTARY_AUTH_WORKER_TOKENS": '["t"]'}, "systemd")
    check_grafana(repo)
    check_dockerfile(repo)
    check_security_doc(repo)
    for f in failures:
        print("FAIL:", f)
    print(f"deploy checks: {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
