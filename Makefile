GO      ?= go
FUZZTIME ?= 60s
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)

.PHONY: build test bench fuzz vet deps screenshot

build:
	$(GO) build -o bin/portico ./cmd/portico

vet:
	$(GO) vet ./...

# The whole suite, race detector on; fuzz targets run their seed corpus.
# The Redis tests start their own redis-server, the runtime tests node and
# python3, the Invoke API tests the AWS CLI, deploy/ (a module of its own,
# which ./... does not reach) nginx: deps installs each when absent.
test: deps vet
	$(GO) test -race -shuffle=on -timeout 9m ./...
	cd deploy && $(GO) vet ./... && $(GO) test -race -shuffle=on -timeout 5m ./...

# The tests run real interpreters, servers and a browser (the admin page's
# tests drive Chromium): install each one absent.
deps:
	@missing=; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v aws >/dev/null || missing="$$missing awscli"; \
	command -v nginx >/dev/null || missing="$$missing nginx"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (the tests run them)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# docs/admin.png: the admin page in headless Chromium, serving the quickstart
# config with some traffic.
screenshot: deps
	$(GO) test ./admin -run '^TestBrowserScreenshot$$' -count=1 -timeout 5m -args -screenshot

# Go benchmarks (saved per commit under bench/results/), then the bundled
# mock scenario: the gateway against a bare fasthttp server, side by side.
bench: build
	mkdir -p bench/results
	$(GO) test -run '^$$' -bench . -benchmem ./mapping/ ./gateway/ ./backend/... | tee bench/results/$(COMMIT).txt
	./bin/portico bench --scenario mock | tee -a bench/results/$(COMMIT).txt

# Each fuzz target for FUZZTIME, in every package that has one.
fuzz:
	@for dir in $$(grep -l '^func Fuzz' $$(git ls-files '*_test.go') | xargs -n1 dirname | sort -u); do \
	  for target in $$(grep -h -o '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -d' ' -f2); do \
	    echo "== ./$$dir $$target"; \
	    $(GO) test ./$$dir -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done
