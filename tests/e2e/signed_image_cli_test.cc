// Runs the real fleetcast-server on signed images: keygen and its refusal to
// overwrite, pack --sign, info's signer line, verify with the right key, a
// wrong key and none, and the damage verify must catch, each error asserted
// as its exact line.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/image_format.h"
#include "core/signing.h"
#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ProgramResult;

constexpr uint32_t kChunk = 64 * 1024;

class SignedImageCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(size_t{24} * kChunk, kChunk);
    src_ = dir_ / "disk.raw";
    img_ = dir_ / "disk.fcimg";
    key_ = dir_ / "lab";
    testing::WriteFileBytes(src_, raw_);
  }

  static ProgramResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), FLEETCAST_SERVER_BIN);
    return testing::RunProgram(args);
  }
  static void ExpectError(const ProgramResult& r, const std::string& line, int code = 1) {
    EXPECT_EQ(r.exit_code, code);
    EXPECT_EQ(r.err, "fleetcast-server: error: " + line + "\n");
  }
  void Keygen(const std::string& name) {
    ProgramResult r = Server({"keygen", "--out", name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void PackSigned() {
    ASSERT_NO_FATAL_FAILURE(Keygen(key_));
    ProgramResult r = Server({"pack", src_, img_, "--chunk-size", "64K", "--sign", key_ + ".key"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::string Text(const std::string& path) {
    const Bytes b = testing::ReadFileBytes(path);
    return std::string(b.begin(), b.end());
  }
  static std::string FingerprintOf(const std::string& pub) {
    return sign::Fingerprint(sign::ParsePublicKeys(Text(pub)).value()[0]);
  }
  static unsigned ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  // Rewrites the file's manifest with `edit` applied and fixes the header's
  // manifest digest, so only the edited bytes are wrong.
  void EditManifest(const std::function<void(Bytes* manifest)>& edit) {
    Bytes b = testing::ReadFileBytes(img_);
    image::FileHeader h = image::FileHeader::DecodeFrom(b).value();
    Bytes m(b.begin() + static_cast<long>(h.manifest_offset), b.end());
    edit(&m);
    std::copy(m.begin(), m.end(), b.begin() + static_cast<long>(h.manifest_offset));
    h.manifest_digest = Xxh3_64(m);
    Bytes head;
    h.EncodeTo(&head);
    std::copy(head.begin(), head.end(), b.begin());
    testing::WriteFileBytes(img_, b);
  }

  testing::TempDir dir_;
  Bytes raw_;
  std::string src_, img_, key_;
};

TEST_F(SignedImageCliTest, KeygenWritesAPairSecretOnlyForTheOwner) {
  ProgramResult r = Server({"keygen", "--out", key_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ModeOf(key_ + ".key"), 0600u);
  EXPECT_EQ(ModeOf(key_ + ".pub"), 0644u);
  const std::string secret = Text(key_ + ".key");
  EXPECT_EQ(secret.rfind("fleetcast-ed25519-secret ", 0), 0u);
  const sign::SecretKey sk = sign::ParseSecretKey(secret).value();
  const std::vector<sign::PublicKey> pub = sign::ParsePublicKeys(Text(key_ + ".pub")).value();
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub[0], sign::PublicKeyOf(sk));
  EXPECT_EQ(r.out, key_ + ".key: secret key (keep it private); " + key_ + ".pub: public key " +
                       sign::Fingerprint(pub[0]) + "\n");
}

TEST_F(SignedImageCliTest, KeygenRefusesToOverwriteWithoutForce) {
  ASSERT_NO_FATAL_FAILURE(Keygen(key_));
  const std::string before = Text(key_ + ".key");
  ExpectError(Server({"keygen", "--out", key_}),
              key_ + ".key: exists; choose another --out, or pass --force to replace the key pair");
  EXPECT_EQ(Text(key_ + ".key"), before);
  // Only the .pub left over: still refused, the .key is not written.
  ::unlink((key_ + ".key").c_str());
  ExpectError(Server({"keygen", "--out", key_}),
              key_ + ".pub: exists; choose another --out, or pass --force to replace the key pair");
  EXPECT_FALSE(testing::FileExists(key_ + ".key"));
}

TEST_F(SignedImageCliTest, KeygenForceReplacesThePairAndKeepsItPrivate) {
  ASSERT_NO_FATAL_FAILURE(Keygen(key_));
  const std::string before = Text(key_ + ".key");
  ASSERT_EQ(::chmod((key_ + ".key").c_str(), 0644), 0);
  ProgramResult r = Server({"keygen", "--out", key_, "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Text(key_ + ".key"), before);
  EXPECT_EQ(ModeOf(key_ + ".key"), 0600u);
}

TEST_F(SignedImageCliTest, PackSignInfoAndVerifyWithTheRightKey) {
  ASSERT_NO_FATAL_FAILURE(PackSigned());
  const std::string fp = FingerprintOf(key_ + ".pub");
  ProgramResult info = Server({"info", img_});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("format       fcimg version 2\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("chunk hashes blake2b-256\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("signature    signed by " + fp + "\n"), std::string::npos) << info.out;
  ProgramResult verify = Server({"verify", img_, "--trust", key_ + ".pub"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out.rfind(img_ + ": OK: 24 chunks (16 stored, 8 zero), digest xxh3-128:", 0),
            0u);
  EXPECT_NE(verify.out.find(", signed by " + fp + "\n"), std::string::npos) << verify.out;
  EXPECT_EQ(Server({"verify", img_}).exit_code, 0);
  ProgramResult unpack = Server({"unpack", img_, dir_ / "back.raw"});
  ASSERT_EQ(unpack.exit_code, 0) << unpack.err;
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "back.raw"), raw_);
}

TEST_F(SignedImageCliTest, VerifyWithAWrongKeyIsRefused) {
  ASSERT_NO_FATAL_FAILURE(PackSigned());
  ASSERT_NO_FATAL_FAILURE(Keygen(dir_ / "other"));
  ExpectError(Server({"verify", img_, "--trust", dir_ / "other.pub"}),
              img_ + ": signed by " + FingerprintOf(key_ + ".pub") +
                  ", a key --trust does not name; check which key signed it, or pass its .pub "
                  "to --trust");
  // Either of two trusted keys will do.
  EXPECT_EQ(
      Server({"verify", img_, "--trust", dir_ / "other.pub", "--trust", key_ + ".pub"}).exit_code,
      0);
}

TEST_F(SignedImageCliTest, VerifyUnsignedWithTrustIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Keygen(key_));
  ASSERT_EQ(Server({"pack", src_, img_, "--chunk-size", "64K"}).exit_code, 0);
  ProgramResult info = Server({"info", img_});
  EXPECT_NE(info.out.find("signature    unsigned\n"), std::string::npos) << info.out;
  ExpectError(Server({"verify", img_, "--trust", key_ + ".pub"}),
              img_ + ": unsigned, but --trust needs a signed image; pack it with --sign NAME.key");
}

TEST_F(SignedImageCliTest, Version1ImageIsStillReadable) {
  testing::WriteFileBytes(img_, testing::BuildImage(raw_, kChunk, "old"));
  ProgramResult info = Server({"info", img_});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("format       fcimg version 1\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("chunk hashes -\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("signature    unsigned\n"), std::string::npos) << info.out;
  ProgramResult verify = Server({"verify", img_});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  ProgramResult unpack = Server({"unpack", img_, dir_ / "back.raw"});
  ASSERT_EQ(unpack.exit_code, 0) << unpack.err;
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "back.raw"), raw_);
}

TEST_F(SignedImageCliTest, CorruptedChunkIsCaughtByVerify) {
  ASSERT_NO_FATAL_FAILURE(PackSigned());
  const image::Manifest m = image::DecodeImage(testing::ReadFileBytes(img_)).value();
  const ChunkEntry& e = m.table.entries()[5];
  Bytes b = testing::ReadFileBytes(img_);
  b[e.offset + e.stored_size / 2] ^= 0x10;
  testing::WriteFileBytes(img_, b);
  ExpectError(Server({"verify", img_, "--trust", key_ + ".pub"}),
              img_ + ": chunk " + std::to_string(e.index) + ": stored digest mismatch");
}

TEST_F(SignedImageCliTest, ChunkHashMismatchIsCaughtByVerify) {
  // An unsigned image whose manifest hash for one chunk was changed: the
  // XXH3 checks pass, the BLAKE2b-256 does not.
  ASSERT_EQ(Server({"pack", src_, img_, "--chunk-size", "64K"}).exit_code, 0);
  const image::Manifest m = image::DecodeImage(testing::ReadFileBytes(img_)).value();
  const uint32_t index = m.table.entries()[3].index;
  EditManifest([](Bytes* manifest) {
    (*manifest)[image::Manifest::kFixedLength + 3 * ChunkEntry::kStrongEncodedLength +
                ChunkEntry::kEncodedLength] ^= 1;
  });
  ExpectError(Server({"verify", img_}),
              img_ + ": chunk " + std::to_string(index) + ": BLAKE2b-256 mismatch");
}

TEST_F(SignedImageCliTest, ChangedSignedManifestIsRefused) {
  ASSERT_NO_FATAL_FAILURE(PackSigned());
  EditManifest([](Bytes* manifest) {
    (*manifest)[image::Manifest::kFixedLength + ChunkEntry::kEncodedLength] ^= 1;
  });
  ExpectError(Server({"info", img_}),
              img_ +
                  ": manifest: signature does not verify (the manifest was changed after it was "
                  "signed)");
}

TEST_F(SignedImageCliTest, PackRefusesABadKeyBeforePacking) {
  ExpectError(Server({"pack", src_, img_, "--sign", dir_ / "nope.key"}),
              dir_ / "nope.key" + ": No such file or directory; check the path");
  ASSERT_NO_FATAL_FAILURE(Keygen(key_));
  ASSERT_EQ(::chmod((key_ + ".key").c_str(), 0640), 0);
  ExpectError(Server({"pack", src_, img_, "--sign", key_ + ".key"}),
              key_ + ".key: a secret key others may read (mode 0640); chmod 600 " + key_ + ".key");
  ExpectError(Server({"pack", src_, img_, "--sign", key_ + ".pub"}),
              key_ + ".pub: a secret key others may read (mode 0644); chmod 600 " + key_ + ".pub");
  ASSERT_EQ(::chmod((key_ + ".pub").c_str(), 0600), 0);
  ExpectError(Server({"pack", src_, img_, "--sign", key_ + ".pub"}),
              key_ +
                  ".pub: not a secret key (want one line \"fleetcast-ed25519-secret <128 hex "
                  "digits>\"); pass the NAME.key keygen wrote");
  EXPECT_FALSE(testing::FileExists(img_));
}

}  // namespace
}  // namespace fleetcast
