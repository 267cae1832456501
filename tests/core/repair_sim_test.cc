#include "core/repair_sim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace fleetcast {
namespace {

TEST(RepairSim, NoLossIsOnePassAndNoParity) {
  const RepairSimResult r = SimulateRepair({100, 0.0, 182, 50, 1});
  EXPECT_TRUE(r.all_complete);
  EXPECT_EQ(r.parity_per_block, 0);
  EXPECT_EQ(r.passes, 1);
  EXPECT_EQ(r.minimum_per_block, 0);
}

TEST(RepairSim, ExpectedWorstLossMatchesMonteCarlo) {
  std::mt19937_64 rng(7);
  std::negative_binomial_distribution<int> failures(64, 0.95);
  double sum = 0;
  constexpr int kTrials = 20000;
  for (int t = 0; t < kTrials; ++t) {
    int worst = 0;
    for (int r = 0; r < 4; ++r) worst = std::max(worst, failures(rng));
    sum += worst;
  }
  EXPECT_NEAR(ExpectedWorstLoss(64, 0.05, 4), sum / kTrials, 0.05);
  // One receiver: the negative binomial's mean, k p / (1 - p).
  EXPECT_NEAR(ExpectedWorstLoss(64, 0.05, 1), 64 * 0.05 / 0.95, 1e-6);
}

TEST(RepairSim, ParityStaysNearTheMinimumAndFarBelowRetransmission) {
  for (double loss : {0.01, 0.05}) {
    const RepairSimResult r = SimulateRepair({100, loss, 128, 200, 3});
    EXPECT_TRUE(r.all_complete);
    EXPECT_GE(r.parity_per_block, 0.95 * r.minimum_per_block) << loss;
    EXPECT_LE(r.parity_per_block, 1.6 * r.minimum_per_block) << loss;
    EXPECT_LT(r.parity_per_block * 10, r.retransmit_per_block) << loss;
  }
}

TEST(RepairSim, RepairGrowsWithLossNotWithReceivers) {
  const RepairSimResult ten = SimulateRepair({10, 0.01, 182, 200, 5});
  const RepairSimResult thousand = SimulateRepair({1000, 0.01, 182, 50, 5});
  // A hundred times the receivers costs about twice the parity (the worst
  // of more receivers loses a little more), not a hundred times.
  EXPECT_LT(thousand.parity_per_block, 3 * ten.parity_per_block);
  EXPECT_GT(thousand.retransmit_per_block, 50 * ten.retransmit_per_block);
}

}  // namespace
}  // namespace fleetcast
