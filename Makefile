# Missive — build, test and check targets. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 20s

.PHONY: build run test test-race check fuzz bench clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/missive ./cmd/missive

# Runs Missive on embedded SQLite in ./data; prints the URL and, on first
# start, the admin password.
run: build
	./bin/missive serve --data ./data

# Every test, on SQLite and PostgreSQL (a throw-away PostgreSQL server is
# started by the tests themselves).
test:
	$(GO) test -shuffle=on -count=1 -timeout 25m ./...

test-race:
	$(GO) test -race -shuffle=on -count=1 -timeout 40m ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	rm -rf bin dist
