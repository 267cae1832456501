#!/usr/bin/env bash
# Builds all of fleetcast's boot media into one folder, from Debian packages
# only (linux-image-amd64, busybox-static, ipxe, dnsmasq, syslinux, grub,
# mtools):
#   vmlinuz, initrd.img   the installer: serve --boot-dir OUT hands them out
#   tftp/                 iPXE for PXE ROMs: undionly.kpxe (BIOS), snponly.efi
#                         and ipxe.efi (UEFI)
#   dnsmasq-proxy.conf    network boot beside the lab's own DHCP server
#   dnsmasq-full.conf     DHCP and network boot, for a LAN without DHCP
#   usb.img               a stick for BIOS and UEFI machines: dd it
# Both dnsmasq configurations are checked with `dnsmasq --test`.
#
# Usage: bootmedia/build.sh --out DIR --server ADDR[:PORT] [--http-port N]
#          [--interface IF] [--lan NET/PREFIX] [--range FIRST,LAST]
#          [--client BIN] [--cmdline "ARGS"] [--trust PUB]
#   --server     the fleetcast server as the nodes reach it (control port 7010);
#                written into usb.img's command line, and the iPXE address
#   --http-port  serve's --http port (8080): iPXE fetches /boot.ipxe there
#   --interface  the server's interface on the lab LAN, for dnsmasq (eth0)
#   --lan        the lab LAN for proxy DHCP (default: the server's /24)
#   --range      addresses for full DHCP (default: .100 to .199 of the /24)
#   --client     the initramfs client (build/fleetcast-client-initramfs)
#   --cmdline    kernel arguments for usb.img (default: VGA and serial consoles)
#   --trust      a public key (fleetcast-server keygen): the installer then
#                writes only images signed by it
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
me=build.sh
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

die() { echo "$me: error: $*" >&2; exit 1; }
usage() {
  echo "usage: $0 --out DIR --server ADDR[:PORT] [--http-port N] [--interface IF]" \
    "[--lan NET/PREFIX] [--range FIRST,LAST] [--client BIN] [--cmdline ARGS] [--trust PUB]" >&2
  exit 2
}

out='' server='' http_port=8080 iface=eth0 lan='' range='' cmdline='' trust=''
client=$repo/build/fleetcast-client-initramfs
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --out) out=$2 ;;
    --server) server=$2 ;;
    --http-port) http_port=$2 ;;
    --interface) iface=$2 ;;
    --lan) lan=$2 ;;
    --range) range=$2 ;;
    --client) client=$2 ;;
    --cmdline) cmdline=$2 ;;
    --trust) trust=$2 ;;
    *) usage ;;
  esac
  shift 2
done
[[ -n $out && -n $server ]] || usage
ip_re='^([0-9]{1,3}\.){3}[0-9]{1,3}$'
address=${server%:*}
port=${server##*:}
[[ $port == "$server" ]] && port=7010
[[ $address =~ $ip_re ]] || die "--server $server: not ADDR[:PORT] with an IPv4 address; e.g. 10.0.0.1:7010"
[[ $port =~ ^[0-9]+$ && $http_port =~ ^[0-9]+$ ]] || die "--server/--http-port: ports are numbers"
net24=${address%.*}
lan=${lan:-$net24.0/24}
range=${range:-$net24.100,$net24.199}
[[ ${lan%/*} =~ $ip_re ]] || die "--lan $lan: not NET/PREFIX; e.g. 10.0.0.0/24"
cmdline=${cmdline:-console=tty0 console=ttyS0,115200n8}
for tool in dnsmasq mcopy syslinux grub-mkstandalone; do
  command -v "$tool" >/dev/null || die "$tool: not installed; run scripts/deps.sh"
done
[[ -f /usr/lib/ipxe/undionly.kpxe ]] || die "/usr/lib/ipxe: no iPXE; install ipxe (scripts/deps.sh)"
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[[ -n $kernel ]] || die "/boot: no kernel; install linux-image-amd64 (scripts/deps.sh)"
kver=${kernel#/boot/vmlinuz-}

mkdir -p "$out/tftp"
out=$(cd "$out" && pwd)
echo "$me: kernel $kver"
cp "$kernel" "$out/vmlinuz"
"$here/make-initramfs.sh" --client "$client" --out "$out/initrd.img" --kernel-version "$kver" \
  ${trust:+--trust "$trust"}

# iPXE for machines whose ROM is plain PXE. Proxy DHCP's boot menu makes the
# ROM ask for BASENAME.0: both names are there.
for f in undionly.kpxe snponly.efi ipxe.efi; do cp "/usr/lib/ipxe/$f" "$out/tftp/$f"; done
cp "$out/tftp/undionly.kpxe" "$out/tftp/undionly.kpxe.0"

boot_url="http://$address:$http_port/boot.ipxe"
common="# Written by fleetcast bootmedia/build.sh. Network boot for fleetcast:
# PXE ROMs get iPXE over TFTP; iPXE (also qemu's and many NICs' own ROM)
# fetches its script from the fleetcast server: $boot_url
port=0
interface=$iface
bind-interfaces
log-dhcp
enable-tftp
tftp-root=$out/tftp
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:ipxe,175
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9"

cat >"$out/dnsmasq-proxy.conf" <<EOF
$common
# Proxy DHCP: the lab's DHCP server hands out addresses; this only adds the
# boot information.
dhcp-range=${lan%/*},proxy
dhcp-no-override
pxe-prompt=tag:!ipxe,"fleetcast network boot",0
pxe-service=tag:!ipxe,x86PC,"fleetcast installer",undionly.kpxe
pxe-service=tag:!ipxe,X86-64_EFI,"fleetcast installer",snponly.efi
pxe-service=tag:!ipxe,BC_EFI,"fleetcast installer",snponly.efi
# iPXE takes its script from the boot service, not from a menu prompt.
pxe-service=tag:ipxe,x86PC,"fleetcast installer",$boot_url
pxe-service=tag:ipxe,X86-64_EFI,"fleetcast installer",$boot_url
pxe-service=tag:ipxe,BC_EFI,"fleetcast installer",$boot_url
dhcp-boot=tag:ipxe,$boot_url
EOF

cat >"$out/dnsmasq-full.conf" <<EOF
$common
# Full DHCP: this LAN has no other DHCP server.
dhcp-range=$range,12h
no-ping
dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe
dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi
dhcp-boot=tag:ipxe,$boot_url
# iPXE need not wait for proxy DHCP offers (option 175.176: no-pxedhcp).
dhcp-option=tag:ipxe,encap:175,176,1b
EOF
for conf in proxy full; do
  dnsmasq --test --conf-file="$out/dnsmasq-$conf.conf" 2>&1 | grep -q 'syntax check OK' ||
    die "$out/dnsmasq-$conf.conf: dnsmasq --test refused it: $(dnsmasq --test --conf-file="$out/dnsmasq-$conf.conf" 2>&1)"
done

"$here/make-usb.sh" --kernel "$out/vmlinuz" --initrd "$out/initrd.img" \
  --cmdline "$cmdline fleetcast.server=$address:$port" --out "$out/usb.img"

echo "$me: boot media in $out:"
echo "  serve:  fleetcast-server serve IMG --interface $iface --http $address:$http_port --boot-dir $out ..."
echo "  PXE:    dnsmasq --conf-file=$out/dnsmasq-proxy.conf (beside the lab's DHCP)"
echo "          dnsmasq --conf-file=$out/dnsmasq-full.conf  (no other DHCP on the LAN)"
echo "  USB:    dd if=$out/usb.img of=/dev/sdX bs=4M conv=fsync"
