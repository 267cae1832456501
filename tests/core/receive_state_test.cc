#include "core/receive_state.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/repair_planner.h"
#include "tests/core/image_builder.h"

namespace fleetcast {
namespace {

constexpr uint32_t kChunk = 64 * 1024;
constexpr uint32_t kShard = 1000;
constexpr uint32_t kMaxK = 16;

// The whole protocol in memory: a planner, receivers with their own random
// loss, passes and reports, until every receiver holds every chunk.
class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(24 * kChunk, kChunk);
    file_ = testing::BuildImage(raw_, kChunk, "", &manifest_);
  }

  ByteView Stored(const ChunkEntry& e) const {
    return ByteView(file_).subspan(e.offset, e.stored_size);
  }

  // The payload of one planned shard, as the server makes it.
  Bytes Payload(const fec::ChunkLayout& layout, const ChunkEntry& e, const ShardRef& ref) {
    const fec::BlockSpan& span = layout.block(ref.block);
    const uint32_t len = layout.shard_length();
    Bytes block(size_t{span.data_shards} * len, 0);
    std::memcpy(block.data(), Stored(e).data() + span.offset, span.length);
    if (ref.shard < ref.k) {
      const uint32_t n = layout.DataShardBytes(ref.block, ref.shard);
      return Bytes(block.begin() + size_t{ref.shard} * len,
                   block.begin() + size_t{ref.shard} * len + n);
    }
    std::vector<const uint8_t*> data;
    for (uint32_t i = 0; i < span.data_shards; ++i) data.push_back(block.data() + size_t{i} * len);
    Bytes out(len);
    encoder_.Encode(data, len, ref.shard, out.data());
    return out;
  }

  // Runs passes until done; returns the number of passes, or -1 past `limit`.
  int Run(std::vector<double> loss, size_t window = 1000, int limit = 60) {
    const ChunkTable& t = manifest_.table;
    RepairPlanner planner(t, kShard, kMaxK);
    std::vector<std::unique_ptr<ReceiveState>> rx;
    for (size_t i = 0; i < loss.size(); ++i) {
      rx.push_back(std::make_unique<ReceiveState>(t, kShard, kMaxK, window));
      planner.AddClient(std::to_string(i));
    }
    std::mt19937 rnd(301);
    std::uniform_real_distribution<double> u(0, 1);
    for (int pass = 1; pass <= limit; ++pass) {
      std::vector<ShardRef> plan;
      for (const ShardRef& ref : planner.PlanPass()) {  // as the sender expands it
        plan.push_back(ref);
        if (!ref.whole_end) continue;
        for (const ShardRef& parity : planner.ProactiveParity(ref)) plan.push_back(parity);
      }
      std::vector<uint64_t> got(rx.size(), 0);
      for (const ShardRef& ref : plan) {
        const ChunkEntry* e = t.Find(ref.chunk);
        const fec::ChunkLayout& layout =
            planner.layout(static_cast<size_t>(e - t.entries().data()));
        const Bytes payload = Payload(layout, *e, ref);
        wire::DatagramHeader h;
        h.chunk = ref.chunk;
        h.block = ref.block;
        h.shard = ref.shard;
        h.k = ref.k;
        for (size_t i = 0; i < rx.size(); ++i) {
          if (u(rnd) < loss[i]) continue;
          ++got[i];
          if (rx[i]->Add(h, payload) != ReceiveState::Outcome::kChunkReady) continue;
          Bytes stored;
          EXPECT_TRUE(rx[i]->TakeChunk(ref.chunk, &stored).ok());
          EXPECT_EQ(Bytes(Stored(*e).begin(), Stored(*e).end()), stored) << "chunk " << ref.chunk;
          rx[i]->MarkDone(ref.chunk);
        }
      }
      for (size_t i = 0; i < rx.size(); ++i)
        planner.Report(std::to_string(i), rx[i]->Needs(), got[i]);
      if (planner.Finished()) {
        for (const auto& r : rx) EXPECT_TRUE(r->AllDone());
        return pass;
      }
    }
    return -1;
  }

  Bytes raw_, file_;
  image::Manifest manifest_;
  fec::ParityEncoder encoder_;
};

