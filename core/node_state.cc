#include "core/node_state.h"

#include <utility>

namespace fleetcast {

namespace {

constexpr std::array<std::string_view, kNodeStateCount> kNames = {
    "waiting", "receiving", "verified", "customised", "ready", "released", "up", "failed",
};
static_assert(static_cast<std::size_t>(NodeState::kFailed) + 1 == kNodeStateCount,
              "kNames lists every NodeState in declaration order");

std::size_t Index(NodeState state) { return static_cast<std::size_t>(state); }

}  // namespace

std::string_view NodeStateName(NodeState state) {
  const std::size_t i = Index(state);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::optional<NodeState> ParseNodeState(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<NodeState>(i);
  }
  return std::nullopt;
}

bool IsTerminal(NodeState state) { return state == NodeState::kUp || state == NodeState::kFailed; }

bool IsLegalTransition(NodeState from, NodeState to) {
  using S = NodeState;
  if (to == S::kFailed) return !IsTerminal(from);
  switch (from) {
    case S::kWaiting:
      return to == S::kReceiving;
    case S::kReceiving:
      return to == S::kVerified || to == S::kWaiting;
    case S::kVerified:
      return to == S::kCustomised || to == S::kReady;
    case S::kCustomised:
      return to == S::kReady;
    case S::kReady:
      return to == S::kReleased;
    case S::kReleased:
      return to == S::kUp;
    case S::kUp:
    case S::kFailed:
      return false;
  }
  return false;
}

NodeMachine::NodeMachine(std::string hostname, TimePoint now) : hostname_(std::move(hostname)) {
  entered_[Index(NodeState::kWaiting)] = now;
}

Status NodeMachine::Advance(NodeState to, TimePoint now, std::string reason) {
  if (!IsLegalTransition(state_, to)) {
    return Status::InvalidArgument("node " + hostname_ + ": cannot go from " +
                                   std::string(NodeStateName(state_)) + " to " +
                                   std::string(NodeStateName(to)));
  }
  state_ = to;
  entered_[Index(to)] = now;
  const bool keeps_reason = to == NodeState::kFailed || to == NodeState::kWaiting;
  reason_ = keeps_reason ? std::move(reason) : std::string();
  return Status::OK();
}

}  // namespace fleetcast
