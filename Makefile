# SteerLens — setup, demo, tests, benchmarks. Every target installs what it needs (idempotently).
#   make demo    set up, build, and run steerlens on the embedded demo (Reports/demo/index.html)
#   make demo-methods  every explanation method (--method) on every 10th demo frame (Reports/demo-methods/)
#   make demo-compare  the regression gate on the demo models (exits 1: the candidate regresses)
#   make demo-stress   DeepTest's 70 transform settings on the demo clip, baseline and candidate model
#   make test    set up and run the whole test suite, the memory checks and the Slurm cluster test (what CI runs)
#   make cluster-test  a single-node Slurm cluster running the fleet job files (Tests/Cluster/slurm.sh)
#   make unit-test     only the test suite (the quick loop while developing)
#   make memcheck      valgrind memcheck over the decode sweep and the C writers
#   make asan          the VideoIO, NeuralNet, ModelImport, Transforms and CLI tests under AddressSanitizer
#   make fuzz          every libFuzzer harness for FUZZ_SECONDS (default 60) each (Tests/Fuzz)
#   make bench   set up and print the benchmark figures (never part of `make test`)
#   make help-fixtures  re-pin every subcommand's --help text (Tests/Fixtures/help, checked by HelpTextTests)
#   make readme-check  re-run every README transcript with the release binary (the test skips the slow ones)

SHELL := /bin/bash
APT_PACKAGES := pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
                libopenblas-dev libhdf5-dev zlib1g-dev libdeflate-dev ffmpeg libxml2-utils valgrind
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift

.PHONY: setup build demo demo-methods demo-compare demo-stress test unit-test memcheck asan cluster-test fuzz bench help-fixtures readme-check clean

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

# Every explanation method on every 10th demo frame, side by side in one report (Reports/demo-methods/index.html).
demo-methods: build
	.build/release/steerlens analyze Datasets/demo/drive.mp4 --model Datasets/models/pilotnet-demo.h5 \
		--labels Datasets/demo/labels.csv --out Reports/demo-methods --overwrite --every 10 \
		--method gradient --method gradcam --method visualbackprop --method smoothgrad \
		--method integrated-gradients --method occlusion

# The regression gate on the demo: the candidate model was starved of left curves, so this exits 1.
demo-compare: build
	.build/release/steerlens compare Datasets/demo/drive.mp4 --baseline Datasets/models/pilotnet-demo.h5 \
		--candidate Datasets/models/pilotnet-demo-candidate.h5 --labels Datasets/demo/labels.csv \
		--out Reports/demo-compare --overwrite --junit Reports/demo-compare.xml

# Metamorphic stress test of both demo models (DeepTest's suite, every 10th frame, labels: DeepTest's
# λ·MSE relation); the reports are Reports/demo-stress-{baseline,candidate}/index.html. Both exceed the
# default 20 % violation limit on this synthetic model, so the exit codes are shown, not propagated.
demo-stress: build
	-.build/release/steerlens stress Datasets/demo/drive.mp4 --model Datasets/models/pilotnet-demo.h5 \
		--labels Datasets/demo/labels.csv --suite deeptest --every 10 --out Reports/demo-stress-baseline --overwrite \
		--junit Reports/demo-stress-baseline.xml
	-.build/release/steerlens stress Datasets/demo/drive.mp4 --model Datasets/models/pilotnet-demo-candidate.h5 \
		--labels Datasets/demo/labels.csv --suite deeptest --every 10 --out Reports/demo-stress-candidate --overwrite \
		--junit Reports/demo-stress-candidate.xml

test: unit-test memcheck asan cluster-test

unit-test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

# valgrind sees what AddressSanitizer cannot: writes inside the uninstrumented FFmpeg libraries.
memcheck: setup
	$(SWIFT) build --build-tests
	Tests/Memcheck/memcheck.sh .build/debug

