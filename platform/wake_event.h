// WakeEvent: lets one thread cut short another's wait on a socket (an
// eventfd the waiter polls beside it). The client's workers use it to tell
// the control loop, blocked on the server for up to 100 ms, that the last
// chunk is on the disk, so `done` goes out at once (most of a re-image).
#ifndef FLEETCAST_PLATFORM_WAKE_EVENT_H_
#define FLEETCAST_PLATFORM_WAKE_EVENT_H_

namespace fleetcast {

class WakeEvent {
 public:
  WakeEvent();
  ~WakeEvent();
  WakeEvent(const WakeEvent&) = delete;
  WakeEvent& operator=(const WakeEvent&) = delete;

  /// Makes fd() readable until Drain(). Any thread.
  void Notify() const;
  /// Makes fd() not readable again. The waiting thread.
  void Drain() const;
  /// For poll(2), POLLIN.
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_WAKE_EVENT_H_
