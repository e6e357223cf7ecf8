#!/usr/bin/env bash
# device-check.sh: the whole GPU check of issue 6 in one command, for a session that is lent a
# GPU machine for a few minutes (the machine starts bare: no build dir, maybe no Debian -dev
# packages, no network). In ~8 minutes on 16 cores it
#   1. prints the machine: nvidia-smi, nvcc, cmake, the compiler, NCCL's version and library;
#   2. checks the build dependencies (Boost program_options, SQLite3, nlohmann_json, Catch2) and,
#      for any missing, unpacks .device-deps/moesim-deps.tar.gz (made HERE by
#      scripts/device-deps.sh and carried there) — nothing at all builds without them, since
#      even the kernels use nlohmann_json and their tests Catch2;
#   3. finds NCCL (the CUDA toolkit, the system, or the nvidia-nccl Python wheel);
#   4. configures a Release build with CUDA (Ninja if present) and builds only moesim,
#      moesim_kernels_bench, kernels_gpu_tests, kernels_runner_tests and kernels_tests
#      (keep-going: one target's compile error does not stop the others);
#   5. runs kernels_gpu_tests "[gpu]", moesim_kernels_bench --quick,
#      moesim calibrate --quick (profile, raw measurements and results database into OUT_DIR),
#      moesim calibrate with NCCL made unloadable (must exit 2, write nothing), and the CPU
#      kernel tests;
# each phase under its own timeout inside one overall budget, so a hang costs one phase.
#
# usage: scripts/device-check.sh [OUT_DIR]        (default: $OUT, else ./device-check-out)
# On the device (the exact call):
#   run(command="scripts/device-check.sh", carry=[".device-deps"], timeout_s=560)
# Environment: MOESIM_CHECK_BUDGET_S (overall seconds, default 480), MOESIM_CHECK_BUILD_DIR
# (default build-device), MOESIM_CHECK_JOBS (default nproc), MOESIM_CHECK_PHASES (comma list of
# gpu_tests,bench,calibrate,no_nccl,cpu_tests to run after the build; default all),
# MOESIM_CHECK_FORCE_DEPS=1 (use the carried tarball even where the system has the packages).
#
# Writes to OUT_DIR (at most 5 files: the device tool returns 8): device-check.log (every
# phase's full output), <gpu>-measured.json (the profile), <gpu>-raw.json (measurements, for
# `moesim calibrate --measurements` anywhere), calib.sqlite. Ends with a SUMMARY on stdout.
# Exit status: 0 every phase passed; 1 a phase failed or timed out; 2 the build could not be
# set up (a dependency or nvcc missing, configure failed); 3 built, but there is no GPU here.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
repo=$PWD
out_dir=${1:-${OUT:-$repo/device-check-out}}
mkdir -p "$out_dir" || { echo "device-check: cannot create $out_dir" >&2; exit 2; }
out_dir=$(cd "$out_dir" && pwd)
build_dir=${MOESIM_CHECK_BUILD_DIR:-build-device}
budget_s=${MOESIM_CHECK_BUDGET_S:-480}
jobs=${MOESIM_CHECK_JOBS:-$(nproc)}
phases=${MOESIM_CHECK_PHASES:-gpu_tests,bench,calibrate,no_nccl,cpu_tests}
log=$out_dir/device-check.log
start_s=$(date +%s)
summary=()
failed=0 cannot_build=0 no_gpu=0

: > "$log"
say() { echo "$*" | tee -a "$log"; }
note() { summary+=("$(printf '%-14s %s' "$1" "$2")"); }
raise() { case $1 in 1) failed=1 ;; 2) cannot_build=1 ;; 3) no_gpu=1 ;; esac; }
left_s() { echo $((start_s + budget_s - $(date +%s))); }
wanted() { [[ ",$phases," == *",$1,"* ]]; }

# phase NAME LIMIT_S CMD...: CMD's output to the log (its last lines to stdout too), under
# min(LIMIT_S, the budget left); sets phase_rc (124 on timeout, 125 skipped for lack of time).
phase() {
  local name=$1 limit=$2 left t0 dt
  shift 2
  left=$(left_s)
  if [ "$left" -lt 20 ]; then
    phase_rc=125
    say "=== $name: SKIPPED, the ${budget_s}s budget is spent"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  say "=== $name (limit ${limit}s, $(date -u +%H:%M:%S) UTC): $*"
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >> "$log" 2>&1 < /dev/null
  phase_rc=$?
  dt=$(($(date +%s) - t0))
  [ "$phase_rc" = 137 ] && phase_rc=124
  phase_s=$dt
  say "--- $name: exit $phase_rc after ${dt}s$([ "$phase_rc" = 124 ] && echo ' (TIMEOUT)')"
}

# The last lines of the log since the phase header, to stdout (the device tool returns only
# the end of stdout; the whole log comes back in OUT_DIR).
show_tail() {
  awk -v h="=== $1 " -v f="--- $1: " 'index($0,h)==1{buf=""; next} index($0,f)==1{next} {buf=buf "    " $0 "\n"} END{printf "%s", buf}' "$log" |
    tail -n "${2:-25}"
}

verdict() {  # NAME EXPECTED_RC [what it means]
  if [ "$phase_rc" = 125 ]; then note "$1" "SKIPPED (no time left)"; raise 1
  elif [ "$phase_rc" = 124 ]; then note "$1" "TIMEOUT after ${phase_s}s"; raise 1; show_tail "$1"
  elif [ "$phase_rc" = "$2" ]; then note "$1" "ok (${phase_s}s)${3:+ $3}"; show_tail "$1" 8
  else note "$1" "FAILED (exit $phase_rc, ${phase_s}s)"; raise 1; show_tail "$1" 40
  fi
}

finish() {
  say ""
  say "=== SUMMARY ($(($(date +%s) - start_s))s of ${budget_s}s; log: $log)"
  for line in "${summary[@]}"; do say "  $line"; done
  local worst=0
  if [ "$cannot_build" = 1 ]; then worst=2; elif [ "$failed" = 1 ]; then worst=1; elif [ "$no_gpu" = 1 ]; then worst=3; fi
  case $worst in
    0) say "device-check: OK" ;;
    1) say "device-check: FAILED (see the phases above and $log)" ;;
    2) say "device-check: CANNOT BUILD (see above)" ;;
    3) say "device-check: built, but NO GPU here: nothing was measured (exit 3)" ;;
  esac
  say "files in $out_dir: $(cd "$out_dir" && ls | tr '\n' ' ')"
  exit "$worst"
}

# ---- 1. the machine ---------------------------------------------------------------------
# Tools installed with pip (cmake, ninja) may be off PATH, and NVIDIA's installer leaves nvcc off it.
for tool in cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    dir=$(python3 -c "import $tool, os; print(getattr($tool, 'BIN_DIR', '') or os.path.join(os.path.dirname($tool.__file__), 'data', 'bin'))" 2>/dev/null)
    [ -n "$dir" ] && [ -x "$dir/$tool" ] && export PATH="$dir:$PATH"
  fi
done
[ -d /usr/local/cuda/bin ] && export PATH="$PATH:/usr/local/cuda/bin"
say "=== machine ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
{
  echo "host: $(uname -srm); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"); $(nproc) cores"
  echo "source: $(git rev-parse --short=12 HEAD 2>/dev/null || echo 'no git checkout (copied tree)')"
  echo "cmake: $(cmake --version 2>/dev/null | head -1 || echo MISSING)"
  echo "ninja: $(ninja --version 2>/dev/null || echo 'not found (make is used)')"
  echo "c++: $(c++ --version 2>/dev/null | head -1 || echo MISSING)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -2 | tr '\n' ' ' || echo MISSING)"
} 2>&1 | tee -a "$log"
have_gpu=0
gpu_tag=gpu
if command -v nvidia-smi >/dev/null; then
  timeout 30 nvidia-smi 2>&1 | tee -a "$log"
  gpu_name=$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  if [ -n "$gpu_name" ]; then
    have_gpu=1
    tag=$(echo "$gpu_name" | grep -oiE 'H[0-9]{3}|A[0-9]{3}|B[0-9]{3}|L[0-9]{2}S?' | head -1 | tr 'A-Z' 'a-z')
    gpu_tag=${tag:-gpu}
    say "GPU: $gpu_name (files named $gpu_tag-*)"
  fi
