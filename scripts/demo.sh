#!/usr/bin/env bash
# The fleetcast demo: installs what is missing, builds, makes a sample disk
# (MBR + ext4 holding files, made without mounting), packs it, shows what the
# image holds, proves the round trip by verify and unpack, then deploys it
# over real multicast to 4 receivers: in network namespaces it creates (as
# root) or on loopback (otherwise), and prints each node's verified digest.
# Then the same with an inventory: the probe checks nodes.toml (and shows
# what a mistake looks like), every node gets its own identity over its
# control connection, and the demo reads each node's answer files back out
# of its disk (debugfs, ntfscat) and compares them with what was rendered.
# Last, a re-image of the same 4 disks: each client scans its disk, the
# server sends only the chunks some disk lacks (those its identity changed),
# --zero rewrites only the zero chunks that no longer read zero, and the
# summary says per node how many chunks were reused and written.
# Usage: scripts/demo.sh [WORK_DIR]    (default: ./out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
PATH=$PATH:/usr/sbin:/sbin  # debugfs, mkntfs, sfdisk
work=${1:-out/demo}
mkdir -p "$work"

say() { printf '\n== %s\n' "$*"; }

say "dependencies"
scripts/deps.sh

say "build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target fleetcast-server fleetcast-client
server=build/fleetcast-server

say "sample disk: 80 MiB, MBR partition table, ext4 with files, an empty NTFS"
scripts/make-disk-image.sh "$work/sample.raw" 64 --ntfs-mib 16
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
  # The querier asks every 2 s, so the short netcheck below hears it.
  QUERY_INTERVAL=2 scripts/netns-lan.sh up 4
  echo "namespace LAN: server 10.79.0.1, receivers 10.79.0.11-14, bridge with IGMP snooping"
  in_server() { ip netns exec fcdemo-srv "$@"; }
  in_node() { local i=$1; shift; ip netns exec "fcdemo-rcv$i" "$@"; }
  iface=fcnet0 server_addr=10.79.0.1 net=10.79.0 http=127.0.0.1:8080
else
  echo "not root: deploying on loopback instead of a namespace LAN"
  in_server() { "$@"; }
  in_node() { shift; "$@"; }
  iface=lo server_addr=127.0.0.1 net=127.0.0 http=127.0.0.1:18080
fi

# deploy PORT TAG [RECEIVE_ARGS...]: sample.fcimg to the 4 nodes' disks;
# serve's output in serve$TAG.out and .log, node I's log in nodeI$TAG.log.
# serve_args: more options for serve. Sets status to 1 if a program failed.
serve_args=()
deploy() {
  local port=$1 tag=$2 i pid serve_pid pids=()
  shift 2
  in_server "$server" serve "$work/sample.fcimg" --interface "$iface" --min-clients 4 \
    --max-wait 30 --rate 1g --port "$port" "${serve_args[@]}" >"$work/serve$tag.out" \
    2>"$work/serve$tag.log" &
  serve_pid=$!
  for i in 1 2 3 4; do
    in_node "$i" "$client" receive --server "$server_addr:$port" --target "$work/node$i.raw" \
      --node-id "node$i" "$@" 2>"$work/node$i$tag.log" &
    pids+=($!)
  done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  wait "$serve_pid" || status=1
}
# check_disks WHAT: every node's disk must equal sample.raw; exits naming
# WHAT if one does not or a program failed.
check_disks() {
  local i
  for i in 1 2 3 4; do
    if cmp -s "$work/sample.raw" "$work/node$i.raw"; then
      echo "node$i.raw is byte-identical to sample.raw"
    else
      echo "demo: error: node$i.raw differs from sample.raw"
      status=1
    fi
  done
  [[ $status -eq 0 ]] || { echo "demo: error: $1 failed; logs in $work"; exit 1; }
}

# The first deployment checks the LAN first (serve --netcheck): loss per
# receiver at each rate, then the image to the same 4 nodes.
serve_args=(--netcheck --netcheck-rates 100m,500m,1g --netcheck-duration 1)
deploy 7010 ""
serve_args=()
grep -E "pass [0-9]+:" "$work/serve.log" | sed 's/^.*info: /  /'
cat "$work/serve.out"
check_disks "the deployment"

say "inventory: nodes.toml for the 4 demo nodes"
rm -rf "$work/drivers" "$work/answers" "$work/sysfs"
cp -r tests/data/drivers "$work/drivers"
# Node addresses are the receivers' own, so the server can check "up" there.
cat >"$work/nodes.toml" <<EOF
[defaults]
prefix = 24
gateway = "$net.1"
dns = ["$net.1"]
admin_password_secret = "admin"

