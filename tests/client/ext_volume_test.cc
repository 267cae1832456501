#include "platform/ext_volume.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tests/client/disk_builder.h"

namespace fleetcast {
namespace {

using testing::kExtOffset;
using testing::kExtSize;

const std::string kSeed = "/var/lib/cloud/seed/nocloud/";

ByteView View(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string Text(const Bytes& b) { return {b.begin(), b.end()}; }

// A GPT disk whose ext4 partition was seeded by mke2fs -d, and verbs to
// change it through ExtVolume and to look at it with e2fsprogs.
class ExtVolumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string seed = dir_ / "seed";
    std::filesystem::create_directories(seed + "/etc");
    std::filesystem::create_directories(seed + "/var/lib");
    std::filesystem::create_directories(seed + "/run");
    std::filesystem::create_symlink("/run", seed + "/var/run");
    testing::WriteFileBytes(seed + "/etc/hostname", View("an-old-and-rather-long-hostname\n"));
    disk_ = testing::BuildDisk(dir_, testing::TableKind::kGpt, seed);
    ASSERT_FALSE(disk_.empty());
  }

  std::unique_ptr<ExtVolume> Open(bool writable = true) {
    Result<std::unique_ptr<ExtVolume>> v = ExtVolume::Open(disk_, kExtOffset, kExtSize, writable);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : nullptr;
  }
  std::string OpenError() {
    Result<std::unique_ptr<ExtVolume>> v = ExtVolume::Open(disk_, kExtOffset, kExtSize, true);
    return v.ok() ? "OK" : v.status().message();
  }
  // The partition as a file of its own, for debugfs and e2fsck.
  std::string PartitionFile() {
    std::string part = dir_ / "ext.part";
    std::filesystem::remove(part);
    EXPECT_TRUE(testing::ExtractPartition(disk_, kExtOffset, kExtSize, part));
    return part;
  }
  std::string Debugfs(const std::string& request) {
    return testing::RunTool({"debugfs", "-R", request, PartitionFile()}).out;
  }
  void ExpectConsistent() { testing::RunTool({"e2fsck", "-fn", PartitionFile()}); }

  testing::TempDir dir_;
  std::string disk_;
};

TEST_F(ExtVolumeTest, WritesCloudInitSeedThatDebugfsReads) {
  const std::string meta = "instance-id: node7\nlocal-hostname: node7\n";
  const std::string user = "#cloud-config\npassword: secret\n";
  std::unique_ptr<ExtVolume> v = Open();
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->WriteFile(kSeed + "meta-data", View(meta)).ok());
  ASSERT_TRUE(v->WriteFile(kSeed + "user-data", View(user), 0600).ok());
  ASSERT_TRUE(v->WriteFile(kSeed + "network-config", View("version: 2\n")).ok());
  EXPECT_TRUE(v->Exists("/var/lib/cloud/seed"));
  EXPECT_FALSE(v->Exists(kSeed + "vendor-data"));
  ASSERT_TRUE(v->Close().ok());

  EXPECT_EQ(Debugfs("cat " + kSeed + "meta-data"), meta);
  EXPECT_EQ(Debugfs("cat " + kSeed + "user-data"), user);
  EXPECT_EQ(Debugfs("cat " + kSeed + "network-config"), "version: 2\n");
  const std::string user_stat = Debugfs("stat " + kSeed + "user-data");
  EXPECT_NE(user_stat.find("Mode:  0600"), std::string::npos) << user_stat;
  EXPECT_NE(user_stat.find("User:     0   Group:     0"), std::string::npos) << user_stat;
  EXPECT_EQ(user_stat.find("ctime: 0x00000000"), std::string::npos) << user_stat;
  EXPECT_NE(Debugfs("stat " + kSeed + "meta-data").find("Mode:  0644"), std::string::npos);
  EXPECT_NE(Debugfs("stat /var/lib/cloud").find("Mode:  0755"), std::string::npos);
  ExpectConsistent();
}

TEST_F(ExtVolumeTest, ReplacesAnExistingFileWithShorterContent) {
  std::unique_ptr<ExtVolume> v = Open();
  ASSERT_NE(v, nullptr);
  Result<Bytes> old = v->ReadFile("/etc/hostname");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(Text(*old), "an-old-and-rather-long-hostname\n");
  ASSERT_TRUE(v->WriteFile("/etc/hostname", View("node7\n")).ok());
  EXPECT_EQ(Text(v->ReadFile("/etc/hostname").value()), "node7\n");
  ASSERT_TRUE(v->Close().ok());
  EXPECT_EQ(Debugfs("cat /etc/hostname"), "node7\n");
  ExpectConsistent();
}

