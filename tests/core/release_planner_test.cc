#include "core/release_planner.h"

#include <gtest/gtest.h>

#include <vector>

namespace fleetcast {
namespace {

using S = NodeState;
using Names = std::vector<std::string>;

// Moves that reach each state from waiting, in order.
constexpr std::array<S, 6> kToUp = {S::kReceiving, S::kVerified, S::kCustomised,
                                    S::kReady,     S::kReleased, S::kUp};

// A cluster group "sql" (SQL01..SQL03, boot order 1..3, wave 2, tcp:1433,
// 900 s) and two standalone nodes; verbs put nodes in states at a clock the
// test moves by hand.
class ReleasePlannerTest : public ::testing::Test {
 protected:
  ReleasePlannerTest() {
    GroupSpec sql;
    sql.name = "sql";
    sql.up = "tcp:1433";
    sql.timeout_s = 900;
    sql.wave = 2;
    inventory_.groups["sql"] = sql;
    AddNode("SQL01", "sql", 1);
    AddNode("SQL02", "sql", 2);
    AddNode("SQL03", "sql", 3);
    AddNode("bench01", "", 0);
    AddNode("bench02", "", 0);
  }

  void AddNode(const std::string& hostname, const std::string& group, int boot_order) {
    NodeSpec node;
    node.hostname = hostname;
    node.group = group;
    node.boot_order = boot_order;
    inventory_.nodes.push_back(node);
  }

  void Wave(int wave) { inventory_.groups["sql"].wave = wave; }
  void Wait(int seconds) { now_ += std::chrono::seconds(seconds); }

  // Puts `hostname` in `state` now, by legal moves from waiting.
  void Put(const std::string& hostname, S state) {
    NodeMachine m(hostname, now_);
    if (state == S::kFailed) {
      ASSERT_TRUE(m.Advance(S::kFailed, now_, "disk too small").ok());
    }
    for (S step : kToUp) {
      if (m.state() == state) break;
      ASSERT_TRUE(m.Advance(step, now_).ok());
    }
    nodes_.insert_or_assign(hostname, m);
  }
  void PutAll(const Names& hostnames, S state) {
    for (const std::string& h : hostnames) Put(h, state);
  }
  // Moves an existing node on, as the server does.
  void Advance(const std::string& hostname, S state, const std::string& reason = "") {
    ASSERT_TRUE(nodes_.at(hostname).Advance(state, now_, reason).ok());
  }

  ReleaseDecision Plan() { return PlanRelease(inventory_, nodes_, options_, now_); }
  // Plans, marks what it returned released (as the server does), and returns it.
  Names PlanAndRelease() {
    const ReleaseDecision d = Plan();
    for (const std::string& h : d.release) Advance(h, S::kReleased);
    return d.release;
  }
  GroupStatus Sql() {
    const ReleaseDecision d = Plan();
    for (const GroupStatus& g : d.groups) {
      if (g.name == "sql") return g;
    }
    ADD_FAILURE() << "no status for group sql";
    return {};
  }

