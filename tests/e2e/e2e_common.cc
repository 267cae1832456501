#include "tests/e2e/e2e_common.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>

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

}  // namespace fleetcast::e2e