# Slurm (slurm-wlm, munge: installed by the script when missing) on this machine: the array job file,
# a killed and re-submitted task, merge; about 4 minutes on 2 busy cores with the debug build.
cluster-test: setup
	$(SWIFT) build --build-tests
	Tests/Cluster/slurm.sh .build/debug

# AddressSanitizer on every target that owns C-boundary code, in a build folder of its own. Three
# whole-clip CLI runs (two whole-demo runs, 160 s of 690 s under ASan on a 2.1 GHz 2-core CI machine, and
# the 221-frame real clip, 43 s), the fleet schema check (two fleet runs, 37 s; the fleet tests make the
# same runs), the recorded-explanation check (six analyze + check runs, 34–38 s; testCheckAgainstARecordedRun
# makes the same calls) and the compare fleet (three compare runs, 23–26 s; the other fleet tests and
# CompareCommandTests make them) pass the same decode, HDF5 and PNG calls as shorter CLI tests; they run
# in unit-test only, keeping CI under 30 min.
ASAN_TESTS := VideoIOTests|NeuralNetTests|ModelImportTests|TransformsTests|SteerLensCLITests
ASAN_SKIP := DemoComparisonTests|testReproducesTheRealReferenceMapsFromTheCommandLine|testWholeRealClipWithTheOriginalPreprocessing|testFleetJSONMatchesTheSchema|testCheckReproducesTheRecordedExplanation|testCompareFleetMatchesOneCompareAndFailsOnAFleetThreshold
asan: setup
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 $(SWIFT) test --skip-build --disable-swift-testing --sanitize=address \
		--scratch-path .build-asan --filter '$(ASAN_TESTS)' --skip '$(ASAN_SKIP)'

# Coverage-guided fuzzing of every parser of untrusted bytes (never part of `make test`): a nested
# package built with libFuzzer and AddressSanitizer; findings are under Tests/Fuzz/.build/fuzz/.
FUZZ_SECONDS ?= 60
# SwiftPM passes -sanitize=fuzzer to the link only; this instruments every module, the main package's
# included, with the coverage libFuzzer reads (inline 8-bit counters, PC tables, comparisons).
FUZZ_COVERAGE := -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
# The nested package's incremental build misses files added to the main package, so it builds afresh
# each time (about a minute), keeping .build/fuzz (grown corpora, logs, crash inputs).
fuzz: setup
	find Tests/Fuzz/.build -mindepth 1 -maxdepth 1 ! -name fuzz -exec rm -rf {} + 2>/dev/null || true
	cd Tests/Fuzz && $(SWIFT) build --sanitize=fuzzer --sanitize=address $(FUZZ_COVERAGE)
	FUZZ_SECONDS=$(FUZZ_SECONDS) Tests/Fuzz/fuzz.sh

# Figures, never asserted. The TensorFlow peers run when their Python packages are installed (README).
bench: setup
	@command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq time >/dev/null
	$(SWIFT) build -c release --product steerlens
	$(SWIFT) build -c release --product steerlens-bench
	.build/release/steerlens-bench all

# ReadmeTranscriptTests with every block, the analyze/compare ones included, run by the release binary.
readme-check: build
	$(SWIFT) build --build-tests
	STEERLENS_README_ALL=1 STEERLENS_README_BINARY=$(CURDIR)/.build/release/steerlens \
		$(SWIFT) test --skip-build --disable-swift-testing --filter ReadmeTranscriptTests

# The pinned --help texts: regenerate after a deliberate change to an option or its help, review the diff.
HELP_COMMANDS := probe frames inspect predict analyze compare check merge sanity stress
help-fixtures: build
	@mkdir -p Tests/Fixtures/help
	COLUMNS=80 .build/release/steerlens --help > Tests/Fixtures/help/steerlens.txt
	@for command in $(HELP_COMMANDS); do COLUMNS=80 .build/release/steerlens $$command --help > Tests/Fixtures/help/$$command.txt; done

clean:
	rm -rf .build .build-asan Reports/demo Reports/demo-compare Reports/demo-compare.xml Reports/demo-stress-*
