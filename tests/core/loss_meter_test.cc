#include "core/loss_meter.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

TEST(LossMeter, CountsGapsInTheSequence) {
  LossMeter m;
  for (uint16_t seq : {0, 1, 2, 5, 6, 9}) m.Observe(1, seq);
  EXPECT_EQ(m.received(), 6u);
  EXPECT_EQ(m.lost(), 4u);  // 3, 4, 7, 8
}

TEST(LossMeter, FollowsTheSequenceAcrossItsWrap) {
  LossMeter m;
  for (uint16_t seq : {65534, 65535, 1, 2}) m.Observe(3, seq);
  EXPECT_EQ(m.received(), 4u);
  EXPECT_EQ(m.lost(), 1u);  // 0
}

TEST(LossMeter, LateAndDuplicateDatagramsAreNotGaps) {
  LossMeter m;
  for (uint16_t seq : {10, 12, 11, 12, 13}) m.Observe(1, seq);
  EXPECT_EQ(m.received(), 5u);
  EXPECT_EQ(m.lost(), 1u);
}

TEST(LossMeter, ANewPassStartsAfreshAndOldPassesAreIgnored) {
  LossMeter m;
  for (uint16_t seq : {0, 5}) m.Observe(1, seq);
  m.Observe(2, 100);
  m.Observe(1, 6);
  m.Observe(2, 102);
  EXPECT_EQ(m.pass(), 2u);
  EXPECT_EQ(m.received(), 2u);
  EXPECT_EQ(m.lost(), 1u);
}

}  // namespace
}  // namespace fleetcast
