// IpAddress: an IPv4 or IPv6 address as the network edge passes it around
// (an interface's address, a multicast group, the local end of a control
// connection), so that the sockets above it are written once for both
// families. An IPv6 address also carries the index of its interface: a
// link-local address names no single host without it (its zone, "%fcnet0"
// in text), and an IPv6 multicast join or send names the interface by it.
// A value type; copy it freely.
#ifndef FLEETCAST_PLATFORM_IP_ADDRESS_H_
#define FLEETCAST_PLATFORM_IP_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"

namespace fleetcast {

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  IpAddress(in_addr v4);  // NOLINT(google-explicit-constructor): IPv4 code reads as before
  IpAddress(const in6_addr& v6, uint32_t interface_index);

  /// "10.0.0.1", "fd7c::1", "fe80::1%fcnet0" (the zone an interface name
  /// or index); nullopt for anything else.
  static std::optional<IpAddress> Parse(const std::string& text);
  /// The address of an AF_INET or AF_INET6 socket address; 0.0.0.0 for
  /// any other family.
  static IpAddress FromSockaddr(const sockaddr* address);
  /// The unspecified address of `family` (0.0.0.0 or ::).
  static IpAddress Any(int family);

  int family() const { return family_; }
  bool is_v6() const { return family_ == AF_INET6; }
  const in_addr& v4() const { return v4_; }
  const in6_addr& v6() const { return v6_; }
  /// IPv6: the interface it belongs to, 0 if not known; always 0 for IPv4.
  uint32_t interface_index() const { return interface_index_; }
  void set_interface_index(uint32_t index) { interface_index_ = index; }

  bool is_multicast() const;
  bool is_loopback() const;
  bool is_unspecified() const;
  /// fe80::/10: usable only with its interface.
  bool is_link_local() const;
  /// IPv6 multicast: its scope (RFC 4291: 1 interface, 2 link, 5 site, 14
  /// global); 0 for anything else.
  int multicast_scope() const;
  /// IPv6 multicast: the T flag, a transient (not IANA-assigned) group.
  bool is_transient_multicast() const;

  /// "10.0.0.1", "fd7c::1"; a link-local IPv6 address with its zone
  /// ("fe80::1%fcnet0") when `with_zone` and the interface is known.
  std::string ToString(bool with_zone = true) const;
  /// Fills `out` with this address and `port` (the zone as scope id);
  /// returns the length to pass to bind/connect/sendto.
  socklen_t ToSockaddr(uint16_t port, sockaddr_storage* out) const;

  bool operator==(const IpAddress& other) const;
  bool operator!=(const IpAddress& other) const { return !(*this == other); }

 private:
  int family_ = AF_INET;
  in_addr v4_{};
  in6_addr v6_{};
  uint32_t interface_index_ = 0;
};

/// A multicast group given to `option` (e.g. "--group"): an IPv4 address in
/// 224.0.0.0/4, or a transient IPv6 group of admin-local scope or wider (a
/// link-local group needs a zone, and a permanent one belongs to IANA).
/// The error is one line naming the option and an example that works.
Result<IpAddress> ParseMulticastGroup(const std::string& option, const std::string& text);

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_IP_ADDRESS_H_
