// Test helpers for code that touches files and runs programs: a temporary
// folder removed at the end, whole-file reads and writes, and a bounded run
// of a program that captures its output and exit code.
#ifndef FLEETCAST_TESTS_TEST_UTIL_H_
#define FLEETCAST_TESTS_TEST_UTIL_H_

#include <string>
#include <vector>

#include "core/coding.h"

namespace fleetcast::testing {

/// A fresh folder under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFileBytes(const std::string& path, ByteView bytes);
Bytes ReadFileBytes(const std::string& path);
bool FileExists(const std::string& path);
/// Names in a folder, sorted.
std::vector<std::string> ListDir(const std::string& path);

struct ProgramResult {
  int exit_code = -1;  // -1 if killed by a signal or the deadline
  std::string out;
  std::string err;
  bool timed_out = false;
};

/// Runs argv[0] with argv, waiting at most timeout_seconds for it to exit; a
/// program still running then is killed and reported as timed out.
ProgramResult RunProgram(const std::vector<std::string>& argv, double timeout_seconds = 120);

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_TEST_UTIL_H_
