#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/fec_codec.h"
#include "core/fec_layout.h"

namespace fleetcast::fec {
namespace {

TEST(ChunkLayout, SpreadsShardsEvenlyOverBlocks) {
  // 300 shards of 1000 bytes, at most 64 per block: 5 blocks of 60.
  ChunkLayout l(299 * 1000 + 10, 1000, 64);
  EXPECT_EQ(l.shard_length(), 1000u);
  ASSERT_EQ(l.block_count(), 5u);
  uint64_t offset = 0;
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(l.block(i).data_shards, 60u);
    EXPECT_EQ(l.block(i).offset, offset);
    offset += l.block(i).length;
  }
  EXPECT_EQ(offset, 299u * 1000 + 10);
  EXPECT_EQ(l.block(4).length, 59u * 1000 + 10);
  EXPECT_EQ(l.DataShardBytes(4, 59), 10u);
  EXPECT_EQ(l.DataShardBytes(4, 58), 1000u);
  EXPECT_EQ(l.parity_capacity(0), 195u);
}

TEST(ChunkLayout, UnevenSplitDiffersByOneShard) {
  ChunkLayout l(130 * 100, 100, 64);  // 130 shards -> 3 blocks: 44, 43, 43
  ASSERT_EQ(l.block_count(), 3u);
  EXPECT_EQ(l.block(0).data_shards, 44u);
  EXPECT_EQ(l.block(1).data_shards, 43u);
  EXPECT_EQ(l.block(2).data_shards, 43u);
}

TEST(ChunkLayout, TinyChunkIsOneShortShard) {
  ChunkLayout l(33, 1448, 64);
  EXPECT_EQ(l.shard_length(), 33u);
  ASSERT_EQ(l.block_count(), 1u);
  EXPECT_EQ(l.block(0).data_shards, 1u);
  EXPECT_EQ(l.DataShardBytes(0, 0), 33u);
}

class FecTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void MakeBlock(uint32_t k, uint32_t length) {
    std::mt19937 rnd(301 + k);
    data_.assign(k, Bytes(length));
    for (Bytes& s : data_) std::generate(s.begin(), s.end(), [&] { return rnd() & 0xff; });
    ptrs_.clear();
    for (const Bytes& s : data_) ptrs_.push_back(s.data());
  }
  Bytes Shard(uint32_t index) {
    if (index < data_.size()) return data_[index];
    Bytes out(data_[0].size());
    encoder_.Encode(ptrs_, static_cast<uint32_t>(out.size()), index, out.data());
    return out;
  }
  Bytes Joined() const {
    Bytes all;
    for (const Bytes& s : data_) all.insert(all.end(), s.begin(), s.end());
    return all;
  }

  std::vector<Bytes> data_;
  std::vector<const uint8_t*> ptrs_;
  ParityEncoder encoder_;
  GeneratorCache generators_;
};

TEST_P(FecTest, AnyKShardsRebuildTheBlock) {
  const uint32_t k = GetParam();
  MakeBlock(k, 1448);
  std::mt19937 rnd(7);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<uint32_t> indices(kMaxShardsPerBlock);
    for (uint32_t i = 0; i < indices.size(); ++i) indices[i] = i;
    std::shuffle(indices.begin(), indices.end(), rnd);
    BlockAssembler block(k, 1448);
    for (uint32_t i = 0; !block.complete(); ++i) {
      EXPECT_EQ(block.missing(), k - i);
      ASSERT_TRUE(block.Add(indices[i], Shard(indices[i])));
    }
    Bytes out(size_t{k} * 1448);
    ASSERT_TRUE(block.Decode(&generators_, out.data(), static_cast<uint32_t>(out.size())).ok());
    EXPECT_EQ(out, Joined()) << "trial " << trial;
  }
}

TEST_F(FecTest, AFewLostShardsAreRebuiltInPlace) {
  MakeBlock(182, 1448);
  Bytes buffer(size_t{182} * 1448, 0xee);  // not zeroed: lost shards are rebuilt whole
  BlockAssembler block(182, 1448, buffer.data());
  for (uint32_t i = 0; i < 182; ++i) {
    if (i == 0 || i == 77 || i == 181) continue;  // lost
    ASSERT_TRUE(block.Add(i, Shard(i)));
  }
  for (uint32_t row : {250u, 190u, 200u}) ASSERT_TRUE(block.Add(row, Shard(row)));
  ASSERT_TRUE(block.complete());
  ASSERT_TRUE(block.Decode(&generators_).ok());
  EXPECT_EQ(buffer, Joined());
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, FecTest, ::testing::Values(1u, 2u, 17u, 64u, 128u, 254u));

TEST_F(FecTest, RefusesDuplicatesOversizeAndExtraShards) {
  MakeBlock(2, 100);
  BlockAssembler block(2, 100);
  EXPECT_TRUE(block.Add(5, Shard(5)));
  EXPECT_FALSE(block.Add(5, Shard(5)));
  EXPECT_FALSE(block.Add(255, Shard(0)));
  EXPECT_FALSE(block.Add(1, Bytes(101)));
  EXPECT_TRUE(block.Add(1, Shard(1)));
  EXPECT_FALSE(block.Add(0, Shard(0)));  // already complete
  Bytes out(150);
  ASSERT_TRUE(block.Decode(&generators_, out.data(), 150).ok());
  const Bytes all = Joined();
  EXPECT_EQ(out, Bytes(all.begin(), all.begin() + 150));
}

TEST_F(FecTest, ShortLastShardIsZeroPadded) {
  MakeBlock(3, 64);
  std::fill(data_[2].begin() + 10, data_[2].end(), 0);
  BlockAssembler block(3, 64);
  ASSERT_TRUE(block.Add(2, ByteView(data_[2]).first(10)));
  ASSERT_TRUE(block.Add(3, Shard(3)));
  ASSERT_TRUE(block.Add(4, Shard(4)));
  Bytes out(2 * 64 + 10);
  ASSERT_TRUE(block.Decode(&generators_, out.data(), static_cast<uint32_t>(out.size())).ok());
  const Bytes all = Joined();
  EXPECT_EQ(out, Bytes(all.begin(), all.begin() + 138));
}

}  // namespace
}  // namespace fleetcast::fec
