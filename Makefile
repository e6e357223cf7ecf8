# The README's two commands. `make run` and `make test` each install what is missing,
# configure (Release, Ninja), build, and then run the reference scenario or the tests.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
SCENARIO ?= scenarios/deepseek-v3-pretrain.json
DB ?= results.sqlite

.PHONY: all deps configure build run test golden bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release > $(BUILD_DIR).configure.log 2>&1 \
	  || { cat $(BUILD_DIR).configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@$(BUILD_DIR)/cli/moesim run $(SCENARIO) --db $(DB)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

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
