// Incremental re-imaging on loopback: the real server and clients, whose
// disks already hold the image except for a few chunks each. Every disk must
// end byte-identical, each node's report must count exactly the chunks it
// reused and wrote, and the server must send far fewer datagrams than a full
// deployment of the same image.
#include <gtest/gtest.h>

#include <memory>

#include "tests/e2e/e2e_common.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr int kClients = 3;
constexpr uint32_t kChunks = 48;
// SampleDisk(…, 4) leaves every chunk i with i % 4 == 1 zero: 12 zero
// chunks, 36 stored.
constexpr int kZeroEvery = 4;
constexpr uint64_t kStored = 36;
constexpr uint64_t kZero = 12;

// The datagrams a serve's log says it sent ("sent 812 datagrams, …").
long long DatagramsSent(const ProgramResult& s) { return CountBefore(s.err, " datagrams, "); }

class IncrementalDeployTest : public PackedDiskTest {
 protected:
  void SetUp() override { PackSampleDisk(kChunks, kZeroEvery, "incremental"); }

  // One deployment to kClients clients, each run with `extra` flags; returns
  // the server's result after checking every client and disk.
  ProgramResult Deploy(uint16_t port, const std::vector<std::string>& extra) {
    ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--min-clients",
                         std::to_string(kClients), "--max-wait", "60", "--rate", "300m", "--port",
                         std::to_string(port), "--no-announce", "--http", "127.0.0.1:0"});
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (int i = 1; i <= kClients; ++i) {
      std::vector<std::string> argv = {
          FLEETCAST_CLIENT_BIN, "receive", "--server",  "127.0.0.1:" + std::to_string(port),
          "--target",           Disk(i),   "--node-id", "node" + std::to_string(i)};
      argv.insert(argv.end(), extra.begin(), extra.end());
      clients.push_back(std::make_unique<ChildProcess>(argv));
    }
    for (int i = 1; i <= kClients; ++i) {
      const ProgramResult r = clients[static_cast<size_t>(i - 1)]->Wait(kTimeout);
      EXPECT_FALSE(r.timed_out) << "client " << i << "\n" << r.err;
      EXPECT_EQ(r.exit_code, 0) << "client " << i << "\n" << r.err;
    }
    ProgramResult s = server.Wait(kTimeout);
    EXPECT_FALSE(s.timed_out) << s.err;
    EXPECT_EQ(s.exit_code, 0) << s.err;
    for (int i = 1; i <= kClients; ++i) {
      EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
    }
    return s;
  }

  // Overwrites chunk `chunk` of node i's disk with garbage.
  void Spoil(int i, uint32_t chunk) {
    Bytes disk = testing::ReadFileBytes(Target(i));
    for (size_t b = 0; b < kChunk; b += 4096) disk[size_t{chunk} * kChunk + b] ^= 0x5a;
    testing::WriteFileBytes(Target(i), disk);
  }

  // Where node i writes: its file, or the loop device over it.
  std::string Disk(int i) const {
    return devices_.empty() ? Target(i) : devices_[static_cast<size_t>(i - 1)]->path();
  }

  std::vector<std::unique_ptr<testing::LoopDevice>> devices_;  // detached before dir_ goes

  // The server summary's line for node i.
  static std::string Summary(const ProgramResult& s, int i) {
    return SummaryLine(s.out, "node" + std::to_string(i));
  }
};

TEST_F(IncrementalDeployTest, ReimageSendsAndWritesOnlyWhatEachDiskLacks) {
  // A first, full deployment onto new (sparse) targets.
  const ProgramResult full = Deploy(7590, {});
  const long long full_datagrams = DatagramsSent(full);
  ASSERT_GT(full_datagrams, 0) << full.err;
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(full, i);
    EXPECT_NE(line.find("verified"), std::string::npos) << full.out;
    EXPECT_EQ(CountAfter(line, "reused "), 0) << line;
    EXPECT_EQ(CountAfter(line, "written "), static_cast<long long>(kStored)) << line;
  }

  // Each disk then differs in other chunks: node1 in stored chunk 0; node2
  // in stored chunks 10 and 11; node3 in stored chunk 22 and in zero chunks
  // 5 and 9, which --zero must make read zero again.
  Spoil(1, 0);
  Spoil(2, 10);
  Spoil(2, 11);
  Spoil(3, 22);
  Spoil(3, 5);
  Spoil(3, 9);
  const ProgramResult again = Deploy(7591, {"--zero"});
  const long long datagrams = DatagramsSent(again);
  ASSERT_GT(datagrams, 0) << again.err;
  // 4 of 36 stored chunks are sent, where the full deployment sent them all.
  EXPECT_LT(datagrams * 4, full_datagrams) << datagrams << " vs " << full_datagrams;
  std::printf("full deployment: %lld datagrams; re-image: %lld\n", full_datagrams, datagrams);
  const long long written[] = {1, 2, 3};
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(again, i);
    EXPECT_NE(line.find("verified"), std::string::npos) << again.out;
    const long long w = written[i - 1];
    EXPECT_EQ(CountAfter(line, "written "), w) << line;
    EXPECT_EQ(CountAfter(line, "reused "), static_cast<long long>(kStored + kZero) - w) << line;
  }
  EXPECT_NE(again.err.find("node3 holds 35 of 48 chunks already"), std::string::npos) << again.err;
}

