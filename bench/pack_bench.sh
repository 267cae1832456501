#!/usr/bin/env bash
# End-to-end benchmark: fleetcast-server pack / verify / unpack against the
# zstd CLI on the same two 512 MiB disk images (a realistic MBR+ext4 disk and
# incompressible random bytes). Each number is the median wall time of 3 runs.
# Also checks that pack is deterministic (default threads vs --threads 1) and
# that unpack restores the source byte for byte, then runs the micro
# benchmarks, prints the tables and rewrites bench/RESULTS.md (a section
# starting "## Analysis" there is kept across runs).
# Usage: bench/pack_bench.sh [BUILD_DIR]   (default build-bench; work files in
#        $BENCH_WORK, default out/bench, about 3 GiB; BENCH_SIZE_MIB and
#        BENCH_RUNS shrink a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
work=${BENCH_WORK:-out/bench}
size_mib=${BENCH_SIZE_MIB:-512} runs=${BENCH_RUNS:-3}
results=bench/RESULTS.md

step() { printf '\n== %s\n' "$*" >&2; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)  # other work on the machine skews sub-second timings
step "build (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLEETCAST_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target fleetcast-server fleetcast_micro_bench >/dev/null
server=$build/fleetcast-server
mkdir -p "$work"

step "images (${size_mib} MiB each)"
scripts/make-disk-image.sh "$work/realistic.raw" "$size_mib" --seed 1 >&2
# AES-CTR keystream with a fixed key: fast, incompressible and repeatable.
head -c "${size_mib}M" /dev/zero |
  openssl enc -aes-256-ctr -nosalt -K "$(printf '%064x' 1)" -iv "$(printf '%032x' 0)" \
    >"$work/random.raw"

# measure CMD...: "real user sys" seconds of one run. The command's output is
# thrown away (pack's progress line only shows on a terminal anyway).
measure() {
  local TIMEFORMAT='%R %U %S' t
  t=$({ time "$@" >/dev/null 2>"$work/last.err"; } 2>&1) ||
    { echo "failed: $*" >&2; cat "$work/last.err" >&2; return 1; }
  echo "$t"
}

# The timed commands, one function each; they read $src, $fc, $zst, $out
# and $fc_out of the image at hand. output_of names the file a job writes,
# deleted (untimed) before each run.
fc_pack() { "$server" pack "$src" "$fc" --level 3; }
fc_verify() { "$server" verify "$fc"; }
fc_unpack() { "$server" unpack "$fc" "$fc_out"; }
z_pack() { zstd -T0 -3 -q -f -o "$zst" "$src"; }
z_pack_sync() { z_pack && sync "$zst"; }
z_dec() { zstd -d -q -f -o "$out" "$zst"; }
z_dec_sync() { z_dec && sync "$out"; }
z_test() { zstd -t -q "$zst"; }
output_of() {
  case $1 in
    fc_pack) echo "$fc" ;; fc_unpack) echo "$fc_out" ;; z_pack*) echo "$zst" ;; z_dec*) echo "$out" ;;
  esac
}

