// What the deployment tests share: the names they use from tests/test_util.h,
// the chunk size of their sample disks and the bound on every wait for a
// program, and a wait for a client's writes to its target file.
#ifndef FLEETCAST_TESTS_E2E_E2E_COMMON_H_
#define FLEETCAST_TESTS_E2E_E2E_COMMON_H_

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

}  // namespace fleetcast::e2e

#endif  // FLEETCAST_TESTS_E2E_E2E_COMMON_H_
