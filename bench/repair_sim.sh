#!/usr/bin/env bash
# The repair-planning simulation (core/repair_sim.h) at 10 to 10 000
# receivers: prints its table and writes it into bench/RESULTS.md between
# the repair-sim markers.
# Usage: bench/repair_sim.sh [BUILD_DIR]   (default build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
results=bench/RESULTS.md
cmake --build "$build" -j "$(nproc)" --target fleetcast_repair_sim >/dev/null
table=$("$build/fleetcast_repair_sim")
echo "$table"
section=$(printf '<!-- repair-sim:begin -->\nWritten by `bench/repair_sim.sh` on %s (git %s):\n\n%s\n<!-- repair-sim:end -->' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git rev-parse --short HEAD)" "$table")
if grep -q '^<!-- repair-sim:begin -->' "$results"; then
  SECTION=$section python3 - "$results" <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r'<!-- repair-sim:begin -->.*?<!-- repair-sim:end -->', lambda m: os.environ['SECTION'], text, flags=re.S)
open(path, 'w').write(text)
PY
else
  printf '\n## Repair planning at scale (simulation)\n\n%s\n' "$section" >>"$results"
fi
