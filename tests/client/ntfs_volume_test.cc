#include "platform/ntfs_volume.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "core/partition_table.h"
#include "platform/file.h"
#include "tests/client/disk_builder.h"

namespace fleetcast {
namespace {

using testing::kNtfsOffset;
using testing::kNtfsSize;

ByteView View(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string Text(const Bytes& b) { return {b.begin(), b.end()}; }

// A disk with an NTFS partition, and verbs to change it through NtfsVolume
// and to look at it with ntfs-3g's own tools.
class NtfsVolumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = testing::BuildDisk(dir_, testing::TableKind::kMbr);
    ASSERT_FALSE(disk_.empty());
  }

  std::unique_ptr<NtfsVolume> Open(bool writable = true) {
    Result<std::unique_ptr<NtfsVolume>> v =
        NtfsVolume::Open(disk_, kNtfsOffset, kNtfsSize, writable);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : nullptr;
  }
  void Write(const std::string& path, const std::string& content) {
    std::unique_ptr<NtfsVolume> v = Open();
    ASSERT_NE(v, nullptr);
    ASSERT_TRUE(v->WriteFile(path, View(content)).ok());
    ASSERT_TRUE(v->Close().ok());
  }
  std::string OpenError(bool writable = true) {
    Result<std::unique_ptr<NtfsVolume>> v =
        NtfsVolume::Open(disk_, kNtfsOffset, kNtfsSize, writable);
    return v.ok() ? "OK" : v.status().message();
  }
  // The partition as a file of its own, which ntfs-3g's tools need.
  std::string PartitionFile() {
    std::string part = dir_ / "ntfs.part";
    std::filesystem::remove(part);
    EXPECT_TRUE(testing::ExtractPartition(disk_, kNtfsOffset, kNtfsSize, part));
    return part;
  }
  std::string Cat(const std::string& path) {
    return testing::RunTool({"ntfscat", PartitionFile(), path}).out;
  }
  // The names in a folder, one a line, without "." and "..".
  std::string List(const std::string& folder) {
    std::istringstream lines(testing::RunTool({"ntfsls", "-p", folder, PartitionFile()}).out);
    std::string out;
    for (std::string line; std::getline(lines, line);) {
      if (line != "." && line != "..") out += line + "\n";
    }
    return out;
  }
  void ExpectConsistent() { testing::RunTool({"ntfsfix", "-n", PartitionFile()}); }

