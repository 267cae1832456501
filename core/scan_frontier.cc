#include "core/scan_frontier.h"

#include <algorithm>

namespace fleetcast {

void ScanFrontier::Add(const std::string& client) { frontiers_[client] = 0; }

void ScanFrontier::Remove(const std::string& client) { frontiers_.erase(client); }

void ScanFrontier::Advance(const std::string& client, uint32_t scanned) {
  auto it = frontiers_.find(client);
  if (it == frontiers_.end()) return;
  it->second = std::max(it->second, std::min(scanned, chunk_count_));
}

void ScanFrontier::Expire() {
  for (auto& [client, frontier] : frontiers_) frontier = chunk_count_;
}

uint32_t ScanFrontier::frontier() const {
  uint32_t lowest = chunk_count_;
  for (const auto& [client, frontier] : frontiers_) lowest = std::min(lowest, frontier);
  return lowest;
}

size_t ScanFrontier::scanning() const {
  return static_cast<size_t>(
      std::count_if(frontiers_.begin(), frontiers_.end(),
                    [this](const auto& kv) { return kv.second < chunk_count_; }));
}

ScanFrontier::Range ScanFrontier::TakeSendable() {
  const Range range{taken_, std::max(taken_, frontier())};
  taken_ = range.end;
  return range;
}

}  // namespace fleetcast
