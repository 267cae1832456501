// Signed deployments on loopback: a client with --trust receives an image
// signed by its key byte-identical, and refuses an image signed by another
// key or not signed at all with one line, before it writes anything; a chunk
// whose BLAKE2b-256 is not the signed one is never written.
#include <gtest/gtest.h>
#include <sodium.h>

#include "core/image_format.h"
#include "core/signing.h"
#include "tests/core/image_builder.h"
#include "tests/e2e/e2e_common.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

class SignedDeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(size_t{8} * kChunk, kChunk, 4);
    testing::WriteFileBytes(dir_ / "disk.raw", raw_);
    ASSERT_NO_FATAL_FAILURE(Server({"keygen", "--out", dir_ / "lab"}));
    ASSERT_NO_FATAL_FAILURE(Server({"keygen", "--out", dir_ / "other"}));
    ASSERT_NO_FATAL_FAILURE(
        Server({"pack", dir_ / "disk.raw", signed_, "--sign", dir_ / "lab.key"}));
    ASSERT_NO_FATAL_FAILURE(Server({"pack", dir_ / "disk.raw", unsigned_}));
  }

  static void Server(std::vector<std::string> args) {
    args.insert(args.begin(), FLEETCAST_SERVER_BIN);
    ProgramResult r = testing::RunProgram(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The server proves `key` on the control plane; a client with --trust
  // accepts only a server holding a key it names.
  std::unique_ptr<ChildProcess> Serve(const std::string& image, uint16_t port,
                                      const std::string& key = "lab") const {
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        FLEETCAST_SERVER_BIN, "serve", image, "--interface", "lo", "--min-clients", "1",
        "--max-wait", "60", "--rate", "300m", "--port", std::to_string(port), "--no-announce",
        "--key", dir_ / (key + ".key")});
  }
  ProgramResult Receive(uint16_t port, const std::string& trust) const {
    return testing::RunProgram(
        {FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:" + std::to_string(port),
         "--target", target_, "--node-id", "node1", "--trust", trust},
        kTimeout);
  }
  std::string Fingerprint(const std::string& pub) const {
    const Bytes b = testing::ReadFileBytes(pub);
    return sign::Fingerprint(sign::ParsePublicKeys(std::string(b.begin(), b.end())).value()[0]);
  }

  testing::TempDir dir_;
  Bytes raw_;
  std::string signed_ = dir_ / "signed.fcimg";
  std::string unsigned_ = dir_ / "unsigned.fcimg";
  std::string target_ = dir_ / "node1.raw";
};

TEST_F(SignedDeployTest, TrustedSignatureDeploysByteIdentical) {
  auto server = Serve(signed_, 7361);
  ProgramResult r = Receive(7361, dir_ / "lab.pub");
  EXPECT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("image signed by " + Fingerprint(dir_ / "lab.pub") +
                       "; 0 chunks failed BLAKE2b-256"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(testing::ReadFileBytes(target_), raw_);
  ProgramResult s = server->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
}

TEST_F(SignedDeployTest, WrongKeyIsRefusedBeforeAnythingIsWritten) {
  auto server = Serve(signed_, 7362, "other");
  ProgramResult r = Receive(7362, dir_ / "other.pub");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-client: error: server's manifest: signed by " +
                       Fingerprint(dir_ / "lab.pub") +
                       ", a key --trust does not name; serve an image signed by a trusted key, "
                       "or pass its .pub to --trust\n");
  EXPECT_FALSE(testing::FileExists(target_));
  EXPECT_TRUE(server->WaitForText("node1: server's manifest: signed by", 10));
}

TEST_F(SignedDeployTest, UnsignedImageIsRefusedBeforeAnythingIsWritten) {
  auto server = Serve(unsigned_, 7363);
  ProgramResult r = Receive(7363, dir_ / "lab.pub");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-client: error: server's manifest: unsigned, but --trust needs a signed "
            "image; serve an image packed with --sign NAME.key\n");
  EXPECT_FALSE(testing::FileExists(target_));
  EXPECT_TRUE(server->WaitForText("node1: server's manifest: unsigned", 10));
}

