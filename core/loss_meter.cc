#include "core/loss_meter.h"

namespace fleetcast {

void LossMeter::Observe(uint32_t pass, uint16_t seq) {
  if (!started_ || pass != pass_) {
    if (started_ && pass < pass_) return;  // a straggler from an older pass
    *this = LossMeter();
    started_ = true;
    pass_ = pass;
    highest_ = seq;
    received_ = 1;
    return;
  }
  ++received_;
  // Forward distance modulo 2^16; a "backwards" one is a late or duplicate
  // datagram and moves nothing.
  const auto ahead = static_cast<uint16_t>(seq - highest_);
  if (ahead == 0 || ahead >= 0x8000) return;
  lost_ += ahead - 1u;
  highest_ = seq;
}

}  // namespace fleetcast
