#!/usr/bin/env bash
# Makes a disk image to dd onto a USB stick that boots a kernel and initrd on
# both BIOS and UEFI machines, without mounting anything or loop devices:
#   - MBR with syslinux's mbr.bin boot code and one active FAT partition at
#     1 MiB to the end: FAT16 (type 0x0e) in images up to 36 MiB, else FAT32
#     (type 0x0c);
#   - /fleetcast/vmlinuz and /fleetcast/initrd.img in it;
#   - BIOS: syslinux in the partition, /syslinux/syslinux.cfg;
#   - UEFI: /EFI/BOOT/BOOTX64.EFI, a grub-mkstandalone image whose embedded
#     grub.cfg finds the partition by its volume serial number.
# Both boot at once (no menu, no prompt) with the same command line, passed
# as is: for a serial console put console= in it, e.g. "console=tty0
# console=ttyS0,115200n8 ..." (the last console= gets /dev/console, so the
# init's output). syslinux itself talks on the first serial port at 115200
# baud; give ttyS0 that speed too, or the kernel switches it to 9600.
# Quotes, backslashes and control characters in it are refused: the configs
# cannot carry them. UEFI Secure Boot must be off (BOOTX64.EFI is unsigned).
# The default size is the files plus about 12% and 4 MiB, rounded up to 4 MiB.
# Usage: bootmedia/make-usb.sh --kernel VMLINUZ --initrd INITRD
#          --cmdline "ARGS" --out usb.img [--size-mib N]
# Then: dd if=usb.img of=/dev/sdX bs=4M conv=fsync
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin  # sfdisk
export LC_ALL=C MTOOLS_SKIP_CHECK=1

die() { echo "make-usb.sh: error: $*" >&2; exit 1; }
usage() {
  echo "usage: make-usb.sh --kernel VMLINUZ --initrd INITRD --cmdline \"ARGS\" --out usb.img [--size-mib N]" >&2
  exit 2
}

kernel="" initrd="" cmdline="" have_cmdline=0 out="" size_mib=""
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --kernel) kernel=$2 ;;
    --initrd) initrd=$2 ;;
    --cmdline) cmdline=$2 have_cmdline=1 ;;
    --out) out=$2 ;;
    --size-mib) size_mib=$2 ;;
    *) usage ;;
  esac
  shift 2
done

for what in kernel initrd; do
  file=${!what} hint="pass the $what from the boot media build"
  [[ -n $file ]] || die "--$what is missing; $hint"
  [[ -f $file ]] || die "--$what $file: no such file; $hint"
done
[[ $(dd if="$kernel" bs=1 skip=514 count=4 status=none) == HdrS ]] ||
  die "--kernel $kernel: not a Linux bzImage (no HdrS header); pass the kernel from the boot media build"
[[ $have_cmdline -eq 1 ]] || die "--cmdline is missing; give \"\" for none, or e.g. \"console=ttyS0 fleetcast.server=...\""
case $cmdline in
  *$'\n'* | *$'\r'*) die "--cmdline holds a line break; it must be one line" ;;
  *\"* | *\'* | *\\*) die "--cmdline holds a quote or backslash, which syslinux.cfg and grub.cfg cannot carry" ;;
  *[![:print:]]*) die "--cmdline holds a tab, control or non-ASCII character; use printable ASCII and spaces" ;;
