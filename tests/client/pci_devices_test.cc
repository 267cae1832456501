#include "client/pci_devices.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::TempDir;

// A sysfs tree as the kernel lays it out: each attribute a "0x...\n" file.
class PciDevicesTest : public ::testing::Test {
 protected:
  void AddDevice(const std::string& slot, const std::vector<std::string>& values) {
    const std::string folder = dir_ / ("bus/pci/devices/" + slot);
    std::filesystem::create_directories(folder);
    const char* names[] = {"vendor",           "device", "subsystem_vendor",
                           "subsystem_device", "class",  "revision"};
    for (size_t i = 0; i < values.size(); ++i) WriteText(folder + "/" + names[i], values[i]);
  }
  static void WriteText(const std::string& path, const std::string& text) {
    testing::WriteFileBytes(path,
                            ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }

  TempDir dir_;
};

TEST_F(PciDevicesTest, ReadsDevicesSortedBySlot) {
  AddDevice("0000:02:04.0",
            {"0x1000\n", "0x0030\n", "0x1000\n", "0x1040\n", "0x010000\n", "0x08\n"});
  AddDevice("0000:00:1f.2",
            {"0x8086\n", "0x27c1\n", "0x8086\n", "0xd606\n", "0x010601\n", "0x01\n"});
  AddDevice("0000:00:02.0",
            {"0x8086\n", "0x2772\n", "0x8086\n", "0xd606\n", "0x030000\n", "0x02\n"});
  Result<std::vector<PciDevice>> devices = ReadPciDevices(dir_.path());
  ASSERT_TRUE(devices.ok()) << devices.status().ToString();
  ASSERT_EQ(devices->size(), 3u);
  EXPECT_EQ((*devices)[0].slot, "0000:00:02.0");
  EXPECT_EQ((*devices)[1].slot, "0000:00:1f.2");
  EXPECT_EQ((*devices)[2].slot, "0000:02:04.0");
  const PciDevice& ahci = (*devices)[1];
  EXPECT_EQ(ahci.vendor, 0x8086);
  EXPECT_EQ(ahci.device, 0x27C1);
  EXPECT_EQ(ahci.subsys_vendor, 0x8086);
  EXPECT_EQ(ahci.subsys_device, 0xD606);
  EXPECT_EQ(ahci.class_code, 0x010601u);
  EXPECT_EQ(ahci.revision, 0x01);
  EXPECT_EQ(HardwareIdsOf((*devices)[2])[0], "PCI\\VEN_1000&DEV_0030&SUBSYS_10401000&REV_08");
}

TEST_F(PciDevicesTest, MissingRootIsAClearError) {
  EXPECT_EQ(ReadPciDevices(dir_ / "nosys").status().message(),
            dir_ / "nosys/bus/pci/devices" +
                ": no such folder; pass the sysfs root (normally /sys) and check that sysfs is "
                "mounted");
}

TEST_F(PciDevicesTest, EmptyBusHasNoDevices) {
  std::filesystem::create_directories(dir_ / "bus/pci/devices");
  Result<std::vector<PciDevice>> devices = ReadPciDevices(dir_.path());
  ASSERT_TRUE(devices.ok());
  EXPECT_TRUE(devices->empty());
}

TEST_F(PciDevicesTest, BadFileIsNamed) {
  AddDevice("0000:00:1f.2", {"0x8086\n", "0x27c1\n", "0x8086\n", "0xd606\n", "0x010601\n"});
  EXPECT_EQ(ReadPciDevices(dir_.path()).status().message(),
            dir_ / "bus/pci/devices/0000:00:1f.2/revision" +
                ": No such file or directory; check the path");
  WriteText(dir_ / "bus/pci/devices/0000:00:1f.2/revision", "0x100\n");
  EXPECT_EQ(ReadPciDevices(dir_.path()).status().message(),
            dir_ / "bus/pci/devices/0000:00:1f.2/revision" +
                ": '0x100' is not a hex number up to 0xFF; check that this is a sysfs tree");
  WriteText(dir_ / "bus/pci/devices/0000:00:1f.2/revision", "0x01\n");
  WriteText(dir_ / "bus/pci/devices/0000:00:1f.2/vendor", "8086\n");
  EXPECT_EQ(ReadPciDevices(dir_.path()).status().message(),
            dir_ / "bus/pci/devices/0000:00:1f.2/vendor" +
                ": '8086' is not a hex number up to 0xFFFF; check that this is a sysfs tree");
}

}  // namespace
}  // namespace fleetcast
