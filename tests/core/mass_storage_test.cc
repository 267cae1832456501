#include "core/mass_storage.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

using Strings = std::vector<std::string>;

// Shaped like an LSI Logic Fusion-MPT SCSI miniport INF for XP/2003: models
// for Windows 2000 (undecorated) and NTx86, a SUBSYS-specific ID next to the
// generic one (written in lower case), one disk with a tag file.
constexpr std::string_view kLsiInf = R"inf(; symmpi.inf: test INF, written for fleetcast's tests
[Version]
Signature="$Windows NT$"
Class=SCSIAdapter
ClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}
Provider=%LSI%
DriverVer=08/04/2006,1.21.25.00

[DestinationDirs]
DefaultDestDir = 12 ; DIRID_DRIVERS

[SourceDisksNames.x86]
1 = %DiskDesc%,symmpi.tag,,

[SourceDisksFiles.x86]
symmpi.sys = 1

[Manufacturer]
%LSI% = LSI, NTx86

[LSI]   ; Windows 2000
%DevDesc1030% = symmpi_Inst, PCI\VEN_1000&DEV_0030

[LSI.NTx86]
%DevDesc1030% = symmpi_Inst, PCI\VEN_1000&DEV_0030
%DevDescDell% = symmpi_Inst, pci\ven_1000&dev_0030&subsys_10401000
%DevDesc1020% = symmpi_Inst, PCI\VEN_1000&DEV_0032

[symmpi_Inst]
CopyFiles = symmpi_CopyFiles

[symmpi_Inst.Services]
AddService = symmpi, 0x00000002, symmpi_Service_Inst, symmpi_EventLog_Inst

[symmpi_Service_Inst]
ServiceType    = %SERVICE_KERNEL_DRIVER%
StartType      = %SERVICE_BOOT_START%
ErrorControl   = %SERVICE_ERROR_NORMAL%
ServiceBinary  = %12%\symmpi.sys
LoadOrderGroup = SCSI Miniport
AddReg         = pnpsafe_pci_addreg

[symmpi_CopyFiles]
symmpi.sys,,,1

[Strings]
LSI = "LSI Logic"
DiskDesc = "LSI Logic Ultra320 Driver Disk"
DevDesc1030 = "LSI Logic PCI-X Ultra320 SCSI Host Adapter"
DevDescDell = "LSI Logic 1030 Ultra320 (OEM)"
DevDesc1020 = "LSI Logic PCI-X Ultra320 SCSI Host Adapter (1020/1030)"
SERVICE_KERNEL_DRIVER = 1
SERVICE_BOOT_START = 0
SERVICE_ERROR_NORMAL = 1
)inf";

// Shaped like an Intel Matrix Storage (iaStor) INF: Class=hdc, IDs with a
// class code, install sections decorated .ntx86, a filter service listed
// before the function driver, and the driver on the second of two disks.
constexpr std::string_view kIntelInf = R"inf([Version]
Signature="$WINDOWS NT$"
Class=hdc
ClassGuid={4D36E96A-E325-11CE-BFC1-08002BE10318}
Provider=%INTEL%

[SourceDisksNames]
1 = "Intel Storage Setup Disk",setup.tag,,
2 = %DiskId1%,iaStor.tag,,\Drivers

[SourceDisksFiles]
iaStor.sys = 2

[Manufacturer]
%INTEL% = INTEL_HDC, ntx86

[INTEL_HDC.ntx86]
%PCI\VEN_8086&DEV_2822&CC_0104.DeviceDesc% = iaStor_Inst_RAID, PCI\VEN_8086&DEV_2822&CC_0104
%PCI\VEN_8086&DEV_27C1&CC_0106.DeviceDesc% = iaStor_Inst_AHCI, PCI\VEN_8086&DEV_27C1&CC_0106, \
    PCI\VEN_8086&CC_0106

[iaStor_Inst_AHCI.ntx86]
CopyFiles = iaStor_CopyFiles

[iaStor_Inst_AHCI.ntx86.Services]
AddService = iaStorF, 0, iaStorF_Service_Inst
AddService = iaStor, %SPSVCINST_ASSOCSERVICE%, iaStor_Service_Inst