TEST_F(ExtVolumeTest, BigFileGoesInExtents) {
  std::string big(5 * testing::kMiB + 77, '\0');
  std::mt19937 rng(301);
  for (char& c : big) c = static_cast<char>(rng());
  std::unique_ptr<ExtVolume> v = Open();
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->WriteFile("/opt/blob.bin", View(big)).ok());
  ASSERT_TRUE(v->Close().ok());
  EXPECT_TRUE(Debugfs("cat /opt/blob.bin") == big);
  EXPECT_NE(Debugfs("stat /opt/blob.bin").find("EXTENTS:"), std::string::npos);
  ExpectConsistent();
}

TEST_F(ExtVolumeTest, GrowsFullDirectories) {
  std::unique_ptr<ExtVolume> v = Open();
  ASSERT_NE(v, nullptr);
  const std::string pad(40, 'n');
  for (int i = 0; i < 150; ++i) {
    const std::string name = "/var/lib/many/" + pad + std::to_string(i);
    ASSERT_TRUE(v->WriteFile(name + "-dir/file", View("d")).ok()) << i;
    ASSERT_TRUE(v->WriteFile(name + "-file", View("f")).ok()) << i;
  }
  ASSERT_TRUE(v->Close().ok());
  EXPECT_EQ(Debugfs("cat /var/lib/many/" + pad + "149-dir/file"), "d");
  EXPECT_EQ(Debugfs("cat /var/lib/many/" + pad + "0-file"), "f");
  ExpectConsistent();
}

TEST_F(ExtVolumeTest, FollowsSymbolicLinksInsideTheFilesystem) {
  std::unique_ptr<ExtVolume> v = Open();
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->WriteFile("/var/run/seeded", View("x")).ok());
  ASSERT_TRUE(v->Close().ok());
  EXPECT_EQ(Debugfs("cat /run/seeded"), "x");
}

TEST_F(ExtVolumeTest, ErrorsNameDevicePartitionAndPath) {
  const std::string where = disk_ + " (partition at 42991616): ";
  std::unique_ptr<ExtVolume> v = Open();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->ReadFile("/etc/missing").status().message(),
            where + "/etc/missing: not found; check the path");
  EXPECT_EQ(v->ReadFile("/etc").status().message(),
            where + "/etc: is not a regular file; name a file");
  EXPECT_EQ(v->WriteFile("/etc/hostname/x", View("x")).message(),
            where + "/etc/hostname: is not a folder; remove it or choose another path");
  EXPECT_EQ(v->WriteFile("/etc", View("x")).message(),
            where + "/etc: exists and is not a regular file; remove it or choose another path");
  EXPECT_EQ(v->WriteFile("etc/x", View("x")).message(),
            where + "etc/x: not an absolute path to a file; check the path");
  ASSERT_TRUE(v->Close().ok());
  EXPECT_EQ(v->WriteFile("/x", View("x")).message(),
            where + "/x: the volume is closed; open it again");
  std::unique_ptr<ExtVolume> ro = Open(false);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->WriteFile("/x", View("x")).message(),
            where + "/x: the volume was opened read-only; open it writable");
}

TEST_F(ExtVolumeTest, RefusesWhatIsNotExt) {
  Result<std::unique_ptr<ExtVolume>> v =
      ExtVolume::Open(disk_, testing::kNtfsOffset, testing::kNtfsSize, true);
  EXPECT_EQ(v.status().message(),
            disk_ +
                " (partition at 1048576): cannot open ext2/3/4: Bad magic number in "
                "super-block; check that this partition holds an ext filesystem");
  v = ExtVolume::Open(disk_, kExtOffset, kExtSize / 2, true);
  EXPECT_EQ(v.status().message(),
            disk_ +
                " (partition at 42991616): the filesystem (38797312 bytes) is larger than "
                "its partition (19398656 bytes); check the partition table");
}

TEST_F(ExtVolumeTest, RefusesAnUnreplayedJournal) {
  const std::string part = PartitionFile();
  testing::RunTool({"debugfs", "-w", "-R", "feature needs_recovery", part});
  ASSERT_TRUE(testing::InsertPartition(part, disk_, kExtOffset));
  EXPECT_EQ(OpenError(),
            disk_ +
                " (partition at 42991616): the journal holds changes not yet written (the "
                "system was not shut down cleanly); shut it down cleanly or run e2fsck -f "
                "on the partition, then capture the image again");
  Result<std::unique_ptr<ExtVolume>> ro = ExtVolume::Open(disk_, kExtOffset, kExtSize, false);
  EXPECT_TRUE(ro.ok());  // reading is harmless
}

}  // namespace
}  // namespace fleetcast
