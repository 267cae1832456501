#include "tests/e2e/e2e_common.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "tests/core/image_builder.h"

namespace fleetcast::e2e {

bool WaitForWrites(const std::string& folder, const std::string& name, int times,
                   double timeout_seconds) {
  const int fd = ::inotify_init1(IN_CLOEXEC);
  ::inotify_add_watch(fd, folder.c_str(), IN_MODIFY);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  alignas(inotify_event) char buf[8192];
  while (times > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) break;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      if (e->len > 0 && name == e->name) --times;
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  ::close(fd);
  return times <= 0;
}

long long CountBefore(const std::string& text, const std::string& suffix) {
  const size_t at = text.find(suffix);
  if (at == std::string::npos || at == 0) return -1;
  const size_t start = text.find_last_not_of("0123456789", at - 1) + 1;
  if (start >= at) return -1;
  return std::stoll(text.substr(start, at - start));
}

long long CountAfter(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + prefix.size()));
}

std::string SummaryLine(const std::string& out, const std::string& node) {
  const size_t line = out.find("  " + node + " ");
  if (line == std::string::npos) return "";
  return out.substr(line, out.find('\n', line) - line);
}

void PackedDiskTest::PackSampleDisk(uint32_t chunks, int zero_every, const std::string& label) {
  raw_ = testing::SampleDisk(size_t{chunks} * kChunk, kChunk, zero_every);
  testing::WriteFileBytes(dir_ / "disk.raw", raw_);
  std::vector<std::string> argv = {FLEETCAST_SERVER_BIN, "pack", dir_ / "disk.raw", img_};
  if (!label.empty()) argv.insert(argv.end(), {"--label", label});
  const ProgramResult r = testing::RunProgram(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string PackedDiskTest::Target(int i) const {
  return dir_ / ("node" + std::to_string(i) + ".raw");
}

}  // namespace fleetcast::e2e
