// Prints the repair-planning simulation's table (core/repair_sim.h) for 10
// to 10 000 receivers at 1% and 5% loss and three block sizes, in markdown.
#include "core/repair_sim.h"

#include <cstdio>
#include <initializer_list>

int main() {
  std::printf(
      "Parity shards per FEC block beyond its k data shards: sent by fleetcast's policy, the\n"
      "least any scheme can send (the expected worst receiver's loss, exact), and what\n"
      "repairing every receiver by retransmission sends; passes until every receiver has\n"
      "the block. Independent loss per receiver and datagram; blocks simulated in brackets.\n\n");
  std::printf(
      "| receivers | loss | k | parity sent per block | minimum | sent / minimum | "
      "sent / k | retransmission per block | passes |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (unsigned receivers : {10u, 100u, 1000u, 10000u}) {
    for (double loss : {0.01, 0.05}) {
      for (unsigned k : {64u, 128u, 182u}) {
        const unsigned blocks = receivers >= 10000 ? 200 : 2000;
        const fleetcast::RepairSimResult r =
            fleetcast::SimulateRepair({receivers, loss, k, blocks, 42});
        std::printf("| %u | %.0f%% | %u | %.2f (%u) | %.2f | %.2f | %.1f%% | %.0f | %.2f |\n",
                    receivers, loss * 100, k, r.parity_per_block, blocks, r.minimum_per_block,
                    r.parity_per_block / r.minimum_per_block, 100 * r.parity_per_block / k,
                    r.retransmit_per_block, r.passes);
      }
    }
  }
  return 0;
}
