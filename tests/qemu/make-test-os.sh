#!/usr/bin/env bash
# make-test-os.sh: build the small Linux disk image a qemu test deploys with
# fleetcast ("the installed OS"), from installed Debian packages only; nothing
# is mounted, no loop device is used.
#
# Usage: tests/qemu/make-test-os.sh OUT.img
#
# OUT.img is a sparse 64 MiB raw disk with an MBR (syslinux mbr.bin):
#   1: FAT16, bootable: syslinux, /vmlinuz (the newest /boot/vmlinuz-*),
#      /initrd.gz (the OS: busybox, virtio and ext4 modules, test-os/init),
#      /syslinux.cfg (test-os/syslinux.cfg: boots at once, console ttyS0)
#   2: ext4: /etc/hostname, /etc/fleetcast-test-os (marker) and an empty
#      /var/lib/cloud/seed/nocloud/, where `fleetcast-client inject` puts a
#      cloud-init node's seed
# Booted, the OS applies that seed (hostname, static address, runcmd with a
# curl shim) and prints "fleetcast-test-os: up" on the serial console; see
# test-os/init for what it expects of the seed.
# Needs: busybox-static linux-image-amd64 syslinux syslinux-common mtools
# dosfstools e2fsprogs fdisk kmod cpio.
set -euo pipefail
export PATH=/usr/sbin:/sbin:/usr/bin:/bin:$PATH LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/test-os
readonly here
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}  # every timestamp (mtools too)
readonly epoch=$SOURCE_DATE_EPOCH                              # same input, same image
readonly disk_mib=64 boot_mib=20                 # partition 1 from 1 MiB, 2 after it
readonly modules=(virtio_pci virtio_blk virtio_net crc32c_generic ext4)

die() { echo "make-test-os.sh: error: $*" >&2; exit 1; }

