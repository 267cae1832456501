// The network edge both programs share: interface lookup, the multicast UDP
// sockets of the data plane (batched with sendmmsg/recvmmsg), over IPv4 or
// IPv6 alike (platform/ip_address.h).
#ifndef FLEETCAST_PLATFORM_NET_H_
#define FLEETCAST_PLATFORM_NET_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/coding.h"
#include "core/control_message.h"
#include "core/status.h"
#include "platform/ip_address.h"
#include "platform/wake_event.h"

namespace fleetcast {

/// The address of interface `name` in `family`: its IPv4 address, e.g.
/// "lo" -> 127.0.0.1; or for AF_INET6 a global (or unique local) address if
/// it has one, else its link-local one, with the interface's index either way.
Result<IpAddress> InterfaceAddress(const std::string& name, int family = AF_INET);
/// The name of the interface holding address `addr`, or "" if none.
std::string InterfaceWithAddress(const IpAddress& addr);
/// "52:54:00:12:34:56" from /sys/class/net/<name>/address, or "".
std::string InterfaceMac(const std::string& name);
/// addr.ToString(), as before IPv6 came.
std::string AddressText(const IpAddress& addr);
/// Parses a dotted IPv4 address; false if it is not one.
bool ParseAddress(const std::string& text, in_addr* out);
/// The addresses in `family` of the interfaces that are up and can
/// multicast, and of loopback (a server on this host): where a machine might
/// find a server. IPv6: one per interface, as a join names the interface.
std::vector<IpAddress> MulticastInterfaceAddresses(int family = AF_INET);

/// Sends datagrams to one multicast group from one interface address. The
/// group and the interface address are of one family; IPv6 sends on the
/// interface whose index the address carries (InterfaceAddress gives it).
class MulticastSender {
 public:
  /// `ttl`: the IPv4 TTL or IPv6 hop limit. Copies of what it sends loop
  /// back to receivers on this host (tests, a client beside the server).
  static Result<MulticastSender> Open(const IpAddress& interface_address, const IpAddress& group,
                                      uint16_t port, int ttl);
  MulticastSender(MulticastSender&& other) noexcept;
  MulticastSender& operator=(MulticastSender&&) = delete;
  ~MulticastSender();

  /// Sends every datagram (blocking when the socket buffer is full).
  Status SendBatch(const std::vector<ByteView>& datagrams);

 private:
  MulticastSender() = default;
  int fd_ = -1;
  sockaddr_storage dest_{};
  socklen_t dest_length_ = 0;
};

/// Receives datagrams of one group on one interface address (IPv6: on the
/// interface whose index it carries; 0 lets the kernel choose by route).
class MulticastReceiver {
 public:
  static Result<MulticastReceiver> Open(const IpAddress& interface_address, const IpAddress& group,
                                        uint16_t port);
  /// Receives the group on one more interface too.
  Status Join(const IpAddress& interface_address);
  MulticastReceiver(MulticastReceiver&& other) noexcept;
  MulticastReceiver& operator=(MulticastReceiver&&) = delete;
  ~MulticastReceiver();

  /// Waits at most `wait` for datagrams, then returns those queued (up to a
  /// batch). The views point into this object's buffers, valid until the
  /// next call; nothing is allocated per call.
  Result<std::span<const ByteView>> Receive(std::chrono::milliseconds wait,
                                            const WakeEvent* wake = nullptr);
  /// The socket, for a poll() over several receivers (then Receive(0ms)).
  int fd() const { return fd_; }

 private:
  MulticastReceiver() = default;
  int fd_ = -1;
  IpAddress group_;
  std::vector<Bytes> buffers_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<ByteView> views_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_NET_H_
