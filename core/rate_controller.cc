#include "core/rate_controller.h"

#include <algorithm>

namespace fleetcast {

bool RateController::OnInterval(double loss, uint64_t sent_bits_per_s) {
  const bool congested = floor_ >= 0 && loss > floor_ + kMargin && loss > floor_ * kFactor;
  // The floor follows lower losses at once and higher ones slowly, so one
  // congested interval does not become the new normal.
  if (floor_ < 0 || loss < floor_) {
    floor_ = loss;
  } else if (!congested) {
    floor_ += 0.1 * (loss - floor_);
  }
  const uint64_t before = rate_;
  if (congested) {
    const uint64_t base = rate_ == 0 ? sent_bits_per_s : std::min(rate_, sent_bits_per_s);
    rate_ = std::max(kMinRate, static_cast<uint64_t>(static_cast<double>(base) * kDecrease));
  } else if (rate_ != max_) {
    // Climb back: by a twentieth of the ceiling, or of the rate when there is none.
    const uint64_t step =
        static_cast<uint64_t>(kIncrease * static_cast<double>(max_ != 0 ? max_ : rate_));
    rate_ += std::max<uint64_t>(step, 1);
    if (max_ != 0 && rate_ >= max_) rate_ = max_;
    // Unlimited: once well past what the sender achieves, lift the limit.
    if (max_ == 0 && sent_bits_per_s > 0 && rate_ > 2 * sent_bits_per_s) rate_ = 0;
  }
  return rate_ != before;
}

}  // namespace fleetcast
