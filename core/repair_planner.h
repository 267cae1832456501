// RepairPlanner: the server's plan of what to multicast in each pass.
//
// Every FEC block has a send cursor that walks its shard indices: data shards
// first, then parity rows k, k+1, ... (fresh parity each time), wrapping at
// 255. A pass sends, for every block, as many shards as the neediest client
// still misses there, so one parity shard repairs a different loss at every
// client and repair grows with the loss rate, not with the number of clients.
// A client that joins late simply needs whole blocks.
//
// A pass starts at most `new_chunks_per_pass` chunks no client has any of,
// so the chunks a client holds half-assembled (its memory window) stay
// bounded however large the image: each pass repairs the last one's chunks
// and starts the next ones.
//
// A client that received far less of a pass than the others (a slow link)
// is marked slow: the others' needs drive the next passes at full speed, and
// the slow clients are served in a catch-up pass once the others are done.
// Pure logic; one thread.
#ifndef FLEETCAST_CORE_REPAIR_PLANNER_H_
#define FLEETCAST_CORE_REPAIR_PLANNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/chunk_table.h"
#include "core/control_message.h"
#include "core/fec_layout.h"
#include "core/have_set.h"

namespace fleetcast {

/// One datagram to send: shard `shard` of block `block` of chunk `chunk`.
struct ShardRef {
  uint32_t chunk = 0;
  uint16_t block = 0;
  uint8_t shard = 0;
  uint8_t k = 0;
  /// The last data shard of a block sent whole: the sender asks
  /// ProactiveParity for the block's parity right after it.
  bool whole_end = false;
  bool operator==(const ShardRef&) const = default;
};

class RepairPlanner {
 public:
  /// A client whose pass share is below this fraction of the median is slow.
  static constexpr double kSlowFraction = 0.5;
  /// Shares are measured only on passes at least this long: a few repair
  /// datagrams say nothing about a link's speed.
  static constexpr uint64_t kMinPassForShare = 256;
  /// Chunks a pass starts by default (128 MiB of 1 MiB chunks).
  static constexpr uint32_t kNewChunksPerPass = 128;

  /// Shards sent beyond `want` missing ones in a block of k data shards,
  /// for `clients` clients that each lose a fraction `loss` of datagrams.
  /// A whole block gets the parity the worst of them is expected to lose;
  /// a repair the shards its neediest client is expected to lose.
  static uint32_t Extra(uint32_t want, uint32_t k, double loss, size_t clients);

  RepairPlanner(const ChunkTable& table, uint32_t shard_size, uint32_t max_data_shards,
                uint64_t min_pass_for_share = kMinPassForShare,
                uint32_t new_chunks_per_pass = kNewChunksPerPass);

  const std::vector<fec::ChunkLayout>& layouts() const { return layouts_; }
  /// Layout of stored entry i (in table order).
  const fec::ChunkLayout& layout(size_t entry) const { return layouts_[entry]; }

  /// A client joins needing every block. Joining again resets its needs.
  void AddClient(const std::string& id);
  void RemoveClient(const std::string& id);
  /// What a client's disk already holds (its `have`, before any pass for
  /// it): it needs every block of the stored chunks below `scanned` it
  /// lacks, nothing of the others below it, and everything at or past it
  /// (the scan has not decided those yet; a later `have` moves it on).
  void SetHave(const std::string& id, const HaveSet& have, uint32_t scanned);
  void SetHave(const std::string& id, const HaveSet& have) {
    SetHave(id, have, have.chunk_count());
  }
  /// A client's report after a pass: its needs, and how many of the pass's
  /// shard datagrams it received (to tell slow clients).
  void Report(const std::string& id, const std::vector<control::BlockNeed>& needs,
              uint64_t received);
  /// A client's loss rate measured during a pass (its progress reports).
  void ObserveLoss(const std::string& id, double loss);
  /// The loss rate the next pass plans for: the highest of the clients not
  /// slow (0 until measured).
  double loss_estimate() const;
  bool HasClient(const std::string& id) const { return clients_.count(id) != 0; }
  bool IsSlow(const std::string& id) const;

  /// True when no client needs anything.
  bool Finished() const;
  /// The shards of the next pass, in chunk order. Empty when Finished().
  /// Same as BeginPass and PlanUpTo(every chunk).
  std::vector<ShardRef> PlanPass();
  /// Starts planning a pass piece by piece: the first pass follows the
  /// clients' scans (core/scan_frontier.h). Chooses whom the pass is for.
  void BeginPass();
  /// The pass's shards for the chunks from where the last piece ended up to
  /// (not including) chunk `end`, in chunk order; the 128-new-chunk rule
  /// counts over the whole pass.
  std::vector<ShardRef> PlanUpTo(uint32_t end);
  /// The parity for a block sent whole, decided as its last data shard goes
  /// out, so it follows the loss measured during the pass. Counts towards
  /// the pass's size.
  std::vector<ShardRef> ProactiveParity(const ShardRef& whole_end);
  /// Shards sent in the last planned pass.
  uint64_t last_pass_size() const { return last_pass_size_; }
  /// True if the last planned pass serves only slow clients.
  bool catch_up() const { return catch_up_; }
  /// The least share of a pass any slow client received, in (0, 1]: a
  /// catch-up pass should run at about this fraction of the rate.
  double SlowestShare() const;

 private:
  struct Client {
    // Chunks below this are described by `needs`; the client needs every
    // block of those at or past it: 0 before its first have or report, its
    // scan frontier while it scans, then past the last chunk.
    uint32_t known = 0;
    bool reported = false;  // after a pass
    std::map<std::pair<uint32_t, uint16_t>, uint16_t> needs;
    bool full_pass = false;  // the last pass sent it all it needed: measure its share
    double share = 1.0;      // of the last pass it was present for
    bool slow = false;
    double loss = 0;  // fraction of datagrams lost, last measured
  };

  uint16_t Missing(const Client& c, size_t entry, uint16_t block) const;
  /// True if the client needs anything: a block listed, or a stored chunk
  /// past what it described.
  bool Needs(const Client& c) const;
  /// Appends entry e's shards of this pass (if any client served wants it).
  void PlanEntry(size_t e, std::vector<ShardRef>* pass);
  void ClassifySlow();

  const ChunkTable* table_;
  std::vector<fec::ChunkLayout> layouts_;
  std::vector<std::vector<uint32_t>> cursors_;  // [entry][block]
  std::map<std::string, Client> clients_;
  uint64_t last_pass_size_ = 0;
  size_t served_ = 0;  // clients the last pass is for
  uint64_t min_pass_for_share_;
  uint32_t new_chunks_per_pass_;
  bool catch_up_ = false;
  size_t next_entry_ = 0;    // the pass's next entry to plan (PlanUpTo)
  uint32_t new_chunks_ = 0;  // chunks no client had any of, started this pass
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_REPAIR_PLANNER_H_
