# rencana: the two commands a newcomer needs are `make run` and `make test`.
# Everything a target needs is built here, from the Go module proxy only.

GO                    ?= go
TEMPORAL_CLI_VERSION  := v1.5.1
STATICCHECK_VERSION   := v0.8.2
GOVULNCHECK_VERSION   := v1.9.0
# The vulnerability database snapshot used when vuln.go.dev is unreachable
# (see scripts/govulncheck.sh).
VULNDB_VERSION        := v0.0.0-20261105234957-e22db6528018
BIN                   := $(CURDIR)/bin
TEMPORAL_VERSIONED    := $(BIN)/temporal-$(TEMPORAL_CLI_VERSION)
# The Temporal server and its SQL schema tool for the production topology
# test (cmd/rencana/topology_prod_test.go) and the README's Docker-less steps.
# 1.29.1: the newest server whose go.mod this Go (1.26.8) builds.
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_SERVER       := $(BIN)/temporal-server-$(TEMPORAL_SERVER_VERSION)
TEMPORAL_SQL_TOOL     := $(BIN)/temporal-sql-tool-$(TEMPORAL_SERVER_VERSION)
# Two cores: two test binaries at a time, each running its tests in order
# unless they opt into t.Parallel.
TEST_FLAGS            ?= -p 2 -count=1 -timeout 30m

export RENCANA_TEMPORAL_CLI := $(BIN)/temporal
export RENCANA_CHROMIUM     := $(CHROMIUM)
export RENCANA_TEMPORAL_SERVER   := $(TEMPORAL_SERVER)
export RENCANA_TEMPORAL_SQL_TOOL := $(TEMPORAL_SQL_TOOL)

.PHONY: help run build temporal-server test test-topology lint bench bench-topology clean FORCE

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: build ## Run the whole stack on embedded defaults (SQLite, Temporal dev server, demo data)
	$(BIN)/rencana dev

build: $(BIN)/rencana $(BIN)/temporal ## Build bin/rencana and bin/temporal (the Temporal CLI, once per version)

# bin/rencana is rebuilt only when something that goes into it changed: Go
# sources (not tests) and the files embedded in it (templates, styles,
# scripts, migrations, policies, reference data). A second `make run` with
# nothing changed starts at once instead of waiting for the linker.
RENCANA_INPUTS := go.mod go.sum $(shell find . \( -path ./bin -o -path ./.data -o -path ./test-artifacts -o -path ./.git -o -name testdata \) -prune -o \
	-type f \( -name '*.go' ! -name '*_test.go' -o -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.sql' -o -name '*.csv' -o -name '*.conf' -o -name '*.gz' \) -print)

$(BIN)/rencana: $(RENCANA_INPUTS)
	$(GO) build -o $@ ./cmd/rencana

# The load generator is a binary of its own (the product carries none of it).
$(BIN)/rencana-bench: FORCE
	$(GO) build -o $@ ./cmd/rencana-bench

# The CLI takes minutes to build: it is built once per version into
# bin/temporal-<version>, and bin/temporal points at the one in use.
$(TEMPORAL_VERSIONED):
	@echo "building the Temporal CLI $(TEMPORAL_CLI_VERSION) (once; takes a few minutes)"
	@mkdir -p $(BIN)/.temporal-build
	GOBIN=$(BIN)/.temporal-build $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)
	mv $(BIN)/.temporal-build/temporal $@
	rmdir $(BIN)/.temporal-build

$(BIN)/temporal: $(TEMPORAL_VERSIONED)
	ln -sf temporal-$(TEMPORAL_CLI_VERSION) $@

# The Temporal server and temporal-sql-tool, built once per version like the
# CLI (the server is a big build: niced, so a shared machine stays usable).
$(TEMPORAL_SERVER):
	@echo "building the Temporal server $(TEMPORAL_SERVER_VERSION) (once; takes several minutes)"
	@mkdir -p $(BIN)/.temporal-server-build
	GOBIN=$(BIN)/.temporal-server-build nice -n 10 $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION)
	mv $(BIN)/.temporal-server-build/server $@
	rmdir $(BIN)/.temporal-server-build

