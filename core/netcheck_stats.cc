#include "core/netcheck_stats.h"

#include <algorithm>
#include <cstdlib>

namespace fleetcast::netcheck {

double StepStats::loss() const {
  return sent == 0 ? 0 : static_cast<double>(lost()) / static_cast<double>(sent);
}

void StepRecorder::Observe(uint32_t seq, uint64_t send_ns, uint64_t arrival_ns,
                           uint32_t wire_bytes) {
  if (seq >= kMaxSeq) return;
  if (seq >= seen_.size()) seen_.resize(std::max<size_t>(seq + 1, seen_.size() * 2), false);
  if (seen_[seq]) {
    ++duplicates_;
    return;
  }
  seen_[seq] = true;
  // The clocks differ by a constant: differences of transit times are true.
  const int64_t transit = static_cast<int64_t>(arrival_ns) - static_cast<int64_t>(send_ns);
  if (received_ == 0) {
    first_arrival_ = arrival_ns;
    highest_ = seq;
  } else {
    bytes_after_first_ += wire_bytes;
    const double d = static_cast<double>(std::llabs(transit - last_transit_));
    jitter_ += (d - jitter_) / 16;
    if (seq < highest_) ++reordered_;
    highest_ = std::max(highest_, seq);
  }
  last_transit_ = transit;
  last_arrival_ = arrival_ns;
  ++received_;
}

StepStats StepRecorder::Finish(uint64_t sent) const {
  StepStats s;
  s.sent = sent;
  s.received = received_;
  s.reordered = reordered_;
  s.duplicates = duplicates_;
  s.jitter_ns = static_cast<uint64_t>(jitter_);
  if (last_arrival_ > first_arrival_) {
    s.rate_bits = static_cast<uint64_t>(static_cast<double>(bytes_after_first_) * 8e9 /
                                        static_cast<double>(last_arrival_ - first_arrival_));
  }
  // Sequence numbers past the last one seen were lost too (the server says
  // how many it sent).
  uint64_t run = 0;
  for (uint64_t seq = 0; seq < sent; ++seq) {
    const bool got = seq < seen_.size() && seen_[seq];
    run = got ? 0 : run + 1;
    s.longest_burst = std::max(s.longest_burst, run);
  }
  return s;
}

bool NetcheckRecorder::Observe(uint32_t step, uint32_t seq, uint64_t send_ns, uint64_t arrival_ns,
                               uint32_t wire_bytes) {
  if (step >= steps_.size()) return false;
  steps_[step].Observe(seq, send_ns, arrival_ns, wire_bytes);
  return true;
}

std::vector<StepStats> NetcheckRecorder::Finish(const std::vector<uint64_t>& sent) const {
  std::vector<StepStats> out;
  for (size_t i = 0; i < steps_.size(); ++i) {
    out.push_back(steps_[i].Finish(i < sent.size() ? sent[i] : 0));
  }
  return out;
}

}  // namespace fleetcast::netcheck
