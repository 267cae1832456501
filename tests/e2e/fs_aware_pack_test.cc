// Filesystem-aware pack with the real fleetcast-server on disks made in the
// test (tests/e2e/used_disk.h): free ext4 blocks and NTFS clusters are left
// out or zeroed, the unpacked filesystems pass fsck and hold the same files,
// and info reports each partition's used, free and stored bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/coding.h"
#include "tests/e2e/used_disk.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::kExtOffset;
using testing::kExtSize;
using testing::kNtfsOffset;
using testing::kNtfsSize;
using testing::ProgramResult;

class FsAwarePackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = testing::BuildUsedDisk(dir_);
    ASSERT_FALSE(disk_.path.empty());
  }

  static ProgramResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), FLEETCAST_SERVER_BIN);
    return testing::RunProgram(args);
  }
  // Packs the disk with 64 KiB chunks (and `extra` flags); returns info --json.
  nlohmann::json Pack(const std::string& out, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"pack", disk_.path, out, "--chunk-size", "64K"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProgramResult r = Server(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = Server({"info", "--json", out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  Bytes Unpack(const std::string& image) {
    const std::string raw = image + ".raw";
    const ProgramResult r = Server({"unpack", image, raw});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return testing::ReadFileBytes(raw);
  }
  // The number after "name:" in out, 0 if missing.
  static uint64_t Field(const std::string& out, const std::string& name) {
    const size_t at = out.find(name + ":");
    return at == std::string::npos ? 0 : std::stoull(out.substr(at + name.size() + 1));
  }
  // Free bytes of the ext4 as its superblock counts them (dumpe2fs -h).
  uint64_t ExtFreeBytes() {
    const std::string part = dir_ / "ext-info.part";
    EXPECT_TRUE(testing::ExtractPartition(disk_.path, kExtOffset, kExtSize, part));
    const std::string out = testing::RunTool({"dumpe2fs", "-h", part}).out;
    return Field(out, "Free blocks") * Field(out, "Block size");
  }
  // Free bytes of the NTFS as ntfsinfo counts its $Bitmap.
  uint64_t NtfsFreeBytes() {
    const std::string part = dir_ / "ntfs-info.part";
    EXPECT_TRUE(testing::ExtractPartition(disk_.path, kNtfsOffset, kNtfsSize, part));
    const std::string out = testing::RunTool({"ntfsinfo", "-m", part}).out;
    return Field(out, "Free Clusters") * Field(out, "Cluster Size");
  }

  testing::TempDir dir_;
  testing::UsedDisk disk_;
};

TEST_F(FsAwarePackTest, FreeSpaceIsLeftOutAndTheFilesystemsStayIntact) {
  const nlohmann::json aware = Pack(dir_ / "aware.fcimg");
  const nlohmann::json kept = Pack(dir_ / "kept.fcimg", {"--keep-free"});
  // Noise in the free space: --keep-free stores it, aware leaves it out.
  EXPECT_LT(aware["stored_chunks"].get<uint64_t>() * 2, kept["stored_chunks"].get<uint64_t>());
  EXPECT_LT(aware["stored_bytes"].get<uint64_t>() * 2, kept["stored_bytes"].get<uint64_t>());

  const Bytes source = testing::ReadFileBytes(disk_.path);
  EXPECT_TRUE(Unpack(dir_ / "kept.fcimg") == source) << "--keep-free must be byte-exact";
  const Bytes unpacked = Unpack(dir_ / "aware.fcimg");
  ASSERT_EQ(unpacked.size(), source.size());
  auto in_partition = [](uint64_t i) {
    return (i >= kNtfsOffset && i < kNtfsOffset + kNtfsSize) ||
           (i >= kExtOffset && i < kExtOffset + kExtSize);
  };
  uint64_t changed = 0, changed_outside = 0, changed_to_nonzero = 0;
  for (uint64_t i = 0; i < source.size(); ++i) {
    if (unpacked[i] == source[i]) continue;
    ++changed;
    if (!in_partition(i)) ++changed_outside;
    if (unpacked[i] != 0) ++changed_to_nonzero;
  }
  EXPECT_GT(changed, 40 * testing::kMiB) << "free noise should be gone";
  EXPECT_EQ(changed_outside, 0u) << "space outside partitions is copied whole";
  EXPECT_EQ(changed_to_nonzero, 0u) << "free space unpacks as zeros";
  ASSERT_NO_FATAL_FAILURE(testing::ExpectFilesystemsIntact(dir_, dir_ / "aware.fcimg.raw", disk_));

  const ProgramResult v = Server({"verify", dir_ / "aware.fcimg"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
}

TEST_F(FsAwarePackTest, InfoReportsUsedFreeAndStoredPerPartition) {
  const nlohmann::json aware = Pack(dir_ / "aware.fcimg");
  const nlohmann::json kept = Pack(dir_ / "kept.fcimg", {"--keep-free"});
  ASSERT_EQ(aware["partitions"].size(), 2u) << aware.dump();
  const nlohmann::json& ntfs = aware["partitions"][0];
  const nlohmann::json& ext = aware["partitions"][1];
  EXPECT_EQ(ntfs["number"], 1);
  EXPECT_EQ(ntfs["filesystem"], "NTFS");
  EXPECT_EQ(ntfs["offset"], kNtfsOffset);
  EXPECT_EQ(ntfs["size"], kNtfsSize);
  EXPECT_EQ(ext["number"], 2);
  EXPECT_EQ(ext["filesystem"], "ext2/3/4");
  EXPECT_EQ(ext["offset"], kExtOffset);
  EXPECT_EQ(ext["size"], kExtSize);
  EXPECT_EQ(ext["free_bytes"], ExtFreeBytes());
  EXPECT_EQ(ntfs["free_bytes"], NtfsFreeBytes());
  for (const nlohmann::json& p : {ntfs, ext}) {
    const uint64_t size = p["size"], used = p["used_bytes"], free = p["free_bytes"];
    EXPECT_EQ(used + free, size);
    EXPECT_GT(free, size / 2) << p.dump();           // the files take a few MiB
    EXPECT_GT(used, 2 * testing::kMiB) << p.dump();  // ... and they are counted
    const uint64_t stored = p["stored_bytes"];
    EXPECT_GE(stored, 2 * testing::kMiB) << p.dump();  // the files are noise: all stored
    EXPECT_LT(stored, size) << p.dump();
  }
  // --keep-free measures the same but also stores the noise in free space
  // (all but what mkfs zeroed: journal, inode tables).
  ASSERT_EQ(kept["partitions"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(kept["partitions"][i]["used_bytes"], aware["partitions"][i]["used_bytes"]);
    EXPECT_GE(kept["partitions"][i]["stored_bytes"].get<uint64_t>(),
              aware["partitions"][i]["stored_bytes"].get<uint64_t>() +
                  aware["partitions"][i]["free_bytes"].get<uint64_t>() * 9 / 10);
  }
  const ProgramResult text = Server({"info", dir_ / "aware.fcimg"});
  EXPECT_NE(text.out.find("partitions   2 (stored: bytes in stored chunks)\n  1   NTFS     at "),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("\n  2   ext2/3/4 at 41.0 MiB, 37.0 MiB: used "), std::string::npos)
      << text.out;
}

TEST_F(FsAwarePackTest, DiskWithoutATableIsCopiedWhole) {
  const std::string raw = dir_ / "noise.raw";
  testing::WriteFileBytes(raw, Bytes(16 * 64 * 1024, 0x5a));
  ProgramResult r = Server({"pack", raw, dir_ / "noise.fcimg", "--chunk-size", "64K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Server({"info", "--json", dir_ / "noise.fcimg"});
  const nlohmann::json info = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(info["stored_chunks"], 16);
  EXPECT_TRUE(info["partitions"].empty()) << r.out;
  EXPECT_TRUE(Unpack(dir_ / "noise.fcimg") == testing::ReadFileBytes(raw));
}

TEST_F(FsAwarePackTest, ExtWithAnUnreplayedJournalIsCopiedWholeWithAWarning) {
  const std::string part = dir_ / "dirty.part";
  ASSERT_TRUE(testing::ExtractPartition(disk_.path, kExtOffset, kExtSize, part));
  testing::RunTool({"debugfs", "-w", "-R", "feature needs_recovery", part});
  const std::string disk = dir_ / "dirty.img";
  testing::WriteFileBytes(disk, testing::ReadFileBytes(disk_.path));
  testing::RunTool({"dd", "if=" + part, "of=" + disk, "bs=64K", "oflag=seek_bytes",
                    "seek=" + std::to_string(kExtOffset), "conv=notrunc", "status=none"});
  ProgramResult r = Server({"pack", disk, dir_ / "dirty.fcimg", "--chunk-size", "64K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("partition 2 (ext2/3/4): cannot use its free space ("), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("; copying it whole"), std::string::npos) << r.err;
  r = Server({"info", "--json", dir_ / "dirty.fcimg"});
  const nlohmann::json info = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(info["partitions"][1]["filesystem"], "ext2/3/4");
  EXPECT_EQ(info["partitions"][1]["free_bytes"], 0);
  const nlohmann::json kept = Pack(dir_ / "kept.fcimg", {"--keep-free"});
  EXPECT_EQ(info["partitions"][1]["stored_bytes"], kept["partitions"][1]["stored_bytes"]);
  EXPECT_LT(info["partitions"][0]["stored_bytes"].get<uint64_t>(), kNtfsSize);
  const Bytes unpacked = Unpack(dir_ / "dirty.fcimg");
  const Bytes source = testing::ReadFileBytes(disk);
  EXPECT_TRUE(std::equal(source.begin() + kExtOffset, source.begin() + kExtOffset + kExtSize,
                         unpacked.begin() + kExtOffset));
}

// A hibernated Windows resumes with the cluster bitmap in its memory image,
// not the one on disk: its NTFS is copied whole, free noise and all, and the
// unpacked disk is the source byte for byte.
TEST_F(FsAwarePackTest, HibernatedNtfsIsCopiedWholeWithAWarning) {
  // The source: the ext4 with its free space already zero (so aware packing
  // changes nothing there), and the used NTFS, noise in its free clusters,
  // with a hiberfil.sys that says "hibr".
  Pack(dir_ / "aware.fcimg");
  const std::string source = dir_ / "aware.fcimg.raw";
  Unpack(dir_ / "aware.fcimg");
  const std::string part = dir_ / "hibernated.part";
  ASSERT_TRUE(testing::ExtractPartition(disk_.path, kNtfsOffset, kNtfsSize, part));
  Bytes hiberfil(64 * 1024, 0);
  std::copy_n("hibr", 4, hiberfil.begin());
  testing::WriteFileBytes(dir_ / "hiberfil.sys", hiberfil);
  testing::RunTool({"ntfscp", "-q", part, dir_ / "hiberfil.sys", "/hiberfil.sys"});
  ASSERT_TRUE(testing::InsertPartition(part, source, kNtfsOffset));

  ProgramResult r = Server({"pack", source, dir_ / "hibernated.fcimg", "--chunk-size", "64K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("partition 1 (NTFS): cannot use its free space (" + source +
                       " (partition at 1048576): Windows is hibernated (or suspended by fast "
                       "startup), so the cluster bitmap on disk may not be what it resumes "
                       "with; boot Windows and shut it down fully, or disable fast startup "
                       "(powercfg /h off)); copying it whole\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one warning line: " << r.err;
  r = Server({"info", "--json", dir_ / "hibernated.fcimg"});
  const nlohmann::json info = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_EQ(info["partitions"].size(), 2u) << r.out;
  r = Server({"pack", source, dir_ / "kept.fcimg", "--chunk-size", "64K", "--keep-free"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Server({"info", "--json", dir_ / "kept.fcimg"});
  const nlohmann::json kept = nlohmann::json::parse(r.out, nullptr, false);
  const nlohmann::json& ntfs = info["partitions"][0];
  EXPECT_EQ(ntfs["filesystem"], "NTFS");
  EXPECT_EQ(ntfs["used_bytes"], kNtfsSize);
  EXPECT_EQ(ntfs["free_bytes"], 0);
  EXPECT_EQ(ntfs["stored_bytes"], kept["partitions"][0]["stored_bytes"]);
  EXPECT_GT(ntfs["stored_bytes"].get<uint64_t>(), kNtfsSize * 9 / 10) << "the free noise is kept";
  EXPECT_GT(info["partitions"][1]["free_bytes"].get<uint64_t>(), kExtSize / 2)
      << "the ext4 beside it is still packed filesystem-aware";
  EXPECT_TRUE(Unpack(dir_ / "hibernated.fcimg") == testing::ReadFileBytes(source));
}

// One partition's free blocks may be another's data: a table whose
// partitions overlap gives no free space at all.
TEST_F(FsAwarePackTest, OverlappingPartitionsAreCopiedWhole) {
  Bytes disk = testing::ReadFileBytes(disk_.path);
  auto entry = [&](int slot, uint8_t type, uint64_t offset, uint64_t size) {
    uint8_t* e = disk.data() + 446 + 16 * slot;
    std::fill(e, e + 16, 0);
    e[4] = type;
    EncodeFixed32(e + 8, static_cast<uint32_t>(offset / 512));
    EncodeFixed32(e + 12, static_cast<uint32_t>(size / 512));
  };
  // An MBR in place of the protective one: NTFS, ext4, and a third
  // partition over the end of the NTFS and the start of the ext4.
  entry(0, 0x07, kNtfsOffset, kNtfsSize);
  entry(1, 0x83, kExtOffset, kExtSize);
  entry(2, 0x83, kExtOffset - testing::kMiB, 2 * testing::kMiB);
  entry(3, 0x00, 0, 0);
  const std::string path = dir_ / "overlap.img";
  testing::WriteFileBytes(path, disk);
  ProgramResult r = Server({"pack", path, dir_ / "overlap.fcimg", "--chunk-size", "64K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(path + ": partitions overlap; copying the whole disk"), std::string::npos)
      << r.err;
  r = Server({"info", "--json", dir_ / "overlap.fcimg"});
  const nlohmann::json info = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_EQ(info["partitions"].size(), 3u) << r.out;
  for (const nlohmann::json& p : info["partitions"]) EXPECT_EQ(p["free_bytes"], 0) << p.dump();
  EXPECT_TRUE(Unpack(dir_ / "overlap.fcimg") == disk);
}

}  // namespace
}  // namespace fleetcast
