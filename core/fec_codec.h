// Reed-Solomon erasure coding of one FEC block with ISA-L: any k of a block's
// up to 255 shards (k data, the rest parity) give back the k data shards.
// The code is systematic with a Cauchy generator matrix (gf_gen_cauchy1),
// so every k rows are invertible and parity shard j is row k + j.
//
// ParityEncoder makes one parity shard at a time, so a sender can make
// "fresh" parity on demand. BlockAssembler collects a block's shards on the
// receiver and rebuilds the e lost data shards from e parity shards by
// solving an e x e system, so the cost grows with the loss, not with k^3.
// Neither is thread-safe; use one per thread.
#ifndef FLEETCAST_CORE_FEC_CODEC_H_
#define FLEETCAST_CORE_FEC_CODEC_H_

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast::fec {

/// The 255 x k generator matrix for k data shards, row-major; cached.
class GeneratorCache {
 public:
  const std::vector<uint8_t>& Matrix(uint32_t k);

 private:
  std::map<uint32_t, std::vector<uint8_t>> matrices_;
};

class ParityEncoder {
 public:
  /// Writes shard `index` (k <= index < 255) of a block whose k data shards
  /// are data[0..k), each `length` bytes, into out (length bytes).
  void Encode(std::span<const uint8_t* const> data, uint32_t length, uint32_t index, uint8_t* out);

 private:
  GeneratorCache generators_;
  std::vector<uint8_t> tables_;
};

class BlockAssembler {
 public:
  /// A block of k data shards of `length` bytes each, assembled in its own
  /// buffer.
  BlockAssembler(uint32_t k, uint32_t length);
  /// The same, assembled in place at data[0, k * length): data shards are
  /// copied straight to their final place, so a chunk's blocks can share one
  /// buffer and nothing is copied again after decoding.
  BlockAssembler(uint32_t k, uint32_t length, uint8_t* data);
  BlockAssembler(BlockAssembler&&) = default;
  BlockAssembler& operator=(BlockAssembler&&) = default;

  uint32_t data_shards() const { return k_; }
  /// Shards still needed before Decode can run (0 when complete).
  uint32_t missing() const { return received_ >= k_ ? 0 : k_ - received_; }
  bool complete() const { return received_ >= k_; }

  /// Stores shard `index`; payload may be shorter than length (zero-padded).
  /// Returns false, storing nothing, for a duplicate, an index >= 255, a
  /// payload longer than length, or when the block is already complete.
  bool Add(uint32_t index, ByteView payload);

  /// Rebuilds the missing data shards in place. Requires complete().
  Status Decode(GeneratorCache* generators);
  /// Decode, then copies the block's first `bytes` bytes of data to out.
  Status Decode(GeneratorCache* generators, uint8_t* out, uint32_t bytes);

 private:
  uint8_t* shard(uint32_t i) { return data_ + size_t{i} * length_; }

  uint32_t k_;
  uint32_t length_;
  uint32_t received_ = 0;
  Bytes own_;                         // the buffer, unless assembling in place
  uint8_t* data_;                     // k data shards, each length bytes
  std::vector<uint8_t> have_;         // 255 flags
  std::vector<uint8_t> parity_rows_;  // parity indices received, in order
  Bytes parity_;                      // their bytes, length each
};

}  // namespace fleetcast::fec

#endif  // FLEETCAST_CORE_FEC_CODEC_H_
