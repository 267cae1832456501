// NodeState and NodeMachine: where one node is on its way from a blank disk to
// a running system, and which moves are allowed. The server keeps one
// NodeMachine per node and the store persists its state by name; the release
// planner (core/release_planner.h) reads them to decide who may boot.
//
// The moves, and nothing else:
//
//   waiting -> receiving -> verified -> customised -> ready -> released -> up
//                 |            \__________________/
//                 v             (no identity to write)
//              waiting  (the client dropped; it rejoins and keeps what it wrote)
//
//   any state but up and failed -> failed (with a reason)
//
// up and failed are terminal: an up node never goes back, and a failed one
// stays failed (an operator's retry makes a new machine). released is entered
// from ready only, and nothing leads back to ready once released: a node is
// released at most once, which is what a restarted server relies on.
//
// Pure: time is passed in, never read. One thread, or the caller's lock.
#ifndef FLEETCAST_CORE_NODE_STATE_H_
#define FLEETCAST_CORE_NODE_STATE_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace fleetcast {

using TimePoint = std::chrono::steady_clock::time_point;

/// Where a node is. The values are not persisted (names are), so the order may change.
enum class NodeState : unsigned char {
  kWaiting,     // known from the inventory, not connected (or dropped while receiving)
  kReceiving,   // connected, writing the image
  kVerified,    // the whole-image digest matched
  kCustomised,  // identity (answer files, drivers) written
  kReady,       // done; waiting to be released
  kReleased,    // told to reboot into its new system
  kUp,          // proven up (tcp:PORT answered, or its first boot called back)
  kFailed,      // gave up; the reason says why
};
inline constexpr std::size_t kNodeStateCount = 8;

/// "waiting", "receiving", "verified", "customised", "ready", "released", "up", "failed".
std::string_view NodeStateName(NodeState state);
/// The inverse of NodeStateName; nullopt for any other text (names are exact, lower case).
std::optional<NodeState> ParseNodeState(std::string_view name);

/// Whether from -> to is one of the moves above.
bool IsLegalTransition(NodeState from, NodeState to);
/// up and failed: no move leaves them.
bool IsTerminal(NodeState state);

/// One node's state, why it is there (for failed, or for a drop back to
/// waiting), and when it last entered each state.
class NodeMachine {
 public:
  /// A node starts waiting, entered at `now`.
  NodeMachine(std::string hostname, TimePoint now);

  /// Moves to `to` at `now`. `reason` is kept for failed and for the drop back
  /// to waiting, and cleared by any other move. An illegal move changes nothing
  /// and returns InvalidArgument: "node SQL01: cannot go from waiting to released".
  Status Advance(NodeState to, TimePoint now, std::string reason = {});

  const std::string& hostname() const { return hostname_; }
  NodeState state() const { return state_; }
  /// Why the node failed or dropped back to waiting; empty otherwise.
  const std::string& reason() const { return reason_; }
  /// When the node last entered `state`; nullopt if it never did.
  std::optional<TimePoint> entered(NodeState state) const {
    return entered_[static_cast<std::size_t>(state)];
  }
  /// When the node entered its current state.
  TimePoint since() const { return *entered(state_); }

 private:
  std::string hostname_;
  NodeState state_ = NodeState::kWaiting;
  std::string reason_;
  std::array<std::optional<TimePoint>, kNodeStateCount> entered_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_NODE_STATE_H_
