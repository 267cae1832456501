// DiskTarget's zero chunks on a file target: a chunk that already reads zero
// is left as it is, unless the caller asks for a write without a look.
#include "client/disk_target.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleetcast {
namespace {

constexpr uint32_t kChunk = 65536;

class DiskTargetZeroTest : public ::testing::Test {
 protected:
  // Three chunks: 0 stored, 1 and 2 zero in the image. On the disk, chunk 1
  // reads zero and chunk 2 holds old bytes.
  void SetUp() override {
    Bytes disk(size_t{3} * kChunk, 0);
    for (size_t i = 0; i < kChunk; ++i) disk[i] = 'a';
    disk[2 * kChunk + 100] = 7;
    testing::WriteFileBytes(path_, disk);
  }

  Bytes Chunk(uint32_t i) const {
    const Bytes disk = testing::ReadFileBytes(path_);
    return Bytes(disk.begin() + size_t{i} * kChunk, disk.begin() + size_t{i + 1} * kChunk);
  }

  testing::TempDir dir_;
  std::string path_ = dir_ / "t.raw";
  ChunkTable table_ = ChunkTable::Make(uint64_t{3} * kChunk, kChunk, {{0, 100, 0, 1, {}}}).value();
};

TEST_F(DiskTargetZeroTest, AChunkThatReadsZeroIsNotWritten) {
  Result<DiskTarget> t = DiskTarget::Open(path_, table_.raw_size());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Bytes buffer;
  bool written = true;
  ASSERT_TRUE(t->ZeroChunk(table_, 1, /*check=*/true, &buffer, &written).ok());
  EXPECT_FALSE(written);
  EXPECT_EQ(Chunk(1), Bytes(kChunk, 0));
}

TEST_F(DiskTargetZeroTest, AChunkHoldingOldBytesIsZeroed) {
  Result<DiskTarget> t = DiskTarget::Open(path_, table_.raw_size());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Bytes buffer;
  bool written = false;
  ASSERT_TRUE(t->ZeroChunk(table_, 2, /*check=*/true, &buffer, &written).ok());
  EXPECT_TRUE(written);
  EXPECT_EQ(Chunk(2), Bytes(kChunk, 0));
  EXPECT_EQ(Chunk(0), Bytes(kChunk, 'a'));  // its neighbour untouched
}

TEST_F(DiskTargetZeroTest, WithoutACheckEveryZeroChunkIsWritten) {
  Result<DiskTarget> t = DiskTarget::Open(path_, table_.raw_size());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Bytes buffer;
  bool written = false;
  ASSERT_TRUE(t->ZeroChunk(table_, 1, /*check=*/false, &buffer, &written).ok());
  EXPECT_TRUE(written);
  EXPECT_EQ(Chunk(1), Bytes(kChunk, 0));
}

// The scan hashes chunks through a mapping: the same digest as a read, for
// every chunk, the short last one too.
TEST(DiskTargetDigestTest, AMappedChunkHashesAsARead) {
  testing::TempDir dir;
  const std::string path = dir / "d.raw";
  Bytes disk(size_t{2} * kChunk + 5120);  // ends 1 KiB into a page
  for (size_t i = 0; i < disk.size(); ++i) disk[i] = static_cast<uint8_t>(i * 7 + i / 999);
  testing::WriteFileBytes(path, disk);
  Result<ChunkTable> made = ChunkTable::Make(disk.size(), kChunk, {});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const ChunkTable& table = *made;
  Result<DiskTarget> t = DiskTarget::Open(path, table.raw_size());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Bytes buffer;
  for (uint32_t i = 0; i < table.chunk_count(); ++i) {
    const ByteView want(disk.data() + table.RawOffset(i), table.RawLength(i));
    Result<Digest128> mapped = t->MapDigest(table, i, &buffer);
    ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
    EXPECT_EQ(*mapped, Xxh3_128(want)) << "chunk " << i;
  }
}

}  // namespace
}  // namespace fleetcast
