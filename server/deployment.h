// Deployment: the state one `serve` shares between the control sessions
// (Asio thread) and the stream sender (its own thread): who has joined, what
// each still needs (through the RepairPlanner), who is done. Every method
// locks; the sender waits on it for joins and reports.
#ifndef FLEETCAST_SERVER_DEPLOYMENT_H_
#define FLEETCAST_SERVER_DEPLOYMENT_H_

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
#include "core/image_format.h"
#include "core/repair_planner.h"
#include "core/scan_frontier.h"

namespace fleetcast {

class Deployment {
 public:
  /// Sends a message to one client; set by the control server.
  using Sender = std::function<void(const control::Message&)>;

  struct ClientView {
    std::string node;
    bool connected = false;
    bool done = false;
    bool slow = false;
    uint64_t chunks_done = 0;
    uint64_t rejected = 0;
    uint64_t forged = 0;          // datagrams of the session whose tag failed, since start
    uint64_t last_datagrams = 0;  // shards it took in the last pass
    double loss = 0;              // its loss in the latest pass it reported on
    bool scanned = false;         // its complete `have` arrived: its scan is over
    uint64_t chunks_have = 0;     // chunks its disk held before the stream (its `have`)
    uint64_t reused = 0;          // chunks it kept and did not write (its `done`)
    uint64_t written = 0;         // chunks it wrote (its `done`)
    std::string digest;
    std::string failed;  // why its client gave up (its error message); empty if it did not
  };

  Deployment(const image::Manifest& manifest, uint32_t shard_size, uint32_t max_data_shards);

  // Control-session events.
  void Join(const std::string& node, Sender sender);
  void Leave(const std::string& node);
  void OnReport(const std::string& node, const control::Report& report);
  /// A client's loss so far in the current pass.
  void OnProgress(const std::string& node, const control::Progress& progress);
  /// What a client's disk already holds; a have-set that does not fit the
  /// image is an error for the caller to send back.
  Status OnHave(const std::string& node, const control::Have& have);
  /// Records a client's verified digest and what it reused and wrote; false
  /// if the digest differs from the image.
  bool OnDone(const std::string& node, const control::Done& done);
  /// A client that gives up says why (a full disk, an untrusted image): the
  /// node has failed with that reason until it joins again.
  void OnFailed(const std::string& node, const std::string& reason);

  // Sender side.
  /// Waits until min_clients have joined, or max_wait passed with at least
  /// one, or `stop` is set. Returns false if stopped first.
  bool WaitForStart(size_t min_clients, std::chrono::seconds max_wait,
                    const std::atomic<bool>* stop);
  /// Starts the first pass, which follows the scans of the clients joined
  /// so far (core/scan_frontier.h): chunks are planned as every disk has
  /// decided them. A client still scanning after `have_timeout` is planned
  /// for as holding nothing past its frontier.
  void BeginScannedPass(std::chrono::seconds have_timeout);
  /// The first pass's next piece: waits until more chunks are decided on
  /// every disk (or the have timeout passes, or `stop`), then plans them.
  /// `*last` is set once every chunk has been planned. May be empty (no
  /// client lacks the chunks decided).
  std::vector<ShardRef> PlanScanned(const std::atomic<bool>* stop, bool* last);
  /// Plans the next pass; clients connected now are asked to report after it.
  std::vector<ShardRef> PlanPass(uint32_t pass);
  /// Parity for a block sent whole, after its last data shard.
  std::vector<ShardRef> ProactiveParity(const ShardRef& whole_end);
  bool catch_up() const;
  /// The median loss, over the clients not slow, in what each received since
  /// this was last asked; nothing if no client said anything new.
  std::optional<double> TakeIntervalLoss();
  double SlowestShare() const;
  /// Tells every connected client the pass ended, then waits until each of
  /// them reported or left, at most `timeout`.
  void EndPass(uint32_t pass, std::chrono::milliseconds timeout);
  /// True when every client that joined is done or gone, and one was done.
  bool Finished() const;
  /// Waits until a client joins or the timeout passes.
  void WaitForChange(std::chrono::milliseconds timeout);
  /// One line per pass for the log: each client's chunks and pass loss.
  std::string PassSummary(uint32_t pass, uint64_t pass_datagrams) const;
  /// Sends a release to every connected client.
  void ReleaseAll(const std::string& action);
  /// Ends the deployment for every connected client: each gets an error
  /// message saying why, so it stops instead of waiting for more.
  void FailAll(const std::string& why);
  /// Waits until every client has hung up, at most `timeout`.
  void WaitForHangUps(std::chrono::milliseconds timeout);
  /// "n2 failed: <reason>" for the first node whose client gave up; OK if none did.
  Status Failures() const;
  /// The operator's "start now": the session starts with whoever has joined.
  Status StartNow();
  /// Sends m to one client; false if it is not connected.
  bool SendTo(const std::string& node, const control::Message& m);
  void Wake();

  std::vector<ClientView> Clients() const;
  const fec::ChunkLayout& layout(size_t entry) const { return planner_.layout(entry); }

 private:
  struct Client {
    ClientView view;
    Sender sender;
    bool reported = true;
    control::Progress progress;  // the last one, of pass `pass_`
    std::optional<double> interval_loss;
    uint32_t scan_haves = 0;  // `have`s with a frontier since it joined
  };

  const image::Manifest& manifest_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  RepairPlanner planner_;
  ScanFrontier scans_;  // the clients the first pass waits for
  std::chrono::steady_clock::time_point have_deadline_;
  std::map<std::string, Client> clients_;
  uint32_t pass_ = 0;
  bool start_now_ = false;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_DEPLOYMENT_H_