[iaStor_Inst_RAID.ntx86.Services]
AddService = iaStor, %SPSVCINST_ASSOCSERVICE%, iaStor_Service_Inst

[iaStorF_Service_Inst]
ServiceType = 1
StartType = 0
ServiceBinary = %12%\iaStorF.sys

[iaStor_Service_Inst]
ServiceType    = 1
StartType      = 0
ErrorControl   = 0x1
ServiceBinary  = %12%\iaStor.sys
LoadOrderGroup = SCSI Miniport

[Strings]
INTEL = "Intel"
DiskId1 = "Intel Matrix Storage Manager Driver"
PCI\VEN_8086&DEV_2822&CC_0104.DeviceDesc = "Intel(R) 82801GR/GH SATA RAID Controller"
PCI\VEN_8086&DEV_27C1&CC_0106.DeviceDesc = "Intel(R) 82801GR/GH SATA AHCI Controller"
SPSVCINST_ASSOCSERVICE = 0x00000002
)inf";

// An Adaptec aacraid-like INF matched by plain VEN&DEV, no decorations.
constexpr std::string_view kAdaptecInf = R"inf([Version]
Signature="$CHICAGO$"
Class=SCSIAdapter
ClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}
[SourceDisksNames]
1 = "Adaptec RAID Driver Disk", "aac.tag", , "\WinXP"
[Manufacturer]
Adaptec
[Adaptec]
"Adaptec 2120S" = aac_Inst, PCI\VEN_9005&DEV_0285
[aac_Inst.Services]
AddService = aac, 2, aac_Service
[aac_Service]
ServiceBinary = %12%\aac.sys
StartType = 0
)inf";

// A VIA RAID INF for hardware the test machine does not have.
constexpr std::string_view kViaInf = R"inf([Version]
ClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}
[SourceDisksNames]
1 = "VIA RAID Driver Disk", viamraid.tag
[Manufacturer]
%VIA% = VIA, NTx86
[VIA.NTx86]
%Desc% = viamraid_Inst, PCI\VEN_1106&DEV_3149
[Strings]
VIA = "VIA Technologies"
Desc = "VIA Serial ATA RAID Controller"
)inf";

std::vector<DriverModel> Models(std::string_view text, const std::string& path) {
  Result<InfFile> inf = ParseInf(text);
  EXPECT_TRUE(inf.ok()) << inf.status().ToString();
  if (!inf.ok()) return {};
  Result<std::vector<DriverModel>> models = ModelsOfInf(*inf, path);
  EXPECT_TRUE(models.ok()) << models.status().ToString();
  return models.ok() ? *models : std::vector<DriverModel>{};
}

std::vector<DriverModel> Catalog() {
  std::vector<DriverModel> all;
  for (const auto& [text, path] :
       std::vector<std::pair<std::string_view, std::string>>{{kViaInf, "via/viamraid.inf"},
                                                             {kLsiInf, "lsi/symmpi.inf"},
                                                             {kIntelInf, "intel/iaAHCI.inf"},
                                                             {kAdaptecInf, "adaptec/aac.inf"}}) {
    for (DriverModel& m : Models(text, path)) all.push_back(std::move(m));
  }
  return all;
}

std::vector<std::string> IdsOf(const std::vector<DriverModel>& models) {
  std::vector<std::string> ids;
  ids.reserve(models.size());
  for (const DriverModel& m : models) ids.push_back(m.hardware_id);
  return ids;
}

PciDevice Device(uint16_t vendor, uint16_t device, uint16_t subsys_vendor, uint16_t subsys_device,
                 uint32_t class_code, uint8_t revision, std::string slot) {
  return {vendor, device, subsys_vendor, subsys_device, class_code, revision, std::move(slot)};
}

