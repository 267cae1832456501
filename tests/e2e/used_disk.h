// A test disk like a used one: every byte starts as noise (fixed seed), then
// a GPT table, an NTFS (partition 1, quick-formatted, files put in with
// ntfscp) and an ext4 (partition 2, filled with mke2fs -d, no discard) are
// made over it, so the filesystems' free space holds noise that only
// filesystem-aware packing leaves out. Layout as tests/client/disk_builder.h.
#ifndef FLEETCAST_TESTS_E2E_USED_DISK_H_
#define FLEETCAST_TESTS_E2E_USED_DISK_H_

#include <map>
#include <string>

#include "tests/client/disk_builder.h"
#include "tests/test_util.h"

namespace fleetcast::testing {

struct UsedDisk {
  std::string path;                         // "" if a tool failed (a test failure is added)
  std::string ext_tree;                     // the folder mke2fs -d copied into the ext4
  std::map<std::string, Bytes> ext_files;   // path in the ext4 -> content (regular files)
  std::map<std::string, Bytes> ntfs_files;  // path in the NTFS -> content
};

/// Builds dir/used.img (kDiskSize bytes).
UsedDisk BuildUsedDisk(const TempDir& dir);

/// Checks a disk (e.g. an unpacked or deployed copy of a UsedDisk) with
/// e2fsck -fn and ntfsfix -n and compares every file with debugfs and
/// ntfscat; failures are test failures.
void ExpectFilesystemsIntact(const TempDir& dir, const std::string& disk, const UsedDisk& source);

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_E2E_USED_DISK_H_
