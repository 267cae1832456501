// The outcome of a netcheck, and what it shows: each receiver's knee (the
// highest offered rate before its loss rises clearly above its floor), the
// receivers that lose much more than the rest with the likely cause, and
// three renderings: a table for the terminal, JSON, and an SVG plot of loss
// against offered rate. Pure logic (text in, text out).
#ifndef FLEETCAST_CORE_NETCHECK_REPORT_H_
#define FLEETCAST_CORE_NETCHECK_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/netcheck_health.h"
#include "core/netcheck_stats.h"

namespace fleetcast::netcheck {

/// One step of the check, as the server ran it.
struct Step {
  uint64_t offered_bits = 0;  // the rate asked for, wire bits per second
  uint64_t sent_bits = 0;     // the rate the server achieved
  uint32_t datagram_bytes = 0;
  bool jumbo = false;  // the jumbo step: does a datagram of --mtu arrive?
};

/// One receiver's figures, one per step (in the order of Netcheck::steps).
struct ReceiverResult {
  std::string node;
  std::vector<StepStats> steps;
  ReceiverHealth health = {};  // its querier and MTU (core/netcheck_health.h)
};

struct Netcheck {
  std::vector<Step> steps;  // rate steps in increasing rate, then the jumbo step if any
  double duration_s = 0;    // per rate step
  uint32_t mtu = 1500;
  std::vector<ReceiverResult> receivers;
  std::string group = {};  // the test traffic's, for the health findings
  uint16_t port = 0;
};

/// found: the loss at the step after `rate_bits` is clearly above the floor.
/// Not found: no step rose above it; rate_bits is the highest rate tested.
/// found with rate_bits 0: even the lowest rate lost more than the floor.
struct Knee {
  bool found = false;
  uint64_t rate_bits = 0;
  double floor = 0;  // the lowest loss over the rate steps
};

/// The loss above which a step's loss is "clearly" above `floor`, where
/// the fewer datagrams of the step and the floor's step is `sent`: the floor
/// plus half a point, or four standard deviations of the floor's binomial
/// noise over `sent` if that is more.
double RiseThreshold(double floor, uint64_t sent);

Knee FindKnee(const Netcheck& check, const ReceiverResult& receiver);

/// One line per receiver that loses much more than the rest, naming it and
/// the likely cause; jumbo datagrams that do not arrive, too; then the
/// health findings (HealthFindings).
std::vector<std::string> Findings(const Netcheck& check);

/// "100M", "1G", "2.5G": a rate for tables and axes.
std::string RateText(uint64_t bits);
/// "100 Mbit/s": a rate in a sentence.
std::string RateWords(uint64_t bits);

/// The terminal table: loss per offered rate, knee, longest burst,
/// reordering and jumbo per receiver; then the findings.
std::string TableText(const Netcheck& check);
/// The JSON document (--json), indented.
std::string JsonText(const Netcheck& check);
/// A standalone SVG: loss (%) against offered rate (log scale) per
/// receiver, knees marked, with axes and a legend.
std::string SvgPlot(const Netcheck& check);

}  // namespace fleetcast::netcheck

#endif  // FLEETCAST_CORE_NETCHECK_REPORT_H_
