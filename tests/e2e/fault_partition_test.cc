// A network partition mid-stream: on a namespace LAN the switch drops every
// frame to and from the receivers (multicast, the TCP control connections,
// IGMP) for 20 seconds, then carries them again. Neither side gives up: the
// clients resume and every disk ends byte-identical.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr int kReceivers = 3;
constexpr double kLongTimeout = 240;  // the outage and the catch-up after it
// The outage itself: the stimulus, not a wait for an outcome.
constexpr auto kOutage = std::chrono::seconds(20);

class PartitionTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    lan_ = std::make_unique<testing::NamespaceLan>(kReceivers);
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
    ASSERT_NO_FATAL_FAILURE(PackSampleDisk(16, 0));
  }
  void TearDown() override {
    clients_.clear();
    lan_.reset();
  }
  std::unique_ptr<testing::NamespaceLan> lan_;
  std::vector<std::unique_ptr<ChildProcess>> clients_;
};

TEST_F(PartitionTest, TwentySecondsOfTotalLossThenEveryClientCompletes) {
  ChildProcess server(lan_->InServer({FLEETCAST_SERVER_BIN, "serve", img_, "--interface",
                                      testing::NamespaceLan::kInterface, "--port", "7530", "--rate",
                                      "20m", "--min-clients", std::to_string(kReceivers)}));
  ASSERT_TRUE(server.WaitForText("waiting for", 30));
  for (int i = 1; i <= kReceivers; ++i) {
    clients_.push_back(std::make_unique<ChildProcess>(
        lan_->InReceiver(i, {"env", "SPDLOG_LEVEL=debug", FLEETCAST_CLIENT_BIN, "receive",
                             "--server", lan_->server_address() + ":7530", "--target", Target(i),
                             "--node-id", "r" + std::to_string(i)})));
  }
  // Cut once a chunk is on a disk: the stream is under way.
  ASSERT_TRUE(clients_[0]->WaitForText(" written", 60));
  ASSERT_TRUE(lan_->Partition()) << lan_->error();
  std::this_thread::sleep_for(kOutage);
  // Cut off mid-stream, no client could finish: what each has printed (read
  // for up to a second) shows no verified disk yet.
  for (int i = 1; i <= kReceivers; ++i) {
    EXPECT_FALSE(clients_[i - 1]->WaitForText("disk verified", 1)) << "client " << i;
  }
  ASSERT_TRUE(lan_->Heal()) << lan_->error();

  for (int i = 1; i <= kReceivers; ++i) {
    const ProgramResult r = clients_[i - 1]->Wait(kLongTimeout);
    EXPECT_EQ(r.exit_code, 0) << "client " << i << "\n" << r.err;
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "client " << i;
  }
  const ProgramResult s = server.Wait(kLongTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  for (int i = 1; i <= kReceivers; ++i) {
    EXPECT_NE(s.out.find("r" + std::to_string(i) + "                   verified"),
              std::string::npos)
        << s.out;
  }
}

}  // namespace
}  // namespace fleetcast::e2e