// The control plane: a server that cannot prove a trusted key gets nothing
// from the client, not even its hello.
TEST_F(SignedDeployTest, ServerWithAnUntrustedKeyIsRefusedBeforeAnythingIsWritten) {
  auto server = Serve(signed_, 7367, "other");
  ProgramResult r = Receive(7367, dir_ / "lab.pub");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-client: error: 127.0.0.1:7367: the server's key " +
                       Fingerprint(dir_ / "other.pub") +
                       " is not trusted; pass the .pub of serve's --key to --trust, or check "
                       "--server\n");
  EXPECT_FALSE(testing::FileExists(target_));
}

// A signed image whose manifest vouches for the wrong BLAKE2b-256 of entry
// `bad`: its XXH3 digests all hold, so only the strong check can catch it.
Bytes ImageWithWrongChunkHash(ByteView raw, const sign::SecretKey& key, size_t bad) {
  image::Manifest m;
  Bytes file = testing::BuildImage(raw, kChunk, "", &m, {.version = 2});
  image::FileHeader h = image::FileHeader::DecodeFrom(file).value();
  std::vector<ChunkEntry> entries = m.table.entries();
  entries[bad].strong_digest[0] ^= 1;
  m.table = ChunkTable::Make(m.table.raw_size(), m.table.chunk_size(), entries).value();
  EXPECT_TRUE(m.SignWith(key).ok());
  Bytes manifest;
  m.EncodeTo(&manifest);
  file.resize(h.manifest_offset);
  PutBytes(&file, manifest);
  h.manifest_size = manifest.size();
  h.manifest_digest = Xxh3_64(manifest);
  Bytes head;
  h.EncodeTo(&head);
  std::copy(head.begin(), head.end(), file.begin());
  return file;
}

TEST_F(SignedDeployTest, ChunkFailingItsHashIsNeverWritten) {
  sign::PublicKey pk;
  sign::SecretKey sk;
  crypto_sign_keypair(pk.data(), sk.data());
  const std::string pub = dir_ / "forger.pub";
  const std::string text = sign::PublicKeyText(pk);
  testing::WriteFileBytes(pub, Bytes(text.begin(), text.end()));
  const std::string img = dir_ / "forged.fcimg";
  testing::WriteFileBytes(img, ImageWithWrongChunkHash(raw_, sk, 1));
  const uint32_t bad = image::DecodeImage(testing::ReadFileBytes(img))->table.entries()[1].index;

  auto server = Serve(img, 7366);
  ChildProcess client({FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:7366", "--target",
                       target_, "--node-id", "node1", "--trust", pub, "--trust", dir_ / "lab.pub"});
  EXPECT_TRUE(client.WaitForText(
      "chunk " + std::to_string(bad) + ": BLAKE2b-256 mismatch; asking for it again", 60));
  const Bytes disk = testing::ReadFileBytes(target_);
  ASSERT_EQ(disk.size(), raw_.size());
  const auto at = disk.begin() + static_cast<long>(size_t{bad} * kChunk);
  EXPECT_TRUE(std::all_of(at, at + kChunk, [](uint8_t b) { return b == 0; }));
  EXPECT_FALSE(std::all_of(raw_.begin() + (at - disk.begin()),
                           raw_.begin() + (at - disk.begin()) + kChunk,
                           [](uint8_t b) { return b == 0; }));
}

TEST_F(SignedDeployTest, MissingTrustFileIsOneLine) {
  ProgramResult r = Receive(7364, dir_ / "nope.pub");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-client: error: " + dir_ / "nope.pub" +
                       ": No such file or directory; check the path\n");
  EXPECT_FALSE(testing::FileExists(target_));
}

}  // namespace
}  // namespace fleetcast::e2e
