#include "core/have_set.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

TEST(HaveSet, BitsAreLeastSignificantFirst) {
  HaveSet set(11);
  set.Set(0);
  set.Set(2);
  set.Set(10);
  EXPECT_EQ(set.bytes(), (Bytes{0x05, 0x04}));
  EXPECT_TRUE(set.Has(2));
  EXPECT_FALSE(set.Has(1));
  EXPECT_FALSE(set.Has(11));  // past the end
  EXPECT_EQ(set.Count(), 3u);
}

TEST(HaveSet, EmptySetHasNothing) {
  const HaveSet set(9);
  EXPECT_EQ(set.bytes(), (Bytes{0, 0}));
  EXPECT_EQ(set.Count(), 0u);
  EXPECT_EQ(HaveSet(0).bytes().size(), 0u);
}

TEST(HaveSet, DecodeRoundTrips) {
  HaveSet set(16);
  for (uint32_t i : {1u, 7u, 8u, 15u}) set.Set(i);
  Result<HaveSet> back = HaveSet::DecodeFrom(set.bytes(), 16);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, set);
}

TEST(HaveSet, DecodeRejectsAWrongLength) {
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0}, 9).status().message(),
            "have: 1 bytes for 9 chunks, expected 2");
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0, 0, 0}, 9).status().message(),
            "have: 3 bytes for 9 chunks, expected 2");
}

TEST(HaveSet, DecodeRejectsASpareBit) {
  EXPECT_TRUE(HaveSet::DecodeFrom(Bytes{0xff, 0x01}, 9).ok());
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0xff, 0x02}, 9).status().message(),
            "have: a bit is set past the last chunk");
}

}  // namespace
}  // namespace fleetcast
