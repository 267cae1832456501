#!/usr/bin/env bash
# End-to-end deployment benchmark: fleetcast against udpcast and uftp on the
# same namespace LAN (scripts/netns-lan.sh), runs of the three tools
# interleaved within each cell. Grid: image x server rate x N receivers x
# random UDP loss per receiver. Every receiver's output is checked against
# the source image by digest after every run; a wrong byte, a tool's
# non-zero exit or a timeout stops the benchmark with one line naming the
# tool, cell and receiver, and no number from it is reported.
# Prints markdown tables and writes them into bench/RESULTS.md between
# <!-- deploy-bench:begin --> and <!-- deploy-bench:end -->.
# Usage: bench/deploy_bench.sh BUILD_DIR   (root; knobs, defaults shown:
#   IMAGES="realistic random" NS="1 4 8" LOSSES="0 0.01 0.05"
#   RATES="1gbit unlimited" RUNS=3 TOOLS="fleetcast udpcast uftp"
#   BENCH_PREFIX=fcbench: the namespaces' prefix
#   UNLIMITED_ALL=0: unlimited runs only the cells realistic N=8 loss 0 and
#   random N=1 loss 0; 1 runs the whole grid unlimited too)
set -euo pipefail
usage() { echo "usage: bench/deploy_bench.sh BUILD_DIR   (root; see the header for the knobs)" >&2; exit 2; }
[[ $# -eq 1 && $1 != -* ]] || usage
cd "$(dirname "$0")/.."
build=$1
images=${IMAGES:-realistic random} ns_list=${NS:-1 4 8} losses=${LOSSES:-0 0.01 0.05}
rates=${RATES:-1gbit unlimited} runs=${RUNS:-3} tools=${TOOLS:-fleetcast udpcast uftp}
unlimited_all=${UNLIMITED_ALL:-0}
uftp_block=1400 # uftp -b: payload per datagram; 1400 + uftp 28 + UDP/IP 28 = 1456 bytes IP
work=out/bench rx=out/bench/rx logs=out/bench/logs results=bench/RESULTS.md
prefix=${BENCH_PREFIX:-fcbench} srv=${BENCH_PREFIX:-fcbench}-srv
limit=300 # seconds: bound on every process of a run
bench=deploy_bench
source bench/lib.sh

need_root
need_fleetcast "$build"
need_runs "$runs"
for t in $tools; do [[ $t =~ ^(fleetcast|udpcast|uftp)$ ]] || die "TOOLS: unknown tool $t"; done
for m in $images; do [[ $m =~ ^(realistic|random)$ ]] || die "IMAGES: unknown image $m"; done
for n in $ns_list; do [[ $n =~ ^[1-9][0-9]?$ ]] || die "NS: $n is not a receiver count"; done
need=()
command -v udp-sender >/dev/null || need+=(udpcast)
command -v uftp >/dev/null || need+=(uftp)
[[ -x /usr/bin/time ]] || need+=(time)
command -v bc >/dev/null || need+=(bc)
if ((${#need[@]})); then apt-get install -y -qq "${need[@]}" >/dev/null; fi
digest_cmd=sha256sum
if command -v xxh128sum >/dev/null; then digest_cmd=xxh128sum; fi

mkdir -p "$work" "$rx" "$logs"
bench/make-images.sh "$work" "$build"

lan_cleanup_on_exit

max_n=0
for n in $ns_list; do if ((n > max_n)); then max_n=$n; fi; done
mount_rx "$(((max_n + 1) * 600))" fcbench-rx

counters() { # tx_bytes tx_packets rx_bytes of the server's veth
  ip -n "$srv" -s -j link show fcnet0 | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["tx"]["bytes"], s["tx"]["packets"], s["rx"]["bytes"])'
}

image_facts $images

# wait_joined TOOL GROUP: until all N receivers' bridge ports have joined
# GROUP (IGMP snooping), so the sender starts with every receiver waiting;
# polled every 0.1 s, at most 10 s.
wait_joined() {
  local k joined=0
  for ((k = 0; k < 100; k++)); do
    joined=$(ip netns exec "$prefix-br" bridge mdb show | grep -cE "port r[0-9]+ grp $2 " || true)
    ((joined >= n)) && return 0
    sleep 0.1
  done
  die "$1 $cell run $r: only $joined of $n receivers joined $2 within 10 s (logs $logs/rcv*.log)"
}

# One run of TOOL in the current cell; prints
# "wall tx_bytes tx_packets rx_bytes server_cpu receivers_cpu". Run it in a
# subshell: a failure exits it with one line on stderr.
run_tool() {
  local tool=$1 i rc t0 t1 c0 c1 pids=() spid tp
  rm -rf "${rx:?}"/* "${logs:?}"/*
  c0=$(counters)
  case $tool in
    fleetcast)
      fc_run "fleetcast $cell run $r" "$build" "$work/$image.fcimg" "$fc_rate"
      ;;
    udpcast)
      for ((i = 1; i <= n; i++)); do
        run_in "$prefix-rcv$i" "$logs/rcv$i.time" "$logs/rcv$i.log" udp-receiver \
          --file "$rx/rcv$i.raw" --interface fcnet0 --nokbd --rcvbuf 4194304 \
          --mcast-rdv-address 239.79.0.9
        pids+=($!)
      done
      wait_joined udpcast 239.79.0.9
      t0=$(now)
      run_in "$srv" "$logs/srv.time" "$logs/srv.log" udp-sender --file "$work/$image.raw" \
        --interface fcnet0 --min-receivers "$n" ${udp_rate:+--max-bitrate "$udp_rate"} \
        --mcast-rdv-address 239.79.0.9 --mcast-data-address 239.79.0.10 \
        --rexmit-hello-interval 100 --nokbd
      wait_ok "$!" "udpcast $cell run $r: udp-sender" "$logs/srv.log"
      wait_receivers "udpcast $cell run $r" "$logs/rcv" "${pids[@]}"
      t1=$(now)
      ;;
    uftp)
      # uftpd is a daemon: it never exits by itself. uftp (closed group -H
      # of exactly these N client ids) exits once every client has sent
      # COMPLETE for the file, i.e. has it whole on its disk; then the
      # daemons are stopped (SIGTERM: exit status 6, "interrupted").
      local hosts=""
      for ((i = 1; i <= n; i++)); do
        mkdir -p "$rx/rcv$i"
        run_in "$prefix-rcv$i" "$logs/rcv$i.time" "$logs/rcv$i.log" uftpd -d -q \
          -I fcnet0 -M 239.79.0.11 -U "$(printf '0x%08x' "$i")" -B 4194304 -D "$PWD/$rx/rcv$i" \
          -F "$PWD/$logs/rcv$i.status" # uftpd wants absolute paths
        pids+=($!)
        hosts+="${hosts:+,}$(printf '0x%08x' "$i")"
      done
      wait_joined uftp 239.79.0.11
      t0=$(now)
      run_in "$srv" "$logs/srv.time" "$logs/srv.log" uftp -I fcnet0 -M 239.79.0.11 -P 239.79.0.12 \
        -R "$uftp_rate" -B 4194304 -b "$uftp_block" -H "$hosts" -D image.raw \
        -S "$logs/srv.status" "$work/$image.raw"
      spid=$!
      rc=0 && wait "$spid" || rc=$?
      t1=$(now)
      ((rc == 0)) || die "uftp $cell run $r: uftp exited $rc (log $logs/srv.log)"
      for ((i = 1; i <= n; i++)); do
        grep -q "^STATS;$(printf '0x%08x' "$i");1;" "$logs/srv.status" ||
          die "uftp $cell run $r: receiver $i is not in uftp's STATS as having the file (log $logs/srv.log)"
        kill -0 "${pids[i - 1]}" 2>/dev/null ||
          die "uftp $cell run $r: receiver $i's uftpd died before the end (log $logs/rcv$i.log)"
        tp=$(pgrep -P "${pids[i - 1]}" -x timeout || true)
        if [[ -n $tp ]]; then kill -TERM "$tp"; fi
      done
      for ((i = 1; i <= n; i++)); do
        rc=0 && wait "${pids[i - 1]}" || rc=$?
        ((rc == 6)) || die "uftp $cell run $r: receiver $i's uftpd exited $rc on SIGTERM, not 6 (log $logs/rcv$i.log)"
      done
      ;;
  esac
  c1=$(counters)
  local got f rcpu=0
  for ((i = 1; i <= n; i++)); do
    f=$rx/rcv$i.raw
    if [[ $tool == uftp ]]; then f=$rx/rcv$i/image.raw; fi
    [[ -f $f ]] || die "$tool $cell run $r: receiver $i wrote no output ($f)"
    got=$($digest_cmd <"$f" | cut -d' ' -f1)
    [[ $got == "${want[$image]}" ]] || die "$tool $cell run $r: receiver $i: output differs from the source ($digest_cmd)"
    rcpu=$(fmt 2 "$(calc "$rcpu + $(cpu_of "$logs/rcv$i.time")")")
  done
  local tb0 tp0 rb0 tb1 tp1 rb1
  read -r tb0 tp0 rb0 <<<"$c0"
  read -r tb1 tp1 rb1 <<<"$c1"
  echo "$(fmt 3 "$(calc "$t1 - $t0")") $((tb1 - tb0)) $((tp1 - tp0)) $((rb1 - rb0)) $(cpu_of "$logs/srv.time") $rcpu"
}

kill_leftovers() { # every process still in the cell's namespaces
  local ns pids
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$prefix-(srv|rcv[0-9]+)$" || true); do
    pids=$(ip netns pids "$ns" || true)
    if [[ -n $pids ]]; then kill -9 $pids 2>/dev/null || true; fi
  done
}

# Rate spellings: tc "1gbit"; fleetcast "1g"; udp-sender megabits "1000m"; uftp Kbps.
set_rate() {
  case $1 in
    unlimited) fc_rate=unlimited udp_rate="" uftp_rate=-1 rate_bps="" ;;
    *gbit) fc_rate=${1%bit} udp_rate="$((${1%gbit} * 1000))m" uftp_rate=$((${1%gbit} * 1000000)) rate_bps=$((${1%gbit} * 1000000000)) ;;
    *mbit) fc_rate=${1%bit} udp_rate=${1%bit} uftp_rate=$((${1%mbit} * 1000)) rate_bps=$((${1%mbit} * 1000000)) ;;
    *) die "RATES: $1; use e.g. 1gbit, 500mbit or unlimited" ;;
  esac
}
for rate in $rates; do set_rate "$rate"; done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
declare -A res # res[cell|tool] = median run line
peer_failures=()
cells=()
for image in $images; do
  for rate in $rates; do
    set_rate "$rate"
    for n in $ns_list; do
      for loss in $losses; do
        if [[ $rate == unlimited && $unlimited_all != 1 ]] &&
          ! [[ $image == realistic && $n == 8 && $loss == 0 || $image == random && $n == 1 && $loss == 0 ]]; then
          continue
        fi
        cell="$image $rate N=$n loss=$loss"
        echo "deploy_bench: $cell" >&2
        RATE=$rate LOSS=$loss scripts/netns-lan.sh up "$n" "$prefix"
        declare -A all=()
        for ((r = 1; r <= runs; r++)); do
          for tool in $tools; do
            # fleetcast failing ends the benchmark; a peer's failed run (e.g.
            # a udpcast receiver whose rendezvous fell to the loss) is
            # reported and not counted.
            if run_line=$(run_tool "$tool"); then
              echo "  run $r $tool: $run_line" >&2
              all[$tool]+="$run_line"$'\n'
            elif [[ $tool == fleetcast ]]; then
              exit 1
            else
              echo "  run $r $tool: failed (above), not counted" >&2
              peer_failures+=("$tool, $cell, run $r")
              kill_leftovers
            fi
          done
        done
        for tool in $tools; do res["$cell|$tool"]=$(printf '%s' "${all[$tool]:-}" | median_line); done
        unset all
        cells+=("$cell")
        scripts/netns-lan.sh down "$prefix"
      done
    done
  done
done

# ---- tables ----
field() { # cell tool index(1 wall 2 txb 3 txp 4 rxb 5 scpu 6 rcpu) -> value or empty
  local line=${res["$1|$2"]:-}
  if [[ -n $line ]]; then awk -v k="$3" '{ print $k }' <<<"$line"; fi
}
or_dash() { if [[ -n $1 ]]; then echo "$1"; else echo "-"; fi; }
better_peer() { # cell -> wall of the faster peer, or empty
  local u w
  u=$(field "$1" udpcast 1) w=$(field "$1" uftp 1)
  if [[ -n $u && -n $w ]]; then calc "if ($u < $w) $u else $w"; else echo "$u$w"; fi
}
limit_mbs() { # goodput limit in MB/s for rate $1 (empty if unlimited): R * 1432/1538
  set_rate "$1"
  if [[ -n $rate_bps ]]; then calc "$rate_bps / 8 * 1432 / 1538 / 1000000"; fi
}
per_tool() { # cell expr-kind -> "fc / udp / uftp"
  local cell=$1 kind=$2 out="" tool v im
  im=${cell%% *}
  for tool in fleetcast udpcast uftp; do
    v=""
    if [[ -n ${res["$cell|$tool"]:-} ]]; then
      case $kind in
        feedback) v=$(fmt 0 "$(calc "$(field "$cell" "$tool" 4) / 1000")") ;;
        scpu) v=$(field "$cell" "$tool" 5) ;;
        rcpu) v=$(fmt 2 "$(calc "$(field "$cell" "$tool" 6) / $(nof "$cell") / (${raw[$im]} / 1000000000)")") ;;
      esac
    fi
    out+="${out:+ / }$(or_dash "$v")"
  done
  echo "$out"
}
nof() { sed -E 's/.*N=([0-9]+).*/\1/' <<<"$1"; }
lossof() { sed -E 's/.*loss=([0-9.]+).*/\1/' <<<"$1"; }
rateof() { awk '{ print $2 }' <<<"$1"; }

table="| image | rate | N | loss | fleetcast s | udpcast s | uftp s | fleetcast MB/s (raw) | fleetcast MB/s stored (of limit) | ratio | fleetcast wire/stored L2 | fleetcast wire/stored UDP | wire/raw fc / udpcast / uftp | feedback kB fc / udpcast / uftp | server CPU s fc / udpcast / uftp | receiver CPU s/GB fc / udpcast / uftp |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for cell in "${cells[@]}"; do
  im=${cell%% *} rt=$(rateof "$cell") n=$(nof "$cell") loss=$(lossof "$cell")
  fw=$(field "$cell" fleetcast 1) uw=$(field "$cell" udpcast 1) tw=$(field "$cell" uftp 1)
  bp=$(better_peer "$cell")
  mbs="" smbs="" ratio="" l2="" udp=""
  if [[ -n $fw ]]; then
    mbs=$(fmt 1 "$(calc "${raw[$im]} / 1000000 / $fw")")
    smbs=$(fmt 1 "$(calc "${stored[$im]} / 1000000 / $fw")")
    lim=$(limit_mbs "$rt")
    if [[ -n $lim ]]; then smbs+=" ($(fmt 0 "$(calc "100 * ${stored[$im]} / 1000000 / $fw / $lim")")%)"; fi
    if [[ -n $bp ]]; then ratio=$(fmt 2 "$(calc "$fw / $bp")"); fi
    l2=$(fmt 3 "$(calc "$(field "$cell" fleetcast 2) / ${stored[$im]}")")
    udp=$(fmt 3 "$(calc "($(field "$cell" fleetcast 2) - 42 * $(field "$cell" fleetcast 3)) / ${stored[$im]}")")
  fi
  wr=""
  for tool in fleetcast udpcast uftp; do
    v=""
    if [[ -n ${res["$cell|$tool"]:-} ]]; then v=$(fmt 3 "$(calc "$(field "$cell" "$tool" 2) / ${raw[$im]}")"); fi
    wr+="${wr:+ / }$(or_dash "$v")"
  done
  table+=$'\n'"| $im | $rt | $n | $(fmt 0 "$(calc "$loss * 100")")% | $(or_dash "$fw") | $(or_dash "$uw") | $(or_dash "$tw") |"
  table+=" $(or_dash "$mbs") | $(or_dash "$smbs") | $(or_dash "$ratio") | $(or_dash "$l2") | $(or_dash "$udp") | $wr |"
  table+=" $(per_tool "$cell" feedback) | $(per_tool "$cell" scpu) | $(per_tool "$cell" rcpu) |"
done

# ---- targets ----
targets="| target | cell | measured | target | result |
|---|---|---:|---:|---|"
target_row() { # name cell measured target pass(1/0)
  targets+=$'\n'"| $1 | $2 | $3 | $4 | $(if (($5)); then echo PASS; else echo MISS; fi) |"
}
have() { [[ -n ${res["$1|$2"]:-} ]]; }
for cell in "${cells[@]}"; do
  im=${cell%% *} rt=$(rateof "$cell") n=$(nof "$cell") loss=$(lossof "$cell")
  have "$cell" fleetcast || continue
  fw=$(field "$cell" fleetcast 1) bp=$(better_peer "$cell")
  if [[ $im == realistic && $n == 8 && ($loss == 0 || $loss == 0.01) && -n $bp ]]; then
    v=$(calc "$fw / $bp")
    target_row "fleetcast wall / better peer's" "$cell" "$(fmt 2 "$v")" "<= 0.30" "$(calc "$v <= 0.3")"
  fi
  if [[ $im == random && $n == 1 && $loss == 0 && $rt != unlimited ]]; then
    lim=$(limit_mbs "$rt")
    v=$(calc "${stored[$im]} / 1000000 / $fw / $lim")
    target_row "fleetcast stored MB/s / goodput limit ($(fmt 1 "$lim") MB/s)" "$cell" "$(fmt 3 "$v")" ">= 0.95" "$(calc "$v >= 0.95")"
  fi
  if [[ $im == random && $n == 8 && ($loss == 0.01 || $loss == 0.05) && -n $bp ]]; then
    want_x=1.3
    if [[ $loss == 0.05 ]]; then want_x=1.5; fi
    v=$(calc "$bp / $fw")
    target_row "better peer's wall / fleetcast wall" "$cell" "$(fmt 2 "$v")" ">= $want_x" "$(calc "$v >= $want_x")"
  fi
  if [[ $n == 8 ]]; then
    bound=$(calc "1 + 1.5 * $loss + 0.03")
    tb=$(field "$cell" fleetcast 2) tp=$(field "$cell" fleetcast 3)
    v=$(calc "$tb / ${stored[$im]}")
    target_row "wire bytes / stored, L2 (Ethernet frames)" "$cell" "$(fmt 3 "$v")" "<= $(fmt 3 "$bound")" "$(calc "$v <= $bound")"
    v=$(calc "($tb - 42 * $tp) / ${stored[$im]}")
    target_row "wire bytes / stored, UDP payload" "$cell" "$(fmt 3 "$v")" "<= $(fmt 3 "$bound")" "$(calc "$v <= $bound")"
  fi
  if [[ $n == 8 && $loss == 0.01 ]]; then
    c1=${cell/N=8/N=1}
    if have "$c1" fleetcast; then
      v=$(calc "$(field "$cell" fleetcast 2) / $(field "$c1" fleetcast 2)")
      target_row "wire bytes N=8 / N=1" "$cell" "$(fmt 3 "$v")" "<= 1.10" "$(calc "$v <= 1.1")"
    fi
  fi
done
# Receiver CPU per image byte against udpcast's, every cell with both.
cpu_cells=0 cpu_ok=0 cpu_worst="" cpu_worst_v=0
for cell in "${cells[@]}"; do
  if ! have "$cell" fleetcast || ! have "$cell" udpcast; then continue; fi
  f=$(field "$cell" fleetcast 6) u=$(field "$cell" udpcast 6)
  v=$(calc "$f / ($u + 0.000001)")
  cpu_cells=$((cpu_cells + 1))
  if (($(calc "$f <= $u"))); then cpu_ok=$((cpu_ok + 1)); fi
  if (($(calc "$v > $cpu_worst_v"))); then cpu_worst_v=$v cpu_worst="$cell: $(fmt 2 "$f") s vs $(fmt 2 "$u") s"; fi
done
if ((cpu_cells)); then
  target_row "receiver CPU s / image byte <= udpcast's" "all cells ($cpu_ok of $cpu_cells meet it; worst $cpu_worst)" \
    "$(fmt 2 "$cpu_worst_v") x udpcast (worst)" "<= 1.00 x" "$((cpu_ok == cpu_cells))"
fi

# ---- header and output ----
img_line=""
for m in $images; do img_line+=" $m ${raw[$m]} bytes raw, ${stored[$m]} stored in .fcimg chunks;"; done
git_rev=$(git_revision)
lim1=$(calc "1000000000 / 8 * 1432 / 1538 / 1000000")
limtbf=$(calc "1000000000 / 8 * 1432 / 1514 / 1000000")
section="## Deployment: fleetcast vs udpcast vs uftp (\`bench/deploy_bench.sh\`)

Written by \`bench/deploy_bench.sh\`; what each column means: [README.md](README.md).

$(run_facts "$started" "$load_before")
- tools: fleetcast $("$build/fleetcast-server" --version 2>/dev/null | head -1) ($build, git $git_rev); udpcast $(dpkg-query -W -f='${Version}' udpcast); uftp $(dpkg-query -W -f='${Version}' uftp)
- run as: \`IMAGES=\"$images\" NS=\"$ns_list\" LOSSES=\"$losses\" RATES=\"$rates\" RUNS=$runs TOOLS=\"$tools\" UNLIMITED_ALL=$unlimited_all bench/deploy_bench.sh $build\`
- median of $runs runs per cell (by wall time; the other columns are from that run); tools' runs interleaved within a cell
- images (\`bench/make-images.sh\`):$img_line
- receivers write to a tmpfs; every output checked with $digest_cmd after every run

Commands per run (server in ns $srv 10.79.0.1, receiver I in $prefix-rcvI; each wrapped in \`/usr/bin/time -f \"%U %S\" timeout $limit\`):

\`\`\`sh
fleetcast-server serve IMG.fcimg --interface fcnet0 --min-clients N --rate 1g|unlimited --port 7010
fleetcast-client receive --server 10.79.0.1:7010 --target $rx/rcvI.raw --node-id rcvI
udp-receiver --file $rx/rcvI.raw --interface fcnet0 --nokbd --rcvbuf 4194304 --mcast-rdv-address 239.79.0.9
udp-sender --file IMG.raw --interface fcnet0 --min-receivers N [--max-bitrate 1000m] --mcast-rdv-address 239.79.0.9 --mcast-data-address 239.79.0.10 --rexmit-hello-interval 100 --nokbd
uftpd -d -q -I fcnet0 -M 239.79.0.11 -U 0x0000000I -B 4194304 -D $rx/rcvI -F STATUS
uftp -I fcnet0 -M 239.79.0.11 -P 239.79.0.12 -R 1000000|-1 -B 4194304 -b $uftp_block -H 0x00000001,...,0x0000000N -D image.raw -S STATUS IMG.raw
\`\`\`

Goodput limit at rate R, MTU 1500: a fleetcast datagram is 24 header + 1432
payload + 16 tag + 8 UDP + 20 IPv4 = 1500 bytes IP; a real Ethernet frame costs 1500 +
14 header + 4 FCS + 8 preamble + 12 gap = 1538 bytes, so the limit is
R x 1432/1538 = $(fmt 1 "$lim1") MB/s at 1 Gbit/s. tc tbf on a veth counts 1514
bytes per frame, so the shaped link allows R x 1432/1514 = $(fmt 1 "$limtbf") MB/s.
\"of limit\" below is fleetcast's stored bytes per second over R x 1432/1538.

$table

Targets:

$targets

Peer runs that failed and are not counted: ${#peer_failures[@]}$(if ((${#peer_failures[@]})); then printf '\n- %s' "${peer_failures[@]}"; fi)"

printf '\n%s\n' "$section"

write_section "$results" deploy-bench "$section"
echo "deploy_bench: wrote $results" >&2
