#include "core/node_state.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

namespace fleetcast {
namespace {

using S = NodeState;
using std::chrono::seconds;

constexpr std::array<S, kNodeStateCount> kAll = {S::kWaiting,    S::kReceiving, S::kVerified,
                                                 S::kCustomised, S::kReady,     S::kReleased,
                                                 S::kUp,         S::kFailed};

// The moves of core/node_state.h, written out again so the test does not
// trust the table it checks.
std::set<std::pair<S, S>> LegalMoves() {
  return {
      {S::kWaiting, S::kReceiving},   {S::kReceiving, S::kVerified}, {S::kReceiving, S::kWaiting},
      {S::kVerified, S::kCustomised}, {S::kVerified, S::kReady},     {S::kCustomised, S::kReady},
      {S::kReady, S::kReleased},      {S::kReleased, S::kUp},        {S::kWaiting, S::kFailed},
      {S::kReceiving, S::kFailed},    {S::kVerified, S::kFailed},    {S::kCustomised, S::kFailed},
      {S::kReady, S::kFailed},        {S::kReleased, S::kFailed},
  };
}

// The shortest legal path from waiting to `state`, so a machine can be put there.
std::vector<S> PathTo(S state) {
  switch (state) {
    case S::kWaiting:
      return {};
    case S::kReceiving:
      return {S::kReceiving};
    case S::kVerified:
      return {S::kReceiving, S::kVerified};
    case S::kCustomised:
      return {S::kReceiving, S::kVerified, S::kCustomised};
    case S::kReady:
      return {S::kReceiving, S::kVerified, S::kCustomised, S::kReady};
    case S::kReleased:
      return {S::kReceiving, S::kVerified, S::kCustomised, S::kReady, S::kReleased};
    case S::kUp:
      return {S::kReceiving, S::kVerified, S::kCustomised, S::kReady, S::kReleased, S::kUp};
    case S::kFailed:
      return {S::kFailed};
  }
  return {};
}

NodeMachine MachineIn(S state, TimePoint t0) {
  NodeMachine m("SQL01", t0);
  for (S step : PathTo(state)) EXPECT_TRUE(m.Advance(step, t0, "why").ok());
  EXPECT_EQ(m.state(), state);
  return m;
}

TEST(NodeState, NamesRoundTrip) {
  std::set<std::string_view> names;
  for (S state : kAll) {
    const std::string_view name = NodeStateName(state);
    names.insert(name);
    EXPECT_EQ(ParseNodeState(name), state) << name;
  }
  EXPECT_EQ(names.size(), kNodeStateCount);
  EXPECT_EQ(NodeStateName(S::kCustomised), "customised");
  EXPECT_EQ(NodeStateName(S::kUp), "up");
}

TEST(NodeState, ParseRejectsOtherText) {
  for (std::string_view text : {"", "Ready", "READY", "ready ", "customized", "done", "unknown"}) {
    EXPECT_EQ(ParseNodeState(text), std::nullopt) << text;
  }
}

TEST(NodeState, EveryPairIsLegalOrRefusedWithBothNames) {
  const TimePoint t0;
  for (S from : kAll) {
    for (S to : kAll) {
      SCOPED_TRACE(std::string(NodeStateName(from)) + " -> " + std::string(NodeStateName(to)));
      const bool legal = LegalMoves().count({from, to}) != 0;
      EXPECT_EQ(IsLegalTransition(from, to), legal);
      NodeMachine m = MachineIn(from, t0);
      const Status s = m.Advance(to, t0 + seconds(5), "reason");
      if (legal) {
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_EQ(m.state(), to);
        EXPECT_EQ(m.since(), t0 + seconds(5));
      } else {
        EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
        EXPECT_EQ(s.message(), "node SQL01: cannot go from " + std::string(NodeStateName(from)) +
                                   " to " + std::string(NodeStateName(to)));
        EXPECT_EQ(m.state(), from);  // a refused move changes nothing
        EXPECT_EQ(m.since(), t0);
      }
    }
  }
}

TEST(NodeState, OnlyUpAndFailedAreTerminal) {
  for (S state : kAll) {
    bool leaves = false;
    for (S to : kAll) leaves = leaves || IsLegalTransition(state, to);
    EXPECT_EQ(IsTerminal(state), !leaves) << NodeStateName(state);
  }
  EXPECT_TRUE(IsTerminal(S::kUp));
  EXPECT_TRUE(IsTerminal(S::kFailed));
}

TEST(NodeState, ReleasedIsEnteredAtMostOnce) {
  // From released, no sequence of legal moves reaches ready (the only way in).
  std::set<S> reachable = {S::kReleased};
  for (bool grew = true; grew;) {
    grew = false;
    for (S from : std::set<S>(reachable)) {
      for (S to : kAll) {
        if (IsLegalTransition(from, to)) grew = reachable.insert(to).second || grew;
      }
    }
  }
  EXPECT_EQ(reachable, (std::set<S>{S::kReleased, S::kUp, S::kFailed}));
  NodeMachine m = MachineIn(S::kUp, TimePoint());
  EXPECT_EQ(m.Advance(S::kReleased, TimePoint()).message(),
            "node SQL01: cannot go from up to released");
}

TEST(NodeState, RecordsWhenEachStateWasEntered) {
  const TimePoint t0;
  NodeMachine m("WEB01", t0);
  EXPECT_EQ(m.hostname(), "WEB01");
  EXPECT_EQ(m.state(), S::kWaiting);
  EXPECT_EQ(m.entered(S::kWaiting), t0);
  EXPECT_EQ(m.entered(S::kReceiving), std::nullopt);
  ASSERT_TRUE(m.Advance(S::kReceiving, t0 + seconds(1)).ok());
  ASSERT_TRUE(m.Advance(S::kVerified, t0 + seconds(60)).ok());
  ASSERT_TRUE(m.Advance(S::kReady, t0 + seconds(61)).ok());  // no identity to write
  ASSERT_TRUE(m.Advance(S::kReleased, t0 + seconds(70)).ok());
  EXPECT_EQ(m.entered(S::kReceiving), t0 + seconds(1));
  EXPECT_EQ(m.entered(S::kVerified), t0 + seconds(60));
  EXPECT_EQ(m.entered(S::kCustomised), std::nullopt);
  EXPECT_EQ(m.entered(S::kReady), t0 + seconds(61));
  EXPECT_EQ(m.entered(S::kReleased), t0 + seconds(70));
  EXPECT_EQ(m.since(), t0 + seconds(70));
}

TEST(NodeState, ADroppedClientWaitsAgainAndRejoins) {
  const TimePoint t0;
  NodeMachine m("SQL02", t0);
  ASSERT_TRUE(m.Advance(S::kReceiving, t0 + seconds(1)).ok());
  ASSERT_TRUE(m.Advance(S::kWaiting, t0 + seconds(30), "connection lost").ok());
  EXPECT_EQ(m.reason(), "connection lost");
  EXPECT_EQ(m.entered(S::kWaiting), t0 + seconds(30));
  ASSERT_TRUE(m.Advance(S::kReceiving, t0 + seconds(40)).ok());
  EXPECT_EQ(m.reason(), "");  // moving on clears it
  EXPECT_EQ(m.entered(S::kReceiving), t0 + seconds(40));
}

TEST(NodeState, FailedKeepsItsReason) {
  NodeMachine m("SQL03", TimePoint());
  ASSERT_TRUE(m.Advance(S::kReceiving, TimePoint()).ok());
  ASSERT_TRUE(m.Advance(S::kFailed, TimePoint() + seconds(9), "image digest mismatch").ok());
  EXPECT_EQ(m.state(), S::kFailed);
  EXPECT_EQ(m.reason(), "image digest mismatch");
  EXPECT_EQ(m.Advance(S::kReceiving, TimePoint()).message(),
            "node SQL03: cannot go from failed to receiving");
  EXPECT_EQ(m.reason(), "image digest mismatch");
}

}  // namespace
}  // namespace fleetcast
