// The image the datagram fuzzer receives into, shared with the seed
// generator so that seeds are shards that fit it: four 4 KiB chunks, three
// stored (one of two FEC blocks, one short, one of three shards), 512-byte
// shards, at most four data shards a block. Seeds are sealed with the
// fixture's data key, in authenticated mode, or encrypted where a seed's
// name says so.
//
// A fuzz input is a sequence of datagrams, each behind a fixed16 length;
// a length past the end takes what remains.
#ifndef FLEETCAST_FUZZ_DATAGRAM_FIXTURE_H_
#define FLEETCAST_FUZZ_DATAGRAM_FIXTURE_H_

#include <cstdint>
#include <vector>

#include "core/chunk_table.h"
#include "core/datagram_seal.h"

namespace fleetcast::fuzz {

constexpr uint32_t kShardSize = 512;
constexpr uint32_t kMaxDataShards = 4;
constexpr uint32_t kSession = 0x5eed0001;

inline wire::DataKey DatagramFixtureKey() {
  wire::DataKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x5e + 3 * i);
  return key;
}

inline ChunkTable DatagramFixtureTable() {
  const std::vector<ChunkEntry> entries = {
      {0, 4096, 0, 1, {}},
      {2, 700, 4096, 2, {}},
      {3, 1500, 4796, 3, {}},
  };
  return ChunkTable::Make(4 * 4096, 4096, entries).value();
}

}  // namespace fleetcast::fuzz

#endif  // FLEETCAST_FUZZ_DATAGRAM_FIXTURE_H_
