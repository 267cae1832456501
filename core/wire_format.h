// The data plane's datagram: a fixed 24-byte header and a shard of a chunk's
// stored bytes. docs/protocol.md has the grammar and a worked example.
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
#ifndef FLEETCAST_CORE_WIRE_FORMAT_H_
#define FLEETCAST_CORE_WIRE_FORMAT_H_

#include <cstdint>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast::wire {

constexpr uint8_t kMagic0 = 'F';
constexpr uint8_t kMagic1 = 'C';
constexpr uint8_t kWireVersion = 1;

enum class DatagramType : uint8_t {
  kInvalid = 0,
  kShard = 1,    // payload: one shard
  kPassEnd = 2,  // no payload: the pass's last datagram was sent
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
  /// Checks length, magic, version, type and that `length` bytes follow.
  static Result<DatagramHeader> DecodeFrom(ByteView datagram);
};

/// IPv4 + UDP header bytes, for turning an MTU into a payload size.
constexpr uint32_t kIpUdpOverhead = 20 + 8;

/// Shard bytes that fit one datagram at this MTU.
constexpr uint32_t ShardSizeForMtu(uint32_t mtu) {
  return mtu - kIpUdpOverhead - static_cast<uint32_t>(DatagramHeader::kEncodedLength);
}

}  // namespace fleetcast::wire

#endif  // FLEETCAST_CORE_WIRE_FORMAT_H_
