# What the namespace-LAN deployment benchmarks share (deploy_bench.sh,
# seal_bench.sh, reimage_bench.sh; fsaware_bench.sh uses the checks and
# write_section): checks of their arguments, the LAN and the receivers'
# tmpfs and their cleanup, timing and arithmetic, a fleetcast deployment,
# and writing a section of bench/RESULTS.md. Sourced from the repo root by
# a script that has set $bench (its name, for error lines); the LAN and
# tmpfs helpers use its $prefix (namespaces) and $rx (the tmpfs), run_in its
# $limit, fc_run also its $n and $logs.
# shellcheck shell=bash disable=SC2154

die() { echo "$bench: error: $*" >&2; exit 1; }
need_root() { [[ $EUID -eq 0 ]] || die "needs root (network namespaces, tmpfs)"; }
need_fleetcast() { # BUILD_DIR...: each must hold both programs
  local b
  for b; do
    [[ -x $b/fleetcast-server && -x $b/fleetcast-client ]] ||
      die "no fleetcast-server/fleetcast-client in $b; build them first"
  done
}
need_runs() { [[ $1 =~ ^[1-9][0-9]*$ ]] || die "RUNS=$1; use a positive number"; }

# lan_cleanup_on_exit: on exit takes the LAN $prefix down (which kills every
# process left in its namespaces) and unmounts $rx; ^C exits.
lan_cleanup() {
  scripts/netns-lan.sh down "$prefix" || true
  if mountpoint -q "$rx"; then umount "$rx" || umount -l "$rx" || true; fi
}
lan_cleanup_on_exit() {
  trap lan_cleanup EXIT
  trap 'exit 130' INT TERM
}
# mount_rx MIB NAME: a fresh tmpfs of MIB MiB on $rx for the receivers' disks.
mount_rx() {
  if mountpoint -q "$rx"; then umount "$rx"; fi
  mount -t tmpfs -o "size=${1}M" "$2" "$rx"
}

# image_facts IMAGE...: fills the maps raw, stored and want (raw bytes,
# stored bytes, digest with $digest_cmd) of $work/IMAGE.raw and .fcimg, and
# reads each .fcimg once so the server reads it from memory.
image_facts() {
  local m
  declare -gA raw stored want
  for m in "$@"; do
    raw[$m]=$(stat -c %s "$work/$m.raw")
    stored[$m]=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["stored_bytes"])' \
      <<<"$("$build/fleetcast-server" info "$work/$m.fcimg" --json)")
    want[$m]=$($digest_cmd <"$work/$m.raw" | cut -d' ' -f1)
    cat "$work/$m.fcimg" >/dev/null
  done
}
now() { date +%s.%N; }
calc() { echo "$*" | bc -l; }
fmt() { LC_ALL=C printf "%.${1}f" "$2"; }
cpu_of() { # /usr/bin/time -f "%U %S" output -> user+sys seconds (its last line)
  tail -n 1 "$1" | awk '{ printf "%.2f", $1 + $2 }'
}
# run_in NS TIMEFILE LOG CMD...: in the background, CMD in namespace NS under
# `timeout $limit`, its CPU time (with timeout's) written by /usr/bin/time.
run_in() {
  local ns=$1 tf=$2 log=$3
  shift 3
  ip netns exec "$ns" /usr/bin/time -f "%U %S" -o "$tf" timeout "$limit" "$@" >"$log" 2>&1 &
}
# wait_ok PID WHAT LOG: waits for PID; dies "WHAT exited RC (log LOG)" unless it exited 0.
wait_ok() {
  local rc=0
  wait "$1" || rc=$?
  ((rc == 0)) || die "$2 exited $rc (log $3)"
}
# wait_for_line FILE TEXT: waits up to 30 s for FILE to hold TEXT; false if
# not. tail -f follows the file by inotify: woken by each line, no polling.
wait_for_line() {
  local fd tail_pid line found=1
  exec {fd}< <(exec timeout 30 tail -n +1 -F -- "$1" 2>/dev/null)
  tail_pid=$!
  while IFS= read -r -u "$fd" line; do
    if [[ $line == *"$2"* ]]; then
      found=0
      break
    fi
  done
  kill "$tail_pid" 2>/dev/null || true
  exec {fd}<&-
  return "$found"
}
# wait_receivers WHAT LOG_STEM PID...: wait_ok for each receiver I (from 1)
# of PIDS, as "WHAT: receiver I", its log LOG_STEM$I.log.
wait_receivers() {
  local what=$1 stem=$2 i=0 pid
  shift 2
  for pid; do
    i=$((i + 1))
    wait_ok "$pid" "$what: receiver $i" "$stem$i.log"
  done
}
# fc_run WHAT BIN IMAGE FC_RATE [SERVE_ARGS...]: one deployment of IMAGE by
# BIN's fleetcast-server (port 7010) to $n fleetcast-clients on the LAN
# $prefix, each under run_in (logs and times $logs/srv.* and $logs/rcvI.*,
# disks $rx/rcvI.raw); sets the caller's t0 (serve started) and t1 (the last
# receiver exited); dies naming WHAT if a program fails.
# shellcheck disable=SC2034 # t0, t1: the caller's
fc_run() {
  local what=$1 bin=$2 image=$3 fc_rate=$4 i spid pids=()
  shift 4
  t0=$(now)
  run_in "$prefix-srv" "$logs/srv.time" "$logs/srv.log" "$bin/fleetcast-server" serve \
    "$image" --interface fcnet0 --min-clients "$n" --rate "$fc_rate" --port 7010 "$@"
  spid=$!
  for ((i = 1; i <= n; i++)); do
    run_in "$prefix-rcv$i" "$logs/rcv$i.time" "$logs/rcv$i.log" "$bin/fleetcast-client" \
      receive --server 10.79.0.1:7010 --target "$rx/rcv$i.raw" --node-id "rcv$i"
    pids+=($!)
  done
  wait_receivers "$what" "$logs/rcv" "${pids[@]}"
  t1=$(now)
  wait_ok "$spid" "$what: server" "$logs/srv.log"
}
median_line() { # lines "wall ..." -> the line of the median wall time
  sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}

# The commit measured, and whether the tree differed from it.
git_revision() {
  echo "$(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD 2>/dev/null ||
    echo ' (uncommitted changes)')"
}
# run_facts STARTED LOAD_BEFORE: a section's first two lines (when, what, where, load).
run_facts() {
  echo "- date: $1; git: $(git_revision); machine: nproc $(nproc), $(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -sr)"
  echo "- load average (1, 5, 15 min) before: $2; after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# write_section FILE MARKER SECTION: puts SECTION between the lines
# "<!-- MARKER:begin -->" and "<!-- MARKER:end -->" of FILE, replacing what
# was there; adds the two lines at FILE's end first if they are missing.
write_section() {
  local file=$1 marker=$2 section=$3
  [[ -f $file ]] || touch "$file"
  grep -qx "<!-- $marker:begin -->" "$file" ||
    printf '\n<!-- %s:begin -->\n<!-- %s:end -->\n' "$marker" "$marker" >>"$file"
  SECTION=$section MARKER=$marker python3 - "$file" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path).read()
marker = os.environ["MARKER"]
begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(head + begin + "\n" + os.environ["SECTION"] + "\n" + end + tail)
PY
}
