// QuerierWatch: listens on one interface, for as long as a netcheck runs,
// for a membership query (IGMP type 0x11 to 224.0.0.1, or MLD type 130 for
// an IPv6 group): heard, the segment has a querier and snooping switches keep
// the group alive. Reads a raw socket (CAP_NET_RAW) on a thread of its own;
// without the capability it says so (Querier::kNoAccess), not "none".
// Create, then Finish once, from one thread.
#ifndef FLEETCAST_CLIENT_QUERIER_WATCH_H_
#define FLEETCAST_CLIENT_QUERIER_WATCH_H_

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "core/netcheck_health.h"
#include "platform/ip_address.h"

namespace fleetcast {

class QuerierWatch {
 public:
  /// Watches `interface` for queries of the group's family. On loopback
  /// (no switch to ask) it does not watch: the result says unknown.
  QuerierWatch(const std::string& interface, bool ipv6, bool loopback);
  ~QuerierWatch();
  QuerierWatch(const QuerierWatch&) = delete;
  QuerierWatch& operator=(const QuerierWatch&) = delete;

  /// Stops watching; what it heard, how long it listened.
  netcheck::ReceiverHealth Finish();

 private:
  void Loop();
  void Stop();

  const bool ipv6_;
  int fd_ = -1;
  netcheck::Querier state_ = netcheck::Querier::kUnknown;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string querier_address_;  // guarded by mu_; "" until a query arrives
  std::thread thread_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_QUERIER_WATCH_H_
