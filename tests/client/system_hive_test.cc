#include "platform/system_hive.h"

#include <gtest/gtest.h>
#include <hivex.h>

#include "tests/client/hive_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

constexpr char kCdd[] = "ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_1000&dev_0030";
constexpr char kScsiClass[] = "{4D36E97B-E325-11CE-BFC1-08002BE10318}";

SystemHive::CriticalDevice Symmpi() {
  SystemHive::CriticalDevice d;
  d.hardware_id = "PCI\\VEN_1000&DEV_0030";
  d.class_guid = kScsiClass;
  d.service = "symmpi";
  d.image_path = "system32\\DRIVERS\\symmpi.sys";
  d.group = "SCSI miniport";
  return d;
}

// A value as stored: registry type and data bytes; type -1 when absent.
struct StoredValue {
  int type = -1;
  Bytes data;
  bool operator==(const StoredValue&) const = default;
};

Bytes Utf16z(const std::u16string& s) {
  Bytes out;
  for (char16_t c : s) PutFixed16(&out, c);
  PutFixed16(&out, 0);
  return out;
}

Bytes Dword(uint32_t v) {
  Bytes out;
  PutFixed32(&out, v);
  return out;
}

class SystemHiveTest : public ::testing::Test {
 protected:
  std::string MakeHive(const testing::SystemHiveSpec& spec = {}) {
    testing::WriteSystemHive(hive_path_, spec);
    return hive_path_;
  }

  std::unique_ptr<SystemHive> OpenHive(bool writable = true) {
    Result<std::unique_ptr<SystemHive>> hive = SystemHive::Open(hive_path_, writable);
    EXPECT_TRUE(hive.ok()) << hive.status().ToString();
    return hive.ok() ? std::move(hive).value() : nullptr;
  }

  // Reads a value straight through hivex, not through the code under test.
  StoredValue Stored(const std::string& key_path, const std::string& name) {
    hive_h* h = hivex_open(hive_path_.c_str(), 0);
    EXPECT_NE(h, nullptr);
    if (h == nullptr) return {};
    StoredValue out;
    hive_node_h node = hivex_root(h);
    for (size_t start = 0; node != 0 && start <= key_path.size();) {
      const size_t end = std::min(key_path.find('\\', start), key_path.size());
      node = hivex_node_get_child(h, node, key_path.substr(start, end - start).c_str());
      start = end + 1;
    }
    const hive_value_h v = node == 0 ? 0 : hivex_node_get_value(h, node, name.c_str());
    if (v != 0) {
      hive_type t{};
      size_t len = 0;
      char* data = hivex_value_value(h, v, &t, &len);
      out = {static_cast<int>(t), Bytes(data, data + len)};
      free(data);
    }
    hivex_close(h);
    return out;
  }

  // What the real tool prints for one value.
  std::string HivexGet(const std::string& key_path, const std::string& name) {
    testing::ProgramResult r = testing::RunProgram({"hivexget", hive_path_, key_path, name}, 30);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  testing::TempDir dir_;
  std::string hive_path_ = dir_ / "SYSTEM";
};

TEST(HiveBuilder, BlankHiveHasTheRegfLayout) {
  const Bytes hive = testing::BlankHive();
  ASSERT_EQ(hive.size(), 8192u);
  EXPECT_EQ(std::string(hive.begin(), hive.begin() + 4), "regf");
  EXPECT_EQ(DecodeFixed32(&hive[4]), DecodeFixed32(&hive[8]));  // sequence numbers
  EXPECT_EQ(DecodeFixed32(&hive[36]), 0x20u);                   // root cell
  EXPECT_EQ(DecodeFixed32(&hive[40]), 0x1000u);                 // hive bins size
  uint32_t sum = 0;
  for (size_t i = 0; i < 0x1fc; i += 4) sum ^= DecodeFixed32(&hive[i]);
  EXPECT_EQ(DecodeFixed32(&hive[0x1fc]), sum);
  EXPECT_EQ(std::string(hive.begin() + 4096, hive.begin() + 4100), "hbin");
  EXPECT_EQ(std::string(hive.begin() + 4096 + 0x24, hive.begin() + 4096 + 0x26), "nk");
}

TEST_F(SystemHiveTest, BlankHiveOpensWithHivex) {
  testing::WriteFileBytes(hive_path_, testing::BlankHive());
  hive_h* h = hivex_open(hive_path_.c_str(), HIVEX_OPEN_WRITE);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(hivex_node_nr_children(h, hivex_root(h)), 0u);
  char* name = hivex_node_name(h, hivex_root(h));
  EXPECT_STREQ(name, "$$$PROTO.HIV");
  free(name);
  EXPECT_NE(hivex_node_add_child(h, hivex_root(h), "Select"), 0u);
  hivex_close(h);
}

TEST_F(SystemHiveTest, BlankHiveIsNotASystemHive) {
  Result<std::unique_ptr<SystemHive>> hive = SystemHive::OpenBytes(testing::BlankHive(), false);
  ASSERT_TRUE(hive.ok()) << hive.status().ToString();
  EXPECT_EQ((*hive)->CurrentControlSet().status().message(),
            "SYSTEM hive: not a SYSTEM hive (no key Select); "
            "give the SYSTEM file from Windows\\System32\\config");
  Result<std::optional<std::string>> tag = (*hive)->CloneTag();
  ASSERT_TRUE(tag.ok());
  EXPECT_FALSE(tag->has_value());
}

TEST_F(SystemHiveTest, CloneTagAbsent) {
  MakeHive();
  Result<std::optional<std::string>> tag = OpenHive(false)->CloneTag();
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_FALSE(tag->has_value());
}

TEST_F(SystemHiveTest, CloneTagPresentAsMultiString) {
  MakeHive({.clone_tag = "Mon Mar 04 10:20:30 2024"});
  Result<std::optional<std::string>> tag = OpenHive(false)->CloneTag();
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->value_or("(none)"), "Mon Mar 04 10:20:30 2024");
}

