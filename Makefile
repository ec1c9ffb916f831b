GO      ?= go
FUZZTIME ?= 60s
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)

.PHONY: build test bench fuzz vet deps

build:
	$(GO) build -o bin/portico ./cmd/portico

vet:
	$(GO) vet ./...

# The whole suite, race detector on; fuzz targets run their seed corpus.
# The Redis tests start their own redis-server: install it when absent.
test: deps vet
	$(GO) test -race -shuffle=on -timeout 9m ./...

deps:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (the Redis tests start one)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }

# Go benchmarks (saved per commit under bench/results/), then the bundled
# mock scenario: the gateway against a bare fasthttp server, side by side.
bench: build
	mkdir -p bench/results
	$(GO) test -run '^$$' -bench . -benchmem ./mapping/ ./gateway/ ./backend/... | tee bench/results/$(COMMIT).txt
	./bin/portico bench --scenario mock | tee -a bench/results/$(COMMIT).txt

# Each fuzz target for FUZZTIME.
fuzz:
	@for pkg in ./mapping ./gateway ./auth ./ratelimit ./bench; do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done
