#!/usr/bin/env bash
# Builds the .deb packages (cpack) and installs them with apt into a fresh
# Debian root of this machine's release, taking their dependencies from the
# mirror this machine's apt uses; then, inside that root, checks the programs
# run (--version, --help), the man pages, the bash completion, the service
# unit (systemd-analyze verify and security) and that purging removes them.
# The root comes from debootstrap --variant=minbase, made once and kept as a
# tarball in out/packages-test/ (delete it to make a new one). Root; network.
# Usage: tests/packages/install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
die() { echo "install_test.sh: error: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: install_test.sh SOURCE_DIR BUILD_DIR"
source_dir=$(cd "$1" && pwd) build_dir=$(cd "$2" && pwd)
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
for tool in cpack debootstrap dpkg-deb unshare chroot lintian; do
  command -v "$tool" >/dev/null || die "$tool: not found; run scripts/deps.sh"
done

. /etc/os-release
suite=$VERSION_CODENAME
cache_dir=$source_dir/out/packages-test
root_tarball=$cache_dir/$suite-minbase-systemd.tar
work=$build_dir/packages-test
root=$work/root

cleanup() {
  # The mounts live in the namespace of `unshare` below and end with it; this
  # only makes sure none is left before the root goes.
  if findmnt --list --noheadings --output TARGET | grep -q "^$root/"; then
    umount --recursive "$root/proc" 2>/dev/null || true
  fi
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
host_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '/^deb / && $2 ~ /debian\/?$/ {print $2; exit}' \
    /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# The packages, and what they declare.
rm -rf "$work" && mkdir -p "$work/debs"
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 ||
  { tail -20 "$work/cpack.log"; die "cpack failed (log above)"; }
version=$("$build_dir/fleetcast-server" --version)
version=${version##* }
for program in fleetcast-server fleetcast-client; do
  deb=$(echo "$work/cpack/${program}_${version}-1_"*.deb)
  [[ -f $deb ]] || die "cpack wrote no $program $version package: $(ls "$work/cpack")"
  cp "$deb" "$work/debs/"
  [[ $(dpkg-deb -f "$deb" Package) == "$program" ]] || die "$deb: wrong Package field"
  depends=$(dpkg-deb -f "$deb" Depends)
  for lib in libc6 libsodium23 libzstd1 libisal2 libspdlog; do
    [[ $depends == *"$lib"* ]] || die "$deb: Depends lacks $lib: $depends"
  done
done
server_deb=$(echo "$work/debs/fleetcast-server_"*.deb)
[[ $(dpkg-deb -f "$server_deb" Depends) == *libsqlite3-0* ]] || die "server: Depends lacks libsqlite3-0"
conffiles=$(dpkg-deb --ctrl-tarfile "$server_deb" | tar -xO ./conffiles)
[[ $conffiles == /etc/default/fleetcast-server ]] ||
  die "$server_deb: conffiles is '$conffiles', not /etc/default/fleetcast-server"
# Debian's own checks: no error or warning (packaging/lintian/ overrides
# the few that do not apply, each saying why).
lintian --fail-on error,warning --tag-display-limit 0 "$work"/debs/*.deb >"$work/lintian.log" 2>&1 ||
  { grep -v 'root privileges' "$work/lintian.log"; die "lintian found problems (above)"; }

# A fresh root: the cached minbase, with systemd (for systemd-analyze), man-db
# and bash-completion, none of which the packages depend on.
mirror=$(host_mirror)
if [[ ! -f $root_tarball ]]; then
  echo "install_test.sh: debootstrap $suite from $mirror (once; kept in $root_tarball)"
  mkdir -p "$cache_dir" && rm -rf "$cache_dir/bootstrap"
  # In a mount namespace of its own: the /proc and /sys it mounts in the
  # root end with it, even when it is stopped halfway.
  timeout 1200 unshare --mount --propagation private -- debootstrap --variant=minbase \
    --include=systemd,man-db,bash-completion "$suite" "$cache_dir/bootstrap" "$mirror" \
    >"$cache_dir/debootstrap.log" 2>&1 ||
    { tail -20 "$cache_dir/debootstrap.log"; rm -rf --one-file-system "$cache_dir/bootstrap"
      die "debootstrap $suite $mirror failed (log above); is the mirror reachable?"; }
  tar -C "$cache_dir/bootstrap" -cf "$root_tarball.partial" . && mv "$root_tarball.partial" "$root_tarball"
  rm -rf --one-file-system "$cache_dir/bootstrap"
fi
mkdir -p "$root" && tar -C "$root" -xf "$root_tarball"
# The host's Debian sources (its mirror, updates and security), its resolver.
rm -f "$root/etc/apt/sources.list"
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
else
  echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp "$work"/debs/*.deb "$root/tmp/"
install -m 0755 "$source_dir/tests/packages/in_root_checks.sh" "$root/tmp/in_root_checks.sh"

# Inside the root, in a mount namespace of its own: /proc mounted there is
# gone when it exits, whatever happens.
unshare --mount --propagation private -- bash -c '
  set -e
  mount -t proc proc "$1/proc"
  status=0
  chroot "$1" /tmp/in_root_checks.sh "$2" || status=$?
  umount "$1/proc"
  exit $status' _ "$root" "$version" ||
  die "the checks inside the fresh root failed (above)"
echo "install_test.sh: fleetcast-server and fleetcast-client $version installed, run and purged in a fresh $suite root"