TEST_F(SystemHiveTest, CloneTagPresentAsString) {
  testing::HiveBuilder(hive_path_).SetString("Setup", "CloneTag", "Tue Apr 02 2024").Commit();
  Result<std::optional<std::string>> tag = OpenHive(false)->CloneTag();
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->value_or("(none)"), "Tue Apr 02 2024");
}

TEST_F(SystemHiveTest, CloneTagDecodesUtf16) {
  Bytes tag = Utf16z(u"Klon \u00e4 \u20ac \U0001D11E");
  tag.resize(tag.size() + 6, 'j');  // junk after the NUL, as Windows sometimes leaves
  testing::HiveBuilder(hive_path_).SetValue("Setup", "CloneTag", hive_t_REG_SZ, tag).Commit();
  Result<std::optional<std::string>> text = OpenHive(false)->CloneTag();
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->value_or("(none)"), "Klon \xc3\xa4 \xe2\x82\xac \xf0\x9d\x84\x9e");
}

TEST_F(SystemHiveTest, CloneTagJoinsMultipleStrings) {
  testing::HiveBuilder(hive_path_).SetMultiString("Setup", "CloneTag", {"one", "two"}).Commit();
  Result<std::optional<std::string>> text = OpenHive(false)->CloneTag();
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->value_or("(none)"), "one\ntwo");
}

TEST_F(SystemHiveTest, CloneTagOfAnotherTypeIsAnError) {
  testing::HiveBuilder(hive_path_).SetDword("Setup", "CloneTag", 7).Commit();
  EXPECT_EQ(OpenHive(false)->CloneTag().status().message(),
            hive_path_ + ": Setup\\CloneTag has registry type 4, not a string; " +
                "give the SYSTEM file from Windows\\System32\\config");
}

TEST_F(SystemHiveTest, CurrentControlSetComesFromSelect) {
  MakeHive({.current_control_set = 1});
  EXPECT_EQ(OpenHive(false)->CurrentControlSet().value(), 1);
  MakeHive({.current_control_set = 2});
  EXPECT_EQ(OpenHive(false)->CurrentControlSet().value(), 2);
}

TEST_F(SystemHiveTest, CurrentControlSetMissingValueIsNotASystemHive) {
  testing::HiveBuilder(hive_path_).SetDword("Select", "Default", 1).Commit();
  EXPECT_EQ(OpenHive(false)->CurrentControlSet().status().message(),
            hive_path_ + ": not a SYSTEM hive (no value Select\\Current); " +
                "give the SYSTEM file from Windows\\System32\\config");
}

