# The README's two commands. `make run` and `make test` each install what is missing,
# configure (Release, Ninja), build, and then run the reference scenario or the tests.
# SANITIZE=1: the same targets in build-asan/, built with ASan + UBSan (-fno-sanitize-recover),
# CUDA and the benchmarks off; `make test SANITIZE=1` runs the whole suite under them.
ifeq ($(SANITIZE),1)
BUILD_DIR ?= build-asan
BUILD_TYPE ?= Sanitize
CMAKE_ARGS += -DMOESIM_SANITIZE=ON -DMOESIM_CUDA=OFF -DMOESIM_BUILD_BENCH=OFF
TEST_ENV := UBSAN_OPTIONS=print_stacktrace=1
else
BUILD_DIR ?= build
BUILD_TYPE ?= Release
endif
JOBS ?= $(shell nproc)
SCENARIO ?= scenarios/deepseek-v3-pretrain.json
DB ?= results.sqlite

.PHONY: all deps configure build run test golden bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS) > $(BUILD_DIR).configure.log 2>&1 \
	  || { cat $(BUILD_DIR).configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@$(BUILD_DIR)/cli/moesim run $(SCENARIO) --db $(DB)

test: build
	@cd $(BUILD_DIR) && $(TEST_ENV) ctest --output-on-failure -j $(JOBS)

# Rewrites tests/golden/*.json from the built binary; the only way they change. Review the diff.
golden: configure
	@cmake --build $(BUILD_DIR) --target update_golden
	@git diff --stat -- tests/golden

# libFuzzer targets (clang; a separate build-fuzz/), each run FUZZ_SECONDS (default 60).
fuzz:
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) JOBS=$(JOBS) scripts/fuzz.sh

bench: build
	@for b in $(BUILD_DIR)/bench/*_bench; do [ -x "$$b" ] && "$$b"; done

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR).configure.log