$(TEMPORAL_SQL_TOOL):
	@echo "building temporal-sql-tool $(TEMPORAL_SERVER_VERSION) (once)"
	@mkdir -p $(BIN)/.temporal-sql-tool-build
	GOBIN=$(BIN)/.temporal-sql-tool-build nice -n 10 $(GO) install go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mv $(BIN)/.temporal-sql-tool-build/sql $@
	rmdir $(BIN)/.temporal-sql-tool-build

temporal-server: $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL) ## Build the Temporal server and temporal-sql-tool (once per version) for production without Docker

# The browser tests drive Debian's chromium (chromedp); installed once when
# missing, with sudo when not root.
CHROMIUM              ?= /usr/bin/chromium
SUDO                  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium || \
	  ( $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium )

# axe-core (accessibility rules) from the npm registry, once per version,
# for the browser tests to inject into every page.
AXE_VERSION           := 4.10.3
AXE                   := $(BIN)/axe-core-$(AXE_VERSION)/node_modules/axe-core/axe.min.js
export RENCANA_AXE    := $(AXE)

$(AXE):
	@echo "installing axe-core $(AXE_VERSION) for the browser tests"
	mkdir -p $(BIN)/axe-core-$(AXE_VERSION)
	npm install --prefix $(BIN)/axe-core-$(AXE_VERSION) --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

test: build $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL) $(CHROMIUM) $(AXE) ## Run every test: unit, integration (Temporal dev server), PostgreSQL, browser
	$(GO) vet ./...
	$(GO) test $(TEST_FLAGS) ./...

# The production topology (Temporal server 1.29.1 on a private PostgreSQL,
# two APIs, two workers, a worker and an API killed and PostgreSQL
# restarted mid-lifecycle) alone; `make test` runs it too.
test-topology: build $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL) ## Production topology test alone (builds the Temporal server once)
	$(GO) test -count=1 -timeout 15m -run TestProductionTopology -v ./cmd/rencana/

lint: ## go vet, gofmt check, staticcheck, govulncheck (offline snapshot when vuln.go.dev is unreachable)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	GO=$(GO) VULN_VERSION=$(GOVULNCHECK_VERSION) VULNDB_VERSION=$(VULNDB_VERSION) scripts/govulncheck.sh

# The load benchmark first (rencana-bench, cmd/rencana-bench, issue 9: P=2,000 proposals, C=16
# clients, on the embedded stack; table, then one JSON line), then the Go
# benchmarks. pipefail: a bench that fails must fail make, tee or not.
bench: build $(BIN)/rencana-bench ## Load benchmark (rencana-bench), then the Go benchmarks (medians over 6 runs: compare with benchstat)
	bash -o pipefail -c '$(BIN)/rencana-bench --proposals 2000 --concurrency 16 --json | tee bench-rencana.out'
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out

# rencana-bench on the embedded stack and then against the production
# topology (the topology test's startTopology: Temporal server 1.29.1 on
# PostgreSQL, two APIs used in turn with --api, two workers), in one run on
# one machine, so the two are comparable. BENCH_PROPOSALS/BENCH_CONCURRENCY
# size both (default as `make bench`).
bench-topology: build $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL) ## Load benchmark: embedded stack vs production topology (two APIs), same run
	bash -o pipefail -c "$(GO) test -tags benchtopology -run '^\$$' -bench BenchmarkProductionTopology -benchtime 1x -timeout 4h -v ./cmd/rencana/ | tee bench-topology.out"

clean: ## Remove built binaries (keeps the Temporal CLI) and the dev data dir
	rm -f $(BIN)/rencana $(BIN)/rencana-bench
	rm -rf .data
FORCE:
