#!/usr/bin/env bash
# Installs the Debian packages moesim needs, only those that are missing.
# Uses sudo when not root. Safe to run again.
set -euo pipefail
# chromium: headless, for the test that renders `moesim report sweep --format html`
# (tests/cli/sweep_report_test.cpp); without it that one test is reported as skipped.
packages=(g++ cmake ninja-build libboost-graph-dev libboost-program-options-dev
          libsqlite3-dev nlohmann-json3-dev catch2 sqlite3 jq chromium
          openmpi-bin libopenmpi-dev)  # `mpirun … moesim sweep` and its tests
# `make fuzz` only (scripts/fuzz.sh): libFuzzer comes with Debian's clang. `make test` never needs it.
if [ "${1:-}" = "--fuzz" ]; then packages+=(clang); fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "moesim: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
