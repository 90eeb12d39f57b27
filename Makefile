# IrrepScope. `make run` runs the main job; `make test` runs the tests. Both install what a
# fresh Debian machine lacks first (needs root for apt-get; skipped when already present).
SWIFT ?= swift
DEBS := libfftw3-dev libopenblas-dev zlib1g-dev pkg-config
RUN_ARGS ?= spectrum data/example-c71-weights.npy --p 71

.PHONY: deps build run test bench fixtures clean

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing" >&2; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >&2; \
	fi

build: deps
	$(SWIFT) build -c release

run: build
	.build/release/irrepscope $(RUN_ARGS)

test: deps
	$(SWIFT) test

bench: deps
	bash Benchmarks/run.sh

clean:
	rm -rf .build
