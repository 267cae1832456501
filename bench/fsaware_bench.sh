#!/usr/bin/env bash
# Filesystem-aware packing (issue 10, item 1): stored bytes and pack time of
# the realistic disk (scripts/make-disk-image.sh, seed 1: MBR + ext4) and of a
# "used" copy of it whose free blocks hold a deleted file (written with
# debugfs, then removed: its blocks keep their bytes, as on any used disk),
# against partclone.ext4 + zstd -3 (Clonezilla's way: used blocks only) and
# plain zstd -3 of the whole disk; then a full loopback deployment (1
# receiver, --rate 1g) of each image packed filesystem-aware and with
# --keep-free. Every number is the median wall time of BENCH_RUNS runs (3).
# Checks: unpack of the aware image passes e2fsck -fn; the deployed disk is
# byte-identical to unpack's output.
# Prints markdown tables and writes them into bench/RESULTS.md between
# <!-- fsaware-bench:begin --> and <!-- fsaware-bench:end -->.
# Usage: bench/fsaware_bench.sh [BUILD_DIR]   (default build; work files in
#        $BENCH_WORK, default out/bench-fsaware, about 4 GiB; BENCH_SIZE_MIB
#        (512) and BENCH_RUNS shrink a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${BENCH_WORK:-out/bench-fsaware}
size_mib=${BENCH_SIZE_MIB:-512} runs=${BENCH_RUNS:-3}
results=bench/RESULTS.md
server=$build/fleetcast-server client=$build/fleetcast-client
PATH=$PATH:/usr/sbin:/sbin
bench=fsaware_bench
source bench/lib.sh
need_fleetcast "$build"
command -v partclone.ext4 >/dev/null || die "partclone.ext4 missing; run scripts/deps.sh"
mkdir -p "$work"
part_offset=$((1024 * 1024)) # make-disk-image.sh: one partition from 1 MiB to the end

step() { printf '\n== %s\n' "$*" >&2; }

