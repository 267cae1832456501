// ChunkCompressor and ChunkDecompressor turn a chunk's raw bytes into what an
// .fcimg stores and back, with the digests that prove each step. Each owns a
// zstd context: one object per thread, not shared.
#ifndef FLEETCAST_CORE_CHUNK_CODEC_H_
#define FLEETCAST_CORE_CHUNK_CODEC_H_

#include <cstdint>
#include <span>

#include "core/chunk_table.h"
#include "core/coding.h"
#include "core/digest.h"
#include "core/signing.h"
#include "core/status.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace fleetcast {

/// True if every byte is zero (also for an empty span).
bool IsAllZero(ByteView bytes);

/// A chunk as pack stores it. A zero chunk has no stored bytes and no entry.
struct PackedChunk {
  bool zero = false;
  Bytes stored;  // one zstd frame
  uint64_t stored_digest = 0;
  Digest128 raw_digest;
  sign::Blake2b256 strong_digest{};  // of the raw bytes; not computed for a zero chunk
};

/// Checks raw against entry.strong_digest, the BLAKE2b-256 a signed manifest
/// vouches for: "chunk 812: BLAKE2b-256 mismatch". Only for manifests with
/// chunk hashes; Unpack's XXH3 checks stop accidents, this stops forgeries.
Status CheckStrongDigest(const ChunkEntry& entry, ByteView raw);

class ChunkCompressor {
 public:
  /// `level` is a zstd level (negative levels are the fast ones).
  explicit ChunkCompressor(int level);
  ~ChunkCompressor();
  ChunkCompressor(const ChunkCompressor&) = delete;
  ChunkCompressor& operator=(const ChunkCompressor&) = delete;

  /// Fills *out from raw. Output depends only on raw and the level, so a
  /// pack is byte-for-byte repeatable whichever thread runs it.
  Status Pack(ByteView raw, PackedChunk* out);

 private:
  ZSTD_CCtx_s* ctx_;
  int level_;
};

class ChunkDecompressor {
 public:
  ChunkDecompressor();
  ~ChunkDecompressor();
  ChunkDecompressor(const ChunkDecompressor&) = delete;
  ChunkDecompressor& operator=(const ChunkDecompressor&) = delete;

  /// Checks stored against entry.stored_digest before zstd sees it, then
  /// decompresses into raw (exactly the chunk's raw length) and checks the raw
  /// digest. On failure raw holds garbage and the message names the chunk and
  /// the check: "chunk 812: stored digest mismatch".
  Status Unpack(const ChunkEntry& entry, ByteView stored, std::span<uint8_t> raw);

 private:
  ZSTD_DCtx_s* ctx_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_CHUNK_CODEC_H_