else
  say "nvidia-smi: not found"
fi
[ "$have_gpu" = 1 ] || say "NO GPU: nvidia-smi lists none; the build is checked, the GPU phases are not run or must refuse"
command -v cmake >/dev/null || { say "cmake: MISSING — cannot build"; note setup "FAILED: no cmake"; raise 2; finish; }

# ---- 2. build dependencies ---------------------------------------------------------------
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
cat > "$probe_dir/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(moesim_probe LANGUAGES CXX)
find_package(Boost 1.74 QUIET COMPONENTS program_options)
find_package(SQLite3 QUIET)
find_package(nlohmann_json 3.10 QUIET)
find_package(Catch2 2 QUIET)
foreach(p Boost SQLite3 nlohmann_json Catch2)
  if(${p}_FOUND)
    message(STATUS "probe: ${p} found")
  else()
    message(STATUS "probe: ${p} MISSING")
  endif()
endforeach()
EOF
probe() { cmake -S "$probe_dir" -B "$probe_dir/b" "$@" 2>&1 | grep -E '^-- probe: ' | sed 's/^-- probe: //'; rm -rf "$probe_dir/b"; }
say "=== dependencies"
found=$(probe)
echo "$found" | tee -a "$log"
missing=$(echo "$found" | awk '/MISSING/{print $1}' | tr '\n' ' ')
[ "${MOESIM_CHECK_FORCE_DEPS:-0}" = 1 ] && missing="Boost SQLite3 nlohmann_json Catch2"
dep_args=()
if [ -n "${missing// /}" ]; then
  tarball=$repo/.device-deps/moesim-deps.tar.gz
  prefix=/tmp/moesim-deps
  if [ ! -f "$tarball" ]; then
    say "MISSING build dependencies: $missing"
    say "  Nothing builds without them (the kernels use nlohmann_json, their tests Catch2, moesim Boost and SQLite3)."
    say "  Fix: on the development machine run scripts/device-deps.sh, then call the device tool with carry=[\".device-deps\"]."
    note dependencies "MISSING: ${missing% } (no .device-deps/moesim-deps.tar.gz carried)"
    raise 2
    finish
  fi
  say "unpacking $tarball into $prefix for: $missing"
  mkdir -p "$prefix" && tar -C "$prefix" -xzf "$tarball" || { note dependencies "FAILED to unpack $tarball"; raise 2; finish; }
  lib=$prefix/usr/lib/x86_64-linux-gnu
  for p in $missing; do
    case $p in
      Boost) dep_args+=(-DBoost_DIR="$lib/cmake/Boost-1.74.0") ;;
      SQLite3) dep_args+=(-DSQLite3_INCLUDE_DIR="$prefix/usr/include" -DSQLite3_LIBRARY="$lib/libsqlite3.so") ;;
      nlohmann_json) dep_args+=(-Dnlohmann_json_DIR="$prefix/usr/share/cmake/nlohmann_json") ;;
      Catch2) dep_args+=(-DCatch2_DIR="$prefix/usr/lib/cmake/Catch2") ;;
    esac
  done
  found=$(probe "${dep_args[@]}")
  echo "$found" | tee -a "$log"
  still=$(echo "$found" | awk '/MISSING/{print $1}' | tr '\n' ' ')
  if [ -n "${still// /}" ]; then
    note dependencies "MISSING even with the carried tarball: $still"
    raise 2
    finish
  fi
  note dependencies "ok (from the carried tarball: $missing)"
