#include "server/clone_check.h"

#include <array>

#include "core/partition_table.h"
#include "platform/file.h"
#include "platform/ntfs_volume.h"
#include "platform/system_hive.h"

namespace fleetcast {

namespace {

constexpr const char* kSystemHive = "/Windows/System32/config/SYSTEM";

// The CloneTag of one NTFS volume's Windows, if it has a SYSTEM hive.
Result<std::optional<std::string>> CloneTagOf(const std::string& source, const Partition& p) {
  auto volume = NtfsVolume::Open(source, p.offset, p.size, false);
  if (!volume.ok() || !(*volume)->Exists(kSystemHive)) return std::optional<std::string>();
  Result<Bytes> hive_bytes = (*volume)->ReadFile(kSystemHive);
  if (!hive_bytes.ok()) return hive_bytes.status();
  auto hive = SystemHive::OpenBytes(*hive_bytes, false, source + ": " + kSystemHive);
  if (!hive.ok()) return hive.status();
  return (*hive)->CloneTag();
}

}  // namespace

Result<std::optional<CloneMark>> FindCloneMark(const std::string& source) {
  Result<File> file = File::OpenRead(source);
  if (!file.ok()) return file.status();
  const DiskReader read = [&](uint64_t offset, std::span<uint8_t> out) {
    return file->ReadAt(offset, out);
  };
  // A disk with no table we can read is not a Windows disk: nothing to check.
  Result<std::vector<Partition>> partitions = ReadPartitionTable(read, file->size());
  if (!partitions.ok()) return std::optional<CloneMark>();
  std::array<uint8_t, 4096> head{};
  for (const Partition& p : *partitions) {
    if (p.size < head.size() || !read(p.offset, head).ok()) continue;
    if (DetectFilesystem(head) != FsKind::kNtfs) continue;
    Result<std::optional<std::string>> tag = CloneTagOf(source, p);
    if (!tag.ok()) return tag.status();
    if (*tag) {
      const std::string where =
          p.number == 0 ? source : source + " partition " + std::to_string(p.number);
      return std::optional<CloneMark>(CloneMark{where, **tag});
    }
  }
  return std::optional<CloneMark>();
}

}  // namespace fleetcast
