#!/usr/bin/env bash
# Writes PROGRAM's man page, gzipped, from its own --help and --version
# (help2man), with a COMMANDS section holding each subcommand's --help as
# roff, and the hand-written sections of EXTRA.h2m (FILES, SEE ALSO, ...).
# Usage: packaging/make-man.sh PROGRAM EXTRA.h2m OUT.1.gz
set -euo pipefail
die() { echo "make-man.sh: error: $*" >&2; exit 1; }
[[ $# -eq 3 ]] || die "usage: make-man.sh PROGRAM EXTRA.h2m OUT.1.gz"
program=$1 extra=$2 out=$3
[[ -x $program ]] || die "$program: not an executable; build it first"
name=$(basename "$program")
# Run by its name on PATH, so the synopsis says "fleetcast-server", not the
# build folder's path.
export PATH="$(cd "$(dirname "$program")" && pwd):$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The subcommands: the first word of each line under "Subcommands:".
mapfile -t subcommands < <("$name" --help |
  awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} /^$/ {on = 0}')
[[ ${#subcommands[@]} -gt 0 ]] || die "$name --help lists no subcommands"

# CLI11's help of one subcommand -> roff: its synopsis as a subsection, the
# description, then each positional and option as a tagged paragraph.
to_roff() {
  perl -e '
    my ($name) = @ARGV;
    sub esc { my $t = shift; $t =~ s/\\/\\e/g; $t =~ s/-/\\-/g; $t =~ s/^([.\x27])/\\&$1/; $t }
    sub item { my ($t, $d) = @_; print ".TP\n\\fB", esc($t), "\\fR\n", esc($d), "\n" }
    my @lines = map { chomp; $_ } <STDIN>;
    my $description = shift @lines;
    my ($usage) = map { /^Usage: \S+ (.*)$/ ? $1 : () } @lines;
    print ".SS \"", esc("$name $usage"), "\"\n", esc($description), "\n";
    my $term;
    for (@lines) {
      if (/^(Positionals|Options):$/) { next }
      if (/^  (\S.*?)\s{2,}(\S.*)$/ && !/^\s{4,}/) { item($1, $2); next }
      if (/^  (\S.*)$/ && !/^\s{4,}/) { $term = $1; next }
      if (defined $term && /^\s+(\S.*)$/) { item($term, $1); undef $term }
    }' "$name"
}

{
  echo "[COMMANDS]"
  echo "Each subcommand's options (also: $name SUBCOMMAND \\-\\-help)."
  for sub in "${subcommands[@]}"; do
    "$name" "$sub" --help | to_roff
  done
  cat "$extra"
} >"$work/include.h2m"

summary=$("$name" --help | head -1)
help2man --no-info --section 1 --name "${summary#"$name": }" --include "$work/include.h2m" \
  --output "$work/$name.1" "$name" || die "help2man failed on $name"
grep -q '^\.SS' "$work/$name.1" || die "$name.1: no subcommand sections written"
mkdir -p "$(dirname "$out")"
gzip -9n <"$work/$name.1" >"$out"
