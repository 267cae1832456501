#include "core/chunk_table.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

ChunkEntry Entry(uint32_t index, uint64_t offset, uint32_t size = 100) {
  return {index, size, offset, 0x1111 * (index + 1), {index + 1u, 0}};
}

TEST(ChunkTable, GeometryOfAnImage) {
  // 10 chunks of 4 KiB and a last one of 1 KiB.
  auto t = ChunkTable::Make(10 * 4096 + 1024, 4096, {Entry(2, 4096), Entry(7, 5000)});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->chunk_count(), 11u);
  EXPECT_EQ(t->stored_count(), 2u);
  EXPECT_EQ(t->zero_count(), 9u);
  EXPECT_EQ(t->RawOffset(10), 40960u);
  EXPECT_EQ(t->RawLength(9), 4096u);
  EXPECT_EQ(t->RawLength(10), 1024u);
  EXPECT_EQ(t->stored_bytes(), 200u);
  EXPECT_EQ(t->stored_raw_bytes(), 8192u);
}

TEST(ChunkTable, FindsStoredChunksAndNotZeroOnes) {
  auto t = ChunkTable::Make(64 * 4096, 4096, {Entry(0, 4096), Entry(5, 4196), Entry(63, 4296)});
  ASSERT_TRUE(t.ok());
  ASSERT_NE(t->Find(5), nullptr);
  EXPECT_EQ(t->Find(5)->offset, 4196u);
  EXPECT_EQ(t->Find(0)->index, 0u);
  EXPECT_EQ(t->Find(63)->index, 63u);
  EXPECT_EQ(t->Find(1), nullptr);
  EXPECT_EQ(t->Find(64), nullptr);
  EXPECT_EQ(t->RawDigest(5), (Digest128{6, 0}));
  EXPECT_EQ(t->RawDigest(6), ZeroDigest128(4096));
}

TEST(ChunkTable, ZeroDigestOfShortLastChunk) {
  auto t = ChunkTable::Make(4096 + 512, 4096, {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->RawDigest(1), ZeroDigest128(512));
}

TEST(ChunkTable, ImageDigestIsDigestOfChunkDigests) {
  auto t = ChunkTable::Make(3 * 4096, 4096, {Entry(1, 4096)});
  ASSERT_TRUE(t.ok());
  Bytes list;
  PutDigest128(&list, ZeroDigest128(4096));
  PutDigest128(&list, Digest128{2, 0});
  PutDigest128(&list, ZeroDigest128(4096));
  EXPECT_EQ(t->ImageDigest(), Xxh3_128(list));
}

TEST(ChunkTable, RejectsBadGeometry) {
  EXPECT_EQ(ChunkTable::Make(4096, 3000, {}).status().message(),
            "chunk size 3000 is not a power of two from 4 KiB to 64 MiB");
  EXPECT_EQ(ChunkTable::Make(4096, 2048, {}).status().message(),
            "chunk size 2048 is not a power of two from 4 KiB to 64 MiB");
  EXPECT_EQ(ChunkTable::Make(4096, 128u << 20, {}).status().message(),
            "chunk size 134217728 is not a power of two from 4 KiB to 64 MiB");
  EXPECT_EQ(ChunkTable::Make(1000, 4096, {}).status().message(),
            "raw size 1000 is not a non-zero multiple of 512 bytes");
  EXPECT_EQ(ChunkTable::Make(0, 4096, {}).status().message(),
            "raw size 0 is not a non-zero multiple of 512 bytes");
  EXPECT_FALSE(ChunkTable::Make(uint64_t{1} << 50, 4096, {}).ok());
}

TEST(ChunkTable, RejectsBadEntries) {
  EXPECT_EQ(ChunkTable::Make(2 * 4096, 4096, {Entry(2, 4096)}).status().message(),
            "chunk table entry 0: chunk 2 is past the image's 2 chunks");
  EXPECT_EQ(ChunkTable::Make(4 * 4096, 4096, {Entry(2, 4096), Entry(1, 9000)}).status().message(),
            "chunk table entry 1: chunk 1 is out of order");
  EXPECT_EQ(ChunkTable::Make(4 * 4096, 4096, {Entry(1, 4096), Entry(1, 9000)}).status().message(),
            "chunk table entry 1: chunk 1 is out of order");
  EXPECT_EQ(ChunkTable::Make(4 * 4096, 4096, {Entry(1, 4096, 0)}).status().message(),
            "chunk 1: stored size 0 is out of range");
  EXPECT_EQ(ChunkTable::Make(4 * 4096, 4096, {Entry(1, 4096, 9000)}).status().message(),
            "chunk 1: stored size 9000 is out of range");
  EXPECT_EQ(ChunkTable::Make(4 * 4096, 4096, {Entry(1, 4096), Entry(2, 4150)}).status().message(),
            "chunk 2: file range overlaps the previous chunk");
}

TEST(ChunkEntry, EncodeDecodeRoundTrip) {
  const ChunkEntry e{
      0x01020304, 0x0a0b0c0d, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL, {0x1111, 0x2222}};
  Bytes b;
  e.EncodeTo(&b);
  ASSERT_EQ(b.size(), ChunkEntry::kEncodedLength);
  EXPECT_EQ(b[0], 0x04);
  EXPECT_EQ(b[4], 0x0d);
  EXPECT_EQ(b[8], 0x88);
  ByteReader r(b);
  ChunkEntry back;
  ASSERT_TRUE(back.DecodeFrom(&r));
  EXPECT_EQ(back, e);
  ByteReader short_reader(ByteView(b).first(39));
  EXPECT_FALSE(back.DecodeFrom(&short_reader));
}

}  // namespace
}  // namespace fleetcast
