#include "core/install_token.h"

#include <gtest/gtest.h>

namespace fleetcast::install_token {
namespace {

const std::string kKey(32, 'k');

TEST(InstallTokenTest, TokensDependOnKeyNodeAndGeneration) {
  const std::string t = Make(kKey, "lab01", 1);
  EXPECT_EQ(t.size(), 32U);
  EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(t, Make(kKey, "lab01", 1));
  EXPECT_NE(t, Make(kKey, "lab01", 2));
  EXPECT_NE(t, Make(kKey, "lab02", 1));
  EXPECT_NE(t, Make(std::string(32, 'x'), "lab01", 1));
  // The separator keeps ("lab0", 11) and ("lab01", 1) apart.
  EXPECT_NE(Make(kKey, "lab0", 11), Make(kKey, "lab01", 1));
}

TEST(InstallTokenTest, OnlyTheCurrentGenerationIsValid) {
  EXPECT_EQ(Verify(kKey, "lab01", 3, Make(kKey, "lab01", 3)), Check::kValid);
  EXPECT_EQ(Verify(kKey, "lab01", 3, Make(kKey, "lab01", 2)), Check::kSpent);
  EXPECT_EQ(Verify(kKey, "lab01", 3, Make(kKey, "lab01", 1)), Check::kWrong);
  EXPECT_EQ(Verify(kKey, "lab01", 3, Make(kKey, "lab02", 3)), Check::kWrong);
  EXPECT_EQ(Verify(kKey, "lab01", 3, "not-a-token"), Check::kWrong);
  EXPECT_EQ(Verify(kKey, "lab01", 3, ""), Check::kMissing);
  EXPECT_EQ(Verify(kKey, "lab01", 0, Make(kKey, "lab01", 0)), Check::kMissing);
}

}  // namespace
}  // namespace fleetcast::install_token
