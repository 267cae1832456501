#include "platform/wake_event.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace fleetcast {

WakeEvent::WakeEvent() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

WakeEvent::~WakeEvent() {
  if (fd_ >= 0) ::close(fd_);
}

void WakeEvent::Notify() const {
  const uint64_t one = 1;
  // Only fails when the counter is full, which still wakes the waiter.
  (void)!::write(fd_, &one, sizeof(one));
}

void WakeEvent::Drain() const {
  uint64_t count = 0;
  (void)!::read(fd_, &count, sizeof(count));
}

}  // namespace fleetcast
