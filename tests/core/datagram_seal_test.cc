#include "core/datagram_seal.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "core/wire_format.h"
#include "tests/core/example_datagram.h"

namespace fleetcast::wire {
namespace {

using fleetcast::testing::ExampleHeader;

constexpr size_t kHeader = DatagramHeader::kEncodedLength;

DataKey CountingKey() {
  DataKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

// A datagram of `h` with `payload`, with room for the tag.
Bytes Unsealed(const DatagramHeader& h, const Bytes& payload) {
  Bytes d(kHeader + payload.size() + kTagLength, 0);
  h.EncodeTo(d.data());
  std::copy(payload.begin(), payload.end(), d.begin() + kHeader);
  return d;
}

// A sealed shard datagram of `chunk` carrying `payload`.
Bytes SealedShard(const DatagramSeal& seal, uint32_t chunk, const Bytes& payload) {
  DatagramHeader h = ExampleHeader();
  h.chunk = chunk;
  h.length = static_cast<uint16_t>(payload.size());
  Bytes d = Unsealed(h, payload);
  seal.Seal(d);
  return d;
}

Bytes RandomPayload(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Known answers, computed with libsodium's crypto_aead_xchacha20poly1305_ietf
// directly from the construction the header comment gives.
TEST(DatagramSeal, AuthenticatedGoldenBytes) {
  Bytes d = Unsealed(ExampleHeader(), {0xee, 0xee, 0xee, 0xee});
  DatagramSeal(CountingKey(), SealMode::kAuthenticated).Seal(d);
  // clang-format off
  const Bytes want = {'F', 'C', 2, 1, 0x44, 0x33, 0x22, 0x11, 0x0d, 0x0c, 0x0b, 0x0a,
                      0x02, 0x01, 70, 64, 3, 0, 0, 0, 4, 0, 1, 2,
                      0xee, 0xee, 0xee, 0xee,  // payload, clear
                      0x85, 0x8f, 0xe2, 0xe2, 0x43, 0xee, 0x61, 0xd1,  // tag
                      0xe7, 0xac, 0xa9, 0x38, 0xb9, 0xda, 0x14, 0x7e};
  // clang-format on
  EXPECT_EQ(d, want);
}

TEST(DatagramSeal, EncryptedGoldenBytes) {
  Bytes d = Unsealed(ExampleHeader(), {0xee, 0xee, 0xee, 0xee});
  DatagramSeal(CountingKey(), SealMode::kEncrypted).Seal(d);
  // clang-format off
  const Bytes want = {'F', 'C', 2, 1, 0x44, 0x33, 0x22, 0x11, 0x0d, 0x0c, 0x0b, 0x0a,
                      0x02, 0x01, 70, 64, 3, 0, 0, 0, 4, 0, 1, 2,
                      0xcd, 0xbe, 0xc8, 0x9f,  // payload, encrypted
                      0x44, 0x63, 0xbc, 0x2c, 0x78, 0x53, 0xc0, 0x30,  // tag
                      0x31, 0x12, 0xaa, 0xca, 0x0e, 0x81, 0xaa, 0x49};
  // clang-format on
  EXPECT_EQ(d, want);
}

TEST(DatagramSeal, PassEndGoldenBytes) {
  DatagramHeader h;
  h.type = DatagramType::kPassEnd;
  h.session = 0x11223344;
  h.pass = 3;
  h.seq = 9;
  Bytes d = Unsealed(h, {});
  DatagramSeal(CountingKey(), SealMode::kAuthenticated).Seal(d);
  const Bytes tag(d.begin() + kHeader, d.end());
  EXPECT_EQ(tag, (Bytes{0x6a, 0x5f, 0x13, 0x53, 0x02, 0xc6, 0xda, 0x97, 0x63, 0x69, 0xea, 0xef,
                        0x9d, 0xee, 0x30, 0x8d}));
  Bytes scratch;
  EXPECT_TRUE(DatagramSeal(CountingKey(), SealMode::kAuthenticated).Open(d, &scratch).ok());
}

// The hex block of docs/protocol.md that starts with `first_line`.
Bytes DocumentedDatagram(const std::string& first_line) {
  std::ifstream in(FLEETCAST_SOURCE_DIR "/docs/protocol.md");
  const std::string doc{std::istreambuf_iterator<char>(in), {}};
  const size_t block = doc.find("```\n" + first_line);
  if (block == std::string::npos) return {};
  const size_t start = block + 4;
  std::istringstream hex(doc.substr(start, doc.find("```", start) - start));
  Bytes d;
  for (std::string byte; hex >> byte;) {
    d.push_back(static_cast<uint8_t>(std::stoul(byte, nullptr, 16)));
  }
  return d;
}

TEST(DatagramSeal, DocumentedExamplesOpen) {
  const std::string header = "46 43 02 01  44 33 22 11  0d 0c 0b 0a  02 01 46 40  03 00 00 00  ";
  const Bytes authenticated = DocumentedDatagram(header + "04 00 01 02  ee ee ee ee\n85");
  const Bytes encrypted = DocumentedDatagram(header + "04 00 01 02  cd be c8 9f\n44");
  ASSERT_EQ(authenticated.size(), kHeader + 4 + kTagLength);
  ASSERT_EQ(encrypted.size(), kHeader + 4 + kTagLength);
  EXPECT_EQ(DatagramHeader::DecodeFrom(authenticated).value(), ExampleHeader());
  Bytes scratch;
  for (const auto& [d, mode] : {std::pair{authenticated, SealMode::kAuthenticated},
                                std::pair{encrypted, SealMode::kEncrypted}}) {
    Result<ByteView> payload = DatagramSeal(CountingKey(), mode).Open(d, &scratch);
    ASSERT_TRUE(payload.ok()) << payload.status().ToString();
    EXPECT_EQ(Bytes(payload->begin(), payload->end()), (Bytes{0xee, 0xee, 0xee, 0xee}));
  }
}

class DatagramSealModes : public ::testing::TestWithParam<SealMode> {
 protected:
  DatagramSeal seal_{CountingKey(), GetParam()};
  Bytes payload_ = RandomPayload(1448, 301);
  Bytes scratch_;
};

TEST_P(DatagramSealModes, RoundTrip) {
  const Bytes d = SealedShard(seal_, 812, payload_);
  ASSERT_EQ(d.size(), kHeader + 1448 + kTagLength);
  EXPECT_TRUE(DatagramHeader::DecodeFrom(d).ok());
  const bool clear = std::equal(payload_.begin(), payload_.end(), d.begin() + kHeader);
  EXPECT_EQ(clear, GetParam() == SealMode::kAuthenticated);
  Result<ByteView> opened = seal_.Open(d, &scratch_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(Bytes(opened->begin(), opened->end()), payload_);
}

TEST_P(DatagramSealModes, FlippedBitAnywhereFails) {
  const Bytes d = SealedShard(seal_, 812, payload_);
  // Every byte of the header and tag, and bytes across the payload.
  for (size_t i = 0; i < d.size(); i += (i >= kHeader && i < d.size() - kTagLength) ? 37 : 1) {
    for (int bit : {0, 7}) {
      Bytes bad = d;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      Result<ByteView> opened = seal_.Open(bad, &scratch_);
      ASSERT_FALSE(opened.ok()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(opened.status().message(), "datagram: tag does not verify (forged or altered)");
    }
  }
}

TEST_P(DatagramSealModes, WrongKeyFails) {
  const Bytes d = SealedShard(seal_, 812, payload_);
  DataKey other = CountingKey();
  other[31] ^= 1;
  EXPECT_FALSE(DatagramSeal(other, GetParam()).Open(d, &scratch_).ok());
  EXPECT_FALSE(DatagramSeal(DatagramSeal::NewKey(), GetParam()).Open(d, &scratch_).ok());
}

TEST_P(DatagramSealModes, OtherModeFails) {
  const Bytes d = SealedShard(seal_, 812, payload_);
  const SealMode other =
      GetParam() == SealMode::kAuthenticated ? SealMode::kEncrypted : SealMode::kAuthenticated;
  EXPECT_FALSE(DatagramSeal(CountingKey(), other).Open(d, &scratch_).ok());
}

// The replay an attacker can make without the key: a real datagram with its
// chunk (or block) field moved elsewhere.
TEST_P(DatagramSealModes, ReplayAsAnotherChunkFails) {
  Bytes d = SealedShard(seal_, 812, payload_);
  EncodeFixed32(d.data() + 8, 813);
  EXPECT_TRUE(DatagramHeader::DecodeFrom(d).ok());
  EXPECT_FALSE(seal_.Open(d, &scratch_).ok());
  d = SealedShard(seal_, 812, payload_);
  EncodeFixed16(d.data() + 12, 0);
  EXPECT_FALSE(seal_.Open(d, &scratch_).ok());
}

TEST_P(DatagramSealModes, RandomPayloadWithALiveHeaderFails) {
  Bytes d = SealedShard(seal_, 812, payload_);
  const Bytes noise = RandomPayload(d.size() - kHeader, 7);
  std::copy(noise.begin(), noise.end(), d.begin() + kHeader);
  EXPECT_FALSE(seal_.Open(d, &scratch_).ok());
}

TEST_P(DatagramSealModes, TruncatedFails) {
  const Bytes d = SealedShard(seal_, 812, payload_);
  for (size_t n = 0; n < kHeader + kTagLength; ++n) {
    EXPECT_FALSE(seal_.Open(ByteView(d).first(n), &scratch_).ok()) << n;
  }
  EXPECT_FALSE(seal_.Open(ByteView(d).first(d.size() - 1), &scratch_).ok());
}

INSTANTIATE_TEST_SUITE_P(Modes, DatagramSealModes,
                         ::testing::Values(SealMode::kAuthenticated, SealMode::kEncrypted),
                         [](const ::testing::TestParamInfo<SealMode>& p) {
                           return p.param == SealMode::kAuthenticated ? "Authenticated"
                                                                      : "Encrypted";
                         });

TEST(DatagramSeal, NewKeysDiffer) { EXPECT_NE(DatagramSeal::NewKey(), DatagramSeal::NewKey()); }

}  // namespace
}  // namespace fleetcast::wire
