// NetcheckClients: the clients of a netcheck, as the control server hands
// them over (hello, netcheck_ready, netcheck_report, hang-up), and the waits
// the check's thread runs on them: for enough clients, for them to join the
// test group, for their reports. Every joining client is sent the check's
// `netcheck` message at once; one that joins after the traffic began is
// turned away with a line saying so. Thread-safe: the control server's thread calls the On*
// methods, the check's thread waits.
#ifndef FLEETCAST_SERVER_NETCHECK_CLIENTS_H_
#define FLEETCAST_SERVER_NETCHECK_CLIENTS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/control_message.h"

namespace fleetcast {

class NetcheckClients {
 public:
  using Sender = std::function<void(const control::Message&)>;

  /// What a client that joins serve --netcheck after its test traffic
  /// began is told (the check may run longer than the client waits).
  static constexpr const char* kLateForDeploy =
      "a netcheck is running without this client; start the clients before the check, or this "
      "one again once the check is over to join the deployment";

  /// `check`: the message every client gets when it says hello. With
  /// `then_deploy` (serve --netcheck), the clients stay for the deployment;
  /// one that joins after the test traffic began is turned away with
  /// kLateForDeploy.
  explicit NetcheckClients(control::Netcheck check, bool then_deploy = false)
      : check_(std::move(check)), then_deploy_(then_deploy) {}

  // Control server side.
  void Join(const std::string& node, Sender sender);
  void Leave(const std::string& node);
  void OnReady(const std::string& node);
  void OnReport(const std::string& node, const control::NetcheckReport& report);
  void OnError(const std::string& node, const std::string& message);

  // The check's side; each wait ends early when `stop` is set (and Wake()).
  /// Until `min` clients joined, or `max_wait` after the first; the nodes then.
  std::vector<std::string> WaitForClients(size_t min, std::chrono::seconds max_wait,
                                          const std::atomic<bool>* stop);
  /// From now on a client that joins is turned away. Until every client
  /// still connected is ready, at most `timeout`; the ready ones.
  std::vector<std::string> WaitForReady(std::chrono::milliseconds timeout,
                                        const std::atomic<bool>* stop);
  /// Sends m to each of `nodes` still connected.
  void Send(const std::vector<std::string>& nodes, const control::Message& m);
  /// Until every one of `nodes` still connected reported, at most `timeout`;
  /// the reports by node.
  std::map<std::string, control::NetcheckReport> WaitForReports(
      const std::vector<std::string>& nodes, std::chrono::milliseconds timeout,
      const std::atomic<bool>* stop);
  /// Releases `ready` (the clients the check ran with) and tells any other
  /// client still connected that it ran without it.
  void Finish(const std::vector<std::string>& ready);
  /// Until every client hung up, at most `timeout`.
  void WaitForHangUps(std::chrono::milliseconds timeout);
  void Wake();

 private:
  struct Client {
    Sender sender;
    bool ready = false;
    std::optional<control::NetcheckReport> report;
  };
  /// Waits on cv_ until done() or the deadline or stop; lock held.
  template <typename Done>
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline,
                 const std::atomic<bool>* stop, Done done);

  const control::Netcheck check_;
  const bool then_deploy_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Client> clients_;
  std::optional<std::chrono::steady_clock::time_point> first_join_;
  bool started_ = false;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_NETCHECK_CLIENTS_H_
