// ProgressLine: the live status line of a long job on a terminal, e.g.
//   pack   312.0/512.0 MiB  61%  402.3 MB/s  ratio 2.48  ETA 0:01
// Redrawn in place at most five times a second. Silent unless stderr is a
// terminal, or FLEETCAST_PROGRESS=always. One thread only.
#ifndef FLEETCAST_PLATFORM_PROGRESS_LINE_H_
#define FLEETCAST_PLATFORM_PROGRESS_LINE_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace fleetcast {

class ProgressLine {
 public:
  /// `verb` opens the line; total_bytes is the work's size, for % and ETA.
  ProgressLine(std::string verb, uint64_t total_bytes);
  ~ProgressLine();

  /// Reports done_bytes of the total; `extra` is shown after the rate.
  void Update(uint64_t done_bytes, const std::string& extra = "");
  /// Draws the final state and ends the line.
  void Finish(uint64_t done_bytes, const std::string& extra = "");

  /// Seconds since construction.
  double elapsed() const;

 private:
  void Draw(uint64_t done_bytes, const std::string& extra);

  std::string verb_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

/// "512.0 MiB", "3.1 GiB", "812 B": a size for people.
std::string HumanBytes(uint64_t bytes);
/// "m:ss" or "h:mm:ss".
std::string HumanDuration(double seconds);

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_PROGRESS_LINE_H_
