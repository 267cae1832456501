#include "tests/test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace fleetcast::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/fleetcast-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Tests may make folders unwritable; give them back before removing.
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(path_, ec);
}

void WriteFileBytes(const std::string& path, ByteView bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

Bytes ReadFileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool FileExists(const std::string& path) { return std::filesystem::exists(path); }

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

// Reads both pipes until they close, `until` returns true, or the deadline
// passes. False only on the deadline.
bool Drain(
    int* out_fd, int* err_fd, std::chrono::steady_clock::time_point deadline, ProgramResult* r,
    const std::function<bool()>& until = [] { return false; }) {
  std::string* sinks[2] = {&r->out, &r->err};
  int* fds[2] = {out_fd, err_fd};
  char buf[65536];
  while (*out_fd >= 0 || *err_fd >= 0) {
    if (until()) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p[2] = {{*out_fd, POLLIN, 0}, {*err_fd, POLLIN, 0}};
    if (::poll(p, 2, static_cast<int>(left.count())) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (*fds[i] < 0 || p[i].revents == 0) continue;
      const ssize_t n = ::read(*fds[i], buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        ::close(*fds[i]);
        *fds[i] = -1;
      }
    }
  }
  return true;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
  pid_ = pid;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void ChildProcess::Signal(int signal) const { ::kill(pid_, signal); }

bool ChildProcess::WaitForText(const std::string& text, double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  auto seen = [&] {
    return partial_.out.find(text) != std::string::npos ||
           partial_.err.find(text) != std::string::npos;
  };
  Drain(&out_fd_, &err_fd_, deadline, &partial_, seen);
  return seen();
}

ProgramResult ChildProcess::Wait(double timeout_seconds) {
  ProgramResult r = partial_;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  if (!Drain(&out_fd_, &err_fd_, deadline, &r)) {
    ::kill(pid_, SIGKILL);
    r.timed_out = true;
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ProgramResult RunProgram(const std::vector<std::string>& argv, double timeout_seconds) {
  return ChildProcess(argv).Wait(timeout_seconds);
}

LoopDevice::LoopDevice(const std::string& file) {
  ProgramResult r = RunProgram({"losetup", "--find", "--show", file}, 30);
  if (r.exit_code == 0) path_ = r.out.substr(0, r.out.find('\n'));
  error_ = r.err;
}

LoopDevice::~LoopDevice() {
  if (!path_.empty()) RunProgram({"losetup", "--detach", path_}, 30);
}

std::string WaitForFile(const std::string& folder, const std::string& prefix,
                        double timeout_seconds) {
  const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ::inotify_add_watch(fd, folder.c_str(), IN_CREATE | IN_MOVED_TO);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  std::string found;
  for (;;) {
    // Look after the watch is set, so a file made just before is not missed.
    for (const std::string& name : ListDir(folder)) {
      if (name.rfind(prefix, 0) == 0) found = folder + "/" + name;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!found.empty() || left.count() <= 0) break;
    pollfd p = {fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
    char buf[4096];
    while (::read(fd, buf, sizeof(buf)) > 0) {
    }
  }
  ::close(fd);
  return found;
}

}  // namespace fleetcast::testing