TEST_F(ProtocolTest, NoLossIsOnePass) { EXPECT_EQ(Run({0, 0, 0}), 1); }

TEST_F(ProtocolTest, EveryReceiverCompletesUnderLoss) { EXPECT_GT(Run({0.01, 0.05, 0.2, 0.2}), 1); }

TEST_F(ProtocolTest, SmallWindowStillCompletes) { EXPECT_GT(Run({0.05, 0.05}, 2), 1); }

TEST(ReceiveState, RejectsShardsThatDoNotFitTheImage) {
  const ChunkTable t = ChunkTable::Make(4 * 65536, 65536, {{1, 2500, 4096, 0, {}}}).value();
  ReceiveState rx(t, 1000, 16, 4);
  wire::DatagramHeader h;
  h.chunk = 0;  // a zero chunk
  h.k = 3;
  EXPECT_EQ(rx.Add(h, Bytes(10)), ReceiveState::Outcome::kRejected);
  h.chunk = 1;
  h.k = 2;  // wrong k
  EXPECT_EQ(rx.Add(h, Bytes(10)), ReceiveState::Outcome::kRejected);
  h.k = 3;
  h.block = 1;  // no such block
  EXPECT_EQ(rx.Add(h, Bytes(10)), ReceiveState::Outcome::kRejected);
  h.block = 0;
  EXPECT_EQ(rx.Add(h, Bytes(1001)), ReceiveState::Outcome::kRejected);
  EXPECT_EQ(rx.Add(h, Bytes(1000)), ReceiveState::Outcome::kAccepted);
  EXPECT_EQ(rx.Add(h, Bytes(1000)), ReceiveState::Outcome::kDuplicate);
  EXPECT_EQ(rx.Needs(), (std::vector<control::BlockNeed>{{1, 0, 2}}));
  rx.ResetAssembly();
  EXPECT_EQ(rx.Needs(), (std::vector<control::BlockNeed>{{1, 0, 3}}));
}

TEST(ReceiveState, TheScanMarksHeldOnlyChunksNoWriteHasDecided) {
  const ChunkTable t = ChunkTable::Make(4 * 65536, 65536,
                                        {{0, 1000, 0, 0, {}},
                                         {1, 2500, 4096, 0, {}},
                                         {2, 1000, 8192, 0, {}},
                                         {3, 1000, 12288, 0, {}}})
                           .value();
  ReceiveState rx(t, 1000, 16, 4);
  wire::DatagramHeader h;
  // Chunk 1 half assembled: the scan's verdict stands, its shards are dropped.
  h.chunk = 1;
  h.k = 3;
  ASSERT_EQ(rx.Add(h, Bytes(1000)), ReceiveState::Outcome::kAccepted);
  EXPECT_TRUE(rx.MarkHeld(1));
  EXPECT_EQ(rx.assembling(), 0u);
  h.shard = 1;
  EXPECT_EQ(rx.Add(h, Bytes(1000)), ReceiveState::Outcome::kDuplicate);
  // Chunk 2 taken for writing: the write decides, not the scan.
  h = wire::DatagramHeader{};
  h.chunk = 2;
  h.k = 1;
  ASSERT_EQ(rx.Add(h, Bytes(1000)), ReceiveState::Outcome::kChunkReady);
  Bytes stored;
  ASSERT_TRUE(rx.TakeChunk(2, &stored).ok());
  EXPECT_FALSE(rx.MarkHeld(2));
  EXPECT_EQ(rx.writing_count(), 1u);
  rx.MarkDone(2);
  // Chunk 3 already written: no second count.
  h.chunk = 3;
  ASSERT_EQ(rx.Add(h, Bytes(1000)), ReceiveState::Outcome::kChunkReady);
  ASSERT_TRUE(rx.TakeChunk(3, &stored).ok());
  rx.MarkDone(3);
  EXPECT_FALSE(rx.MarkHeld(3));
  // Chunk 0 untouched by the stream.
  EXPECT_TRUE(rx.MarkHeld(0));
  EXPECT_EQ(rx.done_count(), 4u);
  EXPECT_EQ(rx.writing_count(), 0u);
  EXPECT_TRUE(rx.AllDone());
}

}  // namespace
}  // namespace fleetcast
