#include "core/repair_planner.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

// Two stored chunks: chunk 0 of 10 shards (one block), chunk 3 of 150
// shards (three blocks of 50) at shard size 100 and k <= 64.
class RepairPlannerTest : public ::testing::Test {
 protected:
  RepairPlannerTest()
      : table_(ChunkTable::Make(4 * 65536, 65536, {{0, 1000, 4096, 1, {}}, {3, 15000, 5096, 2, {}}})
                   .value()),
        planner_(table_, 100, 64, /*min_pass_for_share=*/1) {}

  static size_t Count(const std::vector<ShardRef>& pass, uint32_t chunk, uint16_t block) {
    return std::count_if(pass.begin(), pass.end(),
                         [&](const ShardRef& s) { return s.chunk == chunk && s.block == block; });
  }

  ChunkTable table_;
  RepairPlanner planner_;
};

TEST_F(RepairPlannerTest, FirstPassSendsEveryDataShardAndNoParityBeforeLossIsMeasured) {
  planner_.AddClient("a");
  planner_.AddClient("b");
  const std::vector<ShardRef> pass = planner_.PlanPass();
  ASSERT_EQ(pass.size(), 10u + 150);
  EXPECT_EQ(pass[0], (ShardRef{0, 0, 0, 10}));
  EXPECT_EQ(pass[9], (ShardRef{0, 0, 9, 10, /*whole_end=*/true}));
  EXPECT_EQ(pass[10], (ShardRef{3, 0, 0, 50}));
  EXPECT_EQ(pass.back(), (ShardRef{3, 2, 49, 50, true}));
  EXPECT_TRUE(planner_.ProactiveParity(pass[9]).empty());
  EXPECT_FALSE(planner_.Finished());
}

TEST_F(RepairPlannerTest, WholeBlocksCarryParityForTheWorstMeasuredLoss) {
  planner_.AddClient("a");
  planner_.AddClient("b");
  planner_.ObserveLoss("a", 0.01);
  planner_.ObserveLoss("b", 0.05);
  EXPECT_DOUBLE_EQ(planner_.loss_estimate(), 0.05);
  std::vector<ShardRef> pass;
  for (const ShardRef& ref : planner_.PlanPass()) {
    pass.push_back(ref);
    if (!ref.whole_end) continue;
    for (const ShardRef& parity : planner_.ProactiveParity(ref)) pass.push_back(parity);
  }
  // Two clients: the expected worse of two, mean + 0.56 sigma, is 0.94 for
  // chunk 0's block of 10 and 3.56 for each of chunk 3's blocks of 50.
  ASSERT_EQ(pass.size(), 11u + 3 * 54);
  EXPECT_EQ(planner_.last_pass_size(), pass.size());
  EXPECT_EQ(pass[10], (ShardRef{0, 0, 10, 10}));  // the first parity row
  EXPECT_EQ(pass.back(), (ShardRef{3, 2, 53, 50}));
}

TEST(RepairPlanner, ExtraShardsFollowTheMeasuredLoss) {
  EXPECT_EQ(RepairPlanner::Extra(64, 64, 0.0, 8), 0u);  // nothing lost, nothing extra
  // One client: its expected loss, 182 * 0.01 / 0.99.
  EXPECT_EQ(RepairPlanner::Extra(182, 182, 0.01, 1), 2u);
  // Eight: 1.42 sigma more, the expected worst of them (9.58 + 1.42 * 3.18).
  EXPECT_EQ(RepairPlanner::Extra(182, 182, 0.05, 8), 14u);
  EXPECT_EQ(RepairPlanner::Extra(182, 182, 0.05, 1000), 19u);  // z = 3
  EXPECT_EQ(RepairPlanner::Extra(1, 64, 0.01, 8), 0u);         // rounded: repairs are cheap to redo
  EXPECT_EQ(RepairPlanner::Extra(4, 64, 0.2, 8), 1u);
  EXPECT_EQ(RepairPlanner::Extra(6, 64, 0.2, 8), 2u);
  EXPECT_EQ(RepairPlanner::Extra(300, 64, 0.01, 1), 1u);  // capped at k
}

