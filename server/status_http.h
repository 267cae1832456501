// StatusHttpServer: the deployment server's HTTP face for an operator's
// browser and for the nodes' first-boot call back. It serves the status page,
// the state as JSON, live updates as server-sent events, Prometheus metrics,
// and the operator's actions (start now, hold a group, release a node), which
// need the operator token as `Authorization: Bearer <token>`.
//
// It knows the deployment only through StatusSource, so it can be tested
// alone. Runs on the io_context given (one thread, like ControlServer; each
// connection has its own strand, the server's own state another).
#ifndef FLEETCAST_SERVER_STATUS_HTTP_H_
#define FLEETCAST_SERVER_STATUS_HTTP_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/asio.h"

namespace fleetcast {

/// What the HTTP server shows and does; implemented by the deployment. Its
/// methods are called from the io_context's threads (concurrently, if several
/// threads run it), so an implementation guards its own state.
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  /// The whole state as JSON: {"session":..., "nodes":[{"node", "hostname",
  /// "state", "progress" (0..1), "mbps", "loss" (0..1), "seconds", "reason",
  /// "group", "boot_order"}...], "groups":[{"name", "waiting_for", "held", ...}],
  /// "totals":{...}}.
  virtual nlohmann::json Snapshot() = 0;
  /// Prometheus text exposition (the source knows its counters).
  virtual std::string Metrics() = 0;
  /// Operator actions; return a one-line error status when refused.
  virtual Status StartNow() = 0;
  virtual Status Hold(const std::string& group, bool held) = 0;
  virtual Status Release(const std::string& node) = 0;
  /// A node's first-boot call back proving it is up; `token` is the per-node
  /// token it was given. Not OK when the token is wrong (answered with 403).
  virtual Status NodeUp(const std::string& node, const std::string& token) = 0;
  /// Network boot (serve --boot-dir): the iPXE script for a booting machine's
  /// MAC, or the chain script every machine fetches first when `mac` is
  /// empty. NotFound when network boot is off.
  virtual Result<std::string> BootScript(const std::string& /*mac*/) { return NoBoot(); }
  /// serve --tokens: a fresh one-time install token for a node (operator).
  virtual Result<std::string> IssueToken(const std::string& /*node*/) {
    return Status::NotFound("this server hands out no install tokens; start serve with --tokens");
  }
  /// A boot media file (kernel, initramfs) by name, or null.
  virtual std::shared_ptr<const std::string> BootFile(const std::string& /*name*/) {
    return nullptr;
  }
  /// serve --netcheck: the check's plot (SVG text) once it ran, or null.
  virtual std::shared_ptr<const std::string> NetcheckSvg() { return nullptr; }

 protected:
  static Status NoBoot() {
    return Status::NotFound("network boot is off; start serve with --boot-dir");
  }
};

/// Routes (answers are one-line JSON errors {"error": ...} when refused):
///   GET  /                                the status page (server/status_page.h)
///   GET  /api/state                       Snapshot() as JSON
///   GET  /api/events                      text/event-stream: "data: <snapshot>\n\n" on connect
///                                         and after Notify; ": keep-alive" comments
///   GET  /metrics                         Metrics(), text/plain; version=0.0.4
///   GET  /netcheck.svg                    NetcheckSvg(), image/svg+xml; 404 before a check
///   POST /api/start-now                   StartNow()            } operator token, else 401;
///   POST /api/groups/<name>/hold          Hold(name, true)      } refused: 404 (NotFound),
///   POST /api/groups/<name>/release-hold  Hold(name, false)     } 400 (InvalidArgument),
///   POST /api/nodes/<node>/release        Release(node)         } 409 (other codes)
///   POST /api/nodes/<node>/token          IssueToken(node) -> {"node", "token"} (operator)
///   POST /api/nodes/<node>/up?token=T     NodeUp(node, T); refused or no token: 403
///   GET  /boot.ipxe                       BootScript(""), text/plain  } network boot:
///   GET  /boot/<mac>                      BootScript(mac)             } no token (the
///   GET  /boot/files/<name>               BootFile(name)              } firmware has none)
/// Other paths 404, other methods 405, bodies over kMaxBodyBytes 413.
class StatusHttpServer {
 public:
  /// Request bodies longer than this are refused with 413.
  static constexpr size_t kMaxBodyBytes = size_t{64} * 1024;
  /// Live updates are pushed at most once per this interval; a burst of
  /// Notify calls within it ends in one more push of the latest state.
  static constexpr std::chrono::milliseconds kPushInterval{100};
  /// A comment line is sent to each live-update subscriber this often, so
  /// proxies and browsers keep an idle stream open.
  static constexpr std::chrono::seconds kKeepAliveInterval{15};

  /// Listens on `at` (port 0 picks one). `source` must outlive the server. An
  /// empty `operator_token` refuses every operator action. Throws
  /// boost::system::system_error if it cannot listen (like ControlServer).
  StatusHttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at,
                   StatusSource* source, std::string operator_token);
  StatusHttpServer(const StatusHttpServer&) = delete;
  StatusHttpServer& operator=(const StatusHttpServer&) = delete;
  /// The server must outlive the io_context's run(): Stop() it, let run()
  /// return, then destroy it.
  ~StatusHttpServer();

  /// The port actually bound (for port 0).
  uint16_t port() const { return port_; }
  /// Tells every live-update subscriber that the snapshot changed. Any thread.
  void Notify();
  /// Pushes the current snapshot to every subscriber now and waits until each
  /// has it on the wire (or is gone), at most `timeout`: the last state reaches
  /// open pages before Stop. Not from the io_context's thread.
  void Flush(std::chrono::milliseconds timeout);
  /// Closes the acceptor and every connection, so run() can return. Any thread.
  void Stop();

 private:
  class Connection;   // a live connection, which Stop closes
  class HttpSession;  // one keep-alive HTTP connection: request, response, repeat
  class EventStream;  // a connection turned into a live-update stream

  void DoAccept();
  void RetryAccept(boost::system::error_code ec);
  void OnNotify();
  void Push();
  /// Adds a live-update subscriber and sends it the current state.
  void Subscribe(const std::shared_ptr<EventStream>& stream);
  /// Remembers a connection so that Stop can close it.
  void Track(const std::weak_ptr<Connection>& connection);
  /// The current snapshot as one server-sent event.
  std::shared_ptr<const std::string> SnapshotEvent();
  void DoStop();
  /// Events handed to subscribers and not yet written or dropped (for
  /// Flush); shared, since an event stream may outlive the server.
  struct PendingEvents {
    std::mutex mu;
    std::condition_variable cv;
    int count = 0;
    bool pushed = false;
    void Add(int delta);
  };

  boost::asio::io_context& io_;
  // Serializes the handlers that touch the acceptor, timers, flags and lists.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer push_timer_;
  boost::asio::steady_timer accept_timer_;  // a pause after a failed accept
  StatusSource* source_;
  const std::string operator_token_;
  uint16_t port_ = 0;
  std::atomic<bool> notify_posted_{false};
  bool stopped_ = false;
  bool throttled_ = false;  // a push happened less than kPushInterval ago
  bool dirty_ = false;      // Notify came while throttled
  std::vector<std::weak_ptr<EventStream>> subscribers_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::shared_ptr<PendingEvents> pending_ = std::make_shared<PendingEvents>();
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_STATUS_HTTP_H_
