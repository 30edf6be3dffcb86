# Missive — build, test and check targets. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 20s
DIST    ?= dist

.PHONY: build run deps test test-race check fuzz bench bench-peers clean deb rpm

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/missive ./cmd/missive

# Runs Missive on embedded SQLite in ./data; prints the URL and, on first
# start, the admin password.
run: build
	./bin/missive serve --data ./data

# The peers the tests start themselves (PostgreSQL, Chromium, Dovecot,
# Cyrus, Postfix's tools, rclone, litmus, LibreOffice, OpenSSH…) and the Go
# modules: installed with apt-get when run as root on Debian/Ubuntu,
# otherwise named in one line.
deps:
	./scripts/deps

# Every test, on SQLite and PostgreSQL (a throw-away PostgreSQL server is
# started by the tests themselves).
test: deps
	$(GO) test -shuffle=on -count=1 -timeout 25m ./...

test-race: deps
	$(GO) test -race -shuffle=on -count=1 -timeout 40m ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Each fuzzer for FUZZTIME (make fuzz FUZZTIME=5m for a longer run).
FUZZMINIMIZE ?= 2s
FUZZ = $(GO) test -run='^$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE)
fuzz:
	$(FUZZ) -fuzz='^FuzzDecodeCommand$$' ./appliance/
	$(FUZZ) -fuzz='^FuzzApplyCommand$$' ./appliance/
	$(FUZZ) -fuzz='^FuzzParseQuery$$' ./appliance/store/
	$(FUZZ) -fuzz='^FuzzFold$$' ./appliance/store/
	$(FUZZ) -fuzz='^FuzzSnapshotLoad$$' ./appliance/store/
	$(FUZZ) -fuzz='^FuzzAPIRegister$$' ./appliance/api/
	$(FUZZ) -fuzz='^FuzzConfigLoad$$' ./appliance/config/
	$(FUZZ) -fuzz='^FuzzPath$$' ./webdav/share/
	$(FUZZ) -fuzz='^FuzzXML$$' ./webdav/share/
	$(FUZZ) -fuzz='^FuzzMergeXML$$' ./appliance/drafts/
	$(FUZZ) -fuzz='^FuzzVerify$$' ./appliance/docserver/
	$(FUZZ) -fuzz='^FuzzCallbackBody$$' ./webdav/onlyoffice/
	$(FUZZ) -fuzz='^FuzzParse$$' ./mailbridge/
	$(FUZZ) -fuzz='^FuzzParsePack$$' ./backup/
	$(FUZZ) -fuzz='^FuzzIndexFile$$' ./backup/
	$(FUZZ) -fuzz='^FuzzTNEF$$' ./mailbridge/
	$(FUZZ) -fuzz='^FuzzDocument$$' ./mailbridge/internal/pdf/

# Heavy measurements, not run by `make test`: micro-benchmarks, then the
# 100,000-letter harness on SQLite and PostgreSQL, and the backup harness on
# 100,000 letters with their scans against tar | zstd and restic
# (cmd/missive TestBench*; MISSIVE_BENCH_LETTERS to change), and the disk
# one 20 KB e-mail costs per table (appliance TestBenchDiskPerLetter).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./appliance/ ./appliance/store/
	$(GO) test -tags bench -run TestBenchDiskPerLetter -v ./appliance/
	$(GO) test -run '^$$' -bench . -benchmem ./webdav/share/
	$(GO) test -run '^$$' -bench . -benchmem ./appliance/drafts/
	$(GO) test -tags bench -run TestBench -v -timeout 120m ./cmd/missive/
	$(GO) test -tags bench -run TestBench -v -timeout 30m ./mailbridge/

# Missive against its peers on this machine, side by side and interleaved
# in the same run, as one table of ratios (≥ 1: as good as the peer or
# better), written to docs/bench-peers.md with the date and the machine.
# Each benchmark prints its rows as "| row | missive | peer | ratio |"; to
# add rows, add PACKAGE=TEST to BENCH_PEERS.
BENCH_PEERS ?= ./mailbridge/=TestBenchPeers ./cmd/missive/=TestBenchPeersApp
bench-peers:
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for r in $(BENCH_PEERS); do \
		$(GO) test -tags bench -count=1 -run "^$${r#*=}\$$" -v -timeout 60m "$${r%%=*}" >>$$log 2>&1; st=$$?; \
		grep -v '^| ' $$log | tail -n 5; [ $$st -eq 0 ] || { cat $$log; exit 1; }; \
	done; \
	{ echo "# Missive et ses pairs ($$(date -u '+%Y-%m-%d %H:%M UTC'))"; echo; \
	  echo "Machine: $$(uname -srm), $$(nproc) cœurs, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), charge $$(cut -d' ' -f1-3 /proc/loadavg)."; \
	  echo "ratio ≥ 1: Missive fait au moins aussi bien que le pair (débit: Missive/pair; temps, CPU, mémoire: pair/Missive)."; echo; \
	  echo "| mesure | Missive | pair | ratio |"; echo "| --- | ---: | ---: | ---: |"; grep '^| ' $$log; } | tee docs/bench-peers.md

# Packages of bin/missive for Debian/Ubuntu and RHEL (packaging/nfpm.yaml):
# $(DIST)/missive_<version>_<arch>.deb and $(DIST)/missive-<version>-1.<arch>.rpm.
deb rpm: build
	$(GO) run ./packaging/mkpkg -format $@ -version $(VERSION) -binary bin/missive -out $(DIST)

clean:
	rm -rf bin dist
