// Test disks made with the real tools (sfdisk, mkntfs, mke2fs), no root and
// no mounting: a sparse disk file with a partition table and filesystems
// copied into their partitions, and verbs to pull a partition back out so
// ntfscat, debugfs and the fsck tools can inspect it.
#ifndef FLEETCAST_TESTS_CLIENT_DISK_BUILDER_H_
#define FLEETCAST_TESTS_CLIENT_DISK_BUILDER_H_

#include <cstdint>
#include <string>

#include "tests/test_util.h"

namespace fleetcast::testing {

enum class TableKind { kMbr, kGpt };

// The layout every built disk has: NTFS in partition 1, ext4 in partition 2.
inline constexpr uint64_t kMiB = 1 << 20;
inline constexpr uint64_t kDiskSize = 80 * kMiB;
inline constexpr uint64_t kNtfsOffset = 1 * kMiB;
inline constexpr uint64_t kNtfsSize = 40 * kMiB;
inline constexpr uint64_t kExtOffset = 41 * kMiB;
inline constexpr uint64_t kExtSize = 37 * kMiB;

/// Makes dir/disk.img: the table, an empty NTFS in partition 1 and an ext4 in
/// partition 2 seeded with the files under ext_seed (mke2fs -d; "" for
/// none). Fails the test (ADD_FAILURE) and returns "" if a tool fails.
std::string BuildDisk(const TempDir& dir, TableKind table, const std::string& ext_seed = "");

/// Copies [offset, offset + size) of disk into a new file at out.
bool ExtractPartition(const std::string& disk, uint64_t offset, uint64_t size,
                      const std::string& out);
/// Copies the file `part` into disk at offset, as a restore would.
bool InsertPartition(const std::string& part, const std::string& disk, uint64_t offset);

/// Runs argv; on a non-zero exit adds a test failure showing its output.
ProgramResult RunTool(const std::vector<std::string>& argv);

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_CLIENT_DISK_BUILDER_H_
