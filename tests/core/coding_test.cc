#include "core/coding.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

TEST(Coding, EncodingOutputIsLittleEndian) {
  Bytes b;
  PutFixed16(&b, 0x0201);
  PutFixed32(&b, 0x06050403);
  PutFixed64(&b, 0x0e0d0c0b0a090807ULL);
  PutFixed8(&b, 0x0f);
  ASSERT_EQ(b.size(), 15u);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i], i + 1) << "byte " << i;
}

TEST(Coding, ReaderRoundTrip) {
  Bytes b;
  PutFixed8(&b, 0xab);
  PutFixed16(&b, 0xbeef);
  PutFixed32(&b, 0xdeadbeef);
  PutFixed64(&b, 0x0123456789abcdefULL);
  PutString(&b, "xy");
  ByteReader r(b);
  uint8_t v8 = 0;
  uint16_t v16 = 0;
  uint32_t v32 = 0;
  uint64_t v64 = 0;
  ByteView tail;
  ASSERT_TRUE(r.GetFixed8(&v8));
  ASSERT_TRUE(r.GetFixed16(&v16));
  ASSERT_TRUE(r.GetFixed32(&v32));
  ASSERT_TRUE(r.GetFixed64(&v64));
  ASSERT_TRUE(r.GetBytes(2, &tail));
  EXPECT_EQ(v8, 0xab);
  EXPECT_EQ(v16, 0xbeef);
  EXPECT_EQ(v32, 0xdeadbeefu);
  EXPECT_EQ(v64, 0x0123456789abcdefULL);
  EXPECT_EQ(tail[0], 'x');
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Coding, ReaderRefusesShortInputAndKeepsValue) {
  const Bytes b = {1, 2, 3};
  ByteReader r(b);
  uint32_t v = 77;
  EXPECT_FALSE(r.GetFixed32(&v));
  EXPECT_EQ(v, 77u);
  EXPECT_EQ(r.position(), 0u);
  ByteView out;
  EXPECT_FALSE(r.GetBytes(4, &out));
  uint16_t v16 = 0;
  EXPECT_TRUE(r.GetFixed16(&v16));
  EXPECT_EQ(v16, 0x0201);
  uint64_t v64 = 5;
  EXPECT_FALSE(r.GetFixed64(&v64));
  EXPECT_EQ(v64, 5u);
}

}  // namespace
}  // namespace fleetcast
