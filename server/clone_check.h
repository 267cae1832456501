// Finds out whether a disk to be packed holds a Windows that is itself a
// clone: Sysprep marks a clone's SYSTEM hive with Setup\CloneTag, and
// resealing a clone again corrupts its user, IIS, database and domain
// settings. Reads the hive straight out of NTFS, without mounting.
#ifndef FLEETCAST_SERVER_CLONE_CHECK_H_
#define FLEETCAST_SERVER_CLONE_CHECK_H_

#include <optional>
#include <string>

#include "core/status.h"

namespace fleetcast {

struct CloneMark {
  std::string where;  // "disk.raw partition 2"
  std::string tag;    // the CloneTag value (a date as Windows writes it)
};

/// The first Windows volume of the disk at source that carries a CloneTag,
/// or nullopt (no partition table, no NTFS, no Windows, or not a clone).
Result<std::optional<CloneMark>> FindCloneMark(const std::string& source);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_CLONE_CHECK_H_