  Inventory inventory_;
  std::map<std::string, NodeMachine> nodes_;
  ReleaseOptions options_;
  TimePoint now_;
};

TEST_F(ReleasePlannerTest, LeadIsReleasedAloneAsSoonAsItIsReady) {
  PutAll({"SQL01", "SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(Plan().release, Names({"SQL01"}));
  EXPECT_EQ(Sql().waiting_for, "SQL01 (boot order 1) to be up: tcp:1433, released now");
  EXPECT_EQ(PlanAndRelease(), Names({"SQL01"}));
  Wait(42);
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for, "SQL01 (boot order 1) to be up: tcp:1433, released 42 s ago");
}

TEST_F(ReleasePlannerTest, LeadDoesNotWaitForTheOthers) {
  Put("SQL01", S::kReady);
  Put("SQL02", S::kReceiving);  // SQL03 never connected
  EXPECT_EQ(Plan().release, Names({"SQL01"}));
}

TEST_F(ReleasePlannerTest, OthersWaitForTheLeadToBeReady) {
  Put("SQL01", S::kReceiving);
  PutAll({"SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for, "SQL01 (boot order 1) to be ready (receiving)");
}

TEST_F(ReleasePlannerTest, AfterTheLeadIsUpAWaveGoesTogether) {
  PutAll({"SQL01", "SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL01"}));
  Wait(30);
  Advance("SQL01", S::kUp);
  EXPECT_EQ(Plan().release, Names({"SQL02", "SQL03"}));
  EXPECT_EQ(Sql().waiting_for, "SQL02 (boot order 2) and 1 more to be up: tcp:1433, released now");
  EXPECT_EQ(PlanAndRelease(), Names({"SQL02", "SQL03"}));
  Wait(5);
  EXPECT_EQ(Sql().waiting_for,
            "SQL02 (boot order 2) and 1 more to be up: tcp:1433, released 5 s ago");
  Advance("SQL02", S::kUp);
  Advance("SQL03", S::kUp);
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for, "");
  EXPECT_EQ(Sql().ToString(), "group sql: every member is up");
}

TEST_F(ReleasePlannerTest, WaveOfOneGoesInBootOrder) {
  Wave(1);
  Put("SQL01", S::kUp);
  PutAll({"SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL02"}));
  Wait(42);
  EXPECT_EQ(PlanAndRelease(), Names());
  EXPECT_EQ(Sql().waiting_for, "SQL02 (boot order 2) to be up: tcp:1433, released 42 s ago");
  Advance("SQL02", S::kUp);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL03"}));
}

TEST_F(ReleasePlannerTest, AReadyNodeNeverOvertakesAnEarlierOne) {
  Put("SQL01", S::kUp);
  Put("SQL02", S::kCustomised);
  Put("SQL03", S::kReady);
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for, "SQL02 (boot order 2) to be ready (customised)");
  // The ready front of a wave goes; the rest waits for the next wave.
  Advance("SQL02", S::kReady);
  Put("SQL03", S::kVerified);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL02"}));
  Advance("SQL03", S::kReady);
  EXPECT_EQ(PlanAndRelease(), Names());  // SQL02 is not up yet
  Advance("SQL02", S::kUp);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL03"}));
}

TEST_F(ReleasePlannerTest, TiesInBootOrderGoByHostname) {
  Wave(1);
  inventory_.nodes[1].boot_order = 3;  // SQL02 and SQL03 both 3
  Put("SQL01", S::kUp);
  PutAll({"SQL03", "SQL02"}, S::kReady);
  EXPECT_EQ(Plan().release, Names({"SQL02"}));
}

TEST_F(ReleasePlannerTest, LeadNotUpInTimeHoldsTheGroup) {
  PutAll({"SQL01", "SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL01"}));
  Wait(900);
  EXPECT_FALSE(Sql().timed_out);  // exactly the timeout is still in time
  Wait(30);
  const GroupStatus sql = Sql();
  EXPECT_TRUE(sql.timed_out);
  EXPECT_EQ(sql.waiting_for,
            "SQL01 not up within 900 s (tcp:1433, released 930 s ago): holding the group");
  EXPECT_EQ(sql.ToString(),
            "group sql: SQL01 not up within 900 s (tcp:1433, released 930 s ago): holding the "
            "group");
  EXPECT_EQ(Plan().release, Names());
  // Late is still up: the group goes on.
  Advance("SQL01", S::kUp);
  EXPECT_FALSE(Sql().timed_out);
  EXPECT_EQ(Plan().release, Names({"SQL02", "SQL03"}));
}

