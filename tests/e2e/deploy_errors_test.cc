// What a deployment does with bad input: unreachable servers, a server that
// goes away, forged and foreign datagrams on the group, and targets that must
// be refused before a byte is written.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "core/wire_format.h"
#include "tests/e2e/e2e_common.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

class DeployErrorsTest : public PackedDiskTest {
 protected:
  void SetUp() override { PackSampleDisk(8, 4); }
  std::unique_ptr<ChildProcess> StartServer(uint16_t port, const std::string& rate = "300m",
                                            int clients = 1) {
    auto s = std::make_unique<ChildProcess>(std::vector<std::string>{
        FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port", std::to_string(port),
        "--rate", rate, "--min-clients", std::to_string(clients)});
    EXPECT_TRUE(s->WaitForText("waiting for", 30));
    return s;
  }
  static ProgramResult Receive(const std::string& server, const std::string& target,
                               std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {FLEETCAST_CLIENT_BIN, "receive", "--server",  server,
                                     "--target",           target,    "--node-id", "n1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::RunProgram(argv, 60);
  }
};

TEST_F(DeployErrorsTest, WrongServerPortIsOneLineWithinTenSeconds) {
  const auto start = std::chrono::steady_clock::now();
  ProgramResult r = Receive("127.0.0.1:1", dir_ / "t.raw");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-client: error: --server 127.0.0.1:1: cannot connect (127.0.0.1:1: "
            "Connection refused); check the address and that fleetcast-server serve runs there\n");
}

TEST_F(DeployErrorsTest, BadServerArgument) {
  ProgramResult r = Receive("127.0.0.1:notaport", dir_ / "t.raw");
  EXPECT_EQ(r.err,
            "fleetcast-client: error: --server 127.0.0.1:notaport: use HOST, HOST:PORT or "
            "[IPV6]:PORT (e.g. [fd7c::1]:7010)\n");
}

TEST_F(DeployErrorsTest, ServerGoneMidStreamRetriesThenFails) {
  auto server = StartServer(7331, "10m");
  ChildProcess client({FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:7331", "--target",
                       dir_ / "t.raw", "--node-id", "n1", "--retries", "2"});
  ASSERT_TRUE(server->WaitForText("stream starting", 30));
  server->Signal(SIGKILL);
  server->Wait(30);
  ProgramResult r = client.Wait(60);
  EXPECT_EQ(r.exit_code, 1);
  const std::string last = r.err.substr(r.err.rfind("fleetcast-client: error:"));
  EXPECT_EQ(last,
            "fleetcast-client: error: server 127.0.0.1:7331 gone (the server closed the control "
            "connection); gave up after 2 retries\n");
}

// Sends forged datagrams to the group until stopped: garbage, and
// well-formed shards of another session.
void Forge(const std::atomic<bool>* stop, uint16_t port, uint64_t* sent) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  in_addr lo{};
  ::inet_pton(AF_INET, "127.0.0.1", &lo);
  ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
  sockaddr_in group{};
  group.sin_family = AF_INET;
  group.sin_port = htons(port);
  ::inet_pton(AF_INET, "239.77.0.1", &group.sin_addr);
  std::mt19937 rnd(301);
  Bytes d(1400);
  while (!stop->load()) {
    for (uint8_t& b : d) b = static_cast<uint8_t>(rnd());
    if (*sent % 2 == 0) {
      wire::DatagramHeader h;
      h.session = 12345;  // not the live session
      h.chunk = rnd() % 8;
      h.k = 64;
      h.length =
          static_cast<uint16_t>(d.size() - wire::DatagramHeader::kEncodedLength - wire::kTagLength);
      h.EncodeTo(d.data());
    }
    ::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&group), sizeof(group));
    ++*sent;
  }
  ::close(fd);
}

TEST_F(DeployErrorsTest, ForgedAndForeignDatagramsAreIgnoredAndCounted) {
  auto server = StartServer(7332, "50m");
  std::atomic<bool> stop{false};
  uint64_t sent = 0;
  std::thread forger(Forge, &stop, 7332, &sent);
  ProgramResult r = Receive("127.0.0.1:7332", dir_ / "t.raw");
  stop = true;
  forger.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "t.raw"), raw_);
  const size_t at = r.err.find("datagrams rejected");
  ASSERT_NE(at, std::string::npos) << r.err;
  const size_t start = r.err.rfind(' ', at - 2) + 1;
  EXPECT_GT(std::stoull(r.err.substr(start, at - start)), 0u) << r.err;
  EXPECT_GT(sent, 0u);
  server->Wait(60);
}