TEST(RepairPlanner, APassStartsAtMostItsBudgetOfNewChunks) {
  // Six chunks of two shards each; two new ones per pass.
  std::vector<ChunkEntry> entries;
  for (uint32_t i = 0; i < 6; ++i) entries.push_back({i, 200, 4096 + 200 * i, 1, {}});
  const ChunkTable table = ChunkTable::Make(6 * 65536, 65536, entries).value();
  RepairPlanner planner(table, 100, 64, 1, /*new_chunks_per_pass=*/2);
  planner.AddClient("a");
  std::vector<ShardRef> pass = planner.PlanPass();
  ASSERT_EQ(pass.size(), 4u);
  EXPECT_EQ(pass.back().chunk, 1u);
  // Chunk 1 lost a shard (1 in 4: 25% loss): its repair rides along with
  // the next two new chunks, each carrying parity for that loss.
  planner.Report("a", {{1, 0, 1}, {2, 0, 2}, {3, 0, 2}, {4, 0, 2}, {5, 0, 2}}, 3);
  pass = planner.PlanPass();
  ASSERT_EQ(pass.size(), 1u + 2 + 2);  // whole blocks get their parity as they go out
  EXPECT_EQ(pass[0], (ShardRef{1, 0, 2, 2}));
  EXPECT_EQ(pass.back(), (ShardRef{3, 0, 1, 2, true}));
  EXPECT_EQ(planner.ProactiveParity(pass.back()), (std::vector<ShardRef>{{3, 0, 2, 2}}));
}

TEST_F(RepairPlannerTest, RepairSendsFreshParityForTheNeediestClient) {
  planner_.AddClient("a");
  planner_.AddClient("b");
  planner_.PlanPass();
  // Pass 1 sent 160: a lost 2 (1.25%), b lost 24 (15%).
  planner_.Report("a", {{3, 1, 2}}, 158);
  planner_.Report("b", {{3, 1, 3}, {0, 0, 1}}, 136);
  EXPECT_NEAR(planner_.loss_estimate(), 24.0 / 160, 1e-9);
  const std::vector<ShardRef> pass = planner_.PlanPass();
  // Chunk 0: 1 missing (+ 0.18 expected lost: none extra); chunk 3 block 1:
  // 3 missing + round(0.53) = 1 extra; all rows after those pass 1 sent.
  ASSERT_EQ(pass.size(), 5u);
  EXPECT_EQ(pass[0], (ShardRef{0, 0, 10, 10}));
  EXPECT_EQ(pass[1], (ShardRef{3, 1, 50, 50}));
  EXPECT_EQ(pass[4], (ShardRef{3, 1, 53, 50}));
  planner_.Report("a", {{3, 1, 1}}, 4);
  planner_.Report("b", {}, 4);
  EXPECT_EQ(planner_.PlanPass(), (std::vector<ShardRef>{{3, 1, 54, 50}}));
  planner_.Report("a", {}, 1);
  EXPECT_TRUE(planner_.Finished());
  EXPECT_TRUE(planner_.PlanPass().empty());
}

TEST_F(RepairPlannerTest, LateJoinerNeedsWholeBlocks) {
  planner_.AddClient("a");
  planner_.PlanPass();
  planner_.Report("a", {}, 160);
  EXPECT_TRUE(planner_.Finished());
  planner_.AddClient("late");
  EXPECT_FALSE(planner_.Finished());
  const std::vector<ShardRef> pass = planner_.PlanPass();
  EXPECT_EQ(pass.size(), 160u);
  EXPECT_EQ(pass[0].shard, 10);  // fresh rows: the data rows were sent before
}

TEST_F(RepairPlannerTest, SlowClientIsServedInACatchUpPass) {
  for (const char* id : {"a", "b", "c", "slow"}) planner_.AddClient(id);
  planner_.PlanPass();
  planner_.Report("a", {{0, 0, 1}}, 159);
  planner_.Report("b", {}, 160);
  planner_.Report("c", {}, 160);
  planner_.Report("slow", {{0, 0, 9}, {3, 0, 45}, {3, 1, 45}, {3, 2, 45}}, 16);
  EXPECT_TRUE(planner_.IsSlow("slow"));
  EXPECT_FALSE(planner_.IsSlow("a"));
  // The fast clients' repair does not carry the slow one's needs.
  std::vector<ShardRef> pass = planner_.PlanPass();
  EXPECT_FALSE(planner_.catch_up());
  EXPECT_EQ(pass.size(), 1u);  // the 1 missing; 1 in 160 loss adds nothing
  planner_.Report("a", {}, 1);
  planner_.Report("slow", {{0, 0, 9}, {3, 0, 45}, {3, 1, 45}, {3, 2, 45}}, 0);
  pass = planner_.PlanPass();
  EXPECT_TRUE(planner_.catch_up());
  // Exactly its needs: the network loses 1 in 160 (a's); the slow link's
  // shortfall is not loss.
  EXPECT_EQ(pass.size(), 9u + 3 * 45);
  EXPECT_EQ(Count(pass, 3, 2), 45u);
  EXPECT_NEAR(planner_.SlowestShare(), 16.0 / 160, 0.001);
}

TEST_F(RepairPlannerTest, ShortPassesDoNotMakeAClientSlow) {
  RepairPlanner planner(table_, 100, 64);  // shares only from passes of 256 or more
  for (const char* id : {"a", "b", "c"}) planner.AddClient(id);
  planner.PlanPass();
  planner.Report("a", {}, 160);
  planner.Report("b", {}, 160);
  planner.Report("c", {{0, 0, 9}}, 1);
  EXPECT_FALSE(planner.IsSlow("c"));
}