else
  note dependencies "ok (installed)"
fi

# ---- 3. NCCL ------------------------------------------------------------------------------
say "=== NCCL"
nccl_args=()
nccl_header=""
for d in ${NCCL_ROOT:+$NCCL_ROOT/include} ${CUDA_HOME:+$CUDA_HOME/include} /usr/local/cuda/include /usr/include; do
  [ -f "$d/nccl.h" ] && { nccl_header=$d/nccl.h; break; }
done
if [ -z "$nccl_header" ]; then
  # The nvidia-nccl-cu* wheel (PyTorch's): a header and libnccl.so.2 without the libnccl.so link
  # that find_library wants; give CMake a root with both names.
  wheel=$(python3 -c "import nvidia.nccl as m; print(list(m.__path__)[0])" 2>/dev/null)
  if [ -n "$wheel" ] && [ -f "$wheel/include/nccl.h" ] && ls "$wheel"/lib/libnccl.so* >/dev/null 2>&1; then
    root=/tmp/moesim-nccl
    mkdir -p "$root/include" "$root/lib"
    ln -sf "$wheel/include/nccl.h" "$root/include/nccl.h"
    so=$(ls "$wheel"/lib/libnccl.so* | head -1)
    ln -sf "$so" "$root/lib/libnccl.so"
    ln -sf "$so" "$root/lib/libnccl.so.2"
    nccl_header=$root/include/nccl.h
    nccl_args=(-DNCCL_ROOT="$root")
    say "NCCL from the Python wheel at $wheel"
  fi
fi
if [ -n "$nccl_header" ]; then
  v=$(awk '/#define NCCL_(MAJOR|MINOR|PATCH)/{printf "%s%s", sep, $3; sep="."}' "$nccl_header")
  say "NCCL header: $nccl_header (version $v); libraries: $( (ldconfig -p 2>/dev/null | grep -o '/.*libnccl.so[.0-9]*'; ls /tmp/moesim-nccl/lib/libnccl.so.2 2>/dev/null) | tr '\n' ' ')"
  note nccl "found $v"
else
  say "NCCL: no nccl.h found (CUDA toolkit, /usr/include, NCCL_ROOT, the nvidia-nccl wheel): the collective sweeps are not built and moesim calibrate will refuse"
  note nccl "NOT FOUND (calibrate will refuse)"
  raise 1
fi

# ---- 4. configure and build ---------------------------------------------------------------
generator=("Unix Makefiles"); keep_going=(-k)
if command -v ninja >/dev/null; then generator=(Ninja); keep_going=(-k 0); fi
phase configure 150 cmake -S "$repo" -B "$build_dir" -G "${generator[0]}" -DCMAKE_BUILD_TYPE=Release \
  -DMOESIM_CUDA=ON -DMOESIM_BUILD_BENCH=OFF "${dep_args[@]}" "${nccl_args[@]}"
cuda_line=$(grep -E '^-- CUDA kernels: ' "$log" | tail -1)
say "${cuda_line:-no 'CUDA kernels:' line from cmake}"
if [ "$phase_rc" != 0 ]; then
  verdict configure 0
  ls "$build_dir"/CMakeFiles/CMakeError.log >/dev/null 2>&1 && tail -n 40 "$build_dir"/CMakeFiles/CMakeError.log >> "$log"
  raise 2
  finish
fi
if [[ "$cuda_line" != *"CUDA kernels: ON"* ]]; then
  note configure "FAILED: CMake built no CUDA kernels ($cuda_line)"
  raise 2
  finish
