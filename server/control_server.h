// ControlServer: accepts one TCP connection per client (Boost.Asio) and runs
// a ControlSession on each: the secure channel's handshake with the server's
// key (core/secure_channel.h), then, sealed in it: hello -> session
// parameters and manifest, then
// reports and done, and pass ends and release the other way. Sessions only
// frame messages; what they mean is Deployment's business. Runs on one
// io_context thread; Deployment may call a session's sender from any thread
// (it posts onto the session's strand).
#ifndef FLEETCAST_SERVER_CONTROL_SERVER_H_
#define FLEETCAST_SERVER_CONTROL_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/control_message.h"
#include "core/secure_channel.h"
#include "core/signing.h"
#include "platform/asio.h"
#include "server/deployment.h"
#include "server/netcheck_clients.h"

namespace fleetcast {

/// A node's identity, looked up when it says hello with its one-time token
/// ("" for none) from address `peer`: nullopt when the server has no
/// inventory, an error (sent to the client, which stops) for a node the
/// inventory does not know or a token that does not redeem.
/// `server_address` is how this client reaches us.
using IdentityLookup = std::function<Result<std::optional<control::Identity>>(
    const std::string& node, const std::string& token, const std::string& peer,
    const std::string& server_address)>;

class ControlSession;

class ControlServer {
 public:
  /// Listens on endpoint; every client that says hello gets `session`, then
  /// its identity if `identity` gives one.
  /// `key` (the server's Ed25519 key, proven to every client) must outlive it.
  ControlServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                const sign::SecretKey& key, Deployment* deployment, control::Session session,
                IdentityLookup identity = {});

  /// Listens on endpoint for a netcheck: every client that says hello is
  /// handed to `netcheck` (docs/protocol.md, "Netcheck"), which must outlive it.
  ControlServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                const sign::SecretKey& key, NetcheckClients* netcheck);

  /// serve --netcheck: every client from now on, and every one connected,
  /// goes to the deployment this server was made with, as if it had just
  /// said hello. Call on the io_context's thread, once the check is over.
  void EndNetcheck();
  /// Hands clients to `netcheck` until EndNetcheck (serve --netcheck).
  void set_netcheck(NetcheckClients* netcheck) { netcheck_ = netcheck; }

  /// The port actually bound (for port 0).
  uint16_t port() const;
  /// Closes the acceptor and every session.
  void Stop();
  /// Closes every session (each leaves its deployment first), then gives the
  /// clients that say hello from now on `deployment` and `session`: serve's
  /// next deployment. Call on the io_context's thread; the previous
  /// deployment may be destroyed once this returns.
  void Restart(Deployment* deployment, control::Session session);

 private:
  void DoAccept();
  void CloseSessions();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const sign::SecretKey& key_;
  Deployment* deployment_;
  control::Session session_;
  IdentityLookup identity_;
  NetcheckClients* netcheck_ = nullptr;  // set: clients take part in a netcheck, not a deployment
  std::vector<std::weak_ptr<ControlSession>> sessions_;  // for CloseSessions
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_CONTROL_SERVER_H_
