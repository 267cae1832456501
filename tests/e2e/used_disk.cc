#include "tests/e2e/used_disk.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace fleetcast::testing {

namespace {

Bytes Noise(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(size);
  for (size_t i = 0; i + 8 <= size; i += 8) {
    const uint64_t v = rng();
    for (int k = 0; k < 8; ++k) b[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  return b;
}

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Copies part into disk at offset, zero blocks included (the disk is noise).
bool Insert(const std::string& part, const std::string& disk, uint64_t offset) {
  return RunTool({"dd", "if=" + part, "of=" + disk, "bs=64K", "oflag=seek_bytes",
                  "seek=" + std::to_string(offset), "conv=notrunc", "status=none"})
             .exit_code == 0;
}

// A tree with what a root filesystem has besides plain files: modes other
// than 0644 (an executable, a private key, a setuid program, a sticky
// folder), symlinks (relative, absolute, dangling), an empty file.
void MakeExtTree(const std::string& seed, UsedDisk* disk) {
  namespace fs = std::filesystem;
  fs::create_directories(seed + "/docs");
  fs::create_directories(seed + "/etc/ssh");
  fs::create_directories(seed + "/tmp");
  disk->ext_files = {{"/big.bin", Noise(3 * kMiB + 123, 11)},
                     {"/docs/readme.txt", Text("fleetcast leaves free blocks out\n")},
                     {"/docs/empty", {}},
                     {"/etc/ssh/ssh_host_key", Text("not a real key\n")},
                     {"/run.sh", Text("#!/bin/sh\necho fleetcast\n")},
                     {"/su", Noise(4097, 15)}};
  for (const auto& [path, bytes] : disk->ext_files) WriteFileBytes(seed + path, bytes);
  fs::permissions(seed + "/etc/ssh/ssh_host_key", fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(seed + "/run.sh", fs::perms::owner_all | fs::perms::group_read |
                                        fs::perms::group_exec | fs::perms::others_read |
                                        fs::perms::others_exec);
  fs::permissions(seed + "/su", fs::perms::set_uid, fs::perm_options::add);
  fs::permissions(seed + "/tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::create_symlink("readme.txt", seed + "/docs/link");
  fs::create_symlink("/docs/readme.txt", seed + "/absolute-link");
  fs::create_symlink("nowhere", seed + "/dangling-link");
}

bool MakeExt(const TempDir& dir, UsedDisk* disk) {
  const std::string seed = dir / "ext-seed";
  MakeExtTree(seed, disk);
  disk->ext_tree = seed;
  const std::string part = dir / "ext.part";
  WriteFileBytes(part, Noise(kExtSize, 12));
  return RunTool({"mke2fs", "-q", "-F", "-t", "ext4", "-E", "nodiscard", "-d", seed, part,
                  std::to_string(kExtSize / 1024) + "k"})
             .exit_code == 0;
}

bool MakeNtfs(const TempDir& dir, UsedDisk* disk) {
  const std::string part = dir / "ntfs.part";
  WriteFileBytes(part, Noise(kNtfsSize, 13));
  if (RunTool({"mkntfs", "-Q", "-F", "-q", "-p", std::to_string(kNtfsOffset / 512), "-H", "255",
               "-S", "63", part})
          .exit_code != 0) {
    return false;
  }
  disk->ntfs_files = {{"/data.bin", Noise(2 * kMiB + 77, 14)},
                      {"/hello.txt", Text("hello from NTFS\n")}};
  for (const auto& [path, bytes] : disk->ntfs_files) {
    const std::string local = dir / ("ntfs-file" + std::to_string(path.size()));
    WriteFileBytes(local, bytes);
    if (RunTool({"ntfscp", "-q", part, local, path}).exit_code != 0) return false;
  }
  return true;
}

}  // namespace

UsedDisk BuildUsedDisk(const TempDir& dir) {
  UsedDisk disk;
  const std::string path = dir / "used.img";
  WriteFileBytes(path, Noise(kDiskSize, 10));
  const std::string script =
      "label: gpt\nstart=" + std::to_string(kNtfsOffset / 512) +
      ", size=" + std::to_string(kNtfsSize / 512) +
      ", type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\nstart=" + std::to_string(kExtOffset / 512) +
      ", size=" + std::to_string(kExtSize / 512) + ", type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n";
  WriteFileBytes(dir / "table.sfdisk", Text(script));
  if (RunTool({"sh", "-c", "sfdisk -q '" + path + "' < '" + (dir / "table.sfdisk") + "'"})
              .exit_code != 0 ||
      !MakeExt(dir, &disk) || !MakeNtfs(dir, &disk) ||
      !Insert(dir / "ntfs.part", path, kNtfsOffset) ||
      !Insert(dir / "ext.part", path, kExtOffset)) {
    return disk;
  }
  std::filesystem::remove(dir / "ntfs.part");
  std::filesystem::remove(dir / "ext.part");
  disk.path = path;
  return disk;
}

void ExpectFilesystemsIntact(const TempDir& dir, const std::string& disk, const UsedDisk& source) {
  const std::string ext = dir / "check-ext.part";
  const std::string ntfs = dir / "check-ntfs.part";
  ASSERT_TRUE(ExtractPartition(disk, kExtOffset, kExtSize, ext));
  ASSERT_TRUE(ExtractPartition(disk, kNtfsOffset, kNtfsSize, ntfs));
  RunTool({"e2fsck", "-fn", ext});
  RunTool({"ntfsfix", "-n", ntfs});
  for (const auto& [path, bytes] : source.ext_files) {
    const ProgramResult r = RunTool({"debugfs", "-R", "cat " + path, ext});
    EXPECT_TRUE(r.out == std::string(bytes.begin(), bytes.end())) << "ext4 " << path << " differs";
  }
  for (const auto& [path, bytes] : source.ntfs_files) {
    const ProgramResult r = RunTool({"ntfscat", ntfs, path});
    EXPECT_TRUE(r.out == std::string(bytes.begin(), bytes.end())) << "NTFS " << path << " differs";
  }
  std::filesystem::remove(ext);
  std::filesystem::remove(ntfs);
}

}  // namespace fleetcast::testing
