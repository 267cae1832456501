// The strongest check that an unpacked or deployed copy of a UsedDisk is
// right: mount its filesystems read-only (tests/e2e/mounted_partition.h) and
// compare every file with the source, as a machine booting the disk would
// read it. Needs root.
#ifndef FLEETCAST_TESTS_E2E_MOUNTED_FILES_H_
#define FLEETCAST_TESTS_E2E_MOUNTED_FILES_H_

#include <map>
#include <string>
#include <vector>

#include "tests/e2e/used_disk.h"
#include "tests/test_util.h"

namespace fleetcast::testing {

/// One line per file, folder and symlink under root, keyed by its path from
/// root ("/docs/readme.txt"): its type, and with `ownership` its mode bits
/// (setuid and sticky included), owner and mtime; a file's size; a symlink's
/// target. Entries named in `skip` (paths from root) are left out.
std::map<std::string, std::string> DescribeTree(const std::string& root, bool ownership,
                                                const std::vector<std::string>& skip = {});

/// Mounts the ext4 (kernel) and the NTFS (ntfs-3g) of disk, a copy of
/// source in its layout, under dir, and expects: the ext4 tree equal to
/// source.ext_tree (DescribeTree with ownership, lost+found aside), the NTFS
/// holding exactly source.ntfs_files, and every file's bytes equal. Mount
/// failures are fatal; everything is unmounted and detached before it
/// returns.
void ExpectMountedFilesEqual(const TempDir& dir, const std::string& disk, const UsedDisk& source);

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_E2E_MOUNTED_FILES_H_
