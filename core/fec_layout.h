// ChunkLayout: how a stored chunk's bytes are cut into FEC blocks and shards
// on the wire. Sender and receiver compute it from the manifest's stored size
// and the session's shard size, so no datagram has to carry it.
//
// The chunk's n = ceil(stored_size / shard_length) data shards are spread
// over ceil(n / max_data_shards) blocks as evenly as possible (block sizes
// differ by at most one shard), so no block is a tiny tail that parity
// protects badly. Every shard of a chunk has the same length; the last data
// shard is zero-padded for coding and sent short.
#ifndef FLEETCAST_CORE_FEC_LAYOUT_H_
#define FLEETCAST_CORE_FEC_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "core/chunk_table.h"

namespace fleetcast::fec {

/// Reed-Solomon over GF(2^8): data + parity shards of one block.
constexpr uint32_t kMaxShardsPerBlock = 255;

struct BlockSpan {
  uint64_t offset = 0;       // first byte of the stored chunk in this block
  uint32_t length = 0;       // bytes of the stored chunk in this block
  uint32_t data_shards = 0;  // k of this block
};

class ChunkLayout {
 public:
  ChunkLayout() = default;
  /// stored_size > 0, shard_size > 0, 1 <= max_data_shards < 255.
  ChunkLayout(uint32_t stored_size, uint32_t shard_size, uint32_t max_data_shards);

  uint32_t shard_length() const { return shard_length_; }
  uint32_t block_count() const { return static_cast<uint32_t>(blocks_.size()); }
  const BlockSpan& block(uint32_t i) const { return blocks_[i]; }
  const std::vector<BlockSpan>& blocks() const { return blocks_; }
  /// Parity shards a block can have besides its data shards.
  uint32_t parity_capacity(uint32_t i) const { return kMaxShardsPerBlock - blocks_[i].data_shards; }
  /// Bytes of data shard `shard` of block `i` that are chunk bytes (the rest
  /// of the shard is padding): shard_length, or less for the last one.
  uint32_t DataShardBytes(uint32_t i, uint32_t shard) const;

 private:
  uint32_t shard_length_ = 0;
  std::vector<BlockSpan> blocks_;
};

/// The layout of every stored chunk of a table, in entry order.
std::vector<ChunkLayout> LayoutsFor(const ChunkTable& table, uint32_t shard_size,
                                    uint32_t max_data_shards);

}  // namespace fleetcast::fec

#endif  // FLEETCAST_CORE_FEC_LAYOUT_H_
