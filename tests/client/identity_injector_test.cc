// Identity injection end to end on real filesystems made in the test: the
// answers fleetcast renders, written by the client library (and by the
// `fleetcast-client inject` program) into NTFS and ext4 partitions of a
// sparse disk, read back with ntfs-3g's tools, debugfs and hivexget.
#include "client/identity_injector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/answer_set.h"
#include "core/sysprep_inf.h"
#include "platform/ntfs_volume.h"
#include "tests/client/disk_builder.h"
#include "tests/client/hive_builder.h"

namespace fleetcast {
namespace {

namespace fs = std::filesystem;
using testing::kExtOffset;
using testing::kExtSize;
using testing::kNtfsOffset;
using testing::kNtfsSize;
using testing::RunTool;
using testing::TempDir;

std::string Text(const Bytes& b) { return std::string(b.begin(), b.end()); }

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A sysfs tree with an LSI 1030 (Dell subsystem) and a virtio NIC.
std::string FakeSysfs(const TempDir& dir) {
  const std::string root = dir / "sys";
  const auto device = [&](const std::string& slot, const char* const(&values)[6]) {
    const char* const names[6] = {"vendor",           "device", "subsystem_vendor",
                                  "subsystem_device", "class",  "revision"};
    for (int i = 0; i < 6; ++i) {
      WriteText(root + "/bus/pci/devices/" + slot + "/" + names[i], std::string(values[i]) + "\n");
    }
  };
  device("0000:00:03.0", {"0x1af4", "0x1000", "0x1af4", "0x0001", "0x020000", "0x00"});
  device("0000:02:01.0", {"0x1000", "0x0030", "0x1000", "0x1040", "0x010000", "0x08"});
  return root;
}

void AddCatalog(control::Identity* identity) {
  const fs::path root = FLEETCAST_SOURCE_DIR "/tests/data/drivers";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    identity->files.push_back({"drivers/" + fs::relative(entry.path(), root).generic_string(),
                               Bytes{std::istreambuf_iterator<char>(in), {}}});
  }
}

NodeSpec WindowsNode() {
  NodeSpec node;
  node.hostname = "SQL01";
  node.mac = "52:54:00:20:00:11";
  node.ip = "10.20.0.11";
  node.gateway = "10.20.0.1";
  node.dns = {"10.20.0.2"};
  node.domain = "lab.example.com";
  node.domain_admin = "LAB\\joiner";
  node.flavour = Flavour::kSysprepInf;
  node.setup_commands = {"C:\\Sysprep\\tools\\fw.cmd"};
  return node;
}

// A Windows volume as a master image leaves it: a SYSTEM hive in place.
void PutSystemHive(const TempDir& dir, const std::string& disk) {
  testing::WriteSystemHive(dir / "SYSTEM", {});
  auto volume = NtfsVolume::Open(disk, kNtfsOffset, kNtfsSize, true);
  ASSERT_TRUE(volume.ok()) << volume.status().ToString();
  ASSERT_TRUE(
      (*volume)
          ->WriteFile("/WINDOWS/system32/config/SYSTEM", testing::ReadFileBytes(dir / "SYSTEM"))
          .ok());
  ASSERT_TRUE((*volume)->Close().ok());
}

std::string NtfsCat(const TempDir& dir, const std::string& disk, const std::string& path) {
  const std::string part = dir / "ntfs.part";
  EXPECT_TRUE(testing::ExtractPartition(disk, kNtfsOffset, kNtfsSize, part));
  return RunTool({"ntfscat", part, path}).out;
}

TEST(IdentityInjectorTest, SysprepDriversAndHiveOnNtfs) {
  TempDir dir;
  const std::string disk = testing::BuildDisk(dir, testing::TableKind::kGpt);
  ASSERT_FALSE(disk.empty());
  PutSystemHive(dir, disk);
  control::Identity answers{"SQL01", RenderAnswers(WindowsNode(), nullptr, {"adm", "join"}, "")};
  AddCatalog(&answers);

  Result<InjectReport> report = InjectIdentity(disk, answers, FakeSysfs(dir));
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  const std::string rendered = RenderSysprepInf(WindowsNode(), nullptr, {"adm", "join"});
  EXPECT_EQ(
      NtfsCat(dir, disk, "/Sysprep/sysprep.inf"),
      rendered +
          "[SysprepMassStorage]\r\n"
          "pci\\ven_1000&dev_0030&subsys_10401000 = \"C:\\Sysprep\\Drivers\\lsi\\symmpi.inf\", "
          "\"\\\", \"LSI Logic Ultra320 Driver Disk\", \"\\symmpi.tag\"\r\n");
  EXPECT_EQ(NtfsCat(dir, disk, "/Sysprep/i386/$OEM$/cmdlines.txt"),
            "[Commands]\r\n\"C:\\Sysprep\\tools\\fw.cmd\"\r\n");
  const std::string sys =
      Text(testing::ReadFileBytes(FLEETCAST_SOURCE_DIR "/tests/data/drivers/lsi/symmpi.sys"));
  EXPECT_EQ(NtfsCat(dir, disk, "/Sysprep/Drivers/lsi/symmpi.sys"), sys);
  EXPECT_EQ(NtfsCat(dir, disk, "/WINDOWS/system32/drivers/symmpi.sys"), sys);
  // Only the matched driver's folder is copied: the VIA one is not there.
  EXPECT_EQ(RunTool({"ntfsls", dir / "ntfs.part", "-p", "/Sysprep/Drivers"}).out, ".\n..\nlsi\n");

  // The clone boots on the LSI controller: the hive knows its driver.
  WriteText(dir / "SYSTEM.out", NtfsCat(dir, disk, "/WINDOWS/system32/config/SYSTEM"));
  const std::string key =
      "ControlSet001\\Control\\CriticalDeviceDatabase\\"
      "pci#ven_1000&dev_0030&subsys_10401000";
  EXPECT_EQ(RunTool({"hivexget", dir / "SYSTEM.out", key, "Service"}).out, "symmpi\n");
  EXPECT_EQ(RunTool({"hivexget", dir / "SYSTEM.out", key, "ClassGUID"}).out,
            "{4D36E97B-E325-11CE-BFC1-08002BE10318}\n");
  EXPECT_EQ(
      RunTool({"hivexget", dir / "SYSTEM.out", "ControlSet001\\Services\\symmpi", "ImagePath"}).out,
      "system32\\DRIVERS\\symmpi.sys\n");
  EXPECT_EQ(RunTool({"ntfsfix", "-n", dir / "ntfs.part"}).exit_code, 0);
  EXPECT_NE(std::find(report->lines.begin(), report->lines.end(),
                      "registered pci\\ven_1000&dev_0030&subsys_10401000 -> service symmpi "
                      "(system32\\DRIVERS\\symmpi.sys) in the SYSTEM hive"),
            report->lines.end());
}

TEST(IdentityInjectorTest, CloudInitSeedOnExt4) {
  TempDir dir;
  WriteText(dir / "seed/etc/hostname", "template\n");
  const std::string disk = testing::BuildDisk(dir, testing::TableKind::kGpt, dir / "seed");
  ASSERT_FALSE(disk.empty());
  NodeSpec node = WindowsNode();
  node.hostname = "bench01";
  node.flavour = Flavour::kCloudInit;
  node.setup_commands.clear();
  const control::Identity answers{"bench01", RenderAnswers(node, nullptr, {"root-pw", ""},
                                                           "http://10.20.0.1:8080/api/nodes/x/up")};
  Result<InjectReport> report = InjectIdentity(disk, answers, dir / "no-sysfs-needed");
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  const std::string part = dir / "ext.part";
  ASSERT_TRUE(testing::ExtractPartition(disk, kExtOffset, kExtSize, part));
  for (const control::AnswerFile& file : answers.files) {
    const std::string path = "/var/lib/cloud/seed/" + file.path;
    EXPECT_EQ(RunTool({"debugfs", "-R", "cat " + path, part}).out, Text(file.data)) << path;
  }
  const std::string stat =
      RunTool({"debugfs", "-R", "stat /var/lib/cloud/seed/nocloud/user-data", part}).out;
  EXPECT_NE(stat.find("Mode:  0600"), std::string::npos) << stat;
  EXPECT_EQ(RunTool({"e2fsck", "-fn", part}).exit_code, 0);
}

TEST(IdentityInjectorTest, InjectProgramWritesUnattendXml) {
  TempDir dir;
  const std::string disk = testing::BuildDisk(dir, testing::TableKind::kMbr);
  ASSERT_FALSE(disk.empty());
  NodeSpec node = WindowsNode();
  node.hostname = "WEB01";
  node.flavour = Flavour::kUnattendXml;
  node.setup_commands.clear();
  const auto files = RenderAnswers(node, nullptr, {"adm", "join"}, "");
  WriteText(dir / "answers/WEB01/unattend.xml", Text(files[0].data));
  ::chmod((dir / "answers/WEB01/unattend.xml").c_str(), 0600);

  const auto r = testing::RunProgram(
      {FLEETCAST_CLIENT_BIN, "inject", "--target", disk, "--answers", dir / "answers/WEB01"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote /Windows/Panther/unattend.xml (" + std::to_string(files[0].data.size()) +
                       " B) on " + disk + " partition 1 (NTFS)\n" + disk +
                       ": identity of WEB01 written\n");
  EXPECT_EQ(NtfsCat(dir, disk, "/Windows/Panther/unattend.xml"), Text(files[0].data));
}

TEST(IdentityInjectorTest, ErrorsNameTheThingAndTheFix) {
  TempDir dir;
  testing::WriteFileBytes(dir / "blank.img", Bytes(1 << 20, 0));
  WriteText(dir / "answers/N1/unattend.xml", "<x/>");
  auto r = testing::RunProgram({FLEETCAST_CLIENT_BIN, "inject", "--target", dir / "blank.img",
                                "--answers", dir / "answers/N1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-client: error: " + dir / "blank.img" +
                       ": partition table: the disk has neither an MBR or GPT partition table "
                       "nor a known filesystem at its start; check that the image was written to "
                       "this disk\n");
  r = testing::RunProgram(
      {FLEETCAST_CLIENT_BIN, "inject", "--target", dir / "blank.img", "--answers", dir / "none"});
  EXPECT_EQ(r.err, "fleetcast-client: error: " + dir / "none" +
                       ": not a folder of answer files; give the node's folder from "
                       "fleetcast-server probe --answers-out\n");
  // Windows answers on a disk with no NTFS: the ext-only superfloppy.
  ASSERT_EQ(RunTool({"mke2fs", "-q", "-t", "ext4", "-F", dir / "ext.img", "8M"}).exit_code, 0);
  r = testing::RunProgram({FLEETCAST_CLIENT_BIN, "inject", "--target", dir / "ext.img", "--answers",
                           dir / "answers/N1"});
  EXPECT_EQ(r.err, "fleetcast-client: error: " + dir / "ext.img" +
                       ": no NTFS partition for N1's Windows answer files; is this the Windows "
                       "image?\n");
}

}  // namespace
}  // namespace fleetcast
