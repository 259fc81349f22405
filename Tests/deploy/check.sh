#!/usr/bin/env bash
# Checks deploy/ (`make test-deploy`, part of `make test`): renders both kustomize overlays,
# validates every object against the Kubernetes schemas and asserts the properties that
# matter (Tests/deploy/check_manifests.py), checks the Grafana dashboard against the metrics
# the learner exports, lints the Dockerfile's structure (no container engine runs here), and
# runs the prod overlay's commands as real processes on loopback (Tests/deploy/smoke_prod.py),
# does the same for the systemd units' command lines (Tests/deploy/smoke_systemd.py), and runs
# `systemd-analyze verify` on the units with the built binary as their ExecStart.
# Usage: Tests/deploy/check.sh [path/to/tributary]   (default .build/release/tributary)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/.build/release/tributary}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

die() { echo "test-deploy: $*" >&2; exit 1; }

[ -x "$bin" ] || die "$bin is missing: build it first (swift build -c release --product tributary)"

# kubectl (with its built-in kustomize). Machines of this project's kind ship it in their
# image; elsewhere try the distribution's package, and say clearly what is missing.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "test-deploy: kubectl not found, trying apt-get install kubectl"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq kubectl; } >/dev/null 2>&1 || true
  command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed and no configured package source has it.
  Install kubectl >= 1.27 (it embeds kustomize v5) from your Kubernetes package repository and rerun."
fi
python3 -c "import kubernetes_validate, yaml" 2>/dev/null || python3 -m pip install -q kubernetes-validate
command -v systemd-analyze >/dev/null 2>&1 || die "systemd-analyze is missing (apt-get install systemd)"
if ! command -v nghttpx >/dev/null 2>&1; then    # the status bridge of the smoke run
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nghttp2-proxy; } >/dev/null 2>&1 || true
  command -v nghttpx >/dev/null 2>&1 || die "nghttpx is missing and could not be installed (apt-get install nghttp2-proxy)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "test-deploy: kubectl kustomize (kubectl $(kubectl version --client 2>/dev/null | sed -n 's/^Client Version: //p'))"
for overlay in dev prod; do
  kubectl kustomize "$repo/deploy/kubernetes/overlays/$overlay" > "$work/$overlay.yaml" \
    || die "kubectl kustomize deploy/kubernetes/overlays/$overlay failed"
  echo "  $overlay: $(grep -c '^kind:' "$work/$overlay.yaml") objects"
done

# the documented way to supply real secrets (examples/prod-with-secrets) replaces every placeholder
cp -r "$repo/deploy/kubernetes" "$work/k"
ex=$work/k/examples/prod-with-secrets
printf 'TRIBUTARY_AUTH_WORKER_TOKENS=["w-123"]\nTRIBUTARY_AUTH_ADMIN_TOKENS=["a-456"]\n' > "$ex/learner-auth.env"
printf 'TRIBUTARY_TOKEN=w-123\n' > "$ex/worker-auth.env"
for f in server.pem server.key ca.pem; do echo "test $f" > "$ex/$f"; done
kubectl kustomize "$ex" > "$work/prod-with-secrets.yaml" || die "kubectl kustomize examples/prod-with-secrets failed"
! grep -q "REPLACE-ME" "$work/prod-with-secrets.yaml" || die "examples/prod-with-secrets leaves placeholder secrets"
[ "$(grep -c '^kind: Secret' "$work/prod-with-secrets.yaml")" = 3 ] || die "examples/prod-with-secrets: expected 3 Secrets"
echo "  examples/prod-with-secrets: placeholders replaced"

echo "test-deploy: schemas, properties, configuration, Grafana, Dockerfile"
python3 "$repo/Tests/deploy/check_manifests.py" "$repo" "$bin" "$work/dev.yaml" "$work/prod.yaml"

echo "test-deploy: the prod pods' commands as processes on loopback (init, learner over TLS, probes, bridge, worker)"
python3 "$repo/Tests/deploy/smoke_prod.py" "$bin" "$work/prod.yaml"

echo "test-deploy: the systemd units' command lines, env files and learner.toml as processes on loopback"
python3 "$repo/Tests/deploy/smoke_systemd.py" "$bin" "$repo"

echo "test-deploy: systemd-analyze verify"
# verify needs ExecStart's binary to exist: copies of the units point at the built one.
# It reports problems (unknown keys, bad values) as messages but still exits 0, so any
# message about our units counts as a failure.
units=()
for unit in "$repo"/deploy/systemd/*.service; do
  name=$(basename "$unit")
  name=${name/@.service/@ci-worker.service}           # a template is verified as an instance
  sed "s#/usr/local/bin/tributary#$bin#g" "$unit" > "$work/$name"
  units+=("$work/$name")
done
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "${units[@]}" 2>&1) || { echo "$out"; die "systemd-analyze verify failed"; }
problems=$(grep -F -e "$work" -e "tributary" <<<"$out" || true)
[ -z "$problems" ] || { echo "$problems"; die "systemd-analyze verify reported problems in the units"; }
echo "  verified: ${units[*]##*/}"
echo "test-deploy: all checks passed"