# bench JOB...: $runs rounds of all the jobs in turn, interleaved so that
# any background load hits fleetcast and zstd alike; sets med[JOB] to
# "real user sys" of the job's median run by wall time.
declare -A med
bench() {
  local -A all=()
  local i job target
  for ((i = 0; i < runs; i++)); do
    for job; do
      target=$(output_of "$job")
      if [[ -n $target ]]; then rm -f "$target"; fi
      all[$job]+="$(measure "$job")"$'\n'
    done
  done
  for job; do med[$job]=$(printf '%s' "${all[$job]}" | sort -n | sed -n "$(((runs + 1) / 2))p"); done
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
cpu() { awk -v u="$1" -v s="$2" 'BEGIN {printf "%.2f + %.2f", u, s}'; }

table="| image | step | fleetcast s | fleetcast MB/s | fleetcast cpu user + sys s | zstd command | zstd s | zstd MB/s | zstd cpu user + sys s | fleetcast / zstd |
|---|---|---:|---:|---:|---|---:|---:|---:|---:|"
sizes="| image | raw | .fcimg | ratio | zero chunks | .zst (zstd -3) | ratio |
|---|---:|---:|---:|---:|---:|---:|"
checks=""
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$json"; }

# row IMAGE STEP "FC_REAL FC_USER FC_SYS" ZSTD_CMD "Z_REAL Z_USER Z_SYS" RAW_BYTES
row() {
  local fr fu fs zr zu zs
  read -r fr fu fs <<<"$3"
  read -r zr zu zs <<<"$5"
  table+=$'\n'"| $1 | $2 | $fr | $(mbps "$6" "$fr") | $(cpu "$fu" "$fs") | \`$4\` | $zr |"
  table+=" $(mbps "$6" "$zr") | $(cpu "$zu" "$zs") | $(ratio "$zr" "$fr") |"
}

for name in realistic random; do
  src=$work/$name.raw fc=$work/$name.fcimg zst=$work/$name.zst
  out=$work/$name.zst.out.raw fc_out=$work/$name.fcimg.out.raw
  raw=$(stat -c %s "$src")
  step "$name: warm the page cache (dropping it needs privileges we do not assume)"
  cat "$src" >/dev/null

  step "$name: pack vs zstd -T0 -3"
  bench fc_pack z_pack z_pack_sync
  row "$name" pack "${med[fc_pack]}" "zstd -T0 -3" "${med[z_pack]}" "$raw"
  row "$name" pack "${med[fc_pack]}" "zstd -T0 -3 && sync" "${med[z_pack_sync]}" "$raw"

  step "$name: verify vs zstd -d (to a file) and zstd -t"
  cat "$fc" "$zst" >/dev/null
  bench fc_verify z_dec z_test
  row "$name" verify "${med[fc_verify]}" "zstd -d -f" "${med[z_dec]}" "$raw"
  row "$name" verify "${med[fc_verify]}" "zstd -t" "${med[z_test]}" "$raw"

  step "$name: unpack vs zstd -d (to a file)"
  bench fc_unpack z_dec z_dec_sync
  row "$name" unpack "${med[fc_unpack]}" "zstd -d -f" "${med[z_dec]}" "$raw"
  row "$name" unpack "${med[fc_unpack]}" "zstd -d -f && sync" "${med[z_dec_sync]}" "$raw"

  step "$name: checks"
  cmp "$src" "$fc_out"
  checks+="- $name: unpack output is byte-identical to the source (cmp)"$'\n'
  rm -f "$fc.t1"
  "$server" pack "$src" "$fc.t1" --level 3 --threads 1 >/dev/null 2>&1
  cmp "$fc" "$fc.t1"
  checks+="- $name: pack is deterministic: default threads and --threads 1 give identical files (cmp)"$'\n'
  rm -f "$fc.t1" "$out" "$fc_out"

  json=$("$server" info "$fc" --json)
  fsize=$(stat -c %s "$fc") zsize=$(stat -c %s "$zst")
  sizes+=$'\n'"| $name | $raw | $fsize | $(ratio "$raw" "$fsize") | $(field zero_chunks) of"
  sizes+=" $(field chunk_count) | $zsize | $(ratio "$raw" "$zsize") |"
done

step "micro benchmarks"
micro=$("$build/fleetcast_micro_bench" 2>&1)

machine="- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), nproc $(nproc)
- memory: $(free -g | awk '/^Mem:/ {print $2}') GiB; kernel: $(uname -sr)
- load average (1, 5, 15 min) before the run: $load_before
- zstd CLI: $(zstd --version | grep -o 'v[0-9.]*'); libzstd (fleetcast): $(pkg-config --modversion libzstd)
- compiler: $(c++ --version | head -1); fleetcast build: CMAKE_BUILD_TYPE=Release
- date: $(date -u +%Y-%m-%dT%H:%MZ); git: $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"

analysis=""
[[ -f $results ]] && analysis=$(sed -n '/^## Analysis/,$p' "$results")

cat >"$results" <<EOF
# Benchmark results

Written by \`bench/pack_bench.sh\`; rerun it to refresh (the Analysis section
at the end is kept). What each number means: [README.md](README.md).

## Machine

$machine

## Commands

Images (${size_mib} MiB each):

\`\`\`sh
scripts/make-disk-image.sh $work/realistic.raw $size_mib --seed 1
head -c ${size_mib}M /dev/zero | openssl enc -aes-256-ctr -nosalt -K $(printf '%064x' 1) -iv $(printf '%032x' 0) > $work/random.raw
\`\`\`

Each timed command, run $runs times after \`cat IMAGE.raw > /dev/null\` warmed
the page cache (the cache cannot be dropped without privileges, so all runs
read from memory), fleetcast and zstd runs interleaved, median wall time
reported; outputs are deleted (untimed) before each run; MB/s is raw image bytes (10^6) per
second for every step:

\`\`\`sh
$server pack IMAGE.raw IMAGE.fcimg --level 3
zstd -T0 -3 -q -f -o IMAGE.zst IMAGE.raw
zstd -T0 -3 -q -f -o IMAGE.zst IMAGE.raw && sync IMAGE.zst
$server verify IMAGE.fcimg
zstd -d -q -f -o IMAGE.zst.out.raw IMAGE.zst
zstd -t -q IMAGE.zst
$server unpack IMAGE.fcimg IMAGE.fcimg.out.raw
zstd -d -q -f -o IMAGE.zst.out.raw IMAGE.zst && sync IMAGE.zst.out.raw
\`\`\`

Note: pack and unpack fsync their output before renaming it into place;
zstd does not, so the "&& sync" rows (coreutils \`sync FILE\` = fsync) are
the like-for-like comparison. "fleetcast / zstd" is zstd's time over
fleetcast's time (above 1: fleetcast is faster).

## End to end (median of $runs)

$table

Sizes (bytes):

$sizes

Checks:

$checks
## Micro benchmarks (\`$build/fleetcast_micro_bench\`)

\`\`\`
$micro
\`\`\`
EOF
if [[ -n $analysis ]]; then printf '\n%s\n' "$analysis" >>"$results"; fi

printf '\n%s\n\n%s\n\n%s\n' "$table" "$sizes" "$checks"
echo "wrote $results" >&2
