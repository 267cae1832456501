#include "core/release_planner.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

namespace fleetcast {

namespace {

// What the planner reads, with hostnames lowered: the inventory and the
// operator may spell a hostname differently from the client.
struct Context {
  std::map<std::string, const NodeMachine*> machines;
  std::set<std::string> by_hand;
  const ReleaseOptions* options = nullptr;
  TimePoint now;
};

// A node as the planner sees it, after the operator's hand releases.
struct Member {
  const NodeSpec* spec = nullptr;
  NodeState state = NodeState::kWaiting;  // waiting when it has no machine
  bool was_released = false;              // by the planner's caller or by hand
  std::optional<TimePoint> released_at;   // unknown for a hand release not yet recorded
  std::string reason;
};

bool BeforeReady(NodeState state) {
  return state == NodeState::kWaiting || state == NodeState::kReceiving ||
         state == NodeState::kVerified || state == NodeState::kCustomised;
}

Context MakeContext(const std::map<std::string, NodeMachine>& nodes, const ReleaseOptions& options,
                    TimePoint now) {
  Context ctx;
  for (const auto& [hostname, machine] : nodes) ctx.machines[LowerAscii(hostname)] = &machine;
  for (const std::string& hostname : options.released_by_hand) {
    ctx.by_hand.insert(LowerAscii(hostname));
  }
  ctx.options = &options;
  ctx.now = now;
  return ctx;
}

Member ViewOf(const NodeSpec& spec, const Context& ctx) {
  Member m;
  m.spec = &spec;
  const std::string key = LowerAscii(spec.hostname);
  if (const auto it = ctx.machines.find(key); it != ctx.machines.end()) {
    m.state = it->second->state();
    m.released_at = it->second->entered(NodeState::kReleased);
    m.reason = it->second->reason();
  }
  const bool by_hand = ctx.by_hand.count(key) != 0;
  if (by_hand && (BeforeReady(m.state) || m.state == NodeState::kReady)) {
    m.state = NodeState::kReleased;
  }
  m.was_released = by_hand || m.released_at.has_value();
  return m;
}

// ---------------------------------------------------------------------------
// Lines for GroupStatus::waiting_for.

std::string Label(const Member& m) {
  return m.spec->hostname + " (boot order " + std::to_string(m.spec->boot_order) + ")";
}

std::string ReleasedAgo(const Member& m, TimePoint now) {
  if (!m.released_at) return "released by hand";
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - *m.released_at);
  return "released " + std::to_string(std::max<int64_t>(elapsed.count(), 0)) + " s ago";
}

std::string AndMore(size_t others) {
  return others == 0 ? "" : " and " + std::to_string(others) + " more";
}

std::string ToBeUp(const std::vector<const Member*>& pending, const GroupSpec& group,
                   const std::string& when) {
  return Label(*pending.front()) + AndMore(pending.size() - 1) + " to be up: " + group.up + ", " +
         when;
}

std::string ToBeReady(const Member& m) {
  return Label(m) + " to be ready (" + std::string(NodeStateName(m.state)) + ")";
}

std::string WithReason(const Member& m) { return m.reason.empty() ? "" : " (" + m.reason + ")"; }

// ---------------------------------------------------------------------------
// One group.

bool TimedOut(const Member& m, const GroupSpec& group, TimePoint now) {
  return m.released_at && now - *m.released_at > std::chrono::seconds(group.timeout_s);
}

// Why members released earlier keep the next wave back, or nullopt if they
// are all up. Precedence: a failure, then a timeout, then plain waiting.
std::optional<std::string> ReleasedNotUp(const std::vector<Member>& members, const GroupSpec& group,
                                         TimePoint now, GroupStatus* status) {
  std::vector<const Member*> pending;
  for (const Member& m : members) {
    if (!m.was_released || m.state == NodeState::kUp) continue;
    if (m.state == NodeState::kFailed) {
      return m.spec->hostname + " failed after release" + WithReason(m) +
             ": holding the group; check it, then release the rest by hand";
    }
    pending.push_back(&m);
  }
  if (pending.empty()) return std::nullopt;
  for (const Member* m : pending) {
    if (!TimedOut(*m, group, now)) continue;
    status->timed_out = true;
    return m->spec->hostname + " not up within " + std::to_string(group.timeout_s) + " s (" +
           group.up + ", " + ReleasedAgo(*m, now) + "): holding the group";
  }
  return ToBeUp(pending, group, ReleasedAgo(*pending.front(), now));
}

// The lead goes alone, as soon as it is ready. nullopt once it has gone.
std::optional<std::string> ReleaseLead(const Member& lead, const GroupSpec& group,
                                       std::vector<std::string>* release) {
  if (lead.was_released) return std::nullopt;
  if (lead.state == NodeState::kFailed) {
    return Label(lead) + " failed" + WithReason(lead) +
           ": the group waits for it; release the others by hand";
  }
  if (lead.state != NodeState::kReady) return ToBeReady(lead);
  release->push_back(lead.spec->hostname);
  return ToBeUp({&lead}, group, "released now");
}

// The next wave: the ready front of the next `wave` members still to go.
std::string ReleaseWave(const std::vector<Member>& members, const GroupSpec& group,
                        std::vector<std::string>* release) {
  std::vector<const Member*> wave;
  for (const Member& m : members) {
    if (m.was_released || m.state == NodeState::kFailed) continue;
    if (m.state != NodeState::kReady) {
      if (wave.empty()) return ToBeReady(m);
      break;
    }
    wave.push_back(&m);
    if (wave.size() >= static_cast<size_t>(std::max(group.wave, 1))) break;
  }
  if (wave.empty()) return "";  // every member is up, or failed before release
  for (const Member* m : wave) release->push_back(m->spec->hostname);
  return ToBeUp(wave, group, "released now");
}

GroupStatus PlanGroup(const GroupSpec& group, std::vector<Member> members, const Context& ctx,
                      std::vector<std::string>* release) {
  GroupStatus status;
  status.name = group.name;
  if (ctx.options->held_groups.count(group.name) != 0) {
    status.held = true;
    status.waiting_for = "held by the operator";
    return status;
  }
  if (members.empty()) return status;
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    return std::make_tuple(a.spec->boot_order, LowerAscii(a.spec->hostname)) <
           std::make_tuple(b.spec->boot_order, LowerAscii(b.spec->hostname));
  });
  if (auto line = ReleasedNotUp(members, group, ctx.now, &status)) {
    status.waiting_for = std::move(*line);
  } else if (auto lead_line = ReleaseLead(members.front(), group, release)) {
    status.waiting_for = std::move(*lead_line);
  } else {
    status.waiting_for = ReleaseWave(members, group, release);
  }
  return status;
}

