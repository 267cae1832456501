// PartitionUsage: what pack found in one partition of the source disk, kept in
// the manifest (Manifest::kFlagPartitions) so that `info` can report used,
// free and stored bytes per partition without the source.
//
// Byte layout (docs/image-format.md), 40 bytes:
//   offset    fixed64  bytes from the start of the disk
//   size      fixed64  bytes of the partition
//   used      fixed64  bytes its filesystem uses; size for an unknown one
//   free      fixed64  bytes its filesystem's bitmap says are free; used +
//                      free == size
//   number    fixed32  as Linux names it (1-4 primary, 5+ logical, GPT slot
//                      + 1; 0 for a disk without a table)
//   fs        fixed8   FsCode: 1 unknown, 2 NTFS, 3 ext2/3/4; 0 is invalid
//   reserved  3 bytes  0
#ifndef FLEETCAST_CORE_PARTITION_USAGE_H_
#define FLEETCAST_CORE_PARTITION_USAGE_H_

#include <cstdint>

#include "core/chunk_table.h"
#include "core/coding.h"
#include "core/partition_table.h"

namespace fleetcast {

struct PartitionUsage {
  static constexpr size_t kEncodedLength = 8 + 8 + 8 + 8 + 4 + 1 + 3;
  static_assert(kEncodedLength == 40);

  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t used = 0;
  uint64_t free = 0;
  uint32_t number = 0;
  FsKind fs = FsKind::kUnknown;

  bool operator==(const PartitionUsage&) const = default;

  /// Appends exactly kEncodedLength bytes.
  void EncodeTo(Bytes* dst) const;
  /// Checks the filesystem code, reserved bytes, used + free == size and
  /// that the partition lies within a disk of raw_size bytes; the message
  /// names the field.
  static Result<PartitionUsage> DecodeFrom(ByteReader* reader, uint64_t raw_size);

  /// Bytes of this partition that lie in chunks the table stores: what a
  /// deployment sends and writes for it.
  uint64_t StoredRawBytes(const ChunkTable& table) const;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_PARTITION_USAGE_H_
