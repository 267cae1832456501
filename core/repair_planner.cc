#include "core/repair_planner.h"

#include <algorithm>
#include <cmath>

namespace fleetcast {

RepairPlanner::RepairPlanner(const ChunkTable& table, uint32_t shard_size, uint32_t max_data_shards,
                             uint64_t min_pass_for_share, uint32_t new_chunks_per_pass)
    : table_(&table),
      layouts_(fec::LayoutsFor(table, shard_size, max_data_shards)),
      min_pass_for_share_(min_pass_for_share),
      new_chunks_per_pass_(new_chunks_per_pass) {
  for (const fec::ChunkLayout& layout : layouts_) cursors_.emplace_back(layout.block_count(), 0);
}

void RepairPlanner::AddClient(const std::string& id) { clients_[id] = Client{}; }

void RepairPlanner::RemoveClient(const std::string& id) { clients_.erase(id); }

void RepairPlanner::SetHave(const std::string& id, const HaveSet& have, uint32_t scanned) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = it->second;
  c.needs.clear();
  // A disk that holds nothing needs it all: no need to list every block.
  c.known = have.Count() == 0 ? 0 : scanned;
  for (size_t e = 0; e < layouts_.size(); ++e) {
    const uint32_t chunk = table_->entries()[e].index;
    if (chunk >= c.known) break;  // entries are in chunk order
    if (have.Has(chunk)) continue;
    for (uint32_t b = 0; b < layouts_[e].block_count(); ++b) {
      c.needs[{chunk, static_cast<uint16_t>(b)}] =
          static_cast<uint16_t>(layouts_[e].block(b).data_shards);
    }
  }
}

void RepairPlanner::Report(const std::string& id, const std::vector<control::BlockNeed>& needs,
                           uint64_t received) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = it->second;
  c.known = UINT32_MAX;
  c.reported = true;
  c.needs.clear();
  for (const control::BlockNeed& n : needs) {
    const long entry = table_->EntryOf(n.chunk);
    if (entry < 0 || n.block >= layouts_[entry].block_count()) continue;
    const auto k = static_cast<uint16_t>(layouts_[entry].block(n.block).data_shards);
    if (n.missing > 0) c.needs[{n.chunk, n.block}] = std::min(n.missing, k);
  }
  if (c.full_pass && last_pass_size_ >= min_pass_for_share_) {
    c.share = std::min(1.0, static_cast<double>(received) / static_cast<double>(last_pass_size_));
    c.loss = 1.0 - c.share;
  }
  ClassifySlow();
}

void RepairPlanner::ClassifySlow() {
  std::vector<double> shares;
  for (const auto& [id, c] : clients_) {
    if (c.full_pass) shares.push_back(c.share);
  }
  if (shares.size() < 2) return;  // slow is relative to the others
  std::sort(shares.begin(), shares.end());
  const double median = shares[shares.size() / 2];
  for (auto& [id, c] : clients_) {
    if (c.full_pass) c.slow = c.share < kSlowFraction * median;
  }
}

void RepairPlanner::ObserveLoss(const std::string& id, double loss) {
  auto it = clients_.find(id);
  if (it != clients_.end()) it->second.loss = std::clamp(loss, 0.0, 1.0);
}

double RepairPlanner::loss_estimate() const {
  // Slow clients lose most of a full-speed pass: that is their link, not
  // the network's loss; catch-up passes run at their pace instead.
  double loss = 0;
  for (const auto& [id, c] : clients_) {
    if (!c.slow) loss = std::max(loss, c.loss);
  }
  return loss;
}

bool RepairPlanner::IsSlow(const std::string& id) const {
  auto it = clients_.find(id);
  return it != clients_.end() && it->second.slow;
}

bool RepairPlanner::Needs(const Client& c) const {
  if (!c.needs.empty()) return true;
  return !table_->entries().empty() && table_->entries().back().index >= c.known;
}

bool RepairPlanner::Finished() const {
  return std::none_of(clients_.begin(), clients_.end(),
                      [this](const auto& kv) { return Needs(kv.second); });
}

uint16_t RepairPlanner::Missing(const Client& c, size_t entry, uint16_t block) const {
  const uint16_t k = static_cast<uint16_t>(layouts_[entry].block(block).data_shards);
  const uint32_t chunk = table_->entries()[entry].index;
  if (chunk >= c.known) return k;
  auto it = c.needs.find({chunk, block});
  return it == c.needs.end() ? 0 : it->second;
}

std::vector<ShardRef> RepairPlanner::PlanPass() {
  BeginPass();
  return PlanUpTo(UINT32_MAX);
}

