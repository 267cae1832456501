#!/bin/bash
# Run by install_test.sh inside a fresh Debian root (chroot, /proc mounted)
# holding fleetcast-*.deb in /tmp: installs them with apt, checks what they
# installed works, then purges them.
# Usage: /tmp/in_root_checks.sh VERSION
set -euo pipefail
version=$1
fail() { echo "in_root_checks.sh: error: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
apt_get() { timeout 900 apt-get -o Dpkg::Use-Pty=0 -q "$@"; }

apt_get update >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; fail "apt-get update"; }
apt_get install -y /tmp/fleetcast-server_*.deb /tmp/fleetcast-client_*.deb >/tmp/apt.log 2>&1 ||
  { tail -30 /tmp/apt.log; fail "apt-get install of the packages"; }
echo "in_root_checks.sh: installed with what they depend on:" \
  "$(awk '/^Setting up/ {sub(/:amd64/, "", $3); printf "%s ", $3}' /tmp/apt.log)"

for program in fleetcast-server fleetcast-client; do
  out=$("$program" --version) || fail "$program --version exited $?"
  [[ $out == "$program $version" ]] || fail "$program --version: '$out', not '$program $version'"
  help=$("$program" --help) || fail "$program --help exited $?"
  [[ $help == *"Usage: $program [OPTIONS] SUBCOMMAND"* ]] || fail "$program --help: $help"
  # The man page, found by man and rendered, with a section per subcommand.
  [[ $(man -w "$program") == "/usr/share/man/man1/$program.1.gz" ]] || fail "man -w $program"
  page=$(MANWIDTH=100 man -P cat "$program" 2>/dev/null)
  [[ $page == *"$program $version"* ]] || fail "man $program: no version line"
  # The completion, as bash-completion loads it: the subcommands.
  words=$(bash -c '. /usr/share/bash-completion/completions/$1
    COMP_LINE="$1 "; COMP_POINT=${#COMP_LINE}; COMP_WORDS=("$1" ""); COMP_CWORD=1
    _${1//-/_}; echo "${COMPREPLY[*]}"' _ "$program")
  echo "in_root_checks.sh: $program $version: --help, man page, completion: $words"
done
server_page=$(MANWIDTH=200 man -P cat fleetcast-server 2>/dev/null)
[[ $server_page == *"fleetcast-server serve [OPTIONS] IMG"* ]] || fail "man fleetcast-server: no serve"
[[ $server_page == *"/etc/default/fleetcast-server"* ]] || fail "man fleetcast-server: no FILES"
client_page=$(MANWIDTH=200 man -P cat fleetcast-client 2>/dev/null)
[[ $client_page == *"fleetcast-client receive [OPTIONS]"* ]] || fail "man fleetcast-client: no receive"
words=$(bash -c '. /usr/share/bash-completion/completions/fleetcast-server
  COMP_LINE="fleetcast-server serve lab.fcimg --on-release r"; COMP_POINT=${#COMP_LINE}
  COMP_WORDS=(fleetcast-server serve lab.fcimg --on-release r); COMP_CWORD=4
  _fleetcast_server; echo "${COMPREPLY[*]}"')
[[ $words == reboot ]] || fail "completion of serve --on-release r: '$words', not 'reboot'"

# The service: a valid unit, and how exposed it is.
unit=/lib/systemd/system/fleetcast-server.service
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify $unit: $verify"
security=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1) ||
  fail "systemd-analyze security $unit: $security"
echo "in_root_checks.sh: systemd-analyze verify: clean; security:" \
  "$(grep 'Overall exposure level' <<<"$security")"
dpkg-query -W -f='${Conffiles}\n' fleetcast-server | grep -q '/etc/default/fleetcast-server' ||
  fail "/etc/default/fleetcast-server is not a conffile"
[[ -f /usr/lib/sysctl.d/60-fleetcast-server.conf ]] || fail "no sysctl.d file"

apt_get purge -y fleetcast-server fleetcast-client >/tmp/purge.log 2>&1 ||
  { tail -20 /tmp/purge.log; fail "apt-get purge"; }
for gone in /usr/bin/fleetcast-server /usr/bin/fleetcast-client /etc/default/fleetcast-server \
  "$unit" /usr/share/man/man1/fleetcast-server.1.gz; do
  [[ ! -e $gone ]] || fail "$gone is left after purge"
done
echo "in_root_checks.sh: purged"
