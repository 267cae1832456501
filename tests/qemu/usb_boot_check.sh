#!/usr/bin/env bash
# Boots a USB stick image (from bootmedia/make-usb.sh) in qemu, software
# emulated (TCG: KVM is not assumed), with BIOS (SeaBIOS) or UEFI (OVMF)
# firmware and the image as a USB stick on EHCI, and reads the serial console
# as it comes until a line matches REGEX (bash =~, extended regex). Exits 0
# as soon as one does, 1 if qemu stops or TIMEOUT seconds (default 120) pass
# first, printing the last console lines, 2 on bad usage. qemu is stopped on
# every path; the image is not written to (snapshot=on).
# Match something only the booted system prints: the kernel echoes its own
# command line early, so a bare 'fleetcast\.server=' matches before the init
# has run. A test initramfs that prints such a line: busybox-static as
# /bin/busybox, /dev/console (mknod c 5 1), and as /init
#   #!/bin/busybox sh
#   /bin/busybox mount -t proc proc /proc
#   echo "usb-test: booted cmdline=$(/bin/busybox cat /proc/cmdline)"
#   /bin/busybox poweroff -f
# packed with: find . | cpio -o -H newc | gzip
# Usage: tests/qemu/usb_boot_check.sh IMAGE bios|uefi REGEX [TIMEOUT]
#   e.g. usb_boot_check.sh usb.img uefi 'usb-test: booted .*fleetcast\.server=10\.0\.0\.1'
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C

me=usb_boot_check.sh
usage() { echo "usage: $me IMAGE bios|uefi REGEX [TIMEOUT_SECONDS]" >&2; exit 2; }
die() { echo "$me: error: $*" >&2; exit 2; }
[[ $# -ge 3 && $# -le 4 ]] || usage
img=$1 fw=$2 regex=$3 secs=${4:-120}
[[ -f $img ]] || die "$img: no such file; make it with bootmedia/make-usb.sh"
[[ $secs =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT $secs: not a positive whole number of seconds"
rc=0; [[ "" =~ $regex ]] || rc=$?
[[ $rc -ne 2 ]] || die "REGEX $regex: not a valid extended regex"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found; apt-get install qemu-system-x86"

tmp=$(mktemp -d)
qemu=""
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  [[ -z $qemu ]] || { kill "$qemu" 2>/dev/null || true; wait "$qemu" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP  # through the EXIT trap

firmware=()
case $fw in
  bios) ;;  # qemu's default, SeaBIOS
  uefi)
    ovmf=/usr/share/OVMF
    [[ -f $ovmf/OVMF_CODE.fd ]] || die "$ovmf/OVMF_CODE.fd not found; apt-get install ovmf"
    cp "$ovmf/OVMF_VARS.fd" "$tmp/vars.fd"  # fresh boot entries each run
    firmware=(-drive "if=pflash,format=raw,readonly=on,file=$ovmf/OVMF_CODE.fd"
              -drive "if=pflash,format=raw,file=$tmp/vars.fd") ;;
  *) usage ;;
esac

# qemu writes the console into a FIFO read line by line below. timeout bounds
# the run; killing timeout's pid stops qemu too. -no-reboot: a reset or
# reboot ends the run instead of booting again.
mkfifo "$tmp/console"
timeout -k 5 "$secs" qemu-system-x86_64 -accel tcg -m 512 -display none -nic none \
  -no-reboot -monitor none -serial stdio "${firmware[@]}" \
  -drive "file=${img//,/,,},format=raw,if=none,id=stick,snapshot=on" \
  -device usb-ehci -device usb-storage,drive=stick \
  </dev/null >"$tmp/console" 2>"$tmp/qemu.err" &
qemu=$!

start=${EPOCHREALTIME/./} seen=""  # microseconds
while IFS= read -r line || [[ -n $line ]]; do
  line=${line//$'\r'/}
  printf '%s\n' "$line" >>"$tmp/console.log"
  if [[ $line =~ $regex ]]; then seen=$line; break; fi
done <"$tmp/console"

if [[ -n $seen ]]; then
  ds=$(((${EPOCHREALTIME/./} - start) / 100000))
  echo "$me: $fw: seen after $((ds / 10)).$((ds % 10)) s: $seen"
  exit 0
fi
status=0; wait "$qemu" || status=$?
qemu=""
why="qemu exited with status $status"
[[ $status -ne 124 && $status -ne 137 ]] || why="timed out after $secs s"
echo "$me: $fw: no console line matched '$regex' ($why); the last lines:" >&2
# Without OVMF's terminal escapes, which would garble the terminal.
tail -n 40 "$tmp/console.log" 2>/dev/null | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' >&2 || true
[[ ! -s $tmp/qemu.err ]] || { echo "qemu's stderr:" >&2; cat "$tmp/qemu.err" >&2; }
exit 1
