#include "core/status.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status::OK().ok());
  EXPECT_EQ(Status::OK().ToString(), "OK");
  const Status s = Status::Corruption("chunk 3: stored digest mismatch");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.ToString(), "Corruption: chunk 3: stored digest mismatch");
  EXPECT_EQ(s.Prefixed("a.fcimg").message(), "a.fcimg: chunk 3: stored digest mismatch");
  EXPECT_TRUE(Status::OK().Prefixed("x").ok());
  EXPECT_EQ(Status::NotSupported("v").ToString(), "NotSupported: v");
  EXPECT_EQ(Status::Interrupted("i").ToString(), "Interrupted: i");
  EXPECT_EQ(Status::Incomplete("n").ToString(), "Incomplete: n");
}

TEST(Status, ResultHoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = Status::NotFound("x: missing");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x: missing");
}

}  // namespace
}  // namespace fleetcast
