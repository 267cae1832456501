// Repair-planning simulation: how much parity fleetcast's policy
// (RepairPlanner::Extra) sends per FEC block to n receivers that each lose
// a fraction p of datagrams independently, against the least any scheme
// must send (the expected worst receiver's loss) and against repairing each
// receiver by retransmission. It shows what this machine cannot: that
// repair grows with the loss rate, not with the number of receivers, up to
// ten thousand of them. Pure logic; deterministic for a seed.
#ifndef FLEETCAST_CORE_REPAIR_SIM_H_
#define FLEETCAST_CORE_REPAIR_SIM_H_

#include <cstdint>

namespace fleetcast {

struct RepairSimConfig {
  uint32_t receivers = 1;
  double loss = 0;   // per receiver, per datagram, independent
  uint32_t k = 182;  // data shards per block
  uint32_t blocks = 1000;
  uint64_t seed = 1;
};

struct RepairSimResult {
  double parity_per_block = 0;      // shards sent beyond k, mean over blocks
  double minimum_per_block = 0;     // ExpectedWorstLoss: no scheme sends less
  double retransmit_per_block = 0;  // shards per-receiver retransmission sends
  double passes = 0;                // mean passes until every receiver has the block
  bool all_complete = false;
};

/// Runs the planner's policy block by block: a block goes out whole with
/// Extra(k, k, p, n) parity, then each pass sends the neediest receiver's
/// need plus Extra(need, k, p, n) fresh parity, until no receiver needs any.
/// The loss estimate is the true p (the product measures it within 100 ms).
RepairSimResult SimulateRepair(const RepairSimConfig& config);

/// E[max over n receivers of the shards each loses before it has k]: each
/// is negative-binomial (k successes at 1 - p); computed exactly from the
/// CDF as sum over x >= 0 of 1 - F(x)^n.
double ExpectedWorstLoss(uint32_t k, double loss, uint32_t receivers);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_REPAIR_SIM_H_
