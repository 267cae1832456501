// Version-2 manifests: BLAKE2b-256 chunk hashes and the Ed25519 signature,
// the key text forms, and that version-1 manifests still decode.
#include <gtest/gtest.h>
#include <sodium.h>

#include "core/chunk_codec.h"
#include "core/image_format.h"
#include "core/signing.h"
#include "tests/core/image_builder.h"

namespace fleetcast::image {
namespace {

constexpr uint32_t kChunk = 4096;

// A key pair from a fixed seed, so failures reproduce.
sign::SecretKey KeyFromSeed(uint8_t first) {
  std::array<uint8_t, crypto_sign_SEEDBYTES> seed;
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  sign::PublicKey pk;
  sign::SecretKey sk;
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  return sk;
}

// The file with its header re-encoded as `version` (header digest fixed), so
// only the version is wrong.
Bytes WithHeaderVersion(Bytes file, uint32_t version) {
  FileHeader h = FileHeader::DecodeFrom(file).value();
  h.version = version;
  Bytes head;
  h.EncodeTo(&head);
  std::copy(head.begin(), head.end(), file.begin());
  return file;
}

class SignedManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(size_t{10} * kChunk + 512, kChunk);
    file_ = testing::BuildImage(raw_, kChunk, "lab-a", &manifest_, {.version = 2, .key = &key_});
    manifest_.EncodeTo(&bytes_);
  }
  std::string Decode(ByteView bytes) const {
    Result<Manifest> m = Manifest::DecodeFrom(bytes);
    return m.ok() ? "OK" : m.status().message();
  }

  const sign::SecretKey key_ = KeyFromSeed(1);
  const sign::SecretKey other_key_ = KeyFromSeed(101);
  Bytes raw_, file_, bytes_;
  Manifest manifest_;
};

TEST(Signing, Blake2b256KnownAnswer) {
  const std::string abc = "abc";
  EXPECT_EQ(sign::ToHex(sign::Blake2b(ByteView(reinterpret_cast<const uint8_t*>(abc.data()), 3))),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(Signing, KeyTextRoundTrips) {
  const sign::SecretKey sk = KeyFromSeed(7);
  const std::string secret_text = sign::SecretKeyText(sk);
  EXPECT_EQ(secret_text.rfind("fleetcast-ed25519-secret ", 0), 0u);
  EXPECT_EQ(secret_text.size(), 25 + 128 + 1u);
  EXPECT_EQ(sign::ParseSecretKey(secret_text).value(), sk);
  const std::string public_text = sign::PublicKeyText(sign::PublicKeyOf(sk));
  EXPECT_EQ(public_text.size(), 25 + 64 + 1u);
  const std::vector<sign::PublicKey> keys =
      sign::ParsePublicKeys("# lab keys\n\n" + public_text + public_text).value();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], sign::PublicKeyOf(sk));
  EXPECT_EQ(sign::Fingerprint(keys[0]).size(), 8 + 32u);
}

TEST(Signing, BadKeyTextIsRefused) {
  const std::string secret_text = sign::SecretKeyText(KeyFromSeed(7));
  EXPECT_FALSE(sign::ParseSecretKey("").ok());
  EXPECT_FALSE(sign::ParseSecretKey(secret_text.substr(0, 100)).ok());
  EXPECT_FALSE(sign::ParseSecretKey(sign::PublicKeyText(sign::PublicKey{})).ok());
  std::string wrong_half = secret_text;
  wrong_half[wrong_half.size() - 2] = wrong_half[wrong_half.size() - 2] == '0' ? '1' : '0';
  EXPECT_EQ(sign::ParseSecretKey(wrong_half).status().message(),
            "secret key: its public half does not match its seed");
  EXPECT_EQ(sign::ParsePublicKeys("# nothing\n").status().message(),
            "holds no public key (want a line \"fleetcast-ed25519-public <64 hex digits>\")");
  EXPECT_EQ(sign::ParsePublicKeys("fleetcast-ed25519-public 12\n").status().message(),
            "line 1: not a public key (want \"fleetcast-ed25519-public <64 hex digits>\")");
}

TEST_F(SignedManifestTest, RoundTripWithHashesAndSignature) {
  Result<Manifest> m = Manifest::DecodeFrom(bytes_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->has_strong_digests());
  ASSERT_TRUE(m->signature.has_value());
  EXPECT_EQ(m->signature, manifest_.signature);
  EXPECT_EQ(m->signature->signer, sign::PublicKeyOf(key_));
  EXPECT_EQ(m->table.entries(), manifest_.table.entries());
  for (const ChunkEntry& e : m->table.entries()) {
    const ByteView chunk = ByteView(raw_).subspan(m->table.RawOffset(e.index), kChunk);
    EXPECT_EQ(e.strong_digest, sign::Blake2b(chunk)) << "chunk " << e.index;
  }
  EXPECT_EQ(m->SignerText(), "signed by " + sign::Fingerprint(sign::PublicKeyOf(key_)));
  // 44 fixed + 5 label + 7 entries of 72 + signer 32 + signature 64.
  EXPECT_EQ(bytes_.size(), 44 + 5 + 7 * 72 + 32 + 64u);
  Bytes again;
  m->EncodeTo(&again);
  EXPECT_EQ(again, bytes_);
  EXPECT_EQ(DecodeImage(file_)->signature, manifest_.signature);
}

