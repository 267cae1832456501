#include "tests/client/disk_builder.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace fleetcast::testing {

namespace {

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string SfdiskScript(TableKind table) {
  const std::string p1 =
      "start=" + std::to_string(kNtfsOffset / 512) + ", size=" + std::to_string(kNtfsSize / 512);
  const std::string p2 =
      "start=" + std::to_string(kExtOffset / 512) + ", size=" + std::to_string(kExtSize / 512);
  if (table == TableKind::kMbr) return "label: dos\n" + p1 + ", type=7\n" + p2 + ", type=83\n";
  return "label: gpt\n" + p1 + ", type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n" + p2 +
         ", type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n";
}

bool MakeSparse(const std::string& path, uint64_t size) {
  WriteFileBytes(path, {});
  std::error_code ec;
  std::filesystem::resize_file(path, size, ec);
  return !ec;
}

}  // namespace

ProgramResult RunTool(const std::vector<std::string>& argv) {
  ProgramResult r = RunProgram(argv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const std::string& a : argv) cmd += a + " ";
    ADD_FAILURE() << cmd << "exited " << r.exit_code << "\n" << r.out << r.err;
  }
  return r;
}

bool ExtractPartition(const std::string& disk, uint64_t offset, uint64_t size,
                      const std::string& out) {
  return RunTool({"dd", "if=" + disk, "of=" + out, "bs=64K", "iflag=skip_bytes,count_bytes",
                  "skip=" + std::to_string(offset), "count=" + std::to_string(size), "conv=sparse",
                  "status=none"})
             .exit_code == 0;
}

bool InsertPartition(const std::string& part, const std::string& disk, uint64_t offset) {
  return RunTool({"dd", "if=" + part, "of=" + disk, "bs=64K", "oflag=seek_bytes",
                  "seek=" + std::to_string(offset), "conv=notrunc,sparse", "status=none"})
             .exit_code == 0;
}

std::string BuildDisk(const TempDir& dir, TableKind table, const std::string& ext_seed) {
  std::string disk = dir / "disk.img";
  const std::string script = dir / "table.sfdisk";
  const std::string ntfs = dir / "ntfs.part";
  const std::string ext = dir / "ext.part";
  const std::string text = SfdiskScript(table);
  WriteFileBytes(script, ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  if (!MakeSparse(disk, kDiskSize) || !MakeSparse(ntfs, kNtfsSize)) return "";
  if (RunTool({"sh", "-c", "sfdisk -q " + Quote(disk) + " < " + Quote(script)}).exit_code != 0 ||
      RunTool({"mkntfs", "-Q", "-F", "-q", "-p", std::to_string(kNtfsOffset / 512), "-H", "255",
               "-S", "63", ntfs})
              .exit_code != 0) {
    return "";
  }
  std::vector<std::string> mke2fs = {"mke2fs", "-q", "-F", "-t", "ext4"};
  if (!ext_seed.empty()) mke2fs.insert(mke2fs.end(), {"-d", ext_seed});
  mke2fs.insert(mke2fs.end(), {ext, std::to_string(kExtSize / 1024) + "k"});
  if (RunTool(mke2fs).exit_code != 0) return "";
  if (!InsertPartition(ntfs, disk, kNtfsOffset) || !InsertPartition(ext, disk, kExtOffset)) {
    return "";
  }
  std::filesystem::remove(ntfs);
  std::filesystem::remove(ext);
  return disk;
}

}  // namespace fleetcast::testing
