#include "tests/e2e/mounted_partition.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "tests/test_util.h"

namespace fleetcast::testing {

namespace {

constexpr double kStepSeconds = 60;

std::string Command(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Runs argv; "" if it exited 0, else what went wrong.
std::string Step(const std::vector<std::string>& argv, std::string* out = nullptr) {
  const ProgramResult r = RunProgram(argv, kStepSeconds);
  if (out != nullptr) *out = r.out;
  if (r.exit_code == 0) return "";
  return Command(argv) + (r.timed_out ? ": timed out" : ": exited " + std::to_string(r.exit_code)) +
         ": " + r.err;
}

}  // namespace

MountedPartition::MountedPartition(const std::string& disk, uint64_t offset, uint64_t size,
                                   MountFs fs, const std::string& mount_point) {
  std::error_code ec;
  if (!std::filesystem::create_directory(mount_point, ec)) {
    error_ = mount_point + ": cannot make the mount folder: " + ec.message();
    return;
  }
  mount_point_ = mount_point;
  std::string out;
  error_ = Step({"losetup", "--find", "--show", "--read-only", "--offset", std::to_string(offset),
                 "--sizelimit", std::to_string(size), disk},
                &out);
  if (!error_.empty()) return;
  device_ = out.substr(0, out.find('\n'));
  // ntfs-3g returns once the mount is in place (its daemon serves it).
  error_ = fs == MountFs::kExt4 ? Step({"mount", "-t", "ext4", "-o", "ro", device_, mount_point})
                                : Step({"ntfs-3g", "-o", "ro", device_, mount_point});
  if (error_.empty()) path_ = mount_point;
}

MountedPartition::~MountedPartition() {
  if (!path_.empty()) {
    // umount of a FUSE block mount (fuseblk) returns after ntfs-3g has
    // released the device, so the detach below finds it free.
    const std::string failed = Step({"umount", path_});
    if (!failed.empty()) {
      ADD_FAILURE() << failed;
      Step({"umount", "--lazy", path_});
    }
  }
  if (!device_.empty()) {
    const std::string failed = Step({"losetup", "--detach", device_});
    if (!failed.empty()) ADD_FAILURE() << failed;
  }
  if (!mount_point_.empty()) {
    std::error_code ec;
    if (!std::filesystem::remove(mount_point_, ec)) {
      ADD_FAILURE() << mount_point_ << ": cannot remove the mount folder: " << ec.message();
    }
  }
}

}  // namespace fleetcast::testing