// The test machine: ICH7 AHCI, a dual-channel LSI 53C1030 on a Dell-style
// subsystem, an Adaptec 2120S, and a graphics card no storage INF matches.
std::vector<PciDevice> Machine() {
  return {Device(0x8086, 0x2772, 0x8086, 0xD606, 0x030000, 0x02, "0000:00:02.0"),
          Device(0x8086, 0x27C1, 0x8086, 0xD606, 0x010601, 0x01, "0000:00:1f.2"),
          Device(0x1000, 0x0030, 0x1000, 0x1040, 0x010000, 0x08, "0000:02:04.0"),
          Device(0x1000, 0x0030, 0x1000, 0x1040, 0x010000, 0x08, "0000:02:04.1"),
          Device(0x9005, 0x0285, 0x9005, 0x0290, 0x010400, 0x01, "0000:03:00.0")};
}

TEST(MassStorage, HardwareIdsAsWindowsBuildsThem) {
  EXPECT_EQ(HardwareIdsOf(Device(0x8086, 0x27c1, 0x1028, 0x01ad, 0x010601, 0x1, "")),
            (Strings{"PCI\\VEN_8086&DEV_27C1&SUBSYS_01AD1028&REV_01",
                     "PCI\\VEN_8086&DEV_27C1&SUBSYS_01AD1028", "PCI\\VEN_8086&DEV_27C1&REV_01",
                     "PCI\\VEN_8086&DEV_27C1", "PCI\\VEN_8086&DEV_27C1&CC_010601",
                     "PCI\\VEN_8086&DEV_27C1&CC_0106", "PCI\\VEN_8086&CC_010601",
                     "PCI\\VEN_8086&CC_0106", "PCI\\VEN_8086", "PCI\\CC_010601", "PCI\\CC_0106"}));
}

TEST(MassStorage, ModelsOfAnLsiInf) {
  const std::vector<DriverModel> models = Models(kLsiInf, "lsi/symmpi.inf");
  // The NTx86 section first, then the Windows 2000 one.
  EXPECT_EQ(IdsOf(models),
            (Strings{"PCI\\VEN_1000&DEV_0030", "pci\\ven_1000&dev_0030&subsys_10401000",
                     "PCI\\VEN_1000&DEV_0032", "PCI\\VEN_1000&DEV_0030"}));
  DriverModel want;
  want.hardware_id = "pci\\ven_1000&dev_0030&subsys_10401000";
  want.description = "LSI Logic 1030 Ultra320 (OEM)";
  want.inf_path = "lsi/symmpi.inf";
  want.install_section = "symmpi_Inst";
  want.class_guid = "{4D36E97B-E325-11CE-BFC1-08002BE10318}";
  want.service_name = "symmpi";
  want.service_binary = "%12%\\symmpi.sys";
  want.load_order_group = "SCSI Miniport";
  want.service_type = 1;
  want.start_type = 0;
  want.error_control = 1;
  want.disk_description = "LSI Logic Ultra320 Driver Disk";
  want.disk_tag = "\\symmpi.tag";
  want.disk_dir = "\\";
  ASSERT_EQ(models.size(), 4u);
  EXPECT_EQ(models[1], want);
}

TEST(MassStorage, ModelsOfAnIntelInf) {
  const std::vector<DriverModel> models = Models(kIntelInf, "intel/iaAHCI.inf");
  ASSERT_EQ(IdsOf(models), (Strings{"PCI\\VEN_8086&DEV_2822&CC_0104",
                                    "PCI\\VEN_8086&DEV_27C1&CC_0106", "PCI\\VEN_8086&CC_0106"}));
  EXPECT_FALSE(models[1].compatible);
  EXPECT_TRUE(models[2].compatible);
  const DriverModel& ahci = models[1];
  EXPECT_EQ(ahci.description, "Intel(R) 82801GR/GH SATA AHCI Controller");
  EXPECT_EQ(ahci.install_section, "iaStor_Inst_AHCI");
  EXPECT_EQ(ahci.class_guid, "{4D36E96A-E325-11CE-BFC1-08002BE10318}");
  // The function driver, not the filter listed first.
  EXPECT_EQ(ahci.service_name, "iaStor");
  EXPECT_EQ(ahci.service_binary, "%12%\\iaStor.sys");
  EXPECT_EQ(ahci.error_control, 1);
  // iaStor.sys is on disk 2.
  EXPECT_EQ(ahci.disk_description, "Intel Matrix Storage Manager Driver");
  EXPECT_EQ(ahci.disk_tag, "\\iaStor.tag");
  EXPECT_EQ(ahci.disk_dir, "\\Drivers");
  EXPECT_EQ(models[0].service_name, "iaStor");
}