# A demo cluster: lin01 boots alone; lin02 only once lin01 answers on 7450.
[groups.lab]
up = "tcp:7450"
timeout = 60
wave = 1
commands = ["systemctl restart cluster-agent"]

[[nodes]]
hostname = "lin01"
mac = "52:54:00:79:00:11"
ip = "$net.11"
flavour = "cloud-init"
timezone = "Europe/London"
group = "lab"
boot_order = 1
commands = ["systemctl enable --now benchmark-agent"]

[[nodes]]
hostname = "lin02"
mac = "52:54:00:79:00:12"
ip = "$net.12"
flavour = "cloud-init"
group = "lab"
boot_order = 2

[[nodes]]
hostname = "XP01"
mac = "52:54:00:79:00:13"
ip = "$net.13"
flavour = "sysprep-inf"
drivers = "drivers"

[[nodes]]
hostname = "WEB01"
mac = "52:54:00:79:00:14"
ip = "$net.14"
flavour = "unattend-xml"
commands = ["iisreset /restart"]
EOF
printf 'admin = "demo-Adm1n-pw"\n' >"$work/secrets.toml"
chmod 600 "$work/secrets.toml"
echo "cluster group lab (lin01 first, then lin02), XP01 (sysprep-inf, driver catalog), WEB01 (unattend-xml)"

say "probe a broken copy: one line per mistake, exit 1, nothing touched"
sed -e "s/\"$net.12\"/\"$net.11\"/" -e 's/"WEB01"/"WEBSERVER-NUMBER-1"/' \
  "$work/nodes.toml" >"$work/broken.toml"
if "$server" probe --nodes "$work/broken.toml" --secrets "$work/secrets.toml"; then
  echo "demo: error: the probe passed a broken inventory"
  exit 1
fi

say "probe nodes.toml: every answer file rendered into $work/answers"
"$server" probe --nodes "$work/nodes.toml" --secrets "$work/secrets.toml" \
  --image "$work/sample.fcimg" --answers-out "$work/answers" --callback-host "$server_addr" \
  --http-port "${http##*:}"
for n in lin01 lin02; do
  echo "  $n meta-data: $(tr '\n' ' ' <"$work/answers/$n/nocloud/meta-data")"
done
echo "  XP01 sysprep.inf: $(tr -d '\r' <"$work/answers/XP01/sysprep.inf" |
  grep -E '^(ComputerName|NetCardAddress|IPAddress|Command0)=' | tr '\n' ' ')"
echo "  WEB01 unattend.xml: $(grep -oE '<ComputerName>[^<]*</ComputerName>|>[0-9.]+/24<' \
  "$work/answers/WEB01/unattend.xml" | tr '\n' ' ')"

# XP01's machine is simulated: a sysfs tree with an LSI 1030 SCSI controller.
dev="$work/sysfs/bus/pci/devices/0000:02:01.0"
mkdir -p "$dev"
for kv in vendor=0x1000 device=0x0030 subsystem_vendor=0x1000 subsystem_device=0x1040 \
  class=0x010000 revision=0x08; do
  echo "${kv#*=}" >"$dev/${kv%%=*}"
done

say "deploy with identities and a staggered first boot"
rm -f "$work"/node*.raw "$work"/boot*.pid
in_server "$server" serve "$work/sample.fcimg" --interface "$iface" --max-wait 30 --rate 1g \
  --port 7011 --nodes "$work/nodes.toml" --secrets "$work/secrets.toml" \
  --state "$work/nodes.state" --fresh-state --http "$http" \
  --http-token demo-operator-token >"$work/serve-id.out" 2>"$work/serve-id.log" &
serve_pid=$!
macs=(52:54:00:79:00:11 52:54:00:79:00:12 52:54:00:79:00:13 52:54:00:79:00:14)
pids=()
for i in 1 2 3 4; do
  (
    in_node "$i" "$client" receive --server "$server_addr:7011" --target "$work/node$i.raw" \
      --node-id "${macs[$((i - 1))]}" --sysfs "$work/sysfs" 2>"$work/node$i-id.log" || exit 1
    # Released: this stand-in is the cluster node's first boot, answering on
    # the group's health port at the node's own address.
    if [[ $i -le 2 ]]; then
      in_node "$i" python3 -c "import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$net.1$i', 7450)); s.listen(8)
while True: s.accept()[0].close()" &
      echo $! >"$work/boot$i.pid"
    fi
  ) &
  pids+=($!)
