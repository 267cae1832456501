// ReceiveState: a client's view of one image while it streams in: which
// stored chunks are done, which are being assembled from shards (at most
// `max_assembling` at once: the bound on shard memory), and which are
// still needed, so it can answer a pass end with exactly what it lacks.
// Pure logic; the caller serialises access.
#ifndef FLEETCAST_CORE_RECEIVE_STATE_H_
#define FLEETCAST_CORE_RECEIVE_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/chunk_table.h"
#include "core/control_message.h"
#include "core/fec_codec.h"
#include "core/fec_layout.h"
#include "core/have_set.h"
#include "core/wire_format.h"

namespace fleetcast {

/// A chunk with enough shards in every block, taken out of the state so
/// that its decoding (the costly part under loss) runs on a worker.
class ReadyChunk {
 public:
  uint32_t chunk() const { return chunk_; }
  /// Rebuilds lost data shards in place and moves the stored bytes out.
  Status Decode(fec::GeneratorCache* generators, Bytes* stored);

 private:
  friend class ReceiveState;
  uint32_t chunk_ = 0;
  uint32_t stored_size_ = 0;
  Bytes data_;  // the chunk's data shards back to back; blocks assemble in it
  std::vector<fec::BlockAssembler> blocks_;
};

class ReceiveState {
 public:
  enum class Outcome {
    kAccepted,    // stored; the chunk is not complete yet
    kChunkReady,  // this shard completed the chunk: call TakeChunk
    kDuplicate,   // already have it (or the chunk is done)
    kDeferred,    // the assembly window is full; the chunk will be asked again
    kRejected,    // does not fit the image: not a chunk, block or size of it
  };

  ReceiveState(const ChunkTable& table, uint32_t shard_size, uint32_t max_data_shards,
               size_t max_assembling);

  Outcome Add(const wire::DatagramHeader& header, ByteView payload);
  /// Takes a ready chunk out for decoding; the chunk is then "writing"
  /// until MarkDone or MarkFailed (also if its decoding fails).
  ReadyChunk Take(uint32_t chunk);
  /// Take and Decode in one, here.
  Status TakeChunk(uint32_t chunk, Bytes* stored);
  void MarkDone(uint32_t chunk);
  /// The disk scan found the chunk correct where it lies. It is done unless
  /// the stream got there first: returns true if the chunk was needed or
  /// assembling (then no write of it has run, or runs now: a write starts
  /// only after Take), false if it is being written or was written, so its
  /// written bytes, not the scan's read, decide it.
  bool MarkHeld(uint32_t chunk);
  /// The chunk's bytes did not check out: need it again.
  void MarkFailed(uint32_t chunk);
  /// Drops every partial assembly (a new session started).
  void ResetAssembly();

  /// What is still missing: per block of every chunk not done or writing.
  std::vector<control::BlockNeed> Needs() const;
  /// The chunks done, as the `have` message tells the server.
  HaveSet DoneSet() const;
  uint64_t done_count() const { return done_; }
  uint64_t done_bytes() const { return done_bytes_; }
  uint64_t writing_count() const { return writing_; }
  bool AllDone() const { return done_ == table_->stored_count(); }
  size_t assembling() const { return assembling_.size(); }

 private:
  enum class Phase : uint8_t { kNeeded, kAssembling, kWriting, kDone };
  struct Assembly {
    ReadyChunk chunk;  // once every block is complete
    uint32_t complete_blocks = 0;
  };

  const ChunkTable* table_;
  size_t max_assembling_;
  std::vector<fec::ChunkLayout> layouts_;
  std::vector<Phase> phase_;
  std::map<size_t, Assembly> assembling_;  // by entry
  fec::GeneratorCache generators_;
  uint64_t done_ = 0;
  uint64_t done_bytes_ = 0;
  uint64_t writing_ = 0;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_RECEIVE_STATE_H_
