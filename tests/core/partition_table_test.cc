#include "core/partition_table.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "core/coding.h"

namespace fleetcast {
namespace {

constexpr uint64_t kDiskSectors = 4096;  // 2 MiB
const char kBasicData[] = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
const char kLinuxData[] = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

// A disk in memory, and verbs to write the tables a partitioner would.
class PartitionTableTest : public ::testing::Test {
 protected:
  PartitionTableTest() : disk_(kDiskSectors * kSectorSize, 0) {}

  uint8_t* Sector(uint64_t lba) { return disk_.data() + lba * kSectorSize; }

  void SetMbrEntry(uint64_t lba, int slot, uint8_t type, uint32_t first, uint32_t count) {
    uint8_t* e = Sector(lba) + 446 + static_cast<size_t>(slot) * 16;
    e[4] = type;
    EncodeFixed32(e + 8, first);
    EncodeFixed32(e + 12, count);
    Sector(lba)[510] = 0x55;
    Sector(lba)[511] = 0xAA;
  }

  static void EncodeGuid(uint8_t* dst, const std::string& text) {
    unsigned a = 0, b = 0, c = 0;
    unsigned rest[8] = {};
    std::sscanf(text.c_str(), "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c, &rest[0],
                &rest[1], &rest[2], &rest[3], &rest[4], &rest[5], &rest[6], &rest[7]);
    EncodeFixed32(dst, a);
    EncodeFixed16(dst + 4, static_cast<uint16_t>(b));
    EncodeFixed16(dst + 6, static_cast<uint16_t>(c));
    for (int i = 0; i < 8; ++i) dst[8 + i] = static_cast<uint8_t>(rest[i]);
  }

  static uint32_t Crc(const uint8_t* p, size_t n) {
    return static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(n)));
  }

  // A protective MBR, a GPT header at LBA 1 and 128 entries at LBA 2.
  void WriteGpt(const std::vector<std::tuple<int, std::string, uint64_t, uint64_t>>& entries) {
    SetMbrEntry(0, 0, 0xEE, 1, kDiskSectors - 1);
    for (const auto& [slot, type, first, last] : entries) {
      uint8_t* e = Sector(2) + static_cast<size_t>(slot) * 128;
      EncodeGuid(e, type);
      e[16] = static_cast<uint8_t>(slot + 1);  // unique GUID: anything non-zero
      EncodeFixed64(e + 32, first);
      EncodeFixed64(e + 40, last);
    }
    uint8_t* h = Sector(1);
    const std::string_view signature = "EFI PART";
    std::copy(signature.begin(), signature.end(), h);
    EncodeFixed32(h + 8, 0x00010000);
    EncodeFixed32(h + 12, 92);
    EncodeFixed64(h + 24, 1);
    EncodeFixed64(h + 32, kDiskSectors - 1);
    EncodeFixed64(h + 40, 34);
    EncodeFixed64(h + 48, kDiskSectors - 34);
    EncodeFixed64(h + 72, 2);
    EncodeFixed32(h + 80, 128);
    EncodeFixed32(h + 84, 128);
    FixGptCrcs();
  }
  void FixGptCrcs() {
    uint8_t* h = Sector(1);
    EncodeFixed32(h + 88, Crc(Sector(2), size_t{128} * 128));
    EncodeFixed32(h + 16, 0);
    EncodeFixed32(h + 16, Crc(h, 92));
  }

  Result<std::vector<Partition>> Read() const {
    auto reader = [this](uint64_t offset, std::span<uint8_t> out) {
      if (offset + out.size() > disk_.size()) return Status::IOError("read past end");
      std::memcpy(out.data(), disk_.data() + offset, out.size());
      return Status::OK();
    };
    return ReadPartitionTable(reader, disk_.size());
  }
  // The table as "number offset size type" lines, or the error message.
  std::string Describe() const {
    Result<std::vector<Partition>> parts = Read();
    if (!parts.ok()) return parts.status().message();
    std::string out;
    for (const Partition& p : *parts) {
      out += std::to_string(p.number) + " " + std::to_string(p.offset) + " " +
             std::to_string(p.size) + " " + p.type + "\n";
    }
    return out;
  }

  Bytes disk_;
};

TEST_F(PartitionTableTest, MbrPrimaryPartitions) {
  SetMbrEntry(0, 0, 0x07, 2048, 1024);
  SetMbrEntry(0, 2, 0x83, 3072, 1024);
  EXPECT_EQ(Describe(), "1 1048576 524288 mbr:0x07\n3 1572864 524288 mbr:0x83\n");
}

TEST_F(PartitionTableTest, MbrLogicalPartitionsThroughEbrChain) {
  SetMbrEntry(0, 0, 0x07, 64, 512);
  SetMbrEntry(0, 1, 0x0F, 1024, 3072);     // extended: sectors 1024..4095
  SetMbrEntry(1024, 0, 0x83, 64, 960);     // logical 5 at 1024 + 64
  SetMbrEntry(1024, 1, 0x05, 2048, 1024);  // next EBR at 1024 + 2048
  SetMbrEntry(3072, 0, 0x82, 32, 512);     // logical 6 at 3072 + 32
  EXPECT_EQ(Describe(),
            "1 32768 262144 mbr:0x07\n5 557056 491520 mbr:0x83\n6 1589248 262144 mbr:0x82\n");
}

