#include "core/probe_datagram.h"

#include <algorithm>

namespace fleetcast::netcheck {

void EncodeProbe(uint32_t session, const Probe& probe, size_t datagram_bytes, Bytes* out) {
  datagram_bytes = std::max(datagram_bytes, kMinProbeBytes);
  const size_t payload = datagram_bytes - wire::DatagramHeader::kEncodedLength - wire::kTagLength;
  wire::DatagramHeader h;
  h.type = wire::DatagramType::kProbe;
  h.session = session;
  h.chunk = probe.seq;
  h.pass = probe.step;
  h.seq = static_cast<uint16_t>(probe.seq);
  h.length = static_cast<uint16_t>(payload);
  out->assign(datagram_bytes, 0);
  h.EncodeTo(out->data());
  EncodeFixed64(out->data() + wire::DatagramHeader::kEncodedLength, probe.send_ns);
}

Result<Probe> DecodeProbe(const wire::DatagramHeader& header, ByteView payload) {
  if (header.type != wire::DatagramType::kProbe) {
    return Status::Corruption("probe: not a probe datagram");
  }
  if (payload.size() < 8) return Status::Corruption("probe: payload shorter than a send time");
  if (header.seq != static_cast<uint16_t>(header.chunk)) {
    return Status::Corruption("probe: seq and its low bits disagree");
  }
  return Probe{header.pass, header.chunk, DecodeFixed64(payload.data())};
}

wire::DatagramHeader EndHeader(uint32_t session, uint32_t steps) {
  wire::DatagramHeader h;
  h.type = wire::DatagramType::kPassEnd;
  h.session = session;
  h.pass = steps;
  return h;
}

}  // namespace fleetcast::netcheck
