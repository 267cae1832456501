// A Deployment's first pass in one process: clients' `have`s with scan
// frontiers go in, the pieces PlanScanned hands the sender come out, chunk
// by chunk.
#include "server/deployment.h"

#include <gtest/gtest.h>

#include <atomic>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/core/image_builder.h"

namespace fleetcast {
namespace {

constexpr uint32_t kChunk = 64 * 1024;
constexpr uint32_t kChunks = 8;
constexpr auto kLong = std::chrono::seconds(600);

class ScannedPassTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Bytes raw(size_t{kChunks} * kChunk);
    for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i * 7 + i / 4096 + 1);
    (void)testing::BuildImage(raw, kChunk, "", &manifest_);
    ASSERT_EQ(manifest_.table.stored_count(), kChunks);
    deployment_ = std::make_unique<Deployment>(manifest_, 1024, 32);
  }

  void Join(const std::string& node) {
    deployment_->Join(node, [](const control::Message&) {});
  }
  // Node's `have`: it holds `held`; `scanned` as the message carries it.
  Status Have(const std::string& node, std::initializer_list<uint32_t> held,
              std::optional<uint32_t> scanned) {
    HaveSet set(kChunks);
    for (uint32_t c : held) set.Set(c);
    return deployment_->OnHave(node, control::Have{set.bytes(), scanned});
  }
  // The chunks of the next piece; *last as PlanScanned says.
  std::set<uint32_t> NextPiece(bool* last) {
    std::set<uint32_t> chunks;
    for (const ShardRef& s : deployment_->PlanScanned(&stop_, last)) chunks.insert(s.chunk);
    return chunks;
  }

  image::Manifest manifest_;
  std::unique_ptr<Deployment> deployment_;
  std::atomic<bool> stop_{false};
};

TEST_F(ScannedPassTest, PiecesFollowTheLowestFrontier) {
  Join("a");
  Join("b");
  deployment_->BeginScannedPass(kLong);
  ASSERT_TRUE(Have("a", {0, 1, 2}, 4).ok());  // a lacks chunk 3
  ASSERT_TRUE(Have("b", {0, 1}, 2).ok());
  bool last = true;
  EXPECT_EQ(NextPiece(&last), (std::set<uint32_t>{}));  // 0 and 1: both hold them
  EXPECT_FALSE(last);
  ASSERT_TRUE(Have("b", {0, 1, 2, 3}, 5).ok());
  EXPECT_EQ(NextPiece(&last), (std::set<uint32_t>{3}));
  EXPECT_FALSE(last);
  ASSERT_TRUE(Have("a", {0, 1, 2, 4, 5, 7}, std::nullopt).ok());  // lacks 3 and 6
  ASSERT_TRUE(Have("b", {0, 1, 2, 3, 4, 5, 6, 7}, std::nullopt).ok());
  EXPECT_EQ(NextPiece(&last), (std::set<uint32_t>{6}));
  EXPECT_TRUE(last);
}

TEST_F(ScannedPassTest, AScanStillRunningAtTheTimeoutIsPlannedAsHoldingNothingPastItsFrontier) {
  Join("a");
  Join("b");
  deployment_->BeginScannedPass(std::chrono::seconds(0));
  ASSERT_TRUE(Have("a", {0, 1, 2, 3, 4, 5, 6, 7}, std::nullopt).ok());
  ASSERT_TRUE(Have("b", {0, 1}, 2).ok());
  bool last = true;
  EXPECT_EQ(NextPiece(&last), (std::set<uint32_t>{}));  // 0 and 1, decided and held
  EXPECT_FALSE(last);
  EXPECT_EQ(NextPiece(&last), (std::set<uint32_t>{2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(last);
}

TEST_F(ScannedPassTest, AClientJoiningAfterTheFirstPassBeganIsNotWaitedFor) {
  Join("a");
  deployment_->BeginScannedPass(kLong);
  Join("late");
  ASSERT_TRUE(Have("a", {0, 1, 2, 3, 4, 5, 6, 7}, std::nullopt).ok());
  bool last = false;
  EXPECT_EQ(NextPiece(&last).size(), kChunks);  // the late one holds nothing yet
  EXPECT_TRUE(last);
}

TEST_F(ScannedPassTest, AClientGoneHoldsNobodyBack) {
  Join("a");
  Join("b");
  deployment_->BeginScannedPass(kLong);
  ASSERT_TRUE(Have("a", {0, 1, 2, 3, 4, 5, 6}, std::nullopt).ok());
  deployment_->Leave("b");
  bool last = false;
  EXPECT_EQ(NextPiece(&last), (std::set<uint32_t>{7}));
  EXPECT_TRUE(last);
}

TEST_F(ScannedPassTest, StopEndsTheWaitWithNothing) {
  Join("a");
  deployment_->BeginScannedPass(kLong);
  stop_ = true;
  bool last = true;
  EXPECT_TRUE(NextPiece(&last).empty());
  EXPECT_FALSE(last);
}

TEST_F(ScannedPassTest, AHaveWithABitPastItsFrontierIsAnError) {
  Join("a");
  EXPECT_EQ(Have("a", {0, 5}, 3).message(), "have: a chunk at or past the scan frontier 3 is set");
  EXPECT_EQ(Have("a", {0}, 9).message(), "have: scanned 9 of 8 chunks");
}

}  // namespace
}  // namespace fleetcast
