// Which filesystems a packed image's disk holds, read from the image itself
// (partition table and each partition's first bytes, decompressed on the
// fly), so the probe can tell a Windows node it is getting a disk with no
// NTFS before anything is sent.
#ifndef FLEETCAST_SERVER_IMAGE_VOLUMES_H_
#define FLEETCAST_SERVER_IMAGE_VOLUMES_H_

#include <vector>

#include "core/partition_table.h"
#include "core/status.h"
#include "server/image_reader.h"

namespace fleetcast {

struct ImageVolume {
  Partition partition;
  FsKind kind = FsKind::kUnknown;
};

/// The partitions of the image's disk and what each one holds.
Result<std::vector<ImageVolume>> ImageVolumes(const ImageReader& image);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_IMAGE_VOLUMES_H_
