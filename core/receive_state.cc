#include "core/receive_state.h"

namespace fleetcast {

ReceiveState::ReceiveState(const ChunkTable& table, uint32_t shard_size, uint32_t max_data_shards,
                           size_t max_assembling)
    : table_(&table),
      max_assembling_(max_assembling),
      layouts_(fec::LayoutsFor(table, shard_size, max_data_shards)),
      phase_(table.stored_count(), Phase::kNeeded) {}

ReceiveState::Outcome ReceiveState::Add(const wire::DatagramHeader& h, ByteView payload) {
  const long found = table_->EntryOf(h.chunk);
  if (found < 0) return Outcome::kRejected;
  const auto entry = static_cast<size_t>(found);
  const fec::ChunkLayout& layout = layouts_[entry];
  if (h.block >= layout.block_count() || h.k != layout.block(h.block).data_shards ||
      payload.size() > layout.shard_length()) {
    return Outcome::kRejected;
  }
  if (phase_[entry] == Phase::kWriting || phase_[entry] == Phase::kDone) {
    return Outcome::kDuplicate;
  }
  if (phase_[entry] == Phase::kNeeded) {
    if (assembling_.size() >= max_assembling_) return Outcome::kDeferred;
    ReadyChunk& c = assembling_[entry].chunk;
    c.chunk_ = h.chunk;
    c.stored_size_ = table_->entries()[entry].stored_size;
    // Blocks are contiguous in the stored bytes; only the chunk's last shard
    // is short, and its padding is zeroed when it arrives.
    c.data_.resize(size_t{layout.shard_length()} *
                   (layout.blocks().back().offset / layout.shard_length() +
                    layout.blocks().back().data_shards));
    for (const fec::BlockSpan& b : layout.blocks()) {
      c.blocks_.emplace_back(b.data_shards, layout.shard_length(), c.data_.data() + b.offset);
    }
    phase_[entry] = Phase::kAssembling;
  }
  Assembly& a = assembling_.at(entry);
  fec::BlockAssembler& block = a.chunk.blocks_[h.block];
  if (!block.Add(h.shard, payload)) return Outcome::kDuplicate;
  if (block.complete()) ++a.complete_blocks;
  return a.complete_blocks == a.chunk.blocks_.size() ? Outcome::kChunkReady : Outcome::kAccepted;
}

Status ReadyChunk::Decode(fec::GeneratorCache* generators, Bytes* stored) {
  for (fec::BlockAssembler& block : blocks_) {
    if (Status s = block.Decode(generators); !s.ok()) {
      return s.Prefixed("chunk " + std::to_string(chunk_));
    }
  }
  *stored = std::move(data_);
  stored->resize(stored_size_);
  return Status::OK();
}

ReadyChunk ReceiveState::Take(uint32_t chunk) {
  const auto entry = static_cast<size_t>(table_->EntryOf(chunk));
  auto it = assembling_.find(entry);
  ReadyChunk ready = std::move(it->second.chunk);
  assembling_.erase(it);
  phase_[entry] = Phase::kWriting;
  ++writing_;
  return ready;
}

Status ReceiveState::TakeChunk(uint32_t chunk, Bytes* stored) {
  Status s = Take(chunk).Decode(&generators_, stored);
  if (!s.ok()) MarkFailed(chunk);
  return s;
}

void ReceiveState::MarkDone(uint32_t chunk) {
  const auto entry = static_cast<size_t>(table_->EntryOf(chunk));
  if (phase_[entry] == Phase::kDone) return;
  if (phase_[entry] == Phase::kWriting) --writing_;
  assembling_.erase(entry);
  phase_[entry] = Phase::kDone;
  ++done_;
  done_bytes_ += table_->RawLength(chunk);
}

bool ReceiveState::MarkHeld(uint32_t chunk) {
  const auto entry = static_cast<size_t>(table_->EntryOf(chunk));
  if (phase_[entry] == Phase::kWriting || phase_[entry] == Phase::kDone) return false;
  MarkDone(chunk);  // drops a partial assembly: its shards are not needed
  return true;
}

HaveSet ReceiveState::DoneSet() const {
  HaveSet set(table_->chunk_count());
  for (size_t e = 0; e < phase_.size(); ++e) {
    if (phase_[e] == Phase::kDone) set.Set(table_->entries()[e].index);
  }
  return set;
}

void ReceiveState::MarkFailed(uint32_t chunk) {
  const auto entry = static_cast<size_t>(table_->EntryOf(chunk));
  if (phase_[entry] != Phase::kWriting) return;
  --writing_;
  phase_[entry] = Phase::kNeeded;
}

void ReceiveState::ResetAssembly() {
  for (const auto& [entry, a] : assembling_) phase_[entry] = Phase::kNeeded;
  assembling_.clear();
}

std::vector<control::BlockNeed> ReceiveState::Needs() const {
  std::vector<control::BlockNeed> needs;
  for (size_t entry = 0; entry < phase_.size(); ++entry) {
    if (phase_[entry] == Phase::kDone || phase_[entry] == Phase::kWriting) continue;
    const uint32_t chunk = table_->entries()[entry].index;
    const fec::ChunkLayout& layout = layouts_[entry];
    auto it = assembling_.find(entry);
    for (uint32_t b = 0; b < layout.block_count(); ++b) {
      const uint32_t missing = it == assembling_.end() ? layout.block(b).data_shards
                                                       : it->second.chunk.blocks_[b].missing();
      if (missing > 0) {
        needs.push_back({chunk, static_cast<uint16_t>(b), static_cast<uint16_t>(missing)});
      }
    }
  }
  return needs;
}

}  // namespace fleetcast