TEST_F(DeployErrorsTest, ZeroOptionOverwritesOldBytesInZeroChunks) {
  testing::WriteFileBytes(dir_ / "t.raw", Bytes(raw_.size(), 0x77));  // yesterday's disk
  auto server = StartServer(7336);
  ProgramResult r = Receive("127.0.0.1:7336", dir_ / "t.raw", {"--zero", "--interface", "lo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "t.raw"), raw_);
  server->Wait(60);
}

TEST_F(DeployErrorsTest, DiscardOptionPunchesZeroChunksOfAFile) {
  testing::WriteFileBytes(dir_ / "t.raw", Bytes(raw_.size(), 0x77));
  auto server = StartServer(7338);
  ProgramResult r = Receive("127.0.0.1:7338", dir_ / "t.raw", {"--discard"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "t.raw"), raw_);
  server->Wait(60);
}

TEST_F(DeployErrorsTest, UnknownInterfaceIsOneLine) {
  auto server = StartServer(7337);
  ProgramResult r = Receive("127.0.0.1:7337", dir_ / "t.raw", {"--interface", "nosuch0"});
  EXPECT_EQ(r.err.substr(r.err.rfind("fleetcast-client: error:")),
            "fleetcast-client: error: --interface nosuch0: no such interface with an IPv4 "
            "address; see `ip -4 addr`\n");
}

TEST_F(DeployErrorsTest, TargetInMissingFolderIsRefused) {
  auto server = StartServer(7333);
  ProgramResult r = Receive("127.0.0.1:7333", dir_ / "no/such/t.raw");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.rfind("fleetcast-client: error:")),
            "fleetcast-client: error: --target " + dir_ / "no/such/t.raw" +
                ": No such file or directory; check the path\n");
}

TEST_F(DeployErrorsTest, DiskSmallerThanTheImageIsRefusedUntouched) {
  testing::WriteFileBytes(dir_ / "small.disk", Bytes(4 * kChunk, 0x5a));
  testing::LoopDevice loop(dir_ / "small.disk");
  ASSERT_NE(loop.path(), "") << "losetup: " << loop.error();
  auto server = StartServer(7334);
  ProgramResult r = Receive("127.0.0.1:7334", loop.path());
  EXPECT_EQ(r.err.substr(r.err.rfind("fleetcast-client: error:")),
            "fleetcast-client: error: --target " + loop.path() +
                ": disk is 4194304 bytes, the image needs 8388608; use a larger disk\n");
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "small.disk"), Bytes(4 * kChunk, 0x5a));
}

TEST_F(DeployErrorsTest, MountedDiskIsRefusedUntouched) {
  testing::WriteFileBytes(dir_ / "fs.disk", Bytes(16 * kChunk, 0x5a));
  testing::LoopDevice loop(dir_ / "fs.disk");
  ASSERT_NE(loop.path(), "") << "losetup: " << loop.error();
  ASSERT_EQ(testing::RunProgram({"mke2fs", "-q", "-t", "ext4", loop.path()}).exit_code, 0);
  const std::string mnt = dir_ / "mnt";
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  // Mounted in a private mount namespace that lives as long as `holder`.
  ChildProcess holder(
      {"unshare", "--mount", "--propagation", "private", "sh", "-c",
       "mount " + loop.path() + " " + mnt + " && echo mounted && exec tail -f " + "/dev/null"});
  ASSERT_TRUE(holder.WaitForText("mounted", 30));
  auto server = StartServer(7335);
  ProgramResult r = Receive("127.0.0.1:7335", loop.path());
  holder.Signal(SIGKILL);
  holder.Wait(30);
  EXPECT_EQ(r.err.substr(r.err.rfind("fleetcast-client: error:")),
            "fleetcast-client: error: --target " + loop.path() +
                ": is mounted or in use; unmount it or choose another disk\n");
  // Mounting changed the filesystem's own bytes; none of the image's landed.
  const Bytes disk = testing::ReadFileBytes(dir_ / "fs.disk");
  EXPECT_NE(Bytes(disk.begin(), disk.begin() + kChunk), Bytes(raw_.begin(), raw_.begin() + kChunk));
}

}  // namespace
}  // namespace fleetcast::e2e
