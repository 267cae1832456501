#include "core/repair_sim.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/repair_planner.h"

namespace fleetcast {

namespace {

// One block to every receiver under the planner's policy; adds to *result.
void SimulateBlock(const RepairSimConfig& c, std::mt19937_64* rng, RepairSimResult* result) {
  std::vector<uint32_t> need(c.receivers, c.k);
  uint32_t want = c.k;
  uint64_t sent = 0;
  int passes = 0;
  while (want > 0 && passes < 1000) {
    const uint32_t send = want + RepairPlanner::Extra(want, c.k, c.loss, c.receivers);
    std::binomial_distribution<uint32_t> arrived(send, 1.0 - c.loss);
    want = 0;
    for (uint32_t& n : need) {
      if (n == 0) continue;
      n -= std::min(n, arrived(*rng));
      want = std::max(want, n);
    }
    sent += send;
    ++passes;
  }
  result->parity_per_block += static_cast<double>(sent - c.k);
  result->passes += passes;
  result->all_complete = result->all_complete && want == 0;
}

// Shards per-receiver retransmission sends for one block: every receiver's
// losses, each resent until it arrives.
uint64_t RetransmitBlock(const RepairSimConfig& c, std::mt19937_64* rng) {
  std::binomial_distribution<uint32_t> lost(c.k, c.loss);
  uint64_t total = 0;
  for (uint32_t r = 0; r < c.receivers; ++r) {
    const uint32_t l = lost(*rng);
    if (l == 0) continue;
    std::negative_binomial_distribution<uint32_t> failures(l, 1.0 - c.loss);
    total += l + failures(*rng);
  }
  return total;
}

}  // namespace

RepairSimResult SimulateRepair(const RepairSimConfig& c) {
  RepairSimResult result;
  result.all_complete = true;
  std::mt19937_64 rng(c.seed);
  double retransmit = 0;
  for (uint32_t b = 0; b < c.blocks; ++b) {
    SimulateBlock(c, &rng, &result);
    if (c.loss > 0) retransmit += static_cast<double>(RetransmitBlock(c, &rng));
  }
  const auto blocks = static_cast<double>(c.blocks);
  result.parity_per_block /= blocks;
  result.passes /= blocks;
  result.retransmit_per_block = retransmit / blocks;
  result.minimum_per_block = ExpectedWorstLoss(c.k, c.loss, c.receivers);
  return result;
}

double ExpectedWorstLoss(uint32_t k, double loss, uint32_t receivers) {
  if (loss <= 0) return 0;
  // P(X = x) for X failures before the k-th success, built up term by term.
  double pmf = std::pow(1.0 - loss, k);
  double cdf = 0;
  double expected = 0;
  for (uint32_t x = 0; x < 100000; ++x) {
    cdf += pmf;
    const double tail = 1.0 - std::pow(std::min(cdf, 1.0), receivers);
    expected += tail;
    if (tail < 1e-12 && x > k * loss) break;
    pmf *= (k + x) * loss / (x + 1);
  }
  return expected;
}

}  // namespace fleetcast
