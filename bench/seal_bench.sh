#!/usr/bin/env bash
# What sealing the multicast datagrams costs end to end (core/datagram_seal.h):
# one image deployed to N receivers on the namespace LAN of
# scripts/netns-lan.sh, the same link for every run, runs of three variants
# interleaved within each rate:
#   plain          PLAIN_BUILD's binaries: datagram version 1, no tag (the
#                  commit before sealing; build it from that commit)
#   authenticated  BUILD_DIR's binaries: every datagram carries a tag
#   encrypted      BUILD_DIR's binaries, serve --encrypt
# Every receiver's output is checked against the source by digest after each
# run; a failure stops the benchmark with one line. Measured as
# bench/deploy_bench.sh does: wall time from serve's start to the last
# receiver's exit, CPU (user + sys) of the server and of each receiver by
# /usr/bin/time. Prints a markdown table of the median run per variant.
# Usage: bench/seal_bench.sh BUILD_DIR PLAIN_BUILD   (root; knobs, defaults shown:
#   IMAGE=random (bench/make-images.sh: random or realistic) N=2
#   RATES="unlimited 1gbit" RUNS=3 BENCH_SIZE_MIB=512)
set -euo pipefail
usage() { echo "usage: bench/seal_bench.sh BUILD_DIR PLAIN_BUILD   (root; see the header)" >&2; exit 2; }
[[ $# -eq 2 && $1 != -* ]] || usage
cd "$(dirname "$0")/.."
build=$1 plain=$2
image=${IMAGE:-random} n=${N:-2} rates=${RATES:-unlimited 1gbit} runs=${RUNS:-3}
work=out/bench rx=out/bench/seal-rx logs=out/bench/seal-logs prefix=fcseal
limit=300 # seconds: bound on every process of a run
bench=seal_bench
source bench/lib.sh

need_root
need_fleetcast "$build" "$plain"
[[ $image =~ ^(realistic|random)$ ]] || die "IMAGE=$image; use random or realistic"
[[ $n =~ ^[1-9][0-9]?$ ]] || die "N=$n is not a receiver count"
need_runs "$runs"
[[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null

mkdir -p "$work" "$rx" "$logs"
bench/make-images.sh "$work" "$build"
lan_cleanup_on_exit
raw_bytes=$(stat -c %s "$work/$image.raw")
mount_rx "$(((raw_bytes >> 20) * n + 64))" fcseal-rx
want=$(sha256sum <"$work/$image.raw" | cut -d' ' -f1)
cat "$work/$image.fcimg" >/dev/null # page cache: the server reads from memory

# One run of VARIANT at fleetcast rate FC_RATE; prints "wall server_cpu receivers_cpu".
run_variant() {
  local variant=$1 bin=$build extra=() i t0 t1 rcpu=0
  [[ $variant == plain ]] && bin=$plain
  [[ $variant == encrypted ]] && extra=(--encrypt)
  rm -rf "${rx:?}"/* "${logs:?}"/*
  fc_run "$variant $rate run $r" "$bin" "$work/$image.fcimg" "$fc_rate" "${extra[@]}"
  for ((i = 1; i <= n; i++)); do
    [[ $(sha256sum <"$rx/rcv$i.raw" | cut -d' ' -f1) == "$want" ]] ||
      die "$variant $rate run $r: receiver $i: output differs from the source"
    rcpu=$(calc "$rcpu + $(cpu_of "$logs/rcv$i.time")")
  done
  echo "$(fmt 3 "$(calc "$t1 - $t0")") $(cpu_of "$logs/srv.time") $(fmt 2 "$rcpu")"
}

variants="plain authenticated encrypted"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A res
for rate in $rates; do
  fc_rate=${rate%bit}
  echo "seal_bench: $image, N=$n, $rate" >&2
  RATE=$rate scripts/netns-lan.sh up "$n" "$prefix"
  declare -A all=()
  for ((r = 1; r <= runs; r++)); do
    for v in $variants; do
      line=$(run_variant "$v")
      echo "  run $r $v: $line" >&2
      all[$v]+="$line"$'\n'
    done
  done
  for v in $variants; do res["$rate|$v"]=$(printf '%s' "${all[$v]}" | median_line); done
  unset all
  scripts/netns-lan.sh down "$prefix"
done

echo "Image $image ($((raw_bytes >> 20)) MiB raw), N=$n receivers, median of $runs runs;"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| rate | variant | wall s | MB/s raw per receiver | server CPU s | CPU s per receiver |"
echo "|---|---|---:|---:|---:|---:|"
for rate in $rates; do
  for v in $variants; do
    read -r wall scpu rcpu <<<"${res["$rate|$v"]}"
    echo "| $rate | $v | $wall | $(fmt 1 "$(calc "$raw_bytes / 1000000 / $wall")") | $scpu |" \
      "$(fmt 2 "$(calc "$rcpu / $n")") |"
  done
done
