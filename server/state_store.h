// StateStore: one deployment's state in a SQLite file, so a server that is
// killed and restarted in any state resumes from disk instead of starting over.
//
// It records, per node (keyed by its MAC or name), the current state and every
// transition, the digest the node reported, its transfer timings and chunks
// reused and written, when it was released and when it was proven up; and the
// groups an operator holds. It does not decide anything: the orchestration
// reads LoadNodes() at start and decides what may happen next. Two guarantees
// are the database's, not the caller's:
//   - a node is released at most once (RecordRelease fails the second time,
//     checked by a UNIQUE key in the same transaction as the state change);
//   - every Record* call is on disk before it returns (WAL, synchronous=FULL),
//     so what the server tells a client after it survives a crash.
// The file belongs to one deployment (image digest + inventory digest):
// BeginSession refuses a file of another one instead of mixing the two.
//
// Threads: any thread may call any method; calls are serialized. Other
// processes may open the same file and read it at the same time.
#ifndef FLEETCAST_SERVER_STATE_STORE_H_
#define FLEETCAST_SERVER_STATE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace fleetcast {

/// How a node's image transfer went: as the server measured it, and the chunk
/// counts its client's `done` gave (docs/protocol.md).
struct NodeTimings {
  uint64_t bytes = 0;
  double seconds = 0;
  double loss = 0;              // fraction of datagrams lost, 0..1
  uint64_t chunks_reused = 0;   // found correct on its disk and not written
  uint64_t chunks_written = 0;  // written (zero chunks too with --zero or --discard)

  bool operator==(const NodeTimings&) const = default;
};

/// A node as the store last saw it.
struct StoredNode {
  std::string node;
  std::string state;    // last state recorded; "" if only its digest or timings were
  double state_at = 0;  // unix seconds of that state
  std::string reason;   // why it entered that state; often ""
  std::string digest;   // hex digest the node reported; "" if none yet
  std::optional<double> released_at;
  std::optional<double> up_at;
  std::string up_how;  // how it was proven up, e.g. "callback" or "tcp:22"
  std::optional<NodeTimings> timings;

  bool operator==(const StoredNode&) const = default;
};

/// One entry of a node's history, oldest first.
struct Transition {
  std::string state;
  double at = 0;  // unix seconds
  std::string reason;

  bool operator==(const Transition&) const = default;
};

class StateStore {
 public:
  /// Schema version this build writes and reads. 2: install-token
  /// generations; 3: each node's chunks reused and written.
  static constexpr int kSchemaVersion = 3;

  /// Creates the file, or opens it. A file of an earlier schema version is
  /// upgraded in place, in one transaction (nodes recorded before version 3
  /// read 0 chunks reused and written: their counts were not kept).
  /// kInvalidArgument if it is not a SQLite database, a database of some other
  /// program, or of a later schema version (the message names the file and
  /// what to do); kIOError if SQLite fails (the message carries its error and
  /// the file name); the file is then unchanged.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);
  /// Deletes the file and its WAL and shared-memory files, for --fresh-state;
  /// missing files are fine. Nothing may have the store open.
  static Status Remove(const std::string& path);

  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& path() const;

  /// Ties the file to one deployment. An empty store takes these digests; a
  /// store of the same ones resumes; a store holding another deployment's
  /// nodes or holds is refused (kInvalidArgument, the line says --fresh-state).
  /// Must succeed before any Record* call.
  Status BeginSession(const std::string& image_digest, const std::string& inventory_digest);

  /// Sets the node's current state and appends it to its history. "released"
  /// and "up" are refused: RecordRelease and RecordUp record those.
  Status RecordState(const std::string& node, const std::string& state, double at_unix_seconds,
                     const std::string& reason = "");
  /// The image digest the node reported. kNotFound if it has no state yet.
  Status RecordDigest(const std::string& node, const std::string& digest_hex);
  /// The transfer and its chunk counts. kNotFound if the node has no state yet.
  Status RecordTimings(const std::string& node, const NodeTimings& timings);
  /// Records that the node was released and sets its state to "released", in
  /// one transaction. kInvalidArgument if it was already released (the store
  /// is then unchanged): never act on a release this call did not record.
  Status RecordRelease(const std::string& node, double at_unix_seconds);
  /// Sets the node's state to "up" with how it was proven up.
  Status RecordUp(const std::string& node, double at_unix_seconds, const std::string& how);
  /// An operator held (true) or resumed (false) a group.
  Status RecordHold(const std::string& group, bool held);
  /// The generation of node's install token (core/install_token.h): a
  /// counter, not the token, which only the deployment's key can make.
  Status RecordTokenGeneration(const std::string& node, uint64_t generation);

  /// Every node recorded, sorted by node id.
  Result<std::vector<StoredNode>> LoadNodes() const;
  /// The node's transitions, oldest first; empty for an unknown node.
  Result<std::vector<Transition>> History(const std::string& node) const;
  Result<std::set<std::string>> HeldGroups() const;
  Result<std::map<std::string, uint64_t>> TokenGenerations() const;

 private:
  class Database;
  explicit StateStore(std::unique_ptr<Database> db);

  /// OK if a record about a node or group named id may be written now.
  Status CanRecord(const std::string& id) const;

  std::unique_ptr<Database> db_;
  bool session_begun_ = false;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_STATE_STORE_H_
