#!/usr/bin/env bash
# Re-imaging benchmark (issue 10): N receivers on a namespace LAN
# (scripts/netns-lan.sh) whose disks already hold the realistic image except
# for a fraction SPOIL of its stored chunks (scattered; the same chunks on
# every disk, as after an image update, or with SPREAD=each different ones on
# each disk, so the server sends about N times as much), against, in the same run, a full deployment to empty disks and
# the time to read those disks once (every disk at once, `cat` to
# /dev/null). Disks are files on a tmpfs. Every receiver's disk is checked
# against the source by digest after every deployment; a wrong byte or a
# non-zero exit stops the benchmark with one line.
# Prints a markdown table and writes it into bench/RESULTS.md between
# <!-- reimage-bench-$spread:begin --> and <!-- reimage-bench-$spread:end -->.
# Usage: bench/reimage_bench.sh BUILD_DIR   (root; knobs, defaults shown:
#   N=8 SPOIL=0.02 SPREAD=same RUNS=3 RATE=1gbit BENCH_PREFIX=fcreimg)
set -euo pipefail
usage() { echo "usage: bench/reimage_bench.sh BUILD_DIR   (root; see the header for the knobs)" >&2; exit 2; }
[[ $# -eq 1 && $1 != -* ]] || usage
cd "$(dirname "$0")/.."
build=$1
n=${N:-8} spoil=${SPOIL:-0.02} spread=${SPREAD:-same} runs=${RUNS:-3} rate=${RATE:-1gbit}
prefix=${BENCH_PREFIX:-fcreimg} srv=${BENCH_PREFIX:-fcreimg}-srv
work=out/bench rx=out/bench/reimage-rx logs=out/bench/reimage-logs results=bench/RESULTS.md
limit=300 # seconds: bound on every process of a run
bench=reimage_bench
source bench/lib.sh

need_root
need_fleetcast "$build"
need_runs "$runs"
[[ $n =~ ^[1-9][0-9]?$ ]] || die "N=$n; use a receiver count"
[[ $spread =~ ^(same|each)$ ]] || die "SPREAD=$spread; use same or each"
digest_cmd=sha256sum
if command -v xxh128sum >/dev/null; then digest_cmd=xxh128sum; fi

mkdir -p "$work" "$rx" "$logs"
bench/make-images.sh "$work" "$build"
image=$work/realistic.raw fcimg=$work/realistic.fcimg
raw_bytes=$(stat -c %s "$image")
want=$($digest_cmd <"$image" | cut -d' ' -f1)
cat "$fcimg" >/dev/null # page cache: the server reads from memory

lan_cleanup_on_exit
mount_rx "$(((n + 1) * raw_bytes / 1048576 + 64))" fcreimg-rx
RATE=$rate scripts/netns-lan.sh up "$n" "$prefix"

# deploy LABEL: one deployment to the N disks in $rx, as they are; prints
# "wall datagrams reused written" (reused/written summed over the nodes).
# As in a lab, the receivers are up first, waiting for the server's
# announce; the wall time runs from the server's start to the last
# receiver's exit (starting 9 processes through `ip netns exec` is not
# part of it).
deploy() {
  local label=$1 i t0 t1 spid pids=()
  for ((i = 1; i <= n; i++)); do
    ip netns exec "$prefix-rcv$i" timeout "$limit" "$build/fleetcast-client" receive \
      --server auto --interface fcnet0 --target "$rx/rcv$i.raw" --node-id "rcv$i" \
      >"$logs/$label-rcv$i.log" 2>&1 &
    pids+=($!)
  done
  for ((i = 1; i <= n; i++)); do
    wait_for_line "$logs/$label-rcv$i.log" "listening for announces" ||
      die "$label: receiver $i is not listening for announces (log $logs/$label-rcv$i.log)"
  done
  t0=$(now)
  ip netns exec "$srv" timeout "$limit" "$build/fleetcast-server" serve "$fcimg" \
    --interface fcnet0 --min-clients "$n" --rate "${rate%bit}" --port 7010 \
    >"$logs/$label-srv.out" 2>"$logs/$label-srv.log" &
  spid=$!
  wait_receivers "$label" "$logs/$label-rcv" "${pids[@]}"
  t1=$(now)
  wait_ok "$spid" "$label: server" "$logs/$label-srv.log"
  for ((i = 1; i <= n; i++)); do
    [[ $($digest_cmd <"$rx/rcv$i.raw" | cut -d' ' -f1) == "$want" ]] ||
      die "$label: receiver $i: its disk differs from the source ($digest_cmd)"
  done
  local sent reused written
  sent=$(grep -oE "sent [0-9]+ datagrams" "$logs/$label-srv.log" | grep -oE "[0-9]+")
  reused=$(grep -oE "reused [0-9]+" "$logs/$label-srv.out" | awk '{s += $2} END {print s + 0}')
  written=$(grep -oE "written [0-9]+" "$logs/$label-srv.out" | awk '{s += $2} END {print s + 0}')
  echo "$(fmt 3 "$(calc "$t1 - $t0")") $sent $reused $written"
}

# Makes every disk the image but for SPOIL of its non-zero chunks (one byte
# in every 4 KiB flipped), chosen at random with seed run*100 (+i with
# SPREAD=each).
prepare() {
  local run=$1 i seed
  for ((i = 1; i <= n; i++)); do
    cp "$image" "$rx/rcv$i.raw"
    seed=$((run * 100))
    if [[ $spread == each ]]; then seed=$((seed + i)); fi
    python3 - "$rx/rcv$i.raw" "$spoil" "$seed" <<'PY'
import random, sys
path, fraction, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
chunk = 1 << 20
with open(path, "r+b") as f:
    data = f.read()
    full = [c for c in range(len(data) // chunk) if any(data[c * chunk:(c + 1) * chunk])]
    for c in random.Random(seed).sample(full, max(1, round(len(full) * fraction))):
        for off in range(c * chunk, (c + 1) * chunk, 4096):
            f.seek(off)
            f.write(bytes([data[off] ^ 0x5A]))
PY
  done
}

# Reads every disk once, all at once; prints the seconds.
read_once() {
  local t0 t1 i pids=()
  t0=$(now)
  for ((i = 1; i <= n; i++)); do
    cat "$rx/rcv$i.raw" >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  fmt 3 "$(calc "$t1 - $t0")"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
full_lines="" re_lines="" read_lines=""
for ((r = 1; r <= runs; r++)); do
  rm -f "$rx"/rcv*.raw
  line=$(deploy "full$r") || exit 1
  echo "  run $r full deployment: $line" >&2
  full_lines+="$line"$'\n'
  prepare "$r"
  t=$(read_once)
  echo "  run $r read the disks once: $t s" >&2
  read_lines+="$t"$'\n'
  prepare "$r"
  line=$(deploy "reimage$r") || exit 1
  echo "  run $r re-image: $line" >&2
  re_lines+="$line"$'\n'
done
full=$(printf '%s' "$full_lines" | median_line)
re=$(printf '%s' "$re_lines" | median_line)
rd=$(printf '%s' "$read_lines" | median_line)
read -r fw fd _ fwr <<<"$full"
read -r rw rd_sent rr rwr <<<"$re"
ratio_full=$(calc "$rw / $fw")
ratio_read=$(calc "$rw / $rd")
verdict() { if (($(calc "$1"))); then echo PASS; else echo MISS; fi; }

section="## Re-imaging: incremental deployment (\`bench/reimage_bench.sh\`, SPREAD=$spread)

$(run_facts "$started" "$load_before")
- run as: \`N=$n SPOIL=$spoil SPREAD=$spread RUNS=$runs RATE=$rate bench/reimage_bench.sh $build\`
- image: realistic ($raw_bytes bytes raw, \`bench/make-images.sh\`); $n receivers on a namespace
  LAN at $rate, disks are files on a tmpfs; median of $runs runs each, in the same run
- full deployment: empty disks. Re-image: each disk the image but for $(fmt 0 "$(calc "$spoil * 100")")% of its
  non-zero chunks (random per run; $(if [[ $spread == same ]]; then echo "the same chunks on every disk"; else echo "different on each disk"; fi)). Read once: \`cat\` of all $n disks at once
- wall: from serve's start, the receivers already up and waiting for its announce (as booted
  nodes are), to the last receiver's exit
- every disk checked with $digest_cmd after every deployment

| what | wall s | datagrams | chunks reused (all nodes) | chunks written (all nodes) |
|---|---:|---:|---:|---:|
| full deployment | $fw | $fd | 0 | $fwr |
| re-image | $rw | $rd_sent | $rr | $rwr |
| read the $n disks once | $rd | - | - | - |

| target | measured | target | result |
|---|---:|---:|---|
| re-image wall / full deployment wall | $(fmt 3 "$ratio_full") | <= 0.10 | $(verdict "$ratio_full <= 0.1") |
| re-image wall / read the disks once | $(fmt 2 "$ratio_read") | <= 1.5 | $(verdict "$ratio_read <= 1.5") |"

printf '\n%s\n' "$section"
write_section "$results" "reimage-bench-$spread" "$section"
echo "reimage_bench: wrote $results" >&2
