// ControlServer: accepts one TCP connection per client (Boost.Asio) and runs
// a ControlSession on each: hello -> session parameters and manifest, then
// reports and done, and pass ends and release the other way. Sessions only
// frame messages; what they mean is Deployment's business. Runs on one
// io_context thread; Deployment may call a session's sender from any thread
// (it posts onto the session's strand).
#ifndef FLEETCAST_SERVER_CONTROL_SERVER_H_
#define FLEETCAST_SERVER_CONTROL_SERVER_H_

#include <memory>

#include "core/control_message.h"
#include "platform/asio.h"
#include "server/deployment.h"

namespace fleetcast {

class ControlServer {
 public:
  /// Listens on endpoint; the session message holds everything but the manifest
  /// is filled from `manifest_bytes`.
  ControlServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                Deployment* deployment, control::Session session);

  /// The port actually bound (for port 0).
  uint16_t port() const;
  /// Closes the acceptor and every session.
  void Stop();

 private:
  void DoAccept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Deployment* deployment_;
  control::Session session_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_CONTROL_SERVER_H_