void RepairPlanner::BeginPass() {
  // Fast clients first; the slow ones only when no fast one needs anything.
  bool fast_need = false;
  for (const auto& [id, c] : clients_) {
    if (!c.slow && Needs(c)) fast_need = true;
  }
  catch_up_ = !fast_need;
  served_ = 0;
  for (const auto& [id, c] : clients_) served_ += c.slow == catch_up_ ? 1 : 0;
  // A share says how fast a link is only on a pass that sent the client
  // everything it needed: its first, or a catch-up pass for it.
  for (auto& [id, c] : clients_) c.full_pass = catch_up_ ? c.slow : !c.reported;
  last_pass_size_ = 0;
  next_entry_ = 0;
  new_chunks_ = 0;
}

std::vector<ShardRef> RepairPlanner::PlanUpTo(uint32_t end) {
  std::vector<ShardRef> pass;
  for (; next_entry_ < layouts_.size() && table_->entries()[next_entry_].index < end;
       ++next_entry_) {
    PlanEntry(next_entry_, &pass);
  }
  last_pass_size_ += pass.size();
  return pass;
}

void RepairPlanner::PlanEntry(size_t e, std::vector<ShardRef>* pass) {
  const double loss = loss_estimate();
  std::vector<uint16_t> wants(layouts_[e].block_count(), 0);
  for (const auto& [id, c] : clients_) {
    if (c.slow != catch_up_) continue;
    for (uint32_t b = 0; b < wants.size(); ++b) {
      wants[b] = std::max(wants[b], Missing(c, e, static_cast<uint16_t>(b)));
    }
  }
  bool wanted = false;
  bool whole = true;  // the neediest client has none of it: a new chunk
  for (uint32_t b = 0; b < wants.size(); ++b) {
    wanted = wanted || wants[b] > 0;
    whole = whole && wants[b] >= layouts_[e].block(b).data_shards;
  }
  if (!wanted || (whole && new_chunks_++ >= new_chunks_per_pass_)) return;
  for (uint32_t block = 0; block < wants.size(); ++block) {
    const auto b = static_cast<uint16_t>(block);
    const uint32_t k = layouts_[e].block(b).data_shards;
    // A whole block's parity is decided when its data has gone out.
    const bool block_whole = wants[b] >= k;
    const uint32_t send =
        wants[b] == 0 ? 0 : wants[b] + (block_whole ? 0 : Extra(wants[b], k, loss, served_));
    for (uint32_t i = 0; i < send; ++i) {
      const uint32_t shard = cursors_[e][b]++ % fec::kMaxShardsPerBlock;
      pass->push_back({table_->entries()[e].index, b, static_cast<uint8_t>(shard),
                       static_cast<uint8_t>(k), block_whole && i + 1 == send});
    }
  }
}

std::vector<ShardRef> RepairPlanner::ProactiveParity(const ShardRef& whole_end) {
  const long entry = table_->EntryOf(whole_end.chunk);
  std::vector<ShardRef> parity;
  if (entry < 0 || whole_end.block >= cursors_[entry].size()) return parity;
  const uint32_t n = Extra(whole_end.k, whole_end.k, loss_estimate(), served_);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t shard = cursors_[entry][whole_end.block]++ % fec::kMaxShardsPerBlock;
    parity.push_back({whole_end.chunk, whole_end.block, static_cast<uint8_t>(shard), whole_end.k});
  }
  last_pass_size_ += n;
  return parity;
}

uint32_t RepairPlanner::Extra(uint32_t want, uint32_t k, double loss, size_t clients) {
  if (loss <= 0) return 0;
  const double p = std::min(loss, 0.5);
  if (want < k) {
    // A repair: the shards its neediest client is expected to lose of it,
    // rounded, not rounded up: an unlucky repair costs one more short pass,
    // which on a LAN is cheaper than surplus parity on every block.
    return static_cast<uint32_t>(std::lround(want * p / (1 - p)));
  }
  // A whole block: each client loses about k p / (1 - p) +- sigma shards;
  // the worst of n is expected about z(n) sigma above that (the expected
  // maximum of n standard normals), which is the least any scheme must send
  // (core/repair_sim.h measures the policy against that bound).
  static constexpr std::pair<size_t, double> kExpectedMax[] = {
      {1, 0.0},    {2, 0.56},   {4, 1.03},  {8, 1.42},   {16, 1.77},  {32, 2.07},   {64, 2.33},
      {128, 2.58}, {256, 2.79}, {512, 3.0}, {1024, 3.2}, {4096, 3.6}, {10000, 3.85}};
  double z = 0;
  for (const auto& [n, v] : kExpectedMax) {
    if (clients >= n) z = v;
  }
  const double mean = k * p / (1 - p);
  const double sigma = std::sqrt(k * p) / (1 - p);
  return static_cast<uint32_t>(std::lround(mean + z * sigma));
}

double RepairPlanner::SlowestShare() const {
  double least = 1.0;
  for (const auto& [id, c] : clients_) {
    if (c.slow) least = std::min(least, std::max(c.share, 0.01));
  }
  return least;
}

}  // namespace fleetcast
