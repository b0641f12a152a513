# SteerLens — setup, demo, tests, benchmarks. Every target installs what it needs (idempotently).
#   make demo    set up, build, and run steerlens on the embedded demo
#   make test    set up and run the whole test suite
#   make bench   set up and print the benchmark figures (never part of `make test`)

SHELL := /bin/bash
APT_PACKAGES := pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
                libopenblas-dev libhdf5-dev ffmpeg libxml2-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift
DEMO_DIR := Reports/demo

.PHONY: setup build demo test bench clean

# Installs the Debian packages that are missing; runs `apt-get update` only when something is.
setup:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 toolchain not found: install it from swift.org and put swift on PATH"; exit 1; }

build: setup
	$(SWIFT) build -c release --product steerlens

demo: build
	@mkdir -p $(DEMO_DIR)
	@[ -f $(DEMO_DIR)/road.mp4 ] || $(SWIFT) run -c release steerlens-bench clip --seconds 5 --out $(DEMO_DIR)/road.mp4
	.build/release/steerlens probe --count $(DEMO_DIR)/road.mp4
	.build/release/steerlens frames $(DEMO_DIR)/road.mp4 --out $(DEMO_DIR)/model-input --overwrite \
		--crop 300,80,0,0 --resize 200x66 --every 15
	@echo "model-input images: $(DEMO_DIR)/model-input/"

test: setup
	$(SWIFT) test --disable-swift-testing

bench: setup
	$(SWIFT) build -c release --product steerlens-bench
	.build/release/steerlens-bench all

clean:
	rm -rf .build Reports/demo
