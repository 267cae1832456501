#include "platform/ip_address.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

namespace fleetcast {

IpAddress::IpAddress(in_addr v4) : v4_(v4) {}

IpAddress::IpAddress(const in6_addr& v6, uint32_t interface_index)
    : family_(AF_INET6), v6_(v6), interface_index_(interface_index) {}

std::optional<IpAddress> IpAddress::Parse(const std::string& text) {
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return IpAddress(v4);
  const size_t percent = text.find('%');
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.substr(0, percent).c_str(), &v6) != 1) return std::nullopt;
  if (percent == std::string::npos) return IpAddress(v6, 0);
  const std::string zone = text.substr(percent + 1);
  uint32_t index = ::if_nametoindex(zone.c_str());
  if (index == 0) {
    // A numeric zone is the index itself.
    const auto [end, ec] = std::from_chars(zone.data(), zone.data() + zone.size(), index);
    if (ec != std::errc() || end != zone.data() + zone.size()) index = 0;
  }
  if (index == 0) return std::nullopt;
  return IpAddress(v6, index);
}

IpAddress IpAddress::FromSockaddr(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return IpAddress(reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return IpAddress(in6->sin6_addr, in6->sin6_scope_id);
  }
  return IpAddress();
}

IpAddress IpAddress::Any(int family) {
  return family == AF_INET6 ? IpAddress(in6addr_any, 0) : IpAddress(in_addr{htonl(INADDR_ANY)});
}

bool IpAddress::is_multicast() const {
  return is_v6() ? v6_.s6_addr[0] == 0xff : (ntohl(v4_.s_addr) >> 28) == 0xe;
}

bool IpAddress::is_loopback() const {
  return is_v6() ? IN6_IS_ADDR_LOOPBACK(&v6_) != 0 : (ntohl(v4_.s_addr) >> 24) == 127;
}

bool IpAddress::is_unspecified() const {
  return is_v6() ? IN6_IS_ADDR_UNSPECIFIED(&v6_) != 0 : v4_.s_addr == htonl(INADDR_ANY);
}

bool IpAddress::is_link_local() const { return is_v6() && IN6_IS_ADDR_LINKLOCAL(&v6_) != 0; }

int IpAddress::multicast_scope() const {
  return is_v6() && is_multicast() ? v6_.s6_addr[1] & 0x0f : 0;
}

bool IpAddress::is_transient_multicast() const {
  return is_v6() && is_multicast() && (v6_.s6_addr[1] & 0x10) != 0;
}

std::string IpAddress::ToString(bool with_zone) const {
  char text[INET6_ADDRSTRLEN] = {};
  if (!is_v6()) {
    ::inet_ntop(AF_INET, &v4_, text, sizeof(text));
    return text;
  }
  ::inet_ntop(AF_INET6, &v6_, text, sizeof(text));
  std::string out = text;
  char name[IF_NAMESIZE] = {};
  if (with_zone && is_link_local() && interface_index_ != 0) {
    out += "%";
    out += ::if_indextoname(interface_index_, name) != nullptr ? name
                                                               : std::to_string(interface_index_);
  }
  return out;
}

socklen_t IpAddress::ToSockaddr(uint16_t port, sockaddr_storage* out) const {
  *out = {};
  if (!is_v6()) {
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_addr = v4_;
    in->sin_port = htons(port);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
  in6->sin6_family = AF_INET6;
  in6->sin6_addr = v6_;
  in6->sin6_port = htons(port);
  // The kernel reads the scope id of link-local addresses (and link-local
  // groups) only; elsewhere it must be 0 or name the same interface.
  in6->sin6_scope_id = is_link_local() ? interface_index_ : 0;
  return sizeof(sockaddr_in6);
}

bool IpAddress::operator==(const IpAddress& other) const {
  if (family_ != other.family_) return false;
  if (!is_v6()) return v4_.s_addr == other.v4_.s_addr;
  return std::memcmp(&v6_, &other.v6_, sizeof(v6_)) == 0 &&
         interface_index_ == other.interface_index_;
}

Result<IpAddress> ParseMulticastGroup(const std::string& option, const std::string& text) {
  const std::optional<IpAddress> group = IpAddress::Parse(text);
  const std::string where = option + " " + text + ": ";
  if (!group || !group->is_multicast()) {
    return Status::InvalidArgument(where +
                                   "not a multicast address; use one in 239.0.0.0/8, or an IPv6 "
                                   "group in ff15::/16 (e.g. ff15::fc:1)");
  }
  // Admin-local (4) is the smallest scope an administrator configures: below
  // it are the interface (1) and the link (2), whose groups need a zone.
  if (group->is_v6() && (!group->is_transient_multicast() || group->multicast_scope() < 4)) {
    return Status::InvalidArgument(
        where +
        "not a transient IPv6 group of site scope (a permanent or link-local one is "
        "taken or needs a zone); use one in ff15::/16, e.g. ff15::fc:1");
  }
  return *group;
}

}  // namespace fleetcast