done
page=$(timeout 30 tail -n +1 -f "$work/serve-id.log" | grep -m1 -o 'status page: .*' || true)
echo "  $page"
echo "  (in the server's namespace: ip netns exec fcdemo-srv curl <address>api/state; ctl with" \
  "--token demo-operator-token)"
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
wait "$serve_pid" || status=1
for f in "$work"/boot*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null; done
grep -E ": (released|up)( |$)|group lab" "$work/serve-id.log" | grep -v ' released (' |
  sed 's/^.* info: /  /'
cat "$work/serve-id.out" | sed -n '/^node /,$p'
grep -E "identity .* sent" "$work/serve-id.log" | sed 's/^.*info: /  /'
for i in 1 2 3 4; do
  grep -E "disk verified|wrote|registered|no SYSTEM hive" "$work/node$i-id.log" |
    sed 's/^.*info: /  /'
done
[[ $status -eq 0 ]] || { echo "demo: error: the deployment with identities failed; logs in $work"; exit 1; }

say "read each node's identity back out of its disk and compare with what was rendered"
# serve adds each node's call-back token to the URL the probe rendered
# without one: the files must be identical but for that.
same() { # same WHAT RENDERED ON_DISK
  if cmp -s <(sed 's/?token=[0-9a-f]*//' "$2") <(sed 's/?token=[0-9a-f]*//' "$3"); then
    echo "  $1: on the disk, identical to the rendered file$(grep -q '?token=' "$3" &&
      echo ' (plus its call-back token)')"
  else
    echo "demo: error: $1 on the disk differs from $2"
    status=1
  fi
}
for i in 1 2; do
  n=lin0$i
  for f in meta-data network-config user-data; do
    debugfs -R "cat /var/lib/cloud/seed/nocloud/$f" "$work/node$i.raw?offset=1048576" \
      >"$work/$n.$f" 2>/dev/null
    same "$n /var/lib/cloud/seed/nocloud/$f" "$work/answers/$n/nocloud/$f" "$work/$n.$f"
  done
done
for i in 3 4; do
  dd if="$work/node$i.raw" of="$work/node$i.ntfs" bs=1M skip=64 status=none
done
ntfscat "$work/node3.ntfs" /Sysprep/sysprep.inf >"$work/XP01.sysprep.inf"
rendered=$(stat -c %s "$work/answers/XP01/sysprep.inf")
head -c "$rendered" "$work/XP01.sysprep.inf" >"$work/XP01.sysprep.head"
same 'XP01 C:\Sysprep\sysprep.inf (as rendered)' "$work/answers/XP01/sysprep.inf" \
  "$work/XP01.sysprep.head"
echo '  XP01 C:\Sysprep\sysprep.inf then lists the driver of the controller this machine has:'
tail -c +$((rendered + 1)) "$work/XP01.sysprep.inf" | tr -d '\r' | sed 's/^/    /'
echo "  XP01 C:\\Sysprep\\Drivers holds: $(ntfsls "$work/node3.ntfs" -p /Sysprep/Drivers |
  grep -v '^\.' | tr '\n' ' ')(the catalog's VIA driver matched no device: not copied)"
ntfscat "$work/node4.ntfs" /Windows/Panther/unattend.xml >"$work/WEB01.unattend.xml"
same 'WEB01 C:\Windows\Panther\unattend.xml' "$work/answers/WEB01/unattend.xml" \
  "$work/WEB01.unattend.xml"
rm -f "$work"/node*.ntfs
[[ $status -eq 0 ]] || { echo "demo: error: an identity did not land; logs in $work"; exit 1; }
echo "demo: every node verified its disk and wrote its own identity; cluster lab came up lead first"

# --zero: the identities wrote into free space too (chunks that are zero in
# the image); the disks must read zero there again to match sample.raw.
say "re-image the same 4 disks: only what changed is sent and written"
deploy 7012 -again --zero
grep -hE "found already correct|scanned " "$work"/node?-again.log | sed 's/^.*info: /  /'
cat "$work/serve-again.out"
first=$(grep -oE "sent [0-9]+ datagrams" "$work/serve.log" | grep -oE "[0-9]+")
again=$(grep -oE "sent [0-9]+ datagrams" "$work/serve-again.log" | grep -oE "[0-9]+")
echo "  datagrams sent: $again for the re-image, $first for the first deployment"
check_disks "the re-image"
reused=$(grep -oE "reused [0-9]+" "$work/serve-again.out" | awk '{s += $2} END {print s}')
written=$(grep -oE "written [0-9]+" "$work/serve-again.out" | awk '{s += $2} END {print s}')
echo "demo: the re-image reused $reused chunks and wrote $written across the 4 nodes"
