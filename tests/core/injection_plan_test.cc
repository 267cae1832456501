#include "core/injection_plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fleetcast {
namespace {

namespace fs = std::filesystem;

Bytes FromText(std::string_view text) { return Bytes(text.begin(), text.end()); }
std::string ToText(const Bytes& data) { return std::string(data.begin(), data.end()); }

// The test catalog (tests/data/drivers) as the server sends it.
void AddCatalog(control::Identity* identity) {
  const fs::path root = FLEETCAST_SOURCE_DIR "/tests/data/drivers";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    identity->files.push_back({"drivers/" + fs::relative(entry.path(), root).generic_string(),
                               Bytes{std::istreambuf_iterator<char>(in), {}}});
  }
}

PciDevice Lsi1030Dell() { return {0x1000, 0x0030, 0x1000, 0x1040, 0x010000, 0x08, "0000:02:01.0"}; }
PciDevice VirtioNet() { return {0x1af4, 0x1000, 0x1af4, 0x0001, 0x020000, 0, "0000:00:03.0"}; }

std::vector<std::string> Paths(const InjectionPlan& plan) {
  std::vector<std::string> out;
  for (const auto& f : plan.files) out.push_back(f.path);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(InjectionPlanTest, SysprepListsAndCopiesOnlyMatchingDrivers) {
  control::Identity answers{
      "SQL01",
      {{"sysprep.inf", FromText("[Unattended]\r\nUnattendMode=FullUnattended\r\n")},
       {"cmdlines.txt", FromText("[Commands]\r\n\"fw.cmd\"\r\n")}}};
  AddCatalog(&answers);
  auto plan = PlanInjection(answers, {VirtioNet(), Lsi1030Dell()});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(Paths(*plan), (std::vector<std::string>{
                              "/Sysprep/Drivers/lsi/symmpi.inf", "/Sysprep/Drivers/lsi/symmpi.sys",
                              "/Sysprep/Drivers/lsi/symmpi.tag", "/Sysprep/i386/$OEM$/cmdlines.txt",
                              "/Sysprep/sysprep.inf"}));
  EXPECT_TRUE(plan->NeedsFs(TargetFs::kNtfs));
  EXPECT_FALSE(plan->NeedsFs(TargetFs::kExt));
  const auto inf = std::find_if(plan->files.begin(), plan->files.end(), [](const PlannedFile& f) {
    return f.path == "/Sysprep/sysprep.inf";
  });
  EXPECT_EQ(ToText(inf->data),
            "[Unattended]\r\nUnattendMode=FullUnattended\r\n[SysprepMassStorage]\r\n"
            "pci\\ven_1000&dev_0030&subsys_10401000 = \"C:\\Sysprep\\Drivers\\lsi\\symmpi.inf\", "
            "\"\\\", \"LSI Logic Ultra320 Driver Disk\", \"\\symmpi.tag\"\r\n");
  ASSERT_EQ(plan->drivers.size(), 1u);
  const DriverRegistration& r = plan->drivers[0];
  EXPECT_EQ(r.hardware_id, "pci\\ven_1000&dev_0030&subsys_10401000");
  EXPECT_EQ(r.class_guid, "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
  EXPECT_EQ(r.service, "symmpi");
  EXPECT_EQ(r.image_path, "system32\\DRIVERS\\symmpi.sys");
  EXPECT_EQ(r.group, "SCSI Miniport");
  EXPECT_EQ(r.start, 0u);
  EXPECT_EQ(r.binary_path, "drivers/lsi/symmpi.sys");
}

TEST(InjectionPlanTest, NoMatchingControllerListsNothing) {
  control::Identity answers{"SQL02", {{"sysprep.inf", FromText("[Unattended]\r\n")}}};
  AddCatalog(&answers);
  auto plan = PlanInjection(answers, {VirtioNet()});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Paths(*plan), std::vector<std::string>{"/Sysprep/sysprep.inf"});
  EXPECT_TRUE(plan->drivers.empty());
  EXPECT_EQ(ToText(plan->files[0].data), "[Unattended]\r\n[SysprepMassStorage]\r\n");
}

TEST(InjectionPlanTest, NoCatalogLeavesSysprepAsRendered) {
  auto plan = PlanInjection({"S", {{"sysprep.inf", FromText("[Unattended]\r\n")}}}, {});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(ToText(plan->files[0].data), "[Unattended]\r\n");
}

TEST(InjectionPlanTest, UnattendAndNoCloudPaths) {
  auto windows = PlanInjection({"W", {{"unattend.xml", FromText("<x/>")}}}, {});
  ASSERT_TRUE(windows.ok());
  EXPECT_EQ(Paths(*windows), std::vector<std::string>{"/Windows/Panther/unattend.xml"});
  auto linux_seed = PlanInjection({"L",
                                   {{"nocloud/meta-data", FromText("a")},
                                    {"nocloud/user-data", FromText("b")},
                                    {"nocloud/network-config", FromText("c")}}},
                                  {});
  ASSERT_TRUE(linux_seed.ok());
  EXPECT_EQ(Paths(*linux_seed),
            (std::vector<std::string>{"/var/lib/cloud/seed/nocloud/meta-data",
                                      "/var/lib/cloud/seed/nocloud/network-config",
                                      "/var/lib/cloud/seed/nocloud/user-data"}));
  EXPECT_EQ(linux_seed->files[1].mode, 0600u);  // user-data may hold a password
  EXPECT_EQ(linux_seed->files[0].mode, 0644u);
  EXPECT_TRUE(linux_seed->NeedsFs(TargetFs::kExt));
}

TEST(InjectionPlanTest, RefusesUnknownAndEscapingPaths) {
  EXPECT_EQ(PlanInjection({"X", {{"notes.txt", {}}}}, {}).status().message(),
            "answers: 'notes.txt' is not an answer file fleetcast writes; remove it");
  EXPECT_EQ(PlanInjection({"X", {{"drivers/../../Windows/x.sys", {}}}}, {}).status().message(),
            "answers: 'drivers/../../Windows/x.sys' is not a plain relative path; refusing to "
            "write it");
  EXPECT_EQ(PlanInjection({"X", {{"nocloud/../user-data", {}}}}, {}).status().message(),
            "answers: 'nocloud/../user-data' is not a plain relative path; refusing to write it");
  EXPECT_EQ(PlanInjection({"X", {}}, {}).status().message(),
            "answers: no sysprep.inf, unattend.xml or nocloud/ seed; render them with "
            "fleetcast-server probe --answers-out");
}

}  // namespace
}  // namespace fleetcast
