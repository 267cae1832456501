#include "server/announcer.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace fleetcast {

Result<std::unique_ptr<Announcer>> Announcer::Start(const std::string& endpoint,
                                                    in_addr interface_address, int ttl,
                                                    const announce::Announce& what) {
  if (endpoint.empty()) return std::unique_ptr<Announcer>();
  Result<announce::Endpoint> to = announce::ParseEndpoint(endpoint);
  if (!to.ok()) return to.status();
  in_addr group{};
  ParseAddress(to->group, &group);  // ParseEndpoint checked it
  Result<MulticastSender> socket = MulticastSender::Open(interface_address, group, to->port, ttl);
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
