#include "core/digest.h"

#include <gtest/gtest.h>

#include <string_view>

namespace fleetcast {
namespace {

ByteView View(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// Known answers printed by `xxhsum -H3` and `xxhsum -H2` (xxHash 0.8.1).
TEST(Digest, Xxh3_64KnownAnswers) {
  EXPECT_EQ(Xxh3_64(View("")), 0x2d06800538d394c2ULL);
  EXPECT_EQ(Xxh3_64(View("fleetcast")), 0x8eaf50e7afc1fd93ULL);
}

TEST(Digest, Xxh3_128KnownAnswers) {
  EXPECT_EQ(Xxh3_128(View("")).ToHex(), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(Xxh3_128(View("fleetcast")).ToHex(), "003f16e93f8114a0ccfd36b512e811c6");
}

TEST(Digest, ZeroDigestMatchesDigestOfZeros) {
  EXPECT_EQ(ZeroDigest128(1024 * 1024).ToHex(), "b6ef17a3448492b6918780b90550bf34");
  Bytes zeros(12345, 0);
  EXPECT_EQ(ZeroDigest128(zeros.size()), Xxh3_128(zeros));
  EXPECT_EQ(ZeroDigest128(0), Xxh3_128({}));
}

TEST(Digest, HexRoundTrip) {
  const Digest128 d{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(d.ToHex(), "fedcba98765432100123456789abcdef");
  Digest128 back;
  ASSERT_TRUE(Digest128::FromHex(d.ToHex(), &back));
  EXPECT_EQ(back, d);
  EXPECT_FALSE(Digest128::FromHex("xyz", &back));
  EXPECT_FALSE(Digest128::FromHex("FEDCBA98765432100123456789ABCDEF", &back));
}

TEST(Digest, EncodesLowThenHigh) {
  Bytes b;
  PutDigest128(&b, {0x0807060504030201ULL, 0x100f0e0d0c0b0a09ULL});
  ASSERT_EQ(b.size(), kDigest128Length);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i], i + 1);
  ByteReader r(b);
  Digest128 d;
  ASSERT_TRUE(GetDigest128(&r, &d));
  EXPECT_EQ(d.low, 0x0807060504030201ULL);
  ByteReader short_reader(ByteView(b).first(15));
  EXPECT_FALSE(GetDigest128(&short_reader, &d));
}

}  // namespace
}  // namespace fleetcast

namespace fleetcast {
namespace {

TEST(Digest, StreamInPiecesEqualsOneShot) {
  Bytes b(300000);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7 + i / 1000);
  for (size_t piece : {size_t{1000}, size_t{131072}, b.size()}) {
    Xxh3_128Stream s;
    for (size_t at = 0; at < b.size(); at += piece) {
      s.Update(ByteView(b).subspan(at, std::min(piece, b.size() - at)));
    }
    EXPECT_EQ(s.Finish(), Xxh3_128(b)) << piece;
  }
  EXPECT_EQ(Xxh3_128Stream().Finish(), Xxh3_128({}));
}

}  // namespace
}  // namespace fleetcast
