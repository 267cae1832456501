#include "platform/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <utility>

#include "core/host_port.h"

namespace fleetcast {

namespace {

constexpr size_t kBatch = 64;
constexpr size_t kMaxDatagram = 65536;
constexpr int kSocketBuffer = 8 * 1024 * 1024;

Status SocketError(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// An interface's address; an IPv6 one with the interface's index, which
// IPv6 multicast names the interface by.
IpAddress AddressOf(const ifaddrs* i) {
  IpAddress a = IpAddress::FromSockaddr(i->ifa_addr);
  if (a.is_v6()) a.set_interface_index(::if_nametoindex(i->ifa_name));
  return a;
}

Status FamilyMismatch(const IpAddress& group, const IpAddress& interface_address) {
  return Status::InvalidArgument("group " + group.ToString() + " and interface address " +
                                 interface_address.ToString() +
                                 " are not of one IP version; use an interface address of the "
                                 "group's");
}

// The interface, TTL (IPv6: hop limit) and loopback of a sender's datagrams;
// false with errno set if the kernel refused one.
bool SetSenderOptions(int fd, const IpAddress& interface_address, int ttl) {
  if (interface_address.is_v6()) {
    const int index = static_cast<int>(interface_address.interface_index());
    const int hops = ttl;
    const unsigned loop = 1;  // receivers on this host (tests) hear it too
    return ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof(index)) == 0 &&
           ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) == 0 &&
           ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof(loop)) == 0;
  }
  const in_addr address = interface_address.v4();
  const unsigned char ttl_byte = static_cast<unsigned char>(ttl);
  const unsigned char loop = 1;  // receivers on this host (tests, loopback) hear it too
  return ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &address, sizeof(address)) == 0 &&
         ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl_byte, sizeof(ttl_byte)) == 0 &&
         ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) == 0;
}

// Asks for big socket buffers; as root past net.core.*mem_max.
void SetBuffer(int fd, int option, int force_option) {
  const int size = kSocketBuffer;
  if (::setsockopt(fd, SOL_SOCKET, force_option, &size, sizeof(size)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, option, &size, sizeof(size));
  }
}

}  // namespace

Result<IpAddress> InterfaceAddress(const std::string& name, int family) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return SocketError("getifaddrs");
  std::optional<IpAddress> found;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family || name != i->ifa_name) continue;
    const IpAddress a = AddressOf(i);
    // A global address reaches the LAN by itself; a link-local one only
    // with its zone, so it is the fallback.
    if (!found || (found->is_link_local() && !a.is_link_local())) found = a;
    if (!a.is_link_local()) break;
  }
  ::freeifaddrs(list);
  if (found) return *found;
  if (family == AF_INET6) {
    return Status::NotFound("--interface " + name +
                            ": no such interface with an IPv6 address; see `ip -6 addr`");
  }
  return Status::NotFound("--interface " + name +
                          ": no such interface with an IPv4 address; see `ip -4 addr`");
}

std::string InterfaceWithAddress(const IpAddress& addr) {
  char known[IF_NAMESIZE] = {};
  if (addr.is_v6() && addr.interface_index() != 0 &&
      ::if_indextoname(addr.interface_index(), known) != nullptr) {
    return known;
  }
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string name;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != addr.family()) continue;
    IpAddress a = IpAddress::FromSockaddr(i->ifa_addr);
    a.set_interface_index(addr.interface_index());
    if (a == addr) {
      name = i->ifa_name;
      break;
    }
  }
  ::freeifaddrs(list);
  return name;
}

std::string InterfaceMac(const std::string& name) {
  std::ifstream f("/sys/class/net/" + name + "/address");
  std::string mac;
  std::getline(f, mac);
  return mac;
}

std::string AddressText(const IpAddress& addr) { return addr.ToString(); }

bool ParseAddress(const std::string& text, in_addr* out) {
  return ::inet_pton(AF_INET, text.c_str(), out) == 1;
}

std::vector<IpAddress> MulticastInterfaceAddresses(int family) {
  std::vector<IpAddress> out;
  std::set<std::string> names;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    const unsigned flags = i->ifa_flags;
    // Linux's lo has no IFF_MULTICAST, yet carries multicast sent on it.
    if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == family && (flags & IFF_UP) != 0 &&
        (flags & (IFF_MULTICAST | IFF_LOOPBACK)) != 0 &&
        (family != AF_INET6 || names.insert(i->ifa_name).second)) {
      out.push_back(AddressOf(i));
    }
  }
  ::freeifaddrs(list);
  return out;
}