step "images (${size_mib} MiB)"
[[ -f $work/realistic.raw ]] || scripts/make-disk-image.sh "$work/realistic.raw" "$size_mib" --seed 1 >&2
if [[ ! -f $work/used.raw ]]; then
  # The deleted file: 60% of the free space, cut from the disk's own used
  # bytes (so it compresses like real data), written then removed.
  cp "$work/realistic.raw" "$work/used.raw.part"
  dd if="$work/used.raw.part" of="$work/ext.part" bs=1M skip=1 status=none
  free_blocks=$(dumpe2fs -h "$work/ext.part" 2>/dev/null | awk -F: '/^Free blocks/ { print $2 + 0 }')
  block=$(dumpe2fs -h "$work/ext.part" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
  head -c $((free_blocks * block * 6 / 10)) <(tail -c +$((part_offset + 1)) "$work/realistic.raw") >"$work/deleted.bin"
  debugfs -w -R "write $work/deleted.bin /deleted.bin" "$work/ext.part" >/dev/null 2>&1
  debugfs -w -R "rm /deleted.bin" "$work/ext.part" >/dev/null 2>&1
  e2fsck -fn "$work/ext.part" >/dev/null || die "the used image's ext4 does not pass e2fsck"
  dd if="$work/ext.part" of="$work/used.raw.part" bs=1M seek=1 conv=notrunc status=none
  rm -f "$work/deleted.bin" "$work/ext.part"
  mv "$work/used.raw.part" "$work/used.raw"
fi

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# time_of CMD...: median wall seconds of $runs runs (output thrown away).
time_of() {
  local i t0 t1
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; die "failed: $*"; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done | median
}
size_of() { stat -c %s "$1"; }
mib() { LC_ALL=C printf '%.1f' "$(echo "$1 / 1048576" | bc -l)"; }
sec() { LC_ALL=C printf '%.2f' "$1"; }

fc_pack() { rm -f "$2"; "$server" pack "$1" "$2" "${@:3}"; }
pc_pack() { # partclone.ext4 of the partition + zstd, plus the first MiB (table) as Clonezilla saves it
  dd if="$1" of="$2.mbr" bs=1M count=1 status=none
  partclone.ext4 -q -c -s "$3" -o - | zstd -3 -T0 -q -f -o "$2"
}
z_pack() { zstd -3 -T0 -q -f -o "$2" "$1"; }

pack_rows="" deploy_rows=""
for name in realistic used; do
  src=$work/$name.raw
  step "$name: pack"
  t_aware=$(time_of fc_pack "$src" "$work/$name.fcimg")
  t_keep=$(time_of fc_pack "$src" "$work/$name.keep.fcimg" --keep-free)
  dd if="$src" of="$work/$name.ext.part" bs=1M skip=1 status=none # untimed: Clonezilla reads the device
  t_pc=$(time_of pc_pack "$src" "$work/$name.pc.zst" "$work/$name.ext.part")
  t_z=$(time_of z_pack "$src" "$work/$name.zst")
  s_aware=$(size_of "$work/$name.fcimg") s_keep=$(size_of "$work/$name.keep.fcimg")
  s_pc=$(($(size_of "$work/$name.pc.zst") + $(size_of "$work/$name.pc.zst.mbr")))
  s_z=$(size_of "$work/$name.zst")
  chunks() { "$server" info --json "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["stored_chunks"], "of", j["chunk_count"])'; }
  pack_rows+="| $name | fleetcast pack (filesystem-aware) | $(mib "$s_aware") | $(sec "$t_aware") | $(chunks "$work/$name.fcimg") |"$'\n'
  pack_rows+="| $name | fleetcast pack --keep-free | $(mib "$s_keep") | $(sec "$t_keep") | $(chunks "$work/$name.keep.fcimg") |"$'\n'
  pack_rows+="| $name | partclone.ext4 + zstd -3 | $(mib "$s_pc") | $(sec "$t_pc") | - |"$'\n'
  pack_rows+="| $name | zstd -3 -T0 (whole disk) | $(mib "$s_z") | $(sec "$t_z") | - |"$'\n'
  rm -f "$work/$name.ext.part"

  step "$name: unpack checks"
  rm -f "$work/$name.unpacked"
  "$server" unpack "$work/$name.fcimg" "$work/$name.unpacked" >/dev/null
  dd if="$work/$name.unpacked" of="$work/$name.check.part" bs=1M skip=1 status=none
  e2fsck -fn "$work/$name.check.part" >/dev/null || die "$name: unpacked ext4 fails e2fsck -fn"
  rm -f "$work/$name.check.part"
  want=$(sha256sum <"$work/$name.unpacked" | cut -d' ' -f1)

  for kind in aware keep; do
    img=$work/$name.fcimg
    [[ $kind == keep ]] && img=$work/$name.keep.fcimg && want=$(sha256sum <"$src" | cut -d' ' -f1)
    step "$name: deploy ($kind)"
    deploy() {
      rm -f "$work/node.raw"
      "$server" serve "$img" --interface lo --min-clients 1 --max-wait 60 --rate 1g --port 7589 --http 127.0.0.1:0 \
        >"$work/serve.log" 2>&1 &
      local spid=$!
      "$client" receive --server 127.0.0.1:7589 --target "$work/node.raw" --node-id bench1 \
        >"$work/client.log" 2>&1 || { kill "$spid"; return 1; }
      wait "$spid"
    }
    t_dep=$(time_of deploy)
    got=$(sha256sum <"$work/node.raw" | cut -d' ' -f1)
    [[ $got == "$want" ]] || die "$name $kind: the deployed disk differs from unpack's output"
    deploy_rows+="| $name | $kind | $(mib "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["stored_bytes"])' <<<"$("$server" info --json "$img")")") | $(sec "$t_dep") |"$'\n'
  done
  rm -f "$work/$name.unpacked" "$work/node.raw"
done

table=$(cat <<TABLE
### Filesystem-aware packing (bench/fsaware_bench.sh)

\`bench/fsaware_bench.sh $build\` on $(date -u +%Y-%m-%d), ${size_mib} MiB disks, median of $runs runs,
$(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg). *realistic*: scripts/make-disk-image.sh
seed 1 (MBR + ext4, free blocks never written, so zero). *used*: the same disk after a file
of 60% of its free space was written and deleted (its blocks keep their bytes).

| disk | packer | output MiB | pack s | chunks stored |
|------|--------|-----------:|-------:|--------------:|
${pack_rows}
Full deployment, loopback, 1 receiver, \`serve --rate 1g\`, from serve start to the receiver's exit
(the deployed disk checked byte-identical to \`unpack\`'s output, or to the source for --keep-free):

| disk | image | stored MiB | deploy s |
|------|-------|-----------:|---------:|
${deploy_rows}
TABLE
)
echo "$table"
write_section "$results" fsaware-bench "$table"
