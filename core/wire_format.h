// The data plane's datagram: a fixed 24-byte header, a shard of a chunk's
// stored bytes (none in a pass end), and a 16-byte AEAD tag that proves the
// server sent it (core/datagram_seal.h). docs/protocol.md has the grammar and
// a worked example.
//
//   magic      2 bytes  'F' 'C'
//   version    fixed8   kWireVersion
//   type       fixed8   DatagramType
//   session    fixed32  the server's random session id; others are ignored
//   chunk      fixed32  chunk index in the image
//   block      fixed16  FEC block in the chunk (core/fec_layout.h)
//   shard      fixed8   shard index in the block: < k data, >= k parity
//   k          fixed8   data shards in the block (a check on the layout)
//   pass       fixed32  the send pass this datagram belongs to
//   length     fixed16  payload bytes after the header
//   seq        fixed16  the datagram's number in its pass, mod 2^16 (loss meter)
//   payload    `length` bytes (clear, or ciphertext with serve --encrypt)
//   tag        16 bytes  XChaCha20-Poly1305 tag over header and payload
//
// Version 2 added the tag; a version 1 datagram is refused as unsupported.
#ifndef FLEETCAST_CORE_WIRE_FORMAT_H_
#define FLEETCAST_CORE_WIRE_FORMAT_H_

#include <cstdint>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast::wire {

constexpr uint8_t kMagic0 = 'F';
constexpr uint8_t kMagic1 = 'C';
constexpr uint8_t kWireVersion = 2;
/// The AEAD tag after the payload (core/datagram_seal.h).
constexpr size_t kTagLength = 16;

enum class DatagramType : uint8_t {
  kInvalid = 0,
  kShard = 1,    // payload: one shard
  kPassEnd = 2,  // no payload: the pass's last datagram was sent
  kProbe = 3,    // netcheck test traffic (core/probe_datagram.h)
};

struct DatagramHeader {
  static constexpr size_t kEncodedLength = 2 + 1 + 1 + 4 + 4 + 2 + 1 + 1 + 4 + 2 + 2;
  static_assert(kEncodedLength == 24);

  DatagramType type = DatagramType::kShard;
  uint32_t session = 0;
  uint32_t chunk = 0;
  uint16_t block = 0;
  uint8_t shard = 0;
  uint8_t k = 0;
  uint32_t pass = 0;
  uint16_t length = 0;
  uint16_t seq = 0;

  bool operator==(const DatagramHeader&) const = default;

  /// Writes kEncodedLength bytes at dst.
  void EncodeTo(uint8_t* dst) const;
  /// Checks length, magic, version, type and that `length` payload bytes and
  /// a tag follow. The tag is checked by DatagramSeal::Open.
  static Result<DatagramHeader> DecodeFrom(ByteView datagram);
};

/// IPv4 + UDP header bytes, for turning an MTU into a payload size.
constexpr uint32_t kIpUdpOverhead = 20 + 8;
/// IPv6 (its fixed header; the data plane adds no extension header) + UDP.
constexpr uint32_t kIp6UdpOverhead = 40 + 8;

/// Shard bytes that fit one datagram at this MTU: 1432 at 1500 over IPv4,
/// 1412 over IPv6 (`ip_udp_overhead` kIp6UdpOverhead).
constexpr uint32_t ShardSizeForMtu(uint32_t mtu, uint32_t ip_udp_overhead = kIpUdpOverhead) {
  return mtu - ip_udp_overhead - static_cast<uint32_t>(DatagramHeader::kEncodedLength) -
         static_cast<uint32_t>(kTagLength);
}
static_assert(ShardSizeForMtu(1500) == 1432);
static_assert(ShardSizeForMtu(1500, kIp6UdpOverhead) == 1412);

}  // namespace fleetcast::wire

#endif  // FLEETCAST_CORE_WIRE_FORMAT_H_