TEST_F(SystemHiveTest, RegisterCreatesBothKeysWithWindowsTypes) {
  MakeHive();
  std::unique_ptr<SystemHive> hive = OpenHive();
  ASSERT_TRUE(hive->RegisterCriticalDevice(Symmpi()).ok());
  ASSERT_TRUE(hive->Commit(hive_path_).ok());
  const std::string svc = "ControlSet001\\Services\\symmpi";
  EXPECT_EQ(Stored(kCdd, "ClassGUID"), (StoredValue{hive_t_REG_SZ, Utf16z(u"{4D36E97B-E325-11CE-"
                                                                          u"BFC1-08002BE10318}")}));
  EXPECT_EQ(Stored(kCdd, "Service"), (StoredValue{hive_t_REG_SZ, Utf16z(u"symmpi")}));
  EXPECT_EQ(Stored(svc, "Type"), (StoredValue{hive_t_REG_DWORD, Dword(1)}));
  EXPECT_EQ(Stored(svc, "Start"), (StoredValue{hive_t_REG_DWORD, Dword(0)}));
  EXPECT_EQ(Stored(svc, "ErrorControl"), (StoredValue{hive_t_REG_DWORD, Dword(1)}));
  EXPECT_EQ(Stored(svc, "Group"), (StoredValue{hive_t_REG_SZ, Utf16z(u"SCSI miniport")}));
  EXPECT_EQ(Stored(svc, "ImagePath"),
            (StoredValue{hive_t_REG_EXPAND_SZ, Utf16z(u"system32\\DRIVERS\\symmpi.sys")}));
}

TEST_F(SystemHiveTest, RegisterUsesTheCurrentControlSet) {
  MakeHive({.current_control_set = 2});
  std::unique_ptr<SystemHive> hive = OpenHive();
  ASSERT_TRUE(hive->RegisterCriticalDevice(Symmpi()).ok());
  ASSERT_TRUE(hive->Commit(hive_path_).ok());
  EXPECT_EQ(Stored("ControlSet002\\Services\\symmpi", "Start").data, Dword(0));
  EXPECT_EQ(
      Stored("ControlSet002\\Control\\CriticalDeviceDatabase\\pci#ven_1000&dev_0030", "Service")
          .data,
      Utf16z(u"symmpi"));
  EXPECT_EQ(Stored("ControlSet001\\Services\\symmpi", "Start").type, -1);
}

TEST_F(SystemHiveTest, RegisterKeepsAnExistingServicesOtherValues) {
  const std::string svc = "ControlSet001\\Services\\symmpi";
  testing::HiveBuilder b(hive_path_);
  testing::AddSystemKeys(&b, {});
  b.SetDword(svc, "Start", 3).SetDword(svc, "Tag", 33).SetString(svc, "DisplayName", "LSI Logic");
  b.Commit();
  std::unique_ptr<SystemHive> hive = OpenHive();
  ASSERT_TRUE(hive->RegisterCriticalDevice(Symmpi()).ok());
  ASSERT_TRUE(hive->Commit(hive_path_).ok());
  EXPECT_EQ(Stored(svc, "Start"), (StoredValue{hive_t_REG_DWORD, Dword(0)}));
  EXPECT_EQ(Stored(svc, "Tag"), (StoredValue{hive_t_REG_DWORD, Dword(33)}));
  EXPECT_EQ(Stored(svc, "DisplayName"), (StoredValue{hive_t_REG_SZ, Utf16z(u"LSI Logic")}));
  EXPECT_EQ(Stored(svc, "ImagePath").type, hive_t_REG_EXPAND_SZ);
}

TEST_F(SystemHiveTest, RegisterTwiceChangesNothing) {
  MakeHive();
  std::unique_ptr<SystemHive> hive = OpenHive();
  ASSERT_TRUE(hive->RegisterCriticalDevice(Symmpi()).ok());
  Result<Bytes> once = hive->CommitToBytes();
  ASSERT_TRUE(hive->RegisterCriticalDevice(Symmpi()).ok());
  Result<Bytes> twice = hive->CommitToBytes();
  ASSERT_TRUE(once.ok() && twice.ok());
  // Only the base block's sequence numbers and checksum move with a commit.
  EXPECT_EQ(Bytes(once->begin() + 4096, once->end()), Bytes(twice->begin() + 4096, twice->end()));
}

TEST_F(SystemHiveTest, CommittedHiveReadsBackWithHivexget) {
  MakeHive();
  std::unique_ptr<SystemHive> hive = OpenHive();
  ASSERT_TRUE(hive->RegisterCriticalDevice(Symmpi()).ok());
  ASSERT_TRUE(hive->Commit(hive_path_).ok());
  EXPECT_EQ(HivexGet(kCdd, "Service"), "symmpi\n");
  EXPECT_EQ(HivexGet(kCdd, "ClassGUID"), std::string(kScsiClass) + "\n");
  EXPECT_EQ(HivexGet("ControlSet001\\Services\\symmpi", "ImagePath"),
            "system32\\DRIVERS\\symmpi.sys\n");
  EXPECT_EQ(HivexGet("ControlSet001\\Services\\symmpi", "Start"), "0\n");
}