TEST_F(IncrementalDeployTest, FullWritesEveryChunkOfAnIdenticalDisk) {
  for (int i = 1; i <= kClients; ++i) testing::WriteFileBytes(Target(i), raw_);
  const ProgramResult s = Deploy(7592, {"--full", "--zero"});
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(s, i);
    EXPECT_EQ(CountAfter(line, "reused "), 0) << line;
    EXPECT_EQ(CountAfter(line, "written "), static_cast<long long>(kStored + kZero)) << line;
  }
}

// --discard TRIMs every zero chunk without reading it first (the point is
// to tell the disk those blocks are free, even if they read zero): each
// counts as written.
TEST_F(IncrementalDeployTest, DiscardCountsEveryZeroChunkAsWritten) {
  for (int i = 1; i <= kClients; ++i) testing::WriteFileBytes(Target(i), raw_);
  Spoil(1, 5);  // zero chunks that no longer read zero: discarded all the same
  const ProgramResult s = Deploy(7610, {"--discard"});
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(s, i);
    EXPECT_EQ(CountAfter(line, "reused "), static_cast<long long>(kStored)) << line;
    EXPECT_EQ(CountAfter(line, "written "), static_cast<long long>(kZero)) << line;
  }
}

TEST_F(IncrementalDeployTest, IdenticalDisksNeedNoDatagramOfData) {
  for (int i = 1; i <= kClients; ++i) testing::WriteFileBytes(Target(i), raw_);
  const ProgramResult s = Deploy(7593, {});
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(s, i);
    EXPECT_EQ(CountAfter(line, "reused "), static_cast<long long>(kStored)) << line;
    EXPECT_EQ(CountAfter(line, "written "), 0) << line;
  }
  // Only pass ends went out: each a bare 24-byte header and 16-byte tag.
  const long long datagrams = DatagramsSent(s);
  EXPECT_GT(datagrams, 0) << s.err;
  EXPECT_EQ(CountBefore(s.err, " payload bytes"), datagrams * (24 + 16)) << s.err;
}

// The disks are block devices (loop devices over the files), as in a lab:
// the scans hash them through mappings of the devices, the stream writes
// them, and the files behind them end as the image.
TEST_F(IncrementalDeployTest, ReimagesBlockDevices) {
  for (int i = 1; i <= kClients; ++i) testing::WriteFileBytes(Target(i), raw_);
  Spoil(1, 0);
  Spoil(2, 10);
  Spoil(3, kChunks - 1);
  for (int i = 1; i <= kClients; ++i) {
    devices_.push_back(std::make_unique<testing::LoopDevice>(Target(i)));
    ASSERT_NE(devices_.back()->path(), "") << "losetup: " << devices_.back()->error();
  }
  const ProgramResult s = Deploy(7651, {});
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(s, i);
    EXPECT_NE(line.find("verified"), std::string::npos) << s.out;
    EXPECT_EQ(CountAfter(line, "written "), 1) << line;
    EXPECT_EQ(CountAfter(line, "reused "), static_cast<long long>(kStored) - 1) << line;
  }
}

// Disks that take a while to scan (128 MiB each, three read at once): the
// clients tell the server their scan frontier as they go, the first pass
// streams what every disk has decided while the scans read on, and the
// outcome is exactly that of a re-image that waited for whole scans.
constexpr uint32_t kLongChunks = 128;
constexpr uint64_t kLongStored = 96;

class ScanOverlapDeployTest : public IncrementalDeployTest {
 protected:
  void SetUp() override { PackSampleDisk(kLongChunks, kZeroEvery, "overlap"); }
};

TEST_F(ScanOverlapDeployTest, FirstPassFollowsTheScansAndSendsOnlyWhatEachDiskLacks) {
  for (int i = 1; i <= kClients; ++i) testing::WriteFileBytes(Target(i), raw_);
  // Stored chunks spoiled early, midway and last, some on one disk, chunk
  // 40 on every disk.
  const std::vector<std::vector<uint32_t>> spoiled = {
      {0, 127, 40}, {2, 80, 40}, {80, 110, 120, 40}};
  for (int i = 1; i <= kClients; ++i) {
    for (uint32_t chunk : spoiled[static_cast<size_t>(i - 1)]) Spoil(i, chunk);
  }
  const ProgramResult s = Deploy(7650, {});
  for (int i = 1; i <= kClients; ++i) {
    const std::string line = Summary(s, i);
    const auto w = static_cast<long long>(spoiled[static_cast<size_t>(i - 1)].size());
    EXPECT_NE(line.find("verified"), std::string::npos) << s.out;
    EXPECT_EQ(CountAfter(line, "written "), w) << line;
    EXPECT_EQ(CountAfter(line, "reused "), static_cast<long long>(kLongStored) - w) << line;
    // The server heard the scan's frontier before the whole `have` (which
    // counts, as held, chunks the stream wrote during the scan: timing).
    const std::string node = "node" + std::to_string(i) + " holds ";
    const size_t at = s.err.find(node);
    ASSERT_NE(at, std::string::npos) << s.err;
    const std::string holds = s.err.substr(at, s.err.find('\n', at) - at);
    EXPECT_NE(holds.find(" of " + std::to_string(kLongChunks) + " chunks already (after "),
              std::string::npos)
        << holds;
  }
  // How much the stream overlapped the scans is timing, not asserted: the
  // scans that ended after the first shard left.
  const size_t start = s.err.find("stream starting");
  int later = 0;
  for (size_t at = s.err.find("chunks already (after", start); at != std::string::npos;
       at = s.err.find("chunks already (after", at + 1)) {
    ++later;
  }
  std::printf("the stream started before %d of %d scans ended\n",
              start == std::string::npos ? 0 : later, kClients);
}

}  // namespace
}  // namespace fleetcast::e2e
