// Announcer: multicasts the server's announce (core/announce.h) once a
// second, from a thread of its own, for as long as it lives, so that a
// machine booted without `fleetcast.server=` finds the server by itself.
// serve creates one once its control port and HTTP server listen, and lets
// it go when it returns. Start and the destructor are called from one thread.
#ifndef FLEETCAST_SERVER_ANNOUNCER_H_
#define FLEETCAST_SERVER_ANNOUNCER_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/announce.h"
#include "core/status.h"
#include "platform/net.h"

namespace fleetcast {

class Announcer {
 public:
  static constexpr std::chrono::seconds kInterval{1};

  /// Parses `endpoint` ("GROUP:PORT" or "[GROUP]:PORT", as --announce; ""
  /// for none, which gives a null Announcer), opens a socket sending from
  /// `interface`'s address of the group's IP version with multicast TTL
  /// (hop limit) `ttl`, and sends `what` now and every kInterval until
  /// destroyed. Errors: a bad endpoint, an interface without such an
  /// address, the socket.
  static Result<std::unique_ptr<Announcer>> Start(const std::string& endpoint,
                                                  const std::string& interface, int ttl,
                                                  const announce::Announce& what);
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

 private:
  Announcer(MulticastSender socket, Bytes datagram);
  void Run();
  void SendOne();

  MulticastSender socket_;  // the sending thread's
  const Bytes datagram_;
  bool failing_ = false;  // the sending thread's: the last send failed (warned once)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;  // guarded by mu_
  std::thread thread_;    // runs Run until the destructor stops and joins it
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_ANNOUNCER_H_
