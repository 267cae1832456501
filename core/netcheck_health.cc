#include "core/netcheck_health.h"

#include <algorithm>
#include <cstdio>

#include "core/host_port.h"
#include "core/netcheck_report.h"
#include "core/wire_format.h"

namespace fleetcast::netcheck {

namespace {

// A querier asks this often unless configured otherwise (RFC 3376 8.2, RFC
// 3810 9.2), and a snooping switch forgets a group this long after the last
// report (the Group Membership Interval: 2 x 125 s + 10 s).
constexpr uint32_t kDefaultQueryIntervalMs = 125'000;

bool IsIpv6(const Netcheck& check) { return check.group.find(':') != std::string::npos; }

const char* QueryProtocol(const Netcheck& check) { return IsIpv6(check) ? "MLD" : "IGMP"; }

std::string Seconds(uint32_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), ms < 10'000 ? "%.1f s" : "%.0f s", ms / 1000.0);
  return buf;
}

bool GotNothing(const Netcheck& check, const ReceiverResult& r) {
  for (size_t i = 0; i < check.steps.size() && i < r.steps.size(); ++i) {
    if (!check.steps[i].jumbo && r.steps[i].received > 0) return false;
  }
  return true;
}

uint64_t SentAtRateSteps(const Netcheck& check) {
  uint64_t sent = 0;
  for (const ReceiverResult& r : check.receivers) {
    for (size_t i = 0; i < check.steps.size() && i < r.steps.size(); ++i) {
      if (!check.steps[i].jumbo) sent += r.steps[i].sent;
    }
  }
  return sent;
}

std::string NodeList(const std::vector<std::string>& nodes) {
  std::string out;
  for (const std::string& n : nodes) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

bool IsMembershipQuery(std::span<const uint8_t> packet, bool ipv6) {
  constexpr uint8_t kIgmpQuery = 0x11;
  constexpr uint8_t kMldQuery = 130;
  if (ipv6) return !packet.empty() && packet[0] == kMldQuery;
  // IPv4, protocol 2 (IGMP); the header is IHL 32-bit words long.
  if (packet.size() < 20 || packet[0] >> 4 != 4 || packet[9] != 2) return false;
  const size_t header = size_t{packet[0] & 0x0fu} * 4;
  return header >= 20 && packet.size() > header && packet[header] == kIgmpQuery;
}

std::string QuerierText(Querier q) {
  switch (q) {
    case Querier::kNotSeen:
      return "not seen";
    case Querier::kSeen:
      return "seen";
    case Querier::kNoAccess:
      return "no access";
    case Querier::kUnknown:
      break;
  }
  return "unknown";
}

uint32_t LargestPacket(const Netcheck& check) {
  uint32_t largest = 0;
  for (const Step& s : check.steps) largest = std::max(largest, s.datagram_bytes);
  return largest + (IsIpv6(check) ? wire::kIp6UdpOverhead : wire::kIpUdpOverhead);
}

bool MtuTooSmall(const Netcheck& check, const ReceiverResult& r) {
  return r.health.mtu != 0 && !check.steps.empty() && r.health.mtu < LargestPacket(check);
}

std::string MtuFinding(const Netcheck& check, const ReceiverResult& r) {
  if (!MtuTooSmall(check, r)) return "";
  const std::string interface = r.health.interface.empty() ? "IF" : r.health.interface;
  const std::string largest = std::to_string(LargestPacket(check));
  return r.node + " has MTU " + std::to_string(r.health.mtu) + " on " + interface +
         ", smaller than the check's " + largest +
         "-byte packets, which it cannot receive; raise it: ip link set " + interface + " mtu " +
         largest + " (and its switch port to match)";
}

std::string QuerierFinding(const Netcheck& check) {
  uint32_t listened_ms = 0;
  size_t not_seen = 0;
  std::vector<std::string> no_access;
  for (const ReceiverResult& r : check.receivers) {
    if (r.health.querier == Querier::kSeen) return "";
    if (r.health.querier == Querier::kNotSeen) {
      ++not_seen;
      listened_ms = std::max(listened_ms, r.health.listened_ms);
    }
    if (r.health.querier == Querier::kNoAccess) no_access.push_back(r.node);
  }
  const std::string protocol = QueryProtocol(check);
  if (not_seen > 0) {
    // A check shorter than a query interval can miss a querier that is there.
    const std::string hedge =
        listened_ms >= kDefaultQueryIntervalMs
            ? ""
            : " (a querier asks every 125 s by default: a check this short may miss it)";
    return "no " + protocol + " querier heard on the segment: no receiver got a membership query " +
           "in the " + Seconds(listened_ms) + " it listened" + hedge +
           "; snooping switches then age the group out after ~260 s and the stream stalls; "
           "enable an " +
           protocol + " querier on the switch (or on a router for this VLAN), or turn " + protocol +
           " snooping off";
  }
  if (no_access.empty()) return "";
  return "could not check for an " + protocol + " querier: " + NodeList(no_access) +
         " cannot open a raw socket; run fleetcast-client as root or give it CAP_NET_RAW";
}

std::string UnreachedGroupFinding(const Netcheck& check) {
  if (check.receivers.empty() || SentAtRateSteps(check) == 0) return "";
  size_t explained = 0;  // by a too small MTU: their own line says so
  for (const ReceiverResult& r : check.receivers) {
    if (!GotNothing(check, r)) return "";
    if (MtuTooSmall(check, r)) ++explained;
  }
  if (explained == check.receivers.size()) return "";
  const std::string port = std::to_string(check.port);
  const std::string protocol = QueryProtocol(check);
  return "no receiver got any test datagram on group " + JoinHostPort(check.group, check.port) +
         ": the switch drops the group (" + protocol +
         " snooping without a querier, a multicast filter or ACL) or a host firewall blocks UDP "
         "port " +
         port + "; check the switch's multicast settings and the receivers' firewalls";
}

std::vector<std::string> HealthFindings(const Netcheck& check) {
  std::vector<std::string> out;
  for (std::string line : {UnreachedGroupFinding(check), QuerierFinding(check)}) {
    if (!line.empty()) out.push_back(std::move(line));
  }
  for (const ReceiverResult& r : check.receivers) {
    std::string line = MtuFinding(check, r);
    if (!line.empty()) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace fleetcast::netcheck
