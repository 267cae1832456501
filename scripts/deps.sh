#!/usr/bin/env bash
# Installs every build, test and demo dependency of fleetcast from Debian
# packages. Idempotent: silent when everything is already present.
set -euo pipefail

packages=(
  # toolchain and checks
  build-essential cmake pkg-config clang clang-format clang-tidy
  libclang-rt-14-dev
  # libraries
  libboost-dev libzstd-dev libxxhash-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libtomlplusplus-dev
  libisal-dev libsodium-dev libssl-dev libsqlite3-dev nlohmann-json3-dev
  ntfs-3g-dev libext2fs-dev libhivex-dev
  # tools the demo, tests and benchmarks run
  zstd fdisk e2fsprogs util-linux coreutils iproute2 nftables partclone
  ntfs-3g libhivex-bin
  # bench/netcheck_bench.sh: the UDP figure it sets beside netcheck's
  iperf3
  # the .deb packages (cpack, dpkg-shlibdeps, help2man), their install test and lintian
  dpkg-dev help2man man-db debootstrap lintian
  # the status page's browser test
  chromium chromium-driver python3-selenium
  # boot media (bootmedia/) and the machines that boot it (qemu tests)
  linux-image-amd64 busybox-static ipxe dnsmasq-base syslinux syslinux-common
  mtools dosfstools grub-efi-amd64-bin grub-common cpio kmod
  qemu-system-x86 ipxe-qemu ovmf
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: error: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
