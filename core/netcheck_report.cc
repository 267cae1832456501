#include "core/netcheck_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace fleetcast::netcheck {

namespace {

// A receiver loses "much more than the rest" at a step when it loses at
// least this much more than the others' median, and this many times it.
constexpr double kOutlierPoints = 0.01;
constexpr double kOutlierRatio = 3;

std::string Num(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Pad(const std::string& s, size_t width, bool left = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return left ? s + fill : fill + s;
}

// "0%", "<0.1%", "12.3%": loss in findings.
std::string Percent(double loss) {
  if (loss <= 0) return "0%";
  if (loss < 0.001) return "<0.1%";
  return Num("%.1f%%", loss * 100);
}

std::vector<size_t> RateSteps(const Netcheck& check) {
  std::vector<size_t> out;
  for (size_t i = 0; i < check.steps.size(); ++i) {
    if (!check.steps[i].jumbo) out.push_back(i);
  }
  return out;
}

// The jumbo step's index, or SIZE_MAX.
size_t JumboStep(const Netcheck& check) {
  for (size_t i = 0; i < check.steps.size(); ++i) {
    if (check.steps[i].jumbo) return i;
  }
  return SIZE_MAX;
}

const StepStats* StatsAt(const ReceiverResult& r, size_t step) {
  return step < r.steps.size() ? &r.steps[step] : nullptr;
}

bool ReceivedNothing(const Netcheck& check, const ReceiverResult& r) {
  for (size_t i : RateSteps(check)) {
    const StepStats* s = StatsAt(r, i);
    if (s != nullptr && s->received > 0) return false;
  }
  return true;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The others' median loss at `step`, leaving out receiver `self`.
double OthersLoss(const Netcheck& check, size_t self, size_t step) {
  std::vector<double> losses;
  for (size_t j = 0; j < check.receivers.size(); ++j) {
    const StepStats* s = StatsAt(check.receivers[j], step);
    if (j != self && s != nullptr) losses.push_back(s->loss());
  }
  return Median(losses);
}

bool IsOutlier(double loss, double others) {
  return loss - others >= kOutlierPoints && loss >= kOutlierRatio * others;
}

// The line naming receiver `i` if it loses much more than the rest, or "".
std::string OutlierLine(const Netcheck& check, size_t i) {
  const ReceiverResult& r = check.receivers[i];
  if (ReceivedNothing(check, r)) {
    // A too small MTU or a group that reaches no one has a line of its own.
    if (MtuTooSmall(check, r) || !UnreachedGroupFinding(check).empty()) return "";
    return r.node +
           " received none of the test datagrams: the group does not reach it; check that its "
           "switch port forwards multicast (IGMP snooping) and that it listens on the right "
           "interface";
  }
  const std::vector<size_t> steps = RateSteps(check);
  size_t worst = SIZE_MAX;
  double worst_gap = 0;
  bool at_lowest = false;
  for (size_t k = 0; k < steps.size(); ++k) {
    const StepStats* s = StatsAt(r, steps[k]);
    if (s == nullptr) continue;
    const double others = OthersLoss(check, i, steps[k]);
    if (!IsOutlier(s->loss(), others)) continue;
    if (k == 0) at_lowest = true;
    if (s->loss() - others > worst_gap) {
      worst_gap = s->loss() - others;
      worst = steps[k];
    }
  }
  if (worst == SIZE_MAX) return "";
  const std::string cause =
      at_lowest ? "its port, cable or NIC; check its link's error counters (ip -s link, ethtool "
                  "-S) and its cable"
                : "its link is slower than the others' or the host cannot keep up; check its "
                  "link speed (ethtool) and its load";
  return r.node + " loses " + Percent(r.steps[worst].loss()) + " at " +
         RateWords(check.steps[worst].offered_bits) + " where the others lose " +
         Percent(OthersLoss(check, i, worst)) + ": " + cause;
}

std::vector<std::string> JumboFindings(const Netcheck& check) {
  const size_t j = JumboStep(check);
  if (j == SIZE_MAX) return {};
  std::vector<std::string> missing;
  size_t with_traffic = 0;
  for (const ReceiverResult& r : check.receivers) {
    if (ReceivedNothing(check, r)) continue;
    ++with_traffic;
    const StepStats* s = StatsAt(r, j);
    if ((s == nullptr || s->received == 0) && !MtuTooSmall(check, r)) missing.push_back(r.node);
  }
  const std::string size = std::to_string(check.steps[j].datagram_bytes);
  const std::string mtu = std::to_string(check.mtu);
  if (missing.empty()) return {};
  if (missing.size() == with_traffic) {
    return {"no receiver got a jumbo datagram (" + size + " bytes, --mtu " + mtu +
            "): the switch or a link on the way passes no frames that large; set MTU " + mtu +
            " on every host and switch port, or deploy with --mtu 1500"};
  }
  const std::string why = " gets no jumbo datagrams (" + size +
                          " bytes) while the others do: its interface or switch port has an MTU "
                          "under " +
                          mtu + "; set it to " + mtu;
  std::vector<std::string> out;
  out.reserve(missing.size());
  for (const std::string& node : missing) out.push_back(node + why);
  return out;
}

std::string KneeText(const Netcheck& check, const ReceiverResult& r) {
  if (ReceivedNothing(check, r)) return "-";
  const Knee k = FindKnee(check, r);
  if (!k.found) return ">=" + RateText(k.rate_bits);
  return k.rate_bits == 0 ? "<" + RateText(check.steps.front().offered_bits)
                          : RateText(k.rate_bits);
}

// The longest burst at the rates up to the knee (above it, loss is the
// link's limit, not a fault).
uint64_t UsableBurst(const Netcheck& check, const ReceiverResult& r) {
  const Knee k = FindKnee(check, r);
  uint64_t burst = 0;
  for (size_t i : RateSteps(check)) {
    const StepStats* s = StatsAt(r, i);
    if (s != nullptr && check.steps[i].offered_bits <= k.rate_bits) {
      burst = std::max(burst, s->longest_burst);
    }
  }
  return burst;
}

std::string JumboText(const StepStats* s) {
  if (s == nullptr || s->received == 0) return "LOST";
  if (s->received >= s->sent) return "ok";
  return std::to_string(s->received) + "/" + std::to_string(s->sent);
}

}  // namespace

double RiseThreshold(double floor, uint64_t sent) {
  double noise = 0;
  if (sent > 0) {
    const double n = static_cast<double>(sent);
    noise = 4 * std::sqrt(std::max(floor, 1 / n) * (1 - floor) / n);
  }
  return floor + std::max(0.005, noise);
}

Knee FindKnee(const Netcheck& check, const ReceiverResult& receiver) {
  Knee k;
  const std::vector<size_t> steps = RateSteps(check);
  if (steps.empty()) return k;
  k.floor = 1;
  uint64_t floor_sent = 0;  // the floor is measured as noisily as this step was
  for (size_t i : steps) {
    const StepStats* s = StatsAt(receiver, i);
    if (s != nullptr && s->sent > 0 && (floor_sent == 0 || s->loss() < k.floor)) {
      k.floor = s->loss();
      floor_sent = s->sent;
    }
  }
  k.rate_bits = check.steps[steps.back()].offered_bits;
  for (size_t n = 0; n < steps.size(); ++n) {
    const StepStats* s = StatsAt(receiver, steps[n]);
    if (s == nullptr || s->sent == 0 ||
        s->loss() <= RiseThreshold(k.floor, std::min(s->sent, floor_sent))) {
      continue;
    }
    k.found = true;
    k.rate_bits = n == 0 ? 0 : check.steps[steps[n - 1]].offered_bits;
    break;
  }
  return k;
}

std::vector<std::string> Findings(const Netcheck& check) {
  std::vector<std::string> out;
  for (size_t i = 0; i < check.receivers.size(); ++i) {
    // One receiver alone cannot lose more than the rest, only nothing at all.
    if (check.receivers.size() < 2 && !ReceivedNothing(check, check.receivers[i])) continue;
    std::string line = OutlierLine(check, i);
    if (!line.empty()) out.push_back(std::move(line));
  }
  for (std::string& line : JumboFindings(check)) out.push_back(std::move(line));
  for (std::string& line : HealthFindings(check)) out.push_back(std::move(line));
  return out;
}

std::string RateText(uint64_t bits) {
  // Rounded to three digits before the unit is chosen: 999.6M is "1G", not
  // "1e+03M".
  double v = static_cast<double>(bits);
  if (v > 0) {
    const double scale = std::pow(10.0, std::floor(std::log10(v)) - 2);
    v = std::round(v / scale) * scale;
  }
  if (v >= 1e9) return Num("%.3g", v / 1e9) + "G";
  if (v >= 1e6) return Num("%.3g", v / 1e6) + "M";
  if (v >= 1e3) return Num("%.3g", v / 1e3) + "k";
  return std::to_string(bits);
}

std::string RateWords(uint64_t bits) {
  std::string text = RateText(bits);
  const char unit = text.back();
  if (unit == 'G' || unit == 'M' || unit == 'k') {
    text.pop_back();
    return text + " " + unit + "bit/s";
  }
  return text + " bit/s";
}

std::string TableText(const Netcheck& check) {
  const std::vector<size_t> steps = RateSteps(check);
  const size_t jumbo = JumboStep(check);
  size_t name_width = 8;
  for (const ReceiverResult& r : check.receivers) name_width = std::max(name_width, r.node.size());
  name_width += 2;
  const uint32_t bytes = steps.empty() ? 0 : check.steps[steps.front()].datagram_bytes;
  std::string out = "netcheck: " + std::to_string(check.receivers.size()) + " receivers, " +
                    std::to_string(steps.size()) +
                    (steps.size() == 1 ? " rate step" : " rate steps") + " of " +
                    Num("%g", check.duration_s) + " s, " + std::to_string(bytes) +
                    "-byte datagrams; loss per offered rate (bit/s on the wire)\n";
  out += Pad("receiver", name_width, true);
  for (size_t i : steps) out += Pad(RateText(check.steps[i].offered_bits), 9);
  out += Pad("knee", 9) + Pad("burst", 7) + Pad("reordered", 11);
  if (jumbo != SIZE_MAX) out += Pad("jumbo", 8);
  out += "\n" + Pad("(sent)", name_width, true);
  for (size_t i : steps) out += Pad(RateText(check.steps[i].sent_bits), 9);
  out += "\n";
  for (const ReceiverResult& r : check.receivers) {
    out += Pad(r.node, name_width, true);
    uint64_t reordered = 0;
    for (size_t i : steps) {
      const StepStats* s = StatsAt(r, i);
      out += Pad(s == nullptr ? "-" : Num("%.2f%%", s->loss() * 100), 9);
      if (s != nullptr) reordered += s->reordered;
    }
    out += Pad(KneeText(check, r), 9) + Pad(std::to_string(UsableBurst(check, r)), 7) +
           Pad(std::to_string(reordered), 11);
    if (jumbo != SIZE_MAX) out += Pad(JumboText(StatsAt(r, jumbo)), 8);
    out += "\n";
  }
  for (const std::string& line : Findings(check)) out += "! " + line + "\n";
  return out;
}

std::string JsonText(const Netcheck& check) {
  using nlohmann::ordered_json;
  ordered_json steps = ordered_json::array();
  for (const Step& s : check.steps) {
    steps.push_back({{"offered_bits", s.offered_bits},
                     {"sent_bits", s.sent_bits},
                     {"datagram_bytes", s.datagram_bytes},
                     {"jumbo", s.jumbo}});
  }
  ordered_json receivers = ordered_json::array();
  for (size_t i = 0; i < check.receivers.size(); ++i) {
    const ReceiverResult& r = check.receivers[i];
    const Knee k = FindKnee(check, r);
    ordered_json per_step = ordered_json::array();
    for (const StepStats& s : r.steps) {
      per_step.push_back({{"sent", s.sent},
                          {"received", s.received},
                          {"lost", s.lost()},
                          {"loss", s.loss()},
                          {"longest_burst", s.longest_burst},
                          {"reordered", s.reordered},
                          {"duplicates", s.duplicates},
                          {"received_bits", s.rate_bits},
                          {"jitter_us", static_cast<double>(s.jitter_ns) / 1000}});
    }
    const std::string outlier = OutlierLine(check, i);
    const size_t j = JumboStep(check);
    const StepStats* jumbo = j == SIZE_MAX ? nullptr : StatsAt(r, j);
    receivers.push_back(
        {{"node", r.node},
         {"knee", {{"found", k.found}, {"rate_bits", k.rate_bits}, {"floor", k.floor}}},
         {"jumbo_ok", j == SIZE_MAX ? ordered_json(nullptr)
                                    : ordered_json(jumbo != nullptr && jumbo->received > 0)},
         {"outlier", outlier.empty() ? ordered_json(nullptr) : ordered_json(outlier)},
         {"querier", QuerierText(r.health.querier)},
         {"querier_address", r.health.querier_address.empty()
                                 ? ordered_json(nullptr)
                                 : ordered_json(r.health.querier_address)},
         {"listened_ms", r.health.listened_ms},
         {"interface", r.health.interface},
         {"interface_mtu", r.health.mtu == 0 ? ordered_json(nullptr) : ordered_json(r.health.mtu)},
         {"steps", per_step}});
  }
  const ordered_json doc = {{"duration_s", check.duration_s},
                            {"mtu", check.mtu},
                            {"steps", steps},
                            {"receivers", receivers},
                            {"findings", Findings(check)}};
  return doc.dump(2) + "\n";
}

}  // namespace fleetcast::netcheck
