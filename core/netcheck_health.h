// The multicast health checks of a netcheck: from what each receiver saw of
// its segment (an IGMP/MLD querier, its interface's MTU) and what arrived, the
// findings that say what is wrong and what to change, one line each: no
// querier heard (snooping switches age the group out and the stream stalls),
// a group that reaches no receiver at all, a receiver whose interface MTU is
// smaller than the check's packets. Pure logic.
#ifndef FLEETCAST_CORE_NETCHECK_HEALTH_H_
#define FLEETCAST_CORE_NETCHECK_HEALTH_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fleetcast::netcheck {

struct Netcheck;
struct ReceiverResult;

/// Whether a receiver heard a membership query (IGMP type 0x11, or MLD
/// type 130 for an IPv6 group) on its interface during the check.
enum class Querier : uint8_t {
  kUnknown = 0,   // not watched: a client from before this field, or loopback (no switch)
  kNotSeen = 1,   // watched the whole check, heard none
  kSeen = 2,      // heard one (from querier_address)
  kNoAccess = 3,  // could not watch: no raw socket (the client lacks CAP_NET_RAW)
};

/// What a receiver saw of its segment, besides the test datagrams.
struct ReceiverHealth {
  Querier querier = Querier::kUnknown;
  std::string querier_address;  // the query's source when seen ("0.0.0.0": a switch's own)
  uint32_t listened_ms = 0;     // how long it watched for a query
  std::string interface;        // the interface it joined on ("": unknown)
  uint32_t mtu = 0;             // that interface's MTU; 0: unknown
  bool operator==(const ReceiverHealth&) const = default;
};

/// True if `packet` is a membership query: over IPv4 a whole IP packet as a
/// raw IGMP socket reads it (header, then IGMP type 0x11); over IPv6 an
/// ICMPv6 message as a raw ICMPv6 socket reads it (type 130).
bool IsMembershipQuery(std::span<const uint8_t> packet, bool ipv6);

/// "unknown", "not seen", "seen", "no access": for the JSON and the table.
std::string QuerierText(Querier q);

/// The largest packet the check sends (datagram plus IP and UDP headers).
uint32_t LargestPacket(const Netcheck& check);

/// True if `r`'s interface MTU is known and smaller than the check's
/// largest packet: its findings come from MtuFinding, not from loss.
bool MtuTooSmall(const Netcheck& check, const ReceiverResult& r);

/// The line naming `r` and the command that fixes its MTU, or "".
std::string MtuFinding(const Netcheck& check, const ReceiverResult& r);

/// The querier finding (none heard, or none could be watched), or "".
std::string QuerierFinding(const Netcheck& check);

/// The line for a group that reached no receiver at any rate step while
/// the server sent datagrams, or "".
std::string UnreachedGroupFinding(const Netcheck& check);

/// Every health finding: the unreached group, the querier, then one MTU
/// line per receiver with too small an MTU.
std::vector<std::string> HealthFindings(const Netcheck& check);

}  // namespace fleetcast::netcheck

#endif  // FLEETCAST_CORE_NETCHECK_HEALTH_H_
