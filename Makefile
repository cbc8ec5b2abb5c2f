# Fugue — build, test and lint entry points. `make help` lists the targets.
#
# `make test` runs every test against a real single-node Apache Kafka that
# scripts/kafka.sh starts from the official jars (Java 17 + Maven) and stops
# afterwards; set KAFKA_BROKERS to use a broker of your own instead.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
KAFKA := scripts/kafka.sh
# Packages for build/test/vet/bench/fuzz, e.g. `make test PKGS=./projector/...`.
PKGS ?= ./...
# Fuzz time per fuzz target for `make fuzz`.
FUZZTIME ?= 10s

# Main packages under cmd/.
MAINS = $(shell $(GO) list -e -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./cmd/... 2>/dev/null)

.PHONY: help demo build test test-unit bench fuzz lint kafka-up kafka-down kafka-status clean
.PHONY: fault-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

demo: ## run the example canvases end to end on `engine dev` (needs only Go)
	scripts/demo.sh

build: ## go build $(PKGS) and the commands under cmd/ into ./bin
	$(GO) build $(PKGS)
	@if [ -n "$(strip $(MAINS))" ]; then \
	  mkdir -p bin && echo "$(GO) build -o bin/ $(MAINS)" && $(GO) build -o bin/ $(MAINS); \
	else echo "build: no main package under cmd/ yet"; fi

# test: use $KAFKA_BROKERS when set, else a broker that `make kafka-up`
# left running, else start one here and always stop it again
# (scripts/with-kafka.sh), whatever the tests do. The exit status is go test's.
test: ## all tests, -race and -tags invariants, against a real Kafka broker
	@scripts/with-kafka.sh $(GO) test -race -count=1 -tags invariants $(PKGS)

# fault-test: the process-level fault tests (internal/faulttest, build tag
# `fault`) against a broker found or started as for `test`. CI sizes by
# default; FUGUE_FAULT_SCALE=large for the report's (see docs/RELIABILITY.md).
fault-test: ## kill -9 / broker-restart tests of the binaries (-tags fault)
	@scripts/with-kafka.sh $(GO) test -count=1 -tags fault -timeout 60m -v ./internal/faulttest/

test-unit: ## tests without a broker (the broker tests skip)
	env -u KAFKA_BROKERS $(GO) test -race $(PKGS)

# bench/run.sh: Fugue on a real Kafka broker against the Kafka ceiling,
# Celery 5 and machinery v2 in one run (up to ~15 min); writes BENCHMARKS.md.
# Sizes: BENCH_N, BENCH_CHAIN, BENCH_WF (see the script's header).
bench: ## side-by-side benchmarks (bench/run.sh), writes BENCHMARKS.md
	bench/run.sh

fuzz: ## every Fuzz target, FUZZTIME each (default 10s); fails if any target does
	@failed=; for pkg in $$($(GO) list $(PKGS)); do \
	  list=$$($(GO) test -list '^Fuzz' $$pkg) || { failed="$$failed $$pkg"; continue; }; \
	  for fz in $$(grep '^Fuzz' <<<"$$list" || true); do \
	    echo "fuzz: $$pkg $$fz ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$fz\$$" -fuzztime=$(FUZZTIME) $$pkg || failed="$$failed $$fz"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi

lint: ## gofmt, go vet (with and without -tags invariants), golangci-lint if installed
	@bad=$$(find . -name '*.go' -not -path './.cache/*' -not -path './bin/*' \
	  -not -path './.git/*' -not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$bad" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$bad"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags invariants $(PKGS)
	@if command -v golangci-lint >/dev/null; then \
	  echo golangci-lint run ./...; golangci-lint run ./...; \
	else echo "lint: golangci-lint not installed; skipped (depguard/forbidigo rules in .golangci.yml)"; fi

kafka-up: ## start the broker; prints the export KAFKA_BROKERS=... line and the test listeners' exports
	@$(KAFKA) up

kafka-down: ## stop the broker
	@$(KAFKA) down

kafka-status: ## is the broker running, and where
	@$(KAFKA) status

clean: ## stop the broker, remove bin/ and the broker's run dir (keeps the jar cache)
	@$(KAFKA) down
	rm -rf bin .cache/kafka/run