fi
verdict configure 0 "($(echo "$cuda_line" | sed 's/^-- CUDA kernels: //'))"
targets=(moesim_kernels_bench kernels_gpu_tests moesim kernels_runner_tests kernels_tests)
phase build 330 cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}" -- "${keep_going[@]}"
verdict build 0
bin() { local f; f=$(find "$build_dir" -type f -name "$1" -perm -u+x 2>/dev/null | head -1); echo "$f"; }
gpu_tests=$(bin kernels_gpu_tests); bench=$(bin moesim_kernels_bench); moesim=$build_dir/cli/moesim
runner_tests=$(bin kernels_runner_tests); cpu_tests=$(bin kernels_tests)
[ -x "$moesim" ] || moesim=""
[ "$phase_rc" = 0 ] || say "built anyway: ${gpu_tests:+kernels_gpu_tests }${bench:+moesim_kernels_bench }${moesim:+moesim }${runner_tests:+kernels_runner_tests }${cpu_tests:+kernels_tests}"

# ---- 5. run -------------------------------------------------------------------------------
not_built() { note "$1" "NOT BUILT ($2)"; raise 1; }
if wanted gpu_tests; then
  if [ "$have_gpu" = 0 ]; then note gpu_tests "SKIPPED (no GPU)"
  elif [ -z "$gpu_tests" ]; then not_built gpu_tests kernels_gpu_tests
  else phase gpu_tests 150 "$gpu_tests" "[gpu]" --durations yes; verdict gpu_tests 0; fi
fi
if wanted bench; then
  if [ -z "$bench" ]; then not_built bench moesim_kernels_bench
  elif [ "$have_gpu" = 0 ]; then phase bench 30 "$bench" --quick; verdict bench 2 "(refused: no GPU, as it must)"
  else phase bench 150 "$bench" --quick; verdict bench 0; fi
fi
if wanted calibrate; then
  files=(--out "$out_dir/$gpu_tag-measured.json" --db "$out_dir/calib.sqlite" --save-measurements "$out_dir/$gpu_tag-raw.json")
  if [ -z "$moesim" ]; then not_built calibrate moesim
  elif [ "$have_gpu" = 0 ]; then
    phase calibrate 30 "$moesim" calibrate --quick "${files[@]}"
    verdict calibrate 2 "(refused: no GPU, as it must)"
  else
    phase calibrate 240 "$moesim" calibrate --quick "${files[@]}"
    verdict calibrate 0
    [ -f "$out_dir/$gpu_tag-measured.json" ] && say "profile: $out_dir/$gpu_tag-measured.json ($(wc -c < "$out_dir/$gpu_tag-measured.json") bytes)"
  fi
fi
if wanted no_nccl && [ "$have_gpu" = 1 ] && [ -n "$moesim" ]; then
  # NCCL is loaded at run time (kernels/nccl/cuda/nccl_api.h): with it unloadable, calibrate must
  # exit 2 naming NCCL and write nothing.
  scratch=$(mktemp -d)
  phase no_nccl 30 env MOESIM_NCCL_LIBRARY=/nonexistent/libnccl.so.2 "$moesim" calibrate --quick \
    --out "$scratch/p.json" --db "$scratch/r.sqlite"
  if [ "$phase_rc" = 2 ] && [ -z "$(ls -A "$scratch")" ] && show_tail no_nccl 5 | grep -q NCCL; then
    note no_nccl "ok (exit 2, names NCCL, wrote nothing)"
  else
    verdict no_nccl 2
    [ "$phase_rc" = 2 ] && { note no_nccl "FAILED: exit 2 but wrote $(ls -A "$scratch" | tr '\n' ' ')or did not name NCCL"; raise 1; }
  fi
  rm -rf "$scratch"
fi
if wanted cpu_tests; then
  if [ -z "$runner_tests" ] || [ -z "$cpu_tests" ]; then not_built cpu_tests "kernels_runner_tests or kernels_tests"
  else phase cpu_tests 60 bash -c "'$runner_tests' && '$cpu_tests'"; verdict cpu_tests 0; fi
fi
[ "$have_gpu" = 0 ] && raise 3
finish
