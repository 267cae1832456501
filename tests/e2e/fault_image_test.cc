// The image file changes under a running serve: a chunk not sent yet is
// corrupted in place, or the file is cut short before it. The server checks
// each chunk against the manifest before it sends a shard of it, stops, says
// which chunk of which file and what to do, and ends the deployment for its
// clients; no client writes a byte of that chunk. Loopback.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "server/image_reader.h"
#include "tests/e2e/e2e_common.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr uint32_t kChunks = 8;
constexpr uint32_t kLast = kChunks - 1;
constexpr uint8_t kOld = 0x77;  // what the target held before

class CorruptImageTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PackSampleDisk(kChunks, 0));
    Result<ImageReader> image = ImageReader::Open(img_);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    last_offset_ = image->table().Find(kLast)->offset;
    testing::WriteFileBytes(target_, Bytes(raw_.size(), kOld));
  }
  // A slow stream (about 4 Mbit/s), so the last chunk is read seconds after
  // the first.
  std::unique_ptr<ChildProcess> StartServer(const std::string& port) {
    auto s = std::make_unique<ChildProcess>(
        std::vector<std::string>{FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port",
                                 port, "--rate", "4m", "--min-clients", "1"});
    EXPECT_TRUE(s->WaitForText("waiting for", 30));
    return s;
  }
  std::unique_ptr<ChildProcess> StartClient(const std::string& port) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:" + port,
                                 "--target", target_, "--node-id", "n1"});
  }
  // Runs a deployment, calls `damage` once the stream has started, and
  // checks both programs' last line and the last chunk's range on the target.
  void Deploy(const std::string& port, const std::function<void()>& damage,
              const std::string& problem) {
    auto server = StartServer(port);
    auto client = StartClient(port);
    ASSERT_TRUE(server->WaitForText("stream starting", 30));
    damage();
    const std::string line = img_ + ": chunk " + std::to_string(kLast) + ": " + problem +
                             "; not sent: restore the image file or pack it again";
    const ProgramResult s = server->Wait(kTimeout);
    EXPECT_EQ(s.exit_code, 1);
    EXPECT_EQ(s.err.substr(s.err.rfind("fleetcast-server:")),
              "fleetcast-server: error: " + line + "\n");
    const ProgramResult c = client->Wait(kTimeout);
    EXPECT_EQ(c.exit_code, 1);
    EXPECT_EQ(c.err.substr(c.err.rfind("fleetcast-client:")),
              "fleetcast-client: error: server: deployment stopped: " + line + "\n");
    const Bytes disk = testing::ReadFileBytes(target_);
    ASSERT_EQ(disk.size(), raw_.size());
    EXPECT_EQ(Bytes(disk.begin() + size_t{kLast} * kChunk, disk.end()), Bytes(kChunk, kOld));
  }

  std::string target_ = dir_ / "target.raw";
  uint64_t last_offset_ = 0;
};

TEST_F(CorruptImageTest, ChunkCorruptedWhileServingIsNeverSent) {
  Deploy(
      "7521",
      [&] {
        // One bit flipped in place, as a failing disk would.
        std::fstream f(img_, std::ios::in | std::ios::out | std::ios::binary);
        const auto at = static_cast<std::streamoff>(last_offset_ + 10);
        f.seekg(at);
        const int old = f.get();
        f.seekp(at);
        f.put(static_cast<char>(old ^ 0x10));
      },
      "stored bytes do not match the manifest's XXH3");
}

TEST_F(CorruptImageTest, ImageTruncatedWhileServingStopsBeforeTheCut) {
  Deploy(
      "7522",
      [&] {
        ASSERT_EQ(testing::RunProgram({"truncate", "-s", std::to_string(last_offset_ + 100), img_})
                      .exit_code,
                  0);
      },
      "the file ends before the chunk does (truncated)");
}

}  // namespace
}  // namespace fleetcast::e2e
