#!/usr/bin/env bash
# Makes the fleetcast boot media's initramfs from Debian packages: busybox
# (busybox-static), fleetcast-client-initramfs with the shared libraries it
# needs copied beside it (as initramfs-tools' copy_exec does), the kernel
# modules a lab needs for disks and NICs (linux-image-amd64) with their
# dependencies and a depmod'ed tree, and bootmedia/init.
# With --trust PUB (from fleetcast-server keygen), the installer receives only
# images signed by that key (/etc/fleetcast/trust.pub, passed as --trust).
# Usage: bootmedia/make-initramfs.sh --client BIN --out INITRD [--kernel-version V]
#          [--trust PUB]
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
me=make-initramfs.sh
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "$me: error: $*" >&2; exit 1; }
usage() { echo "usage: $0 --client BIN --out INITRD [--kernel-version V] [--trust PUB]" >&2; exit 2; }

# Drivers for the disks and NICs labs have: virtual machines, Intel,
# Broadcom, Realtek and Mellanox NICs, AHCI, NVMe and the common RAID HBAs.
modules=(
  virtio_pci virtio_net virtio_blk virtio_scsi
  e1000 e1000e igb igc ixgbe i40e ice tg3 bnx2 bnx2x bnxt_en r8169 mlx4_en mlx5_core
  ahci ata_piix nvme sd_mod megaraid_sas mpt3sas hpsa smartpqi aacraid
)

client='' out='' kver='' trust=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --client) [[ $# -ge 2 ]] || usage; client=$2; shift 2 ;;
    --out) [[ $# -ge 2 ]] || usage; out=$2; shift 2 ;;
    --kernel-version) [[ $# -ge 2 ]] || usage; kver=$2; shift 2 ;;
    --trust) [[ $# -ge 2 ]] || usage; trust=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ -n $client && -n $out ]] || usage
[[ -z $trust ]] || grep -q '^fleetcast-ed25519-public ' "$trust" 2>/dev/null ||
  die "--trust $trust: not a public key; make one with fleetcast-server keygen --out NAME"
[[ -x $client ]] || die "--client $client: not an executable; build fleetcast-client-initramfs first"
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx udhcpc ||
  die "/bin/busybox: missing; install busybox-static (scripts/deps.sh)"
if [[ -z $kver ]]; then
  kver=$(ls /lib/modules 2>/dev/null | sort -V | tail -n 1)
  [[ -n $kver ]] || die "/lib/modules: no kernel; install linux-image-amd64 (scripts/deps.sh)"
fi
[[ -d /lib/modules/$kver/kernel ]] || die "--kernel-version $kver: no /lib/modules/$kver"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,run,lib/modules}
ln -s bin "$root/sbin"

# busybox and its applets.
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done

# The client, stripped, and every shared library it loads, at the path the
# dynamic linker looks for it.
strip -o "$root/bin/fleetcast-client" "$client"
ldd "$client" | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
chroot "$root" /bin/fleetcast-client --version >/dev/null ||
  die "$client: does not run inside the initramfs (a library is missing)"

# Modules with everything they depend on, then depmod for busybox modprobe.
declare -A seen=()
add_module() {
  local name=$1 file dep
  [[ -n ${seen[$name]:-} ]] && return 0
  seen[$name]=1
  file=$(modinfo -k "$kver" -F filename "$name" 2>/dev/null) || return 0
  [[ $file == /* ]] || return 0  # built into the kernel
  mkdir -p "$root$(dirname "$file")"
  cp "$file" "$root$file"
  for dep in $(modinfo -k "$kver" -F depends "$name" | tr ',' ' '); do add_module "$dep"; done
}
for m in "${modules[@]}"; do add_module "$m"; done
cp /lib/modules/"$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"

install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/udhcpc.script" "$root/etc/udhcpc.script"
# "fleetcast-client 0.1.0" -> "0.1.0", for the console's "boot media 0.1.0".
version=$("$client" --version)
echo "${version##* }" >"$root/etc/fleetcast-version"
if [[ -n $trust ]]; then
  mkdir -p "$root/etc/fleetcast"
  install -m 0644 "$trust" "$root/etc/fleetcast/trust.pub"
fi

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6n >"$out.tmp"
mv "$out.tmp" "$out"
echo "$me: $out: $(du -h "$out" | cut -f1), kernel $kver, ${#seen[@]} modules"
