#include "core/partition_usage.h"

#include <algorithm>
#include <string>

namespace fleetcast {

namespace {

// The on-disk codes of FsKind: explicit, with 0 invalid, independent of the
// enum's own values.
enum class FsCode : uint8_t { kInvalid = 0, kUnknown = 1, kNtfs = 2, kExt = 3 };

FsCode CodeOf(FsKind kind) {
  switch (kind) {
    case FsKind::kNtfs:
      return FsCode::kNtfs;
    case FsKind::kExt:
      return FsCode::kExt;
    case FsKind::kUnknown:
      break;
  }
  return FsCode::kUnknown;
}

std::string Where(uint32_t number) { return "manifest: partition " + std::to_string(number); }

}  // namespace

void PartitionUsage::EncodeTo(Bytes* dst) const {
  PutFixed64(dst, offset);
  PutFixed64(dst, size);
  PutFixed64(dst, used);
  PutFixed64(dst, free);
  PutFixed32(dst, number);
  PutFixed8(dst, static_cast<uint8_t>(CodeOf(fs)));
  for (int i = 0; i < 3; ++i) PutFixed8(dst, 0);  // reserved
}

Result<PartitionUsage> PartitionUsage::DecodeFrom(ByteReader* reader, uint64_t raw_size) {
  PartitionUsage p;
  uint8_t code = 0;
  uint8_t reserved[3] = {};
  if (!reader->GetFixed64(&p.offset) || !reader->GetFixed64(&p.size) ||
      !reader->GetFixed64(&p.used) || !reader->GetFixed64(&p.free) ||
      !reader->GetFixed32(&p.number) || !reader->GetFixed8(&code) ||
      !reader->GetFixed8(&reserved[0]) || !reader->GetFixed8(&reserved[1]) ||
      !reader->GetFixed8(&reserved[2])) {
    return Status::Corruption("manifest: partition list truncated");
  }
  switch (static_cast<FsCode>(code)) {
    case FsCode::kUnknown:
      p.fs = FsKind::kUnknown;
      break;
    case FsCode::kNtfs:
      p.fs = FsKind::kNtfs;
      break;
    case FsCode::kExt:
      p.fs = FsKind::kExt;
      break;
    default:
      return Status::Corruption(Where(p.number) + ": unknown filesystem code " +
                                std::to_string(code));
  }
  if (reserved[0] != 0 || reserved[1] != 0 || reserved[2] != 0) {
    return Status::Corruption(Where(p.number) + ": reserved bytes are not zero");
  }
  if (p.offset > raw_size || p.size > raw_size - p.offset) {
    return Status::Corruption(Where(p.number) + ": ends past the end of the disk");
  }
  if (p.used > p.size || p.free != p.size - p.used) {
    return Status::Corruption(Where(p.number) + ": used and free bytes do not add up to its size");
  }
  return p;
}

uint64_t PartitionUsage::StoredRawBytes(const ChunkTable& table) const {
  if (size == 0 || table.chunk_size() == 0) return 0;
  const uint64_t end = offset + size;
  uint64_t total = 0;
  const uint64_t first = offset / table.chunk_size();
  const uint64_t last = (end - 1) / table.chunk_size();
  for (uint64_t i = first; i <= last && i < table.chunk_count(); ++i) {
    const auto index = static_cast<uint32_t>(i);
    if (table.Find(index) == nullptr) continue;
    const uint64_t from = std::max(offset, table.RawOffset(index));
    const uint64_t to = std::min(end, table.RawOffset(index) + table.RawLength(index));
    total += to - from;
  }
  return total;
}

}  // namespace fleetcast
