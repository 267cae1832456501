// The network edge both programs share: interface lookup, the multicast UDP
// sockets of the data plane (batched with sendmmsg/recvmmsg).
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
#include "platform/wake_event.h"

namespace fleetcast {

/// The IPv4 address of interface `name`, e.g. "lo" -> 127.0.0.1.
Result<in_addr> InterfaceAddress(const std::string& name);
/// The name of the interface holding address `addr`, or "" if none.
std::string InterfaceWithAddress(in_addr addr);
/// "52:54:00:12:34:56" from /sys/class/net/<name>/address, or "".
std::string InterfaceMac(const std::string& name);
std::string AddressText(in_addr addr);
/// Parses a dotted IPv4 address; false if it is not one.
bool ParseAddress(const std::string& text, in_addr* out);
/// The IPv4 addresses of the interfaces that are up and can multicast, and
/// of loopback (a server on this host): where a machine might find a server.
std::vector<in_addr> MulticastInterfaceAddresses();

/// Sends datagrams to one multicast group from one interface address.
class MulticastSender {
 public:
  static Result<MulticastSender> Open(in_addr interface_address, in_addr group, uint16_t port,
                                      int ttl);
  MulticastSender(MulticastSender&& other) noexcept;
  MulticastSender& operator=(MulticastSender&&) = delete;
  ~MulticastSender();

  /// Sends every datagram (blocking when the socket buffer is full).
  Status SendBatch(const std::vector<ByteView>& datagrams);

 private:
  MulticastSender() = default;
  int fd_ = -1;
  sockaddr_in dest_{};
};

/// Receives datagrams of one group on one interface address.
class MulticastReceiver {
 public:
  static Result<MulticastReceiver> Open(in_addr interface_address, in_addr group, uint16_t port);
  /// Receives the group on one more interface too.
  Status Join(in_addr interface_address);
  MulticastReceiver(MulticastReceiver&& other) noexcept;
  MulticastReceiver& operator=(MulticastReceiver&&) = delete;
  ~MulticastReceiver();

  /// Waits at most `wait` for datagrams, then returns those queued (up to a
  /// batch). The views point into this object's buffers, valid until the
  /// next call; nothing is allocated per call.
  Result<std::span<const ByteView>> Receive(std::chrono::milliseconds wait,
                                            const WakeEvent* wake = nullptr);

 private:
  MulticastReceiver() = default;
  int fd_ = -1;
  in_addr group_{};
  std::vector<Bytes> buffers_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<ByteView> views_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_NET_H_
