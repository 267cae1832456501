// Orchestrator: brings an inventory's nodes from "waiting" to "up" in a safe
// order. It follows the deployment (who joined, who verified), asks the
// release planner (core/release_planner.h) whom to release, records every
// step in the state store before acting on it (so a restarted server never
// releases a node twice), tells each released client over its own control
// connection, and proves nodes up: a TCP port on the node's address, or the
// node's own first-boot call back carrying its token.
//
// Thread-safe: Tick runs on the serve loop's thread, the HTTP server's
// handlers call the operator actions and NodeUp from the io thread.
#ifndef FLEETCAST_SERVER_ORCHESTRATOR_H_
#define FLEETCAST_SERVER_ORCHESTRATOR_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/node_state.h"
#include "core/release_planner.h"
#include "server/deployment.h"
#include "server/inventory_loader.h"
#include "server/state_store.h"

namespace fleetcast {

struct OrchestratorOptions {
  std::string state_path;  // SQLite file
  bool fresh_state = false;
  std::string on_release = "exit";
  bool standalone_together = false;
  std::string image_digest;
  std::string inventory_digest;
  uint64_t image_bytes = 0;    // raw size, for MB/s
  uint64_t stored_chunks = 0;  // for progress
};

class Orchestrator {
 public:
  static Result<std::unique_ptr<Orchestrator>> Create(const LoadedInventory* inventory,
                                                      Deployment* deployment,
                                                      const OrchestratorOptions& options);

  /// The secret a node's call back must carry; rendered into its answer files.
  std::string NodeToken(const NodeSpec& node) const;

  /// Follows the deployment, releases whom the planner says, checks "up".
  void Tick();
  /// True when nothing more will happen: every node that joined is up or
  /// failed, released outside a group, or waits in a timed-out group. A
  /// held group keeps serve running for its operator.
  bool Settled() const;
  /// True once every inventory node has joined (a start policy).
  bool AllJoined() const;
  /// Nodes still to be released (a restarted server waits for these only).
  size_t PendingNodes() const;
  /// OK when every node is up or released outside a group; else the first
  /// reason it is not, as one line (a held or timed-out group, a failed node,
  /// nodes that never joined).
  Status Outcome() const;

  // Operator actions and the nodes' call backs (the HTTP API).
  Status NodeUp(const std::string& node, const std::string& token);
  Status Hold(const std::string& group, bool held);
  Status ReleaseByHand(const std::string& node);

  /// What a machine booting from the network gets: the installer while its
  /// node is still to be deployed; the local disk once it was released, and
  /// for a MAC the inventory does not know (never wipe a stranger).
  struct BootChoice {
    bool install = false;
    std::string node;  // hostname, or the MAC of a stranger
    std::string disk;  // the node's disk key, for the installer
    std::string why;   // for the console, when booting locally
  };
  BootChoice BootChoiceFor(const std::string& mac) const;

  /// serve --tokens (core/install_token.h): a fresh one-time token for the
  /// node (hostname or MAC), making any earlier one void; NotFound for a
  /// node the inventory does not list.
  Result<std::string> IssueInstallToken(const std::string& node_id);
  /// Spends the node's token if `token` is its current one and returns the
  /// next, which only this client learns (for its reconnects); else says
  /// why not in one line, naming `peer`.
  Result<std::string> RedeemInstallToken(const std::string& node_id, const std::string& token,
                                         const std::string& peer);

  nlohmann::json Snapshot() const;
  std::string Metrics() const;
  /// The end-of-deployment report: per node digest, time, MB/s, loss, chunks
  /// reused and written, release and up.
  nlohmann::json ReportJson() const;
  std::string ReportText() const;

 private:
  struct Node {
    Node(const NodeSpec* s, NodeMachine m) : spec(s), machine(std::move(m)) {}
    const NodeSpec* spec = nullptr;
    NodeMachine machine;
    std::string digest;
    std::optional<double> released_at, up_at;  // unix seconds
    std::string up_how;
    double started_at = 0, done_at = 0;  // unix seconds: joined, verified
    std::string client_id;               // as its client said hello
    bool connected = false;
    bool told = false;  // this server delivered its release
    uint64_t chunks_done = 0;
    bool counted = false;           // its client's `done` gave the two counts below
    uint64_t chunks_reused = 0;     // found correct on its disk, not sent nor written
    uint64_t chunks_written = 0;    // written by its client
    double loss = 0;                // worst pass loss its client reported
    uint64_t token_generation = 0;  // of its install token; 0: none issued
  };

  Orchestrator(const LoadedInventory* inventory, Deployment* deployment,
               std::unique_ptr<StateStore> store, OrchestratorOptions options, std::string key);
  Status Restore();
  void RestoreTimings(Node& node, const StoredNode& stored);
  void Follow(const Deployment::ClientView& client, double now);
  void Advance(Node& node, NodeState to, const std::string& reason = "");
  void Release(Node& node, bool by_hand);
  void CheckUp(Node& node);
  void MarkUp(Node& node, const std::string& how);
  Result<std::string> NextToken(Node& node);
  Node* Find(const std::string& node_id);
  const Node* Find(const std::string& node_id) const;
  ReleaseDecision Plan() const;

  const LoadedInventory* inventory_;
  Deployment* deployment_;
  std::unique_ptr<StateStore> store_;
  OrchestratorOptions options_;
  std::string key_;  // per-deployment secret the node tokens derive from
  mutable std::mutex mu_;
  std::map<std::string, Node> nodes_;  // by hostname
  ReleaseOptions release_options_;
  std::map<std::string, std::string> last_group_status_;  // logged when it changes
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_ORCHESTRATOR_H_
