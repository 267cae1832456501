#include "core/wire_format.h"

#include <string>

namespace fleetcast::wire {

void DatagramHeader::EncodeTo(uint8_t* dst) const {
  dst[0] = kMagic0;
  dst[1] = kMagic1;
  dst[2] = kWireVersion;
  dst[3] = static_cast<uint8_t>(type);
  EncodeFixed32(dst + 4, session);
  EncodeFixed32(dst + 8, chunk);
  EncodeFixed16(dst + 12, block);
  dst[14] = shard;
  dst[15] = k;
  EncodeFixed32(dst + 16, pass);
  EncodeFixed16(dst + 20, length);
  EncodeFixed16(dst + 22, seq);
}

Result<DatagramHeader> DatagramHeader::DecodeFrom(ByteView d) {
  if (d.size() < kEncodedLength) {
    return Status::Corruption("datagram: " + std::to_string(d.size()) +
                              " bytes, shorter than a header");
  }
  if (d[0] != kMagic0 || d[1] != kMagic1) return Status::Corruption("datagram: bad magic");
  if (d[2] != kWireVersion) {
    return Status::NotSupported("datagram: version " + std::to_string(d[2]));
  }
  DatagramHeader h;
  h.type = static_cast<DatagramType>(d[3]);
  if (h.type != DatagramType::kShard && h.type != DatagramType::kPassEnd &&
      h.type != DatagramType::kProbe) {
    return Status::Corruption("datagram: unknown type " + std::to_string(d[3]));
  }
  h.session = DecodeFixed32(d.data() + 4);
  h.chunk = DecodeFixed32(d.data() + 8);
  h.block = DecodeFixed16(d.data() + 12);
  h.shard = d[14];
  h.k = d[15];
  h.pass = DecodeFixed32(d.data() + 16);
  h.length = DecodeFixed16(d.data() + 20);
  h.seq = DecodeFixed16(d.data() + 22);
  if (d.size() != kEncodedLength + h.length + kTagLength) {
    return Status::Corruption("datagram: length " + std::to_string(h.length) + " but " +
                              std::to_string(d.size() - kEncodedLength) +
                              " bytes of payload and tag");
  }
  return h;
}

}  // namespace fleetcast::wire
