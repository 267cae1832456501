// ProbeSender: sends a netcheck's test traffic (core/probe_datagram.h):
// each step's datagrams, sealed, in sendmmsg batches paced by a token bucket
// on wire bytes, as StreamSender paces a deployment (Ethernet framing 38 +
// IP/UDP 28 + the datagram); then the end datagrams. Each datagram carries
// the time it was framed, just before its batch leaves. One thread.
#ifndef FLEETCAST_SERVER_PROBE_SENDER_H_
#define FLEETCAST_SERVER_PROBE_SENDER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/datagram_seal.h"
#include "core/status.h"
#include "platform/net.h"

namespace fleetcast {

struct ProbeStep {
  uint64_t rate_bits = 0;  // wire bits per second
  uint64_t datagrams = 0;  // to send
  uint32_t datagram_bytes = 0;
  uint32_t wire_overhead = netcheck::WireOverhead(false);  // bytes per datagram beyond it
  std::chrono::milliseconds time_limit{0};  // the step stops here even if the host is too slow
};

struct ProbeStepSent {
  uint64_t datagrams = 0;
  uint64_t rate_bits = 0;  // achieved, wire bits per second
};

class ProbeSender {
 public:
  ProbeSender(MulticastSender* socket, uint32_t session, const wire::DataKey& key);

  /// Sends step `step`; returns what it sent. Stops early when `stop` is set.
  Result<ProbeStepSent> SendStep(uint32_t step, const ProbeStep& how,
                                 const std::atomic<bool>* stop);
  /// The end datagrams: three, in case one is lost.
  Status SendEnd(uint32_t steps);

 private:
  uint64_t NowNs() const;

  MulticastSender* socket_;
  uint32_t session_;
  wire::DatagramSeal seal_;
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  std::vector<Bytes> batch_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_PROBE_SENDER_H_
