#include "server/source_free_space.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/partition_table.h"
#include "platform/ext_volume.h"
#include "platform/file.h"
#include "platform/ntfs_volume.h"

namespace fleetcast {

namespace {

// The free ranges of the filesystem in p, counted from the start of the
// filesystem, as its own bitmap says.
Result<std::vector<ByteRange>> FilesystemFreeRanges(const std::string& source, const Partition& p,
                                                    FsKind kind) {
  if (kind == FsKind::kExt) {
    auto volume = ExtVolume::Open(source, p.offset, p.size, false);
    if (!volume.ok()) return volume.status();
    return (*volume)->FreeRanges();
  }
  auto volume = NtfsVolume::Open(source, p.offset, p.size, false);
  if (!volume.ok()) return volume.status();
  return (*volume)->FreeRanges();
}

// One partition's usage; its free ranges, moved to disk offsets and cut to
// the partition, are appended to *free.
PartitionUsage ReadPartition(const std::string& source, const File& file, const Partition& p,
                             std::vector<ByteRange>* free) {
  PartitionUsage usage;
  usage.offset = p.offset;
  usage.size = p.size;
  usage.used = p.size;
  usage.number = static_cast<uint32_t>(p.number);
  std::array<uint8_t, 4096> head{};
  if (p.size < head.size() || !file.ReadAt(p.offset, head).ok()) return usage;
  const FsKind kind = DetectFilesystem(head);
  usage.fs = kind;
  if (kind == FsKind::kUnknown) return usage;
  Result<std::vector<ByteRange>> ranges = FilesystemFreeRanges(source, p, kind);
  if (!ranges.ok()) {
    spdlog::warn("partition {} ({}): cannot use its free space ({}); copying it whole", p.number,
                 FsKindName(kind), ranges.status().message());
    return usage;
  }
  for (const ByteRange& r : *ranges) {
    if (r.offset >= p.size) continue;
    const ByteRange cut{p.offset + r.offset, std::min(r.length, p.size - r.offset)};
    free->push_back(cut);
    usage.free += cut.length;
  }
  usage.used = p.size - usage.free;
  return usage;
}

bool Overlap(std::vector<Partition> parts) {
  std::sort(parts.begin(), parts.end(),
            [](const Partition& a, const Partition& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].offset < parts[i - 1].offset + parts[i - 1].size) return true;
  }
  return false;
}

}  // namespace

SourceFreeSpace ReadSourceFreeSpace(const std::string& source) {
  SourceFreeSpace out;
  Result<File> file = File::OpenRead(source);
  if (!file.ok()) return out;
  const DiskReader read = [&](uint64_t offset, std::span<uint8_t> bytes) {
    return file->ReadAt(offset, bytes);
  };
  Result<std::vector<Partition>> partitions = ReadPartitionTable(read, file->size());
  if (!partitions.ok()) {
    if (partitions.status().code() != Status::Code::kNotFound) {
      spdlog::warn("{}: {}; copying the whole disk", source, partitions.status().message());
    }
    return out;
  }
  std::vector<ByteRange> free;
  for (const Partition& p : *partitions) {
    out.partitions.push_back(ReadPartition(source, *file, p, &free));
  }
  if (Overlap(*partitions)) {
    spdlog::warn("{}: partitions overlap; copying the whole disk", source);
    for (PartitionUsage& u : out.partitions) u = {u.offset, u.size, u.size, 0, u.number, u.fs};
    return out;
  }
  out.free = FreeSpaceMap::Make(std::move(free));
  return out;
}

}  // namespace fleetcast
