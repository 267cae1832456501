// A partition of a disk image, mounted read-only for a test to read its files
// as the kernel (ext4) or ntfs-3g (FUSE) sees them. Needs root.
//
// The partition gets a loop device of its own over its byte range (losetup
// --offset --sizelimit --read-only) rather than one over the whole disk with
// --partscan: kernels built without partition-table parsers (no
// CONFIG_MSDOS_PARTITION / CONFIG_EFI_PARTITION, as on this project's test
// machines) make no loopNpM devices, and the offset works everywhere.
#ifndef FLEETCAST_TESTS_E2E_MOUNTED_PARTITION_H_
#define FLEETCAST_TESTS_E2E_MOUNTED_PARTITION_H_

#include <cstdint>
#include <string>

namespace fleetcast::testing {

enum class MountFs {
  kExt4,  // the kernel's ext4
  kNtfs,  // ntfs-3g, through /dev/fuse
};

/// Mounts on construction; on destruction unmounts, detaches the loop
/// device and removes the mount folder, whichever of these happened, so a
/// failing test leaves nothing behind. Every step is a program run with a
/// deadline.
class MountedPartition {
 public:
  /// Mounts [offset, offset + size) of disk, read-only, on the new folder
  /// mount_point (which must not exist).
  MountedPartition(const std::string& disk, uint64_t offset, uint64_t size, MountFs fs,
                   const std::string& mount_point);
  ~MountedPartition();
  MountedPartition(const MountedPartition&) = delete;
  MountedPartition& operator=(const MountedPartition&) = delete;

  /// The mount point, or "" if a step failed; error() then says which.
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  std::string device_;       // the loop device; "" until attached
  std::string mount_point_;  // the folder; "" until made
  std::string path_;         // mount_point_ once mounted
  std::string error_;
};

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_E2E_MOUNTED_PARTITION_H_
