// ControlConnection: the client's end of the control plane. A blocking TCP
// connection that first runs the secure channel's handshake
// (core/secure_channel.h), pinning the server's key, then carries framed
// control messages sealed in it: a fixed32 length, then the sealed CBOR body.
#ifndef FLEETCAST_PLATFORM_CONTROL_CONNECTION_H_
#define FLEETCAST_PLATFORM_CONTROL_CONNECTION_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/coding.h"
#include "core/control_message.h"
#include "core/secure_channel.h"
#include "core/signing.h"
#include "core/status.h"
#include "platform/ip_address.h"
#include "platform/wake_event.h"

namespace fleetcast {

class ControlConnection {
 public:
  ControlConnection() = default;  // not connected
  /// Connects to host:port (an IPv4 or IPv6 address, zone allowed, or a
  /// name) and runs the handshake within `timeout`. The
  /// server's key must be one of `trusted` (empty: any key; see server_key()).
  /// kNotFound: unknown host; kInvalidArgument: the server's key is not
  /// trusted; kIOError: no answer or not a fleetcast server.
  static Result<ControlConnection> Connect(const std::string& host, uint16_t port,
                                           std::chrono::milliseconds timeout,
                                           const std::vector<sign::PublicKey>& trusted);
  ControlConnection(ControlConnection&& other) noexcept;
  ControlConnection& operator=(ControlConnection&& other) noexcept;
  ~ControlConnection();

  Status Send(const control::Message& m);
  /// Waits at most `timeout` for one message; Status kNotFound on timeout
  /// or when `wake` is notified, kIOError when the peer closed or a message
  /// failed authentication.
  Result<control::Message> Receive(std::chrono::milliseconds timeout,
                                   const WakeEvent* wake = nullptr);
  /// The local address of the connection: the interface that reaches the
  /// server (IPv6: with that interface's index).
  IpAddress local_address() const;
  /// The key the server proved it holds.
  const sign::PublicKey& server_key() const { return server_key_; }

 private:
  Status SendFrame(ByteView body);
  Result<Bytes> ReceiveFrame(std::chrono::steady_clock::time_point deadline, const WakeEvent* wake);

  int fd_ = -1;
  Bytes buffer_;
  std::optional<secure::Channel> channel_;
  sign::PublicKey server_key_{};
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_CONTROL_CONNECTION_H_
