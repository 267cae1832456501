// RateController: the sender's pace, adapted to the receivers' loss. Random
// loss (a bad cable, a lossy port) is a floor that sending slower does not
// lower; congestion (a switch queue or a receiver's socket buffer overrun)
// shows as loss well above that floor. The controller learns the floor,
// cuts the rate by a quarter when an interval's loss rises clearly above
// it, and otherwise climbs back by a twentieth of the ceiling per interval.
// Pure logic; one thread.
#ifndef FLEETCAST_CORE_RATE_CONTROLLER_H_
#define FLEETCAST_CORE_RATE_CONTROLLER_H_

#include <cstdint>

namespace fleetcast {

class RateController {
 public:
  /// Loss this far above the floor (absolute) is congestion...
  static constexpr double kMargin = 0.02;
  /// ...as is loss above this many times the floor.
  static constexpr double kFactor = 2.0;
  static constexpr double kDecrease = 0.75;
  static constexpr double kIncrease = 0.05;
  /// Never slower than this, bits per second.
  static constexpr uint64_t kMinRate = 10'000'000;

  /// max_bits: the configured rate; 0 means no ceiling.
  explicit RateController(uint64_t max_bits) : max_(max_bits), rate_(max_bits) {}

  /// One interval: the typical (median) receiver's loss in it, and the rate
  /// the sender achieved in it. Returns true if the rate changed.
  bool OnInterval(double loss, uint64_t sent_bits_per_s);

  /// Bits per second to send at; 0 means as fast as possible.
  uint64_t rate() const { return rate_; }
  /// The random-loss floor learned so far.
  double floor() const { return floor_; }
  bool backed_off() const { return rate_ != max_; }

 private:
  uint64_t max_;
  uint64_t rate_;
  double floor_ = -1;  // unknown until the first interval
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_RATE_CONTROLLER_H_
