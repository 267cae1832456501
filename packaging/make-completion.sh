#!/usr/bin/env bash
# Writes PROGRAM's bash completion from its own --help: the subcommands, each
# one's options, and a word for an option's value where its kind is known
# (interface names, folders, files, a fixed list); a positional whose help is
# "a | b | c" completes to those words, any other to file names. Generated at
# build time, so it never falls behind the options.
# Usage: packaging/make-completion.sh PROGRAM OUT
set -euo pipefail
die() { echo "make-completion.sh: error: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: make-completion.sh PROGRAM OUT"
program=$1 out=$2
[[ -x $program ]] || die "$program: not an executable; build it first"
name=$(basename "$program")
function_name=_${name//-/_}

mapfile -t subcommands < <("$program" --help |
  awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} /^$/ {on = 0}')
[[ ${#subcommands[@]} -gt 0 ]] || die "$name --help lists no subcommands"

# One subcommand's help -> three lines: its options, those of them that take
# a value, and its positionals' word lists ("" for file names), |-separated.
describe() {
  awk '
    /^Positionals:/ {section = "p"; next}
    /^Options:/ {section = "o"; next}
    /^[^ ]/ {section = ""}
    section == "o" && /^  -/ {
      spec = $1; sub(/^-h,/, "", spec)
      options = options " " spec
      if ($2 ~ /^[A-Z]+([:=].*)?$/ && $2 !~ /:$/) valued = valued " " spec
    }
    section == "p" && /^  [A-Z]/ {
      line = $0; sub(/^  [^ ]+ [A-Z]+( REQUIRED)? +/, "", line)
      words = (line ~ /^[a-z-]+( \| [a-z-]+)+$/) ? line : ""
      gsub(/ \| /, " ", words)
      positionals = positionals "|" words
    }
    END {print substr(options, 2); print substr(valued, 2); print substr(positionals, 2)}'
}

cases_options="" cases_valued="" cases_positionals=""
for sub in "${subcommands[@]}"; do
  { read -r options; read -r valued; read -r positionals; } < <("$program" "$sub" --help | describe)
  [[ -n $options ]] || die "$name $sub --help lists no options"
  cases_options+="    $sub) options=\"$options\" valued=\" $valued \" positionals=\"$positionals\" ;;"$'\n'
done

mkdir -p "$(dirname "$out")"
cat >"$out" <<SCRIPT
# bash completion for $name, generated from its --help by
# packaging/make-completion.sh.
$function_name() {
  # The line split at blanks only: COMP_WORDS splits HOST:PORT at the colon.
  local line=\${COMP_LINE:0:COMP_POINT} words
  read -r -a words <<<"\$line"
  [[ -z \$line || \$line == *[[:space:]] ]] && words+=("")
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${words[\${#words[@]} - 2]} last=\$((\${#words[@]} - 1))
  local subcommands="${subcommands[*]}" sub="" i
  for ((i = 1; i < last; i++)); do
    [[ " \$subcommands " == *" \${words[i]} "* ]] && { sub=\${words[i]}; break; }
  done
  if [[ -z \$sub ]]; then
    mapfile -t COMPREPLY < <(compgen -W "\$subcommands --help --version" -- "\$cur")
    return
  fi
  local options valued positionals
  case \$sub in
$cases_options  esac
  if [[ \$valued == *" \$prev "* ]]; then
    case \$prev in
      --interface) mapfile -t COMPREPLY < <(compgen -W "\$(ls /sys/class/net 2>/dev/null)" -- "\$cur") ;;
      --on-release) mapfile -t COMPREPLY < <(compgen -W "exit reboot poweroff" -- "\$cur") ;;
      --boot-dir | --answers | --answers-out | --sysfs)
        mapfile -t COMPREPLY < <(compgen -d -- "\$cur") ;;
      --target | --nodes | --secrets | --image | --key | --sign | --trust | --state | --out)
        mapfile -t COMPREPLY < <(compgen -f -- "\$cur") ;;
      *) COMPREPLY=() ;;
    esac
    return
  fi
  if [[ \$cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "\$options" -- "\$cur")
    return
  fi
  # Which positional this word is: the words after the subcommand that are
  # neither options nor their values.
  local n=0 word
  for ((i = i + 1; i < last; i++)); do
    word=\${words[i]}
    if [[ \$word == -* ]]; then
      [[ \$valued == *" \$word "* ]] && ((i++))
    else
      ((n++))
    fi
  done
  local -a lists
  IFS='|' read -r -a lists <<<"\$positionals"
  if [[ -n \${lists[n]:-} ]]; then
    mapfile -t COMPREPLY < <(compgen -W "\${lists[n]}" -- "\$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "\$cur")
  fi
}
complete -o filenames -F $function_name $name
SCRIPT
bash -n "$out" || die "$out: not valid bash"
