// NamespaceLan: a switched LAN for end-to-end tests, made of network
// namespaces that the test creates and removes itself: a bridge namespace
// (IGMP snooping with a querier, like a managed switch), a server host and N
// receiver hosts, each with one veth into the bridge. Optional random loss
// per receiver (nftables) and a rate limit on any link (tc tbf).
//
// Pitfalls it handles: rp_filter would drop multicast from an unexpected
// source; each host needs a 224.0.0.0/4 route out of its veth; IGMPv3 so
// snooping sees source-specific joins; the querier keeps snooped groups alive.
// With LanOptions::ipv6 the hosts get fd7c::/64 addresses too, and the bridge
// snoops MLDv2 with a querier of its own; duplicate address detection is off
// (`nodad`, accept_dad=0), or an address is unusable for its first second.
// LanOptions::mtu sets every link's MTU (9000: jumbo frames end to end);
// LanOptions::querier turns the querier off, query_interval_cs makes it ask
// often enough that a check of a few seconds hears it.
#ifndef FLEETCAST_TESTS_E2E_NETNS_LAN_H_
#define FLEETCAST_TESTS_E2E_NETNS_LAN_H_

#include <string>
#include <vector>

namespace fleetcast::testing {

struct LanOptions {
  bool ipv6 = false;           // fd7c::/64 addresses and MLDv2 snooping besides IPv4
  std::string prefix = "fct";  // namespace names start with it (then the pid)
  int mtu = 1500;              // of every veth, both ends, and of the bridge
  bool querier = true;         // the bridge's IGMP/MLD querier; off: snooping without one
  int query_interval_cs = 0;   // the querier's interval, centiseconds (0: the kernel's 125 s)
};

class NamespaceLan {
 public:
  /// Builds the LAN; ok() tells whether it worked (needs root), error() why.
  explicit NamespaceLan(int receivers, const LanOptions& options = {});
  ~NamespaceLan();
  NamespaceLan(const NamespaceLan&) = delete;
  NamespaceLan& operator=(const NamespaceLan&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  static constexpr const char* kInterface = "fcnet0";
  std::string server_address() const { return "10.78.0.1"; }
  std::string receiver_address(int i) const { return "10.78.0." + std::to_string(10 + i); }
  /// With LanOptions::ipv6 (unique local addresses, no zone needed).
  std::string server_address6() const { return "fd7c::1"; }
  std::string receiver_address6(int i) const { return "fd7c::" + std::to_string(10 + i); }
  /// argv run inside the bridge (switch) namespace, e.g. `bridge mdb show`.
  std::vector<std::string> InBridge(std::vector<std::string> argv) const;

  /// argv run inside the server host or receiver i (1-based).
  std::vector<std::string> InServer(std::vector<std::string> argv) const;
  std::vector<std::string> InReceiver(int i, std::vector<std::string> argv) const;

  /// Sets receiver i's interface MTU (its end of the link only).
  bool SetReceiverMtu(int i, int mtu);
  /// Drops `fraction` of the UDP datagrams receiver i gets, at random.
  bool SetLoss(int i, double fraction);
  /// Limits what the switch sends to receiver i (e.g. "20mbit"), queueing
  /// at most `latency` worth before it drops.
  bool LimitReceiver(int i, const std::string& rate, const std::string& latency = "400ms");
  /// Cuts every receiver off: the switch drops all their traffic, both ways
  /// (UDP, TCP, IGMP), as a pulled uplink would; the server's link stays up.
  bool Partition();
  /// Undoes Partition.
  bool Heal();
  /// The switch forwards no traffic to `group` (IPv4 or IPv6), as a
  /// multicast filter or ACL would.
  bool DropGroup(const std::string& group);

 private:
  bool Run(const std::vector<std::string>& argv);
  /// Loads nftables `rules` with argv_prefix + {"nft", "-f", FILE}.
  bool Nft(const std::vector<std::string>& argv_prefix, const std::string& rules);
  bool AddHost(const std::string& ns, const std::string& address, const std::string& address6,
               const std::string& port);
  /// Before its links exist: IPv6 without duplicate address detection, MLDv2.
  bool SetUpIpv6(const std::string& ns);

  std::string prefix_;
  bool ipv6_;
  int mtu_;
  int receivers_;
  std::vector<std::string> namespaces_;
  std::string error_;
};

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_E2E_NETNS_LAN_H_