TEST_F(PartitionTableTest, EbrLoopIsCorruption) {
  SetMbrEntry(0, 0, 0x05, 1024, 3072);
  SetMbrEntry(1024, 0, 0x83, 64, 100);
  SetMbrEntry(1024, 1, 0x05, 0, 1024);  // links back to itself
  EXPECT_EQ(Describe(),
            "partition table: extended boot record 6 loops back to an earlier one; repair the "
            "partition table (gdisk, fdisk) or image the disk again");
}

TEST_F(PartitionTableTest, PartitionPastEndIsCorruption) {
  SetMbrEntry(0, 1, 0x07, 2048, 4096);
  EXPECT_EQ(Describe(),
            "partition table: partition 2 (sectors 2048+4096) lies past the end of the disk "
            "(4096 sectors); repair the partition table (gdisk, fdisk) or image the disk again");
}

TEST_F(PartitionTableTest, GptPartitions) {
  WriteGpt({{0, kBasicData, 34, 2081}, {2, kLinuxData, 2082, 4061}});
  EXPECT_EQ(Describe(), std::string("1 17408 1048576 gpt:") + kBasicData + "\n3 1065984 " +
                            std::to_string(1980 * 512) + " gpt:" + kLinuxData + "\n");
}

TEST_F(PartitionTableTest, GptHeaderCrcMismatch) {
  WriteGpt({{0, kBasicData, 34, 2081}});
  Sector(1)[48] ^= 1;  // last usable LBA, covered by the header CRC
  const std::string got = Describe();
  EXPECT_EQ(got.substr(0, got.find(" (")), "partition table: GPT header CRC32 mismatch");
  EXPECT_NE(got.find("; repair the partition table"), std::string::npos) << got;
}

TEST_F(PartitionTableTest, GptEntryArrayCrcMismatch) {
  WriteGpt({{0, kBasicData, 34, 2081}});
  Sector(2)[40] ^= 1;
  const std::string got = Describe();
  EXPECT_EQ(got.substr(0, got.find(" (")), "partition table: GPT entry array CRC32 mismatch");
}

TEST_F(PartitionTableTest, GptWithoutSignature) {
  WriteGpt({{0, kBasicData, 34, 2081}});
  Sector(1)[0] = 'X';
  EXPECT_EQ(Describe(),
            "partition table: the MBR says GPT but sector 1 has no \"EFI PART\" signature; "
            "repair the partition table (gdisk, fdisk) or image the disk again");
}

TEST_F(PartitionTableTest, GptEntryOutsideDisk) {
  WriteGpt({{1, kBasicData, 34, 9000}});
  EXPECT_EQ(Describe(),
            "partition table: partition 2 (sectors 34+8967) lies past the end of the disk "
            "(4096 sectors); repair the partition table (gdisk, fdisk) or image the disk again");
}

TEST_F(PartitionTableTest, SuperfloppyNtfs) {
  std::memcpy(Sector(0) + 3, "NTFS    ", 8);
  Sector(0)[510] = 0x55;  // an NTFS boot sector carries the MBR signature too
  Sector(0)[511] = 0xAA;
  Sector(0)[446 + 4] = 0x42;  // boot code where the entries would be
  EXPECT_EQ(Describe(), "0 0 2097152 none\n");
}

TEST_F(PartitionTableTest, SuperfloppyExt) {
  EncodeFixed16(disk_.data() + 1024 + 56, 0xEF53);
  EXPECT_EQ(Describe(), "0 0 2097152 none\n");
}

TEST_F(PartitionTableTest, NoTableNoFilesystem) {
  EXPECT_EQ(Describe(),
            "partition table: the disk has neither an MBR or GPT partition table nor a known "
            "filesystem at its start; check that the image was written to this disk");
  SetMbrEntry(0, 0, 0, 0, 0);  // a signature but no entries
  EXPECT_EQ(Read().status().code(), Status::Code::kNotFound);
}

TEST_F(PartitionTableTest, TinyDisk) {
  disk_.resize(100);
  EXPECT_EQ(Read().status().code(), Status::Code::kInvalidArgument);
}

TEST(DetectFilesystem, Signatures) {
  Bytes b(4096, 0);
  EXPECT_EQ(DetectFilesystem(b), FsKind::kUnknown);
  std::memcpy(b.data() + 3, "NTFS    ", 8);
  EXPECT_EQ(DetectFilesystem(b), FsKind::kNtfs);
  EXPECT_EQ(DetectFilesystem(ByteView(b.data(), 10)), FsKind::kUnknown);
  Bytes e(2048, 0);
  e[1080] = 0x53;
  e[1081] = 0xEF;
  EXPECT_EQ(DetectFilesystem(e), FsKind::kExt);
  EXPECT_EQ(DetectFilesystem(ByteView(e.data(), 1081)), FsKind::kUnknown);
  EXPECT_STREQ(FsKindName(FsKind::kExt), "ext2/3/4");
}

}  // namespace
}  // namespace fleetcast