TEST(MassStorage, ModelsOfABareManufacturerLine) {
  const std::vector<DriverModel> models = Models(kAdaptecInf, "adaptec/aac.inf");
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].hardware_id, "PCI\\VEN_9005&DEV_0285");
  EXPECT_EQ(models[0].description, "Adaptec 2120S");
  EXPECT_EQ(models[0].service_name, "aac");
  EXPECT_EQ(models[0].service_type, -1);
  EXPECT_EQ(models[0].disk_dir, "\\WinXP");
  EXPECT_EQ(models[0].disk_tag, "\\aac.tag");
}

TEST(MassStorage, InfWithoutManufacturerHasNoModels) {
  EXPECT_TRUE(Models("[Version]\nClass=SCSIAdapter\n[Strings]\nA=b\n", "x/txtsetup.inf").empty());
}

TEST(MassStorage, ModelsOfInfErrors) {
  Result<InfFile> no_install =
      ParseInf("[Manufacturer]\nM=Models\n[Models]\n\"Dev\" = , PCI\\VEN_1\n");
  ASSERT_TRUE(no_install.ok());
  EXPECT_EQ(ModelsOfInf(*no_install, "a/bad.inf").status().message(),
            "a/bad.inf:4: models line 'Dev' names no install section; fix the INF or leave it out");
  Result<InfFile> bad_start = ParseInf(
      "[Manufacturer]\nM=Models\n[Models]\nDev = inst, PCI\\VEN_1\n[inst.Services]\n"
      "AddService = svc, 2, svc_inst\n[svc_inst]\nStartType = boot\n");
  ASSERT_TRUE(bad_start.ok());
  EXPECT_EQ(ModelsOfInf(*bad_start, "b.inf").status().message(),
            "b.inf:8: StartType 'boot' is not a number; fix the INF or leave the driver out");
}

TEST(MassStorage, MatchesOnlyDriversForDevicesPresent) {
  const std::vector<MassStorageEntry> entries =
      MatchMassStorage(Catalog(), Machine(), "C:\\Sysprep\\Drivers");
  // Intel by class code, LSI by SUBSYS (once for both functions), Adaptec by
  // VEN&DEV; nothing for the graphics card or the VIA INF.
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].hardware_id, "PCI\\VEN_8086&DEV_27C1&CC_0106");
  EXPECT_EQ(entries[0].inf_path, "C:\\Sysprep\\Drivers\\intel\\iaAHCI.inf");
  EXPECT_EQ(entries[1].hardware_id, "pci\\ven_1000&dev_0030&subsys_10401000");
  EXPECT_EQ(entries[1].inf_path, "C:\\Sysprep\\Drivers\\lsi\\symmpi.inf");
  EXPECT_EQ(entries[1].disk_tag, "\\symmpi.tag");
  EXPECT_EQ(entries[1].model.service_name, "symmpi");
  EXPECT_EQ(entries[2].hardware_id, "PCI\\VEN_9005&DEV_0285");
  EXPECT_EQ(entries[2].disk_dir, "\\WinXP");
  EXPECT_EQ(entries[2].disk_description, "Adaptec RAID Driver Disk");
}

TEST(MassStorage, RankPrefersTheDevicesMostSpecificId) {
  // A different subsystem: only the generic LSI ID fits.
  std::vector<MassStorageEntry> entries = MatchMassStorage(
      Catalog(), {Device(0x1000, 0x0030, 0x1014, 0x0296, 0x010000, 0x07, "0000:05:00.0")},
      "C:\\Sysprep\\Drivers\\");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].hardware_id, "PCI\\VEN_1000&DEV_0030");
  EXPECT_EQ(entries[0].inf_path, "C:\\Sysprep\\Drivers\\lsi\\symmpi.inf");
  // A hardware-ID match beats an earlier model matching only a compatible ID.
  DriverModel generic;
  generic.hardware_id = "PCI\\CC_0106";
  generic.inf_path = "msahci/msahci.inf";
  DriverModel specific;
  specific.hardware_id = "pci\\ven_8086&dev_27c1&subsys_d6068086";
  specific.inf_path = "intel/iaAHCI.inf";
  entries = MatchMassStorage({generic, specific}, {Machine()[1]}, "C:\\D");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].inf_path, "C:\\D\\intel\\iaAHCI.inf");
  // An INF hardware ID beats an INF compatible ID for the same device ID.
  DriverModel compat = specific;
  compat.compatible = true;
  compat.inf_path = "first.inf";
  entries = MatchMassStorage({compat, specific}, {Machine()[1]}, "C:\\D");
  EXPECT_EQ(entries[0].inf_path, "C:\\D\\intel\\iaAHCI.inf");
}

