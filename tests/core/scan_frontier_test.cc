#include "core/scan_frontier.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

using Range = ScanFrontier::Range;

TEST(ScanFrontier, NoClientScanningMeansEveryChunkIsSendable) {
  ScanFrontier f(100);
  EXPECT_TRUE(f.complete());
  EXPECT_EQ(f.TakeSendable(), (Range{0, 100}));
  EXPECT_TRUE(f.TakeSendable().empty());
}

TEST(ScanFrontier, FollowsTheLowestFrontierAndHandsEachRangeOutOnce) {
  ScanFrontier f(100);
  f.Add("a");
  f.Add("b");
  EXPECT_EQ(f.scanning(), 2u);
  EXPECT_TRUE(f.TakeSendable().empty());
  f.Advance("a", 40);
  EXPECT_EQ(f.frontier(), 0u);
  EXPECT_TRUE(f.TakeSendable().empty());
  f.Advance("b", 25);
  EXPECT_EQ(f.TakeSendable(), (Range{0, 25}));
  f.Advance("b", 60);
  EXPECT_EQ(f.TakeSendable(), (Range{25, 40}));
  f.Advance("a", 100);
  EXPECT_EQ(f.scanning(), 1u);
  f.Advance("b", 100);
  EXPECT_TRUE(f.complete());
  EXPECT_EQ(f.TakeSendable(), (Range{40, 100}));
  EXPECT_TRUE(f.TakeSendable().empty());
}

TEST(ScanFrontier, AFrontierNeverMovesBackNorPastTheEnd) {
  ScanFrontier f(100);
  f.Add("a");
  f.Advance("a", 50);
  f.Advance("a", 20);
  EXPECT_EQ(f.frontier(), 50u);
  f.Advance("a", 500);
  EXPECT_EQ(f.frontier(), 100u);
}

TEST(ScanFrontier, AClientGoneOrNeverAddedHoldsNobodyBack) {
  ScanFrontier f(100);
  f.Add("a");
  f.Add("b");
  f.Advance("a", 70);
  f.Advance("late", 10);  // not waited for
  f.Remove("b");
  EXPECT_EQ(f.TakeSendable(), (Range{0, 70}));
}

TEST(ScanFrontier, ExpireStopsWaitingForEveryScan) {
  ScanFrontier f(100);
  f.Add("a");
  f.Add("b");
  f.Advance("a", 30);
  EXPECT_EQ(f.TakeSendable(), (Range{0, 0}));
  f.Expire();
  EXPECT_EQ(f.scanning(), 0u);
  EXPECT_EQ(f.TakeSendable(), (Range{0, 100}));
}

TEST(ScanFrontier, AddingAClientAgainStartsItOver) {
  ScanFrontier f(100);
  f.Add("a");
  f.Advance("a", 80);
  f.Add("a");
  EXPECT_EQ(f.frontier(), 0u);
}

}  // namespace
}  // namespace fleetcast
