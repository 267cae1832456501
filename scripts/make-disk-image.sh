#!/usr/bin/env bash
# Builds a realistic raw disk image without mounting anything (no root tricks,
# no loop devices): an MBR with one Linux partition from 1 MiB to the end, and
# an ext4 file system written straight into it by `mke2fs -d`, holding a tree
# shaped like a small OS install. About 60% of the disk is file data; the
# files compress about 1.5:1 and the whole disk about 2.5:1 with zstd -3.
# The same SIZE_MIB and seed give a byte-identical image. --ntfs-mib N adds
# an empty NTFS partition of N MiB after it (mkntfs; its serial is random, so
# such an image is not repeatable byte for byte): a disk with both a Linux
# and a Windows volume, for identity injection.
# Usage: scripts/make-disk-image.sh OUT SIZE_MIB [--seed N] [--ntfs-mib N]
set -euo pipefail

usage() { echo "usage: $0 OUT SIZE_MIB [--seed N] [--ntfs-mib N]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
out=$1 size_mib=$2 seed=1 ntfs_mib=0
shift 2
while [[ $# -gt 0 ]]; do
  case $1 in
    --seed) [[ $# -ge 2 ]] || usage; seed=$2; shift 2 ;;
    --ntfs-mib) [[ $# -ge 2 ]] || usage; ntfs_mib=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ $size_mib =~ ^[0-9]+$ && $size_mib -ge 16 ]] || { echo "$0: SIZE_MIB must be >= 16" >&2; exit 2; }
[[ $seed =~ ^[0-9]+$ ]] || { echo "$0: --seed must be a number" >&2; exit 2; }
[[ $ntfs_mib =~ ^[0-9]+$ && ( $ntfs_mib -eq 0 || $ntfs_mib -ge 8 ) ]] ||
  { echo "$0: --ntfs-mib must be 0 or >= 8" >&2; exit 2; }
PATH=$PATH:/usr/sbin:/sbin  # mke2fs, sfdisk, debugfs, e2fsck live here

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/root
# Everything that ends up in the image derives from the seed: the UUID and
# hash seed (else random), the clock mke2fs and debugfs read, file times.
id=$((seed & 0xffffffff))
uuid=$(printf '%08x-0000-4000-8000-%012x' "$id" "$id")
epoch=1704067200  # 2024-01-01 00:00:00 UTC
export E2FSPROGS_FAKE_TIME=$epoch
umask 022  # modes are copied into the image

# 1. The file tree: 60% of the disk in bytes, generated from random.Random(seed).
python3 - "$tree" $((size_mib * 1024 * 1024 * 6 / 10)) "$seed" "$epoch" <<'EOF'
import os, random, sys

root, budget, seed, epoch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
letters = "abcdefghijklmnopqrstuvwxyz"
vocab = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(4096)]
cum = []  # Zipf-like weights: a few words are common, as in real text
for i in range(len(vocab)):
    cum.append((cum[-1] if cum else 0) + 1.0 / (i + 1))

def words(n):
    return rng.choices(vocab, cum_weights=cum, k=n)

def noise(n):  # incompressible bytes (compressed media, packages, code)
    return b"".join(rng.randbytes(min(n - i, 1 << 20)) for i in range(0, n, 1 << 20))

def prose(n):  # documentation, notes: word lines
    w = words(n // 6 + 16)
    return "\n".join(" ".join(w[i:i + 12]) for i in range(0, len(w), 12)).encode()[:n]

def log(n):  # syslog lines: time, host, daemon, message with numbers
    daemons = ["sshd", "systemd", "kernel", "cron", "dhclient", "nginx", "dockerd"]
    t, lines, size = epoch - 86400 * 30, [], 0
    while size < n:
        t += rng.randint(0, 40)
        w = words(rng.randint(4, 12))
        line = "%d %s %s[%d]: %s id=%d\n" % (t, "node%02d" % rng.randint(0, 9), rng.choice(daemons),
                                             rng.randint(100, 40000), " ".join(w), rng.randint(0, 1 << 20))
        lines.append(line)
        size += len(line)
    return "".join(lines).encode()[:n]

def config(n):
    out, size = [], 0
    while size < n:
        w = words(4)
        line = "%s_%s = %s %d\n" % (w[0], w[1], " ".join(w[2:]), rng.randint(0, 9999))
        if rng.random() < 0.2:
            line = "# " + " ".join(words(8)) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]

def binary(n):  # ELF-ish: code (random), string and symbol tables, padding
    parts, size = [], 0
    while size < n:
        r = rng.random()
        k = rng.randint(4096, 65536)
        if r < 0.52:
            part = noise(k)
        elif r < 0.90:
            part = b"\0".join(w.encode() for w in words(k // 7))[:k]
        else:
            part = bytes(rng.randint(512, 8192))
        parts.append(part)
        size += len(part)
    return b"".join(parts)[:n]

# (directory, name pattern, share of the budget, median size, generator, mode)
layout = [
    ("etc", "{}.conf", 0.01, 2 << 10, config, 0o644),
    ("var/log", "{}.log", 0.12, 2 << 20, log, 0o640),
    ("usr/bin", "{}", 0.15, 200 << 10, binary, 0o755),
    ("usr/lib/x86_64-linux-gnu", "lib{}.so.1", 0.30, 400 << 10, binary, 0o644),
    ("usr/share/doc", "{}/changelog", 0.10, 40 << 10, prose, 0o644),
    ("var/cache/apt/archives", "{}_1.0_amd64.deb", 0.12, 800 << 10, noise, 0o644),
    ("home/user/Pictures", "IMG_{}.jpg", 0.15, 1 << 20, noise, 0o644),
    ("home/user/notes", "{}.txt", 0.05, 16 << 10, prose, 0o644),
]
files = 0
for d, pattern, share, median, gen, mode in layout:
    left = int(budget * share)
    while left > 0:
        size = min(left, max(64, int(rng.lognormvariate(0, 1.0) * median)))
        path = os.path.join(root, d, pattern.format("%s%d" % (rng.choice(vocab), files)))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gen(size))
        os.chmod(path, mode)
        left -= size
        files += 1
# Fixed times, children before parents so setting a file does not touch its
# directory's mtime afterwards.
for dirpath, dirnames, filenames in os.walk(root, topdown=False):
    for name in filenames + dirnames:
        os.utime(os.path.join(dirpath, name), (epoch, epoch))
os.utime(root, (epoch, epoch))
EOF

# 2. The disk: sparse file, MBR with a fixed disk id, one partition at 1 MiB.
rm -f "$out"
truncate -s "$((size_mib + ntfs_mib))M" "$out"
{
  printf 'label: dos\nlabel-id: 0x%08x\nstart=2048, size=%d, type=83\n' "$id" $(((size_mib - 1) * 2048))
  [[ $ntfs_mib -eq 0 ]] || printf 'start=%d, type=7\n' $((size_mib * 2048))
} | sfdisk --quiet --no-reread --no-tell-kernel "$out"

# 3. ext4 in the partition. 4 KiB blocks and the usual inode ratio even when
# small (mke2fs would pick 1 KiB blocks below 512 MiB); nodiscard so mke2fs
# does not punch holes in the image file.
mke2fs -q -F -t ext4 -b 4096 -i 16384 -L fleetcast -U "$uuid" \
  -E "offset=1048576,hash_seed=$uuid,root_owner=0:0,nodiscard" -d "$tree" "$out" "$((size_mib - 1))M"

# mke2fs copies each file's ctime, which no tool can set on the source tree;
# reset every inode's ctime to the fixed epoch so the image is repeatable.
fs="$out?offset=1048576"  # e2fsprogs' unix io manager takes an offset this way
(cd "$tree" && find . -printf '/%P\n') |
  awk -v t="$epoch" '{printf "sif \"%s\" ctime @%s\n", $0, t}' >"$tmp/ctime.cmd"
debugfs -w -f "$tmp/ctime.cmd" "$fs" >/dev/null 2>"$tmp/debugfs.err" ||
  { cat "$tmp/debugfs.err" >&2; exit 1; }
if grep -v '^debugfs ' "$tmp/debugfs.err" >&2; then exit 1; fi

e2fsck -fn "$fs" >"$tmp/fsck.log" 2>&1 || { cat "$tmp/fsck.log" >&2; exit 1; }

# 3b. NTFS in the second partition, made in its own file and copied in place.
if [[ $ntfs_mib -gt 0 ]]; then
  truncate -s "${ntfs_mib}M" "$tmp/ntfs.part"
  mkntfs -q -Q -F -L WINDOWS -s 512 -p $((size_mib * 2048)) -H 255 -S 63 "$tmp/ntfs.part" \
    >"$tmp/mkntfs.log" 2>&1 || { cat "$tmp/mkntfs.log" >&2; exit 1; }
  dd if="$tmp/ntfs.part" of="$out" bs=1M seek="$size_mib" conv=notrunc,sparse status=none
fi

# 4. Summary from the superblock.
read -r blocks free_blocks files < <(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '
  /^Block count/ {b=$2} /^Free blocks/ {f=$2} /^Inode count/ {i=$2} /^Free inodes/ {fi=$2}
  END {print b+0, f+0, i-fi}')
data_mib=$(du -s --apparent-size -m "$tree" | cut -f1)
ntfs_note=""
[[ $ntfs_mib -eq 0 ]] || ntfs_note=", NTFS of $ntfs_mib MiB at $size_mib MiB"
echo "$out: $((size_mib + ntfs_mib)) MiB, MBR + ext4 at 1 MiB$ntfs_note, seed $seed, $files inodes," \
  "${data_mib} MiB of files, $((100 * (blocks - free_blocks) / blocks))% of the fs used, e2fsck clean"
