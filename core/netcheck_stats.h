// What a receiver measures in each step of a netcheck, from the probe
// datagrams it got (core/probe_datagram.h): how many of those sent arrived,
// the longest run lost in a row, how many came out of order, the rate they
// arrived at and the jitter of their transit. StepRecorder keeps one step's
// observations; NetcheckRecorder one per step. Pure logic; one thread.
#ifndef FLEETCAST_CORE_NETCHECK_STATS_H_
#define FLEETCAST_CORE_NETCHECK_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fleetcast::netcheck {

/// Wire bytes per datagram besides the datagram itself: IPv4 + UDP (28) or
/// IPv6 + UDP (48), and Ethernet framing (preamble 8, header 14, FCS 4, gap
/// 12), as the sender paces them.
constexpr uint32_t WireOverhead(bool ipv6) { return (ipv6 ? 48 : 28) + 38; }

/// One step, as one receiver saw it.
struct StepStats {
  uint64_t sent = 0;           // datagrams the server sent in the step
  uint64_t received = 0;       // distinct ones that arrived
  uint64_t longest_burst = 0;  // most sequence numbers lost in a row
  uint64_t reordered = 0;      // arrived after one with a higher number
  uint64_t duplicates = 0;     // arrived more than once
  uint64_t rate_bits = 0;      // wire bits per second, first to last arrival
  uint64_t jitter_ns = 0;      // interarrival jitter of the transit time (RFC 3550)

  uint64_t lost() const { return sent > received ? sent - received : 0; }
  /// lost / sent; 0 for a step that sent nothing.
  double loss() const;
  bool operator==(const StepStats&) const = default;
};

class StepRecorder {
 public:
  /// Largest sequence number kept track of: bounds the memory a step takes
  /// (2^26 datagrams: 10 Gbit/s for over a minute at MTU 1500).
  static constexpr uint32_t kMaxSeq = 1u << 26;

  /// Datagram `seq` (sent at `send_ns` on the server's clock) arrived at
  /// `arrival_ns` (the receiver's clock), `wire_bytes` long on the wire.
  void Observe(uint32_t seq, uint64_t send_ns, uint64_t arrival_ns, uint32_t wire_bytes);
  /// The step's figures, given how many datagrams the server sent in it.
  StepStats Finish(uint64_t sent) const;

 private:
  std::vector<bool> seen_;
  uint64_t received_ = 0;
  uint64_t reordered_ = 0;
  uint64_t duplicates_ = 0;
  uint32_t highest_ = 0;
  uint64_t first_arrival_ = 0;
  uint64_t last_arrival_ = 0;
  uint64_t bytes_after_first_ = 0;  // wire bytes of the distinct datagrams after the first
  int64_t last_transit_ = 0;
  double jitter_ = 0;
};

class NetcheckRecorder {
 public:
  explicit NetcheckRecorder(std::size_t steps) : steps_(steps) {}

  /// False (and nothing recorded) for a step that is not one of this check's.
  bool Observe(uint32_t step, uint32_t seq, uint64_t send_ns, uint64_t arrival_ns,
               uint32_t wire_bytes);
  /// Each step's figures; `sent[i]` is what the server sent in step i (a
  /// step missing from `sent` counts as 0 sent).
  std::vector<StepStats> Finish(const std::vector<uint64_t>& sent) const;

 private:
  std::vector<StepRecorder> steps_;
};

}  // namespace fleetcast::netcheck

#endif  // FLEETCAST_CORE_NETCHECK_STATS_H_
