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

TEST(HaveSet, BelowClearsTheChunksPastAFrontier) {
  HaveSet set(11);
  for (uint32_t i : {0u, 6u, 7u, 8u, 10u}) set.Set(i);
  EXPECT_EQ(set.Below(8).bytes(), (Bytes{0xc1, 0x00}));
  EXPECT_EQ(set.Below(7).bytes(), (Bytes{0x41, 0x00}));
  EXPECT_EQ(set.Below(0).bytes(), (Bytes{0x00, 0x00}));
  EXPECT_EQ(set.Below(11), set);
  EXPECT_EQ(set.Below(99), set);
}

TEST(HaveSet, DecodeOfAPartialScanAcceptsBitsBelowItsFrontier) {
  Result<HaveSet> set = HaveSet::DecodeFrom(Bytes{0xc1, 0x00}, 11, 8);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->Has(7));
  EXPECT_TRUE(HaveSet::DecodeFrom(Bytes{0xc1, 0x05}, 11, 11).ok());
  EXPECT_TRUE(HaveSet::DecodeFrom(Bytes{0x00, 0x00}, 11, 0).ok());
}

TEST(HaveSet, DecodeRejectsAFrontierPastTheEnd) {
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0x00, 0x00}, 11, 12).status().message(),
            "have: scanned 12 of 11 chunks");
}

TEST(HaveSet, DecodeRejectsABitAtOrPastTheFrontier) {
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0x80, 0x00}, 11, 7).status().message(),
            "have: a chunk at or past the scan frontier 7 is set");
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0x00, 0x04}, 11, 10).status().message(),
            "have: a chunk at or past the scan frontier 10 is set");
  // Length and spare bits are checked first.
  EXPECT_EQ(HaveSet::DecodeFrom(Bytes{0x00}, 11, 3).status().message(),
            "have: 1 bytes for 11 chunks, expected 2");
}

}  // namespace
}  // namespace fleetcast
