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
#include <utility>

namespace fleetcast {

namespace {

constexpr size_t kBatch = 64;
constexpr size_t kMaxDatagram = 65536;
constexpr int kSocketBuffer = 8 * 1024 * 1024;

Status SocketError(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Asks for big socket buffers; as root past net.core.*mem_max.
void SetBuffer(int fd, int option, int force_option) {
  const int size = kSocketBuffer;
  if (::setsockopt(fd, SOL_SOCKET, force_option, &size, sizeof(size)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, option, &size, sizeof(size));
  }
}

}  // namespace

Result<in_addr> InterfaceAddress(const std::string& name) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return SocketError("getifaddrs");
  Result<in_addr> found = Status::NotFound(
      "--interface " + name + ": no such interface with an IPv4 address; see `ip -4 addr`");
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET && name == i->ifa_name) {
      found = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
      break;
    }
  }
  ::freeifaddrs(list);
  return found;
}

std::string InterfaceWithAddress(in_addr addr) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string name;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET &&
        reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr == addr.s_addr) {
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

std::string AddressText(in_addr addr) {
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &addr, buf, sizeof(buf));
  return buf;
}

bool ParseAddress(const std::string& text, in_addr* out) {
  return ::inet_pton(AF_INET, text.c_str(), out) == 1;
}

std::vector<in_addr> MulticastInterfaceAddresses() {
  std::vector<in_addr> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    const unsigned flags = i->ifa_flags;
    // Linux's lo has no IFF_MULTICAST, yet carries multicast sent on it.
    if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET && (flags & IFF_UP) != 0 &&
        (flags & (IFF_MULTICAST | IFF_LOOPBACK)) != 0) {
      out.push_back(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr);
    }
  }
  ::freeifaddrs(list);
  return out;
}

Result<MulticastSender> MulticastSender::Open(in_addr interface_address, in_addr group,
                                              uint16_t port, int ttl) {
  MulticastSender s;
  s.fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) return SocketError("udp socket");
  const unsigned char ttl_byte = static_cast<unsigned char>(ttl);
  const unsigned char loop = 1;  // receivers on this host (tests, loopback) hear it too
  if (::setsockopt(s.fd_, IPPROTO_IP, IP_MULTICAST_IF, &interface_address,
                   sizeof(interface_address)) != 0 ||
      ::setsockopt(s.fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl_byte, sizeof(ttl_byte)) != 0 ||
      ::setsockopt(s.fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) != 0) {
    return SocketError("multicast sender options");
  }
  SetBuffer(s.fd_, SO_SNDBUF, SO_SNDBUFFORCE);
  s.dest_.sin_family = AF_INET;
  s.dest_.sin_addr = group;
  s.dest_.sin_port = htons(port);
  return s;
}

MulticastSender::MulticastSender(MulticastSender&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dest_(other.dest_) {}

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
    msgs[i].msg_hdr.msg_namelen = sizeof(dest_);
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

Result<MulticastReceiver> MulticastReceiver::Open(in_addr interface_address, in_addr group,
                                                  uint16_t port) {
  MulticastReceiver r;
  r.fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (r.fd_ < 0) return SocketError("udp socket");
  const int one = 1;
  ::setsockopt(r.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  SetBuffer(r.fd_, SO_RCVBUF, SO_RCVBUFFORCE);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr = group;  // only this group's datagrams, not every one on the port
  local.sin_port = htons(port);
  if (::bind(r.fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return SocketError("bind " + AddressText(group) + ":" + std::to_string(port));
  }
  r.group_ = group;
  if (Status s = r.Join(interface_address); !s.ok()) return s;
  r.buffers_.assign(kBatch, Bytes(kMaxDatagram));
  return r;
}

Status MulticastReceiver::Join(in_addr interface_address) {
  ip_mreq join{};
  join.imr_multiaddr = group_;
  join.imr_interface = interface_address;
  if (::setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof(join)) != 0) {
    return SocketError("join " + AddressText(group_) + " on " + AddressText(interface_address));
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
