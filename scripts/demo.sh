#!/usr/bin/env bash
# The fleetcast demo: installs what is missing, builds, makes a sample disk
# (MBR + ext4 holding files, made without mounting), packs it, and shows
# what the image holds, then proves the round trip by verify and unpack.
# Usage: scripts/demo.sh [WORK_DIR]    (default: ./out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-out/demo}
mkdir -p "$work"

say() { printf '\n== %s\n' "$*"; }

say "dependencies"
scripts/deps.sh

say "build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target fleetcast-server fleetcast-client
server=build/fleetcast-server

say "sample disk: 64 MiB, MBR partition table, ext4 with files"
scripts/make-disk-image.sh "$work/sample.raw" 64
sfdisk --dump "$work/sample.raw" | sed -n '/^label:/p;/start=/p'

say "pack"
"$server" pack "$work/sample.raw" "$work/sample.fcimg" --label "fleetcast demo"

say "info"
"$server" info "$work/sample.fcimg"

say "verify"
"$server" verify "$work/sample.fcimg"

say "unpack and compare with the source"
"$server" unpack "$work/sample.fcimg" "$work/restored.raw"
cmp "$work/sample.raw" "$work/restored.raw"
echo "restored.raw is byte-identical to sample.raw"
rm -f "$work/restored.raw"
