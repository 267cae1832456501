#include "core/free_space_map.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

TEST(FreeRunsOfBitmap, SetBitsAreUsedLeastSignificantFirst) {
  // Units 0..15: used 0, free 1-3, used 4-7, free 8-13, used 14-15.
  const Bytes bitmap = {0xf1, 0xc0};
  EXPECT_EQ(FreeRunsOfBitmap(bitmap, 16, 4096, 1000),
            (std::vector<ByteRange>{{1000 + 4096, 3 * 4096}, {1000 + 8 * 4096, 6 * 4096}}));
}

TEST(FreeRunsOfBitmap, ReadsOnlyUnitCountBits) {
  const Bytes bitmap = {0x00, 0x00};
  EXPECT_EQ(FreeRunsOfBitmap(bitmap, 11, 512, 0), (std::vector<ByteRange>{{0, 11 * 512}}));
}

TEST(FreeRunsOfBitmap, BitsPastTheBitmapCountAsUsed) {
  const Bytes bitmap = {0x00};
  EXPECT_EQ(FreeRunsOfBitmap(bitmap, 20, 1, 0), (std::vector<ByteRange>{{0, 8}}));
}

TEST(FreeRunsOfBitmap, RunsCrossWholeFreeAndUsedBytes) {
  Bytes bitmap(64, 0x00);
  bitmap[0] = 0x01;
  for (size_t i = 10; i < 20; ++i) bitmap[i] = 0xff;
  bitmap[63] = 0x80;
  EXPECT_EQ(FreeRunsOfBitmap(bitmap, 64 * 8, 1, 0),
            (std::vector<ByteRange>{{1, 79}, {160, 64 * 8 - 1 - 160}}));
}

TEST(FreeSpaceMap, MergesOverlappingAndTouchingRanges) {
  const FreeSpaceMap map = FreeSpaceMap::Make({{100, 50}, {0, 10}, {140, 20}, {160, 5}, {50, 0}});
  EXPECT_EQ(map.ranges(), (std::vector<ByteRange>{{0, 10}, {100, 65}}));
}

TEST(FreeSpaceMap, CoversOnlyWhollyFreeSpans) {
  const FreeSpaceMap map = FreeSpaceMap::Make({{4096, 8192}, {20000, 100}});
  EXPECT_TRUE(map.Covers(4096, 8192));
  EXPECT_TRUE(map.Covers(5000, 100));
  EXPECT_FALSE(map.Covers(4095, 10));
  EXPECT_FALSE(map.Covers(12000, 300));
  EXPECT_FALSE(map.Covers(0, 10));
  EXPECT_FALSE(map.Covers(4096, 0));
  EXPECT_FALSE(FreeSpaceMap().Covers(0, 1));
}

TEST(FreeSpaceMap, WithinGivesFreePartsRelativeToTheSpan) {
  const FreeSpaceMap map = FreeSpaceMap::Make({{10, 10}, {30, 5}, {50, 100}});
  EXPECT_EQ(map.Within(15, 40), (std::vector<ByteRange>{{0, 5}, {15, 5}, {35, 5}}));
  EXPECT_EQ(map.Within(20, 10), std::vector<ByteRange>{});
  EXPECT_EQ(map.FreeBytesIn(0, 200), 115u);
  EXPECT_EQ(map.FreeBytesIn(12, 20), 10u);
}

TEST(FreeSpaceMap, ZeroFreeClearsExactlyTheFreeBytes) {
  const FreeSpaceMap map = FreeSpaceMap::Make({{102, 3}, {107, 10}});
  Bytes raw(8, 0xaa);
  map.ZeroFree(100, raw);
  EXPECT_EQ(raw, (Bytes{0xaa, 0xaa, 0, 0, 0, 0xaa, 0xaa, 0}));
}

}  // namespace
}  // namespace fleetcast
