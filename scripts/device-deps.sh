#!/usr/bin/env bash
# Packs the Debian build dependencies of moesim (headers, CMake configs and the two shared
# libraries) into .device-deps/moesim-deps.tar.gz, for a GPU machine that has the CUDA toolkit
# but neither these packages nor a network to install them from (the device machines of
# scripts/device-check.sh). Run it HERE, on a Debian machine with apt; the tarball is ignored by
# git and travels only when named: run(carry=[".device-deps"], command="scripts/device-check.sh").
# scripts/device-check.sh unpacks it (tar, no dpkg or root needed there) only when a package is
# missing on that machine. ~20 MB. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(nlohmann-json3-dev catch2 libboost1.74-dev libboost-program-options1.74-dev
          libboost-program-options1.74.0 libsqlite3-dev libsqlite3-0)
dest=.device-deps
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest" "$work/debs" "$work/root"
(cd "$work/debs" && apt-get download "${packages[@]}")
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
rm -rf "$work/root/usr/share/doc" "$work/root/usr/share/lintian"
tar -C "$work/root" -czf "$dest/moesim-deps.tar.gz.tmp" usr
mv "$dest/moesim-deps.tar.gz.tmp" "$dest/moesim-deps.tar.gz"
(cd "$work/debs" && ls -1 *.deb) > "$dest/PACKAGES"
echo "wrote $dest/moesim-deps.tar.gz ($(du -h "$dest/moesim-deps.tar.gz" | cut -f1)) from:"
sed 's/^/  /' "$dest/PACKAGES"