  testing::TempDir dir_;
  std::string disk_;
};

TEST_F(NtfsVolumeTest, PartitionTableOfBuiltDisks) {
  for (testing::TableKind kind : {testing::TableKind::kMbr, testing::TableKind::kGpt}) {
    testing::TempDir dir;
    const std::string disk = testing::BuildDisk(dir, kind);
    Result<File> file = File::OpenRead(disk);
    ASSERT_TRUE(file.ok());
    auto read = [&](uint64_t offset, std::span<uint8_t> out) { return file->ReadAt(offset, out); };
    Result<std::vector<Partition>> parts = ReadPartitionTable(read, file->size());
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    ASSERT_EQ(parts->size(), 2U);
    const bool mbr = kind == testing::TableKind::kMbr;
    EXPECT_EQ((*parts)[0].offset, kNtfsOffset);
    EXPECT_EQ((*parts)[0].size, kNtfsSize);
    EXPECT_EQ((*parts)[0].type, mbr ? "mbr:0x07" : "gpt:EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    EXPECT_EQ((*parts)[1].number, 2);
    EXPECT_EQ((*parts)[1].offset, testing::kExtOffset);
    EXPECT_EQ((*parts)[1].type, mbr ? "mbr:0x83" : "gpt:0FC63DAF-8483-4772-8E79-3D69D8477DE4");
    for (size_t i = 0; i < 2; ++i) {
      Bytes head(4096);
      ASSERT_TRUE(file->ReadAt((*parts)[i].offset, head).ok());
      EXPECT_EQ(DetectFilesystem(head), i == 0 ? FsKind::kNtfs : FsKind::kExt);
    }
  }
}

TEST_F(NtfsVolumeTest, WritesAnswerFilesThatNtfsToolsRead) {
  const std::string inf = "[Unattended]\r\nOemSkipEula=Yes\r\n";
  const std::string cmdlines = "[Commands]\r\n\"setup.cmd\"\r\n";
  const std::string xml = "<?xml version=\"1.0\"?><unattend/>\n";
  std::unique_ptr<NtfsVolume> v = Open();
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->WriteFile("/Sysprep/sysprep.inf", View(inf)).ok());
  ASSERT_TRUE(v->WriteFile("/Sysprep/i386/$OEM$/cmdlines.txt", View(cmdlines)).ok());
  ASSERT_TRUE(v->WriteFile("/Windows/Panther/unattend.xml", View(xml)).ok());
  EXPECT_TRUE(v->Exists("/sysprep/I386/$oem$"));
  EXPECT_FALSE(v->Exists("/Sysprep/missing.txt"));
  ASSERT_TRUE(v->Close().ok());

  EXPECT_EQ(Cat("/Sysprep/sysprep.inf"), inf);
  EXPECT_EQ(Cat("/Sysprep/i386/$OEM$/cmdlines.txt"), cmdlines);
  EXPECT_EQ(Cat("/Windows/Panther/unattend.xml"), xml);
  EXPECT_EQ(List("/Sysprep"), "i386\nsysprep.inf\n");
  ExpectConsistent();
}

TEST_F(NtfsVolumeTest, ReplacesAnExistingFileWithShorterContent) {
  Write("/Windows/System32/config/SYSTEM", std::string(5000, 'x'));
  std::unique_ptr<NtfsVolume> v = Open();
  ASSERT_NE(v, nullptr);
  Result<Bytes> old = v->ReadFile("/WINDOWS/system32/CONFIG/system");  // as Windows: any case
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(Text(*old), std::string(5000, 'x'));
  ASSERT_TRUE(v->WriteFile("/windows/system32/config/system", View("short")).ok());
  ASSERT_TRUE(v->Close().ok());

  EXPECT_EQ(Cat("/Windows/System32/config/SYSTEM"), "short");
  EXPECT_EQ(List("/Windows/System32/config"), "SYSTEM\n");
  ExpectConsistent();
}

TEST_F(NtfsVolumeTest, BigNonResidentFile) {
  std::string big(6 * testing::kMiB + 123, '\0');
  std::mt19937 rng(301);
  for (char& c : big) c = static_cast<char>(rng());
  Write("/Drivers/net/e1000.sys", big);
  EXPECT_EQ(Cat("/Drivers/net/e1000.sys"), big);
  std::unique_ptr<NtfsVolume> v = Open(false);
  ASSERT_NE(v, nullptr);
  Result<Bytes> back = v->ReadFile("/Drivers/net/e1000.sys");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(Text(*back) == big);
  v.reset();
  ExpectConsistent();
}

TEST_F(NtfsVolumeTest, ReadsAFilePutThereByNtfscp) {
  const std::string part = PartitionFile();
  testing::WriteFileBytes(dir_ / "hive", View("regf"));
  testing::RunTool({"ntfscp", part, dir_ / "hive", "/hive"});
  ASSERT_TRUE(testing::InsertPartition(part, disk_, kNtfsOffset));
  std::unique_ptr<NtfsVolume> v = Open(false);
  ASSERT_NE(v, nullptr);
  Result<Bytes> hive = v->ReadFile("/HIVE");
  ASSERT_TRUE(hive.ok()) << hive.status().ToString();
  EXPECT_EQ(Text(*hive), "regf");
}

TEST_F(NtfsVolumeTest, PathErrorsNameDevicePartitionAndPath) {
  const std::string where = disk_ + " (partition at 1048576): ";
  Write("/Windows/notes.txt", "x");
  std::unique_ptr<NtfsVolume> v = Open();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->ReadFile("/Windows/Panther/unattend.xml").status().message(),
            where + "C:\\Windows\\Panther: not found; check the path");
  EXPECT_EQ(v->ReadFile("/Windows").status().message(),
            where + "C:\\Windows: is a folder; name a file");
  EXPECT_EQ(v->WriteFile("/Windows/notes.txt/a.txt", View("x")).message(),
            where +
                "C:\\Windows\\notes.txt: is a file, not a folder; remove it or choose "
                "another path");
  EXPECT_EQ(v->WriteFile("/Windows/a:b", View("x")).message(),
            where + "C:\\Windows\\a:b: \"a:b\" is not a valid Windows name; check the path");
  ASSERT_TRUE(v->Close().ok());
  EXPECT_EQ(v->WriteFile("/x", View("x")).message(),
            where + "C:\\x: the volume is closed; open it again");
  std::unique_ptr<NtfsVolume> ro = Open(false);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->WriteFile("/x", View("x")).message(),
            where + "C:\\x: the volume was opened read-only; open it writable");
}

