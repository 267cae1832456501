// What pack learns from the source disk before it reads a chunk: the
// partitions (MBR or GPT), what each one holds, and the byte ranges that
// ext2/3/4 block bitmaps and NTFS cluster bitmaps mark free. Read-only; the
// filesystems are opened in place with libext2fs and libntfs-3g.
#ifndef FLEETCAST_SERVER_SOURCE_FREE_SPACE_H_
#define FLEETCAST_SERVER_SOURCE_FREE_SPACE_H_

#include <string>
#include <vector>

#include "core/free_space_map.h"
#include "core/partition_usage.h"

namespace fleetcast {

struct SourceFreeSpace {
  std::vector<PartitionUsage> partitions;  // in table order; empty without a table
  FreeSpaceMap free;                       // disk byte ranges no filesystem uses
};

/// Never fails: whatever cannot be read is copied whole. A disk without a
/// partition table or filesystem has no partitions and no free space; a
/// filesystem whose bitmap cannot be trusted (an unreplayed ext journal, a
/// dirty NTFS, a hibernated Windows) or read is copied whole, with one
/// warning naming the partition and the fix; a table whose partitions
/// overlap gives no free space at all, since one partition's free blocks may
/// be another's data.
SourceFreeSpace ReadSourceFreeSpace(const std::string& source);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_SOURCE_FREE_SPACE_H_
