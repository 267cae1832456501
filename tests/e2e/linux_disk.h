// A disk image for deployments with an inventory: MBR with one Linux
// partition holding ext4 in its first 8 MiB (where a cloud-init node's
// identity lands), then `data`, which no identity touches and which makes
// the stream as long as a test needs.
#ifndef FLEETCAST_TESTS_E2E_LINUX_DISK_H_
#define FLEETCAST_TESTS_E2E_LINUX_DISK_H_

#include <string>

#include "tests/test_util.h"

namespace fleetcast::testing {

/// Where `data` starts in the disk LinuxDisk makes.
constexpr uint64_t kLinuxDiskDataOffset = uint64_t{8} << 20;

/// Builds the disk at path (a scratch file) and returns its bytes; empty if
/// a tool failed.
inline Bytes LinuxDisk(const std::string& path, const Bytes& data) {
  if (RunProgram({"truncate", "-s", "8M", path}).exit_code != 0 ||
      RunProgram({"sh", "-c",
                  "printf 'label: dos\\nstart=2048, type=83\\n' | /usr/sbin/sfdisk -q " + path})
              .exit_code != 0 ||
      RunProgram({"/usr/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-E", "offset=1048576", path, "7M"})
              .exit_code != 0) {
    return {};
  }
  Bytes disk = ReadFileBytes(path);
  disk.insert(disk.end(), data.begin(), data.end());
  return disk;
}

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_E2E_LINUX_DISK_H_
