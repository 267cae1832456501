// What the deployment tests share: the names they use from tests/test_util.h,
// the chunk size of their sample disks and the bound on every wait for a
// program, a wait for a client's writes to its target file, readers of the
// counts in the programs' output, and a fixture holding a packed sample disk.
#ifndef FLEETCAST_TESTS_E2E_E2E_COMMON_H_
#define FLEETCAST_TESTS_E2E_E2E_COMMON_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tests/test_util.h"

namespace fleetcast::e2e {

using testing::ChildProcess;
using testing::ProgramResult;

/// The chunk size the sample disks are packed with.
constexpr uint32_t kChunk = 1024 * 1024;
/// Seconds a server or client may take before the test calls it hung.
constexpr double kTimeout = 180;

/// Blocks until the file `name` in `folder` has been modified `times` times
/// (its creation's truncate counts as one), at most timeout_seconds
/// (inotify, no polling); true if it was.
bool WaitForWrites(const std::string& folder, const std::string& name, int times,
                   double timeout_seconds);

/// The number just before `suffix` in `text`, or -1 if `suffix` is absent.
long long CountBefore(const std::string& text, const std::string& suffix);
/// The number after `prefix` in `text`, or -1 if `prefix` is absent.
long long CountAfter(const std::string& text, const std::string& prefix);
/// The line for `node` in serve's closing summary (`out`, its stdout), or ""
/// if there is none.
std::string SummaryLine(const std::string& out, const std::string& node);

/// A fixture for tests that deploy a sample disk: a fresh folder holding the
/// disk, its image and the nodes' target disks.
class PackedDiskTest : public ::testing::Test {
 protected:
  /// Makes raw_ a SampleDisk of `chunks` chunks of kChunk, every
  /// `zero_every`th of them zero (none if 0), and packs it into img_, with
  /// `label` unless it is empty; a failed pack is a fatal failure.
  void PackSampleDisk(uint32_t chunks, int zero_every, const std::string& label = "");
  /// Node i's target disk ("node<i>.raw" in the folder).
  std::string Target(int i) const;

  testing::TempDir dir_;
  Bytes raw_;
  std::string img_ = dir_ / "disk.fcimg";
};

}  // namespace fleetcast::e2e

#endif  // FLEETCAST_TESTS_E2E_E2E_COMMON_H_
