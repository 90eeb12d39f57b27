# IrrepScope. `make run` runs the main job; `make test` runs the tests. Both install what a
# fresh Debian machine lacks first (apt-get as root; skipped when everything is present).
SWIFT ?= swift
DEBS := libfftw3-dev libopenblas-dev zlib1g-dev pkg-config libhdf5-dev libzstd-dev
# The tests also render a report in a real browser (headless Chromium).
TEST_DEBS := chromium
# Release builds link the Swift runtime statically: a self-contained binary (less dynamic
# loading at start-up; it copies to machines without a Swift toolchain; FFTW/OpenBLAS/zlib
# stay shared).
RELEASE := -c release --static-swift-stdlib
REPORT ?= report/c71-quadratic
RUN_ARGS ?= analyze data/c71-quadratic-final.pt --group C71 --initial data/c71-quadratic-init.pt --out $(REPORT)

.PHONY: deps build run test bench fuzz report-check install clean

deps:
	@missing=""; for p in $(DEBS) $(EXTRA_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing" >&2; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >&2; \
	fi

build: deps
	$(SWIFT) build $(RELEASE) --product irrepscope

# The main job: analyze the trained C_71 network in data/ and write its report
# (open $(REPORT)/report.html in a browser).
run: build
	.build/release/irrepscope $(RUN_ARGS)

# Installs the self-contained binary, shell completions (bash, zsh, fish) and the man page
# under $(PREFIX) (default /usr/local; DESTDIR for staging).
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build/release/irrepscope $(DESTDIR)$(PREFIX)/bin/irrepscope
	.build/release/irrepscope --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/irrepscope
	.build/release/irrepscope --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_irrepscope
	.build/release/irrepscope --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/irrepscope.fish
	mkdir -p .build/man
	$(SWIFT) package --allow-writing-to-directory .build/man generate-manual --output-directory .build/man
	install -m 644 .build/man/irrepscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/irrepscope.1

test:
	$(MAKE) deps EXTRA_DEBS="$(TEST_DEBS)"
	$(SWIFT) test

bench: deps
	bash Benchmarks/run.sh

# libFuzzer harnesses for every checkpoint parser (Fuzz/README.md); SECONDS_EACH=600 by default.
fuzz: deps
	bash Fuzz/run.sh

# Render a report with headless Chromium and fail on console errors or missing plots.
report-check: build
	bash scripts/report_check.sh

# API documentation (swift-docc-plugin): one DocC archive per library module,
# $(DOCS)/<Module>.doccarchive, laid out for static hosting. Browse one with
#   python3 -m http.server -d $(DOCS)/Groups.doccarchive   (then http://localhost:8000/documentation/groups/)
# or open the .doccarchive in Xcode. DOCC_FLAGS=--warnings-as-errors makes unresolved links fail.
DOCS ?= .build/docs
DOC_MODULES := NeuronData Fourier Groups Checkpoints Analysis Batch Reports JSONOutput
DOCC_FLAGS ?=
.PHONY: docs
docs: deps
	$(SWIFT) package --allow-writing-to-directory $(DOCS) generate-documentation \
	  $(addprefix --target ,$(DOC_MODULES)) --output-path $(DOCS) --transform-for-static-hosting $(DOCC_FLAGS)

clean:
	rm -rf .build report