TEST_F(SystemHiveTest, NonAsciiTextIsWrittenAsUtf16) {
  MakeHive();
  SystemHive::CriticalDevice d = Symmpi();
  d.group = "Gruppe \xc3\xa4 \xe2\x82\xac \xf0\x9d\x84\x9e";  // a, euro sign, G clef (surrogates)
  std::unique_ptr<SystemHive> hive = OpenHive();
  ASSERT_TRUE(hive->RegisterCriticalDevice(d).ok());
  ASSERT_TRUE(hive->Commit(hive_path_).ok());
  EXPECT_EQ(Stored("ControlSet001\\Services\\symmpi", "Group").data,
            Utf16z(u"Gruppe \u00e4 \u20ac \U0001D11E"));
  EXPECT_EQ(HivexGet("ControlSet001\\Services\\symmpi", "Group"), d.group + "\n");
}

TEST_F(SystemHiveTest, BytesRoundTrip) {
  MakeHive();
  Result<std::unique_ptr<SystemHive>> hive =
      SystemHive::OpenBytes(testing::ReadFileBytes(hive_path_), true);
  ASSERT_TRUE(hive.ok()) << hive.status().ToString();
  ASSERT_TRUE((*hive)->RegisterCriticalDevice(Symmpi()).ok());
  Result<Bytes> bytes = (*hive)->CommitToBytes();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  testing::WriteFileBytes(hive_path_, *bytes);
  EXPECT_EQ(HivexGet(kCdd, "Service"), "symmpi\n");
}

TEST_F(SystemHiveTest, NotAHiveIsNamedInTheError) {
  testing::WriteFileBytes(hive_path_, Bytes(9000, 'x'));
  Result<std::unique_ptr<SystemHive>> hive = SystemHive::Open(hive_path_, false);
  ASSERT_FALSE(hive.ok());
  EXPECT_EQ(hive.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(hive.status().message(), hive_path_ +
                                         ": not a Windows registry hive, or a damaged one; " +
                                         "give the SYSTEM file from Windows\\System32\\config");
}

TEST_F(SystemHiveTest, DamagedChecksumIsAnError) {
  Bytes blank = testing::BlankHive();
  blank[0x40] ^= 1;
  testing::WriteFileBytes(hive_path_, blank);
  EXPECT_EQ(SystemHive::Open(hive_path_, false).status().code(), Status::Code::kCorruption);
}

TEST_F(SystemHiveTest, MissingFileIsNotFound) {
  Result<std::unique_ptr<SystemHive>> hive = SystemHive::Open(dir_ / "nope", false);
  EXPECT_EQ(hive.status().code(), Status::Code::kNotFound);
}

TEST_F(SystemHiveTest, ReadOnlyHiveRefusesChanges) {
  MakeHive();
  std::unique_ptr<SystemHive> hive = OpenHive(false);
  EXPECT_EQ(hive->RegisterCriticalDevice(Symmpi()).message(),
            hive_path_ + ": opened read-only; open it writable to change it");
  EXPECT_EQ(hive->Commit(dir_ / "out").message(),
            hive_path_ + ": opened read-only; open it writable to commit it");
  EXPECT_FALSE(testing::FileExists(dir_ / "out"));
}

TEST_F(SystemHiveTest, IncompleteDeviceIsRejected) {
  MakeHive();
  SystemHive::CriticalDevice d = Symmpi();
  d.service.clear();
  EXPECT_EQ(OpenHive()->RegisterCriticalDevice(d).message(),
            "critical device PCI\\VEN_1000&DEV_0030: no service name; "
            "take it from the driver's INF");
}

TEST_F(SystemHiveTest, CurrentControlSetThatIsMissingIsAnError) {
  testing::HiveBuilder(hive_path_).SetDword("Select", "Current", 3).Key("ControlSet001").Commit();
  EXPECT_EQ(OpenHive()->RegisterCriticalDevice(Symmpi()).message(),
            hive_path_ + ": Select\\Current names ControlSet003, which the hive does not have; " +
                "give the SYSTEM file from Windows\\System32\\config");
}

TEST(SystemHiveKey, HardwareIdBecomesTheDatabaseKey) {
  EXPECT_EQ(SystemHive::CriticalDeviceKey("PCI\\VEN_1000&DEV_0030"), "pci#ven_1000&dev_0030");
  EXPECT_EQ(SystemHive::CriticalDeviceKey("PCI\\VEN_8086&DEV_2922&CC_0106"),
            "pci#ven_8086&dev_2922&cc_0106");
}

}  // namespace
}  // namespace fleetcast