// ---------------------------------------------------------------------------
// Nodes outside any group.

void PlanStandalone(const std::vector<Member>& standalone, const ReleaseOptions& options,
                    ReleaseDecision* decision) {
  if (options.release_standalone_together) {
    for (const Member& m : standalone) {
      if (BeforeReady(m.state)) {
        decision->standalone_waiting_for = "every standalone node to be ready (" +
                                           m.spec->hostname + " " +
                                           std::string(NodeStateName(m.state)) + ")";
        return;
      }
    }
  }
  for (const Member& m : standalone) {
    if (m.state == NodeState::kReady && !m.was_released) {
      decision->release.push_back(m.spec->hostname);
    }
  }
}

// Groups by name: every group of the inventory, and any group a node names
// that the inventory lacks (with default settings, so it still boots in
// order rather than all at once).
std::map<std::string, std::pair<GroupSpec, std::vector<Member>>> GroupMembers(
    const Inventory& inventory, const Context& ctx, std::vector<Member>* standalone) {
  std::map<std::string, std::pair<GroupSpec, std::vector<Member>>> groups;
  for (const auto& [name, spec] : inventory.groups) {
    groups[name].first = spec;
    groups[name].first.name = name;
  }
  for (const NodeSpec& node : inventory.nodes) {
    if (node.group.empty()) {
      standalone->push_back(ViewOf(node, ctx));
      continue;
    }
    auto& [spec, members] = groups[node.group];
    spec.name = node.group;
    members.push_back(ViewOf(node, ctx));
  }
  return groups;
}

}  // namespace

std::string GroupStatus::ToString() const {
  return "group " + name + ": " + (waiting_for.empty() ? "every member is up" : waiting_for);
}

ReleaseDecision PlanRelease(const Inventory& inventory,
                            const std::map<std::string, NodeMachine>& nodes,
                            const ReleaseOptions& options, TimePoint now) {
  const Context ctx = MakeContext(nodes, options, now);
  ReleaseDecision decision;
  std::vector<Member> standalone;
  for (auto& [name, group] : GroupMembers(inventory, ctx, &standalone)) {
    decision.groups.push_back(
        PlanGroup(group.first, std::move(group.second), ctx, &decision.release));
  }
  PlanStandalone(standalone, options, &decision);
  return decision;
}

}  // namespace fleetcast
