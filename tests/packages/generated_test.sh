#!/usr/bin/env bash
# The man pages and bash completions the build generates from --help
# (packaging/make-man.sh, make-completion.sh) hold every subcommand and
# every option the programs have, and the completion offers the right words
# for a value: interface names, a fixed list, file names.
# Usage: tests/packages/generated_test.sh BUILD_DIR
set -euo pipefail
fail() { echo "generated_test.sh: error: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || fail "usage: generated_test.sh BUILD_DIR"
build=$(cd "$1" && pwd)

# Completes the command line $2... with program $1's completion; prints the words.
complete_line() {
  bash -c '. "$1"; shift; COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<<"$COMP_LINE"; [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "_${COMP_WORDS[0]//-/_}"; echo "${COMPREPLY[*]}"' \
    _ "$build/completions/$1" "${@:2}"
}

checked=0
for program in fleetcast-server fleetcast-client; do
  page=$(MANWIDTH=200 man -l -P cat "$build/man/$program.1.gz" 2>/dev/null) ||
    fail "man -l $build/man/$program.1.gz"
  mapfile -t subs < <("$build/$program" --help |
    awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
  [[ ${#subs[@]} -ge 3 ]] || fail "$program --help lists ${#subs[@]} subcommands"
  [[ " $(complete_line "$program" "$program" "") " == *" ${subs[*]} "* ]] ||
    fail "$program: completion of the subcommands: $(complete_line "$program" "$program" "")"
  for sub in "${subs[@]}"; do
    usage=$("$build/$program" "$sub" --help | sed -n 's/^Usage: [^ ]* //p')
    [[ $page == *"$program $usage"* ]] || fail "man $program: no section '$program $usage'"
    offered=" $(complete_line "$program" "$program" "$sub" --) "
    for option in $("$build/$program" "$sub" --help | grep -oE '^  (-h,)?--[a-z0-9-]+' |
      sed 's/^ *-h,//; s/^ *//'); do
      [[ $offered == *" $option "* ]] || fail "completion of '$program $sub --' lacks $option"
      grep -qF -- "$option" <<<"$page" || fail "man $program: $sub's $option is missing"
      checked=$((checked + 1))
    done
  done
done

expect() {
  local want=$1 got
  shift
  got=$(complete_line "$@")
  [[ $got == "$want" ]] || fail "completion of '${*:2}': '$got', not '$want'"
}
expect "lo" fleetcast-server fleetcast-server serve x.fcimg --interface l
expect "reboot" fleetcast-server fleetcast-server serve x.fcimg --on-release r
expect "start-now" fleetcast-server fleetcast-server ctl --http 10.0.0.5:8080 st
expect "--mtu" fleetcast-server fleetcast-server serve --mt
expect "receive" fleetcast-client fleetcast-client rec
expect "$build/completions/fleetcast-client" fleetcast-client fleetcast-client receive --target \
  "$build/completions/fleetcast-c"
expect "" fleetcast-server fleetcast-server serve --mtu 9
echo "generated_test.sh: $checked options in the man pages and completions; values complete"