TEST_F(SignedManifestTest, EveryFlippedByteFailsTheSignature) {
  for (size_t i = 0; i < bytes_.size(); ++i) {
    Bytes bad = bytes_;
    bad[i] ^= 0x01;
    const std::string result = Decode(bad);
    EXPECT_NE(result, "OK") << "byte " << i;
    const bool in_flags = i >= 24 && i < 28;
    if (!in_flags) {
      EXPECT_EQ(result,
                "manifest: signature does not verify (the manifest was changed after it was "
                "signed)")
          << "byte " << i;
    }
  }
}

TEST_F(SignedManifestTest, ResignedByAnotherKeyIsRefusedByTrust) {
  Manifest forged = manifest_;
  ASSERT_TRUE(forged.SignWith(other_key_).ok());
  Bytes b;
  forged.EncodeTo(&b);
  Result<Manifest> m = Manifest::DecodeFrom(b);
  ASSERT_TRUE(m.ok());
  const std::vector<sign::PublicKey> trusted = {sign::PublicKeyOf(key_)};
  EXPECT_EQ(CheckSigner(*m, trusted).message(),
            "signed by " + sign::Fingerprint(sign::PublicKeyOf(other_key_)) +
                ", a key --trust does not name");
  EXPECT_TRUE(CheckSigner(Manifest::DecodeFrom(bytes_).value(), trusted).ok());
}

TEST_F(SignedManifestTest, UnsignedIsRefusedByTrust) {
  Manifest unsigned_manifest;
  testing::BuildImage(raw_, kChunk, "lab-a", &unsigned_manifest, {.version = 2});
  Bytes b;
  unsigned_manifest.EncodeTo(&b);
  Result<Manifest> m = Manifest::DecodeFrom(b);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->has_strong_digests());
  EXPECT_EQ(m->SignerText(), "unsigned");
  const std::vector<sign::PublicKey> trusted = {sign::PublicKeyOf(key_)};
  EXPECT_EQ(CheckSigner(*m, trusted).message(), "unsigned, but --trust needs a signed image");
}

TEST_F(SignedManifestTest, StrippedSignatureIsRefused) {
  // Clearing the signed flag and dropping the signature leaves an unsigned
  // manifest: decodable, but trust refuses it (above). Clearing only the
  // flag leaves bytes the chunk table cannot account for.
  Bytes b = bytes_;
  b[24] = static_cast<uint8_t>(Manifest::kFlagStrongDigests);
  EXPECT_EQ(Decode(b), "manifest: chunk table is 600 bytes, but 7 entries need 504");
}

TEST_F(SignedManifestTest, SigningNeedsChunkHashes) {
  Manifest v1;
  testing::BuildImage(raw_, kChunk, "", &v1);
  EXPECT_EQ(v1.SignWith(key_).message(), "manifest: has no chunk hashes to sign");
  Bytes b;
  manifest_.EncodeTo(&b);
  b[24] = static_cast<uint8_t>(Manifest::kFlagSigned);
  EXPECT_EQ(Decode(b), "manifest: signed, but without chunk hashes");
}

TEST_F(SignedManifestTest, Version1ManifestStillDecodes) {
  Manifest v1;
  const Bytes file = testing::BuildImage(raw_, kChunk, "old", &v1);
  EXPECT_EQ(FileHeader::DecodeFrom(file)->version, 1u);
  Result<Manifest> m = DecodeImage(file);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->has_strong_digests());
  EXPECT_FALSE(m->signature.has_value());
  EXPECT_EQ(m->label, "old");
  EXPECT_EQ(m->table.entries(), v1.table.entries());
  const std::vector<sign::PublicKey> trusted = {sign::PublicKeyOf(key_)};
  EXPECT_FALSE(CheckSigner(*m, trusted).ok());
}

TEST_F(SignedManifestTest, Version1HeaderWithVersion2FlagsIsRefused) {
  ASSERT_TRUE(DecodeImage(file_).ok());
  EXPECT_EQ(DecodeImage(WithHeaderVersion(file_, 1)).status().message(),
            "manifest: flags 0x3 (chunk hashes, signature, partitions) need .fcimg version 2, but "
            "the header "
            "says version 1; pack the image again");
  const Bytes hashed = testing::BuildImage(raw_, kChunk, "lab-a", nullptr, {.version = 2});
  ASSERT_TRUE(DecodeImage(hashed).ok());
  EXPECT_EQ(DecodeImage(WithHeaderVersion(hashed, 1)).status().message(),
            "manifest: flags 0x1 (chunk hashes, signature, partitions) need .fcimg version 2, but "
            "the header "
            "says version 1; pack the image again");
}

TEST_F(SignedManifestTest, ChunkWithWrongStrongDigestIsRejected) {
  const ChunkEntry& e = manifest_.table.entries()[0];
  Bytes chunk(raw_.begin(), raw_.begin() + kChunk);
  EXPECT_TRUE(CheckStrongDigest(e, chunk).ok());
  chunk[100] ^= 1;
  EXPECT_EQ(CheckStrongDigest(e, chunk).message(), "chunk 0: BLAKE2b-256 mismatch");
}

TEST_F(SignedManifestTest, TruncatedAtEveryLengthIsRefused) {
  for (size_t n = 0; n < bytes_.size(); ++n) {
    EXPECT_FALSE(Manifest::DecodeFrom(ByteView(bytes_).first(n)).ok()) << "length " << n;
  }
}

}  // namespace
}  // namespace fleetcast::image
