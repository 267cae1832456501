#include "client/netcheck_probe.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "client/querier_watch.h"
#include "core/datagram_seal.h"
#include "core/netcheck_report.h"
#include "core/netcheck_stats.h"
#include "core/probe_datagram.h"
#include "platform/interface_mtu.h"
#include "platform/interrupt.h"
#include "platform/net.h"
#include "platform/wake_event.h"

namespace fleetcast {

namespace {

using std::chrono::milliseconds;

// After netcheck_end: how long to wait for the end datagrams (behind the
// last probes in the socket) before reporting anyway.
constexpr auto kEndWait = milliseconds(500);
constexpr auto kPoll = milliseconds(100);

// The receive thread's work: every probe of the check into the recorder.
class ProbeListener {
 public:
  ProbeListener(const control::Netcheck& check, bool ipv6, MulticastReceiver rx)
      : session_(check.session),
        steps_(static_cast<uint32_t>(check.rates.size())),
        wire_overhead_(netcheck::WireOverhead(ipv6)),
        seal_(check.data_key, wire::SealMode::kAuthenticated),
        recorder_(check.rates.size()),
        rx_(std::move(rx)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~ProbeListener() { Stop(); }

  void Stop() {
    stop_ = true;
    wake_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  /// Waits until an end datagram of the last step arrived (true) or
  /// `deadline` passed (false); the receive thread signals it.
  bool WaitForEndDatagram(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(end_mutex_);
    return end_cv_.wait_until(lock, deadline, [this] { return end_seen_; });
  }
  uint64_t forged() const { return forged_; }
  /// After Stop.
  std::vector<netcheck::StepStats> Finish(const std::vector<uint64_t>& sent) const {
    return recorder_.Finish(sent);
  }
  const Status& error() const { return error_; }

 private:
  void Loop() {
    while (!stop_) {
      Result<std::span<const ByteView>> batch = rx_.Receive(kPoll, &wake_);
      if (!batch.ok()) {
        error_ = batch.status();
        return;
      }
      const uint64_t now =
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count());
      for (ByteView d : *batch) Take(d, now);
    }
  }

  // Nothing of a datagram counts before its tag verifies.
  void Take(ByteView d, uint64_t arrival_ns) {
    Result<wire::DatagramHeader> h = wire::DatagramHeader::DecodeFrom(d);
    if (!h.ok() || h->session != session_) return;
    Result<ByteView> payload = seal_.Open(d, &scratch_);
    if (!payload.ok()) {
      ++forged_;
      return;
    }
    if (h->type == wire::DatagramType::kPassEnd) {
      if (h->pass == steps_) {
        const std::lock_guard<std::mutex> lock(end_mutex_);
        end_seen_ = true;
        end_cv_.notify_all();
      }
      return;
    }
    Result<netcheck::Probe> p = netcheck::DecodeProbe(*h, *payload);
    if (!p.ok()) return;
    recorder_.Observe(p->step, p->seq, p->send_ns, arrival_ns,
                      static_cast<uint32_t>(d.size()) + wire_overhead_);
  }

  const uint32_t session_;
  const uint32_t steps_;
  const uint32_t wire_overhead_;
  const wire::DatagramSeal seal_;
  netcheck::NetcheckRecorder recorder_;
  MulticastReceiver rx_;
  Bytes scratch_;
  WakeEvent wake_;
  std::atomic<bool> stop_{false};
  std::mutex end_mutex_;
  std::condition_variable end_cv_;
  bool end_seen_ = false;  // guarded by end_mutex_
  std::atomic<uint64_t> forged_{0};
  Status error_;
  std::thread thread_;
};

// Waits for netcheck_end; the server may first wait for other clients.
Result<control::NetcheckEnd> WaitForEnd(ControlConnection* conn) {
  for (;;) {
    if (Interrupted()) return Status::Interrupted("netcheck interrupted");
    Result<control::Message> m = conn->Receive(kPoll);
    if (!m.ok() && m.status().code() == Status::Code::kNotFound) continue;
    if (!m.ok()) return m.status();
    if (auto* end = std::get_if<control::NetcheckEnd>(&*m)) return *end;
    if (auto* e = std::get_if<control::Error>(&*m)) return Status::IOError("server: " + e->message);
    return Status::Corruption("server sent " + control::TypeName(*m) + " during a netcheck");
  }
}

void LogSteps(const control::Netcheck& check, const std::vector<netcheck::StepStats>& steps,
              const std::string& node) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const netcheck::StepStats& s = steps[i];
    spdlog::info(
        "node {}: netcheck step {} ({}, {}-byte datagrams): {} of {} arrived ({:.2f}% "
        "lost, longest burst {}, {} reordered)",
        node, i + 1, netcheck::RateWords(check.rates[i]), check.sizes[i], s.received, s.sent,
        s.loss() * 100, s.longest_burst, s.reordered);
  }
}

// What the receiver saw of its segment: the querier, its interface's MTU.
netcheck::ReceiverHealth Health(QuerierWatch* querier, const std::string& interface,
                                const std::string& node) {
  netcheck::ReceiverHealth h = querier->Finish();
  h.interface = interface;
  if (Result<uint32_t> mtu = InterfaceMtu(interface); !interface.empty() && mtu.ok()) h.mtu = *mtu;
  spdlog::info("node {}: netcheck: {} MTU {}, querier {}{}", node,
               interface.empty() ? "?" : interface, h.mtu, netcheck::QuerierText(h.querier),
               h.querier_address.empty() ? "" : " (" + h.querier_address + ")");
  return h;
}

}  // namespace

Status RunNetcheckProbe(ControlConnection* conn, const IpAddress& join,
                        const control::Netcheck& check, const std::string& node) {
  const std::optional<IpAddress> group = IpAddress::Parse(check.group);
  if (!group || !group->is_multicast() || group->family() != join.family()) {
    return Status::Corruption("server sent group " + check.group);
  }
  if (check.sizes.size() != check.rates.size()) {
    return Status::Corruption("server sent a netcheck with " + std::to_string(check.rates.size()) +
                              " rates but " + std::to_string(check.sizes.size()) + " sizes");
  }
  Result<MulticastReceiver> rx = MulticastReceiver::Open(join, *group, check.port);
  if (!rx.ok()) return rx.status();
  // Watches from before netcheck_ready: the whole check is its window.
  const std::string interface = InterfaceWithAddress(join);
  QuerierWatch querier(interface, group->is_v6(), join.is_loopback());
  ProbeListener listener(check, group->is_v6(), std::move(rx).value());
  spdlog::info("node {}: netcheck: joined {}:{}, {} steps; waiting for the test traffic", node,
               check.group, check.port, check.rates.size());
  if (Status s = conn->Send(control::NetcheckReady{}); !s.ok()) return s;
  Result<control::NetcheckEnd> end = WaitForEnd(conn);
  if (!end.ok()) return end.status();
  // The end datagrams come after every probe on the same path: once one is
  // here, the socket holds no more of this check.
  listener.WaitForEndDatagram(std::chrono::steady_clock::now() + kEndWait);
  listener.Stop();
  if (!listener.error().ok()) return listener.error();
  const std::vector<netcheck::StepStats> steps = listener.Finish(end->sent);
  LogSteps(check, steps, node);
  if (listener.forged() > 0) {
    spdlog::warn("node {}: {} datagrams of the check failed their tag (forged)", node,
                 listener.forged());
  }
  return conn->Send(control::NetcheckReport{steps, Health(&querier, interface, node)});
}

}  // namespace fleetcast