TEST_F(RepairPlannerTest, ReportsAboutUnknownChunksAreIgnored) {
  planner_.AddClient("a");
  planner_.PlanPass();
  planner_.Report("a", {{1, 0, 5}, {3, 9, 5}, {0, 0, 200}}, 160);
  const std::vector<ShardRef> pass = planner_.PlanPass();
  EXPECT_EQ(pass.size(), 10u);  // capped at k of chunk 0's block
  planner_.Report("nobody", {{0, 0, 1}}, 1);
  EXPECT_FALSE(planner_.HasClient("nobody"));
}

}  // namespace
}  // namespace fleetcast

namespace fleetcast {
namespace {

TEST_F(RepairPlannerTest, FirstPassSendsOnlyWhatSomeDiskLacks) {
  planner_.AddClient("a");
  planner_.AddClient("b");
  HaveSet a(4), b(4);
  a.Set(0);
  a.Set(3);  // a holds both stored chunks
  b.Set(3);  // b lacks chunk 0
  planner_.SetHave("a", a);
  planner_.SetHave("b", b);
  const std::vector<ShardRef> pass = planner_.PlanPass();
  ASSERT_EQ(pass.size(), 10u);
  EXPECT_EQ(pass.front(), (ShardRef{0, 0, 0, 10}));
  EXPECT_EQ(pass.back(), (ShardRef{0, 0, 9, 10, /*whole_end=*/true}));
}

TEST_F(RepairPlannerTest, DisksHoldingTheWholeImageNeedNoPass) {
  planner_.AddClient("a");
  HaveSet a(4);
  a.Set(0);
  a.Set(3);
  planner_.SetHave("a", a);
  EXPECT_TRUE(planner_.Finished());
  EXPECT_TRUE(planner_.PlanPass().empty());
}

TEST_F(RepairPlannerTest, AnEmptyHaveNeedsEverything) {
  planner_.AddClient("a");
  planner_.SetHave("a", HaveSet(4));
  EXPECT_EQ(planner_.PlanPass().size(), 10u + 150);
}

TEST_F(RepairPlannerTest, APartialHaveDecidesOnlyTheChunksBelowItsFrontier) {
  planner_.AddClient("a");
  HaveSet a(4);
  a.Set(0);
  planner_.SetHave("a", a, /*scanned=*/3);  // chunk 3 is not decided yet
  EXPECT_FALSE(planner_.Finished());
  EXPECT_EQ(planner_.PlanPass().size(), 150u);  // chunk 3 whole, not chunk 0
  a.Set(3);
  planner_.SetHave("a", a, 4);
  EXPECT_TRUE(planner_.Finished());
}

TEST_F(RepairPlannerTest, APassPlannedInPiecesFollowsTheFrontier) {
  planner_.AddClient("a");
  planner_.AddClient("b");
  planner_.BeginPass();
  EXPECT_TRUE(planner_.PlanUpTo(0).empty());
  HaveSet a(4), b(4);
  b.Set(0);
  planner_.SetHave("a", a, 3);
  planner_.SetHave("b", b, 3);
  const std::vector<ShardRef> first = planner_.PlanUpTo(3);
  ASSERT_EQ(first.size(), 10u);  // a lacks chunk 0
  EXPECT_EQ(first.back(), (ShardRef{0, 0, 9, 10, true}));
  EXPECT_TRUE(planner_.PlanUpTo(3).empty());  // each chunk is planned once
  a.Set(3);
  b.Set(3);
  planner_.SetHave("a", a, 4);
  planner_.SetHave("b", b, 4);
  EXPECT_TRUE(planner_.PlanUpTo(4).empty());  // both hold chunk 3
  EXPECT_EQ(planner_.last_pass_size(), 10u);
}

TEST(RepairPlanner, APassInPiecesStartsAtMostTheNewChunkLimit) {
  std::vector<ChunkEntry> entries;
  for (uint32_t i = 0; i < 6; ++i) entries.push_back({i, 1000, 4096 * i, 1, {}});
  const ChunkTable table = ChunkTable::Make(6 * 65536, 65536, entries).value();
  RepairPlanner planner(table, 100, 64, 1, /*new_chunks_per_pass=*/2);
  planner.AddClient("a");
  planner.BeginPass();
  EXPECT_EQ(planner.PlanUpTo(1).size(), 10u);
  EXPECT_EQ(planner.PlanUpTo(4).size(), 10u);  // the second new chunk; 2 and 3 wait
  EXPECT_TRUE(planner.PlanUpTo(6).empty());
  planner.BeginPass();
  EXPECT_EQ(planner.PlanUpTo(6).size(), 20u);  // nobody reported: the same two again
}

}  // namespace
}  // namespace fleetcast
