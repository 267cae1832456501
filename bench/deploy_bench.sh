#!/usr/bin/env bash
# End-to-end deployment benchmark: fleetcast against udpcast on the same
# namespace LAN in the same run. N receivers, the server's link shaped to
# RATE, random loss per receiver. Every receiver's output is compared with
# the source; a run with a wrong byte fails the benchmark.
# Usage: bench/deploy_bench.sh [BUILD_DIR]   (root; RUNS=3 N=4 RATE=1gbit LOSSES="0 0.01")
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${RUNS:-3} n=${N:-4} rate=${RATE:-1gbit} losses=${LOSSES:-"0 0.01"}
work=out/bench
mkdir -p "$work"
command -v udp-sender >/dev/null || apt-get install -y -qq udpcast >/dev/null
[[ -x $build/fleetcast-server ]] || { echo "deploy_bench: error: build $build first" >&2; exit 1; }
image=$work/realistic.raw
[[ -f $image ]] || scripts/make-disk-image.sh "$image" 512 --seed 1 >/dev/null
"$build/fleetcast-server" pack "$image" "$work/realistic.fcimg" >/dev/null
want=$(sha256sum <"$image" | cut -d' ' -f1)
trap 'scripts/netns-lan.sh down fcbench' EXIT

now() { date +%s.%N; }
check_outputs() { # tool loss run
  local i
  for ((i = 1; i <= n; i++)); do
    got=$(sha256sum <"$work/rcv$i.raw" | cut -d' ' -f1)
    [[ $got == "$want" ]] || { echo "deploy_bench: error: $1 loss=$2 run $3: receiver $i has a wrong byte" >&2; exit 1; }
  done
}

run_fleetcast() { # prints seconds
  local t0 pids=() i
  rm -f "$work"/rcv*.raw
  t0=$(now)
  ip netns exec fcbench-srv "$build/fleetcast-server" serve "$work/realistic.fcimg" \
    --interface fcnet0 --min-clients "$n" --rate "$fc_rate" --port 7010 >/dev/null 2>"$work/fc-serve.log" &
  local spid=$!
  for ((i = 1; i <= n; i++)); do
    ip netns exec "fcbench-rcv$i" "$build/fleetcast-client" receive --server 10.79.0.1:7010 \
      --target "$work/rcv$i.raw" --node-id "rcv$i" 2>"$work/fc-rcv$i.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  wait "$spid"
  echo "$(now) - $t0" | bc
}

run_udpcast() {
  local t0 pids=() i
  rm -f "$work"/rcv*.raw
  for ((i = 1; i <= n; i++)); do
    # Bounded: under loss a receiver's rendezvous can be lost and it never joins.
    ip netns exec "fcbench-rcv$i" timeout 300 udp-receiver --file "$work/rcv$i.raw" --interface fcnet0 \
      --nokbd --rcvbuf 4194304 --mcast-rdv-address 239.79.0.9 >"$work/udp-rcv$i.log" 2>&1 &
    pids+=($!)
  done
  t0=$(now)
  ip netns exec fcbench-srv timeout 300 udp-sender --file "$image" --interface fcnet0 --min-receivers "$n" \
    --mcast-rdv-address 239.79.0.9 --mcast-data-address 239.79.0.10 --rexmit-hello-interval 100 --nokbd ${udp_rate:+--max-bitrate "$udp_rate"} >/dev/null 2>"$work/udp-sender.log"
  for p in "${pids[@]}"; do wait "$p"; done
  echo "$(now) - $t0" | bc
}

# udp-sender takes megabits ("1000m"); fleetcast takes "1g" or "1000m".
case $rate in
  unlimited) udp_rate="" fc_rate=unlimited ;;
  *gbit) udp_rate="$((${rate%gbit} * 1000))m" fc_rate="${rate%bit}" ;;
  *mbit) udp_rate="${rate%bit}" fc_rate="${rate%bit}" ;;
  *) echo "deploy_bench: error: RATE=$rate; use e.g. 1gbit, 500mbit or unlimited" >&2; exit 2 ;;
esac

# udpcast's rendezvous on 224.0.0.1 does not cross the snooping bridge, and its
# default data group is outside 239/8: both are set explicitly.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

mb=$(stat -c %s "$image")
echo "| loss | fleetcast s (median of $runs) | fleetcast MB/s | udpcast s | udpcast MB/s | udpcast / fleetcast |"
echo "|---:|---:|---:|---:|---:|---:|"
for loss in $losses; do
  RATE=$rate LOSS=$loss scripts/netns-lan.sh up "$n" fcbench
  fc=() uc=()
  for ((r = 1; r <= runs; r++)); do
    fc+=("$(run_fleetcast)"); check_outputs fleetcast "$loss" "$r"
    uc+=("$(run_udpcast)"); check_outputs udpcast "$loss" "$r"
  done
  f=$(printf '%s\n' "${fc[@]}" | median)
  u=$(printf '%s\n' "${uc[@]}" | median)
  printf '| %s%% | %.2f | %.0f | %.2f | %.0f | %.2f |\n' "$(echo "$loss * 100" | bc)" "$f" \
    "$(echo "$mb / $f / 1000000" | bc -l)" "$u" "$(echo "$mb / $u / 1000000" | bc -l)" \
    "$(echo "$u / $f" | bc -l)"
done
