#!/usr/bin/env bash
# The boot media init's decisions, run directly under busybox sh against fake
# /sys trees: which disk it writes (never a guess between two), which NIC it
# tries first, and the line it prints when it cannot choose.
# Usage: tests/bootmedia/init_test.sh
set -euo pipefail
init=$(cd "$(dirname "$0")/../.." && pwd)/bootmedia/init
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# disk NAME SECTORS [removable] [usb]: a /sys/block entry.
disk() {
  local real=$work/sys/devices/pci0000:00/$2/$1
  [[ ${4:-} == usb ]] && real=$work/sys/devices/pci0000:00/usb1/1-1/$1
  mkdir -p "$real" "$work/sys/block"
  echo "$2" >"$real/size"
  echo "${3:-0}" >"$real/removable"
  ln -s "$real" "$work/sys/block/$1"
}

nic() {
  mkdir -p "$work/sys/class/net/$1"
  echo "$2" >"$work/sys/class/net/$1/address"
}

# decide CODE CMDLINE: "rc=N out=<stdout> err=<stderr>" of CODE run after
# sourcing the init.
decide() {
  local rc=0
  FLEETCAST_INIT_LIB=1 FLEETCAST_SYSFS=$work/sys CMDLINE=$2 \
    busybox sh -c ". $init; $1" >"$work/out" 2>"$work/err" || rc=$?
  echo "rc=$rc out=$(tr '\n' ' ' <"$work/out" | sed 's/ $//') err=$(cat "$work/err")"
}

expect() {
  if [[ $2 == "$3" ]]; then
    echo "ok   $1"
  else
    echo "FAIL $1"
    echo "     want: $3"
    echo "     got:  $2"
    failures=$((failures + 1))
  fi
}

reset() { rm -rf "$work/sys"; mkdir -p "$work/sys/block" "$work/sys/class/net"; }

pick() { decide 'pick_disk' "$1"; }

reset
expect "no disk at all" "$(pick '')" \
  "rc=1 out= err=fleetcast: error: no disk to write: no non-removable disk found; check the disk controller's driver, or name one with fleetcast.disk="

disk loop0 2048
disk sr0 2048 1
disk sdb 31250000 1
disk sdc 7864320 0 usb
disk zram0 2048
expect "only removable, USB and virtual devices" "$(pick '')" \
  "rc=1 out= err=fleetcast: error: no disk to write: no non-removable disk found; check the disk controller's driver, or name one with fleetcast.disk="

disk nvme0n1 1953525168
expect "the single non-removable disk" "$(pick '')" "rc=0 out=nvme0n1 err="

disk sda 131072
expect "two candidates: no guess" "$(pick '')" \
  "rc=1 out= err=fleetcast: error: 2 candidate disks: nvme0n1 (931 GiB) sda (64 MiB); not guessing: name one with fleetcast.disk= (the node's disk in the inventory)"
expect "the named disk among two" "$(pick 'quiet fleetcast.disk=/dev/sda')" "rc=0 out=sda err="
expect "a named disk that is not there" "$(pick 'fleetcast.disk=vdz')" \
  "rc=1 out= err=fleetcast: error: fleetcast.disk=vdz: no such disk (disks: loop0 nvme0n1 sda sdb sdc sr0 zram0); fix the node's disk in the inventory"

reset
nic eth0 52:54:00:00:00:01
nic eth1 52:54:00:00:00:02
nic lo 00:00:00:00:00:00
expect "interfaces in order" "$(decide interfaces '')" "rc=0 out=eth0 eth1 err="
expect "the NIC iPXE booted from first" "$(decide interfaces 'BOOTIF=01-52-54-00-00-00-02')" \
  "rc=0 out=eth1 eth0 err="
expect "command line values" \
  "$(decide 'cmdline_value fleetcast.server; cmdline_value fleetcast.node' 'a fleetcast.server=10.0.0.1:7010 b')" \
  "rc=0 out=10.0.0.1:7010 err="

[[ $failures -eq 0 ]] || { echo "init_test.sh: $failures failed"; exit 1; }
echo "init_test.sh: all passed"
