#include "server/announcer.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace fleetcast {

Result<std::unique_ptr<Announcer>> Announcer::Start(const std::string& endpoint,
                                                    const std::string& interface, int ttl,
                                                    const announce::Announce& what) {
  if (endpoint.empty()) return std::unique_ptr<Announcer>();
  Result<announce::Endpoint> to = announce::ParseEndpoint(endpoint);
  if (!to.ok()) return to.status();
  const IpAddress group = IpAddress::Parse(to->group).value();  // ParseEndpoint checked it
  Result<IpAddress> from = InterfaceAddress(interface, group.family());
  if (!from.ok()) return from.status().Prefixed("--announce " + endpoint);
  Result<MulticastSender> socket = MulticastSender::Open(*from, group, to->port, ttl);
  if (!socket.ok()) return socket.status().Prefixed("--announce " + endpoint);
  Bytes datagram;
  what.EncodeTo(&datagram);
  spdlog::info("announcing on {}", to->ToString());
  // Not make_unique: the constructor is private.
  return std::unique_ptr<Announcer>(new Announcer(std::move(*socket), std::move(datagram)));
}

Announcer::Announcer(MulticastSender socket, Bytes datagram)
    : socket_(std::move(socket)), datagram_(std::move(datagram)) {
  thread_ = std::thread([this] { Run(); });
}

Announcer::~Announcer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Announcer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    lock.unlock();
    SendOne();
    lock.lock();
    cv_.wait_for(lock, kInterval, [this] { return stopped_; });
  }
}

// A network that is down for a while (a cable pulled) is worth one warning,
// not one a second; serving goes on either way.
void Announcer::SendOne() {
  const Status s = socket_.SendBatch({ByteView(datagram_)});
  if (!s.ok() && !failing_) spdlog::warn("announce: {}; retrying every second", s.message());
  if (s.ok() && failing_) spdlog::info("announce: sending again");
  failing_ = !s.ok();
}

}  // namespace fleetcast
