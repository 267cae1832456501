#include "core/host_port.h"

#include <arpa/inet.h>

#include <charconv>

namespace fleetcast {

namespace {

// 1..65535 in decimal, nothing else.
std::optional<uint16_t> ParsePort(const std::string& text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > UINT16_MAX) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::optional<HostPort> WithPort(std::string host, const std::string& port_text,
                                 std::optional<uint16_t> default_port) {
  if (host.empty()) return std::nullopt;
  if (port_text.empty()) {
    if (!default_port) return std::nullopt;
    return HostPort{std::move(host), *default_port};
  }
  const std::optional<uint16_t> port = ParsePort(port_text);
  if (!port) return std::nullopt;
  return HostPort{std::move(host), *port};
}

// inet_pton reads a C string: a NUL inside `text` would hide what follows.
bool HasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

}  // namespace

std::optional<HostPort> SplitHostPort(const std::string& text,
                                      std::optional<uint16_t> default_port) {
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    const std::string rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) return std::nullopt;
    return WithPort(text.substr(1, close - 1), rest.empty() ? "" : rest.substr(1), default_port);
  }
  const size_t colon = text.find(':');
  if (text.find(']') != std::string::npos) return std::nullopt;
  // Two colons or more: a bare IPv6 address, which can carry no port.
  if (colon != std::string::npos && text.find(':', colon + 1) != std::string::npos) {
    return WithPort(text, "", default_port);
  }
  if (colon == std::string::npos) return WithPort(text, "", default_port);
  const std::string port = text.substr(colon + 1);
  if (port.empty()) return std::nullopt;
  return WithPort(text.substr(0, colon), port, default_port);
}

std::string JoinHostPort(const std::string& host, uint16_t port) {
  return UrlHost(host) + ":" + std::to_string(port);
}

std::string UrlHost(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

bool IsIPv6(const std::string& text) {
  in6_addr unused{};
  return !HasNul(text) && ::inet_pton(AF_INET6, text.c_str(), &unused) == 1;
}

bool IsIpAddress(const std::string& text) {
  in_addr unused{};
  return !HasNul(text) && (::inet_pton(AF_INET, text.c_str(), &unused) == 1 || IsIPv6(text));
}

bool IsMulticastAddress(const std::string& text) {
  if (HasNul(text)) return false;
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 28) == 0xe;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, text.c_str(), &v6) == 1 && v6.s6_addr[0] == 0xff;
}

}  // namespace fleetcast