TEST_F(NtfsVolumeTest, RefusesHibernatedWindows) {
  std::string header(4096, '\0');
  header.replace(0, 4, "HIBR");
  Write("/hiberfil.sys", header);
  EXPECT_EQ(OpenError(),
            disk_ +
                " (partition at 1048576): Windows is hibernated (or suspended by fast "
                "startup); boot it and shut it down fully (shutdown /s /t 0, fast startup "
                "off), then capture the image again");
  EXPECT_EQ(OpenError(false), "OK");  // reading is harmless
}

// Pack must not trust the bitmap of a Windows that resumes from
// hiberfil.sys; libntfs-3g knows both signatures Windows writes.
TEST_F(NtfsVolumeTest, FreeRangesRefusesHibernatedWindows) {
  const Bytes clean = testing::ReadFileBytes(disk_);
  for (const std::string signature : {"hibr", "HIBR"}) {
    // ntfscp, as NtfsVolume itself refuses to write to a hibernated Windows.
    std::string header(4096, '\0');
    header.replace(0, 4, signature);
    testing::WriteFileBytes(disk_, clean);
    const std::string part = PartitionFile();
    testing::WriteFileBytes(dir_ / "hiberfil.sys", View(header));
    testing::RunTool({"ntfscp", "-q", "-f", part, dir_ / "hiberfil.sys", "/hiberfil.sys"});
    ASSERT_TRUE(testing::InsertPartition(part, disk_, kNtfsOffset));
    std::unique_ptr<NtfsVolume> v = Open(false);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->FreeRanges().status().message(),
              disk_ +
                  " (partition at 1048576): Windows is hibernated (or suspended by fast "
                  "startup), so the cluster bitmap on disk may not be what it resumes with; "
                  "boot Windows and shut it down fully, or disable fast startup (powercfg /h "
                  "off)")
        << signature;
  }
}

// A hiberfil.sys that Windows left after a full shutdown (or a resume) does
// not start with the signature: its bitmap is good.
TEST_F(NtfsVolumeTest, FreeRangesOfAVolumeWithAnUnusedHiberfile) {
  std::string header(4096, '\0');
  header.replace(0, 4, "wake");
  Write("/hiberfil.sys", header);
  std::unique_ptr<NtfsVolume> v = Open(false);
  ASSERT_NE(v, nullptr);
  Result<std::vector<ByteRange>> free = v->FreeRanges();
  ASSERT_TRUE(free.ok()) << free.status().ToString();
  uint64_t bytes = 0;
  for (const ByteRange& r : *free) bytes += r.length;
  EXPECT_GT(bytes, kNtfsSize / 2);
  EXPECT_LT(bytes, kNtfsSize);
}

TEST_F(NtfsVolumeTest, RefusesDirtyVolume) {
  const std::string part = PartitionFile();
  testing::RunTool({"ntfsfix", part});  // marks the volume dirty so Windows runs chkdsk
  ASSERT_TRUE(testing::InsertPartition(part, disk_, kNtfsOffset));
  EXPECT_EQ(OpenError(),
            disk_ +
                " (partition at 1048576): the NTFS volume is marked dirty (Windows wants "
                "chkdsk to run); boot Windows and let chkdsk finish, or run chkdsk /f, then "
                "capture the image again");
}

TEST_F(NtfsVolumeTest, RefusesWhatIsNotNtfs) {
  Result<std::unique_ptr<NtfsVolume>> v =
      NtfsVolume::Open(disk_, testing::kExtOffset, testing::kExtSize, true);
  EXPECT_EQ(v.status().message(),
            disk_ +
                " (partition at 42991616): no NTFS filesystem here (or the partition is "
                "smaller than it); check the partition");
  v = NtfsVolume::Open(disk_, kNtfsOffset, 100 * testing::kMiB, true);
  EXPECT_EQ(v.status().message(),
            disk_ +
                " (partition at 1048576): the partition ends past the end of the disk "
                "(83886080 bytes); check the partition table");
  v = NtfsVolume::Open(dir_ / "missing.img", 0, 0, true);
  EXPECT_EQ(v.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace fleetcast
