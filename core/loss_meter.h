// LossMeter: a receiver's count of the datagrams it missed in the current
// pass, from the gaps in their 16-bit sequence numbers (like RTP's). The
// server uses it, several times a second, to size parity and pace the send
// before the pass ends. Pure logic; one thread.
#ifndef FLEETCAST_CORE_LOSS_METER_H_
#define FLEETCAST_CORE_LOSS_METER_H_

#include <cstdint>

namespace fleetcast {

class LossMeter {
 public:
  /// A datagram of pass `pass` with sequence number `seq` arrived. A new
  /// pass starts the counts afresh.
  void Observe(uint32_t pass, uint16_t seq);

  uint32_t pass() const { return pass_; }
  uint64_t received() const { return received_; }
  /// Sequence numbers skipped so far (late arrivals are not subtracted:
  /// reordering is rare on a LAN and only overstates loss a little).
  uint64_t lost() const { return lost_; }

 private:
  uint32_t pass_ = 0;
  bool started_ = false;
  uint16_t highest_ = 0;
  uint64_t received_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_LOSS_METER_H_