Result<MulticastSender> MulticastSender::Open(const IpAddress& interface_address,
                                              const IpAddress& group, uint16_t port, int ttl) {
  if (interface_address.family() != group.family()) {
    return FamilyMismatch(group, interface_address);
  }
  MulticastSender s;
  s.fd_ = ::socket(group.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) return SocketError("udp socket");
  if (!SetSenderOptions(s.fd_, interface_address, ttl)) {
    return SocketError("multicast sender options");
  }
  SetBuffer(s.fd_, SO_SNDBUF, SO_SNDBUFFORCE);
  s.dest_length_ = group.ToSockaddr(port, &s.dest_);
  return s;
}

MulticastSender::MulticastSender(MulticastSender&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dest_(other.dest_), dest_length_(other.dest_length_) {}

MulticastSender::~MulticastSender() {
  if (fd_ >= 0) ::close(fd_);
}

Status MulticastSender::SendBatch(const std::vector<ByteView>& datagrams) {
  std::vector<mmsghdr> msgs(datagrams.size());
  std::vector<iovec> iovs(datagrams.size());
  for (size_t i = 0; i < datagrams.size(); ++i) {
    iovs[i] = {const_cast<uint8_t*>(datagrams[i].data()), datagrams[i].size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &dest_;
    msgs[i].msg_hdr.msg_namelen = dest_length_;
  }
  size_t sent = 0;
  while (sent < msgs.size()) {
    const int n = ::sendmmsg(fd_, msgs.data() + sent, static_cast<unsigned>(msgs.size() - sent), 0);
    if (n < 0 && (errno == EINTR || errno == ENOBUFS)) continue;
    if (n < 0) return SocketError("sendmmsg");
    sent += static_cast<size_t>(n);
  }
  return Status::OK();
}

Result<MulticastReceiver> MulticastReceiver::Open(const IpAddress& interface_address,
                                                  const IpAddress& group, uint16_t port) {
  MulticastReceiver r;
  r.fd_ = ::socket(group.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (r.fd_ < 0) return SocketError("udp socket");
  const int one = 1;
  ::setsockopt(r.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  SetBuffer(r.fd_, SO_RCVBUF, SO_RCVBUFFORCE);
  sockaddr_storage local{};
  // The group, not the wildcard: only this group's datagrams, not every one on the port.
  const socklen_t length = group.ToSockaddr(port, &local);
  if (::bind(r.fd_, reinterpret_cast<sockaddr*>(&local), length) != 0) {
    return SocketError("bind " + JoinHostPort(group.ToString(), port));
  }
  r.group_ = group;
  if (Status s = r.Join(interface_address); !s.ok()) return s;
  r.buffers_.assign(kBatch, Bytes(kMaxDatagram));
  return r;
}

Status MulticastReceiver::Join(const IpAddress& interface_address) {
  if (interface_address.family() != group_.family()) {
    return FamilyMismatch(group_, interface_address);
  }
  int rc = 0;
  if (group_.is_v6()) {
    ipv6_mreq join{};
    join.ipv6mr_multiaddr = group_.v6();
    join.ipv6mr_interface = interface_address.interface_index();
    rc = ::setsockopt(fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &join, sizeof(join));
  } else {
    ip_mreq join{};
    join.imr_multiaddr = group_.v4();
    join.imr_interface = interface_address.v4();
    rc = ::setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof(join));
  }
  if (rc != 0) {
    return SocketError("join " + group_.ToString() + " on " + interface_address.ToString());
  }
  return Status::OK();
}

MulticastReceiver::MulticastReceiver(MulticastReceiver&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      group_(other.group_),
      buffers_(std::move(other.buffers_)) {}
// msgs_ and iovs_ point into buffers_: they are rebuilt on every Receive.

MulticastReceiver::~MulticastReceiver() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::span<const ByteView>> MulticastReceiver::Receive(std::chrono::milliseconds wait,
                                                             const WakeEvent* wake) {
  if (msgs_.empty()) {
    msgs_.resize(kBatch);
    iovs_.resize(kBatch);
    views_.reserve(kBatch);
  }
  views_.clear();
  for (size_t i = 0; i < kBatch; ++i) {
    iovs_[i] = {buffers_[i].data(), buffers_[i].size()};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  // Under load datagrams are already queued: take them without a poll; wait
  // only when the queue is empty.
  int n = ::recvmmsg(fd_, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n < 0 && errno == EAGAIN) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake != nullptr ? wake->fd() : -1, POLLIN, 0}};
    if (::poll(p, 2, static_cast<int>(wait.count())) <= 0) return std::span<const ByteView>();
    if ((p[1].revents & POLLIN) != 0) {
      wake->Drain();
      return std::span<const ByteView>();
    }
    n = ::recvmmsg(fd_, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return std::span<const ByteView>();
  if (n < 0) return SocketError("recvmmsg");
  for (int i = 0; i < n; ++i) views_.emplace_back(buffers_[i].data(), msgs_[i].msg_len);
  return std::span<const ByteView>(views_);
}

}  // namespace fleetcast
