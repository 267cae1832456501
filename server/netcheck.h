// `fleetcast-server netcheck`: checks a LAN before a deployment. Clients
// join as for a deployment (`fleetcast-client receive`); the server sends
// paced test datagrams to the group at each rate in turn, then a few jumbo
// ones with --mtu above 1500; every client reports what arrived
// (core/netcheck_stats.h). Prints a table per receiver, with each one's knee
// and the receivers that lose more than the rest (core/netcheck_report.h);
// writes JSON and an SVG plot on request. docs/operations.md, "netcheck".
#ifndef FLEETCAST_SERVER_NETCHECK_H_
#define FLEETCAST_SERVER_NETCHECK_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/announce.h"
#include "core/netcheck_report.h"
#include "core/status.h"

namespace fleetcast {

struct NetcheckOptions {
  std::string interface;
  std::string group = "239.77.0.1";  // the data group a deployment uses
  uint16_t port = 7010;              // TCP control and UDP data
  std::vector<uint64_t> rates = {100'000'000, 250'000'000, 500'000'000, 1'000'000'000};
  double duration_s = 2;  // per rate
  uint32_t mtu = 1500;    // above 1500: a jumbo step checks datagrams of this size arrive
  size_t min_clients = 1;
  std::chrono::seconds max_wait{60};
  int ttl = 1;
  std::string key;   // NAME.key the clients pin (serve --key); "": a new one
  std::string json;  // write the result here too
  std::string svg;   // and the plot here
  // Where to announce the check, as serve does, so that boot media without
  // fleetcast.server= find it; "" for none (--no-announce).
  std::string announce = announce::Endpoint().ToString();
};

Status RunNetcheck(const NetcheckOptions& options);

class NetcheckClients;
class MulticastSender;

/// serve --netcheck: the check before the first deployment, on serve's
/// multicast socket, with the clients serve's control server hands over
/// (ControlServer::set_netcheck(clients()), then EndNetcheck() after Run).
class NetcheckFirst {
 public:
  explicit NetcheckFirst(NetcheckOptions options);
  ~NetcheckFirst();
  NetcheckClients* clients() { return clients_.get(); }
  /// Waits for options.min_clients, runs the check and prints its table
  /// (and writes options.json, options.svg); the clients stay connected.
  Status Run(MulticastSender* socket, const std::atomic<bool>* stop);
  /// The check's result once Run succeeded (for the status page), or null.
  const netcheck::Netcheck* result() const { return result_ ? &*result_ : nullptr; }

 private:
  NetcheckOptions options_;
  uint32_t session_;
  std::array<uint8_t, 32> key_;
  std::unique_ptr<NetcheckClients> clients_;
  std::optional<netcheck::Netcheck> result_;
};

/// "100m,500m,1g" -> bits per second each, increasing; an error line
/// naming --rates otherwise.
Result<std::vector<uint64_t>> ParseRates(const std::string& text);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_NETCHECK_H_
