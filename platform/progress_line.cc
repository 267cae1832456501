#include "platform/progress_line.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fleetcast {

namespace {

bool ProgressWanted() {
  const char* env = std::getenv("FLEETCAST_PROGRESS");
  if (env != nullptr && std::strcmp(env, "always") == 0) return true;
  if (env != nullptr && std::strcmp(env, "never") == 0) return false;
  return ::isatty(STDERR_FILENO) == 1;
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < sizeof(kUnits) / sizeof(kUnits[0])) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string HumanDuration(double seconds) {
  const long s = seconds < 0 ? 0 : std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

ProgressLine::ProgressLine(std::string verb, uint64_t total_bytes)
    : verb_(std::move(verb)),
      total_(total_bytes),
      enabled_(ProgressWanted()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressLine::~ProgressLine() {
  if (drawn_) std::fputs("\n", stderr);
}

double ProgressLine::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressLine::Update(uint64_t done_bytes, const std::string& extra) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  Draw(done_bytes, extra);
}

void ProgressLine::Finish(uint64_t done_bytes, const std::string& extra) {
  if (!enabled_) return;
  Draw(done_bytes, extra);
  std::fputs("\n", stderr);
  drawn_ = false;
}

void ProgressLine::Draw(uint64_t done_bytes, const std::string& extra) {
  const double secs = elapsed();
  const double mbps = secs > 0 ? static_cast<double>(done_bytes) / secs / 1e6 : 0;
  const double pct = total_ > 0 ? 100.0 * static_cast<double>(done_bytes) / total_ : 100.0;
  const double eta =
      done_bytes > 0 ? secs * static_cast<double>(total_ - done_bytes) / done_bytes : 0;
  std::fprintf(stderr, "\r\033[K%-7s %s/%s  %3.0f%%  %.1f MB/s  %s%sETA %s", verb_.c_str(),
               HumanBytes(done_bytes).c_str(), HumanBytes(total_).c_str(), pct, mbps, extra.c_str(),
               extra.empty() ? "" : "  ", HumanDuration(eta).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace fleetcast
