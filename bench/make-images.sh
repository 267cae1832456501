#!/usr/bin/env bash
# The two 512 MiB benchmark images, made only if missing, and their packed
# .fcimg files (packed again only when older than the raw image):
#   OUTDIR/realistic.raw  scripts/make-disk-image.sh, seed 1: MBR + ext4,
#                         about 2.5:1 with zstd -3, about 40% free
#   OUTDIR/random.raw     AES-256-CTR keystream with a fixed key (the same
#                         bytes bench/pack_bench.sh makes): incompressible
# Usage: bench/make-images.sh OUTDIR [BUILD_DIR]   (BUILD_DIR default build;
#        BENCH_SIZE_MIB changes the size, for smoke runs only)
set -euo pipefail
usage() { echo "usage: bench/make-images.sh OUTDIR [BUILD_DIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
cd "$(dirname "$0")/.."
out=$1 build=${2:-build}
size_mib=${BENCH_SIZE_MIB:-512}
server=$build/fleetcast-server
[[ -x $server ]] || { echo "make-images: error: $server not found; build it first" >&2; exit 1; }
mkdir -p "$out"

if [[ ! -f $out/realistic.raw ]]; then
  echo "make-images: $out/realistic.raw (${size_mib} MiB)" >&2
  scripts/make-disk-image.sh "$out/realistic.raw.part" "$size_mib" --seed 1 >/dev/null
  mv "$out/realistic.raw.part" "$out/realistic.raw"
fi
if [[ ! -f $out/random.raw ]]; then
  echo "make-images: $out/random.raw (${size_mib} MiB)" >&2
  head -c "${size_mib}M" /dev/zero |
    openssl enc -aes-256-ctr -nosalt -K "$(printf '%064x' 1)" -iv "$(printf '%032x' 0)" \
      >"$out/random.raw.part"
  mv "$out/random.raw.part" "$out/random.raw"
fi
for name in realistic random; do
  if [[ ! -f $out/$name.fcimg || $out/$name.fcimg -ot $out/$name.raw ]]; then
    echo "make-images: $out/$name.fcimg" >&2
    "$server" pack "$out/$name.raw" "$out/$name.fcimg" >/dev/null
  fi
done