esac
[[ ${#cmdline} -le 1900 ]] || die "--cmdline is ${#cmdline} bytes; the kernel takes at most 2047 with the loaders' additions"
[[ -n $out ]] || die "--out is missing; name the image to write, e.g. --out usb.img"
[[ -d $(dirname "$out") ]] || die "--out $out: no such directory"
[[ ! -d $out ]] || die "--out $out: is a directory; name the image file, e.g. $out/usb.img"
[[ -z $size_mib || $size_mib =~ ^[0-9]+$ ]] || die "--size-mib $size_mib: not a whole number of MiB"
for tool in sfdisk mformat mmd mcopy syslinux grub-mkstandalone; do
  command -v "$tool" >/dev/null || die "$tool not found; apt-get install fdisk mtools syslinux grub-common grub-efi-amd64-bin"
done
mbr=/usr/lib/syslinux/mbr/mbr.bin
[[ -f $mbr ]] || die "$mbr not found; apt-get install syslinux-common"
[[ -d /usr/lib/grub/x86_64-efi ]] || die "/usr/lib/grub/x86_64-efi not found; apt-get install grub-efi-amd64-bin"

tmp=$(mktemp -d)
part="$out.partial-$$"
trap 'rm -rf "$tmp" "$part"' EXIT

# The configs. The volume serial (random) lets grub find this very partition;
# all_video and gfxpayload=keep hand the firmware's framebuffer to the kernel
# (without them the screen stays dark under UEFI).
serial=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cat >"$tmp/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT fleetcast
PROMPT 0
TIMEOUT 0
LABEL fleetcast
  LINUX /fleetcast/vmlinuz
  INITRD /fleetcast/initrd.img
  APPEND $cmdline
EOF
read -ra args <<<"$cmdline"
words=""
for w in "${args[@]}"; do words+=" '$w'"; done  # one grub word each, taken literally
cat >"$tmp/grub.cfg" <<EOF
set default=0
set timeout=0
insmod all_video
set gfxpayload=keep
search --no-floppy --fs-uuid --set=root ${serial:0:4}-${serial:4:4}
menuentry fleetcast {
  linux /fleetcast/vmlinuz$words
  initrd /fleetcast/initrd.img
}
EOF
grub-mkstandalone -O x86_64-efi -o "$tmp/BOOTX64.EFI" --locales= --fonts= --themes= \
  --modules="part_msdos fat" \
  --install-modules="normal linux search search_fs_uuid part_msdos fat echo all_video" \
  "boot/grub/grub.cfg=$tmp/grub.cfg"

# Size: the files plus FAT tables and slack, or --size-mib if they fit.
bytes=$(($(stat -L -c %s "$kernel" "$initrd" "$tmp/BOOTX64.EFI" | paste -sd+)))
kib=$((bytes / 1024 + 384))  # + ldlinux.sys, ldlinux.c32, configs, directories
need_mib=$(((kib * 103 / 100 + 1023) / 1024 + 2))
if [[ -z $size_mib ]]; then
  size_mib=$(((kib * 9 / 8 + 1023) / 1024 + 4))
  size_mib=$(((size_mib + 3) / 4 * 4))
fi
[[ $size_mib -ge 8 && $size_mib -ge $need_mib ]] ||
  die "--size-mib $size_mib: too small; the files need at least $(( need_mib > 8 ? need_mib : 8 )) MiB"
sectors=$(((size_mib - 1) * 2048))
if [[ $size_mib -le 36 ]]; then type=0e fat=(); else type=0c fat=(-F); fi

# The disk: MBR, one active partition at 1 MiB, syslinux's boot code.
truncate -s "${size_mib}M" "$part"
echo "start=2048, size=$sectors, type=$type, bootable" |
  sfdisk --quiet --label dos --no-reread --no-tell-kernel "$part"
dd if="$mbr" of="$part" conv=notrunc status=none

# The file system, written through mtools at the partition's offset.
fs="$part@@1M"
mformat -i "$fs" "${fat[@]}" -T "$sectors" -H 2048 -h 255 -s 63 -v FLEETCAST -N "$serial" ::
mmd -i "$fs" ::/fleetcast ::/syslinux ::/EFI ::/EFI/BOOT
mcopy -i "$fs" "$kernel" ::/fleetcast/vmlinuz
mcopy -i "$fs" "$initrd" ::/fleetcast/initrd.img
mcopy -i "$fs" "$tmp/syslinux.cfg" ::/syslinux/syslinux.cfg
mcopy -i "$fs" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
syslinux --install --offset 1048576 --directory /syslinux "$part"

mv "$part" "$out"
echo "$out: $size_mib MiB, MBR + FAT$([[ $type == 0c ]] && echo 32 || echo 16) (serial" \
  "${serial:0:4}-${serial:4:4}) at 1 MiB, syslinux (BIOS) + grub BOOTX64.EFI (UEFI), cmdline: $cmdline"
