#!/usr/bin/env bash
# Netcheck benchmark (issue 11): `fleetcast-server netcheck` with N receivers
# on the namespace LAN (scripts/netns-lan.sh: RATE shapes the server's link
# with tc tbf, LOSS drops that fraction of UDP datagrams at random on each
# receiver's input), at each loss level in turn, beside iperf3's UDP figure
# for the same link: iperf3 -u -b RATE from the server host to receiver 1,
# datagrams of the size netcheck sends. A failing program, a receiver missing
# from the check or an iperf3 without a result stops the benchmark with one
# line.
# Prints a markdown section and writes it into bench/RESULTS.md between
# <!-- netcheck-bench:begin --> and <!-- netcheck-bench:end -->; the plot of
# the last loss level goes to out/bench/netcheck-LOSS.svg.
# Usage: bench/netcheck_bench.sh BUILD_DIR   (root; knobs, defaults shown:
#   RATE=1gbit LOSSES="0 0.01" N=3 RATES=100m,250m,500m,750m,1g,1.5g
#   DURATION=2 IPERF_SECONDS=5 BENCH_PREFIX=fcsbench)
set -euo pipefail
usage() { echo "usage: bench/netcheck_bench.sh BUILD_DIR   (root; see the header for the knobs)" >&2; exit 2; }
[[ $# -eq 1 && $1 != -* ]] || usage
cd "$(dirname "$0")/.."
build=$1
rate=${RATE:-1gbit} losses=${LOSSES:-0 0.01} n=${N:-3}
rates=${RATES:-100m,250m,500m,750m,1g,1.5g} duration=${DURATION:-2}
iperf_seconds=${IPERF_SECONDS:-5}
prefix=${BENCH_PREFIX:-fcsbench} srv=${BENCH_PREFIX:-fcsbench}-srv
work=out/bench rx=out/bench/netcheck-rx logs=out/bench/netcheck-logs results=bench/RESULTS.md
limit=300 # seconds: bound on every process of a run
port=7676 # netcheck's control and data port; iperf3 uses port + 1
bench=netcheck_bench
source bench/lib.sh

need_root
need_fleetcast "$build"
[[ $n =~ ^[1-9][0-9]?$ ]] || die "N=$n; use a receiver count"
[[ $rate =~ ^[0-9]+[mg]bit$ ]] || die "RATE=$rate; use e.g. 1gbit (iperf3 needs a link rate)"
for loss in $losses; do [[ $loss =~ ^0(\.[0-9]+)?$ ]] || die "LOSSES: $loss; use fractions below 1"; done
command -v iperf3 >/dev/null || die "no iperf3; run scripts/deps.sh (as root)"
[[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null
mkdir -p "$work" "$rx" "$logs"
lan_cleanup_on_exit

# iperf3's -b: "1gbit" -> "1G".
iperf_rate=${rate%bit}
iperf_rate=${iperf_rate^^}

# One netcheck on the LAN that is up; its table on stdout, its JSON and
# plot in $logs/nc.json and $logs/nc.svg.
run_netcheck() {
  local i spid pids=()
  rm -f "$logs"/nc.*
  run_in "$srv" "$logs/srv.time" "$logs/srv.log" "$build/fleetcast-server" netcheck \
    --interface fcnet0 --min-clients "$n" --rates "$rates" --duration "$duration" \
    --port "$port" --no-announce --json "$logs/nc.json" --svg "$logs/nc.svg"
  spid=$!
  for ((i = 1; i <= n; i++)); do
    run_in "$prefix-rcv$i" "$logs/rcv$i.time" "$logs/rcv$i.log" "$build/fleetcast-client" \
      receive --server "10.79.0.1:$port" --target "$rx/unused$i.raw" --node-id "rcv$i"
    pids+=($!)
  done
  wait_receivers "loss $loss: netcheck" "$logs/rcv" "${pids[@]}"
  wait_ok "$spid" "loss $loss: netcheck server" "$logs/srv.log"
  local got
  got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["receivers"]))' "$logs/nc.json")
  [[ $got == "$n" ]] || die "loss $loss: $got of $n receivers in the netcheck (log $logs/srv.log)"
  # The table: the server's stdout from its first line, without log lines.
  sed -n '/^netcheck: [0-9]/,$p' "$logs/srv.log" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2} '
}

# iperf3 UDP at the link rate from the server host to receiver 1; prints
# "sent_mbit received_mbit lost_percent".
run_iperf() {
  local ipid
  run_in "$prefix-rcv1" "$logs/iperf-s.time" "$logs/iperf-s.log" iperf3 -s -1 --forceflush \
    -p "$((port + 1))"
  ipid=$!
  # The server listens once its "Server listening" line is out.
  wait_for_line "$logs/iperf-s.log" "Server listening" || die "loss $loss: iperf3 -s did not start"
  ip netns exec "$srv" timeout "$limit" iperf3 -c 10.79.0.11 -p "$((port + 1))" -u \
    -b "$iperf_rate" -l 1472 -t "$iperf_seconds" --json >"$logs/iperf.json" 2>"$logs/iperf.err" ||
    die "loss $loss: iperf3 -c failed (log $logs/iperf.err, $logs/iperf.json)"
  wait_ok "$ipid" "loss $loss: iperf3 -s" "$logs/iperf-s.log"
  python3 - "$logs/iperf.json" <<'PY'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
sent = end.get("sum_sent", end["sum"])
received = end.get("sum_received", end["sum"])
print(f'{sent["bits_per_second"] / 1e6:.0f} {received["bits_per_second"] / 1e6:.0f} '
      f'{received["lost_percent"]:.2f}')
PY
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
body=""
iperf_table="| loss set on each receiver | iperf3 sent Mbit/s | iperf3 received Mbit/s | iperf3 loss % |
|---:|---:|---:|---:|"
for loss in $losses; do
  LOSS=$loss RATE=$rate scripts/netns-lan.sh up "$n" "$prefix"
  table=$(run_netcheck)
  cp "$logs/nc.svg" "$work/netcheck-$loss.svg"
  cp "$logs/nc.json" "$work/netcheck-$loss.json"
  iperf_line=$(run_iperf)
  read -r isent irecv ilost <<<"$iperf_line"
  echo "netcheck_bench: loss $loss: iperf3 $isent Mbit/s sent, $irecv received, $ilost% lost" >&2
  scripts/netns-lan.sh down "$prefix"
  body+="
### Loss $loss on each receiver

\`\`\`
$table
\`\`\`
"
  iperf_table+=$'\n'"| $loss | $isent | $irecv | $ilost |"
done

section="## Netcheck of the namespace LAN beside iperf3 (\`bench/netcheck_bench.sh\`, issue 11)

$(run_facts "$started" "$load_before")
- fleetcast $("$build/fleetcast-server" --version) ($build), $(iperf3 --version | head -1 | cut -d' ' -f1-2)
- run as: \`RATE=$rate LOSSES=\"$losses\" N=$n RATES=$rates DURATION=$duration bench/netcheck_bench.sh $build\`
- per loss level a fresh LAN: \`LOSS=L RATE=$rate scripts/netns-lan.sh up $n $prefix\` (the server's
  link shaped by tc tbf at $rate; each receiver drops the fraction L of its UDP input at random)
- netcheck: \`fleetcast-server netcheck --interface fcnet0 --min-clients $n --rates $rates
  --duration $duration --port $port\` and $n \`fleetcast-client receive --server 10.79.0.1:$port\`;
  rates are offered wire rates (Ethernet framing included); multicast to every receiver
- iperf3: \`iperf3 -c 10.79.0.11 -u -b $iperf_rate -l 1472 -t $iperf_seconds\` from the server
  host to receiver 1 (unicast, the same link and loss rule), right after the netcheck
$body
$iperf_table"

printf '\n%s\n' "$section"
write_section "$results" netcheck-bench "$section"
echo "netcheck_bench: wrote $results" >&2
