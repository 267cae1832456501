// Probe datagrams: the test traffic of `fleetcast-server netcheck`, framed and
// sealed like the data plane's datagrams (core/wire_format.h,
// core/datagram_seal.h) so they cross the LAN exactly as a deployment's do.
// docs/protocol.md ("Netcheck") has the layout.
//
//   header   type kProbe; chunk = seq (the datagram's number in its step,
//            from 0); pass = step (0-based); seq = low 16 bits of seq;
//            block, shard, k = 0
//   payload  send_ns fixed64 (the server's clock, ns since the check began),
//            then zeros up to the step's datagram size
//   tag      as every datagram's
//
// The end of the test traffic is three kPassEnd datagrams whose pass is the
// number of steps. Each header is sent once under its key (step and seq
// number every datagram), so the seal's nonce never repeats.
#ifndef FLEETCAST_CORE_PROBE_DATAGRAM_H_
#define FLEETCAST_CORE_PROBE_DATAGRAM_H_

#include <cstdint>

#include "core/coding.h"
#include "core/status.h"
#include "core/wire_format.h"

namespace fleetcast::netcheck {

/// The smallest probe datagram: header, send time, tag.
constexpr size_t kMinProbeBytes = wire::DatagramHeader::kEncodedLength + 8 + wire::kTagLength;

struct Probe {
  uint32_t step = 0;
  uint32_t seq = 0;
  uint64_t send_ns = 0;
  bool operator==(const Probe&) const = default;
};

/// Makes *out the unsealed probe datagram of `datagram_bytes` bytes (at
/// least kMinProbeBytes; the last kTagLength are for the seal).
void EncodeProbe(uint32_t session, const Probe& probe, size_t datagram_bytes, Bytes* out);

/// The probe in a datagram whose header decoded and whose tag verified;
/// Corruption if it is not a well-formed probe.
Result<Probe> DecodeProbe(const wire::DatagramHeader& header, ByteView payload);

/// The end marker: a kPassEnd datagram header whose pass is `steps`.
wire::DatagramHeader EndHeader(uint32_t session, uint32_t steps);

}  // namespace fleetcast::netcheck

#endif  // FLEETCAST_CORE_PROBE_DATAGRAM_H_
