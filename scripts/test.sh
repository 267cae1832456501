#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every
# check: formatting, every ctest label (unit, program, e2e, and qemu: machines
# that PXE- and USB-boot the boot media), clang-tidy, the unit tests under
# ASan+UBSan, the unit and loopback deployment tests under TSan, and every
# fuzzer for a bounded time (ASan+UBSan).
# Usage: scripts/test.sh   (FUZZ_SECONDS=60 by default: the image-format and
#                           answer-input fuzzers; the others run half as long)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-60}
short_fuzz_seconds=$(((fuzz_seconds + 1) / 2))

step() { printf '\n== %s\n' "$*"; }

# Runs fuzzer $1 for $2 seconds on a copy of its seeds in fuzz/corpus/$1/.
run_fuzzer() {
  local target=$1 seconds=$2 corpus=build-fuzz/corpus-$1
  rm -rf "$corpus" && cp -r "fuzz/corpus/$target" "$corpus"
  "build-fuzz/$target" -max_total_time="$seconds" -max_len=65536 \
    -artifact_prefix="build-fuzz/$target-" "$corpus" 2>"build-fuzz/$target.log" ||
    { tail -40 "build-fuzz/$target.log"
      echo "test.sh: error: $target found a crash or a broken invariant (build-fuzz/$target-*)"
      exit 1; }
  tail -1 "build-fuzz/$target.log"
}

step "dependencies"
scripts/deps.sh

step "format (clang-format --dry-run --Werror)"
mapfile -t sources < <(git ls-files '*.h' '*.cc')
clang-format --dry-run --Werror "${sources[@]}"

step "build (warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "tests (every label)"
ctest --test-dir build -j "$jobs" --output-on-failure --timeout 900

step "clang-tidy"
git ls-files 'core/*.cc' 'platform/*.cc' 'server/*.cc' 'client/*.cc' |
  xargs -P "$jobs" -n 4 clang-tidy -p build --quiet >build/clang-tidy.log 2>&1 ||
  { grep -v -E '^[0-9]+ warnings? generated|^Suppressed' build/clang-tidy.log
    echo "test.sh: error: clang-tidy found problems (above)"; exit 1; }

step "unit tests under ASan+UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFLEETCAST_SANITIZE=ON -DFLEETCAST_BENCH=OFF \
  -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build-asan -j "$jobs" --target fleetcast_core_tests fleetcast_server_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j "$jobs" -L unit --output-on-failure

step "unit and loopback deployment tests under TSan"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEETCAST_TSAN=ON \
  -DFLEETCAST_BENCH=OFF -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build-tsan -j "$jobs" --target fleetcast_core_tests fleetcast_server_tests \
  fleetcast_deploy_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build-tsan -j "$jobs" -L 'unit|loopback' --output-on-failure --timeout 900 ||
  { echo "test.sh: error: tests failed under ThreadSanitizer (output above)"; exit 1; }

step "fuzz the image-format parser for ${fuzz_seconds}s"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFLEETCAST_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$jobs"
corpus=build-fuzz/corpus
rm -rf "$corpus" && mkdir -p "$corpus"
# Seeds: real images packed by the real server, so the fuzzer starts deep.
head -c 200704 /dev/zero >"$corpus/zero.raw"
seq 1 40000 >"$corpus/text.raw" && truncate -s 196608 "$corpus/text.raw"
cat "$corpus/text.raw" "$corpus/zero.raw" >"$corpus/mixed.raw"
truncate -s 393216 "$corpus/mixed.raw"
for raw in "$corpus"/*.raw; do
  build/fleetcast-server pack "$raw" "${raw%.raw}.fcimg" --chunk-size 4K --label seed >/dev/null
  rm "$raw"
done
# And the committed ones (fuzz/make_corpus.cc): signed and hashed version-2
# images and manifests, and a version-1 header over version-2 flags.
cp fuzz/corpus/fuzz_image_format/* "$corpus"/
build-fuzz/fuzz_image_format -max_total_time="$fuzz_seconds" -max_len=65536 \
  -artifact_prefix=build-fuzz/ "$corpus" 2>build-fuzz/fuzz.log ||
  { tail -40 build-fuzz/fuzz.log; echo "test.sh: error: the fuzzer found a crash (build-fuzz/)"; exit 1; }
tail -1 build-fuzz/fuzz.log

step "fuzz the INF, nodes.toml and partition-table parsers for ${fuzz_seconds}s"
answers=build-fuzz/answers-corpus
rm -rf "$answers" && mkdir -p "$answers"
# Seeds: the test catalog's INFs, the documented nodes.toml, a real MBR and GPT.
for inf in tests/data/drivers/*/*.inf; do
  { printf '\x00'; cat "$inf"; } >"$answers/$(basename "$inf")"
done
{ printf '\x01'; cat docs/nodes.example.toml; } >"$answers/nodes.toml"
for label in dos gpt; do
  truncate -s 0 "$answers/$label.disk" && truncate -s 4M "$answers/$label.disk"
  printf 'label: %s\nstart=2048, size=1024\nstart=4096, size=100\n' "$label" |
    sfdisk --quiet --no-reread --no-tell-kernel "$answers/$label.disk"
  { printf '\x02'; head -c 40960 "$answers/$label.disk"; } >"$answers/$label.seed"
  rm "$answers/$label.disk"
done
build-fuzz/fuzz_answer_inputs -max_total_time="$fuzz_seconds" -max_len=65536 \
  -artifact_prefix=build-fuzz/ "$answers" 2>build-fuzz/fuzz-answers.log ||
  { tail -40 build-fuzz/fuzz-answers.log
    echo "test.sh: error: the fuzzer found a crash (build-fuzz/)"; exit 1; }
tail -1 build-fuzz/fuzz-answers.log

step "fuzz the datagram, control-message and announce decoders for ${short_fuzz_seconds}s each"
# The committed seeds must still be what the encoders write.
rm -rf build-fuzz/corpus-made && build-fuzz/fuzz_make_corpus build-fuzz/corpus-made
for seed in build-fuzz/corpus-made/*/*; do
  cmp -s "$seed" "fuzz/corpus/${seed#build-fuzz/corpus-made/}" ||
    { echo "test.sh: error: fuzz/corpus is stale; run build-fuzz/fuzz_make_corpus fuzz/corpus"
      exit 1; }
done
for target in fuzz_datagram fuzz_control_message fuzz_announce; do
  run_fuzzer "$target" "$short_fuzz_seconds"
done

step "all checks passed"
