# rencana: the two commands a newcomer needs are `make run` and `make test`.
# Everything a target needs is built here, from the Go module proxy only.

GO                    ?= go
TEMPORAL_CLI_VERSION  := v1.5.1
STATICCHECK_VERSION   := v0.8.2
BIN                   := $(CURDIR)/bin
TEMPORAL_VERSIONED    := $(BIN)/temporal-$(TEMPORAL_CLI_VERSION)
# Two cores: two test binaries at a time, each running its tests in order
# unless they opt into t.Parallel.
TEST_FLAGS            ?= -p 2 -count=1 -timeout 30m

export RENCANA_TEMPORAL_CLI := $(BIN)/temporal
export RENCANA_CHROMIUM     := $(CHROMIUM)

.PHONY: help run build test lint bench clean

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

test: build $(CHROMIUM) $(AXE) ## Run every test: unit, integration (Temporal dev server), PostgreSQL, browser
	$(GO) vet ./...
	$(GO) test $(TEST_FLAGS) ./...

lint: ## go vet, gofmt check, staticcheck
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# The load benchmark first (rencana bench, issue 9: P=2,000 proposals, C=16
# clients, on the embedded stack; table, then one JSON line), then the Go
# benchmarks. pipefail: a bench that fails must fail make, tee or not.
bench: build ## Load benchmark (rencana bench), then the Go benchmarks (medians over 6 runs: compare with benchstat)
	bash -o pipefail -c '$(BIN)/rencana bench --proposals 2000 --concurrency 16 --json | tee bench-rencana.out'
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out

clean: ## Remove built binaries (keeps the Temporal CLI) and the dev data dir
	rm -f $(BIN)/rencana
	rm -rf .data
