// PlanRelease: which nodes may be told to reboot into their new system now,
// and for each cluster group what it is waiting for. Cluster nodes share
// storage, and two of them starting unprotected corrupt it, so a group boots
// one step at a time:
//
// - The group's lead (boot_order 1; in general its first member in boot
//   order) is released alone, as soon as it is ready: the others need not be.
// - Once the lead is up, the rest follow in waves, in ascending boot_order
//   (ties by hostname): a wave is the next `wave` members not yet released,
//   of which the ready ones at the front are released together. A ready node
//   never overtakes an earlier one that is not ready.
// - A wave is released only when every member released before it is up.
// - A released member not up within the group's timeout_s holds the group:
//   nothing more is released, and the group says which node, what was
//   checked and since when. It resumes by itself if the node comes up.
// - A member that failed before release never boots, so later members go on
//   without it; but a failed lead, or a member that failed after release (it
//   may be running), holds the group until the operator acts.
// - A group the operator holds releases nothing; a node the operator
//   released by hand counts as released: it is never returned, and the next
//   wave waits for it to be up (with no timeout until its machine records
//   the release, since the planner cannot know when it happened).
// - A node outside any group is released when it is ready, or, with
//   release_standalone_together, once every such node is ready or beyond.
//
// A node with no NodeMachine (it never connected) counts as waiting: it holds
// back its own group's later members, never another group. The planner never
// returns a node that is released, up or failed, so calling it twice without
// a change in between releases nobody twice; the caller marks each returned
// node released (NodeMachine::Advance) before it plans again.
//
// Pure: time is passed in, nothing is read or written.
#ifndef FLEETCAST_CORE_RELEASE_PLANNER_H_
#define FLEETCAST_CORE_RELEASE_PLANNER_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/inventory.h"
#include "core/node_state.h"

namespace fleetcast {

/// What the operator has said, besides the inventory.
struct ReleaseOptions {
  bool release_standalone_together = false;
  std::set<std::string> held_groups;       // "hold GROUP": group names
  std::set<std::string> released_by_hand;  // hostnames (any case)
};

/// One group's progress, for the status page and the log.
struct GroupStatus {
  std::string name;
  /// One human line, empty once every member is up (or failed before release):
  /// "SQL01 (boot order 1) to be up: tcp:1433, released 42 s ago",
  /// "SQL02 (boot order 2) to be ready (receiving)", "held by the operator",
  /// "SQL01 not up within 900 s (tcp:1433, released 930 s ago): holding the group".
  std::string waiting_for;
  bool held = false;       // by the operator
  bool timed_out = false;  // a released member is past the group's timeout

  /// "group sql: <waiting_for>", or "group sql: every member is up".
  std::string ToString() const;
};

/// What to do now.
struct ReleaseDecision {
  /// Hostnames to release now, as the inventory spells them: groups in name
  /// order, each in boot order, then standalone nodes in inventory order.
  std::vector<std::string> release;
  /// One per group named by the inventory or by a node, in name order.
  std::vector<GroupStatus> groups;
  /// With release_standalone_together: "every standalone node to be ready
  /// (bench01 receiving)" until they are; empty otherwise.
  std::string standalone_waiting_for;
};

/// Decides who is released at `now`. `nodes` maps hostnames (any case) to
/// their machines; a node of the inventory missing from it counts as waiting,
/// and a machine whose node is not in the inventory is ignored.
ReleaseDecision PlanRelease(const Inventory& inventory,
                            const std::map<std::string, NodeMachine>& nodes,
                            const ReleaseOptions& options, TimePoint now);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_RELEASE_PLANNER_H_
