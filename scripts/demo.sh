#!/usr/bin/env bash
# The fleetcast demo: installs what is missing, builds, makes a sample disk
# (MBR + ext4 holding files, made without mounting), packs it, shows what the
# image holds, proves the round trip by verify and unpack, then deploys it
# over real multicast to 4 receivers: in network namespaces it creates (as
# root) or on loopback (otherwise), and prints each node's verified digest.
# Usage: scripts/demo.sh [WORK_DIR]    (default: ./out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-out/demo}
mkdir -p "$work"

say() { printf '\n== %s\n' "$*"; }

say "dependencies"
scripts/deps.sh

say "build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target fleetcast-server fleetcast-client
server=build/fleetcast-server

say "sample disk: 64 MiB, MBR partition table, ext4 with files"
scripts/make-disk-image.sh "$work/sample.raw" 64
sfdisk --dump "$work/sample.raw" | sed -n '/^label:/p;/start=/p'

say "pack"
"$server" pack "$work/sample.raw" "$work/sample.fcimg" --label "fleetcast demo"

say "info"
"$server" info "$work/sample.fcimg"

say "verify"
"$server" verify "$work/sample.fcimg"

say "unpack and compare with the source"
"$server" unpack "$work/sample.fcimg" "$work/restored.raw"
cmp "$work/sample.raw" "$work/restored.raw"
echo "restored.raw is byte-identical to sample.raw"
rm -f "$work/restored.raw"

say "deploy over multicast to 4 receivers"
client=build/fleetcast-client
rm -f "$work"/node*.raw
if [[ $(id -u) -eq 0 ]]; then
  trap 'scripts/netns-lan.sh down' EXIT
  scripts/netns-lan.sh up 4
  echo "namespace LAN: server 10.79.0.1, receivers 10.79.0.11-14, bridge with IGMP snooping"
  in_server() { ip netns exec fcdemo-srv "$@"; }
  in_node() { local i=$1; shift; ip netns exec "fcdemo-rcv$i" "$@"; }
  iface=fcnet0 server_addr=10.79.0.1
else
  echo "not root: deploying on loopback instead of a namespace LAN"
  in_server() { "$@"; }
  in_node() { shift; "$@"; }
  iface=lo server_addr=127.0.0.1
fi
in_server "$server" serve "$work/sample.fcimg" --interface "$iface" --min-clients 4 \
  --max-wait 30 --rate 1g --port 7010 >"$work/serve.out" 2>"$work/serve.log" &
serve_pid=$!
pids=()
for i in 1 2 3 4; do
  in_node "$i" "$client" receive --server "$server_addr:7010" --target "$work/node$i.raw" \
    --node-id "node$i" 2>"$work/node$i.log" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
wait "$serve_pid" || status=1
grep -E "pass [0-9]+:" "$work/serve.log" | sed 's/^.*info: /  /'
cat "$work/serve.out"
for i in 1 2 3 4; do
  cmp -s "$work/sample.raw" "$work/node$i.raw" && echo "node$i.raw is byte-identical to sample.raw" ||
    { echo "demo: error: node$i.raw differs from sample.raw"; status=1; }
done
[[ $status -eq 0 ]] || { echo "demo: error: the deployment failed; logs in $work"; exit 1; }
