#include "core/fec_layout.h"

#include <algorithm>
#include <cassert>

namespace fleetcast::fec {

ChunkLayout::ChunkLayout(uint32_t stored_size, uint32_t shard_size, uint32_t max_data_shards) {
  assert(stored_size > 0 && shard_size > 0);
  assert(max_data_shards >= 1 && max_data_shards < kMaxShardsPerBlock);
  shard_length_ = std::min(stored_size, shard_size);
  const uint32_t shards = (stored_size + shard_length_ - 1) / shard_length_;
  const uint32_t block_count = (shards + max_data_shards - 1) / max_data_shards;
  uint64_t offset = 0;
  for (uint32_t i = 0; i < block_count; ++i) {
    BlockSpan b;
    b.data_shards = shards / block_count + (i < shards % block_count ? 1 : 0);
    b.offset = offset;
    b.length = static_cast<uint32_t>(
        std::min<uint64_t>(uint64_t{b.data_shards} * shard_length_, stored_size - offset));
    offset += b.length;
    blocks_.push_back(b);
  }
}

uint32_t ChunkLayout::DataShardBytes(uint32_t i, uint32_t shard) const {
  const BlockSpan& b = blocks_[i];
  const uint64_t start = uint64_t{shard} * shard_length_;
  if (start >= b.length) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>(shard_length_, b.length - start));
}

std::vector<ChunkLayout> LayoutsFor(const ChunkTable& table, uint32_t shard_size,
                                    uint32_t max_data_shards) {
  std::vector<ChunkLayout> layouts;
  layouts.reserve(table.stored_count());
  for (const ChunkEntry& e : table.entries()) {
    layouts.emplace_back(e.stored_size, shard_size, max_data_shards);
  }
  return layouts;
}

}  // namespace fleetcast::fec
