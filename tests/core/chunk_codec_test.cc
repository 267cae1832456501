#include "core/chunk_codec.h"

#include <gtest/gtest.h>

#include "tests/core/image_builder.h"

namespace fleetcast {
namespace {

class ChunkCodecTest : public ::testing::Test {
 protected:
  // Packs raw and returns the entry a manifest would hold for it.
  ChunkEntry PackIt(ByteView raw, uint32_t index = 7) {
    EXPECT_TRUE(compressor_.Pack(raw, &packed_).ok());
    return {index, static_cast<uint32_t>(packed_.stored.size()), 0, packed_.stored_digest,
            packed_.raw_digest};
  }
  Status UnpackIt(const ChunkEntry& e, size_t raw_size) {
    out_.assign(raw_size, 0xee);
    return decompressor_.Unpack(e, packed_.stored, out_);
  }

  ChunkCompressor compressor_{3};
  ChunkDecompressor decompressor_;
  PackedChunk packed_;
  Bytes out_;
};

TEST(IsAllZero, Basics) {
  EXPECT_TRUE(IsAllZero({}));
  Bytes b(4096, 0);
  EXPECT_TRUE(IsAllZero(b));
  b[4095] = 1;
  EXPECT_FALSE(IsAllZero(b));
  b[4095] = 0;
  b[0] = 1;
  EXPECT_FALSE(IsAllZero(b));
}

TEST_F(ChunkCodecTest, RoundTripsAndDigestsAreOfTheRightBytes) {
  const Bytes raw = testing::SampleDisk(65536, 65536, 0);
  const ChunkEntry e = PackIt(raw);
  EXPECT_FALSE(packed_.zero);
  EXPECT_LT(packed_.stored.size(), raw.size());
  EXPECT_EQ(packed_.raw_digest, Xxh3_128(raw));
  EXPECT_EQ(packed_.stored_digest, Xxh3_64(packed_.stored));
  ASSERT_TRUE(UnpackIt(e, raw.size()).ok());
  EXPECT_EQ(out_, raw);
}

TEST_F(ChunkCodecTest, ZeroChunkIsNotStored) {
  const Bytes raw(8192, 0);
  PackIt(raw);
  EXPECT_TRUE(packed_.zero);
  EXPECT_TRUE(packed_.stored.empty());
  EXPECT_EQ(packed_.raw_digest, ZeroDigest128(8192));
}

TEST_F(ChunkCodecTest, OutputIsDeterministic) {
  const Bytes raw = testing::SampleDisk(65536, 65536, 0);
  PackIt(raw);
  const Bytes first = packed_.stored;
  ChunkCompressor other(3);
  PackedChunk again;
  ASSERT_TRUE(other.Pack(raw, &again).ok());
  EXPECT_EQ(again.stored, first);
}

TEST_F(ChunkCodecTest, FlippedStoredByteIsCaughtBeforeZstd) {
  const Bytes raw = testing::SampleDisk(65536, 65536, 0);
  const ChunkEntry e = PackIt(raw, 812);
  packed_.stored[packed_.stored.size() / 2] ^= 0x01;
  EXPECT_EQ(UnpackIt(e, raw.size()).message(), "chunk 812: stored digest mismatch");
}

TEST_F(ChunkCodecTest, WrongRawDigestIsCaught) {
  const Bytes raw = testing::SampleDisk(65536, 65536, 0);
  ChunkEntry e = PackIt(raw, 3);
  e.raw_digest.low ^= 1;
  EXPECT_EQ(UnpackIt(e, raw.size()).message(), "chunk 3: raw digest mismatch");
}

TEST_F(ChunkCodecTest, WrongLengthIsCaught) {
  const Bytes raw = testing::SampleDisk(65536, 65536, 0);
  const ChunkEntry e = PackIt(raw, 4);
  EXPECT_EQ(UnpackIt(e, 4096).message(), "chunk 4: zstd frame does not hold 4096 bytes");
}

TEST_F(ChunkCodecTest, GarbageWithMatchingDigestIsRefusedByZstd) {
  PackIt(Bytes(4096, 7));
  packed_.stored.assign(64, 0x5a);
  const ChunkEntry e{9, 64, 0, Xxh3_64(packed_.stored), {}};
  EXPECT_EQ(UnpackIt(e, 4096).message(), "chunk 9: zstd frame does not hold 4096 bytes");
}

}  // namespace
}  // namespace fleetcast
