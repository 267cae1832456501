#include "core/rate_controller.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

constexpr uint64_t kGbit = 1'000'000'000;

TEST(RateController, SteadyRandomLossIsNotCongestion) {
  RateController c(kGbit);
  for (double loss : {0.05, 0.052, 0.048, 0.06, 0.05, 0.055}) {
    EXPECT_FALSE(c.OnInterval(loss, kGbit));
  }
  EXPECT_EQ(c.rate(), kGbit);
  EXPECT_NEAR(c.floor(), 0.05, 0.005);
}

TEST(RateController, BacksOffOnALossSurgeAndClimbsBack) {
  RateController c(kGbit);
  c.OnInterval(0.0, kGbit);
  EXPECT_TRUE(c.OnInterval(0.3, kGbit));
  EXPECT_EQ(c.rate(), 750'000'000u);
  EXPECT_TRUE(c.OnInterval(0.25, 750'000'000));
  EXPECT_EQ(c.rate(), 562'500'000u);
  EXPECT_NEAR(c.floor(), 0.0, 1e-9);  // congestion did not raise the floor
  int intervals = 0;
  while (c.backed_off() && intervals < 100) {
    c.OnInterval(0.0, c.rate());
    ++intervals;
  }
  EXPECT_EQ(c.rate(), kGbit);
  EXPECT_EQ(intervals, 9);  // 562.5 Mbit/s + 9 x 50 Mbit/s reaches the ceiling
}

TEST(RateController, UnlimitedBacksOffFromWhatWasSentThenLiftsTheLimit) {
  RateController c(0);
  c.OnInterval(0.001, 3 * kGbit);
  EXPECT_TRUE(c.OnInterval(0.2, 3 * kGbit));
  EXPECT_EQ(c.rate(), 2'250'000'000u);
  int intervals = 0;
  while (c.rate() != 0 && intervals < 100) {
    c.OnInterval(0.001, 2'000'000'000);
    ++intervals;
  }
  EXPECT_EQ(c.rate(), 0u);  // past twice what the sender achieves: no limit again
}

TEST(RateController, NeverBelowTheMinimum) {
  RateController c(kGbit);
  c.OnInterval(0.0, kGbit);
  for (int i = 0; i < 50; ++i) c.OnInterval(0.9, c.rate());
  EXPECT_EQ(c.rate(), RateController::kMinRate);
}

}  // namespace
}  // namespace fleetcast