std::vector<MassStorageEntry> Entries() {
  return MatchMassStorage(Catalog(), Machine(), "C:\\Sysprep\\Drivers");
}

constexpr std::string_view kSection =
    "[SysprepMassStorage]\r\n"
    "PCI\\VEN_8086&DEV_27C1&CC_0106 = \"C:\\Sysprep\\Drivers\\intel\\iaAHCI.inf\", \"\\Drivers\", "
    "\"Intel Matrix Storage Manager Driver\", \"\\iaStor.tag\"\r\n"
    "pci\\ven_1000&dev_0030&subsys_10401000 = \"C:\\Sysprep\\Drivers\\lsi\\symmpi.inf\", \"\\\", "
    "\"LSI Logic Ultra320 Driver Disk\", \"\\symmpi.tag\"\r\n"
    "PCI\\VEN_9005&DEV_0285 = \"C:\\Sysprep\\Drivers\\adaptec\\aac.inf\", \"\\WinXP\", "
    "\"Adaptec RAID Driver Disk\", \"\\aac.tag\"\r\n";

TEST(MassStorage, RendersTheSection) {
  EXPECT_EQ(RenderMassStorageSection(Entries()), kSection);
  EXPECT_EQ(RenderMassStorageSection({}), "[SysprepMassStorage]\r\n");
  MassStorageEntry bare;
  bare.hardware_id = "PCI\\VEN_1000&DEV_0030";
  bare.inf_path = "C:\\Drivers\\say \"hi\".inf";
  bare.disk_dir = "\\";
  EXPECT_EQ(
      RenderMassStorageSection({bare}),
      "[SysprepMassStorage]\r\nPCI\\VEN_1000&DEV_0030 = \"C:\\Drivers\\say \"\"hi\"\".inf\"\r\n");
}

TEST(MassStorage, AppendsTheSection) {
  EXPECT_EQ(AppendMassStorage("[Unattended]\r\nOemSkipEula=Yes\r\n", Entries()),
            "[Unattended]\r\nOemSkipEula=Yes\r\n" + std::string(kSection));
  EXPECT_EQ(AppendMassStorage("[Unattended]\r\nOemSkipEula=Yes", Entries()),
            "[Unattended]\r\nOemSkipEula=Yes\r\n" + std::string(kSection));
  EXPECT_EQ(AppendMassStorage("", Entries()), kSection);
}

TEST(MassStorage, ReplacesAnExistingSection) {
  const std::string before =
      "[Sysprep]\r\nBuildMassStorageSection = No\r\n\r\n"
      "[sysprepMASSstorage] ; from the master\r\n"
      "PCI\\VEN_1106&DEV_3149 = \"C:\\old\\viamraid.inf\"\r\n"
      "\r\n"
      "[UserData]\r\nFullName = \"Lab\"\r\n";
  EXPECT_EQ(AppendMassStorage(before, Entries()),
            "[Sysprep]\r\nBuildMassStorageSection = No\r\n\r\n" + std::string(kSection) +
                "\r\n[UserData]\r\nFullName = \"Lab\"\r\n");
  // A second section of the same name (merged by Windows) goes too.
  EXPECT_EQ(AppendMassStorage("[SysprepMassStorage]\nA=1\n[X]\n[SYSPREPMASSSTORAGE]\nB=2\n", {}),
            "[SysprepMassStorage]\r\n[X]\n");
}

}  // namespace
}  // namespace fleetcast
