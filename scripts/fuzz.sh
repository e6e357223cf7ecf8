#!/usr/bin/env bash
# `make fuzz`: build the libFuzzer targets with clang (build-fuzz/) and run each for
# FUZZ_SECONDS (default 60) on a corpus seeded from the bundled files. Prints, per target,
# the executions and whether it found a crash; exits 1 if any target did. Crash inputs are
# left in build-fuzz/findings/<target>/. FUZZ_TARGETS="fuzz_scenario fuzz_set" limits the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
ALL="fuzz_scenario fuzz_set fuzz_model_config fuzz_profile fuzz_prices fuzz_request_trace fuzz_expert_trace"
TARGETS=${FUZZ_TARGETS:-$ALL}
B=${FUZZ_BUILD_DIR:-build-fuzz}
scripts/install-deps.sh --fuzz
cmake -S . -B "$B" -G Ninja -DMOESIM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$B.configure.log" 2>&1 || { cat "$B.configure.log"; exit 1; }
# shellcheck disable=SC2086
cmake --build "$B" --target $TARGETS -j "${JOBS:-$(nproc)}"

seed() {  # seed TARGET FILES...: the corpus directory of TARGET, refilled from FILES
  local dir="$B/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do cp -f "$f" "$dir/"; done
}
seed fuzz_scenario scenarios/*.json scenarios/validation/*.json
seed fuzz_set fuzz/seeds/set/*
seed fuzz_model_config scenarios/models/*.json
seed fuzz_profile calibrations/*.json
seed fuzz_prices fuzz/seeds/prices/*
seed fuzz_request_trace fuzz/seeds/request_trace/*
seed fuzz_expert_trace fuzz/seeds/expert_trace/*

status=0
for t in $TARGETS; do
  mkdir -p "$B/findings/$t"
  log="$B/findings/$t.log"
  set +e
  "$B/fuzz/$t" "$B/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096 \
    -max_len=65536 -artifact_prefix="$B/findings/$t/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ "$rc" -eq 0 ]; then
    echo "$t: $runs executions, no findings"
  else
    status=1
    echo "$t: FINDING after $runs executions (exit $rc), input in $B/findings/$t/; log $log"
    grep -m3 -E 'ERROR|fuzz finding|runtime error' "$log" || true
  fi
done
exit $status
