# SteerLens — setup, demo, tests, benchmarks. Every target installs what it needs (idempotently).
#   make demo    set up, build, and run steerlens on the embedded demo (Reports/demo/index.html)
#   make demo-compare  the regression gate on the demo models (exits 1: the candidate regresses)
#   make test    set up and run the whole test suite
#   make bench   set up and print the benchmark figures (never part of `make test`)

SHELL := /bin/bash
APT_PACKAGES := pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
                libopenblas-dev libhdf5-dev zlib1g-dev ffmpeg libxml2-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift

.PHONY: setup build demo demo-compare test bench clean

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

# The main job on the embedded demo: saliency maps, overlays and the review page for the demo clip with
# the baseline demo model (its sidecar supplies the preprocessing) and the clip's labels.
demo: build
	.build/release/steerlens analyze Datasets/demo/drive.mp4 --model Datasets/models/pilotnet-demo.h5 \
		--labels Datasets/demo/labels.csv --out Reports/demo --overwrite --png-every 2

# The regression gate on the demo: the candidate model was starved of left curves, so this exits 1.
demo-compare: build
	.build/release/steerlens compare Datasets/demo/drive.mp4 --baseline Datasets/models/pilotnet-demo.h5 \
		--candidate Datasets/models/pilotnet-demo-candidate.h5 --labels Datasets/demo/labels.csv \
		--out Reports/demo-compare --overwrite --junit Reports/demo-compare.xml

test: setup
	$(SWIFT) test --disable-swift-testing

# Figures, never asserted. The TensorFlow peers run when their Python packages are installed (README).
bench: setup
	@command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq time >/dev/null
	$(SWIFT) build -c release --product steerlens
	$(SWIFT) build -c release --product steerlens-bench
	.build/release/steerlens-bench all

clean:
	rm -rf .build Reports/demo Reports/demo-compare Reports/demo-compare.xml
