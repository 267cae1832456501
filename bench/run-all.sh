#!/usr/bin/env bash
# Every benchmark, in one command: rewrites each generated table of
# bench/RESULTS.md (pack and component benchmarks, filesystem-aware packing, the repair-planning
# simulation, the end-to-end deployments against udpcast and uftp, MTU 1500 against 9000,
# netcheck beside iperf3). Run as root on an otherwise idle machine; the deployment grid takes
# about an hour.
# Usage: bench/run-all.sh [BUILD_DIR]   (default build-bench; env as for deploy_bench.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
scripts/deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
bench/pack_bench.sh "$build"
bench/fsaware_bench.sh "$build"
bench/repair_sim.sh "$build"
bench/deploy_bench.sh "$build"
bench/jumbo_bench.sh "$build"
bench/netcheck_bench.sh "$build"
