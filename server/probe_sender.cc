#include "server/probe_sender.h"

#include <algorithm>
#include <thread>

#include "core/netcheck_stats.h"
#include "core/probe_datagram.h"

namespace fleetcast {

namespace {

constexpr size_t kBatch = 32;

}  // namespace

ProbeSender::ProbeSender(MulticastSender* socket, uint32_t session, const wire::DataKey& key)
    : socket_(socket),
      session_(session),
      seal_(key, wire::SealMode::kAuthenticated),
      batch_(kBatch) {}

uint64_t ProbeSender::NowNs() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - epoch_)
                                   .count());
}

Result<ProbeStepSent> ProbeSender::SendStep(uint32_t step, const ProbeStep& how,
                                            const std::atomic<bool>* stop) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point limit = start + how.time_limit;
  Clock::time_point next_send = start;
  const uint64_t wire_bits = uint64_t{how.datagram_bytes + how.wire_overhead} * 8;
  uint64_t sent = 0;
  std::vector<ByteView> views;
  while (sent < how.datagrams && !stop->load() && Clock::now() < limit) {
    // Token bucket: each batch may leave no earlier than its share of time.
    std::this_thread::sleep_until(next_send);
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kBatch, how.datagrams - sent));
    const uint64_t now = NowNs();
    views.clear();
    for (size_t i = 0; i < n; ++i) {
      const netcheck::Probe probe{step, static_cast<uint32_t>(sent + i), now};
      netcheck::EncodeProbe(session_, probe, how.datagram_bytes, &batch_[i]);
      seal_.Seal(batch_[i]);
      views.emplace_back(batch_[i]);
    }
    if (Status s = socket_->SendBatch(views); !s.ok()) return s;
    sent += n;
    next_send = std::max(next_send, Clock::now() - std::chrono::milliseconds(2)) +
                std::chrono::nanoseconds(n * wire_bits * 1'000'000'000 / how.rate_bits);
  }
  // The step took until its last batch's share of time was spent.
  const auto elapsed = std::max(Clock::now(), next_send) - start;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  ProbeStepSent out;
  out.datagrams = sent;
  if (seconds > 0) {
    out.rate_bits = static_cast<uint64_t>(static_cast<double>(sent * wire_bits) / seconds);
  }
  return out;
}

Status ProbeSender::SendEnd(uint32_t steps) {
  std::vector<ByteView> views;
  const wire::DatagramHeader end = netcheck::EndHeader(session_, steps);
  for (size_t i = 0; i < 3; ++i) {
    // Each one a different header (seq), so the seal's nonce never repeats.
    wire::DatagramHeader h = end;
    h.seq = static_cast<uint16_t>(i);
    batch_[i].assign(wire::DatagramHeader::kEncodedLength + wire::kTagLength, 0);
    h.EncodeTo(batch_[i].data());
    seal_.Seal(batch_[i]);
    views.emplace_back(batch_[i]);
  }
  return socket_->SendBatch(views);
}

}  // namespace fleetcast