TEST_F(ReleasePlannerTest, AHeldGroupReleasesNothing) {
  options_.held_groups = {"sql"};
  PutAll({"SQL01", "SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(Plan().release, Names());
  const GroupStatus sql = Sql();
  EXPECT_TRUE(sql.held);
  EXPECT_EQ(sql.waiting_for, "held by the operator");
  options_.held_groups.clear();
  EXPECT_EQ(Plan().release, Names({"SQL01"}));
}

TEST_F(ReleasePlannerTest, AHandReleasedNodeCountsAsReleased) {
  Put("SQL01", S::kUp);
  PutAll({"SQL02", "SQL03"}, S::kReady);
  options_.released_by_hand = {"sql02"};  // any case
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for, "SQL02 (boot order 2) to be up: tcp:1433, released by hand");
  Put("SQL02", S::kUp);
  EXPECT_EQ(Plan().release, Names({"SQL03"}));
}

TEST_F(ReleasePlannerTest, AHandReleasedLeadLetsTheWaveFollowOnceUp) {
  Put("SQL01", S::kReceiving);
  PutAll({"SQL02", "SQL03"}, S::kReady);
  options_.released_by_hand = {"SQL01"};
  EXPECT_EQ(Plan().release, Names());
  Put("SQL01", S::kUp);
  EXPECT_EQ(Plan().release, Names({"SQL02", "SQL03"}));
}

TEST_F(ReleasePlannerTest, AMissingNodeDoesNotBlockAnotherGroup) {
  GroupSpec web;
  web.name = "web";
  web.up = "callback";
  inventory_.groups["web"] = web;
  AddNode("WEB01", "web", 1);
  Put("WEB01", S::kReady);  // no SQL node ever connected
  const ReleaseDecision d = Plan();
  EXPECT_EQ(d.release, Names({"WEB01"}));
  ASSERT_EQ(d.groups.size(), 2u);
  EXPECT_EQ(d.groups[0].ToString(), "group sql: SQL01 (boot order 1) to be ready (waiting)");
  EXPECT_EQ(d.groups[1].ToString(),
            "group web: WEB01 (boot order 1) to be up: callback, released now");
}

TEST_F(ReleasePlannerTest, AGroupOnlyANodeNamesStillBootsInOrder) {
  AddNode("APP01", "app", 1);
  AddNode("APP02", "app", 2);
  PutAll({"APP01", "APP02"}, S::kReady);
  const ReleaseDecision d = Plan();
  EXPECT_EQ(d.release, Names({"APP01"}));
  ASSERT_EQ(d.groups.size(), 2u);
  EXPECT_EQ(d.groups[0].name, "app");
}

TEST_F(ReleasePlannerTest, StandaloneNodesGoAsTheyAreReady) {
  Put("bench01", S::kReady);
  Put("bench02", S::kReceiving);
  const ReleaseDecision d = Plan();
  EXPECT_EQ(d.release, Names({"bench01"}));
  EXPECT_EQ(d.standalone_waiting_for, "");
}

TEST_F(ReleasePlannerTest, StandaloneNodesGoTogetherWhenAsked) {
  options_.release_standalone_together = true;
  Put("bench01", S::kReady);
  Put("bench02", S::kReceiving);
  ReleaseDecision d = Plan();
  EXPECT_EQ(d.release, Names());
  EXPECT_EQ(d.standalone_waiting_for, "every standalone node to be ready (bench02 receiving)");
  Advance("bench02", S::kFailed, "digest mismatch");  // failed counts as done
  d = Plan();
  EXPECT_EQ(d.release, Names({"bench01"}));
  EXPECT_EQ(d.standalone_waiting_for, "");
  Put("bench02", S::kReady);
  EXPECT_EQ(Plan().release, Names({"bench01", "bench02"}));
}

TEST_F(ReleasePlannerTest, ANeverSeenStandaloneNodeHoldsOnlyTheTogetherRelease) {
  Put("bench01", S::kReady);
  EXPECT_EQ(Plan().release, Names({"bench01"}));
  options_.release_standalone_together = true;
  EXPECT_EQ(Plan().standalone_waiting_for, "every standalone node to be ready (bench02 waiting)");
}

TEST_F(ReleasePlannerTest, NeverReturnsANodeTwice) {
  PutAll({"SQL01", "SQL02", "SQL03", "bench01", "bench02"}, S::kReady);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL01", "bench01", "bench02"}));
  EXPECT_EQ(PlanAndRelease(), Names());
  EXPECT_EQ(PlanAndRelease(), Names());
  Advance("SQL01", S::kUp);
  Advance("bench01", S::kUp);
  Advance("bench02", S::kFailed, "no link");
  EXPECT_EQ(PlanAndRelease(), Names({"SQL02", "SQL03"}));
  EXPECT_EQ(PlanAndRelease(), Names());
  // Nor a released, up or failed node, whatever else is going on.
  options_.released_by_hand = {"bench01", "SQL02"};
  options_.release_standalone_together = true;
  EXPECT_EQ(Plan().release, Names());
}

TEST_F(ReleasePlannerTest, AMemberFailedBeforeReleaseIsSkipped) {
  Wave(1);
  Put("SQL01", S::kUp);
  Put("SQL02", S::kFailed);
  Put("SQL03", S::kReady);
  EXPECT_EQ(Plan().release, Names({"SQL03"}));
}

TEST_F(ReleasePlannerTest, AFailedLeadHoldsTheGroup) {
  Put("SQL01", S::kFailed);
  PutAll({"SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for,
            "SQL01 (boot order 1) failed (disk too small): the group waits for it; release the "
            "others by hand");
}

TEST_F(ReleasePlannerTest, AMemberFailedAfterReleaseHoldsTheGroup) {
  Wave(1);
  Put("SQL01", S::kUp);
  PutAll({"SQL02", "SQL03"}, S::kReady);
  EXPECT_EQ(PlanAndRelease(), Names({"SQL02"}));
  Advance("SQL02", S::kFailed, "tcp:1433 refused");
  EXPECT_EQ(Plan().release, Names());
  EXPECT_EQ(Sql().waiting_for,
            "SQL02 failed after release (tcp:1433 refused): holding the group; check it, then "
            "release the rest by hand");
}

}  // namespace
}  // namespace fleetcast
