// Addresses as users and peers write them: "10.0.0.1:7010", "[fd7c::1]:7010",
// a bare IPv6 address or a host name. Pure text: the one place that knows an
// IPv6 address is bracketed before ":PORT" (RFC 3986), so that every option
// taking HOST:PORT (--server, --announce, --http) reads IPv6 the same way.
#ifndef FLEETCAST_CORE_HOST_PORT_H_
#define FLEETCAST_CORE_HOST_PORT_H_

#include <cstdint>
#include <optional>
#include <string>

namespace fleetcast {

/// A host (address or name, without brackets) and a port.
struct HostPort {
  std::string host;
  uint16_t port = 0;

  bool operator==(const HostPort&) const = default;
};

/// Splits "HOST:PORT", "[V6]:PORT", "[V6]", a bare IPv6 address ("fd7c::1",
/// "fe80::1%eth0") or "HOST". Without a port, `default_port` is used if it
/// has a value; otherwise a port is required. nullopt for an empty host, a
/// port outside 1..65535, a missing required port or unbalanced brackets.
std::optional<HostPort> SplitHostPort(const std::string& text,
                                      std::optional<uint16_t> default_port = std::nullopt);
/// "HOST:PORT", bracketing a host that holds a ':' (an IPv6 address).
std::string JoinHostPort(const std::string& host, uint16_t port);
/// A host as it goes in a URL: an IPv6 address bracketed, anything else as is.
std::string UrlHost(const std::string& host);

/// True for an IPv6 address in text ("fd7c::1"; no zone, no brackets).
bool IsIPv6(const std::string& text);
/// True for an IPv4 (dotted quad) or IPv6 address.
bool IsIpAddress(const std::string& text);
/// True for an IPv4 address in 224.0.0.0/4 or an IPv6 one in ff00::/8.
bool IsMulticastAddress(const std::string& text);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_HOST_PORT_H_