[[ $# -eq 1 && $1 != -* ]] || die "arguments: need one, the image file to write; usage: tests/qemu/make-test-os.sh OUT.img"
out=$1
[[ -d $(dirname "$out") ]] || die "$out: its folder does not exist; create it first"
for tool in sfdisk mkfs.fat mcopy mmd syslinux grub-mkstandalone mke2fs debugfs cpio gzip depmod modprobe dd truncate; do
  command -v "$tool" >/dev/null || die "$tool: not found; apt-get install fdisk dosfstools mtools syslinux grub-common grub-efi-amd64-bin e2fsprogs cpio kmod"
done
for file in /bin/busybox /usr/lib/syslinux/mbr/mbr.bin "$here/init" "$here/curl" "$here/syslinux.cfg"; do
  [[ -f $file ]] || die "$file: missing; apt-get install busybox-static syslinux-common (or restore tests/qemu/test-os)"
done
kernel=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -n 1)
[[ -f $kernel ]] || die "/boot/vmlinuz-*: no kernel; apt-get install linux-image-amd64"
kver=${kernel#/boot/vmlinuz-}
[[ -d /lib/modules/$kver ]] || die "/lib/modules/$kver: missing; reinstall linux-image-$kver"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The OS: an initramfs of busybox, the modules and the init.
initrd=$tmp/initrd
mkdir -p "$initrd"/{bin,sbin,etc,proc,sys,dev,run,tmp,mnt}
cp /bin/busybox "$initrd/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ -e $initrd/bin/$applet ]] || ln -s busybox "$initrd/bin/$applet"
done
ln -s ../bin/busybox "$initrd/sbin/modprobe"  # the kernel's request_module helper
install -m 0755 "$here/init" "$initrd/init"
install -m 0755 "$here/curl" "$initrd/bin/curl"
# modprobe --show-depends lists each module after what it needs.
modprobe --set-version "$kver" --show-depends --all "${modules[@]}" >"$tmp/deps" ||
  die "modprobe --show-depends ${modules[*]}: failed for kernel $kver; reinstall linux-image-$kver"
while read -r kind path _; do
  [[ $kind == insmod ]] || continue
  mkdir -p "$initrd$(dirname "$path")"
  cp "$path" "$initrd$path"
done <"$tmp/deps"
printf '%s\n' "${modules[@]}" >"$initrd/etc/modules"  # init modprobes these in order
cp /lib/modules/"$kver"/modules.{order,builtin,builtin.modinfo} "$initrd/lib/modules/$kver/"
depmod -b "$initrd" "$kver"
find "$initrd" -exec touch -h -d "@$epoch" {} +
(cd "$initrd" && find . | sort | cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$tmp/initrd.gz"

# Partition 1: FAT16 with the kernel, the OS and syslinux.cfg.
boot_sectors=$((boot_mib * 2048))
truncate -s "${boot_mib}M" "$tmp/boot.fat"
mkfs.fat -F 16 -n FCTESTOS -h 2048 --invariant "$tmp/boot.fat" >/dev/null
cp "$kernel" "$tmp/vmlinuz"
cp "$here/syslinux.cfg" "$tmp/syslinux.cfg"
touch -d "@$epoch" "$tmp"/{vmlinuz,initrd.gz,syslinux.cfg}
mcopy -m -i "$tmp/boot.fat" "$tmp"/{vmlinuz,initrd.gz,syslinux.cfg} ::/
# UEFI: grub from the same partition, found by its label, same command line.
cat >"$tmp/grub.cfg" <<EOF
set timeout=0
search --no-floppy --label --set=root FCTESTOS
menuentry test-os {
  linux /vmlinuz $(sed -n 's/^ *APPEND //p' "$here/syslinux.cfg")
  initrd /initrd.gz
}
EOF
grub-mkstandalone -O x86_64-efi -o "$tmp/BOOTX64.EFI" --locales= --fonts= --themes= \
  --modules="part_msdos fat" --install-modules="normal linux search search_label part_msdos fat" \
  "boot/grub/grub.cfg=$tmp/grub.cfg"
touch -d "@$epoch" "$tmp/BOOTX64.EFI"
mmd -i "$tmp/boot.fat" ::/EFI ::/EFI/BOOT
mcopy -m -i "$tmp/boot.fat" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

# Partition 2: the ext4 root fleetcast injects the seed into.
root=$tmp/root
mkdir -p "$root/etc" "$root/var/lib/cloud/seed/nocloud"
echo test-os >"$root/etc/hostname"
echo "fleetcast test OS: built by tests/qemu/make-test-os.sh, kernel $kver" >"$root/etc/fleetcast-test-os"
find "$root" -exec touch -h -d "@$epoch" {} +
root_mib=$((disk_mib - 1 - boot_mib))
E2FSPROGS_FAKE_TIME=$epoch mke2fs -q -F -t ext4 -L fc-test-root -d "$root" \
  -U 6c7e1d2a-0f3b-4c51-9a8e-f1ee7ca57001 -E root_owner=0:0,hash_seed=6c7e1d2a-0f3b-4c51-9a8e-f1ee7ca57002 \
  "$tmp/root.ext4" "${root_mib}M" >/dev/null
# mke2fs -d copies each file's ctime, which touch cannot set: set it here.
(cd "$root" && find . -mindepth 1 | sort | sed "s|^\.\(.*\)|sif \1 ctime @$epoch|") |
  E2FSPROGS_FAKE_TIME=$epoch debugfs -w -f - "$tmp/root.ext4" >/dev/null 2>&1

# The disk: MBR table and boot code, both partitions, then syslinux.
disk=$tmp/disk.img
truncate -s "${disk_mib}M" "$disk"
sfdisk --quiet "$disk" <<EOF
label: dos
label-id: 0x46435401
start=2048, size=$boot_sectors, type=e, bootable
start=$((2048 + boot_sectors)), type=83
EOF
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/boot.fat" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$tmp/root.ext4" of="$disk" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none
syslinux --install --offset $((2048 * 512)) "$disk"
mv "$disk" "$out"
echo "make-test-os.sh: $out: kernel $kver, $(grep ^insmod "$tmp/deps" | sort -u | wc -l) modules"
