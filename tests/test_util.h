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
/// How many times `what` occurs in `text` (overlaps counted).
size_t Occurrences(const std::string& text, const std::string& what);
/// Names in a folder, sorted.
std::vector<std::string> ListDir(const std::string& path);

struct ProgramResult {
  int exit_code = -1;  // -1 if killed by a signal or the deadline
  std::string out;
  std::string err;
  bool timed_out = false;
};

/// A program started with its stdout and stderr captured through pipes.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills and reaps the child if Wait was not called
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The child's process id (-1 once Wait reaped it).
  int pid() const { return pid_; }
  void Signal(int signal) const;
  /// Collects output until `text` appears in stdout or stderr, at most
  /// timeout_seconds; true if it appeared. Wait returns all output anyway.
  bool WaitForText(const std::string& text, double timeout_seconds);
  /// Waits at most timeout_seconds for exit, collecting output; a program
  /// still running then is killed and reported as timed out.
  ProgramResult Wait(double timeout_seconds);

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  ProgramResult partial_;
};

/// Runs argv[0] with argv: ChildProcess(argv).Wait(timeout_seconds).
ProgramResult RunProgram(const std::vector<std::string>& argv, double timeout_seconds = 120);

/// A loop device over a file (needs root); detached when it goes out of
/// scope. path() is "" if losetup failed, and error() says why.
class LoopDevice {
 public:
  explicit LoopDevice(const std::string& file);
  ~LoopDevice();
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

/// Waits at most timeout_seconds for a file whose name starts with prefix to
/// appear in folder (inotify, no polling); returns its path, or "" on timeout.
std::string WaitForFile(const std::string& folder, const std::string& prefix,
                        double timeout_seconds);

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_TEST_UTIL_H_
