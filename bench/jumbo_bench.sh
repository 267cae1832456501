#!/usr/bin/env bash
# Jumbo-frame benchmark (issue 11): fleetcast deployments at MTU 1500 and at
# MTU 9000 on the same namespace LAN (scripts/netns-lan.sh with MTU= on every
# link, bridge included), at a shaped rate and unshaped, runs of the two MTUs
# interleaved. serve runs with --mtu equal to the LAN's; its log must name
# that datagram size. Every receiver's disk is checked against the source by
# digest after every run; a wrong byte, a non-zero exit or a timeout stops
# the benchmark with one line.
# Prints a markdown table and writes it into bench/RESULTS.md between
# <!-- jumbo-bench:begin --> and <!-- jumbo-bench:end -->.
# Usage: bench/jumbo_bench.sh BUILD_DIR   (root; knobs, defaults shown:
#   IMAGES="random realistic" RATES="1gbit unlimited" MTUS="1500 9000" N=4
#   RUNS=3 BENCH_PREFIX=fcjbench)
set -euo pipefail
usage() { echo "usage: bench/jumbo_bench.sh BUILD_DIR   (root; see the header for the knobs)" >&2; exit 2; }
[[ $# -eq 1 && $1 != -* ]] || usage
cd "$(dirname "$0")/.."
build=$1
images=${IMAGES:-random realistic} rates=${RATES:-1gbit unlimited} mtus=${MTUS:-1500 9000}
n=${N:-4} runs=${RUNS:-3}
prefix=${BENCH_PREFIX:-fcjbench} srv=${BENCH_PREFIX:-fcjbench}-srv
work=out/bench rx=out/bench/jumbo-rx logs=out/bench/jumbo-logs results=bench/RESULTS.md
limit=300 # seconds: bound on every process of a run
bench=jumbo_bench
source bench/lib.sh

need_root
need_fleetcast "$build"
need_runs "$runs"
[[ $n =~ ^[1-9][0-9]?$ ]] || die "N=$n; use a receiver count"
for m in $images; do [[ $m =~ ^(realistic|random)$ ]] || die "IMAGES: unknown image $m"; done
for mtu in $mtus; do [[ $mtu =~ ^[0-9]+$ ]] && ((mtu >= 576 && mtu <= 9216)) || die "MTUS: $mtu; use 576..9216"; done
for rate in $rates; do [[ $rate =~ ^([0-9]+[mg]bit|unlimited)$ ]] || die "RATES: $rate; use e.g. 1gbit or unlimited"; done
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
[[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null
digest_cmd=sha256sum
if command -v xxh128sum >/dev/null; then digest_cmd=xxh128sum; fi

mkdir -p "$work" "$rx" "$logs"
bench/make-images.sh "$work" "$build"
lan_cleanup_on_exit
mount_rx "$(((n + 1) * 600))" fcjbench-rx

image_facts $images

counters() { # tx_bytes tx_packets of the server's veth
  ip -n "$srv" -s -j link show fcnet0 |
    python3 -c 'import json, sys; s = json.load(sys.stdin)[0]["stats64"]["tx"]; print(s["bytes"], s["packets"])'
}

# One deployment of $image at $mtu and $rate on the LAN that is up; prints
# "wall tx_bytes tx_packets server_cpu receivers_cpu".
run_one() {
  local i c0 c1 rcpu=0 got
  rm -rf "${rx:?}"/* "${logs:?}"/*
  c0=$(counters)
  fc_run "MTU $mtu $image $rate run $r" "$build" "$work/$image.fcimg" "$fc_rate" --mtu "$mtu"
  c1=$(counters)
  grep -q "datagrams authenticated ($mtu bytes)" "$logs/srv.log" ||
    die "MTU $mtu $image $rate run $r: serve did not say it sends $mtu-byte datagrams (log $logs/srv.log)"
  for ((i = 1; i <= n; i++)); do
    got=$($digest_cmd <"$rx/rcv$i.raw" | cut -d' ' -f1)
    [[ $got == "${want[$image]}" ]] ||
      die "MTU $mtu $image $rate run $r: receiver $i: its disk differs from the source ($digest_cmd)"
    rcpu=$(calc "$rcpu + $(cpu_of "$logs/rcv$i.time")")
  done
  local tb0 tp0 tb1 tp1
  read -r tb0 tp0 <<<"$c0"
  read -r tb1 tp1 <<<"$c1"
  echo "$(fmt 3 "$(calc "$t1 - $t0")") $((tb1 - tb0)) $((tp1 - tp0)) $(cpu_of "$logs/srv.time") $(fmt 2 "$rcpu")"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
declare -A res # res[image rate mtu] = the median run's line
cells=()
for image in $images; do
  for rate in $rates; do
    fc_rate=${rate%bit}
    declare -A all=()
    for ((r = 1; r <= runs; r++)); do
      for mtu in $mtus; do
        # A fresh LAN per run: each MTU on every link, the same shaping.
        MTU=$mtu RATE=$rate scripts/netns-lan.sh up "$n" "$prefix"
        line=$(run_one)
        echo "jumbo_bench: $image $rate MTU $mtu run $r: $line" >&2
        all[$mtu]+="$line"$'\n'
        scripts/netns-lan.sh down "$prefix"
      done
    done
    for mtu in $mtus; do
      res["$image $rate $mtu"]=$(printf '%s' "${all[$mtu]}" | median_line)
      cells+=("$image $rate $mtu")
    done
    unset all
  done
done

field() { awk -v k="$2" '{ print $k }' <<<"${res[$1]}"; } # cell index(1 wall 2 txb 3 txp 4 scpu 5 rcpu)
table="| image | rate | MTU | wall s | MB/s (raw) | MB/s (stored) | vs MTU 1500 | frames sent | bytes/frame | wire bytes / stored | server CPU s | receiver CPU s/GB |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for cell in "${cells[@]}"; do
  read -r im rt mtu <<<"$cell"
  w=$(field "$cell" 1) tb=$(field "$cell" 2) tp=$(field "$cell" 3)
  base="$im $rt 1500" vs="-"
  if [[ -n ${res[$base]:-} && $mtu != 1500 ]]; then vs="$(fmt 2 "$(calc "$(field "$base" 1) / $w")")x"; fi
  table+=$'\n'"| $im | $rt | $mtu | $w | $(fmt 1 "$(calc "${raw[$im]} / 1000000 / $w")") |"
  table+=" $(fmt 1 "$(calc "${stored[$im]} / 1000000 / $w")") | $vs | $tp | $(fmt 0 "$(calc "$tb / $tp")") |"
  table+=" $(fmt 3 "$(calc "$tb / ${stored[$im]}")") | $(field "$cell" 4) |"
  table+=" $(fmt 2 "$(calc "$(field "$cell" 5) / $n / (${raw[$im]} / 1000000000)")") |"
done

img_line=""
for m in $images; do img_line+=" $m ${raw[$m]} bytes raw, ${stored[$m]} stored;"; done
section="## Jumbo frames: MTU 1500 vs 9000 (\`bench/jumbo_bench.sh\`, issue 11)

$(run_facts "$started" "$load_before")
- fleetcast $("$build/fleetcast-server" --version) ($build)
- run as: \`IMAGES=\"$images\" RATES=\"$rates\" MTUS=\"$mtus\" N=$n RUNS=$runs bench/jumbo_bench.sh $build\`
- a namespace LAN made afresh for every run with \`MTU=M RATE=R scripts/netns-lan.sh up $n $prefix\`
  (every veth end and the bridge at MTU M; R shapes the server's egress with tc tbf, as a NIC
  of that speed); the two MTUs' runs interleaved; the median of $runs runs by wall time
- per run: \`fleetcast-server serve IMG.fcimg --interface fcnet0 --min-clients $n --rate 1g|unlimited --port 7010 --mtu M\`
  and $n \`fleetcast-client receive --server 10.79.0.1:7010 --target $rx/rcvI.raw\` (a tmpfs); wall
  time from serve's start to the last receiver's exit; every disk checked with $digest_cmd
- images (\`bench/make-images.sh\`):$img_line
- frames sent and their bytes: the server veth's tx counters (IP packets + 14-byte Ethernet header)

$table"

printf '\n%s\n' "$section"
write_section "$results" jumbo-bench "$section"
echo "jumbo_bench: wrote $results" >&2
