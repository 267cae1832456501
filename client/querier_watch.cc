#include "client/querier_watch.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace fleetcast {

namespace {

// How often the thread looks at stop_ while no packet comes.
constexpr int kPollMs = 100;

// A raw socket that gets the interface's IGMP packets (IPv4) or only its MLD
// queries (IPv6); -1 with errno set if it cannot be had.
int OpenRawSocket(const std::string& interface, bool ipv6) {
  const int fd = ipv6 ? ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6)
                      : ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP);
  if (fd < 0) return -1;
  if (ipv6) {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(MLD_LISTENER_QUERY, &filter);
    if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) != 0) {
      ::close(fd);
      return -1;
    }
  }
  // Queries on other interfaces say nothing about this segment.
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                   static_cast<socklen_t>(interface.size())) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

QuerierWatch::QuerierWatch(const std::string& interface, bool ipv6, bool loopback)
    : ipv6_(ipv6), start_(std::chrono::steady_clock::now()) {
  if (loopback || interface.empty()) return;
  fd_ = OpenRawSocket(interface, ipv6);
  if (fd_ < 0) {
    state_ = netcheck::Querier::kNoAccess;
    spdlog::warn("cannot watch {} for {} queries: {} (needs CAP_NET_RAW)", interface,
                 ipv6 ? "MLD" : "IGMP", std::strerror(errno));
    return;
  }
  state_ = netcheck::Querier::kNotSeen;
  thread_ = std::thread([this] { Loop(); });
}

QuerierWatch::~QuerierWatch() {
  Stop();
  if (fd_ >= 0) ::close(fd_);
}

void QuerierWatch::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void QuerierWatch::Loop() {
  std::array<uint8_t, 2048> buf;
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n =
        ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0 ||
        !netcheck::IsMembershipQuery(std::span(buf.data(), static_cast<size_t>(n)), ipv6_)) {
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (querier_address_.empty()) {
      querier_address_ =
          IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&from)).ToString(false);
    }
  }
}

netcheck::ReceiverHealth QuerierWatch::Finish() {
  Stop();
  netcheck::ReceiverHealth h;
  h.querier = state_;
  h.listened_ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now() - start_)
                                            .count());
  std::lock_guard<std::mutex> lock(mu_);
  if (!querier_address_.empty()) {
    h.querier = netcheck::Querier::kSeen;
    h.querier_address = querier_address_;
  }
  if (h.querier == netcheck::Querier::kUnknown || h.querier == netcheck::Querier::kNoAccess) {
    h.listened_ms = 0;
  }
  return h;
}

}  // namespace fleetcast
